// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IJury
/// @notice Commit-reveal evaluations by a panel of jurors, with an aggregation the chain checks.
///
/// Registry: the admin curates the jurors. A juror may stake the jury's token; an evaluation
/// may require a minimum stake. Eligibility is judged as of the evaluation's draw block (a juror
/// registered by then whose stake at that block was at least the minimum), so changes made once
/// the draw's seed is known cannot steer the panel. At the draw the minimum is locked (or what
/// is free of it, for a juror on several panels), and it is lost if the juror does not reveal.
///
/// Lifecycle of an evaluation (created by an EVALUATOR_ROLE holder, who pays its fee):
/// 1. Pending: the panel is drawn by `drawPanel`, at the earliest in the block after
///    `drawBlock`, from the hash of block `drawBlock`. That hash does not exist when the
///    evaluation's parameters are fixed, so nobody choosing them can aim at a panel.
/// 2. Commit window (`commitDuration` seconds from the draw): each panel member posts one
///    commitment, `pairsCommitment` or `scoreCommitment` of (evaluation, juror, values, salt).
/// 3. Reveal window (`revealDuration` seconds): each committer reveals values and salt; the
///    values are checked against the commitment and validated. Jurors who do not reveal are
///    excluded, and lose their locked stake.
/// 4. Result, once the reveal window has closed and at least one juror revealed:
///    - Score evaluations (one value in [0, 1e18] per juror): the median (`resolveScore`); the
///      payout vector is (score, 1e18 - score).
///    - Pairwise evaluations over `items` items. A comparison is (a, b, choice, multiplier) with
///      choice 1 (a is worth more) or 2 (b is), and multiplier in hundredths, 100 to 99900
///      (1.00 to 999.00). It becomes y = +-ln(multiplier), an estimate of ln(w_b / w_a)
///      (negative for choice 1). Two ways to aggregate, fixed at creation:
///      - Huber (`submitHuber`): anyone submits logits x; the contract checks that x minimises
///        sum_k huber_delta(r_k) + (RIDGE / 2) |x|^2 with r_k = y_k - (x_b - x_a), by checking
///        that the gradient is zero within `tolerance` at every item. The loss is convex and
///        the ridge makes it strictly convex, so this certifies the unique optimum to within
///        the tolerance (a logit held only by the ridge is free by up to tolerance / 1e-6).
///      - Triangle (`resolveTriangle`, three items, each juror rates all three pairs): each
///        juror's ratio farthest from the panel's per-pair median is dropped and rebuilt from
///        their other two; the result is the per-item median of the jurors' logits.
///      The weights are softmax(x) in 1e18 fixed point, summing to exactly 1e18.
/// The payout vector is reported to the vault's condition (this contract as resolver) when the
/// evaluation names one, and the fee plus any lost stakes are shared by the jurors who revealed.
/// @dev Warning: the jury's token must be a plain ERC-20: fee-on-transfer tokens are rejected
/// (deposits are checked against the balance received), and rebasing tokens would break the
/// accounting of stakes and fees.
/// @dev Warning: the panel's randomness is a block hash; the proposer of block `drawBlock` can
/// withhold it to redraw. Use panels large enough that one redraw does not decide an outcome.
interface IJury {
    // ------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------

    enum Kind {
        Pairwise,
        Score
    }

    enum Status {
        None,
        Pending, // created, panel not drawn
        Drawn, // panel drawn: commit, then reveal windows
        Resolved,
        Failed, // nobody revealed
        Cancelled // cancelled before the draw
    }

