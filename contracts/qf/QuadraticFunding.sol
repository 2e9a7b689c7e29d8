// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IQuadraticFunding} from "../interfaces/IQuadraticFunding.sol";
import {QFMath} from "../libraries/QFMath.sol";
import {TokenCalls} from "../libraries/TokenCalls.sol";

/// @title QuadraticFunding
/// @notice See `IQuadraticFunding` for the rule, the lifecycle and the token assumptions.
/// @dev Storage is laid out so that a contribution writes three slots (the contributor's total,
/// the gap's totals in the round, the round's totals), finalize writes three (the round's status,
/// its settlement record, the pool), and a claim writes two. Sums are kept in 120 or 128 bits;
/// amounts that would overflow them revert with `AmountTooLarge`.
contract QuadraticFunding is IQuadraticFunding, AccessControl, ReentrancyGuardTransient {
    // ------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------

    /// @dev One slot. Written by every contribution, by finalize and by cancel.
    struct RoundState {
        uint128 totalIdeal; // T, the running sum of the gaps' ideal matches
        uint48 contributions; // count of contributions in the round
        uint32 gapsFunded; // gaps with at least one contribution
        RoundStatus status;
        uint40 finalizedAt;
    }

    /// @dev One slot: everything a claim needs about its round. The round's first contribution
    /// sets `phase` to `_PHASE_OPEN` so that finalize and claims only update the slot, never create
    /// it. `phase` mirrors the round's status for claims (`_PHASE_CLAIMABLE` exactly while the
    /// status is Finalized) so that a claim need not read the round's state unless the budget
    /// was short of T (`scaled`), when the match needs T.
    struct RoundSettlement {
        uint8 phase;
        bool scaled; // T > budget: matches are floor(ideal * budget / T)
        uint120 budget; // snapshotted at finalize
        uint120 matchPaid; // matches paid by claims or swept back individually
    }

    /// @dev One slot: a gap's totals in a round. `closed` mirrors the registry's flag for the
    /// open round so that later contributions need not read the registry.
    struct GapTotals {
        uint120 direct; // C_g
        uint128 sumSqrt; // S_g, 1e18-scaled
        bool closed;
    }

    /// @dev One slot: who is paid for a gap in a round, and whether that happened.
    struct GapPayee {
        address beneficiary;
        bool settled;
    }

    /// @dev One slot: a contributor's running total for a gap in a round, with its root.
    struct ContributorTotal {
        uint128 amount;
        uint128 sqrtScaled;
    }

    /// @dev One slot per gap.
    struct GapEntry {
        address beneficiary;
        uint64 lastFundedRoundPlusOne; // 0 when never funded
        bool closed;
    }

    /// @dev One slot.
    struct PoolState {
        uint128 available; // pooled tokens not reserved by any round
        uint128 roundBudget; // configured per-round budget
    }

    // ------------------------------------------------------------------------------------------
    // Constants and immutables
    // ------------------------------------------------------------------------------------------

    uint8 private constant _PHASE_OPEN = 1;
    uint8 private constant _PHASE_CLAIMABLE = 2;
    uint8 private constant _PHASE_CLOSED = 3;

    /// @notice Finalizes ended rounds.
    bytes32 public constant KEEPER_ROLE = keccak256("KEEPER_ROLE");
    /// @notice Registers gaps and manages their beneficiaries.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @inheritdoc IQuadraticFunding
    address public immutable TOKEN;
    /// @inheritdoc IQuadraticFunding
    uint256 public immutable START;
    /// @inheritdoc IQuadraticFunding
    uint256 public immutable PERIOD;
    /// @inheritdoc IQuadraticFunding
    uint256 public immutable GRACE_PERIOD;

    // ------------------------------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------------------------------

    PoolState private _pool;
    uint256 private _gapCount;
    mapping(uint256 gapId => GapEntry) private _gaps;
    mapping(uint256 round => RoundState) private _rounds;
    mapping(uint256 round => RoundSettlement) private _settlements;
    mapping(uint256 round => mapping(uint256 gapId => GapTotals)) private _gapTotals;
    mapping(uint256 round => mapping(uint256 gapId => GapPayee)) private _payees;
    /// @dev Keyed by keccak256(round, gapId, contributor): one hash instead of three.
    mapping(bytes32 key => ContributorTotal) private _contributorTotals;

    // ------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------

    /// @param token The escrowed ERC-20.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param keeper Receives KEEPER_ROLE (zero: none yet).
    /// @param registrar Receives REGISTRAR_ROLE (zero: none yet).
    /// @param start First second of round 0 (zero: the deployment block's timestamp).
    /// @param period Round length in seconds (at least 60, at most 365 days).
    /// @param gracePeriod Seconds after finalize before unclaimed funds can be swept (1 day to
    /// 3650 days).
    /// @param initialRoundBudget The per-round budget.
    constructor(
        address token,
        address admin,
        address keeper,
        address registrar,
        uint256 start,
        uint256 period,
        uint256 gracePeriod,
        uint256 initialRoundBudget
    ) {
        if (token == address(0) || admin == address(0)) revert ZeroAddress();
        // TokenCalls relies on the token having code; it cannot lose it later.
        if (token.code.length == 0) revert BadConfig();
        // A grace period of at least a day: beneficiaries must have time to claim before anyone
        // can sweep their payout to the pool.
        if (period < 60 || period > 365 days) revert BadConfig();
        if (gracePeriod < 1 days || gracePeriod > 3650 days) revert BadConfig();
        if (start > type(uint40).max) revert BadConfig();
        if (initialRoundBudget > type(uint120).max) revert AmountTooLarge(initialRoundBudget);
        TOKEN = token;
        START = start == 0 ? block.timestamp : start;
        PERIOD = period;
        GRACE_PERIOD = gracePeriod;
        _pool.roundBudget = uint128(initialRoundBudget);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (keeper != address(0)) _grantRole(KEEPER_ROLE, keeper);
        if (registrar != address(0)) _grantRole(REGISTRAR_ROLE, registrar);
        emit RoundBudgetSet(initialRoundBudget);
    }

    // ------------------------------------------------------------------------------------------
    // Gap registry
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IQuadraticFunding
    function registerGap(
        address beneficiary,
        string calldata label
    ) external onlyRole(REGISTRAR_ROLE) returns (uint256 gapId) {
        _checkBeneficiary(beneficiary);
        gapId = ++_gapCount;
        _gaps[gapId].beneficiary = beneficiary;
        emit GapRegistered(gapId, beneficiary, label);
    }

    /// @inheritdoc IQuadraticFunding
    function setBeneficiary(uint256 gapId, address beneficiary) external onlyRole(REGISTRAR_ROLE) {
        _checkBeneficiary(beneficiary);
        GapEntry storage entry = _existingGap(gapId);
        address previous = entry.beneficiary;
        uint256 lastPlusOne = entry.lastFundedRoundPlusOne;
        if (lastPlusOne != 0) {
            uint256 last = lastPlusOne - 1;
            if (last < _currentRound()) {
                // The latest funded round has ended: it keeps its recorded beneficiary anyway,
                // and while it is unpaid we refuse the change so nobody believes otherwise.
                RoundStatus status = _rounds[last].status;
                bool payable_ = status == RoundStatus.Open || status == RoundStatus.Finalized;
                if (payable_ && !_payees[last][gapId].settled)
                    revert BeneficiaryLocked(gapId, last);
            } else {
                // The open round has not ended: the change applies to it too.
                _payees[last][gapId].beneficiary = beneficiary;
            }
        }
        entry.beneficiary = beneficiary;
        emit BeneficiaryChanged(gapId, previous, beneficiary);
    }

    /// @inheritdoc IQuadraticFunding
    function closeGap(uint256 gapId) external onlyRole(REGISTRAR_ROLE) {
        GapEntry storage entry = _existingGap(gapId);
        entry.closed = true;
        // Mirror the flag into the open round's totals, which contributions read instead.
        uint256 lastPlusOne = entry.lastFundedRoundPlusOne;
        if (lastPlusOne != 0 && lastPlusOne - 1 == _currentRound()) {
            _gapTotals[lastPlusOne - 1][gapId].closed = true;
        }
        emit GapClosed(gapId);
    }

    // ------------------------------------------------------------------------------------------
    // Contributions
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IQuadraticFunding
    function contribute(uint256 gapId, uint256 amount) external nonReentrant {
        _credit(_currentRound(), gapId, msg.sender, amount);
        _pull(msg.sender, amount);
    }

    /// @inheritdoc IQuadraticFunding
    function contributeBatch(
        uint256[] calldata gapIds,
        uint256[] calldata amounts
    ) external nonReentrant {
        uint256 n = gapIds.length;
        if (n == 0 || n != amounts.length) revert BadBatch(n, amounts.length);
        uint256 round = _currentRound();
        uint256 total;
        for (uint256 i; i < n; ++i) {
            _credit(round, gapIds[i], msg.sender, amounts[i]);
            // Each amount is below 2^120 (checked in _credit), so n of them cannot overflow.
            unchecked {
                total += amounts[i];
            }
        }
        _pull(msg.sender, total);
    }

    /// @inheritdoc IQuadraticFunding
    function contributeWithPermit(
        uint256 gapId,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        uint256 round = _currentRound();
        // A failed permit (front-run, replayed, expired) is fine if the allowance already covers
        // the amount; it never lets anyone spend more than the signer approved.
        try IERC20Permit(TOKEN).permit(msg.sender, address(this), amount, deadline, v, r, s) {
            // permit succeeded
        } catch {
            uint256 allowance = IERC20(TOKEN).allowance(msg.sender, address(this));
            if (allowance < amount) revert PermitRejected(msg.sender, amount, allowance);
        }
        _credit(round, gapId, msg.sender, amount);
        _pull(msg.sender, amount);
    }

    // ------------------------------------------------------------------------------------------
    // Matching pool
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IQuadraticFunding
    function fundPool(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 available = uint256(_pool.available) + amount;
        if (available > type(uint128).max) revert AmountTooLarge(amount);
        _pool.available = uint128(available);
        emit PoolFunded(msg.sender, amount, available);
        _pull(msg.sender, amount);
    }

    /// @inheritdoc IQuadraticFunding
    function setRoundBudget(uint256 budget) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (budget > type(uint120).max) revert AmountTooLarge(budget);
        _pool.roundBudget = uint128(budget);
        emit RoundBudgetSet(budget);
    }

    // ------------------------------------------------------------------------------------------
    // Round lifecycle
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IQuadraticFunding
    function finalize(uint256 round) external onlyRole(KEEPER_ROLE) {
        _requireEnded(round);
        RoundState storage state = _rounds[round];
        RoundStatus status = state.status;
        if (status != RoundStatus.Open) revert WrongRoundStatus(round, status);

        PoolState memory pool = _pool;
        uint256 budget = pool.roundBudget < pool.available ? pool.roundBudget : pool.available;
        uint256 totalIdeal = state.totalIdeal;
        uint256 taken = QFMath.reserved(totalIdeal, budget);
        // taken <= budget <= pool.available.
        unchecked {
            _pool.available = uint128(pool.available - taken);
        }
        state.status = RoundStatus.Finalized;
        state.finalizedAt = uint40(block.timestamp);
        // budget <= roundBudget < 2^120 (setRoundBudget and the constructor check it).
        _settlements[round] = RoundSettlement({
            phase: _PHASE_CLAIMABLE,
            scaled: totalIdeal > budget,
            budget: uint120(budget),
            matchPaid: 0
        });
        emit RoundFinalized(
            round,
            budget,
            totalIdeal,
            taken,
            QFMath.alphaWad(totalIdeal, budget),
            state.gapsFunded,
            state.contributions
        );
    }

    /// @inheritdoc IQuadraticFunding
    function cancelRound(uint256 round) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 current = _currentRound();
        if (round > current) revert RoundInFuture(round, current);
        RoundState storage state = _rounds[round];
        RoundStatus status = state.status;
        if (status != RoundStatus.Open) revert WrongRoundStatus(round, status);
        state.status = RoundStatus.Cancelled;
        emit RoundCancelled(round);
    }

    /// @inheritdoc IQuadraticFunding
    function claim(uint256 round, uint256 gapId) external nonReentrant {
        RoundSettlement storage settlement = _settlements[round];
        RoundSettlement memory round_ = settlement;
        if (round_.phase != _PHASE_CLAIMABLE) {
            revert WrongRoundStatus(round, _rounds[round].status);
        }
        GapTotals memory totals = _gapTotals[round][gapId];
        if (totals.direct == 0) revert NothingToClaim(round, gapId);
        GapPayee storage payee = _payees[round][gapId];
        if (payee.settled) revert AlreadySettled(round, gapId);

        uint256 matchAmount = QFMath.idealMatch(totals.sumSqrt, totals.direct);
        if (round_.scaled) {
            matchAmount = QFMath.matchFor(matchAmount, _rounds[round].totalIdeal, round_.budget);
        }
        address beneficiary = payee.beneficiary;
        payee.settled = true;
        // The matches of a round add up to at most its budget (< 2^120): floors only shrink them.
        unchecked {
            settlement.matchPaid += uint120(matchAmount);
        }
        emit Claimed(round, gapId, beneficiary, totals.direct, matchAmount);
        TokenCalls.transfer(TOKEN, beneficiary, totals.direct + matchAmount);
    }

    /// @inheritdoc IQuadraticFunding
    function refund(uint256 round, uint256 gapId) external nonReentrant {
        RoundStatus status = _rounds[round].status;
        if (status != RoundStatus.Cancelled) revert WrongRoundStatus(round, status);
        uint256 amount = _takeRefund(round, gapId);
        TokenCalls.transfer(TOKEN, msg.sender, amount);
    }

    /// @inheritdoc IQuadraticFunding
    function refundBatch(uint256 round, uint256[] calldata gapIds) external nonReentrant {
        RoundStatus status = _rounds[round].status;
        if (status != RoundStatus.Cancelled) revert WrongRoundStatus(round, status);
        if (gapIds.length == 0) revert BadBatch(0, 0);
        uint256 total;
        for (uint256 i; i < gapIds.length; ++i) {
            // Each refund is a contributor total below 2^128 and they were all escrowed, so the
            // sum is bounded by the token's supply.
            unchecked {
                total += _takeRefund(round, gapIds[i]);
            }
        }
        TokenCalls.transfer(TOKEN, msg.sender, total);
    }

    /// @inheritdoc IQuadraticFunding
    function sweepGap(uint256 round, uint256 gapId) external nonReentrant {
        RoundState storage state = _rounds[round];
        RoundStatus status = state.status;
        if (status != RoundStatus.Finalized && status != RoundStatus.Swept) {
            revert WrongRoundStatus(round, status);
        }
        _requireGraceOver(round, state.finalizedAt);
        GapTotals memory totals = _gapTotals[round][gapId];
        if (totals.direct == 0) revert NothingToClaim(round, gapId);
        GapPayee storage payee = _payees[round][gapId];
        if (payee.settled) revert AlreadySettled(round, gapId);
        payee.settled = true;

        uint256 amount = totals.direct;
        if (status == RoundStatus.Finalized) {
            // The round's matches are still reserved: this gap's share goes back with it.
            RoundSettlement storage settlement = _settlements[round];
            uint256 matchAmount = QFMath.matchFor(
                QFMath.idealMatch(totals.sumSqrt, totals.direct),
                state.totalIdeal,
                settlement.budget
            );
            // As in claim: matches of a round add up to at most its budget.
            unchecked {
                settlement.matchPaid += uint120(matchAmount);
            }
            amount += matchAmount;
        }
        _addToPool(amount);
        emit GapSwept(round, gapId, amount);
    }

    /// @inheritdoc IQuadraticFunding
    function sweepRound(uint256 round) external nonReentrant {
        RoundState storage state = _rounds[round];
        RoundStatus status = state.status;
        if (status != RoundStatus.Finalized) revert WrongRoundStatus(round, status);
        _requireGraceOver(round, state.finalizedAt);
        RoundSettlement memory settlement = _settlements[round];
        // matchPaid is a sum of floors of shares of the reserved amount, so it never exceeds it.
        uint256 amount = QFMath.reserved(state.totalIdeal, settlement.budget) -
            settlement.matchPaid;
        state.status = RoundStatus.Swept;
        _settlements[round].phase = _PHASE_CLOSED;
        _addToPool(amount);
        emit RoundSwept(round, amount);
    }

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IQuadraticFunding
    function currentRound() external view returns (uint256) {
        return _currentRound();
    }

    /// @inheritdoc IQuadraticFunding
    function matchingPool() external view returns (uint256) {
        return _pool.available;
    }

    /// @inheritdoc IQuadraticFunding
    function roundBudget() external view returns (uint256) {
        return _pool.roundBudget;
    }

    /// @inheritdoc IQuadraticFunding
    function gapCount() external view returns (uint256) {
        return _gapCount;
    }

    /// @inheritdoc IQuadraticFunding
    function gap(
        uint256 gapId
    )
        external
        view
        returns (address beneficiary, bool closed, uint256 lastFundedRound, bool funded)
    {
        GapEntry memory entry = _gaps[gapId];
        funded = entry.lastFundedRoundPlusOne != 0;
        return (
            entry.beneficiary,
            entry.closed,
            funded ? entry.lastFundedRoundPlusOne - 1 : 0,
            funded
        );
    }

    /// @inheritdoc IQuadraticFunding
    function roundInfo(uint256 round) external view returns (RoundInfo memory info) {
        RoundState memory state = _rounds[round];
        RoundSettlement memory settlement = _settlements[round];
        info.start = START + round * PERIOD;
        info.end = info.start + PERIOD;
        info.status = state.status;
        info.contributions = state.contributions;
        info.gapsFunded = state.gapsFunded;
        info.totalIdeal = state.totalIdeal;
        info.finalizedAt = state.finalizedAt;
        if (state.status == RoundStatus.Finalized || state.status == RoundStatus.Swept) {
            info.budget = settlement.budget;
            info.reserved = QFMath.reserved(state.totalIdeal, settlement.budget);
            info.matchPaid = settlement.matchPaid;
            info.alphaWad = QFMath.alphaWad(state.totalIdeal, settlement.budget);
        }
    }

    /// @inheritdoc IQuadraticFunding
    function gapRoundInfo(
        uint256 round,
        uint256 gapId
    ) external view returns (GapRoundInfo memory info) {
        GapTotals memory totals = _gapTotals[round][gapId];
        GapPayee memory payee = _payees[round][gapId];
        RoundState memory state = _rounds[round];
        info.direct = totals.direct;
        info.sumSqrt = totals.sumSqrt;
        info.idealMatch = QFMath.idealMatch(totals.sumSqrt, totals.direct);
        info.beneficiary = payee.beneficiary;
        info.settled = payee.settled;
        if (state.status == RoundStatus.Finalized || state.status == RoundStatus.Swept) {
            info.matchAmount = QFMath.matchFor(
                info.idealMatch,
                state.totalIdeal,
                _settlements[round].budget
            );
        } else if (state.status == RoundStatus.Open) {
            // A projection: what finalize would give with today's pool and budget.
            PoolState memory pool = _pool;
            uint256 budget = pool.roundBudget < pool.available ? pool.roundBudget : pool.available;
            info.matchAmount = QFMath.matchFor(info.idealMatch, state.totalIdeal, budget);
        }
    }

    /// @inheritdoc IQuadraticFunding
    function contributionOf(
        uint256 round,
        uint256 gapId,
        address contributor
    ) external view returns (uint256 amount, uint256 sqrtScaled) {
        ContributorTotal memory total = _contributorTotals[
            _contributorKey(round, gapId, contributor)
        ];
        return (total.amount, total.sqrtScaled);
    }

    // ------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------

    /// @dev Books `amount` from `contributor` to `gapId` in `round`, updating the running sums:
    /// S_g by the change of the contributor's root, C_g by the amount, T by the change of the
    /// gap's ideal match. Tokens are pulled by the caller afterwards.
    function _credit(uint256 round, uint256 gapId, address contributor, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint120).max) revert AmountTooLarge(amount);
        RoundState storage state = _rounds[round];
        RoundState memory roundState = state;
        if (roundState.status != RoundStatus.Open)
            revert WrongRoundStatus(round, roundState.status);
        GapTotals storage totals = _gapTotals[round][gapId];
        GapTotals memory gapBefore = totals;
        address beneficiary;
        if (gapBefore.direct == 0) {
            // The gap's first contribution this round: check the registry.
            GapEntry memory entry = _gaps[gapId];
            if (entry.beneficiary == address(0)) revert UnknownGap(gapId);
            if (entry.closed) revert GapIsClosed(gapId);
            beneficiary = entry.beneficiary;
        } else if (gapBefore.closed) {
            // Funded earlier this round, so it exists; closeGap mirrored its flag here.
            revert GapIsClosed(gapId);
        }

        ContributorTotal storage mine = _contributorTotals[
            _contributorKey(round, gapId, contributor)
        ];
        ContributorTotal memory before = mine;

        uint256 newAmount = uint256(before.amount) + amount;
        uint256 newDirect = uint256(gapBefore.direct) + amount;
        // newAmount <= newDirect, so one check bounds both.
        if (newDirect > type(uint120).max) revert AmountTooLarge(amount);
        uint256 newRoot = QFMath.sqrtScaled(newAmount);
        // The root of a sum is at least the root of a part: newRoot >= before.sqrtScaled. S_g is
        // at most sqrt(n * C_g * 1e18) < 2^(48 + 120 + 60) / 2 < 2^128 (Cauchy-Schwarz).
        uint256 newSumSqrt;
        unchecked {
            newSumSqrt = uint256(gapBefore.sumSqrt) + (newRoot - before.sqrtScaled);
        }
        uint256 oldIdeal = QFMath.idealMatch(gapBefore.sumSqrt, gapBefore.direct);
        uint256 newIdeal = QFMath.idealMatch(newSumSqrt, newDirect);
        // T includes oldIdeal, so the subtraction cannot underflow.
        uint256 newTotalIdeal = uint256(roundState.totalIdeal) + newIdeal - oldIdeal;
        if (newTotalIdeal > type(uint128).max) revert AmountTooLarge(amount);

        // Narrowing casts below are bounded by the checks above: amounts < 2^120, roots < 2^128.
        mine.amount = uint128(newAmount);
        mine.sqrtScaled = uint128(newRoot);
        totals.direct = uint120(newDirect);
        totals.sumSqrt = uint128(newSumSqrt);

        // Checked arithmetic: more than 2^48 contributions or 2^32 gaps in a round revert.
        uint48 id = roundState.contributions + 1;
        if (gapBefore.direct == 0) {
            // First contribution to this gap in this round: record who will be paid for it.
            _payees[round][gapId].beneficiary = beneficiary;
            // round < 2^64 for the next 2^64 periods of at least a minute.
            _gaps[gapId].lastFundedRoundPlusOne = uint64(round + 1);
            state.gapsFunded = roundState.gapsFunded + 1;
            if (id == 1) _settlements[round].phase = _PHASE_OPEN;
        }
        state.totalIdeal = uint128(newTotalIdeal);
        state.contributions = id;
        emit Contributed(round, gapId, contributor, id, amount, block.timestamp);
    }

    /// @dev Pulls exactly `amount` from `from`; rejects tokens that deliver a different amount.
    function _pull(address from, uint256 amount) private {
        address token = TOKEN;
        uint256 balanceBefore = TokenCalls.selfBalance(token);
        TokenCalls.transferFrom(token, from, address(this), amount);
        uint256 balanceAfter = TokenCalls.selfBalance(token);
        uint256 received = balanceAfter > balanceBefore ? balanceAfter - balanceBefore : 0;
        if (received != amount) revert TokenDeliveredLess(amount, received);
    }

    /// @dev Zeroes and returns the caller's total for a gap in a cancelled round.
    function _takeRefund(uint256 round, uint256 gapId) private returns (uint256 amount) {
        ContributorTotal storage mine = _contributorTotals[
            _contributorKey(round, gapId, msg.sender)
        ];
        amount = mine.amount;
        if (amount == 0) revert NothingToRefund(round, gapId, msg.sender);
        delete _contributorTotals[_contributorKey(round, gapId, msg.sender)];
        emit Refunded(round, gapId, msg.sender, amount);
    }

    function _contributorKey(
        uint256 round,
        uint256 gapId,
        address contributor
    ) private pure returns (bytes32 key) {
        // keccak256(abi.encode(round, gapId, contributor)) in scratch memory, without allocating.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, round)
            mstore(add(ptr, 0x20), gapId)
            mstore(add(ptr, 0x40), contributor)
            key := keccak256(ptr, 0x60)
        }
    }

    function _addToPool(uint256 amount) private {
        uint256 available = uint256(_pool.available) + amount;
        if (available > type(uint128).max) revert AmountTooLarge(amount);
        _pool.available = uint128(available);
    }

    /// @dev Payouts to the escrow itself would be stuck and payouts to the token could revert.
    function _checkBeneficiary(address beneficiary) private view {
        if (beneficiary == address(0)) revert ZeroAddress();
        if (beneficiary == address(this) || beneficiary == TOKEN) {
            revert InvalidBeneficiary(beneficiary);
        }
    }

    function _existingGap(uint256 gapId) private view returns (GapEntry storage entry) {
        entry = _gaps[gapId];
        if (entry.beneficiary == address(0)) revert UnknownGap(gapId);
    }

    function _currentRound() private view returns (uint256) {
        if (block.timestamp < START) revert NotStarted(START);
        return (block.timestamp - START) / PERIOD;
    }

    function _requireEnded(uint256 round) private view {
        uint256 current = _currentRound();
        if (round > current) revert RoundInFuture(round, current);
        if (round == current) revert RoundNotEnded(round, START + (round + 1) * PERIOD);
    }

    function _requireGraceOver(uint256 round, uint256 finalizedAt) private view {
        uint256 sweepableAt = finalizedAt + GRACE_PERIOD;
        if (block.timestamp < sweepableAt) revert GracePeriodActive(round, sweepableAt);
    }
}
