// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IConditionalTokens} from "../interfaces/IConditionalTokens.sol";
import {IJury} from "../interfaces/IJury.sol";
import {JuryMath} from "../libraries/JuryMath.sol";
import {TokenCalls} from "../libraries/TokenCalls.sol";

/// @title Jury
/// @notice See `IJury` for the lifecycle, the aggregation rules and the token assumptions.
/// @dev Revealed comparisons are not stored: each reveal folds its packed comparisons into a
/// chain hash, and `submitHuber` takes them back as calldata and re-derives the hash, which
/// costs far less than reading one storage slot per comparison. The `PairsRevealed` events
/// carry the words, so anyone can rebuild the list.
contract Jury is IJury, AccessControl, ReentrancyGuardTransient {
    using Checkpoints for Checkpoints.Trace208;
    // ------------------------------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------------------------------

    /// @notice May create and cancel evaluations.
    bytes32 public constant EVALUATOR_ROLE = keccak256("EVALUATOR_ROLE");

    uint256 public constant MAX_JURORS = 512;
    uint256 public constant MAX_PANEL = 64;
    uint256 public constant MAX_ITEMS = 256;
    uint256 public constant MAX_REVEAL_PAIRS = 256;
    /// @notice Bounds of the Huber tolerance. Where every residual of an item is clipped only the
    /// ridge (1e-6) holds its logit, so a tolerance t leaves it free by up to t / 1e-6: at most
    /// 1e-3 here. The floor keeps an integer certificate possible (one wei of a logit moves a
    /// gradient by up to twice the item's comparisons).
    uint256 public constant MAX_TOLERANCE = 1e9;
    uint256 public constant MIN_TOLERANCE = 2 * MAX_COMPARISONS;

    /// @notice Comparisons an evaluation takes in all, so that a certificate fits in a block.
    uint256 public constant MAX_COMPARISONS = 4096;

    /// @notice After the reveal window plus this, an evaluation nobody resolved may be failed.
    uint256 public constant RESOLVE_GRACE = 30 days;
    uint256 public constant MAX_DURATION = 365 days;

    /// @notice The panel is drawn from the hash of the block this many blocks after creation.
    uint256 public constant DRAW_DELAY = 1;

    uint8 private constant _ON_PANEL = 1;
    uint8 private constant _COMMITTED = 2;
    uint8 private constant _REVEALED = 3;

    // ------------------------------------------------------------------------------------------
    // Types and state
    // ------------------------------------------------------------------------------------------

    struct Evaluation {
        EvaluationParams params;
        Status status;
        uint64 drawBlock;
        uint64 commitEnd;
        uint64 revealEnd;
        uint32 revealCount;
        uint32 comparisonCount;
        bytes32 comparisonsHash;
        address creator;
    }

    struct Ballot {
        uint8 state; // 0, _ON_PANEL, _COMMITTED, _REVEALED
        uint128 locked; // stake locked for this evaluation
        bytes32 commitment;
    }

    struct StakeInfo {
        uint128 staked;
        uint128 locked;
    }

    /// @notice The jury's token: stakes, fees and the jury fund.
    address public immutable TOKEN;

    /// @notice Where payout vectors are reported (may be zero: no reporting).
    IConditionalTokens public immutable VAULT;

    Evaluation[] private _evaluations;
    mapping(uint256 evaluationId => address[]) private _panels;
    mapping(uint256 evaluationId => mapping(address juror => Ballot)) private _ballots;
    mapping(uint256 evaluationId => uint256[]) private _scores;
    mapping(uint256 evaluationId => int256[3][]) private _triangles;
    /// @dev Payouts are at most 1e18 < 2^64, so four share a slot.
    mapping(uint256 evaluationId => uint64[]) private _results;

    address[] private _jurorList;
    mapping(address juror => uint256 indexPlusOne) private _jurorIndex;
    mapping(address juror => StakeInfo) private _stakes;
    /// @dev Each juror's stake by block, so that a draw sees the stakes as they were at its
    /// draw block, before its seed was known.
    mapping(address juror => Checkpoints.Trace208) private _stakeHistory;
    mapping(address juror => uint256 blockNumber) private _registeredAt;
    mapping(address account => uint256 amount) private _owed;
    uint256 private _juryFund;
    mapping(bytes32 questionId => bool) private _questionUsed;

    // ------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------

    /// @param token The ERC-20 of stakes and fees (must have code).
    /// @param vault The conditional token vault payouts are reported to (zero: none).
    /// @param admin Holds DEFAULT_ADMIN_ROLE (the juror registry and roles).
    /// @param evaluator Holds EVALUATOR_ROLE (zero: nobody yet).
    constructor(address token, IConditionalTokens vault, address admin, address evaluator) {
        if (admin == address(0)) revert ZeroAddress();
        if (token.code.length == 0) revert TokenHasNoCode(token);
        TOKEN = token;
        VAULT = vault;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (evaluator != address(0)) _grantRole(EVALUATOR_ROLE, evaluator);
    }

    // ------------------------------------------------------------------------------------------
    // Registry and stakes
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IJury
    function addJuror(address juror) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (juror == address(0)) revert ZeroAddress();
        if (_jurorIndex[juror] != 0) revert JurorAlreadyRegistered(juror);
        if (_jurorList.length >= MAX_JURORS) revert TooManyJurors(MAX_JURORS);
        _jurorList.push(juror);
        _jurorIndex[juror] = _jurorList.length;
        _registeredAt[juror] = block.number;
        emit JurorAdded(juror);
    }

    /// @inheritdoc IJury
    function removeJuror(address juror) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 index = _jurorIndex[juror];
        if (index == 0) revert JurorNotRegistered(juror);
        address last = _jurorList[_jurorList.length - 1];
        _jurorList[index - 1] = last;
        _jurorIndex[last] = index;
        _jurorList.pop();
        delete _jurorIndex[juror];
        emit JurorRemoved(juror);
    }

    /// @inheritdoc IJury
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        StakeInfo storage s = _stakes[msg.sender];
        s.staked = SafeCast.toUint128(s.staked + amount);
        _recordStake(msg.sender, s.staked);
        emit Staked(msg.sender, amount);
        _pull(amount);
    }

    /// @inheritdoc IJury
    function unstake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        StakeInfo storage s = _stakes[msg.sender];
        uint256 free = s.staked - s.locked;
        if (amount > free) revert InsufficientFreeStake(free, amount);
        // amount <= free <= staked < 2^128.
        s.staked -= uint128(amount);
        _recordStake(msg.sender, s.staked);
        emit Unstaked(msg.sender, amount);
        TokenCalls.transfer(TOKEN, msg.sender, amount);
    }

    /// @inheritdoc IJury
    function fundJury(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _juryFund += amount;
        emit JuryFunded(msg.sender, amount);
        _pull(amount);
    }

    // ------------------------------------------------------------------------------------------
    // Evaluations
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IJury
    function createEvaluation(
        EvaluationParams calldata p
    ) external onlyRole(EVALUATOR_ROLE) nonReentrant returns (uint256 evaluationId) {
        _validate(p);
        if (p.feeFromFund > _juryFund) revert InsufficientJuryFund(_juryFund, p.feeFromFund);
        _juryFund -= p.feeFromFund;
        if (p.questionId != bytes32(0)) _questionUsed[p.questionId] = true;
        evaluationId = _evaluations.length;
        Evaluation storage e = _evaluations.push();
        e.params = p;
        e.status = Status.Pending;
        e.drawBlock = uint64(block.number + DRAW_DELAY);
        e.creator = msg.sender;
        emit EvaluationCreated(evaluationId, msg.sender, p);
        if (p.fee > 0) _pull(p.fee);
    }

    /// @inheritdoc IJury
    function cancelEvaluation(uint256 evaluationId) external onlyRole(EVALUATOR_ROLE) nonReentrant {
        Evaluation storage e = _evaluation(evaluationId);
        if (e.status != Status.Pending) revert WrongStatus(evaluationId, e.status);
        // Once the seed is known the panel is known: cancelling then would re-roll it, so it is
        // allowed only when the panel cannot be drawn.
        uint256 drawBlock = e.drawBlock;
        if (block.number > drawBlock && blockhash(drawBlock) != bytes32(0)) {
            (, uint256 eligibleCount) = _eligibleJurors(e, drawBlock);
            if (eligibleCount >= e.params.panelSize) revert SeedKnown(evaluationId);
        }
        e.status = Status.Cancelled;
        _owed[e.creator] += e.params.fee;
        _juryFund += e.params.feeFromFund;
        emit EvaluationCancelled(evaluationId);
    }

    /// @inheritdoc IJury
    function drawPanel(uint256 evaluationId) external nonReentrant {
        Evaluation storage e = _evaluation(evaluationId);
        if (e.status != Status.Pending) revert WrongStatus(evaluationId, e.status);
        uint256 drawBlock = e.drawBlock;
        if (block.number <= drawBlock) revert DrawTooEarly(evaluationId, drawBlock);
        bytes32 seed = blockhash(drawBlock);
        if (seed == bytes32(0)) {
            // Older than 256 blocks: draw from the hash of this block instead, next block.
            e.drawBlock = uint64(block.number);
            emit DrawRescheduled(evaluationId, block.number);
            return;
        }
        seed = keccak256(abi.encode(seed, evaluationId));

        uint256 minStake = e.params.minStake;
        uint256 panelSize = e.params.panelSize;
        (address[] memory eligible, uint256 n) = _eligibleJurors(e, drawBlock);
        if (n < panelSize) revert NotEnoughJurors(n, panelSize);

        // A partial Fisher-Yates shuffle: the first panelSize places of `eligible`.
        address[] storage panel = _panels[evaluationId];
        for (uint256 i; i < panelSize; ++i) {
            uint256 j = i + (uint256(keccak256(abi.encode(seed, i))) % (n - i));
            (eligible[i], eligible[j]) = (eligible[j], eligible[i]);
            address juror = eligible[i];
            panel.push(juror);
            Ballot storage ballot = _ballots[evaluationId][juror];
            ballot.state = _ON_PANEL;
            if (minStake > 0) {
                // Locks minStake, or what is free of it when other panels hold the rest.
                StakeInfo storage s = _stakes[juror];
                uint256 free = s.staked - s.locked;
                uint128 lock = uint128(free < minStake ? free : minStake);
                s.locked += lock;
                ballot.locked = lock;
            }
        }
        uint256 commitEnd = block.timestamp + e.params.commitDuration;
        uint256 revealEnd = commitEnd + e.params.revealDuration;
        e.status = Status.Drawn;
        e.commitEnd = uint64(commitEnd);
        e.revealEnd = uint64(revealEnd);
        emit PanelDrawn(evaluationId, panel, commitEnd, revealEnd);
    }

    /// @inheritdoc IJury
    function commit(uint256 evaluationId, bytes32 commitment) external {
        Evaluation storage e = _evaluation(evaluationId);
        if (e.status != Status.Drawn) revert WrongStatus(evaluationId, e.status);
        if (block.timestamp >= e.commitEnd) revert CommitClosed(evaluationId, e.commitEnd);
        Ballot storage ballot = _ballots[evaluationId][msg.sender];
        if (ballot.state == 0) revert NotOnPanel(evaluationId, msg.sender);
        if (ballot.state != _ON_PANEL) revert AlreadyCommitted(evaluationId, msg.sender);
        ballot.state = _COMMITTED;
        ballot.commitment = commitment;
        emit Committed(evaluationId, msg.sender, commitment);
    }

    /// @inheritdoc IJury
    function revealPairs(uint256 evaluationId, Comparison[] calldata pairs, bytes32 salt) external {
        Evaluation storage e = _evaluation(evaluationId);
        Ballot storage ballot = _checkReveal(e, evaluationId, Kind.Pairwise);
        if (pairs.length == 0) revert EmptyReveal();
        if (pairs.length > MAX_REVEAL_PAIRS)
            revert TooManyComparisons(pairs.length, MAX_REVEAL_PAIRS);
        uint256 total = e.comparisonCount + pairs.length;
        if (total > MAX_COMPARISONS) revert TooManyComparisons(total, MAX_COMPARISONS);
        if (ballot.commitment != pairsCommitment(evaluationId, msg.sender, pairs, salt)) {
            revert CommitmentMismatch(evaluationId, msg.sender);
        }

        uint256 items = e.params.items;
        bool isTriangle = e.params.triangle;
        int256[3] memory oriented;
        uint256 seen;
        bytes32 hash = e.comparisonsHash;
        bytes32[] memory packed = new bytes32[](pairs.length);
        for (uint256 k; k < pairs.length; ++k) {
            Comparison calldata c = pairs[k];
            if (c.a >= items) revert UnknownItem(k, c.a, items);
            if (c.b >= items) revert UnknownItem(k, c.b, items);
            if (c.a == c.b) revert SameItem(k, c.a);
            if (c.choice != 1 && c.choice != 2) revert BadChoice(k, c.choice);
            if (c.multiplier < JuryMath.MIN_MULTIPLIER || c.multiplier > JuryMath.MAX_MULTIPLIER) {
                revert BadMultiplier(k, c.multiplier);
            }
            int256 y = JuryMath.logRatio(c.choice, c.multiplier);
            bytes32 word = JuryMath.pack(c.a, c.b, y);
            packed[k] = word;
            hash = JuryMath.chain(hash, word);
            if (isTriangle) {
                // Items are 0, 1, 2: the pair's slot is lo + hi - 1 (01 -> 0, 02 -> 1, 12 -> 2),
                // oriented as ln(w_hi / w_lo).
                (uint256 lo, uint256 hi) = c.a < c.b
                    ? (uint256(c.a), uint256(c.b))
                    : (uint256(c.b), uint256(c.a));
                uint256 slot = lo + hi - 1;
                oriented[slot] = c.a == lo ? y : -y;
                seen |= 1 << slot;
            }
        }
        if (isTriangle) {
            if (pairs.length != 3 || seen != 7) revert TriangleIncomplete(evaluationId, msg.sender);
            _triangles[evaluationId].push(oriented);
        }
        ballot.state = _REVEALED;
        ++e.revealCount;
        // At most 2^32 reveals of 256 comparisons each would be needed to overflow; the panel is
        // at most 64 jurors.
        e.comparisonCount += uint32(pairs.length);
        e.comparisonsHash = hash;
        emit PairsRevealed(evaluationId, msg.sender, pairs, packed);
    }

    /// @inheritdoc IJury
    function revealScore(uint256 evaluationId, uint256 scoreWad, bytes32 salt) external {
        Evaluation storage e = _evaluation(evaluationId);
        Ballot storage ballot = _checkReveal(e, evaluationId, Kind.Score);
        if (ballot.commitment != scoreCommitment(evaluationId, msg.sender, scoreWad, salt)) {
            revert CommitmentMismatch(evaluationId, msg.sender);
        }
        if (scoreWad > 1e18) revert ScoreOutOfRange(scoreWad);
        ballot.state = _REVEALED;
        ++e.revealCount;
        _scores[evaluationId].push(scoreWad);
        emit ScoreRevealed(evaluationId, msg.sender, scoreWad);
    }

    /// @inheritdoc IJury
    function resolveScore(uint256 evaluationId) external nonReentrant {
        Evaluation storage e = _evaluation(evaluationId);
        _checkResolvable(e, evaluationId);
        if (e.params.kind != Kind.Score) revert WrongKind(evaluationId);
        uint256 score = JuryMath.median(_scores[evaluationId]);
        uint256[] memory payouts = new uint256[](2);
        payouts[0] = score;
        payouts[1] = 1e18 - score;
        _settle(e, evaluationId, payouts, new int256[](0));
    }

    /// @inheritdoc IJury
    function submitHuber(
        uint256 evaluationId,
        bytes32[] calldata packed,
        int256[] calldata logits
    ) external nonReentrant {
        Evaluation storage e = _evaluation(evaluationId);
        _checkResolvable(e, evaluationId);
        if (e.params.kind != Kind.Pairwise || e.params.triangle) revert WrongKind(evaluationId);
        uint256 items = e.params.items;
        if (logits.length != items) revert WrongLogitCount(logits.length, items);
        if (packed.length != e.comparisonCount) revert ComparisonsMismatch(evaluationId);
        bytes32 hash;
        for (uint256 k; k < packed.length; ++k) hash = JuryMath.chain(hash, packed[k]);
        if (hash != e.comparisonsHash) revert ComparisonsMismatch(evaluationId);

        int256 sum;
        for (uint256 i; i < items; ++i) {
            int256 xi = logits[i];
            if (xi > JuryMath.MAX_LOGIT || xi < -JuryMath.MAX_LOGIT) revert LogitOutOfRange(i, xi);
            // items <= 256 terms of at most 1e24 each.
            unchecked {
                sum += xi;
            }
        }
        if (sum != 0) revert LogitSumNotZero(sum);

        int256[] memory g = JuryMath.huberGradient(
            items,
            packed,
            logits,
            int256(uint256(e.params.deltaWad))
        );
        int256 tolerance = int256(uint256(e.params.toleranceWad));
        for (uint256 i; i < items; ++i) {
            if (g[i] > tolerance || g[i] < -tolerance)
                revert NotOptimal(i, g[i], uint256(tolerance));
        }
        int256[] memory x = logits;
        _settle(e, evaluationId, JuryMath.softmax(x), x);
    }

    /// @inheritdoc IJury
    function resolveTriangle(uint256 evaluationId) external nonReentrant {
        Evaluation storage e = _evaluation(evaluationId);
        _checkResolvable(e, evaluationId);
        if (!e.params.triangle) revert WrongKind(evaluationId);
        int256[] memory x = JuryMath.triangle(_triangles[evaluationId]);
        _settle(e, evaluationId, JuryMath.softmax(x), x);
    }

    /// @inheritdoc IJury
    function failEvaluation(uint256 evaluationId) external nonReentrant {
        Evaluation storage e = _evaluation(evaluationId);
        if (e.status != Status.Drawn) revert WrongStatus(evaluationId, e.status);
        if (block.timestamp < e.revealEnd) revert RevealStillOpen(evaluationId, e.revealEnd);
        // With reveals, only an evaluation nobody resolved within the grace period may fail: its
        // revealers get their stakes back, its fee returns.
        if (e.revealCount != 0 && block.timestamp < e.revealEnd + RESOLVE_GRACE) {
            revert HasReveals(evaluationId, e.revealCount);
        }
        e.status = Status.Failed;
        uint256 slashed = _releaseStakes(e, evaluationId);
        _juryFund += slashed + e.params.feeFromFund;
        _owed[e.creator] += e.params.fee;
        emit EvaluationFailed(evaluationId);
    }

    /// @inheritdoc IJury
    function withdraw(address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        amount = _owed[msg.sender];
        if (amount == 0) revert NothingOwed(msg.sender);
        _owed[msg.sender] = 0;
        emit Withdrawn(msg.sender, to, amount);
        TokenCalls.transfer(TOKEN, to, amount);
    }

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IJury
    function evaluation(uint256 evaluationId) external view returns (EvaluationView memory v) {
        Evaluation storage e = _evaluation(evaluationId);
        v = EvaluationView({
            params: e.params,
            status: e.status,
            drawBlock: e.drawBlock,
            commitEnd: e.commitEnd,
            revealEnd: e.revealEnd,
            revealCount: e.revealCount,
            comparisonCount: e.comparisonCount,
            comparisonsHash: e.comparisonsHash,
            creator: e.creator
        });
    }

    /// @inheritdoc IJury
    function panelOf(uint256 evaluationId) external view returns (address[] memory) {
        return _panels[evaluationId];
    }

    /// @inheritdoc IJury
    function ballotOf(
        uint256 evaluationId,
        address juror
    ) external view returns (uint8 state, bytes32 commitment) {
        Ballot storage ballot = _ballots[evaluationId][juror];
        return (ballot.state, ballot.commitment);
    }

    /// @inheritdoc IJury
    function resultOf(uint256 evaluationId) external view returns (uint256[] memory payouts) {
        uint64[] storage stored = _results[evaluationId];
        payouts = new uint256[](stored.length);
        for (uint256 i; i < stored.length; ++i) payouts[i] = stored[i];
    }

    /// @inheritdoc IJury
    function evaluationCount() external view returns (uint256) {
        return _evaluations.length;
    }

    /// @inheritdoc IJury
    function jurors() external view returns (address[] memory) {
        return _jurorList;
    }

    /// @inheritdoc IJury
    function isJuror(address account) external view returns (bool) {
        return _jurorIndex[account] != 0;
    }

    /// @inheritdoc IJury
    function stakeOf(address juror) external view returns (uint256 staked, uint256 locked) {
        StakeInfo storage s = _stakes[juror];
        return (s.staked, s.locked);
    }

    /// @inheritdoc IJury
    function owed(address account) external view returns (uint256) {
        return _owed[account];
    }

    /// @inheritdoc IJury
    function juryFund() external view returns (uint256) {
        return _juryFund;
    }

    /// @inheritdoc IJury
    function pairsCommitment(
        uint256 evaluationId,
        address juror,
        Comparison[] calldata pairs,
        bytes32 salt
    ) public view returns (bytes32) {
        return keccak256(abi.encode(address(this), evaluationId, juror, pairs, salt));
    }

    /// @inheritdoc IJury
    function scoreCommitment(
        uint256 evaluationId,
        address juror,
        uint256 scoreWad,
        bytes32 salt
    ) public view returns (bytes32) {
        return keccak256(abi.encode(address(this), evaluationId, juror, scoreWad, salt));
    }

    /// @inheritdoc IJury
    function huberGradient(
        uint256 items,
        bytes32[] calldata packed,
        int256[] calldata logits,
        uint256 deltaWad
    ) external pure returns (int256[] memory gradient) {
        if (logits.length != items) revert WrongLogitCount(logits.length, items);
        if (deltaWad > type(uint128).max) revert InvalidParams("deltaWad");
        return JuryMath.huberGradient(items, packed, logits, int256(deltaWad));
    }

    // ------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------

    function _evaluation(uint256 evaluationId) private view returns (Evaluation storage) {
        if (evaluationId >= _evaluations.length) revert UnknownEvaluation(evaluationId);
        return _evaluations[evaluationId];
    }

    function _validate(EvaluationParams calldata p) private view {
        if (p.kind == Kind.Pairwise) {
            if (p.items < 2 || p.items > MAX_ITEMS) revert InvalidParams("items");
            if (p.triangle) {
                if (p.items != 3) revert InvalidParams("triangle");
            } else {
                if (p.deltaWad == 0) revert InvalidParams("deltaWad");
                if (p.toleranceWad < MIN_TOLERANCE || p.toleranceWad > MAX_TOLERANCE)
                    revert InvalidParams("toleranceWad");
            }
        } else {
            if (p.items != 0) revert InvalidParams("items");
            if (p.triangle) revert InvalidParams("triangle");
        }
        if (p.panelSize == 0 || p.panelSize > MAX_PANEL) revert InvalidParams("panelSize");
        if (p.commitDuration == 0 || p.commitDuration > MAX_DURATION)
            revert InvalidParams("commitDuration");
        if (p.revealDuration == 0 || p.revealDuration > MAX_DURATION)
            revert InvalidParams("revealDuration");
        if (p.questionId != bytes32(0)) {
            // One evaluation per question: a second could never report, and would be stuck.
            if (address(VAULT) == address(0) || _questionUsed[p.questionId]) {
                revert InvalidParams("questionId");
            }
            uint256 slots = p.kind == Kind.Pairwise ? p.items : 2;
            bytes32 conditionId = VAULT.getConditionId(address(this), p.questionId, slots);
            if (VAULT.outcomeSlotCount(conditionId) != slots || VAULT.isResolved(conditionId)) {
                revert InvalidParams("questionId");
            }
        }
    }

    /// @dev Jurors registered by `drawBlock` whose stake at that block was at least the
    /// minimum, in registry order (the first `n` entries of `eligible`).
    function _eligibleJurors(
        Evaluation storage e,
        uint256 drawBlock
    ) private view returns (address[] memory eligible, uint256 n) {
        uint256 minStake = e.params.minStake;
        uint256 count = _jurorList.length;
        eligible = new address[](count);
        for (uint256 i; i < count; ++i) {
            // Eligibility is read as of the draw block, whose hash was unknown until it was
            // sealed: staking, unstaking or registering after it cannot change the panel.
            address juror = _jurorList[i];
            if (_registeredAt[juror] > drawBlock) continue;
            if (
                minStake > 0 && _stakeHistory[juror].upperLookupRecent(uint48(drawBlock)) < minStake
            ) {
                continue;
            }
            eligible[n] = juror;
            ++n;
        }
    }

    function _checkReveal(
        Evaluation storage e,
        uint256 evaluationId,
        Kind kind
    ) private view returns (Ballot storage ballot) {
        if (e.status != Status.Drawn) revert WrongStatus(evaluationId, e.status);
        if (e.params.kind != kind) revert WrongKind(evaluationId);
        if (block.timestamp < e.commitEnd) revert RevealNotOpen(evaluationId, e.commitEnd);
        if (block.timestamp >= e.revealEnd) revert RevealClosed(evaluationId, e.revealEnd);
        ballot = _ballots[evaluationId][msg.sender];
        if (ballot.state == 0) revert NotOnPanel(evaluationId, msg.sender);
        if (ballot.state == _ON_PANEL) revert NotCommitted(evaluationId, msg.sender);
        if (ballot.state == _REVEALED) revert AlreadyRevealed(evaluationId, msg.sender);
    }

    function _checkResolvable(Evaluation storage e, uint256 evaluationId) private view {
        if (e.status != Status.Drawn) revert WrongStatus(evaluationId, e.status);
        if (block.timestamp < e.revealEnd) revert RevealStillOpen(evaluationId, e.revealEnd);
        if (e.revealCount == 0) revert NoReveals(evaluationId);
    }

    /// @dev Unlocks the stakes of the panel members who revealed and takes `minStake` from the
    /// others. Returns the total taken.
    function _releaseStakes(
        Evaluation storage e,
        uint256 evaluationId
    ) private returns (uint256 slashed) {
        if (e.params.minStake == 0) return 0;
        address[] storage panel = _panels[evaluationId];
        for (uint256 i; i < panel.length; ++i) {
            address juror = panel[i];
            Ballot storage ballot = _ballots[evaluationId][juror];
            uint128 lock = ballot.locked;
            StakeInfo storage s = _stakes[juror];
            // The draw added `lock` to locked and unstake never takes locked stake, so
            // locked >= lock and staked >= locked.
            s.locked -= lock;
            if (ballot.state != _REVEALED && lock > 0) {
                s.staked -= lock;
                _recordStake(juror, s.staked);
                slashed += lock;
                emit StakeSlashed(evaluationId, juror, lock);
            }
        }
    }

    function _recordStake(address juror, uint128 staked) private {
        _stakeHistory[juror].push(uint48(block.number), staked);
    }

    /// @dev Records the result, releases and slashes stakes, shares the fee and the slashed
    /// stakes among the jurors who revealed (the rounding remainder goes to the jury fund),
    /// then reports to the vault.
    function _settle(
        Evaluation storage e,
        uint256 evaluationId,
        uint256[] memory payouts,
        int256[] memory logits
    ) private {
        e.status = Status.Resolved;
        uint64[] storage stored = _results[evaluationId];
        // Every payout is at most 1e18 < 2^64 (softmax weights and scores sum to 1e18).
        for (uint256 i; i < payouts.length; ++i) stored.push(uint64(payouts[i]));
        uint256 pot = _releaseStakes(e, evaluationId) + e.params.fee + e.params.feeFromFund;
        uint256 revealers = e.revealCount;
        // Rounds down; the remainder (< revealers) goes to the jury fund.
        uint256 share = pot / revealers;
        address[] storage panel = _panels[evaluationId];
        for (uint256 i; i < panel.length; ++i) {
            address juror = panel[i];
            if (_ballots[evaluationId][juror].state == _REVEALED) _owed[juror] += share;
        }
        _juryFund += pot - share * revealers;
        emit EvaluationResolved(evaluationId, payouts, logits, share);
        bytes32 questionId = e.params.questionId;
        if (questionId != bytes32(0)) VAULT.reportPayouts(questionId, payouts);
    }

    /// @dev Takes `amount` of the token from msg.sender and checks it all arrived.
    function _pull(uint256 amount) private {
        uint256 received = TokenCalls.pull(TOKEN, msg.sender, amount);
        if (received != amount) revert DeliveredLess(amount, received);
    }
}