    /// @notice What an evaluator fixes at creation.
    /// @param kind Pairwise weights or one direct score.
    /// @param items Pairwise: number of items, 2 to 256. Score: must be 0.
    /// @param triangle Pairwise only: aggregate by the triangle check (needs items == 3).
    /// @param panelSize Jurors drawn, 1 to 64.
    /// @param commitDuration Seconds of the commit window, from the draw.
    /// @param revealDuration Seconds of the reveal window, after the commit window.
    /// @param deltaWad Huber parameter delta (1e18 = 1.0); > 0 for Huber evaluations.
    /// @param toleranceWad Largest accepted |gradient| per item (1e18 = 1.0), from
    /// `MIN_TOLERANCE` (8192 wei) to `MAX_TOLERANCE` (1e9, i.e. 1e-9).
    /// @param minStake Stake a juror needs to be drawn; locked while on the panel.
    /// @param fee Paid by the creator (pulled from msg.sender) to the revealing jurors.
    /// @param feeFromFund Taken from the jury fund and added to the fee.
    /// @param questionId Vault question to report the payout vector to (0: none). The condition
    /// (this contract, questionId, slots) must be prepared in the vault, with slots = items for
    /// pairwise and 2 for a score.
    struct EvaluationParams {
        Kind kind;
        uint16 items;
        bool triangle;
        uint8 panelSize;
        uint32 commitDuration;
        uint32 revealDuration;
        uint128 deltaWad;
        uint128 toleranceWad;
        uint128 minStake;
        uint128 fee;
        uint128 feeFromFund;
        bytes32 questionId;
    }

    /// @notice One pairwise rating as a juror reveals it.
    struct Comparison {
        uint16 a;
        uint16 b;
        uint8 choice; // 1: a is worth more; 2: b is worth more
        uint24 multiplier; // hundredths: 100 (1.00) to 99900 (999.00)
    }

    /// @notice An evaluation's state, as returned by `evaluation`.
    struct EvaluationView {
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

    // ------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------

    event JurorAdded(address indexed juror);
    event JurorRemoved(address indexed juror);
    event Staked(address indexed juror, uint256 amount);
    event Unstaked(address indexed juror, uint256 amount);
    event JuryFunded(address indexed from, uint256 amount);
    event EvaluationCreated(
        uint256 indexed evaluationId,
        address indexed creator,
        EvaluationParams params
    );
    event DrawRescheduled(uint256 indexed evaluationId, uint256 drawBlock);
    event PanelDrawn(
        uint256 indexed evaluationId,
        address[] panel,
        uint256 commitEnd,
        uint256 revealEnd
    );
    event Committed(uint256 indexed evaluationId, address indexed juror, bytes32 commitment);
    /// @notice `packed` holds one word per comparison, as `packPair` builds it: the chain the
    /// Huber certificate is checked against, in reveal order.
    event PairsRevealed(
        uint256 indexed evaluationId,
        address indexed juror,
        Comparison[] pairs,
        bytes32[] packed
    );
    event ScoreRevealed(uint256 indexed evaluationId, address indexed juror, uint256 scoreWad);
    /// @notice `payouts` is the weight vector (pairwise) or (score, 1e18 - score).
    event EvaluationResolved(
        uint256 indexed evaluationId,
        uint256[] payouts,
        int256[] logits,
        uint256 jurorShare
    );
    event EvaluationFailed(uint256 indexed evaluationId);
    event EvaluationCancelled(uint256 indexed evaluationId);
    event StakeSlashed(uint256 indexed evaluationId, address indexed juror, uint256 amount);
    event Withdrawn(address indexed account, address indexed to, uint256 amount);

    // ------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------

