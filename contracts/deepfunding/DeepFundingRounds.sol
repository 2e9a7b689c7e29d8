// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ERC1155Holder} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Holder.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IConditionalTokens} from "../interfaces/IConditionalTokens.sol";
import {IDeepFundingRounds} from "../interfaces/IDeepFundingRounds.sol";
import {IDependencyGraph} from "../interfaces/IDependencyGraph.sol";
import {IFundingPot} from "../interfaces/IFundingPot.sol";
import {IJury} from "../interfaces/IJury.sol";
import {ILMSRMarketMaker} from "../interfaces/ILMSRMarketMaker.sol";
import {TokenCalls} from "../libraries/TokenCalls.sol";

/// @title DeepFundingRounds
/// @notice See `IDeepFundingRounds`. Holds the budget, the evaluation fees paid for the current
/// round, and the unused outcome tokens of its S and C sets; it has no privileged role of its own.
/// @dev Needs: the jury's EVALUATOR_ROLE, the graph's SETTLER_ROLE and the pot's SETTLER_ROLE.
/// The token is the collateral of the markets, the jury's, the graph's and the pot's token.
contract DeepFundingRounds is IDeepFundingRounds, ERC1155Holder, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice Smallest starting weight before normalisation, and the bounds of a starting
    /// originality price (so a market's worst-case loss, b ln(1 / p_min), keeps b useful).
    uint256 public constant MIN_START_PRICE = 1e15;
    uint256 public constant MAX_SAMPLE = 64;
    /// @notice Most seeds a round takes: the funding pot's limit, and what `openRound` (not
    /// batched: O(n)) does within 16.7M gas.
    uint256 public constant MAX_SEEDS = 128;
    // The jury's limits on evaluation parameters (see `Jury`), checked at deployment so that a
    // round can never be stuck on evaluations the jury refuses.
    uint256 private constant _JURY_MAX_PANEL = 64;
    uint256 private constant _JURY_MIN_TOLERANCE = 8192;
    uint256 private constant _JURY_MAX_TOLERANCE = 1e9;
    uint256 private constant _JURY_MAX_DURATION = 365 days;
    uint256 private constant _WAD = 1e18;
    uint256 private constant _W0 = type(uint256).max;

    // Question tags of `_qid`.
    uint256 private constant _TAG_W0 = 0;
    uint256 private constant _TAG_S = 1;
    uint256 private constant _TAG_C = 2;
    uint256 private constant _TAG_O = 3;
    uint256 private constant _TAG_W = 4;

    IConditionalTokens public immutable VAULT;
    ILMSRMarketMaker public immutable MAKER;
    IJury public immutable JURY;
    IDependencyGraph public immutable GRAPH;
    IFundingPot public immutable POT;
    address public immutable TOKEN;
    bytes32 public immutable TARGET;

    Config private _config;
    uint256 private _current;
    uint256 private _budget;
    uint256 private _heldFees;

    /// @dev Per round, bookkeeping beyond `RoundInfo`.
    struct RoundFlags {
        bool sampled;
        bool settlementBegun;
        uint256 originalityMarkets; // bit j: O_j exists
        uint256 dependencyMarkets; // bit i: W_i exists
    }

    mapping(uint256 round => RoundInfo) private _rounds;
    mapping(uint256 round => RoundFlags) private _flags;
    mapping(uint256 round => mapping(uint256 seedIndex => SeedInfo)) private _seeds;
    mapping(uint256 round => mapping(Family => mapping(uint256 seedIndex => uint256)))
        private _fees;
    mapping(bytes32 parent => mapping(bytes32 child => uint256)) private _lastPrice;
    mapping(bytes32 seed => uint256) private _lastOriginality;
    /// @dev A market's question id -> its jury evaluation id + 1 (0: not evaluated).
    mapping(bytes32 questionId => uint256) private _evaluationFor;

    constructor(
        IConditionalTokens vault,
        ILMSRMarketMaker maker,
        IJury jury,
        IDependencyGraph graph,
        IFundingPot pot,
        Config memory config_
    ) {
        if (
            address(vault) == address(0) ||
            address(maker) == address(0) ||
            address(jury) == address(0) ||
            address(graph) == address(0) ||
            address(pot) == address(0)
        ) revert ZeroAddress();
        address token = graph.token();
        if (pot.TOKEN() != token) revert InvalidConfig("pot token");
        if (config_.period == 0) revert InvalidConfig("period");
        if (config_.marketSubsidy == 0) revert InvalidConfig("marketSubsidy");
        if (config_.baseRateWad == 0 || config_.baseRateWad > _WAD) {
            revert InvalidConfig("baseRateWad");
        }
        if (
            config_.startOriginalityWad < MIN_START_PRICE ||
            config_.startOriginalityWad > _WAD - MIN_START_PRICE
        ) revert InvalidConfig("startOriginalityWad");
        if (config_.sampleSize == 0 || config_.sampleSize > MAX_SAMPLE) {
            revert InvalidConfig("sampleSize");
        }
        if (config_.evaluationFee == 0) revert InvalidConfig("evaluationFee");
        if (config_.panelSize == 0 || config_.panelSize > _JURY_MAX_PANEL) {
            revert InvalidConfig("panelSize");
        }
        if (config_.commitDuration == 0 || config_.commitDuration > _JURY_MAX_DURATION) {
            revert InvalidConfig("commitDuration");
        }
        if (config_.revealDuration == 0 || config_.revealDuration > _JURY_MAX_DURATION) {
            revert InvalidConfig("revealDuration");
        }
        if (config_.deltaWad == 0) revert InvalidConfig("deltaWad");
        if (
            config_.toleranceWad < _JURY_MIN_TOLERANCE || config_.toleranceWad > _JURY_MAX_TOLERANCE
        ) revert InvalidConfig("toleranceWad");
        VAULT = vault;
        MAKER = maker;
        JURY = jury;
        GRAPH = graph;
        POT = pot;
        TOKEN = token;
        TARGET = graph.target();
        _config = config_;
        // The maker burns this contract's S_j and C_i positions as market subsidies.
        vault.setApprovalForAll(address(maker), true);
    }

    // ------------------------------------------------------------------------------------------
    // Budget and requests
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IDeepFundingRounds
    function fundBudget(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _budget += amount;
        emit BudgetFunded(msg.sender, amount);
        _pull(amount);
    }

    /// @inheritdoc IDeepFundingRounds
    function requestEvaluation(Family family, uint256 seedIndex) external nonReentrant {
        uint256 round = _current;
        RoundInfo storage r = _rounds[round];
        if (r.phase != Phase.Opening && r.phase != Phase.Trading) revert WrongPhase(round, r.phase);
        if (block.timestamp >= r.closeTime) revert TradingClosed(round, r.closeTime);
        if (seedIndex >= r.seedCount) revert SeedOutOfRange(seedIndex, r.seedCount);
        if (_marketOf(round, family, seedIndex) == 0) revert NoMarket(round, family, seedIndex);
        if (_fees[round][family][seedIndex] != 0) revert AlreadyRequested(round, family, seedIndex);
        uint256 fee = _config.evaluationFee;
        _fees[round][family][seedIndex] = fee;
        _heldFees += fee;
        if (family == Family.Originality) r.requestedOriginality |= 1 << seedIndex;
        else r.requestedDependency |= 1 << seedIndex;
        emit EvaluationRequested(round, family, seedIndex, msg.sender, fee);
        _pull(fee);
    }

    // ------------------------------------------------------------------------------------------
    // Opening
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IDeepFundingRounds
    function openRound() external nonReentrant returns (uint256 round) {
        uint256 previous = _current;
        if (previous != 0 && _rounds[previous].phase != Phase.Settled) {
            revert WrongPhase(previous, _rounds[previous].phase);
        }
        bytes32[] memory seedIds = GRAPH.seeds();
        uint256 n = seedIds.length;
        if (n < 2 || n > MAX_SEEDS) revert SeedCount(n);
        uint256 subsidy = _config.marketSubsidy;
        _spend(3 * subsidy);

        round = previous + 1;
        _current = round;
        RoundInfo storage r = _rounds[round];
        r.phase = Phase.Opening;
        // n <= MAX_SEEDS (checked above).
        r.seedCount = uint16(n);
        uint256 closeTime = block.timestamp + _config.period;
        r.closeTime = uint40(closeTime);
        r.spent = 3 * subsidy;
        for (uint256 i; i < n; ++i) _seeds[round][i].node = seedIds[i];

        r.w0Condition = _prepare(_qid(round, _TAG_W0, 0), n);
        r.sCondition = _prepare(_qid(round, _TAG_S, 0), n);
        r.cCondition = _prepare(_qid(round, _TAG_C, 0), n);
        IERC20(TOKEN).forceApprove(address(VAULT), 3 * subsidy);
        uint256 w0Market = MAKER.createMarket(
            TOKEN,
            0,
            r.w0Condition,
            subsidy,
            startPrices(TARGET, seedIds),
            closeTime
        );
        r.w0Market = w0Market;
        VAULT.splitPosition(TOKEN, 0, r.sCondition, subsidy);
        VAULT.splitPosition(TOKEN, 0, r.cCondition, subsidy);
        emit RoundOpened(round, n, closeTime, w0Market, subsidy);
    }

    /// @inheritdoc IDeepFundingRounds
    function openBatch(uint256 maxSeeds) external nonReentrant {
        uint256 round = _current;
        RoundInfo storage r = _rounds[round];
        if (r.phase != Phase.Opening) revert WrongPhase(round, r.phase);
        if (maxSeeds == 0) revert ZeroBatch();
        uint256 end = _batchEnd(r, maxSeeds);
        bool live = block.timestamp < r.closeTime;
        RoundFlags storage f = _flags[round];
        uint256 originalityBits = f.originalityMarkets;
        uint256 dependencyBits = f.dependencyMarkets;
        for (uint256 i = r.cursor; i < end; ++i) {
            SeedInfo storage s = _seeds[round][i];
            (bytes32[] memory kids, ) = GRAPH.children(s.node);
            uint256 k = kids.length;
            // k <= MAX_CHILDREN = 256.
            s.childCount = uint16(k);
            s.childrenHash = keccak256(abi.encodePacked(kids));
            s.opened = true;
            uint256 up = _startOriginality(s.node);
            // up < 1e18 (clamped).
            s.startOriginalityWad = uint128(up);
            if (live) {
                s.originalityMarket = _originalityMarket(round, i, r, up);
                originalityBits |= 1 << i;
                if (k >= 2) {
                    s.dependencyMarket = _dependencyMarket(round, i, r, s.node, kids);
                    dependencyBits |= 1 << i;
                }
            }
            emit SeedOpened(round, i, s.node, s.originalityMarket, s.dependencyMarket, k);
        }
        f.originalityMarkets = originalityBits;
        f.dependencyMarkets = dependencyBits;
        if (_advance(r, end)) {
            r.phase = Phase.Trading;
            emit TradingOpen(round);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Close and selection
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IDeepFundingRounds
    function close() external nonReentrant {
        uint256 round = _current;
        RoundInfo storage r = _rounds[round];
        // Every seed's batch must have run (after the close time a batch only fixes the seed's
        // children, without markets), so every seed is settled with its children.
        if (r.phase != Phase.Trading) revert WrongPhase(round, r.phase);
        if (block.timestamp < r.closeTime) revert TooEarly(block.timestamp, r.closeTime);
        r.phase = Phase.Selecting;
        r.cursor = 0;
        r.randomBlock = uint64(block.number + 1);
        emit RoundClosed(round, block.number + 1);
    }

    /// @inheritdoc IDeepFundingRounds
    function selectBatch(uint256 maxSeeds) external nonReentrant {
        uint256 round = _current;
        RoundInfo storage r = _rounds[round];
        if (r.phase != Phase.Selecting) revert WrongPhase(round, r.phase);
        if (maxSeeds == 0) revert ZeroBatch();
        RoundFlags storage f = _flags[round];
        if (!f.sampled) {
            if (block.number <= r.randomBlock) revert TooEarly(block.number, r.randomBlock + 1);
            bytes32 h = blockhash(r.randomBlock);
            if (h == bytes32(0)) {
                // Older than 256 blocks: a fresh, still unknown, block decides.
                r.randomBlock = uint64(block.number + 1);
                emit RoundClosed(round, block.number + 1);
                return;
            }
            uint256 size = _config.sampleSize;
            r.originalityEvaluated = _sample(
                f.originalityMarkets,
                size,
                keccak256(abi.encode(h, 0))
            );
            r.dependencyEvaluated = _sample(f.dependencyMarkets, size, keccak256(abi.encode(h, 1)));
            f.sampled = true;
        }
        uint256 end = _batchEnd(r, maxSeeds);
        uint256 sampledO = r.originalityEvaluated;
        uint256 sampledD = r.dependencyEvaluated;
        for (uint256 i = r.cursor; i < end; ++i) {
            SeedInfo storage s = _seeds[round][i];
            uint256 bit = 1 << i;
            if (s.originalityMarket != 0) {
                uint256 reason = _reason(sampledO, r.requestedOriginality, bit);
                if (_volatileOriginality(s)) reason |= 4;
                if (reason != 0) {
                    sampledO |= bit;
                    emit MarketSelected(round, Family.Originality, i, reason);
                }
            }
            if (s.dependencyMarket != 0) {
                uint256 reason = _reason(sampledD, r.requestedDependency, bit);
                if (_volatileDependency(s)) reason |= 4;
                if (reason != 0) {
                    sampledD |= bit;
                    emit MarketSelected(round, Family.Dependency, i, reason);
                }
            }
        }
        r.originalityEvaluated = sampledO;
        r.dependencyEvaluated = sampledD;
        if (_advance(r, end)) {
            // Past the last seed: report the "which are evaluated" conditions at once.
            r.phase = Phase.Evaluating;
            _mergeUnused(r, f.originalityMarkets, r.sCondition);
            _mergeUnused(r, f.dependencyMarkets, r.cCondition);
            VAULT.reportPayouts(_qid(round, _TAG_S, 0), _indicator(sampledO, r.seedCount));
            VAULT.reportPayouts(_qid(round, _TAG_C, 0), _indicator(sampledD, r.seedCount));
            emit SelectionDone(round, sampledO, sampledD);
        }
    }

    /// @inheritdoc IDeepFundingRounds
    function createEvaluations(uint256 maxSeeds) external nonReentrant {
        uint256 round = _current;
        RoundInfo storage r = _rounds[round];
        if (r.phase != Phase.Evaluating) revert WrongPhase(round, r.phase);
        if (maxSeeds == 0) revert ZeroBatch();
        Config memory c = _config;
        if (r.evaluations == 0) {
            _evaluate(round, r, c, _W0, Family.Dependency, r.seedCount, 0);
        }
        uint256 end = _batchEnd(r, maxSeeds);
        for (uint256 i = r.cursor; i < end; ++i) {
            uint256 bit = 1 << i;
            if (r.originalityEvaluated & bit != 0) {
                _evaluate(
                    round,
                    r,
                    c,
                    i,
                    Family.Originality,
                    0,
                    _fees[round][Family.Originality][i]
                );
            }
            if (r.dependencyEvaluated & bit != 0) {
                _evaluate(
                    round,
                    r,
                    c,
                    i,
                    Family.Dependency,
                    _seeds[round][i].childCount,
                    _fees[round][Family.Dependency][i]
                );
            }
        }
        if (_advance(r, end)) r.phase = Phase.Settling;
    }

    // ------------------------------------------------------------------------------------------
    // Settlement
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IDeepFundingRounds
    function beginSettlement(uint256[] calldata seedOrder) external nonReentrant {
        uint256 round = _current;
        RoundInfo storage r = _rounds[round];
        RoundFlags storage f = _flags[round];
        if (r.phase != Phase.Settling || f.settlementBegun) revert WrongPhase(round, r.phase);
        uint256 n = r.seedCount;
        if (seedOrder.length != n) revert BadSeedOrder(seedOrder.length, n);
        f.settlementBegun = true;

        uint256[] memory weights = MAKER.averagePrices(r.w0Market);
        bytes32[] memory ids = new bytes32[](n);
        uint256[] memory sortedWeights = new uint256[](n);
        uint256[] memory originality = new uint256[](n);
        for (uint256 p; p < n; ++p) {
            uint256 i = seedOrder[p];
            // The pot rejects ids that are not strictly increasing, so a valid order is a
            // permutation once every index is in range.
            if (i >= n) revert BadSeedOrder(p, i);
            SeedInfo storage s = _seeds[round][i];
            bytes32 node = s.node;
            ids[p] = node;
            sortedWeights[p] = weights[i];
            uint256 market = s.originalityMarket;
            if (market != 0) {
                originality[p] = MAKER.averagePrices(market)[0];
            } else {
                originality[p] = s.startOriginalityWad;
            }
        }
        POT.beginSettlement(round, ids, sortedWeights, originality);
        emit SettlementBegun(round);
    }

    /// @inheritdoc IDeepFundingRounds
    function settleSeed(
        uint256 seedIndex,
        uint256 potIndex,
        uint256[] calldata order
    ) external nonReentrant {
        (uint256 round, RoundInfo storage r, SeedInfo storage s) = _settling(seedIndex);
        if (s.potSettled) revert AlreadySettled(round, seedIndex);
        bytes32 node = s.node;
        bytes32 potNode = POT.seedOf(round, potIndex).node;
        if (potNode != node) revert PotSeedMismatch(potIndex, potNode, node);
        s.potSettled = true;

        (bytes32[] memory live, ) = GRAPH.children(node);
        bytes32[] memory kids = _roundChildren(s, live);
        POT.settleChildren(round, potIndex, kids, _childWeights(s, kids), order);

        // The final prices, the next round's starting prices.
        _lastPrice[TARGET][node] = _priced(MAKER.priceOf(r.w0Market, seedIndex));
        if (s.originalityMarket != 0) {
            _lastOriginality[node] = _priced(MAKER.priceOf(s.originalityMarket, 0));
        }
        uint256 k = kids.length;
        if (s.dependencyMarket != 0) {
            uint256[] memory spot = MAKER.prices(s.dependencyMarket);
            for (uint256 j; j < k; ++j) _lastPrice[node][kids[j]] = _priced(spot[j]);
        } else if (k == 1) {
            _lastPrice[node][kids[0]] = _WAD;
        }
        emit SeedPaid(round, seedIndex);
    }

    /// @inheritdoc IDeepFundingRounds
    function settleSeedEdges(uint256 seedIndex, uint256[] calldata order) external nonReentrant {
        (uint256 round, RoundInfo storage r, SeedInfo storage s) = _settling(seedIndex);
        if (!s.potSettled) revert PotNotSettled(round, seedIndex);
        if (s.settled) revert AlreadySettled(round, seedIndex);
        s.settled = true;
        bytes32 node = s.node;
        (bytes32[] memory live, ) = GRAPH.children(node);
        bytes32[] memory kids = _roundChildren(s, live);
        // The same children, weights and ranking as the pot's; edges added since the batch are
        // left for the next round, which gives them a market.
        (uint256 returned, uint256 slashed) = GRAPH.settleEdges(
            node,
            _childWeights(s, kids),
            order
        );
        emit SeedSettled(round, seedIndex, returned, slashed);
        if (++r.seedsSettled == r.seedCount) {
            r.phase = Phase.Settled;
            emit RoundSettled(round);
        }
    }

    /// @inheritdoc IDeepFundingRounds
    function settleOrphan(bytes32 parent) external nonReentrant {
        if (GRAPH.isSeed(parent)) revert StillASeed(parent);
        uint256 round = _current;
        RoundInfo storage r = _rounds[round];
        if (r.phase != Phase.None && r.phase != Phase.Settled) {
            // A seed of the round in progress is settled by that round.
            uint256 n = r.seedCount;
            for (uint256 i; i < n; ++i) {
                if (_seeds[round][i].node == parent) revert InOpenRound(round, parent);
            }
        }
        uint256 k = GRAPH.childCount(parent);
        if (k == 0) revert NoChildren(parent);
        // Equal weights: the first MAX_FUNDED_CHILDREN in list order are kept.
        uint256[] memory weights = new uint256[](k);
        uint256[] memory order = new uint256[](k);
        for (uint256 j; j < k; ++j) {
            weights[j] = 1;
            order[j] = j;
        }
        (uint256 returned, uint256 slashed) = GRAPH.settleEdges(parent, weights, order);
        emit OrphanSettled(parent, returned, slashed);
    }

    // ------------------------------------------------------------------------------------------
    // Market resolution and jury refunds
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IDeepFundingRounds
    function resolveMarket(uint256 round, Family family, uint256 seedIndex) external nonReentrant {
        bytes32 qid = questionId(round, family, seedIndex);
        uint256 evaluationId = _evaluationOf(qid, round, family, seedIndex);
        IJury.Status status = JURY.evaluation(evaluationId).status;
        uint256[] memory payouts;
        bool fromJury = status == IJury.Status.Resolved;
        if (fromJury) {
            payouts = JURY.resultOf(evaluationId);
        } else if (status == IJury.Status.Failed || status == IJury.Status.Cancelled) {
            // No verdict: the market pays its own time-weighted prices (one wei added to each,
            // so the vector is never all zero).
            payouts = MAKER.averagePrices(_marketOf(round, family, seedIndex));
            for (uint256 j; j < payouts.length; ++j) ++payouts[j];
        } else {
            revert EvaluationOpen(evaluationId, status);
        }
        emit MarketResolved(round, family, seedIndex, evaluationId, fromJury);
        VAULT.reportPayouts(qid, payouts);
    }

    /// @inheritdoc IDeepFundingRounds
    function cancelStuckEvaluation(
        uint256 round,
        Family family,
        uint256 seedIndex
    ) external nonReentrant {
        bytes32 qid = questionId(round, family, seedIndex);
        uint256 evaluationId = _evaluationOf(qid, round, family, seedIndex);
        uint256 drawBlock = JURY.evaluation(evaluationId).drawBlock;
        // Before the draw's seed is known a cancel would let anyone veto an evaluation; after
        // it, the jury cancels only an evaluation whose panel cannot be drawn.
        if (block.number <= drawBlock) revert TooEarly(block.number, drawBlock + 1);
        // Past 256 blocks the hash is gone and the jury would no longer check eligibility: a
        // `drawPanel` then moves the draw block, after which this works again.
        if (blockhash(drawBlock) == bytes32(0)) revert DrawStale(evaluationId, drawBlock);
        JURY.cancelEvaluation(evaluationId);
    }

    /// @inheritdoc IDeepFundingRounds
    function reclaimJuryRefunds() external nonReentrant returns (uint256 amount) {
        amount = JURY.withdraw(address(this));
        _budget += amount;
        emit JuryRefunded(amount);
    }

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IDeepFundingRounds
    function currentRound() external view returns (uint256) {
        return _current;
    }

    /// @inheritdoc IDeepFundingRounds
    function roundInfo(uint256 round) external view returns (RoundInfo memory) {
        return _rounds[round];
    }

    /// @inheritdoc IDeepFundingRounds
    function seedInfo(uint256 round, uint256 seedIndex) external view returns (SeedInfo memory) {
        return _seeds[round][seedIndex];
    }

    /// @inheritdoc IDeepFundingRounds
    function config() external view returns (Config memory) {
        return _config;
    }

    /// @inheritdoc IDeepFundingRounds
    function budget() external view returns (uint256) {
        return _budget;
    }

    /// @inheritdoc IDeepFundingRounds
    function heldFees() external view returns (uint256) {
        return _heldFees;
    }

    /// @inheritdoc IDeepFundingRounds
    function evaluationOf(
        uint256 round,
        Family family,
        uint256 seedIndex
    ) external view returns (uint256) {
        return _evaluationFor[questionId(round, family, seedIndex)];
    }

    /// @inheritdoc IDeepFundingRounds
    function requestFee(
        uint256 round,
        Family family,
        uint256 seedIndex
    ) external view returns (uint256) {
        return _fees[round][family][seedIndex];
    }

    /// @inheritdoc IDeepFundingRounds
    function questionId(
        uint256 round,
        Family family,
        uint256 seedIndex
    ) public view returns (bytes32) {
        if (seedIndex == _W0) return _qid(round, _TAG_W0, 0);
        return _qid(round, family == Family.Originality ? _TAG_O : _TAG_W, seedIndex);
    }

    /// @inheritdoc IDeepFundingRounds
    function lastPrice(bytes32 parent, bytes32 child) external view returns (uint256) {
        return _lastPrice[parent][child];
    }

    /// @inheritdoc IDeepFundingRounds
    function lastOriginality(bytes32 seed) external view returns (uint256) {
        return _lastOriginality[seed];
    }

    /// @inheritdoc IDeepFundingRounds
    function startPrices(
        bytes32 parent,
        bytes32[] memory items
    ) public view returns (uint256[] memory pricesWad) {
        uint256 n = items.length;
        pricesWad = new uint256[](n);
        if (n == 0) return pricesWad;
        uint256 base = _config.baseRateWad;
        uint256 total;
        for (uint256 j; j < n; ++j) {
            uint256 v = _lastPrice[parent][items[j]];
            if (v == 0) v = base;
            if (v < MIN_START_PRICE) v = MIN_START_PRICE;
            pricesWad[j] = v;
            total += v;
        }
        // Each weight is at most 1e18 and n <= 256: total <= 2^64 * 1e18 cannot overflow.
        uint256 sum;
        uint256 largest;
        for (uint256 j; j < n; ++j) {
            uint256 v = (pricesWad[j] * _WAD) / total;
            pricesWad[j] = v;
            sum += v;
            if (v > pricesWad[largest]) largest = j;
        }
        // Rounding left sum <= 1e18; the remainder (< n wei) goes to the largest price.
        pricesWad[largest] += _WAD - sum;
    }

    /// @inheritdoc IDeepFundingRounds
    function childWeights(
        uint256 round,
        uint256 seedIndex
    ) external view returns (uint256[] memory) {
        SeedInfo storage s = _seeds[round][seedIndex];
        (bytes32[] memory live, ) = GRAPH.children(s.node);
        return _childWeights(s, _roundChildren(s, live));
    }

    // ------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------

    function _evaluationOf(
        bytes32 qid,
        uint256 round,
        Family family,
        uint256 seedIndex
    ) private view returns (uint256) {
        uint256 stored = _evaluationFor[qid];
        if (stored == 0) revert NotEvaluated(round, family, seedIndex);
        return stored - 1;
    }

    function _marketOf(
        uint256 round,
        Family family,
        uint256 seedIndex
    ) private view returns (uint256) {
        if (seedIndex == _W0) return _rounds[round].w0Market;
        SeedInfo storage s = _seeds[round][seedIndex];
        return family == Family.Originality ? s.originalityMarket : s.dependencyMarket;
    }

    /// @dev The current round, checked to be settling with its pot begun, and its seed.
    function _settling(
        uint256 seedIndex
    ) private view returns (uint256 round, RoundInfo storage r, SeedInfo storage s) {
        round = _current;
        r = _rounds[round];
        if (r.phase != Phase.Settling || !_flags[round].settlementBegun) {
            revert WrongPhase(round, r.phase);
        }
        if (seedIndex >= r.seedCount) revert SeedOutOfRange(seedIndex, r.seedCount);
        s = _seeds[round][seedIndex];
    }

    /// @dev A final price as stored: 0 means "never priced", so a price that rounded to 0 is
    /// kept as 1 wei (and starts the next round at the floor).
    function _priced(uint256 price) private pure returns (uint256) {
        return price == 0 ? 1 : price;
    }

    function _spend(uint256 amount) private {
        uint256 available = _budget;
        if (available < amount) revert InsufficientBudget(available, amount);
        unchecked {
            _budget = available - amount;
        }
    }

    function _pull(uint256 amount) private {
        uint256 received = TokenCalls.pull(TOKEN, msg.sender, amount);
        if (received != amount) revert DeliveredLess(amount, received);
    }

    /// @dev The condition (this contract, `qid`, `slots`), prepared unless someone already
    /// did: anyone may prepare any condition, and the same triple is the same condition, so a
    /// prepared one is reused rather than letting a front-runner block the round.
    function _prepare(bytes32 qid, uint256 slots) private returns (bytes32 conditionId) {
        conditionId = VAULT.getConditionId(address(this), qid, slots);
        if (VAULT.outcomeSlotCount(conditionId) == 0) {
            VAULT.prepareCondition(address(this), qid, slots);
        }
    }

    function _qid(uint256 round, uint256 tag, uint256 index) private view returns (bytes32) {
        return keccak256(abi.encode(address(this), round, tag, index));
    }

    function _batchEnd(RoundInfo storage r, uint256 maxSeeds) private view returns (uint256) {
        uint256 n = r.seedCount;
        uint256 cursor = r.cursor;
        return maxSeeds >= n - cursor ? n : cursor + maxSeeds;
    }

    /// @dev Moves the cursor to `end`; past the last seed it resets it and returns true.
    function _advance(RoundInfo storage r, uint256 end) private returns (bool finished) {
        finished = end == r.seedCount;
        // end <= seedCount <= 256.
        r.cursor = finished ? 0 : uint16(end);
    }

    function _startOriginality(bytes32 seed) private view returns (uint256 up) {
        up = _lastOriginality[seed];
        if (up == 0) up = _config.startOriginalityWad;
        if (up < MIN_START_PRICE) up = MIN_START_PRICE;
        if (up > _WAD - MIN_START_PRICE) up = _WAD - MIN_START_PRICE;
    }

    function _originalityMarket(
        uint256 round,
        uint256 i,
        RoundInfo storage r,
        uint256 up
    ) private returns (uint256) {
        bytes32 condition = _prepare(_qid(round, _TAG_O, i), 2);
        uint256[] memory start = new uint256[](2);
        start[0] = up;
        start[1] = _WAD - up;
        return
            MAKER.createMarket(
                TOKEN,
                VAULT.getPositionId(TOKEN, 0, r.sCondition, i),
                condition,
                _config.marketSubsidy,
                start,
                r.closeTime
            );
    }

    function _dependencyMarket(
        uint256 round,
        uint256 i,
        RoundInfo storage r,
        bytes32 node,
        bytes32[] memory kids
    ) private returns (uint256) {
        bytes32 condition = _prepare(_qid(round, _TAG_W, i), kids.length);
        return
            MAKER.createMarket(
                TOKEN,
                VAULT.getPositionId(TOKEN, 0, r.cCondition, i),
                condition,
                _config.marketSubsidy,
                startPrices(node, kids),
                r.closeTime
            );
    }

    /// @dev `size` distinct set bits of `eligible` drawn uniformly from `seed` (all of them when
    /// there are no more than `size`).
    function _sample(uint256 eligible, uint256 size, bytes32 seed) private pure returns (uint256) {
        uint256 left = _popcount(eligible);
        if (left <= size) return eligible;
        uint256 chosen;
        for (uint256 t; t < size; ++t) {
            uint256 rank = uint256(keccak256(abi.encode(seed, t))) % left;
            uint256 pool = eligible & ~chosen;
            for (uint256 b; b < 256; ++b) {
                if (pool & (1 << b) != 0) {
                    if (rank == 0) {
                        chosen |= 1 << b;
                        break;
                    }
                    --rank;
                }
            }
            --left;
        }
        return chosen;
    }

    function _popcount(uint256 x) private pure returns (uint256 count) {
        while (x != 0) {
            x &= x - 1;
            ++count;
        }
    }

    function _reason(
        uint256 sampled,
        uint256 requested,
        uint256 bit
    ) private pure returns (uint256) {
        return (sampled & bit != 0 ? 1 : 0) | (requested & bit != 0 ? 2 : 0);
    }

    function _volatileOriginality(SeedInfo storage s) private view returns (bool) {
        uint256 threshold = _config.volatilityWad;
        if (threshold == 0) return false;
        uint256 avg = MAKER.averagePrices(s.originalityMarket)[0];
        return _distance(avg, s.startOriginalityWad) > threshold;
    }

    function _volatileDependency(SeedInfo storage s) private view returns (bool) {
        uint256 threshold = _config.volatilityWad;
        if (threshold == 0) return false;
        (bytes32[] memory live, ) = GRAPH.children(s.node);
        uint256[] memory start = startPrices(s.node, _roundChildren(s, live));
        uint256[] memory avg = MAKER.averagePrices(s.dependencyMarket);
        for (uint256 j; j < avg.length; ++j) {
            if (_distance(avg[j], start[j]) > threshold) return true;
        }
        return false;
    }

    function _distance(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a - b : b - a;
    }

    /// @dev A family without any market left this contract's full set of its condition whole:
    /// it merges back into the collateral, which returns to the budget.
    function _mergeUnused(RoundInfo storage r, uint256 markets, bytes32 condition) private {
        if (markets != 0) return;
        uint256 subsidy = _config.marketSubsidy;
        VAULT.mergePositions(TOKEN, 0, condition, subsidy);
        _budget += subsidy;
        r.spent -= subsidy;
    }

    /// @dev The payout vector of an "is evaluated" condition: 1 on each selected seed, or 1 on
    /// every seed when none is (so nobody's full set is lost; no conditional market exists then).
    function _indicator(uint256 bits, uint256 n) private pure returns (uint256[] memory payouts) {
        payouts = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            payouts[i] = bits == 0 || bits & (1 << i) != 0 ? 1 : 0;
        }
    }

    function _evaluate(
        uint256 round,
        RoundInfo storage r,
        Config memory c,
        uint256 seedIndex,
        Family family,
        uint256 items,
        uint256 paidFee
    ) private {
        _spend(c.juryFee);
        r.spent += c.juryFee;
        if (paidFee != 0) _heldFees -= paidFee;
        uint256 fee = c.juryFee + paidFee;
        bool score = seedIndex != _W0 && family == Family.Originality;
        bytes32 qid = questionId(round, family, seedIndex);
        IJury.EvaluationParams memory p = IJury.EvaluationParams({
            kind: score ? IJury.Kind.Score : IJury.Kind.Pairwise,
            // items <= 256 (seeds and children are bounded by the graph).
            items: uint16(items),
            triangle: false,
            panelSize: c.panelSize,
            commitDuration: c.commitDuration,
            revealDuration: c.revealDuration,
            deltaWad: score ? 0 : c.deltaWad,
            toleranceWad: score ? 0 : c.toleranceWad,
            minStake: c.minStake,
            fee: fee.toUint128(),
            feeFromFund: 0,
            // The result comes back through `resolveMarket`, which reports it to the vault.
            questionId: bytes32(0)
        });
        IERC20(TOKEN).forceApprove(address(JURY), fee);
        uint256 evaluationId = JURY.createEvaluation(p);
        _evaluationFor[qid] = evaluationId + 1;
        ++r.evaluations;
        emit EvaluationOpened(round, seedIndex, family, evaluationId, qid, fee);
    }

    /// @dev The children a seed's round fixed: the first `childCount` live ones, checked against
    /// the recorded hash.
    function _roundChildren(
        SeedInfo storage s,
        bytes32[] memory live
    ) private view returns (bytes32[] memory kids) {
        uint256 k = s.childCount;
        if (live.length < k) revert ChildrenChanged(s.node);
        kids = new bytes32[](k);
        for (uint256 j; j < k; ++j) kids[j] = live[j];
        if (keccak256(abi.encodePacked(kids)) != s.childrenHash) revert ChildrenChanged(s.node);
    }

    function _childWeights(
        SeedInfo storage s,
        bytes32[] memory kids
    ) private view returns (uint256[] memory weights) {
        uint256 k = kids.length;
        if (k == 1) {
            weights = new uint256[](1);
            weights[0] = _WAD;
        } else if (s.dependencyMarket != 0) {
            weights = MAKER.averagePrices(s.dependencyMarket);
        } else {
            weights = startPrices(s.node, kids);
        }
    }
}
