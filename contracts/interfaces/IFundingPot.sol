// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {INodeRegistry} from "./INodeRegistry.sol";

/// @title IFundingPot
/// @notice Deep Funding pots: one pot of an ERC-20 per round id, distributed through a target's
/// seeds to their children, with pull-based payouts by node id.
///
/// Distribution of a round's pot F (the integer arithmetic of `distribute` in `src/graph.ts`,
/// to the wei; every step rounds down, so the escrow never pays out more than it holds):
///     SW        = sum of the seeds' weights W_s                      (must be > 0)
///     share_s   = floor(F * W_s / SW)
///     kept_s    = floor(share_s * OS_s / 1e18)                       (OS_s in [0, 1e18])
///     passed_s  = share_s - kept_s
///     funded(s) = the first min(128, k) children of s in rank order (heaviest first, ties to
///                 the lower index in the list the settler submits)
///     SK_s      = sum of the funded children's weights
///     child_c   = floor(passed_s * w_c / SK_s) for funded c, 0 for the others;
///                 when SK_s = 0 the seed is credited passed_s itself (it keeps its whole share).
/// A node reached several ways (several parents, a seed that is also a child, several rounds)
/// is credited the sum. The pot minus everything credited is the round's rounding dust, at most
/// one wei per floor: it stays accounted (`dustOf`) until the admin rolls it into an open
/// round's pot (`rollDust`).
///
/// Lifecycle of a round (round ids are free-form; every id starts Open with an empty pot):
/// 1. Open: anyone adds tokens with `fund`, or `absorb`s tokens sent to this contract without a
///    call (a quadratic funding gap whose beneficiary is this contract pays that way).
/// 2. Settling: `beginSettlement` (SETTLER_ROLE) freezes the pot, records every seed's share,
///    credits each seed what it keeps, and leaves one `settleChildren` call per seed to do.
/// 3. Settled: after the last seed's children are settled. The dust is fixed.
/// Settlement is split so that no transaction is unbounded: at most `MAX_SEEDS` seeds per
/// round and `MAX_CHILDREN` children per seed.
///
/// Payouts: credits are owed to node ids. `claim(node)` (anyone) pays a node's whole balance to
/// `REGISTRY.payoutOf(node)`, read at claim time.
///
/// Accounting: the token balance always covers (and, without direct transfers, equals)
///     sum over unsettled rounds of (pot - credited)  +  totalOwed  +  unrolled dust,
/// which is `totalAccounted()`; only tokens beyond it can be absorbed.
///
/// Roles: DEFAULT_ADMIN_ROLE (grants roles, rolls dust), SETTLER_ROLE (settles rounds). No role
/// can move tokens out except to a node's payout address through `claim`.
///
/// @dev Warning: the settler is trusted with the weights: the contract checks their form (one
/// seed once, the ranking, the originality range), not where they come from.
/// @dev Warning: the registry is trusted: whoever controls a node's payout address at claim time
/// receives everything owed to that node. A registry that reverts blocks only that node's claims.
/// @dev Warning: the token must be a plain ERC-20. Tokens that deliver less than asked
/// (fee-on-transfer) are rejected by `fund` with `DeliveredLess`; rebasing tokens are not
/// supported (a negative rebase leaves the escrow short; a positive one can be absorbed).
/// @dev Warning: tokens with transfer hooks cannot re-enter: `fund`, `absorb`, `claim`,
/// `claimMany` and `rollDust` are `nonReentrant`.
interface IFundingPot {
    // ------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------

    enum RoundStatus {
        Open, // fundable; every round id starts here
        Settling, // pot frozen, some seeds' children not settled yet
        Settled // every seed settled; dust fixed
    }

    /// @notice A round as returned by `roundInfo`.
    /// @param status See `RoundStatus`.
    /// @param pot F: tokens funded, absorbed or rolled in (frozen once settling).
    /// @param distributed Everything credited to nodes so far.
    /// @param dust pot - distributed once Settled (0 before). Stays the round's dust after it is
    /// rolled out, so that distributed + dust == pot holds for good.
    /// @param dustRolled Whether the dust has been rolled into another round's pot.
    /// @param seedCount Seeds recorded by `beginSettlement`.
    /// @param seedsLeft Seeds whose children are not settled yet.
    struct RoundInfo {
        RoundStatus status;
        uint256 pot;
        uint256 distributed;
        uint256 dust;
        bool dustRolled;
        uint256 seedCount;
        uint256 seedsLeft;
    }

