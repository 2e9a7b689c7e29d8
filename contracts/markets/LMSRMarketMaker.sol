// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ud} from "@prb/math/src/UD60x18.sol";

import {IConditionalTokens} from "../interfaces/IConditionalTokens.sol";
import {ILMSRMarketMaker} from "../interfaces/ILMSRMarketMaker.sol";
import {LMSRMath} from "../libraries/LMSRMath.sol";

/// @title LMSRMarketMaker
/// @notice See `ILMSRMarketMaker`. One contract holds every market; markets are numbered from 1.
/// @dev Per market: three static slots, two hot slots (running sum S; anchor, ln W, last accrual
/// time) and, per outcome that has traded, one slot (q_j with ln W at its last trade) and one
/// accumulator of price-seconds. A trade reads and writes the hot slots and the traded outcome's
/// two slots only, whatever the number of outcomes.
contract LMSRMarketMaker is ILMSRMarketMaker, ReentrancyGuardTransient {
    using SafeCast for uint256;
    using SafeCast for int256;

    // ------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------

    struct MarketStatic {
        address collateral;
        uint16 outcomes;
        uint40 openedAt;
        uint40 closeTime;
        uint256 parentPositionId;
        bytes32 conditionId;
        address creator;
        uint96 minPriceWad; // smallest starting price (sets the loss bound)
        uint128 liquidity; // b
        uint128 subsidy;
    }

    /// @dev Two slots. S stays below 256 * e^60 * 1e18 < 2^160 (exponents are kept <= 60).
    /// S is the exact integer sum of the terms until the anchor moves; each move rescales it
    /// with a relative error below 2e-16, tracked in `sumError`. Buys shrink that relative error
    /// and sales grow it (a sale that removes most of S leaves the error on a small remainder),
    /// so before a trade that would take it past _MAX_SUM_ERROR the maker rebuilds S exactly
    /// from the quantities (O(n), rare: only after re-anchoring and a large sale).
    struct MarketHot {
        uint160 sumExp; // S
        uint40 lastAccrual;
        uint56 sumError; // bound on |S - sum of exp terms| / S, in 1e-18 units (see _trade)
        int128 anchor; // m, in parent units
        int128 lnW; // ln of the integral of dt / S_abs, stored as OutcomeState.lnWLast is
    }

    /// @dev One slot per outcome: its net quantity sold q_j (|q_j| < 2^95 wei), ln W when q_j
    /// last changed (stored so that 0 means "at opening", W = 0; an actual ln W of exactly 0 is
    /// stored as 1e-18), and its price-seconds (1e18 units) accumulated until then, which stay
    /// below 2^88 (a price of at most 1 for under 9.8 years).
    struct OutcomeState {
        int96 q;
        int72 lnWLast;
        uint88 priceSeconds;
    }

    // ------------------------------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------------------------------

    /// @dev Relative error of S (1e-18 units) added by one re-anchoring: LMSRMath bounds it by
    /// 2e-16, plus one wei of rounding on a sum of at least 1e17.
    uint256 private constant _REANCHOR_ERROR = 210;
    /// @dev Largest relative error of S a trade may be priced with: half of the price margin
    /// (b / 1e15 on every trade covers b * 1e-15 of cost error).
    uint256 private constant _MAX_SUM_ERROR = 500;

    /// @dev Exponent (1e18 units) of an outcome whose buy moved the anchor.
    uint256 private constant _TOP_EXPONENT = 36e18;
    /// @dev No sale may leave the running sum below this (see _price).
    uint256 private constant _SALE_FLOOR = 1e18;
    /// @dev After a sale that leaves the sum below _REFILL_BELOW, the anchor moves down so that
    /// the sum is about _REFILL_TO (every exponent rises by ln(_REFILL_TO / S) <= 37).
    uint256 private constant _REFILL_BELOW = 1e30;
    uint256 private constant _REFILL_TO = 1e34;

    /// @notice The conditional token vault the markets trade in.
    IConditionalTokens public immutable VAULT;

    uint256 private _marketCount;
    mapping(uint256 marketId => MarketStatic) private _static;
    mapping(uint256 marketId => MarketHot) private _hot;
    mapping(uint256 marketId => mapping(uint256 outcome => OutcomeState)) private _outcomes;

    /// @param vault The conditional token vault; this contract needs its ISSUER_ROLE.
    constructor(IConditionalTokens vault) {
        VAULT = vault;
    }

    // ------------------------------------------------------------------------------------------
    // Creation
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc ILMSRMarketMaker
    function createMarket(
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256 subsidy,
        uint256[] calldata startPricesWad,
        uint256 closeTime
    ) external nonReentrant returns (uint256 marketId) {
        uint256 n = VAULT.outcomeSlotCount(conditionId);
        if (n == 0) revert IConditionalTokens.ConditionNotPrepared(conditionId);
        if (closeTime <= block.timestamp || closeTime > type(uint40).max) {
            revert MarketClosed(0, closeTime);
        }
        (
            uint256 b,
            uint256 minPrice,
            int256[] memory q,
            uint256 sumExp,
            int256 anchor
        ) = _startingState(n, subsidy, startPricesWad);

        marketId = ++_marketCount;
        _static[marketId] = MarketStatic({
            collateral: collateral,
            outcomes: uint16(n),
            openedAt: uint40(block.timestamp),
            closeTime: uint40(closeTime),
            parentPositionId: parentPositionId,
            conditionId: conditionId,
            creator: msg.sender,
            minPriceWad: uint96(minPrice),
            liquidity: b.toUint128(),
            subsidy: subsidy.toUint128()
        });
        _hot[marketId] = MarketHot({
            sumExp: sumExp.toUint160(),
            lastAccrual: uint40(block.timestamp),
            sumError: 0,
            anchor: anchor.toInt128(),
            lnW: 0
        });
        for (uint256 j; j < q.length; ++j) {
            _outcomes[marketId][j].q = q[j].toInt96();
        }
        emit MarketCreated(
            marketId,
            conditionId,
            msg.sender,
            collateral,
            parentPositionId,
            n,
            b,
            subsidy,
            closeTime
        );
        VAULT.issue(
            msg.sender,
            address(this),
            collateral,
            parentPositionId,
            conditionId,
            0,
            0,
            subsidy
        );
    }

    // ------------------------------------------------------------------------------------------
    // Trades
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc ILMSRMarketMaker
    function buy(
        uint256 marketId,
        uint256 outcome,
        uint256 amount,
        uint256 maxCost,
        uint256 deadline
    ) external nonReentrant returns (uint256 cost) {
        MarketStatic memory market = _open(marketId, outcome, deadline);
        cost = _trade(marketId, market, outcome, amount.toInt256());
        if (cost > maxCost) revert CostAboveLimit(cost, maxCost);
        emit Traded(marketId, msg.sender, outcome, int256(amount), cost);
        VAULT.issue(
            msg.sender,
            msg.sender,
            market.collateral,
            market.parentPositionId,
            market.conditionId,
            outcome,
            amount,
            cost
        );
    }

    /// @inheritdoc ILMSRMarketMaker
    function sell(
        uint256 marketId,
        uint256 outcome,
        uint256 amount,
        uint256 minReturn,
        uint256 deadline
    ) external nonReentrant returns (uint256 payout) {
        MarketStatic memory market = _open(marketId, outcome, deadline);
        payout = _trade(marketId, market, outcome, -amount.toInt256());
        if (payout < minReturn) revert ReturnBelowLimit(payout, minReturn);
        emit Traded(marketId, msg.sender, outcome, -int256(amount), payout);
        VAULT.retire(
            msg.sender,
            market.collateral,
            market.parentPositionId,
            market.conditionId,
            outcome,
            amount,
            payout,
            msg.sender
        );
    }

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc ILMSRMarketMaker
    function quote(
        uint256 marketId,
        uint256 outcome,
        int256 amount
    ) external view returns (uint256 parentAmount) {
        MarketStatic memory market = _existing(marketId);
        if (outcome >= market.outcomes) revert UnknownOutcome(marketId, outcome);
        MarketHot memory hot = _hot[marketId];
        int256 q = _outcomes[marketId][outcome].q;
        (uint256 sum, ) = _exactEnough(marketId, market, hot, q, amount);
        (parentAmount, , , , ) = _price(sum, hot.anchor, q, amount, market.liquidity);
    }

    /// @inheritdoc ILMSRMarketMaker
    function priceOf(uint256 marketId, uint256 outcome) external view returns (uint256 priceWad) {
        MarketStatic memory market = _existing(marketId);
        if (outcome >= market.outcomes) revert UnknownOutcome(marketId, outcome);
        MarketHot memory hot = _hot[marketId];
        uint256 e = LMSRMath.expTerm(_outcomes[marketId][outcome].q, hot.anchor, market.liquidity);
        return LMSRMath.priceOf(e, hot.sumExp);
    }

    /// @inheritdoc ILMSRMarketMaker
    function prices(uint256 marketId) external view returns (uint256[] memory pricesWad) {
        MarketStatic memory market = _existing(marketId);
        MarketHot memory hot = _hot[marketId];
        pricesWad = new uint256[](market.outcomes);
        for (uint256 j; j < market.outcomes; ++j) {
            uint256 e = LMSRMath.expTerm(_outcomes[marketId][j].q, hot.anchor, market.liquidity);
            pricesWad[j] = LMSRMath.priceOf(e, hot.sumExp);
        }
    }

    /// @inheritdoc ILMSRMarketMaker
    function averagePrices(uint256 marketId) external view returns (uint256[] memory pricesWad) {
        MarketStatic memory market = _existing(marketId);
        MarketHot memory hot = _hot[marketId];
        uint256 end = block.timestamp < market.closeTime ? block.timestamp : market.closeTime;
        uint256 window = end - market.openedAt;
        pricesWad = new uint256[](market.outcomes);
        if (window == 0) return pricesWad;
        int256 lnW = _lnW(hot.lnW);
        if (end > hot.lastAccrual) {
            lnW = LMSRMath.accrue(
                lnW,
                end - hot.lastAccrual,
                hot.sumExp,
                hot.anchor,
                market.liquidity
            );
        }
        for (uint256 j; j < market.outcomes; ++j) {
            OutcomeState memory o = _outcomes[marketId][j];
            uint256 total = o.priceSeconds +
                LMSRMath.priceSeconds(o.q, market.liquidity, lnW, _lnW(o.lnWLast));
            pricesWad[j] = total / window;
        }
    }

    /// @inheritdoc ILMSRMarketMaker
    function liabilities(
        uint256 marketId
    ) external view returns (uint256 worstCaseLoss, uint256 subsidy, int256 collected) {
        MarketStatic memory market = _existing(marketId);
        uint256 backing = VAULT.backingOf(
            address(this),
            market.collateral,
            market.parentPositionId,
            market.conditionId
        );
        return (
            LMSRMath.worstCaseLoss(market.liquidity, market.minPriceWad),
            market.subsidy,
            backing.toInt256() - uint256(market.subsidy).toInt256()
        );
    }

    /// @notice Market parameters: outcomes, liquidity b, close time, collateral, parent, condition.
    function marketInfo(
        uint256 marketId
    )
        external
        view
        returns (
            uint256 outcomes,
            uint256 liquidity,
            uint256 closeTime,
            address collateral,
            uint256 parentPositionId,
            bytes32 conditionId
        )
    {
        MarketStatic memory m = _existing(marketId);
        return (
            m.outcomes,
            m.liquidity,
            m.closeTime,
            m.collateral,
            m.parentPositionId,
            m.conditionId
        );
    }

    /// @notice Number of markets created (ids are 1..marketCount).
    function marketCount() external view returns (uint256) {
        return _marketCount;
    }

    // ------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------

    /// @dev Liquidity, smallest starting price, starting quantities (empty when uniform), running
    /// sum and anchor of a new market. The market starts in a frame where every exponent is
    /// raised by _TOP_EXPONENT, so that the running sum (computed exactly here) is far above the
    /// wei scale.
    function _startingState(
        uint256 n,
        uint256 subsidy,
        uint256[] calldata startPricesWad
    )
        private
        pure
        returns (uint256 b, uint256 minPrice, int256[] memory q, uint256 sumExp, int256 anchor)
    {
        if (startPricesWad.length == 0) {
            minPrice = LMSRMath.WAD / n;
            b = LMSRMath.liquidityFor(subsidy, minPrice);
            if (b == 0) revert LMSRMath.BadLiquidity(0);
            q = new int256[](0);
        } else {
            if (startPricesWad.length != n) revert LMSRMath.BadOutcomeCount(startPricesWad.length);
            minPrice = type(uint256).max;
            for (uint256 j; j < n; ++j) {
                if (startPricesWad[j] < minPrice) minPrice = startPricesWad[j];
            }
            b = LMSRMath.liquidityFor(subsidy, minPrice);
            if (b == 0) revert LMSRMath.BadLiquidity(0);
            (q, ) = LMSRMath.initialState(startPricesWad, b);
        }
        anchor = -int256(Math.mulDiv(b, _TOP_EXPONENT, LMSRMath.WAD));
        if (q.length == 0) {
            sumExp = n * LMSRMath.expTerm(0, anchor, b);
        } else {
            for (uint256 j; j < n; ++j) sumExp += LMSRMath.expTerm(q[j], anchor, b);
        }
    }

    function _existing(uint256 marketId) private view returns (MarketStatic memory market) {
        market = _static[marketId];
        if (market.outcomes == 0) revert UnknownMarket(marketId);
    }

    function _open(
        uint256 marketId,
        uint256 outcome,
        uint256 deadline
    ) private view returns (MarketStatic memory market) {
        if (block.timestamp > deadline) revert DeadlinePassed(deadline, block.timestamp);
        market = _existing(marketId);
        if (block.timestamp >= market.closeTime) revert MarketClosed(marketId, market.closeTime);
        if (outcome >= market.outcomes) revert UnknownOutcome(marketId, outcome);
    }

    /// @dev Applies a trade of `delta` (bought if positive, sold if negative) to the market's
    /// state and returns its cost or payout. Accrues the time-weighted integral with the state
    /// before the trade and settles the outcome's price-seconds. O(1).
    function _trade(
        uint256 marketId,
        MarketStatic memory market,
        uint256 outcome,
        int256 delta
    ) private returns (uint256 parentAmount) {
        if (delta == 0) revert IConditionalTokens.ZeroAmount();
        MarketHot memory before = _hot[marketId];
        uint256 b = market.liquidity;
        int256 lnW = LMSRMath.accrue(
            _lnW(before.lnW),
            block.timestamp - before.lastAccrual,
            before.sumExp,
            before.anchor,
            b
        );
        OutcomeState memory o = _outcomes[marketId][outcome];
        uint256 priceSeconds = o.priceSeconds + LMSRMath.priceSeconds(o.q, b, lnW, _lnW(o.lnWLast));

        (uint256 sum, uint256 sumError) = _exactEnough(marketId, market, before, o.q, delta);
        (uint256 amount, uint256 newSum, int256 newAnchor, int256 newQ, uint256 unshifted) = _price(
            sum,
            before.anchor,
            o.q,
            delta,
            b
        );
        // The trade changes S by an exact amount: the absolute error stays, so its relative
        // bound scales by S / S' (rounded up); a re-anchoring adds its own.
        if (sumError != 0) sumError = Math.mulDiv(sumError, sum, unshifted, Math.Rounding.Ceil);
        if (newAnchor != before.anchor) sumError += _REANCHOR_ERROR;
        parentAmount = amount;
        _hot[marketId] = MarketHot({
            sumExp: newSum.toUint160(),
            lastAccrual: uint40(block.timestamp),
            sumError: sumError.toUint56(),
            anchor: newAnchor.toInt128(),
            lnW: _lnW72(lnW)
        });
        _outcomes[marketId][outcome] = OutcomeState({
            q: newQ.toInt96(),
            lnWLast: _lnW72(lnW),
            priceSeconds: priceSeconds.toUint88()
        });
    }

    /// @dev Prices a trade of `delta` on an outcome at quantity `q` in the current frame, then
    /// moves the anchor if the trade left the outcome's exponent above the re-anchoring
    /// threshold (after a buy) or the running sum very small (after a sale), rescaling the new
    /// sum by the common factor. Returns the cost (buy) or payout (sell) and the new state.
    function _price(
        uint256 sumExp,
        int256 anchor,
        int256 q,
        int256 delta,
        uint256 b
    )
        private
        pure
        returns (uint256 amount, uint256 newSum, int256 newAnchor, int256 newQ, uint256 unshifted)
    {
        newQ = q + delta;
        uint256 eOld = LMSRMath.expTerm(q, anchor, b);
        uint256 eNew = LMSRMath.expTerm(newQ, anchor, b);
        int256 shift;
        if (delta > 0) {
            (amount, newSum) = LMSRMath.buyCost(sumExp, eOld, eNew, b);
            shift = LMSRMath.anchorShift(newQ, anchor, b);
            // Move the anchor so that the bought outcome's exponent lands at _TOP_EXPONENT
            // rather than 0: the sum stays far above the wei scale, so later sales keep their
            // precision. (shift > 60 b here, so the result stays positive.)
            if (shift != 0) shift -= int256(Math.mulDiv(b, _TOP_EXPONENT, LMSRMath.WAD));
        } else {
            (amount, newSum) = LMSRMath.sellReturn(sumExp, eOld, eNew, b);
            // Each exp term is floored to a wei: a sum near the wei scale would carry a
            // relative error beyond the price margin. Larger sales must be split.
            if (newSum < _SALE_FLOOR) revert SaleTooLarge(newSum, _SALE_FLOOR);
            if (newSum < _REFILL_BELOW) {
                // Move the anchor down so that the sum is back near _REFILL_TO.
                uint256 lnRatio = ud(Math.mulDiv(_REFILL_TO, LMSRMath.WAD, newSum)).ln().unwrap();
                shift = -int256(Math.mulDiv(b, lnRatio, LMSRMath.WAD));
            }
        }
        newAnchor = anchor;
        unshifted = newSum;
        if (shift != 0) {
            newSum = LMSRMath.reanchor(newSum, shift, b);
            newAnchor = anchor + shift;
        }
    }

    /// @dev The running sum to price a trade of `delta` on an outcome at `q` with, and its
    /// relative error bound: the stored ones, unless the trade would leave the error above
    /// _MAX_SUM_ERROR, in which case S is rebuilt exactly from every outcome's quantity (O(n))
    /// and the error is 0.
    function _exactEnough(
        uint256 marketId,
        MarketStatic memory market,
        MarketHot memory hot,
        int256 q,
        int256 delta
    ) private view returns (uint256 sum, uint256 sumError) {
        sum = hot.sumExp;
        sumError = hot.sumError;
        if (sumError == 0) return (sum, 0);
        uint256 b = market.liquidity;
        uint256 eOld = LMSRMath.expTerm(q, hot.anchor, b);
        uint256 eNew = LMSRMath.expTerm(q + delta, hot.anchor, b);
        bool rebuild = sum + eNew <= eOld; // the sale would take the stored sum to zero
        if (!rebuild) {
            uint256 after_ = sum + eNew - eOld;
            rebuild = Math.mulDiv(sumError, sum, after_, Math.Rounding.Ceil) > _MAX_SUM_ERROR;
        }
        if (rebuild) {
            sum = 0;
            for (uint256 j; j < market.outcomes; ++j) {
                sum += LMSRMath.expTerm(_outcomes[marketId][j].q, hot.anchor, b);
            }
            sumError = 0;
        }
    }

    function _lnW(int256 stored) private pure returns (int256) {
        return stored == 0 ? LMSRMath.LN_ZERO : int256(stored);
    }

    /// @dev ln W in storage form (see OutcomeState): |ln W| stays far below 2^71 / 1e18.
    function _lnW72(int256 lnW) private pure returns (int72) {
        if (lnW == LMSRMath.LN_ZERO) return 0;
        return lnW == 0 ? int72(1) : lnW.toInt72();
    }
}
