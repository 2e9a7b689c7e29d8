// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IJury} from "./IJury.sol";

/// @title IDeepFundingRounds
/// @notice The recurring Deep Funding round of one target: it opens the three market families on
/// the current graph, chooses which markets the jury evaluates once trading has closed, asks the
/// jury for those evaluations, and settles the graph's edges and the round's pot by the markets'
/// time-weighted average prices. Every step can be called by anyone (a keeper): its inputs come
/// from the chain, and what a caller supplies (rankings) is checked.
///
/// Markets of round r over seeds s_0..s_{n-1} (the graph's seeds when the round opens, 2 to
/// `MAX_SEEDS` = 128):
/// - W_0: one market over n slots, "weights of the target's seeds", priced in collateral;
///   evaluated by the jury (pairwise, Huber). Always evaluated.
/// - S: the condition "which seeds' originality is evaluated" (n slots, resolved by this
///   contract); this contract splits the subsidy into a full S set. For each seed j, the
///   originality market O_j: 2 slots (UP, DOWN), priced in S_j, evaluated by a jury score.
/// - C: the condition "which seeds' children are evaluated" (n slots, resolved here). For each
///   seed i with k_i >= 2 children, the market W_i over its k_i children priced in C_i,
///   evaluated by the jury (pairwise, Huber).
/// Every condition has this contract as its resolver (prepared by it, or reused when someone
/// prepared the same one first). A market the round evaluates is resolved by `resolveMarket`
/// with the jury's result, or, when the evaluation failed or was cancelled, with its own
/// time-weighted prices; a conditional market whose parent is not evaluated never resolves: its
/// S_j or C_i redeems 0.
///
/// Phases of a round (see `Phase`):
/// 1. `openRound` (previous round settled): fixes the seeds and the close time, prepares the
///    conditions, creates W_0 and splits the S and C sets. Then `openBatch(maxSeeds)` creates the
///    seeds' markets a batch at a time (bounded gas), fixing each seed's children. Starting prices
///    are the last round's final spot prices; a seed or child never priced before starts at
///    `baseRateWad` (then all are normalised to sum to one, none below `MIN_START_PRICE`).
///    A batch run after the close time only fixes the seeds' children, without markets: those
///    seeds are settled at their starting prices.
/// 2. `close` (at or after the close time, once every batch has run): trading has stopped; the
///    randomness of the sample is the hash of the next block, unknown to every trader.
/// 3. `selectBatch(maxSeeds)`: the first call draws `sampleSize` originality markets and
///    `sampleSize` dependency markets at random (all of them when there are fewer); every call
///    adds, for its seeds, markets someone paid to have evaluated (`requestEvaluation`) and
///    markets whose time-weighted price of some outcome moved more than `volatilityWad` from its
///    starting price. After the last seed the S and C conditions are reported (payout 1 on each
///    evaluated seed; 1 on every seed when a family has no market, whose untouched full set
///    then merges back into the budget).
/// 4. `createEvaluations(maxSeeds)`: one jury evaluation per evaluated market (W_0 first), each
///    paid `juryFee` from the budget plus the fees paid for it. When an evaluation ends,
///    `resolveMarket` reports its result to the vault (at any time, also in later rounds).
/// 5. `beginSettlement(seedOrder)`, then per seed `settleSeed` and `settleSeedEdges`: the pot of
///    round r is shared by the time-weighted prices (W_0 for seed weights, UP of O_j for
///    originality, W_i for children) and each seed's round children's edges are settled by the
///    same prices (edges added during the round have no price yet: they are left for the next
///    round). The final spot prices are kept as the next round's starting prices (a price that
///    rounded to 0 as 1 wei, so it starts at the floor). After the last seed the round is
///    Settled. Settlement does not wait for the jury: the pot follows the markets.
///
/// Money: the budget (`fundBudget`, anyone) pays each round's subsidies (3 x `marketSubsidy`)
/// and jury fees; evaluation requests pay `evaluationFee`, forwarded to the jury. The token
/// balance of this contract equals `budget() + heldFees()` (plain ERC-20 only; fee-on-transfer
/// deliveries are rejected). The subsidies' unused remainder stays in the vault as the market
/// maker's backing. Fees the jury refunds (failed or cancelled evaluations) return to the budget
/// through `reclaimJuryRefunds`.
/// @dev Warning: the sample's randomness is a block hash, which the proposer of that block can
/// withhold, or grind by choosing its contents; a validator could keep a market out of the
/// random sample. Paid requests and the volatility trigger do not depend on it.
/// @dev Warning: this contract must be the only settler of the graph and of the pot's round ids
/// 1, 2, ...: a settlement by another settler changes the children lists this contract fixed and
/// makes `settleSeed` revert with `ChildrenChanged`.
interface IDeepFundingRounds {
    enum Phase {
        None, // no round yet
        Opening, // markets being created in batches
        Trading, // every market created; trading until the close time
        Selecting, // closed; choosing evaluations in batches
        Evaluating, // creating the jury evaluations in batches
        Settling, // pot and edges being settled seed by seed
        Settled
    }

