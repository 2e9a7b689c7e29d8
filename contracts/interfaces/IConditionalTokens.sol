// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";

/// @title IConditionalTokens
/// @notice One ERC-1155 vault for every conditional position of the Deep Funding markets.
///
/// A *condition* is a question with `n` outcome slots (2 <= n <= 256) and a resolver, the only
/// address that may report its answer:
///     conditionId = keccak256(abi.encode(resolver, questionId, n))
/// A *position* is an ERC-20 collateral plus a path of (condition, slot) pairs. Its ERC-1155 id is
///     positionId = uint256(keccak256(abi.encode(collateral, parentPositionId, conditionId, slot)))
/// where `parentPositionId` is the position it was split from, or 0 when it was split from the
/// collateral itself. Positions nest to any depth by using a position as the parent.
///
/// Conservation rules, for any condition with n slots and any parent (collateral or position):
///   - split:  `amount` of the parent becomes `amount` of each of the n children (a full set);
///   - merge:  a full set of `amount` becomes `amount` of the parent again;
///   - redeem: after resolution with payout numerators p_0..p_{n-1} and D = sum p_j, a holder of
///     balances b_j in the listed slots receives floor(sum_j b_j * p_j / D) of the parent, one
///     floor over the whole sum, rounded down in the vault's favour. A full set of `amount`
///     therefore redeems to exactly `amount`.
/// The vault never holds anything but the collateral of root positions (parent 0): a nested split
/// burns its parent position, a nested merge or redemption mints it back.
///
/// Conditional markets: a condition nested under a position (e.g. "UP/DOWN of seed j's
/// originality" under "seed j is evaluated") whose parent outcome does not happen is, by design,
/// never resolved. Its positions cannot be redeemed, only merged back into the parent position,
/// and that parent position redeems 0 once its own condition resolves with payout 0 on it. So a
/// trade in a market whose condition is not evaluated is undone in value: everything it was
/// priced in becomes worthless together.
///
/// @dev Warning: collateral must be a plain ERC-20 with code. Tokens that deliver less than the
/// amount asked for (fee-on-transfer, deflationary) are rejected at every split from collateral
/// with `CollateralDeliveredLess`; rebasing tokens are not supported (a negative rebase leaves
/// the vault unable to pay the last redeemers, a positive one leaves a surplus nobody can take).
/// An address without code is rejected at the first split (its balance cannot be read).
/// @dev Warning: the collateral is not listed or checked beyond that. Positions of different
/// collaterals have different ids and the vault's accounting of one collateral never touches
/// another, so a malicious collateral can only harm holders of its own positions.
/// @dev Warning: for nested positions `collateral` is only a part of the id: the vault cannot
/// check that `parentPositionId` was itself derived from `collateral`. Use the same collateral
/// along a whole path; a mismatched one creates positions that only merge or redeem back into
/// the same parent.
/// @dev Warning: ERC-1155 mints and transfers to contracts call `onERC1155Received` or
/// `onERC1155BatchReceived`. Every function of this vault that moves tokens is `nonReentrant`
/// and follows checks-effects-interactions, so such hooks (and ERC-777 style token hooks)
/// cannot re-enter it. Standard `safeTransferFrom` calls stay available inside hooks.
/// @dev Warning: a resolver is trusted completely for its conditions: it alone reports the
/// payout vector, once, and it cannot be corrected afterwards. A condition whose resolver never
/// reports (or is the zero address) never resolves; its positions can still be merged.
interface IConditionalTokens is IERC1155 {
    // ------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------

    /// @notice A condition was prepared.
    /// @param conditionId `getConditionId(resolver, questionId, outcomeSlotCount)`.
    /// @param resolver The only address that can report the condition's payouts.
    /// @param questionId The question, chosen by whoever prepares the condition.
    /// @param outcomeSlotCount Number of outcome slots (2 to 256).
    event ConditionPrepared(
        bytes32 indexed conditionId,
        address indexed resolver,
        bytes32 indexed questionId,
        uint256 outcomeSlotCount
    );

    /// @notice `amount` of a parent (collateral when `parentPositionId` is 0, else that position)
    /// was split into `amount` of each of the condition's outcome positions.
    event PositionSplit(
        address indexed account,
        address indexed collateral,
        uint256 parentPositionId,
        bytes32 indexed conditionId,
        uint256 amount
    );

    /// @notice A full set of `amount` of the condition's outcome positions was merged back into
    /// `amount` of the parent (collateral when `parentPositionId` is 0, else that position).
    event PositionsMerged(
        address indexed account,
        address indexed collateral,
        uint256 parentPositionId,
        bytes32 indexed conditionId,
        uint256 amount
    );

