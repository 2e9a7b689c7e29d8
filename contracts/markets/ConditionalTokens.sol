// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IConditionalTokens} from "../interfaces/IConditionalTokens.sol";
import {PositionIds} from "../libraries/PositionIds.sol";
import {TokenCalls} from "../libraries/TokenCalls.sol";

/// @title ConditionalTokens
/// @notice See `IConditionalTokens` for the id scheme, the conservation rules and the token
/// assumptions.
/// @dev Storage: one slot per condition (slot count and payout denominator packed together) and
/// one slot per nonzero payout numerator. Balances are OpenZeppelin's ERC-1155 balances; the
/// vault keeps no supply counters. A split or merge reads one condition slot and touches n
/// balances; a redemption reads one condition slot plus, per listed slot, a balance and a
/// numerator.
contract ConditionalTokens is ERC1155, AccessControl, ReentrancyGuardTransient, IConditionalTokens {
    // ------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------

    /// @dev One slot. `outcomeSlotCount` is 0 for an unprepared condition; `payoutDenominator`
    /// is 0 until the condition is resolved (a resolution always has a nonzero sum).
    struct Condition {
        uint16 outcomeSlotCount;
        uint240 payoutDenominator;
    }

    // ------------------------------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------------------------------

    /// @notice Market makers allowed to issue single outcome tokens against their own backing.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    uint256 private constant _MIN_SLOTS = 2;
    uint256 private constant _MAX_SLOTS = 256;
    bytes16 private constant _HEX_DIGITS = "0123456789abcdef";

    // ------------------------------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------------------------------

    mapping(bytes32 conditionId => Condition) private _conditions;
    mapping(bytes32 conditionId => mapping(uint256 slot => uint256)) private _numerators;
    /// @dev Parent units each issuer has deposited for (collateral, parent, condition), net of
    /// what it has paid out: keyed by keccak256(issuer, collateral, parent, condition).
    mapping(bytes32 key => uint256 amount) private _backing;

    // ------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------

    /// @param baseUri Prefix of every position's metadata URI (see `uri`).
    /// @dev The deployer administers the issuer role (DEFAULT_ADMIN_ROLE).
    constructor(string memory baseUri) ERC1155(baseUri) {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }

    // ------------------------------------------------------------------------------------------
    // Conditions
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IConditionalTokens
    function prepareCondition(
        address resolver,
        bytes32 questionId,
        uint256 outcomeSlotCount_
    ) external returns (bytes32 conditionId) {
        if (outcomeSlotCount_ < _MIN_SLOTS || outcomeSlotCount_ > _MAX_SLOTS) {
            revert BadOutcomeSlotCount(outcomeSlotCount_);
        }
        conditionId = PositionIds.conditionId(resolver, questionId, outcomeSlotCount_);
        Condition storage condition = _conditions[conditionId];
        if (condition.outcomeSlotCount != 0) revert ConditionAlreadyPrepared(conditionId);
        // outcomeSlotCount_ <= 256 fits 16 bits.
        condition.outcomeSlotCount = uint16(outcomeSlotCount_);
        emit ConditionPrepared(conditionId, resolver, questionId, outcomeSlotCount_);
    }

    /// @inheritdoc IConditionalTokens
    function reportPayouts(bytes32 questionId, uint256[] calldata payouts) external {
        uint256 n = payouts.length;
        // The caller and the length are part of the id: anyone but the resolver, or a vector of
        // the wrong length, addresses a condition that does not exist.
        bytes32 conditionId = PositionIds.conditionId(msg.sender, questionId, n);
        Condition storage condition = _conditions[conditionId];
        Condition memory current = condition;
        if (current.outcomeSlotCount == 0) revert ConditionNotPrepared(conditionId);
        if (current.payoutDenominator != 0) revert ConditionAlreadyResolved(conditionId);

        mapping(uint256 slot => uint256) storage numerators = _numerators[conditionId];
        uint256 sum;
        for (uint256 j; j < n; ++j) {
            uint256 p = payouts[j];
            if (p == 0) continue;
            // Checked separately so that a sum beyond 2^256 also gets the custom error.
            if (p > type(uint240).max - sum) revert PayoutSumTooLarge(conditionId);
            unchecked {
                sum += p;
            }
            numerators[j] = p;
        }
        if (sum == 0) revert AllZeroPayouts(conditionId);
        condition.payoutDenominator = uint240(sum);
        emit ConditionResolved(conditionId, msg.sender, questionId, payouts);
    }

    // ------------------------------------------------------------------------------------------
    // Positions
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IConditionalTokens
    function splitPosition(
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256 amount
    ) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 n = _preparedSlotCount(conditionId);
        // The parent is taken first, so the full set exists only once it is paid for; the mint
        // comes last because it calls the receiver's hook.
        if (parentPositionId == 0) {
            _pullCollateral(collateral, msg.sender, amount);
        } else {
            _burn(msg.sender, parentPositionId, amount);
        }
        emit PositionSplit(msg.sender, collateral, parentPositionId, conditionId, amount);
        _mintBatch(
            msg.sender,
            PositionIds.positionIds(collateral, parentPositionId, conditionId, n),
            _filled(n, amount),
            ""
        );
    }

    /// @inheritdoc IConditionalTokens
    function mergePositions(
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256 amount
    ) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 n = _preparedSlotCount(conditionId);
        _burnBatch(
            msg.sender,
            PositionIds.positionIds(collateral, parentPositionId, conditionId, n),
            _filled(n, amount)
        );
        emit PositionsMerged(msg.sender, collateral, parentPositionId, conditionId, amount);
        _payParent(collateral, parentPositionId, msg.sender, amount);
    }

    /// @inheritdoc IConditionalTokens
    function redeemPositions(
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256[] calldata slots
    ) external nonReentrant returns (uint256 payout) {
        Condition memory condition = _conditions[conditionId];
        uint256 denominator = condition.payoutDenominator;
        if (denominator == 0) revert ConditionNotResolved(conditionId);
        uint256 n = condition.outcomeSlotCount;
        uint256 k = slots.length;

        uint256[] memory ids = new uint256[](k);
        uint256[] memory balances = new uint256[](k);
        mapping(uint256 slot => uint256) storage numerators = _numerators[conditionId];
        uint256 seen; // bit j set once slot j was listed (slots are below 256)
        // payout = floor(sum_j b_j * p_j / D), computed exactly without a 512-bit sum: each term
        // is split into its quotient and remainder by D; the quotients are added up and the
        // remainders (each below D) are carried into `remainder`, which stays below D.
        uint256 remainder;
        for (uint256 i; i < k; ++i) {
            uint256 slot = slots[i];
            if (slot >= n) revert InvalidSlot(slot, n);
            uint256 bit = 1 << slot;
            if (seen & bit != 0) revert DuplicateSlot(slot);
            seen |= bit;

            uint256 id = PositionIds.positionId(collateral, parentPositionId, conditionId, slot);
            uint256 balance = balanceOf(msg.sender, id);
            ids[i] = id;
            balances[i] = balance;
            if (balance == 0) continue;
            uint256 numerator = numerators[slot];
            if (numerator == 0) continue;
            // numerator <= denominator, so the quotient is at most the balance.
            payout += Math.mulDiv(balance, numerator, denominator);
            uint256 rest = mulmod(balance, numerator, denominator);
            // remainder < D and rest < D: remainder + rest >= D exactly when rest >= D - remainder.
            unchecked {
                uint256 room = denominator - remainder;
                if (rest >= room) {
                    remainder = rest - room;
                    ++payout;
                } else {
                    remainder += rest;
                }
            }
        }

        if (k != 0) _burnBatch(msg.sender, ids, balances);
        emit PayoutRedeemed(msg.sender, collateral, parentPositionId, conditionId, slots, payout);
        if (payout != 0) _payParent(collateral, parentPositionId, msg.sender, payout);
    }

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    // ------------------------------------------------------------------------------------------
    // Issuers (market makers)
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IConditionalTokens
    function issue(
        address payer,
        address to,
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256 slot,
        uint256 amount,
        uint256 deposit
    ) external onlyRole(ISSUER_ROLE) nonReentrant {
        _openSlot(conditionId, slot);
        if (deposit != 0) {
            _requireConsent(payer);
            _backing[_backingKey(msg.sender, collateral, parentPositionId, conditionId)] += deposit;
            if (parentPositionId == 0) {
                _pullCollateral(collateral, payer, deposit);
            } else {
                _burn(payer, parentPositionId, deposit);
            }
        }
        emit Issued(msg.sender, to, conditionId, slot, amount, deposit);
        if (amount != 0) {
            _mint(
                to,
                PositionIds.positionId(collateral, parentPositionId, conditionId, slot),
                amount,
                ""
            );
        }
    }

    /// @inheritdoc IConditionalTokens
    function retire(
        address from,
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256 slot,
        uint256 amount,
        uint256 payout,
        address to
    ) external onlyRole(ISSUER_ROLE) nonReentrant {
        if (amount != 0) {
            _requireConsent(from);
            _openSlot(conditionId, slot);
            _burn(
                from,
                PositionIds.positionId(collateral, parentPositionId, conditionId, slot),
                amount
            );
        }
        if (payout != 0) {
            bytes32 key = _backingKey(msg.sender, collateral, parentPositionId, conditionId);
            uint256 backing = _backing[key];
            if (payout > backing) revert BackingExceeded(payout, backing);
            // payout <= backing, checked just above.
            unchecked {
                _backing[key] = backing - payout;
            }
        }
        emit Retired(msg.sender, from, conditionId, slot, amount, payout);
        if (payout != 0) _payParent(collateral, parentPositionId, to, payout);
    }

    /// @inheritdoc IConditionalTokens
    function backingOf(
        address issuer,
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId
    ) external view returns (uint256) {
        return _backing[_backingKey(issuer, collateral, parentPositionId, conditionId)];
    }

    /// @inheritdoc IConditionalTokens
    function getConditionId(
        address resolver,
        bytes32 questionId,
        uint256 outcomeSlotCount_
    ) external pure returns (bytes32) {
        return PositionIds.conditionId(resolver, questionId, outcomeSlotCount_);
    }

    /// @inheritdoc IConditionalTokens
    function getPositionId(
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256 slot
    ) external pure returns (uint256) {
        return PositionIds.positionId(collateral, parentPositionId, conditionId, slot);
    }

    /// @inheritdoc IConditionalTokens
    function outcomeSlotCount(bytes32 conditionId) external view returns (uint256) {
        return _conditions[conditionId].outcomeSlotCount;
    }

    /// @inheritdoc IConditionalTokens
    function payoutNumerator(bytes32 conditionId, uint256 slot) external view returns (uint256) {
        return _numerators[conditionId][slot];
    }

    /// @inheritdoc IConditionalTokens
    function payoutDenominator(bytes32 conditionId) external view returns (uint256) {
        return _conditions[conditionId].payoutDenominator;
    }

    /// @inheritdoc IConditionalTokens
    function isResolved(bytes32 conditionId) external view returns (bool) {
        return _conditions[conditionId].payoutDenominator != 0;
    }

    /// @inheritdoc IConditionalTokens
    function uri(
        uint256 id
    ) public view override(ERC1155, IConditionalTokens) returns (string memory) {
        return string.concat(super.uri(id), _hex64(id));
    }

    /// @notice ERC-165: ERC-1155, its metadata extension, and `IConditionalTokens`.
    function supportsInterface(
        bytes4 interfaceId
    ) public view override(ERC1155, AccessControl, IERC165) returns (bool) {
        return
            interfaceId == type(IConditionalTokens).interfaceId ||
            super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------

    function _preparedSlotCount(bytes32 conditionId) private view returns (uint256 n) {
        n = _conditions[conditionId].outcomeSlotCount;
        if (n == 0) revert ConditionNotPrepared(conditionId);
    }

    /// @dev Pulls exactly `amount` of `collateral` from `from`; rejects tokens that deliver a
    /// different amount. `selfBalance` also rejects an address without code.
    function _pullCollateral(address collateral, address from, uint256 amount) private {
        uint256 balanceBefore = TokenCalls.selfBalance(collateral);
        TokenCalls.transferFrom(collateral, from, address(this), amount);
        uint256 balanceAfter = TokenCalls.selfBalance(collateral);
        uint256 received = balanceAfter > balanceBefore ? balanceAfter - balanceBefore : 0;
        if (received != amount) revert CollateralDeliveredLess(amount, received);
    }

    /// @dev Gives `to` `amount` of the parent: collateral, or a freshly minted position.
    function _payParent(
        address collateral,
        uint256 parentPositionId,
        address to,
        uint256 amount
    ) private {
        if (parentPositionId == 0) {
            TokenCalls.transfer(collateral, to, amount);
        } else {
            _mint(to, parentPositionId, amount, "");
        }
    }

    /// @dev An issuer moves a holder's tokens only with the holder's ERC-1155 operator approval.
    function _requireConsent(address holder) private view {
        if (holder != msg.sender && !isApprovedForAll(holder, msg.sender)) {
            revert ERC1155MissingApprovalForAll(msg.sender, holder);
        }
    }

    function _backingKey(
        address issuer,
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(issuer, collateral, parentPositionId, conditionId));
    }

    /// @dev The slot count of a prepared, unresolved condition and a check that `slot` is in it.
    function _openSlot(bytes32 conditionId, uint256 slot) private view {
        Condition memory condition = _conditions[conditionId];
        if (condition.outcomeSlotCount == 0) revert ConditionNotPrepared(conditionId);
        if (condition.payoutDenominator != 0) revert ConditionAlreadyResolved(conditionId);
        if (slot >= condition.outcomeSlotCount) {
            revert InvalidSlot(slot, condition.outcomeSlotCount);
        }
    }

    /// @dev An array of n copies of `amount`.
    function _filled(uint256 n, uint256 amount) private pure returns (uint256[] memory values) {
        values = new uint256[](n);
        for (uint256 i; i < n; ++i) values[i] = amount;
    }

    /// @dev `id` as 64 lowercase hexadecimal digits, most significant first, without `0x`.
    function _hex64(uint256 id) private pure returns (string memory) {
        bytes memory out = new bytes(64);
        for (uint256 i = 64; i != 0; ) {
            unchecked {
                --i;
            }
            out[i] = _HEX_DIGITS[id & 0xf];
            id >>= 4;
        }
        return string(out);
    }
}