    enum Family {
        Originality,
        Dependency
    }

    /// @notice Fixed at deployment.
    /// @param period Seconds of trading from `openRound`.
    /// @param marketSubsidy Collateral per family and round: the W_0 market's subsidy, and the
    /// size of the S and C sets (each originality and dependency market is subsidised with that
    /// much of its parent position).
    /// @param baseRateWad Starting weight (1e18 = 1) of a seed or child never priced before.
    /// @param startOriginalityWad Starting UP price of an originality market never priced before.
    /// @param sampleSize Random originality markets, and random dependency markets, per round (>= 1).
    /// @param volatilityWad Move of a time-weighted price from the starting price that triggers an
    /// evaluation (0: never).
    /// @param evaluationFee Price of `requestEvaluation`.
    /// @param juryFee Paid from the budget to the jury for each evaluation.
    /// @param panelSize, commitDuration, revealDuration, deltaWad, toleranceWad, minStake: the
    /// jury evaluations' parameters (see `IJury.EvaluationParams`), checked at deployment
    /// against the jury's limits (panel 1 to 64, durations 1 s to 365 days, delta > 0,
    /// tolerance 8192 to 1e9 wei).
    struct Config {
        uint32 period;
        uint128 marketSubsidy;
        uint128 baseRateWad;
        uint128 startOriginalityWad;
        uint8 sampleSize;
        uint128 volatilityWad;
        uint128 evaluationFee;
        uint128 juryFee;
        uint8 panelSize;
        uint32 commitDuration;
        uint32 revealDuration;
        uint128 deltaWad;
        uint128 toleranceWad;
        uint128 minStake;
    }

    /// @notice A round as `roundInfo` returns it.
    /// @param originalityEvaluated Bit j: seed j's originality is evaluated (set during selection).
    /// @param dependencyEvaluated Bit i: seed i's children are evaluated.
    /// @param requestedOriginality Bit j: someone paid for seed j's originality evaluation.
    /// @param requestedDependency Bit i: someone paid for seed i's children's evaluation.
    /// @param evaluations Jury evaluations created so far (W_0 first).
    /// @param spent Budget spent on the round (subsidies and jury fees).
    struct RoundInfo {
        Phase phase;
        uint16 seedCount;
        uint16 cursor;
        uint40 closeTime;
        uint64 randomBlock;
        uint16 seedsSettled;
        uint256 w0Market;
        bytes32 w0Condition;
        bytes32 sCondition;
        bytes32 cCondition;
        uint256 originalityEvaluated;
        uint256 dependencyEvaluated;
        uint256 requestedOriginality;
        uint256 requestedDependency;
        uint256 evaluations;
        uint256 spent;
    }

    /// @notice A seed of a round as `seedInfo` returns it.
    /// @param node The seed's id.
    /// @param originalityMarket 0 until created (or never, when its batch ran after the close).
    /// @param dependencyMarket 0 when the seed has fewer than two children or no market.
    /// @param childCount Children fixed when its batch ran (the first ones of `children(node)`).
    /// @param childrenHash keccak256 of those children's ids (abi.encodePacked).
    /// @param startOriginalityWad UP's starting price.
    /// @param opened Whether its batch ran.
    /// @param potSettled Whether `settleSeed` (its pot shares and final prices) ran.
    /// @param settled Whether `settleSeedEdges` (its edges) ran too.
    struct SeedInfo {
        bytes32 node;
        uint256 originalityMarket;
        uint256 dependencyMarket;
        uint16 childCount;
        bytes32 childrenHash;
        uint128 startOriginalityWad;
        bool opened;
        bool potSettled;
        bool settled;
    }