    /// @notice A condition was resolved with the given payout numerators.
    /// @param payouts The numerators, one per slot; the denominator is their sum.
    event ConditionResolved(
        bytes32 indexed conditionId,
        address indexed resolver,
        bytes32 indexed questionId,
        uint256[] payouts
    );

    /// @notice The caller's whole balances of the listed slots' positions were burned and
    /// `payout` of the parent was paid for them (possibly 0).
    event PayoutRedeemed(
        address indexed account,
        address indexed collateral,
        uint256 parentPositionId,
        bytes32 indexed conditionId,
        uint256[] slots,
        uint256 payout
    );

    // ------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------

    /// @notice A condition needs 2 to 256 outcome slots.
    error BadOutcomeSlotCount(uint256 outcomeSlotCount);
    /// @notice The condition was already prepared.
    error ConditionAlreadyPrepared(bytes32 conditionId);
    /// @notice The condition was not prepared. Also what a resolver gets when it reports for a
    /// condition it does not resolve, or with a payout vector of the wrong length: both address
    /// a different condition id.
    error ConditionNotPrepared(bytes32 conditionId);
    /// @notice The condition's payouts were already reported.
    error ConditionAlreadyResolved(bytes32 conditionId);
    /// @notice The condition has not been resolved (or was never prepared).
    error ConditionNotResolved(bytes32 conditionId);
    /// @notice Every payout numerator is zero.
    error AllZeroPayouts(bytes32 conditionId);
    /// @notice The payout numerators add up to more than 2^240 - 1.
    error PayoutSumTooLarge(bytes32 conditionId);
    /// @notice A zero amount was given.
    error ZeroAmount();
    /// @notice A slot index is not below the condition's slot count.
    error InvalidSlot(uint256 slot, uint256 outcomeSlotCount);
    /// @notice A slot was listed twice.
    error DuplicateSlot(uint256 slot);
    /// @notice The collateral delivered a different amount than asked for (fee-on-transfer
    /// tokens are rejected).
    error CollateralDeliveredLess(uint256 expected, uint256 received);
    /// @notice An issuer tried to pay out more than the backing it has deposited.
    error BackingExceeded(uint256 payout, uint256 backing);

    /// @notice An issuer (market maker) minted `amount` of `slot` to `to` and deposited
    /// `deposit` parent units as backing.
    event Issued(
        address indexed issuer,
        address indexed to,
        bytes32 indexed conditionId,
        uint256 slot,
        uint256 amount,
        uint256 deposit
    );

    /// @notice An issuer burned `amount` of `slot` from `from` and paid `payout` parent units out
    /// of its backing.
    event Retired(
        address indexed issuer,
        address indexed from,
        bytes32 indexed conditionId,
        uint256 slot,
        uint256 amount,
        uint256 payout
    );

    /// @notice Issuers (ISSUER_ROLE, granted by the vault's admin) mint single outcome tokens of
    /// an unresolved condition without the rest of the set, against parent units they deposit
    /// as backing: this is how a market maker sells one outcome at constant gas. Takes `deposit`
    /// parent units from `payer` (the issuer itself, or a holder who approved it as an ERC-1155
    /// operator of this vault): collateral is pulled (the payer approves this vault), a parent
    /// position is burned. Then mints `amount` of `slot` to `to`. Either may be zero.
    /// @dev Warning: the vault trusts an issuer to keep, for every payout vector, its backing at
    /// least the payout its issued tokens can claim (an LMSR market maker does, by its bounded
    /// loss). Holders redeem issued tokens like any others, out of the vault's collateral.
    function issue(
        address payer,
        address to,
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256 slot,
        uint256 amount,
        uint256 deposit
    ) external;

    /// @notice Burns `amount` of `slot` from `from` (the issuer itself, or a holder who approved
    /// it as an ERC-1155 operator) and pays `payout` parent units to `to` out of the issuer's
    /// backing (`BackingExceeded` beyond it). With `amount` zero it withdraws backing, which is
    /// how a market maker takes back what is left after resolution.
    function retire(
        address from,
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256 slot,
        uint256 amount,
        uint256 payout,
        address to
    ) external;

    /// @notice An issuer's remaining backing for (collateral, parent, condition).
    function backingOf(
        address issuer,
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId
    ) external view returns (uint256);

    // ------------------------------------------------------------------------------------------
    // Conditions
    // ------------------------------------------------------------------------------------------

