// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IFundingPot} from "../interfaces/IFundingPot.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {DistributionMath} from "../libraries/DistributionMath.sol";
import {TokenCalls} from "../libraries/TokenCalls.sol";

/// @title FundingPot
/// @notice See `IFundingPot` for the distribution rule, the lifecycle and the token assumptions.
/// @dev A round is three slots: (pot, distributed), (dust, counts, status, dustRolled) and a
/// bitmap of the seeds whose children are settled (`MAX_SEEDS` <= 256). A seed is two
/// slots: its node id and (kept, passed). Pots are kept in 128 bits; a pot that would exceed
/// them reverts with SafeCast's error. Every amount credited in a round is at most its pot, so
/// the per-round sums fit too.
contract FundingPot is IFundingPot, AccessControl, ReentrancyGuardTransient {
    // ------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------

    struct Round {
        uint128 pot;
        uint128 distributed;
        uint128 dust;
        uint16 seedCount;
        uint16 seedsLeft;
        RoundStatus status;
        bool dustRolled;
        uint256 settledMask; // bit i: seed i's children are settled
    }

    struct Seed {
        bytes32 node;
        uint128 kept;
        uint128 passed;
    }

    // ------------------------------------------------------------------------------------------
    // Constants and immutables
    // ------------------------------------------------------------------------------------------

    /// @notice Settles rounds.
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");

    /// @notice At most this many children of a seed are funded (the heaviest).
    uint256 public constant MAX_FUNDED_CHILDREN = 128;
    /// @notice Seeds per round, so that `beginSettlement` stays well below the per-transaction
    /// gas cap of EIP-7825 (2^24) even when every seed is credited for the first time.
    uint256 public constant MAX_SEEDS = 128;
    /// @notice Children per `settleChildren` call (all are ranked; at most 128 are paid).
    uint256 public constant MAX_CHILDREN = 1024;

    /// @dev Transient counter: each `settleChildren` call marks its children under a fresh
    /// value, so marks never need clearing and never leak into a later call of the transaction.
    bytes32 private constant _SEEN_NONCE_SLOT = keccak256("FundingPot.seenNonce");

    /// @inheritdoc IFundingPot
    address public immutable TOKEN;
    /// @inheritdoc IFundingPot
    INodeRegistry public immutable REGISTRY;

    // ------------------------------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------------------------------

    mapping(uint256 round => Round) private _rounds;
    mapping(uint256 round => mapping(uint256 seedIndex => Seed)) private _seeds;
    mapping(bytes32 node => uint256 amount) private _owed;
    uint256 private _totalOwed;
    /// @dev Unsettled pots less their credits + _totalOwed + unrolled dust.
    uint256 private _accounted;

    // ------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------

    /// @param token The pots' ERC-20 (must have code).
    /// @param registry Node payout addresses (must have code).
    /// @param admin Holds DEFAULT_ADMIN_ROLE.
    /// @param settler Holds SETTLER_ROLE (zero: nobody yet).
    constructor(address token, INodeRegistry registry, address admin, address settler) {
        if (admin == address(0)) revert ZeroAddress();
        // TokenCalls relies on the token having code; it cannot lose it later.
        if (token.code.length == 0) revert NoCode(token);
        if (address(registry).code.length == 0) revert NoCode(address(registry));
        TOKEN = token;
        REGISTRY = registry;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (settler != address(0)) _grantRole(SETTLER_ROLE, settler);
    }

    // ------------------------------------------------------------------------------------------
    // Funding
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IFundingPot
    function fund(uint256 round, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Round storage r = _openRound(round);
        r.pot = SafeCast.toUint128(r.pot + amount);
        _accounted += amount;
        emit Funded(round, msg.sender, amount);
        _pull(amount);
    }

    /// @inheritdoc IFundingPot
    function absorb(uint256 round) external nonReentrant returns (uint256 amount) {
        Round storage r = _openRound(round);
        uint256 balance = TokenCalls.selfBalance(TOKEN);
        uint256 accounted = _accounted;
        if (balance <= accounted) revert NothingToAbsorb(balance, accounted);
        // balance > accounted, checked above.
        unchecked {
            amount = balance - accounted;
        }
        r.pot = SafeCast.toUint128(r.pot + amount);
        _accounted = balance;
        emit Absorbed(round, msg.sender, amount);
    }

    // ------------------------------------------------------------------------------------------
    // Settlement
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IFundingPot
    function beginSettlement(
        uint256 round,
        bytes32[] calldata seeds,
        uint256[] calldata seedWeights,
        uint256[] calldata originalityWad
    ) external onlyRole(SETTLER_ROLE) {
        Round storage r = _openRound(round);
        uint256 n = seeds.length;
        if (seedWeights.length != n) revert LengthMismatch(n, seedWeights.length);
        if (originalityWad.length != n) revert LengthMismatch(n, originalityWad.length);
        if (n > MAX_SEEDS) revert TooManySeeds(n, MAX_SEEDS);

        uint256 totalWeight;
        bytes32 previous; // zero, so the first id must be non-zero
        for (uint256 i; i < n; ++i) {
            bytes32 node = seeds[i];
            if (node <= previous) revert SeedsNotIncreasing(i, node);
            if (originalityWad[i] > DistributionMath.WAD) {
                revert OriginalityTooHigh(i, originalityWad[i]);
            }
            totalWeight += seedWeights[i];
            previous = node;
        }
        if (totalWeight == 0) revert ZeroTotalWeight();

        uint256 pot = r.pot;
        emit SettlementBegun(round, pot, n, totalWeight);
        uint256 keptTotal;
        mapping(uint256 => Seed) storage seedsOfRound = _seeds[round];
        for (uint256 i; i < n; ++i) {
            bytes32 node = seeds[i];
            // Both round down: the shares sum to at most the pot, a seed keeps at most its share.
            uint256 share = DistributionMath.seedShare(pot, seedWeights[i], totalWeight);
            uint256 kept = DistributionMath.keptOf(share, originalityWad[i]);
            // kept <= share <= pot < 2^128 (originality <= 1e18, weight <= totalWeight).
            uint256 passed;
            unchecked {
                passed = share - kept;
                keptTotal += kept;
            }
            seedsOfRound[i] = Seed({node: node, kept: uint128(kept), passed: uint128(passed)});
            emit SeedShared(round, i, node, share, kept, passed);
            _credit(round, node, kept);
        }
        r.status = RoundStatus.Settling;
        // n <= MAX_SEEDS fits 16 bits; keptTotal <= sum of shares <= pot < 2^128.
        r.seedCount = uint16(n);
        r.seedsLeft = uint16(n);
        r.distributed = uint128(keptTotal);
        _totalOwed += keptTotal;
    }

    /// @inheritdoc IFundingPot
    function settleChildren(
        uint256 round,
        uint256 seedIndex,
        bytes32[] calldata children,
        uint256[] calldata weights,
        uint256[] calldata order
    ) external onlyRole(SETTLER_ROLE) {
        Round storage r = _rounds[round];
        if (r.status != RoundStatus.Settling) revert WrongRoundStatus(round, r.status);
        uint256 seedCount = r.seedCount;
        if (seedIndex >= seedCount) revert SeedOutOfRange(round, seedIndex, seedCount);
        uint256 bit = 1 << seedIndex;
        uint256 mask = r.settledMask;
        if (mask & bit != 0) revert SeedAlreadySettled(round, seedIndex);
        uint256 k = children.length;
        if (weights.length != k) revert LengthMismatch(k, weights.length);
        if (order.length != k) revert LengthMismatch(k, order.length);
        if (k > MAX_CHILDREN) revert TooManyChildren(k, MAX_CHILDREN);
        (uint256 funded, uint256 fundedWeight) = DistributionMath.fundedWeightOf(
            weights,
            order,
            MAX_FUNDED_CHILDREN
        );
        _checkDistinct(children);

        Seed storage s = _seeds[round][seedIndex];
        bytes32 seed = s.node;
        uint256 passed = s.passed;
        uint256 paid;
        if (fundedWeight == 0) {
            // Nothing funded (no children, or all weigh 0): the seed keeps its whole share.
            paid = passed;
            _credit(round, seed, passed);
        } else {
            for (uint256 p; p < funded; ++p) {
                uint256 index = order[p];
                // Rounds down: the funded weights sum to fundedWeight, so the children together
                // get at most `passed`; the rest is dust.
                uint256 amount = DistributionMath.childShare(passed, weights[index], fundedWeight);
                // paid <= passed < 2^128 (the floors sum to at most passed).
                unchecked {
                    paid += amount;
                }
                _credit(round, children[index], amount);
            }
        }

        r.settledMask = mask | bit;
        // distributed + paid <= pot < 2^128: the shares of the seeds sum to at most the pot.
        uint256 distributed = r.distributed + paid;
        r.distributed = uint128(distributed);
        uint256 left = r.seedsLeft - 1; // > 0: this seed was not settled yet
        r.seedsLeft = uint16(left);
        _totalOwed += paid;
        emit ChildrenSettled(round, seedIndex, seed, funded, fundedWeight, paid);
        if (left == 0) {
            uint256 dust = r.pot - distributed;
            r.status = RoundStatus.Settled;
            r.dust = uint128(dust);
            emit RoundSettled(round, distributed, dust);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Payouts and dust
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IFundingPot
    function claim(bytes32 node) external nonReentrant returns (uint256 amount) {
        amount = _owed[node];
        if (amount == 0) revert NothingOwed(node);
        _pay(node, amount);
    }

    /// @inheritdoc IFundingPot
    function claimMany(bytes32[] calldata nodes) external nonReentrant returns (uint256 total) {
        for (uint256 i; i < nodes.length; ++i) {
            uint256 amount = _owed[nodes[i]];
            if (amount == 0) continue;
            total += amount;
            _pay(nodes[i], amount);
        }
    }

    /// @inheritdoc IFundingPot
    function rollDust(
        uint256 fromRound,
        uint256 toRound
    ) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        Round storage from = _rounds[fromRound];
        if (from.status != RoundStatus.Settled) revert WrongRoundStatus(fromRound, from.status);
        uint256 dust = from.dustRolled ? 0 : from.dust;
        if (dust == 0) revert NoDust(fromRound);
        // toRound is Open, so it differs from fromRound.
        Round storage to = _openRound(toRound);
        from.dustRolled = true;
        to.pot = SafeCast.toUint128(to.pot + dust);
        emit DustRolled(fromRound, toRound, dust);
    }

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IFundingPot
    function potOf(uint256 round) external view returns (uint256) {
        return _rounds[round].pot;
    }

    /// @inheritdoc IFundingPot
    function roundInfo(uint256 round) external view returns (RoundInfo memory info) {
        Round storage r = _rounds[round];
        info = RoundInfo({
            status: r.status,
            pot: r.pot,
            distributed: r.distributed,
            dust: r.dust,
            dustRolled: r.dustRolled,
            seedCount: r.seedCount,
            seedsLeft: r.seedsLeft
        });
    }

    /// @inheritdoc IFundingPot
    function seedOf(uint256 round, uint256 seedIndex) external view returns (SeedInfo memory) {
        Round storage r = _rounds[round];
        if (seedIndex >= r.seedCount) revert SeedOutOfRange(round, seedIndex, r.seedCount);
        Seed storage s = _seeds[round][seedIndex];
        return
            SeedInfo({
                node: s.node,
                share: uint256(s.kept) + s.passed,
                kept: s.kept,
                passed: s.passed,
                childrenSettled: r.settledMask & (1 << seedIndex) != 0
            });
    }

    /// @inheritdoc IFundingPot
    function owed(bytes32 node) external view returns (uint256) {
        return _owed[node];
    }

    /// @inheritdoc IFundingPot
    function totalOwed() external view returns (uint256) {
        return _totalOwed;
    }

    /// @inheritdoc IFundingPot
    function dustOf(uint256 round) external view returns (uint256) {
        Round storage r = _rounds[round];
        return r.status == RoundStatus.Settled && !r.dustRolled ? r.dust : 0;
    }

    /// @inheritdoc IFundingPot
    function totalAccounted() external view returns (uint256) {
        return _accounted;
    }

    // ------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------

    function _openRound(uint256 round) private view returns (Round storage r) {
        r = _rounds[round];
        if (r.status != RoundStatus.Open) revert WrongRoundStatus(round, r.status);
    }

    /// @dev Adds a positive amount to a node's balance (the caller adds it to _totalOwed).
    function _credit(uint256 round, bytes32 node, uint256 amount) private {
        if (amount == 0) return;
        _owed[node] += amount;
        emit Credited(round, node, amount);
    }

    /// @dev Rejects a zero or repeated child id in O(k): each id is marked in transient storage
    /// under this call's nonce. A revert undoes the marks; a success leaves them under a nonce
    /// no later call uses.
    function _checkDistinct(bytes32[] calldata children) private {
        bytes32 nonceSlot = _SEEN_NONCE_SLOT;
        uint256 nonce;
        assembly ("memory-safe") {
            nonce := add(tload(nonceSlot), 1)
            tstore(nonceSlot, nonce)
        }
        for (uint256 i; i < children.length; ++i) {
            bytes32 child = children[i];
            if (child == bytes32(0)) revert ZeroNode(i);
            bool duplicate;
            assembly ("memory-safe") {
                mstore(0x00, child)
                mstore(0x20, nonce)
                let slot := keccak256(0x00, 0x40)
                duplicate := tload(slot)
                tstore(slot, 1)
            }
            if (duplicate) revert DuplicateChild(i, child);
        }
    }

    /// @dev Effects, event, then the transfer. The registry is read first: it is a view
    /// (STATICCALL), so it cannot change state.
    function _pay(bytes32 node, uint256 amount) private {
        address payout = REGISTRY.payoutOf(node);
        if (payout == address(0)) revert NoPayoutAddress(node);
        _owed[node] = 0;
        _totalOwed -= amount;
        _accounted -= amount;
        emit Claimed(node, payout, amount);
        TokenCalls.transfer(TOKEN, payout, amount);
    }

    function _pull(uint256 amount) private {
        uint256 received = TokenCalls.pull(TOKEN, msg.sender, amount);
        if (received != amount) revert DeliveredLess(amount, received);
    }
}