    error ZeroAddress();
    error TokenHasNoCode(address token);
    error JurorAlreadyRegistered(address juror);
    error JurorNotRegistered(address juror);
    error TooManyJurors(uint256 max);
    error ZeroAmount();
    error InsufficientFreeStake(uint256 free, uint256 requested);
    error DeliveredLess(uint256 expected, uint256 received);
    error InsufficientJuryFund(uint256 available, uint256 requested);
    error InvalidParams(string field);
    error UnknownEvaluation(uint256 evaluationId);
    error WrongStatus(uint256 evaluationId, Status status);
    error WrongKind(uint256 evaluationId);
    error DrawTooEarly(uint256 evaluationId, uint256 drawBlock);
    error NotEnoughJurors(uint256 eligible, uint256 panelSize);
    error NotOnPanel(uint256 evaluationId, address account);
    error CommitClosed(uint256 evaluationId, uint256 commitEnd);
    error AlreadyCommitted(uint256 evaluationId, address juror);
    error RevealNotOpen(uint256 evaluationId, uint256 commitEnd);
    error RevealClosed(uint256 evaluationId, uint256 revealEnd);
    error NotCommitted(uint256 evaluationId, address juror);
    error AlreadyRevealed(uint256 evaluationId, address juror);
    error CommitmentMismatch(uint256 evaluationId, address juror);
    error EmptyReveal();
    error TooManyComparisons(uint256 count, uint256 max);
    error UnknownItem(uint256 index, uint256 item, uint256 items);
    error SameItem(uint256 index, uint256 item);
    error BadChoice(uint256 index, uint256 choice);
    error BadMultiplier(uint256 index, uint256 multiplier);
    error ScoreOutOfRange(uint256 scoreWad);
    error TriangleIncomplete(uint256 evaluationId, address juror);
    error RevealStillOpen(uint256 evaluationId, uint256 revealEnd);
    error NoReveals(uint256 evaluationId);
    error HasReveals(uint256 evaluationId, uint256 revealCount);
    error ComparisonsMismatch(uint256 evaluationId);
    error WrongLogitCount(uint256 count, uint256 items);
    error LogitSumNotZero(int256 sum);
    error LogitOutOfRange(uint256 item, int256 logit);
    error NotOptimal(uint256 item, int256 gradient, uint256 tolerance);
    error NothingOwed(address account);
    error SeedKnown(uint256 evaluationId);

    // ------------------------------------------------------------------------------------------
    // Registry and stakes
    // ------------------------------------------------------------------------------------------

    /// @notice Adds a juror (DEFAULT_ADMIN_ROLE). At most `MAX_JURORS` (`TooManyJurors`).
    function addJuror(address juror) external;

    /// @notice Removes a juror (DEFAULT_ADMIN_ROLE). Panels already drawn keep them; their stake
    /// stays theirs to unstake once unlocked.
    function removeJuror(address juror) external;

    /// @notice Adds `amount` of the token (pulled from msg.sender) to msg.sender's stake.
    function stake(uint256 amount) external;

    /// @notice Returns `amount` of msg.sender's unlocked stake (`InsufficientFreeStake`).
    function unstake(uint256 amount) external;

    /// @notice Adds `amount` (pulled from msg.sender) to the jury fund, which pays evaluations'
    /// `feeFromFund`. Slashed bonds of the Deep Funding graph land here.
    function fundJury(uint256 amount) external;

    // ------------------------------------------------------------------------------------------
    // Evaluations
    // ------------------------------------------------------------------------------------------

    /// @notice Creates an evaluation (EVALUATOR_ROLE) and takes its fee: `fee` from msg.sender,
    /// `feeFromFund` from the jury fund. Bad parameters revert with `InvalidParams(field)`.
    function createEvaluation(
        EvaluationParams calldata params
    ) external returns (uint256 evaluationId);

    /// @notice Cancels a Pending evaluation (EVALUATOR_ROLE); the fee is owed back to the creator
    /// and `feeFromFund` returns to the fund. Once the draw block's hash is known (the panel is
    /// then determined) it reverts with `SeedKnown`, unless too few jurors are eligible to draw.
    function cancelEvaluation(uint256 evaluationId) external;

    /// @notice Draws the panel (anyone), after block `drawBlock`. When that block's hash is no
    /// longer available (more than 256 blocks ago) the draw is moved to the next block instead,
    /// and `DrawRescheduled` is emitted. Reverts with `NotEnoughJurors` when fewer registered
    /// jurors than `panelSize` have `minStake` free.
    function drawPanel(uint256 evaluationId) external;