    /// @notice A seed of a settling or settled round as returned by `seedOf`.
    /// @param node The seed's node id.
    /// @param share floor(F * W_s / SW).
    /// @param kept floor(share * OS_s / 1e18), credited at `beginSettlement`.
    /// @param passed share - kept: for the funded children (or the seed itself when SK_s = 0).
    /// @param childrenSettled Whether `settleChildren` has run for this seed.
    struct SeedInfo {
        bytes32 node;
        uint256 share;
        uint256 kept;
        uint256 passed;
        bool childrenSettled;
    }

    // ------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------

    event Funded(uint256 indexed round, address indexed from, uint256 amount);
    event Absorbed(uint256 indexed round, address indexed caller, uint256 amount);
    event SettlementBegun(
        uint256 indexed round,
        uint256 pot,
        uint256 seedCount,
        uint256 totalSeedWeight
    );
    event SeedShared(
        uint256 indexed round,
        uint256 indexed seedIndex,
        bytes32 indexed node,
        uint256 share,
        uint256 kept,
        uint256 passed
    );
    /// @notice `funded` children with total weight `fundedWeight` shared `paid` of the seed's
    /// passed-on amount (all of it to the seed itself when `fundedWeight` is 0).
    event ChildrenSettled(
        uint256 indexed round,
        uint256 indexed seedIndex,
        bytes32 indexed seed,
        uint256 funded,
        uint256 fundedWeight,
        uint256 paid
    );
    /// @notice One positive credit to a node (a seed's kept amount, its passed-on amount when
    /// nothing is funded, or a child's share).
    event Credited(uint256 indexed round, bytes32 indexed node, uint256 amount);
    event RoundSettled(uint256 indexed round, uint256 distributed, uint256 dust);
    event Claimed(bytes32 indexed node, address indexed payout, uint256 amount);
    event DustRolled(uint256 indexed fromRound, uint256 indexed toRound, uint256 amount);

    // ------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------

    error ZeroAddress();
    error NoCode(address account);
    error ZeroAmount();
    /// @notice The token delivered `received` for a transfer of `expected` (fee-on-transfer).
    error DeliveredLess(uint256 expected, uint256 received);
    error WrongRoundStatus(uint256 round, RoundStatus status);
    /// @notice `absorb` found no tokens beyond `accounted`.
    error NothingToAbsorb(uint256 balance, uint256 accounted);
    error LengthMismatch(uint256 expected, uint256 actual);
    error TooManySeeds(uint256 count, uint256 max);
    error TooManyChildren(uint256 count, uint256 max);
    /// @notice Seed ids must be strictly increasing (which also makes them distinct and non-zero).
    error SeedsNotIncreasing(uint256 index, bytes32 node);
    error OriginalityTooHigh(uint256 index, uint256 originalityWad);
    error ZeroTotalWeight();
    error SeedOutOfRange(uint256 round, uint256 seedIndex, uint256 seedCount);
    error SeedAlreadySettled(uint256 round, uint256 seedIndex);
    /// @notice `order[position]` is out of range or repeats an earlier entry.
    error OrderNotPermutation(uint256 position, uint256 index);
    /// @notice `order[position]` should rank before `order[position - 1]`.
    error OrderNotSorted(uint256 position);
    error ZeroNode(uint256 index);
    error DuplicateChild(uint256 index, bytes32 child);
    error NothingOwed(bytes32 node);
    error NoPayoutAddress(bytes32 node);
    error NoDust(uint256 round);

    // ------------------------------------------------------------------------------------------
    // Funding (anyone, while the round is Open)
    // ------------------------------------------------------------------------------------------

    /// @notice Adds `amount` (pulled from msg.sender) to `round`'s pot. The contract checks the
    /// balance it received (`DeliveredLess`). A pot is kept in 128 bits: one that would exceed
    /// them reverts (SafeCast's `SafeCastOverflowedUintDowncast`), here, in `absorb` and in
    /// `rollDust`.
    function fund(uint256 round, uint256 amount) external;