    event BudgetFunded(address indexed from, uint256 amount);
    event RoundOpened(
        uint256 indexed round,
        uint256 seedCount,
        uint256 closeTime,
        uint256 w0Market,
        uint256 subsidy
    );
    event SeedOpened(
        uint256 indexed round,
        uint256 indexed seedIndex,
        bytes32 indexed node,
        uint256 originalityMarket,
        uint256 dependencyMarket,
        uint256 childCount
    );
    event TradingOpen(uint256 indexed round);
    event EvaluationRequested(
        uint256 indexed round,
        Family indexed family,
        uint256 indexed seedIndex,
        address payer,
        uint256 fee
    );
    event RoundClosed(uint256 indexed round, uint256 randomBlock);
    /// @notice `reason` bit 0: random sample, bit 1: paid request, bit 2: volatility.
    event MarketSelected(
        uint256 indexed round,
        Family indexed family,
        uint256 indexed seedIndex,
        uint256 reason
    );
    event SelectionDone(uint256 indexed round, uint256 originality, uint256 dependency);
    /// @notice `seedIndex` is type(uint256).max for the seed-weight market W_0.
    event EvaluationOpened(
        uint256 indexed round,
        uint256 indexed seedIndex,
        Family family,
        uint256 evaluationId,
        bytes32 questionId,
        uint256 fee
    );
    event SettlementBegun(uint256 indexed round);
    event SeedSettled(
        uint256 indexed round,
        uint256 indexed seedIndex,
        uint256 bondsReturned,
        uint256 bondsSlashed
    );
    event RoundSettled(uint256 indexed round);
    event SeedPaid(uint256 indexed round, uint256 indexed seedIndex);
    event MarketResolved(
        uint256 indexed round,
        Family indexed family,
        uint256 indexed seedIndex,
        uint256 evaluationId,
        bool fromJury
    );
    event JuryRefunded(uint256 amount);
    event OrphanSettled(bytes32 indexed parent, uint256 bondsReturned, uint256 bondsSlashed);

    error ZeroAddress();
    error InvalidConfig(string field);
    error ZeroAmount();
    error DeliveredLess(uint256 expected, uint256 received);
    error InsufficientBudget(uint256 budget, uint256 needed);
    error WrongPhase(uint256 round, Phase phase);
    error SeedCount(uint256 count);
    error TooEarly(uint256 nowTime, uint256 notBefore);
    error TradingClosed(uint256 round, uint256 closeTime);
    error SeedOutOfRange(uint256 seedIndex, uint256 seedCount);
    error NoMarket(uint256 round, Family family, uint256 seedIndex);
    error AlreadyRequested(uint256 round, Family family, uint256 seedIndex);
    error ZeroBatch();
    error BadSeedOrder(uint256 position, uint256 index);
    error PotSeedMismatch(uint256 potIndex, bytes32 potNode, bytes32 node);
    error AlreadySettled(uint256 round, uint256 seedIndex);
    error ChildrenChanged(bytes32 seed);
    error StillASeed(bytes32 node);
    error PotNotSettled(uint256 round, uint256 seedIndex);
    error DrawStale(uint256 evaluationId, uint256 drawBlock);
    error NotEvaluated(uint256 round, Family family, uint256 seedIndex);
    error EvaluationOpen(uint256 evaluationId, IJury.Status status);
    error InOpenRound(uint256 round, bytes32 node);
    error NoChildren(bytes32 node);

    /// @notice Adds `amount` (pulled from msg.sender) to the budget.
    function fundBudget(uint256 amount) external;

    /// @notice Opens round `currentRound() + 1` (the current one must be Settled, or none).
    /// Needs 3 x marketSubsidy of budget. Reverts with `SeedCount` outside 2..`MAX_SEEDS` seeds.
    function openRound() external returns (uint256 round);

    /// @notice Creates the markets of up to `maxSeeds` more seeds of the opening round.
    function openBatch(uint256 maxSeeds) external;

    /// @notice Pays `evaluationFee` to have a market of the current round evaluated; while it
    /// trades (before the close time), once per market.
    function requestEvaluation(Family family, uint256 seedIndex) external;

    /// @notice Closes the current round's trading: at or after its close time (`TooEarly`), once
    /// every batch has run (`WrongPhase` while Opening).
    function close() external;

    /// @notice Selects the evaluations of up to `maxSeeds` more seeds; needs the random block's
    /// hash (after that block; if it is older than 256 blocks, the random block moves to the
    /// next one and this call only does that).
    function selectBatch(uint256 maxSeeds) external;

    /// @notice Creates the jury evaluations of up to `maxSeeds` more seeds (W_0 with the first
    /// call).
    function createEvaluations(uint256 maxSeeds) external;

    /// @notice Starts the pot's settlement. `seedOrder` lists the seed indices by increasing
    /// node id (the pot needs its seeds sorted).
    function beginSettlement(uint256[] calldata seedOrder) external;