    /// @notice Prepares a condition. Anyone may prepare one, for any resolver, once.
    /// @param resolver The only address that will be able to report the payouts.
    /// @param questionId Any identifier of the question (e.g. a hash of its text and round).
    /// @param outcomeSlotCount Number of outcome slots, 2 to 256 (else `BadOutcomeSlotCount`).
    /// @return conditionId `getConditionId(resolver, questionId, outcomeSlotCount)`. Reverts
    /// with `ConditionAlreadyPrepared` if it exists.
    function prepareCondition(
        address resolver,
        bytes32 questionId,
        uint256 outcomeSlotCount
    ) external returns (bytes32 conditionId);

    /// @notice Resolves the condition (msg.sender, questionId, payouts.length) with the given
    /// payout numerators; slot j then redeems payouts[j] / sum(payouts) per unit.
    /// @dev Reverts with `ConditionNotPrepared` when no such condition exists (which is the case
    /// when the caller is not its resolver or the length is not its slot count), with
    /// `ConditionAlreadyResolved` on a second report, with `AllZeroPayouts` when every numerator
    /// is 0 and with `PayoutSumTooLarge` when they add up to 2^240 or more.
    function reportPayouts(bytes32 questionId, uint256[] calldata payouts) external;

    // ------------------------------------------------------------------------------------------
    // Positions
    // ------------------------------------------------------------------------------------------

    /// @notice Turns `amount` of a parent into `amount` of each of the condition's n outcome
    /// positions, minted to msg.sender. With `parentPositionId` 0 the parent is `collateral`,
    /// pulled from msg.sender (needs an allowance; an amount delivered short reverts with
    /// `CollateralDeliveredLess`); otherwise `amount` of that position is burned from
    /// msg.sender (an insufficient balance reverts with OpenZeppelin's
    /// `ERC1155InsufficientBalance`). Allowed before and after the condition resolves.
    /// @dev Reverts with `ZeroAmount` or `ConditionNotPrepared`. Gas is linear in n (n mints).
    function splitPosition(
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256 amount
    ) external;

    /// @notice The inverse of `splitPosition`: burns `amount` of each of the condition's n
    /// outcome positions from msg.sender and gives back `amount` of the parent (the collateral is
    /// transferred when `parentPositionId` is 0, otherwise the parent position is minted).
    /// Allowed before and after the condition resolves.
    /// @dev Reverts with `ZeroAmount`, `ConditionNotPrepared` or, when a balance is short,
    /// `ERC1155InsufficientBalance`.
    function mergePositions(
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256 amount
    ) external;

    /// @notice Burns msg.sender's entire balance of each listed slot's position under
    /// (collateral, parentPositionId, conditionId) and pays
    ///     payout = floor(sum_j balance_j * payoutNumerator_j / payoutDenominator)
    /// of the parent: collateral when `parentPositionId` is 0, otherwise the parent position is
    /// minted. A zero payout is allowed (the positions are still burned, nothing is sent).
    /// @param slots Distinct slot indices below the slot count (else `InvalidSlot` or
    /// `DuplicateSlot`); may be empty.
    /// @return payout The amount of the parent paid.
    /// @dev Reverts with `ConditionNotResolved` before the condition is resolved.
    function redeemPositions(
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256[] calldata slots
    ) external returns (uint256 payout);

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @notice keccak256(abi.encode(resolver, questionId, outcomeSlotCount)).
    function getConditionId(
        address resolver,
        bytes32 questionId,
        uint256 outcomeSlotCount
    ) external pure returns (bytes32);

    /// @notice uint256(keccak256(abi.encode(collateral, parentPositionId, conditionId, slot))):
    /// the ERC-1155 id of outcome `slot` of `conditionId` split from `parentPositionId`
    /// (0: from the collateral itself). Does not check that the condition or slot exists.
    function getPositionId(
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256 slot
    ) external pure returns (uint256);

    /// @notice The condition's number of outcome slots; 0 if it was not prepared.
    function outcomeSlotCount(bytes32 conditionId) external view returns (uint256);

    /// @notice The payout numerator of a slot; 0 before resolution (and for unknown slots).
    function payoutNumerator(bytes32 conditionId, uint256 slot) external view returns (uint256);

    /// @notice The sum of the payout numerators; 0 before resolution.
    function payoutDenominator(bytes32 conditionId) external view returns (uint256);

    /// @notice Whether the condition's payouts were reported.
    function isResolved(bytes32 conditionId) external view returns (bool);

    /// @notice The metadata URI of a position: the base URI given at deployment followed by the
    /// id as 64 lowercase hexadecimal digits, without `0x` (one document per position).
    function uri(uint256 id) external view returns (string memory);
}