    /// @notice Credits to `round`'s pot every token this contract holds beyond `totalAccounted()`
    /// (`NothingToAbsorb` if none), such as a quadratic funding payout sent here without a call.
    /// @dev Whoever calls first chooses the round: send and absorb in one transaction, or let
    /// the pot's operators absorb promptly, when the round matters.
    /// @return amount What was credited.
    function absorb(uint256 round) external returns (uint256 amount);

    // ------------------------------------------------------------------------------------------
    // Settlement (SETTLER_ROLE)
    // ------------------------------------------------------------------------------------------

    /// @notice Freezes `round`'s pot (the round must be Open), records each seed's share, kept
    /// and passed-on amounts and credits each seed what it keeps. There is no way back: a
    /// settlement once begun can only be completed.
    /// @param seeds Node ids, strictly increasing (`SeedsNotIncreasing`): this is how duplicates
    /// are ruled out in O(n). Order does not change any amount. At most `MAX_SEEDS`.
    /// @param seedWeights W_s, any scale (divided by their sum, which must be > 0 and fit in 256
    /// bits: an overflow reverts with a panic).
    /// @param originalityWad OS_s in [0, 1e18] (`OriginalityTooHigh`).
    function beginSettlement(
        uint256 round,
        bytes32[] calldata seeds,
        uint256[] calldata seedWeights,
        uint256[] calldata originalityWad
    ) external;

    /// @notice Shares seed `seedIndex`'s passed-on amount among its funded children, once per
    /// seed, in any order of seeds. The last one marks the round Settled and fixes its dust.
    /// @param children The seed's children, distinct and non-zero (`DuplicateChild`, `ZeroNode`);
    /// their list order breaks weight ties. May be empty (the seed keeps its whole share). At
    /// most `MAX_CHILDREN`.
    /// @param weights w_c >= 0, one per child, any scale (the funded ones' sum must fit in 256
    /// bits).
    /// @param order The ranking: a permutation of the child indices (`OrderNotPermutation`),
    /// heaviest first, equal weights by lower index (`OrderNotSorted`): `rankChildren` in
    /// `src/graph.ts`. Checked in O(k). The first min(MAX_FUNDED_CHILDREN, k) are funded.
    function settleChildren(
        uint256 round,
        uint256 seedIndex,
        bytes32[] calldata children,
        uint256[] calldata weights,
        uint256[] calldata order
    ) external;

    // ------------------------------------------------------------------------------------------
    // Payouts and dust
    // ------------------------------------------------------------------------------------------

    /// @notice Pays everything owed to `node` to `REGISTRY.payoutOf(node)` (anyone may call).
    /// Reverts with `NothingOwed`, with the registry's error for an unknown node, and with
    /// `NoPayoutAddress` when the registry answers the zero address.
    function claim(bytes32 node) external returns (uint256 amount);

    /// @notice `claim` for several nodes; nodes owed nothing (already claimed, listed twice) are
    /// skipped, so a claim front-run by someone else does not sink the batch.
    /// @return total The sum paid.
    function claimMany(bytes32[] calldata nodes) external returns (uint256 total);

    /// @notice Moves a Settled round's dust into an Open round's pot (DEFAULT_ADMIN_ROLE), once
    /// (`NoDust` when there is none left).
    function rollDust(uint256 fromRound, uint256 toRound) external;

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @notice The pot's ERC-20.
    function TOKEN() external view returns (address);

    /// @notice Where node payouts go.
    function REGISTRY() external view returns (INodeRegistry);

    function potOf(uint256 round) external view returns (uint256);

    function roundInfo(uint256 round) external view returns (RoundInfo memory);

    /// @notice Seed `seedIndex` of a round (`SeedOutOfRange` past its seed count).
    function seedOf(uint256 round, uint256 seedIndex) external view returns (SeedInfo memory);

    /// @notice Unclaimed credits of `node`, over every round.
    function owed(bytes32 node) external view returns (uint256);

    /// @notice The sum of `owed` over all nodes.
    function totalOwed() external view returns (uint256);

    /// @notice A Settled round's dust not yet rolled out (0 otherwise).
    function dustOf(uint256 round) external view returns (uint256);

    /// @notice Tokens the contract accounts for: unsettled pots (less their credits), unclaimed
    /// credits and unrolled dust. `absorb` takes the balance beyond it.
    function totalAccounted() external view returns (uint256);
}