    /// @notice Settles seed `seedIndex`'s pot shares (pot index `potIndex`, its position in
    /// `seedOrder`) by its round children's weights (`childWeights`), and records its final
    /// prices. Then `settleSeedEdges` settles its edges: two steps, so that neither grows past
    /// the gas of one transaction for a seed with 256 children.
    /// @param order The ranking of its round children by weight (heaviest first, ties by lower
    /// index), as the pot checks it.
    function settleSeed(uint256 seedIndex, uint256 potIndex, uint256[] calldata order) external;

    /// @notice Settles the edges of seed `seedIndex`'s round children by the same weights and
    /// `order` (`PotNotSettled` before `settleSeed`). Edges added to the seed during the round
    /// are not settled: the next round prices them. The last seed marks the round Settled.
    function settleSeedEdges(uint256 seedIndex, uint256[] calldata order) external;

    /// @notice Reports a market's payouts to the vault (anyone, once its jury evaluation is
    /// over): the jury's result when it resolved; when it failed (nobody revealed, or nobody
    /// resolved it in time) or was cancelled, the market's own time-weighted prices (plus one
    /// wei each), so that traders can always redeem. `NotEvaluated` for a market the round did
    /// not evaluate (its parent position redeems nothing), `EvaluationOpen` while the jury works.
    /// `seedIndex` type(uint256).max is W_0.
    function resolveMarket(uint256 round, Family family, uint256 seedIndex) external;

    /// @notice Cancels a market's jury evaluation whose panel cannot be drawn (too few eligible
    /// jurors), once the draw block has passed (`TooEarly` before) and while its hash is
    /// available (`DrawStale` after 256 blocks: `drawPanel` first moves the draw block); the
    /// jury refuses any other.
    /// The fee is refunded to this contract (see `reclaimJuryRefunds`) and the market can then
    /// be resolved by its prices.
    function cancelStuckEvaluation(uint256 round, Family family, uint256 seedIndex) external;

    /// @notice Moves fees the jury refunded (failed or cancelled evaluations) into the budget
    /// (anyone; the jury's `NothingOwed` when there are none).
    function reclaimJuryRefunds() external returns (uint256 amount);

    /// @notice Settles the edges of a node that is no longer a seed (anyone; not while it is a
    /// seed of the round in progress, which settles it: `InOpenRound`), with equal weights: the
    /// first 128 children stay Funded and their proposers' bonds are returned, any beyond are
    /// dropped. Without it, bonds proposed under a removed seed would be held until it became a
    /// seed again.
    function settleOrphan(bytes32 parent) external;

    function currentRound() external view returns (uint256);

    function roundInfo(uint256 round) external view returns (RoundInfo memory);

    function seedInfo(uint256 round, uint256 seedIndex) external view returns (SeedInfo memory);

    function config() external view returns (Config memory);

    function budget() external view returns (uint256);

    /// @notice Evaluation fees paid and not yet forwarded to the jury.
    function heldFees() external view returns (uint256);

    /// @notice A market's jury evaluation id + 1 (0: not evaluated).
    function evaluationOf(
        uint256 round,
        Family family,
        uint256 seedIndex
    ) external view returns (uint256);

    /// @notice The fee paid for a market's evaluation (0: not requested).
    function requestFee(
        uint256 round,
        Family family,
        uint256 seedIndex
    ) external view returns (uint256);

    /// @notice The question id of a round's market (seedIndex type(uint256).max: W_0; its
    /// family is then ignored).
    function questionId(
        uint256 round,
        Family family,
        uint256 seedIndex
    ) external view returns (bytes32);

    /// @notice The last final spot price of `child` under `parent` (the target for seeds), 0
    /// when never priced.
    function lastPrice(bytes32 parent, bytes32 child) external view returns (uint256);

    /// @notice The last final UP price of a seed's originality market, 0 when never priced.
    function lastOriginality(bytes32 seed) external view returns (uint256);

    /// @notice Starting prices of a market over `items` under `parent`: last prices, base rate
    /// for new ones, floored at `MIN_START_PRICE` and normalised to sum to 1e18.
    function startPrices(
        bytes32 parent,
        bytes32[] calldata items
    ) external view returns (uint256[] memory pricesWad);

    /// @notice The weights settlement uses for a seed's children: time-weighted prices of its
    /// dependency market (its starting prices without one; [1e18] for a single child).
    function childWeights(
        uint256 round,
        uint256 seedIndex
    ) external view returns (uint256[] memory);
}