    /// @notice A panel member's commitment, once, during the commit window.
    function commit(uint256 evaluationId, bytes32 commitment) external;

    /// @notice Reveals pairwise comparisons (1 to `MAX_REVEAL_PAIRS`, and at most
    /// `MAX_COMPARISONS` in the evaluation: `TooManyComparisons`), during the reveal window.
    /// They must hash to the commitment (`CommitmentMismatch`) and be valid (`UnknownItem`,
    /// `SameItem`, `BadChoice`, `BadMultiplier`; `TriangleIncomplete` for a triangle evaluation
    /// unless they are the three pairs once each).
    function revealPairs(uint256 evaluationId, Comparison[] calldata pairs, bytes32 salt) external;

    /// @notice Reveals a score in [0, 1e18] (`ScoreOutOfRange`), during the reveal window.
    function revealScore(uint256 evaluationId, uint256 scoreWad, bytes32 salt) external;

    /// @notice Resolves a score evaluation by the median of the revealed scores (of an even
    /// count: the mean of the middle two, rounded down).
    function resolveScore(uint256 evaluationId) external;

    /// @notice Resolves a Huber evaluation with the certified logits (anyone may submit).
    /// @param packed Every revealed comparison in reveal order, as in `PairsRevealed`
    /// (`ComparisonsMismatch` otherwise).
    /// @param logits One per item, summing to exactly 0 (`LogitSumNotZero`), each within
    /// +-MAX_LOGIT (`LogitOutOfRange`), optimal within the tolerance (`NotOptimal`).
    function submitHuber(
        uint256 evaluationId,
        bytes32[] calldata packed,
        int256[] calldata logits
    ) external;

    /// @notice Resolves a triangle evaluation (anyone).
    function resolveTriangle(uint256 evaluationId) external;

    /// @notice Marks an evaluation as Failed (anyone): one nobody revealed, after the reveal
    /// window, or one nobody resolved within `RESOLVE_GRACE` after it (`HasReveals` before). The
    /// locked stakes of panel members who did not reveal go to the jury fund, the others are
    /// released; the fee is owed back to the creator and `feeFromFund` returns to the fund.
    function failEvaluation(uint256 evaluationId) external;

    /// @notice Pays msg.sender what it is owed (juror pay, refunded fees) to `to`.
    function withdraw(address to) external returns (uint256 amount);

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    function evaluation(uint256 evaluationId) external view returns (EvaluationView memory);

    function panelOf(uint256 evaluationId) external view returns (address[] memory);

    /// @notice A panel member's ballot: state 0 (not on the panel), 1 (drawn), 2 (committed) or
    /// 3 (revealed), and the commitment.
    function ballotOf(
        uint256 evaluationId,
        address juror
    ) external view returns (uint8 state, bytes32 commitment);

    /// @notice The payout vector of a resolved evaluation (empty before).
    function resultOf(uint256 evaluationId) external view returns (uint256[] memory payouts);

    function evaluationCount() external view returns (uint256);

    function jurors() external view returns (address[] memory);

    function isJuror(address account) external view returns (bool);

    function stakeOf(address juror) external view returns (uint256 staked, uint256 locked);

    function owed(address account) external view returns (uint256);

    function juryFund() external view returns (uint256);

    /// @notice The commitment a juror posts for pairwise comparisons.
    function pairsCommitment(
        uint256 evaluationId,
        address juror,
        Comparison[] calldata pairs,
        bytes32 salt
    ) external view returns (bytes32);

    /// @notice The commitment a juror posts for a score.
    function scoreCommitment(
        uint256 evaluationId,
        address juror,
        uint256 scoreWad,
        bytes32 salt
    ) external view returns (bytes32);

    /// @notice The optimality check of `submitHuber` without state: the gradient at every item.
    function huberGradient(
        uint256 items,
        bytes32[] calldata packed,
        int256[] calldata logits,
        uint256 deltaWad
    ) external pure returns (int256[] memory gradient);
}
