// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IJury} from "../../contracts/interfaces/IJury.sol";
import {JuryMath} from "../../contracts/libraries/JuryMath.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {TestHelpers} from "./Vm.sol";

/// @notice Drives a `Jury` through its evaluation state machine with bounded random actions for
/// the invariant tests: six staking jurors, score evaluations (panel 3, minStake > 0, fee > 0)
/// and triangle evaluations (items 3, panel 3 to 5), at most `MAX_EVALS` of them.
/// @dev Every action is sent whether or not it should succeed; the handler first works out, from
/// its own ghost model (statuses, windows, ballots, stakes, owed amounts, the fund), which error
/// the call must raise, or that it must succeed, and counts every deviation: a valid call that
/// reverted (`unexpectedReverts`), an invalid one that succeeded (`wrongSuccesses`), the wrong
/// error (`wrongErrors`), state that differs from the model (`mismatches`). Also counted: a
/// successful reveal of anything but the committed value and salt (`revealViolations`), and a
/// successful resolve before the reveal window closed (`earlyResolves`). The invariants require
/// all of them to stay 0.
/// Time and block number live here and are re-applied at every action, so nothing depends on
/// whether the fuzzer carries `vm.warp` / `vm.roll` from one call to the next.
/// Functions here must not start with `test` or `invariant` (this contract is not a suite).
contract JuryHandler is TestHelpers {
    struct EvalGhost {
        bool triangle;
        IJury.Status status;
        uint8 panelSize;
        uint32 commitDuration;
        uint32 revealDuration;
        uint128 minStake;
        uint128 fee;
        uint128 feeFromFund;
        uint64 drawBlock;
        uint64 commitEnd;
        uint64 revealEnd;
        uint256 reveals;
        uint256 resolvedCount;
        uint256 failedCount;
        uint256 resolvedAt;
        address[] panel;
    }

    struct BallotGhost {
        uint8 state; // 0: not on the panel, 1: on it, 2: committed, 3: revealed
        bytes4 invalid; // the error revealing the committed value must raise (0: valid)
        bytes value; // abi.encode(scoreWad) or abi.encode(Comparison[])
        bytes32 salt;
        uint256 locked; // stake locked for the evaluation at the draw
    }

    uint256 public constant N_JURORS = 6;
    uint256 public constant MAX_EVALS = 8;
    uint256 public constant INITIAL_STAKE = 100e18;
    address public constant STRANGER = address(0xBAD);

    uint8 private constant _ON_PANEL = 1;
    uint8 private constant _COMMITTED = 2;
    uint8 private constant _REVEALED = 3;

    uint8 private constant _WANT_PENDING = 0;
    uint8 private constant _WANT_COMMIT = 1;
    uint8 private constant _WANT_REVEAL = 2;
    uint8 private constant _WANT_CLOSED = 3;
    uint8 private constant _WANT_COMMITTED = 4;
    uint8 private constant _WANT_OPEN = 5;

    TestToken public immutable token;
    IJury public jury;

    address[] internal _jurors;
    EvalGhost[] internal _evals;
    mapping(uint256 evaluationId => mapping(address juror => BallotGhost)) internal _ballots;

    uint256 public currentTime;
    uint256 public currentBlock;

    // --- ghost accounting ---
    mapping(address juror => bool) public ghostRegistered;
    mapping(address juror => uint256) public ghostStaked;
    mapping(address juror => uint256) public ghostLocked;
    mapping(address juror => uint256) public ghostRegisteredAt;
    /// Each juror's stake after every change, with the block of the change.
    mapping(address juror => uint256[]) internal _stakeBlocks;
    mapping(address juror => uint256[]) internal _stakeValues;
    mapping(address account => uint256) public ghostOwed;
    uint256 public ghostFund;

    // --- failures (the invariants require 0) ---
    uint256 public unexpectedReverts;
    uint256 public wrongSuccesses;
    uint256 public wrongErrors;
    uint256 public mismatches;
    uint256 public revealViolations;
    uint256 public earlyResolves;
    string public lastFailure;
    bytes public lastRevert;

    // --- call statistics ---
    mapping(bytes32 action => uint256) public calls;

    constructor(TestToken token_) {
        token = token_;
        currentTime = 1_700_000_000;
        currentBlock = 1_000;
    }

    /// Called once by the suite's setUp, after the jury is deployed with this handler as admin
    /// and evaluator: registers the jurors, stakes for them and funds the jury.
    function initialize(IJury jury_, address[] calldata jurors_) external {
        require(address(jury) == address(0), "initialized");
        jury = jury_;
        _useClock();
        for (uint256 i; i < jurors_.length; ++i) {
            address juror = jurors_[i];
            _jurors.push(juror);
            jury_.addJuror(juror);
            ghostRegistered[juror] = true;
            ghostRegisteredAt[juror] = currentBlock;
            token.mint(juror, INITIAL_STAKE);
            vm.prank(juror);
            token.approve(address(jury_), type(uint256).max);
            vm.prank(juror);
            jury_.stake(INITIAL_STAKE);
            _setStaked(juror, INITIAL_STAKE);
            ghostStaked[juror] = INITIAL_STAKE;
        }
        token.approve(address(jury_), type(uint256).max);
        token.mint(address(this), 50e18);
        jury_.fundJury(50e18);
        ghostFund = 50e18;
    }

    // ------------------------------------------------------------------------------------------
    // Views for the invariants
    // ------------------------------------------------------------------------------------------

    function jurorList() external view returns (address[] memory) {
        return _jurors;
    }

    function evalCount() external view returns (uint256) {
        return _evals.length;
    }

    function evalGhost(uint256 id) external view returns (EvalGhost memory) {
        return _evals[id];
    }

    // ------------------------------------------------------------------------------------------
    // Actions
    // ------------------------------------------------------------------------------------------

    /// Creates a score evaluation (panel 3, minStake and fee > 0) or a triangle evaluation
    /// (panel 3 to 5, minStake and fee possibly 0), sometimes paid partly from the fund.
    function create(
        uint256 kindSeed,
        uint256 stakeSeed,
        uint256 feeSeed,
        uint256 durSeed
    ) external {
        _useClock();
        calls["create"]++;
        (kindSeed, stakeSeed, feeSeed, durSeed) = (
            _mix(kindSeed),
            _mix(stakeSeed),
            _mix(feeSeed),
            _mix(durSeed)
        );
        if (_evals.length >= MAX_EVALS) return;
        // With two evaluations under way, mostly let them run their course.
        if (_liveCount() >= 2 && (kindSeed >> 128) % 3 != 0) return;
        bool tri = kindSeed % 2 == 1;
        IJury.EvaluationParams memory p;
        p.kind = tri ? IJury.Kind.Pairwise : IJury.Kind.Score;
        p.items = tri ? 3 : 0;
        p.triangle = tri;
        p.panelSize = tri ? uint8(3 + ((kindSeed >> 8) % 3)) : 3;
        p.commitDuration = uint32(bound(durSeed % 2 ** 64, 1 hours, 1 days));
        p.revealDuration = uint32(bound(durSeed >> 128, 1 hours, 1 days));
        uint256 minStake = bound(stakeSeed % 2 ** 128, 1e18, 20e18);
        if (tri && (stakeSeed >> 200) % 3 == 0) minStake = 0;
        p.minStake = uint128(minStake);
        uint256 fee = bound(feeSeed % 2 ** 64, tri ? 0 : 1, 10e18);
        p.fee = uint128(fee);
        uint256 fromFund;
        if ((feeSeed >> 250) % 2 == 0) {
            uint256 most = ghostFund < 5e18 ? ghostFund : 5e18;
            fromFund = bound(feeSeed >> 64, 0, most);
        }
        p.feeFromFund = uint128(fromFund);
        if (fee > 0) token.mint(address(this), fee);

        uint256 expectedId = _evals.length;
        (bool ok, bytes memory ret) = _call(
            address(0),
            abi.encodeCall(IJury.createEvaluation, (p))
        );
        if (!_outcome("create", ok, ret, bytes4(0))) return;
        calls["create.ok"]++;
        if (abi.decode(ret, (uint256)) != expectedId) _mismatch("evaluation id");
        ghostFund -= fromFund;
        EvalGhost storage g = _evals.push();
        g.triangle = tri;
        g.status = IJury.Status.Pending;
        g.panelSize = p.panelSize;
        g.commitDuration = p.commitDuration;
        g.revealDuration = p.revealDuration;
        g.minStake = p.minStake;
        g.fee = p.fee;
        g.feeFromFund = p.feeFromFund;
        g.drawBlock = uint64(currentBlock + 1);
        if (jury.evaluation(expectedId).drawBlock != g.drawBlock) _mismatch("drawBlock");
    }

    /// Rolls 0 to 3 blocks, or (1 in 8) to 255, 256 or 257 blocks after the draw block (the
    /// edge of the blockhash horizon: the last is rescheduled), and draws a panel.
    function draw(uint256 idSeed, uint256 blocks) external {
        _useClock();
        calls["draw"]++;
        (bool found, uint256 id) = _findEval(idSeed, _WANT_PENDING);
        if (!found) return;
        EvalGhost storage g = _evals[id];
        uint256 drawBlock = g.drawBlock;
        blocks = _mix(blocks);
        if (blocks % 8 == 0) {
            uint256 late = drawBlock + 255 + ((blocks >> 8) % 3);
            if (late > currentBlock) currentBlock = late;
        } else {
            currentBlock += (blocks >> 8) % 4;
        }
        _useClock();
        bool hashAvailable = drawBlock < currentBlock && currentBlock - drawBlock <= 256;
        if (hashAvailable) vm.setBlockhash(drawBlock, keccak256(abi.encode(drawBlock, idSeed)));

        bytes4 expected;
        bool reschedule;
        if (g.status != IJury.Status.Pending) expected = IJury.WrongStatus.selector;
        else if (currentBlock <= drawBlock) expected = IJury.DrawTooEarly.selector;
        else if (!hashAvailable) reschedule = true;
        else if (_eligibleCount(g.minStake, drawBlock) < g.panelSize) {
            expected = IJury.NotEnoughJurors.selector;
        }
        (bool ok, bytes memory ret) = _call(address(0), abi.encodeCall(IJury.drawPanel, (id)));
        if (!_outcome("draw", ok, ret, expected)) return;
        if (reschedule) {
            calls["draw.rescheduled"]++;
            g.drawBlock = uint64(currentBlock);
            IJury.EvaluationView memory r = jury.evaluation(id);
            if (r.status != IJury.Status.Pending || r.drawBlock != currentBlock) {
                _mismatch("reschedule");
            }
            return;
        }
        calls["draw.ok"]++;
        address[] memory panel = jury.panelOf(id);
        if (panel.length != g.panelSize) _mismatch("panel size");
        for (uint256 i; i < panel.length; ++i) {
            address juror = panel[i];
            if (!_eligible(juror, g.minStake, drawBlock)) _mismatch("ineligible juror drawn");
            for (uint256 k; k < i; ++k) if (panel[k] == juror) _mismatch("juror drawn twice");
            uint256 free = ghostStaked[juror] - ghostLocked[juror];
            uint256 lock = free < g.minStake ? free : g.minStake;
            ghostLocked[juror] += lock;
            _ballots[id][juror].locked = lock;
            _ballots[id][juror].state = _ON_PANEL;
            g.panel.push(juror);
        }
        g.status = IJury.Status.Drawn;
        g.commitEnd = uint64(currentTime + g.commitDuration);
        g.revealEnd = g.commitEnd + g.revealDuration;
        IJury.EvaluationView memory v = jury.evaluation(id);
        if (v.commitEnd != g.commitEnd || v.revealEnd != g.revealEnd) _mismatch("windows");
    }

    /// One to three jurors (usually panel members who have not committed yet) commit values the
    /// ghost remembers: a score (1 in 8 out of range) or three triangle comparisons (1 in 8
    /// invalid).
    function commit(uint256 idSeed, uint256 jurorSeed, uint256 valueSeed) external {
        _useClock();
        calls["commit"]++;
        (bool found, uint256 id) = _findEval(idSeed, _WANT_COMMIT);
        if (!found) return;
        uint256 count = 1 + (_mix(idSeed) % 3);
        for (uint256 k; k < count; ++k) {
            _commitOne(id, _derive(jurorSeed, k), _derive(valueSeed, k));
        }
    }

    /// One to three jurors (usually ones who committed) reveal: two times in three the committed
    /// value and salt, otherwise a different value or a different salt, which must be refused.
    function reveal(uint256 idSeed, uint256 jurorSeed, uint256 how) external {
        _useClock();
        calls["reveal"]++;
        (bool found, uint256 id) = _findEval(idSeed, _WANT_REVEAL);
        if (!found) return;
        if (!_wanted(id, _WANT_REVEAL) && _mix(idSeed) % 2 == 0) {
            // Nothing open for reveals: half the time, wait for the first second of the reveal
            // window of an evaluation with commitments.
            (bool waiting, uint256 w) = _firstWanted(_mix(idSeed), _WANT_COMMITTED);
            if (waiting) {
                id = w;
                _warpTo(_evals[w].commitEnd);
            }
        }
        uint256 count = 1 + ((_mix(idSeed) >> 8) % 3);
        for (uint256 k; k < count; ++k) {
            _revealOne(id, _derive(jurorSeed, k), _derive(how, k));
        }
    }

    /// Moves time: (1 in 4) a random step of up to 12 hours, otherwise to the earliest window
    /// boundary ahead (a commit end or a reveal end of a drawn evaluation), or (1 in 4) to one
    /// second before it, so that every window is visited and its last second too.
    function warp(uint256 seed) external {
        _useClock();
        calls["warp"]++;
        seed = _mix(seed);
        uint256 target = currentTime + bound(seed >> 8, 1, 12 hours);
        uint256 mode = seed % 4;
        if (mode != 0) {
            uint256 next = type(uint256).max;
            for (uint256 i; i < _evals.length; ++i) {
                EvalGhost storage g = _evals[i];
                if (g.status != IJury.Status.Drawn) continue;
                if (g.commitEnd > currentTime && g.commitEnd < next) next = g.commitEnd;
                if (g.revealEnd > currentTime && g.revealEnd < next) next = g.revealEnd;
            }
            if (next != type(uint256).max) {
                target = mode == 3 && next - 1 > currentTime ? next - 1 : next;
            }
        }
        currentTime = target;
        currentBlock += 1;
        _useClock();
    }

    /// Settles an evaluation (usually one past its reveal window): resolves it by its rule when
    /// someone revealed, marks it failed when nobody did. 1 in 8: the other call, and 1 in 8 of
    /// resolves use the other kind's rule, which must be refused.
    function resolve(uint256 idSeed, uint256 how) external {
        _useClock();
        (bool found, uint256 id) = _findEval(idSeed, _WANT_CLOSED);
        if (!found) return;
        how = _mix(how);
        if (!_wanted(id, _WANT_CLOSED) && (how >> 16) % 2 == 0) {
            // Nothing to settle: half the time, wait for the exact end of a reveal window in
            // which nothing is left to reveal.
            (bool waiting, uint256 w) = _firstWanted(how, _WANT_OPEN);
            if (waiting) {
                id = w;
                _warpTo(_evals[w].revealEnd);
            }
        }
        bool asFail = (_evals[id].reveals == 0) != (how % 8 == 0);
        if (asFail) _fail(id);
        else _resolve(id, (how >> 8) % 8 == 0);
    }

    /// Housekeeping, one of: withdraw what an account is owed, unstake (sometimes too much),
    /// stake, cancel an evaluation, remove or re-add a juror, fund the jury.
    function maintain(uint256 what, uint256 seed, uint256 amount) external {
        _useClock();
        what = _mix(what) % 8;
        seed = _mix(seed);
        if (what < 2) _withdraw(seed);
        else if (what < 4) _unstake(seed, amount);
        else if (what == 4) _stake(seed);
        else if (what == 5) _cancel(seed);
        else if (what == 6) _toggleJuror(seed);
        else _fundJury(seed);
    }

    // ------------------------------------------------------------------------------------------
    // Action steps
    // ------------------------------------------------------------------------------------------

    function _commitOne(uint256 id, uint256 jurorSeed, uint256 valueSeed) internal {
        address juror = _pickJuror(id, jurorSeed, _ON_PANEL);
        EvalGhost storage g = _evals[id];
        BallotGhost storage b = _ballots[id][juror];
        (bytes memory value, bytes4 invalid) = g.triangle
            ? _randomPairs(valueSeed)
            : _randomScore(valueSeed);
        bytes32 salt = keccak256(abi.encode("salt", valueSeed));
        bytes32 commitment = _commitmentOf(id, juror, g.triangle, value, salt);

        bytes4 expected;
        if (g.status != IJury.Status.Drawn) expected = IJury.WrongStatus.selector;
        else if (currentTime >= g.commitEnd) expected = IJury.CommitClosed.selector;
        else if (b.state == 0) expected = IJury.NotOnPanel.selector;
        else if (b.state != _ON_PANEL) expected = IJury.AlreadyCommitted.selector;
        (bool ok, bytes memory ret) = _call(juror, abi.encodeCall(IJury.commit, (id, commitment)));
        if (!_outcome("commit", ok, ret, expected)) return;
        calls["commit.ok"]++;
        b.state = _COMMITTED;
        b.value = value;
        b.salt = salt;
        b.invalid = invalid;
    }

    function _revealOne(uint256 id, uint256 jurorSeed, uint256 how) internal {
        how = _mix(how);
        address juror = _pickJuror(id, jurorSeed, _COMMITTED);
        EvalGhost storage g = _evals[id];
        BallotGhost storage b = _ballots[id][juror];
        bytes memory value = b.value;
        bytes32 salt = b.salt;
        if (b.state < _COMMITTED) {
            (value, ) = g.triangle ? _randomPairs(how) : _randomScore(how);
            salt = keccak256(abi.encode("salt", how));
        }
        if (how % 3 == 0) {
            if ((how >> 8) % 2 == 0) {
                value = _otherValue(value, g.triangle);
                calls["reveal.otherValue"]++;
            } else {
                salt = bytes32(uint256(salt) ^ 1);
                calls["reveal.otherSalt"]++;
            }
        }
        bool differs = b.state < _COMMITTED ||
            keccak256(value) != keccak256(b.value) ||
            salt != b.salt;

        bytes4 expected;
        if (g.status != IJury.Status.Drawn) expected = IJury.WrongStatus.selector;
        else if (currentTime < g.commitEnd) expected = IJury.RevealNotOpen.selector;
        else if (currentTime >= g.revealEnd) expected = IJury.RevealClosed.selector;
        else if (b.state == 0) expected = IJury.NotOnPanel.selector;
        else if (b.state == _ON_PANEL) expected = IJury.NotCommitted.selector;
        else if (b.state == _REVEALED) expected = IJury.AlreadyRevealed.selector;
        else if (differs) expected = IJury.CommitmentMismatch.selector;
        else expected = b.invalid;

        bytes memory data = g.triangle
            ? abi.encodeCall(IJury.revealPairs, (id, abi.decode(value, (IJury.Comparison[])), salt))
            : abi.encodeCall(IJury.revealScore, (id, abi.decode(value, (uint256)), salt));
        (bool ok, bytes memory ret) = _call(juror, data);
        // Whatever the model expected: a reveal that went through must be the commitment.
        if (ok && differs) {
            revealViolations++;
            lastFailure = "a reveal that differs from the commitment succeeded";
        }
        if (!_outcome("reveal", ok, ret, expected)) return;
        calls["reveal.ok"]++;
        b.state = _REVEALED;
        g.reveals++;
    }

    /// Resolves by the evaluation's rule, or (`wrongKind`) by the other one. When it succeeds the
    /// result must be the aggregate of the committed values of the jurors who revealed.
    function _resolve(uint256 id, bool wrongKind) internal {
        calls["resolve"]++;
        EvalGhost storage g = _evals[id];
        bool asTriangle = g.triangle != wrongKind;

        bytes4 expected;
        if (g.status != IJury.Status.Drawn) expected = IJury.WrongStatus.selector;
        else if (currentTime < g.revealEnd) expected = IJury.RevealStillOpen.selector;
        else if (g.reveals == 0) expected = IJury.NoReveals.selector;
        else if (wrongKind) expected = IJury.WrongKind.selector;
        bytes memory data = asTriangle
            ? abi.encodeCall(IJury.resolveTriangle, (id))
            : abi.encodeCall(IJury.resolveScore, (id));
        (bool ok, bytes memory ret) = _call(address(0), data);
        if (ok) {
            g.resolvedCount++;
            g.resolvedAt = currentTime;
            if (currentTime < g.revealEnd) {
                earlyResolves++;
                lastFailure = "resolved before the reveal window closed";
            }
        }
        if (!_outcome("resolve", ok, ret, expected)) return;
        calls["resolve.ok"]++;
        g.status = IJury.Status.Resolved;

        uint256[] memory payouts = jury.resultOf(id);
        uint256[] memory want = g.triangle ? _expectedTriangle(id) : _expectedScore(id);
        if (keccak256(abi.encode(payouts)) != keccak256(abi.encode(want))) {
            _mismatch("result != aggregate of the committed values");
        }

        uint256 pot = _releaseStakes(id) + g.fee + g.feeFromFund;
        uint256 share = pot / g.reveals;
        for (uint256 i; i < g.panel.length; ++i) {
            address juror = g.panel[i];
            if (_ballots[id][juror].state == _REVEALED) ghostOwed[juror] += share;
        }
        ghostFund += pot - share * g.reveals;
    }

    /// Marks an evaluation nobody revealed as failed.
    function _fail(uint256 id) internal {
        calls["fail"]++;
        EvalGhost storage g = _evals[id];
        bytes4 expected;
        if (g.status != IJury.Status.Drawn) expected = IJury.WrongStatus.selector;
        else if (currentTime < g.revealEnd) expected = IJury.RevealStillOpen.selector;
        else if (g.reveals != 0 && currentTime < g.revealEnd + 30 days) {
            expected = IJury.HasReveals.selector;
        }
        (bool ok, bytes memory ret) = _call(address(0), abi.encodeCall(IJury.failEvaluation, (id)));
        if (ok) g.failedCount++;
        if (!_outcome("fail", ok, ret, expected)) return;
        calls["fail.ok"]++;
        g.status = IJury.Status.Failed;
        ghostFund += _releaseStakes(id) + g.feeFromFund;
        ghostOwed[address(this)] += g.fee;
    }

    /// A juror, or the handler as creator, withdraws what it is owed.
    function _withdraw(uint256 accountSeed) internal {
        calls["withdraw"]++;
        // Usually (7 in 8) the first account, from a random start, that is owed something.
        uint256 r = _mix(accountSeed);
        uint256 k = r % (N_JURORS + 1);
        for (uint256 t; (r >> 8) % 8 != 0 && t <= N_JURORS; ++t) {
            uint256 c = (r + t) % (N_JURORS + 1);
            if (ghostOwed[c == N_JURORS ? address(this) : _jurors[c]] > 0) {
                k = c;
                break;
            }
        }
        address account = k == N_JURORS ? address(this) : _jurors[k];
        uint256 amount = ghostOwed[account];
        bytes4 expected = amount == 0 ? IJury.NothingOwed.selector : bytes4(0);
        uint256 before = token.balanceOf(account);
        (bool ok, bytes memory ret) = _call(
            account == address(this) ? address(0) : account,
            abi.encodeCall(IJury.withdraw, (account))
        );
        if (!_outcome("withdraw", ok, ret, expected)) return;
        calls["withdraw.ok"]++;
        if (abi.decode(ret, (uint256)) != amount) _mismatch("withdraw amount");
        if (token.balanceOf(account) != before + amount) _mismatch("withdraw transfer");
        ghostOwed[account] = 0;
    }

    /// A juror unstakes part of the free stake, or (1 in 4) more than is free, which must fail.
    function _unstake(uint256 jurorSeed, uint256 amount) internal {
        calls["unstake"]++;
        address juror = _jurors[jurorSeed % N_JURORS];
        uint256 free = ghostStaked[juror] - ghostLocked[juror];
        bytes4 expected;
        uint256 r = _mix(amount);
        if (r % 4 == 0 || free == 0) {
            amount = free + 1 + ((r >> 8) % 1e18);
            expected = IJury.InsufficientFreeStake.selector;
        } else {
            amount = bound(amount, 1, free);
        }
        uint256 before = token.balanceOf(juror);
        (bool ok, bytes memory ret) = _call(juror, abi.encodeCall(IJury.unstake, (amount)));
        if (!_outcome("unstake", ok, ret, expected)) return;
        calls["unstake.ok"]++;
        _setStaked(juror, ghostStaked[juror] - amount);
        if (token.balanceOf(juror) != before + amount) _mismatch("unstake transfer");
    }

    /// A juror adds stake.
    function _stake(uint256 seed) internal {
        calls["stake"]++;
        address juror = _jurors[seed % N_JURORS];
        uint256 amount = bound(seed >> 8, 1, 50e18);
        token.mint(juror, amount);
        (bool ok, bytes memory ret) = _call(juror, abi.encodeCall(IJury.stake, (amount)));
        if (!_outcome("stake", ok, ret, bytes4(0))) return;
        calls["stake.ok"]++;
        _setStaked(juror, ghostStaked[juror] + amount);
    }

    /// Cancels an evaluation (only a Pending one may be).
    function _cancel(uint256 idSeed) internal {
        calls["cancel"]++;
        (bool found, uint256 id) = _findEval(idSeed, _WANT_PENDING);
        if (!found) return;
        EvalGhost storage g = _evals[id];
        bytes4 expected;
        uint256 drawBlock = g.drawBlock;
        if (g.status != IJury.Status.Pending) {
            expected = IJury.WrongStatus.selector;
        } else if (currentBlock > drawBlock && currentBlock - drawBlock <= 256) {
            // The seed is known: cancelling is refused unless the panel cannot be drawn.
            vm.setBlockhash(drawBlock, keccak256(abi.encode(drawBlock, "cancel")));
            if (_eligibleCount(g.minStake, drawBlock) >= g.panelSize) {
                expected = IJury.SeedKnown.selector;
            }
        }
        (bool ok, bytes memory ret) = _call(
            address(0),
            abi.encodeCall(IJury.cancelEvaluation, (id))
        );
        if (!_outcome("cancel", ok, ret, expected)) return;
        calls["cancel.ok"]++;
        g.status = IJury.Status.Cancelled;
        ghostOwed[address(this)] += g.fee;
        ghostFund += g.feeFromFund;
    }

    /// Removes a registered juror (1 in 3 picks) or re-adds an unregistered one.
    function _toggleJuror(uint256 jurorSeed) internal {
        calls["toggleJuror"]++;
        address juror = _jurors[jurorSeed % N_JURORS];
        bool registered = ghostRegistered[juror];
        if (registered && (jurorSeed >> 8) % 3 != 0) return;
        bytes memory data = registered
            ? abi.encodeCall(IJury.removeJuror, (juror))
            : abi.encodeCall(IJury.addJuror, (juror));
        (bool ok, bytes memory ret) = _call(address(0), data);
        if (!_outcome("toggleJuror", ok, ret, bytes4(0))) return;
        ghostRegistered[juror] = !registered;
        if (!registered) ghostRegisteredAt[juror] = currentBlock;
        if (jury.isJuror(juror) == registered) _mismatch("registry");
    }

    /// The handler adds to the jury fund.
    function _fundJury(uint256 seed) internal {
        calls["fundJury"]++;
        uint256 amount = bound(seed, 1, 20e18);
        token.mint(address(this), amount);
        (bool ok, bytes memory ret) = _call(address(0), abi.encodeCall(IJury.fundJury, (amount)));
        if (!_outcome("fundJury", ok, ret, bytes4(0))) return;
        ghostFund += amount;
    }

    // ------------------------------------------------------------------------------------------
    // Expected results
    // ------------------------------------------------------------------------------------------

    /// (median, 1e18 - median) of the committed scores of the jurors who revealed, sorted here.
    function _expectedScore(uint256 id) internal view returns (uint256[] memory payouts) {
        EvalGhost storage g = _evals[id];
        uint256[] memory v = new uint256[](g.reveals);
        uint256 n;
        for (uint256 i; i < g.panel.length; ++i) {
            BallotGhost storage b = _ballots[id][g.panel[i]];
            if (b.state == _REVEALED) v[n++] = abi.decode(b.value, (uint256));
        }
        for (uint256 i; i < n; ++i) {
            for (uint256 j = i + 1; j < n; ++j) if (v[j] < v[i]) (v[i], v[j]) = (v[j], v[i]);
        }
        uint256 m = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        payouts = new uint256[](2);
        payouts[0] = m;
        payouts[1] = 1e18 - m;
    }

    /// softmax(triangle(ratios)) over the committed comparisons of the jurors who revealed,
    /// each oriented here as (ln w1/w0, ln w2/w0, ln w2/w1).
    function _expectedTriangle(uint256 id) internal view returns (uint256[] memory) {
        EvalGhost storage g = _evals[id];
        int256[3][] memory ratios = new int256[3][](g.reveals);
        uint256 n;
        for (uint256 i; i < g.panel.length; ++i) {
            BallotGhost storage b = _ballots[id][g.panel[i]];
            if (b.state != _REVEALED) continue;
            IJury.Comparison[] memory pairs = abi.decode(b.value, (IJury.Comparison[]));
            for (uint256 k; k < 3; ++k) {
                IJury.Comparison memory c = pairs[k];
                int256 y = JuryMath.logRatio(c.choice, c.multiplier);
                if (c.a == 0 && c.b == 1) ratios[n][0] = y;
                else if (c.a == 1 && c.b == 0) ratios[n][0] = -y;
                else if (c.a == 0 && c.b == 2) ratios[n][1] = y;
                else if (c.a == 2 && c.b == 0) ratios[n][1] = -y;
                else if (c.a == 1 && c.b == 2) ratios[n][2] = y;
                else ratios[n][2] = -y;
            }
            ++n;
        }
        return JuryMath.softmax(JuryMath.triangle(ratios));
    }

    // ------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------

    function _useClock() internal {
        vm.warp(currentTime);
        vm.roll(currentBlock);
    }

    function _warpTo(uint256 t) internal {
        if (t <= currentTime) return;
        currentTime = t;
        currentBlock += 1;
        _useClock();
    }

    /// Sends `data` to the jury, as `from` (address(0): as the handler itself).
    function _call(address from, bytes memory data) internal returns (bool ok, bytes memory ret) {
        if (from != address(0)) vm.prank(from);
        (ok, ret) = address(jury).call(data);
    }

    /// Compares a call's outcome with the expected one (selector 0: success). True when the call
    /// succeeded as expected, so that the caller updates the model.
    function _outcome(
        string memory action,
        bool ok,
        bytes memory ret,
        bytes4 expected
    ) internal returns (bool) {
        if (ok) {
            if (expected == bytes4(0)) return true;
            wrongSuccesses++;
            lastFailure = string.concat(action, ": succeeded, expected an error");
            lastRevert = abi.encodePacked(expected);
            return false;
        }
        calls[bytes32(bytes(string.concat(action, ".reverted")))]++;
        if (expected == bytes4(0)) {
            unexpectedReverts++;
            lastFailure = string.concat(action, ": reverted");
            lastRevert = ret;
        } else if (ret.length < 4 || bytes4(ret) != expected) {
            wrongErrors++;
            lastFailure = string.concat(action, ": wrong error");
            lastRevert = ret;
        }
        return false;
    }

    function _mismatch(string memory what) internal {
        mismatches++;
        lastFailure = what;
    }

    /// Unlocks the panel's stakes and slashes those who did not reveal; returns the total.
    function _releaseStakes(uint256 id) internal returns (uint256 slashed) {
        EvalGhost storage g = _evals[id];
        for (uint256 i; i < g.panel.length; ++i) {
            address juror = g.panel[i];
            uint256 lock = _ballots[id][juror].locked;
            ghostLocked[juror] -= lock;
            if (_ballots[id][juror].state != _REVEALED && lock > 0) {
                _setStaked(juror, ghostStaked[juror] - lock);
                slashed += lock;
            }
        }
    }

    function _liveCount() internal view returns (uint256 n) {
        for (uint256 i; i < _evals.length; ++i) {
            IJury.Status status = _evals[i].status;
            if (status == IJury.Status.Pending || status == IJury.Status.Drawn) ++n;
        }
    }

    function _eligibleCount(uint256 minStake, uint256 drawBlock) internal view returns (uint256 n) {
        for (uint256 i; i < N_JURORS; ++i) {
            if (_eligible(_jurors[i], minStake, drawBlock)) ++n;
        }
    }

    /// Registered now and by the draw block, with at least minStake staked at that block.
    function _eligible(
        address juror,
        uint256 minStake,
        uint256 drawBlock
    ) internal view returns (bool) {
        if (!ghostRegistered[juror] || ghostRegisteredAt[juror] > drawBlock) return false;
        return minStake == 0 || _stakedAt(juror, drawBlock) >= minStake;
    }

    function _stakedAt(address juror, uint256 blockNumber) internal view returns (uint256 staked) {
        uint256[] storage blocks = _stakeBlocks[juror];
        for (uint256 i; i < blocks.length && blocks[i] <= blockNumber; ++i) {
            staked = _stakeValues[juror][i];
        }
    }

    function _setStaked(address juror, uint256 staked) internal {
        ghostStaked[juror] = staked;
        _stakeBlocks[juror].push(currentBlock);
        _stakeValues[juror].push(staked);
    }

    /// An evaluation id: usually (7 in 8) the first, from a random start, in the wanted state
    /// (see `_wanted`), otherwise any.
    function _findEval(uint256 seed, uint8 want) internal view returns (bool, uint256) {
        uint256 n = _evals.length;
        if (n == 0) return (false, 0);
        seed = uint256(keccak256(abi.encode(seed, want)));
        if (seed % 8 != 0) {
            (bool found, uint256 id) = _firstWanted(seed, want);
            if (found) return (true, id);
        }
        return (true, (seed >> 8) % n);
    }

    /// The first evaluation, from a random start, in the wanted state.
    function _firstWanted(uint256 seed, uint8 want) internal view returns (bool, uint256) {
        uint256 n = _evals.length;
        uint256 start = n == 0 ? 0 : (seed >> 8) % n;
        for (uint256 k; k < n; ++k) {
            uint256 id = (start + k) % n;
            if (_wanted(id, want)) return (true, id);
        }
        return (false, 0);
    }

    /// Pending; open for commits with a member yet to commit; open for reveals with a member
    /// yet to reveal; past its reveal window; open for commits with a member who committed;
    /// open for reveals with nobody left to reveal.
    function _wanted(uint256 id, uint8 want) internal view returns (bool) {
        EvalGhost storage g = _evals[id];
        if (want == _WANT_PENDING) return g.status == IJury.Status.Pending;
        if (g.status != IJury.Status.Drawn) return false;
        if (want == _WANT_CLOSED) return currentTime >= g.revealEnd;
        if (want == _WANT_OPEN) {
            return
                currentTime >= g.commitEnd &&
                currentTime < g.revealEnd &&
                _memberIn(id, _COMMITTED) == address(0);
        }
        if (want == _WANT_COMMIT) {
            return currentTime < g.commitEnd && _memberIn(id, _ON_PANEL) != address(0);
        }
        if (want == _WANT_COMMITTED) {
            return currentTime < g.commitEnd && _memberIn(id, _COMMITTED) != address(0);
        }
        return
            currentTime >= g.commitEnd &&
            currentTime < g.revealEnd &&
            _memberIn(id, _COMMITTED) != address(0);
    }

    function _memberIn(uint256 id, uint8 state) internal view returns (address) {
        address[] storage panel = _evals[id].panel;
        for (uint256 i; i < panel.length; ++i) {
            if (_ballots[id][panel[i]].state == state) return panel[i];
        }
        return address(0);
    }

    /// Usually (7 in 8) a panel member in `state`, from a random start; otherwise any juror or a
    /// stranger.
    function _pickJuror(uint256 id, uint256 seed, uint8 state) internal view returns (address) {
        address[] storage panel = _evals[id].panel;
        seed = uint256(keccak256(abi.encode(seed, state, "juror")));
        if (seed % 8 != 0 && panel.length > 0) {
            uint256 start = (seed >> 8) % panel.length;
            for (uint256 k; k < panel.length; ++k) {
                address juror = panel[(start + k) % panel.length];
                if (_ballots[id][juror].state == state) return juror;
            }
        }
        uint256 j = (seed >> 16) % (N_JURORS + 1);
        return j == N_JURORS ? STRANGER : _jurors[j];
    }

    /// A score in [0, 1e18] (extremes included), or 1 in 8 just above 1e18 (ScoreOutOfRange).
    function _randomScore(uint256 seed) internal pure returns (bytes memory, bytes4) {
        seed = _mix(seed);
        uint256 r = seed >> 8;
        if (seed % 8 == 0) {
            return (abi.encode(1e18 + 1 + (r % 1e18)), IJury.ScoreOutOfRange.selector);
        }
        uint256 score = seed % 8 == 1 ? (r % 2) * 1e18 : r % (1e18 + 1);
        return (abi.encode(score), bytes4(0));
    }

    /// The three pairs 01, 02, 12 in a random order and orientation, each with a random choice
    /// and multiplier. 1 in 8: a pair repeated instead of one (TriangleIncomplete); 1 in 16: a
    /// multiplier out of range (BadMultiplier).
    function _randomPairs(uint256 seed) internal pure returns (bytes memory, bytes4) {
        seed = _mix(seed);
        IJury.Comparison[] memory pairs = new IJury.Comparison[](3);
        uint16[2][3] memory base = [[uint16(0), uint16(1)], [uint16(0), uint16(2)], [uint16(1), 2]];
        uint256 rot = (seed >> 4) % 3;
        for (uint256 k; k < 3; ++k) {
            uint16[2] memory ab = base[(k + rot) % 3];
            uint256 r = uint256(keccak256(abi.encode(seed, k)));
            bool swap = r % 2 == 1;
            uint256 multiplier = (r >> 8) % 4 == 0
                ? 100 + ((r >> 16) % 99_801)
                : 100 + ((r >> 16) % 400);
            pairs[k] = IJury.Comparison({
                a: swap ? ab[1] : ab[0],
                b: swap ? ab[0] : ab[1],
                choice: uint8(1 + ((r >> 2) % 2)),
                multiplier: uint24(multiplier)
            });
        }
        bytes4 invalid;
        uint256 mode = seed % 16;
        if (mode == 0 || mode == 1) {
            pairs[2] = IJury.Comparison({
                a: pairs[0].b,
                b: pairs[0].a,
                choice: pairs[2].choice,
                multiplier: pairs[2].multiplier
            });
            invalid = IJury.TriangleIncomplete.selector;
        } else if (mode == 2) {
            pairs[1].multiplier = uint24(JuryMath.MAX_MULTIPLIER + 1);
            invalid = IJury.BadMultiplier.selector;
        }
        return (abi.encode(pairs), invalid);
    }

    /// The same value with one detail changed: score + 1, or the first multiplier moved by 1.
    function _otherValue(bytes memory value, bool tri) internal pure returns (bytes memory) {
        if (!tri) return abi.encode(abi.decode(value, (uint256)) + 1);
        IJury.Comparison[] memory pairs = abi.decode(value, (IJury.Comparison[]));
        uint24 m = pairs[0].multiplier;
        pairs[0].multiplier = m >= JuryMath.MAX_MULTIPLIER ? m - 1 : m + 1;
        return abi.encode(pairs);
    }

    function _commitmentOf(
        uint256 id,
        address juror,
        bool tri,
        bytes memory value,
        bytes32 salt
    ) internal view returns (bytes32) {
        return
            tri
                ? jury.pairsCommitment(id, juror, abi.decode(value, (IJury.Comparison[])), salt)
                : jury.scoreCommitment(id, juror, abi.decode(value, (uint256)), salt);
    }

    /// Fuzzers favour small and extreme values, whose low and high bits are mostly equal: every
    /// seed that picks a branch is hashed first.
    function _mix(uint256 x) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(x)));
    }

    /// The seed itself for k = 0 (keeping the fuzzer's chosen values), a hash of it after.
    function _derive(uint256 seed, uint256 k) internal pure returns (uint256) {
        return k == 0 ? seed : uint256(keccak256(abi.encode(seed, k)));
    }
}
