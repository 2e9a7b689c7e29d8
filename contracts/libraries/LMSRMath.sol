// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {sd, exp as sdExp, ln as sdLn} from "@prb/math/src/SD59x18.sol";
import {ud, ln as udLn} from "@prb/math/src/UD60x18.sol";

/// @title LMSRMath
/// @notice Hanson's logarithmic market scoring rule with a state whose update costs the same gas
/// whatever the number of outcomes.
///
/// Units: quantities q_j, the anchor m and the liquidity b are token amounts in wei (18
/// decimals); exponents, logarithms and exp terms are 18-decimal fixed point (PRBMath SD59x18 /
/// UD60x18). The cost function is C(q) = b ln sum_j exp(q_j / b) and the prices are its
/// gradient, p_j = exp(q_j / b) / sum_k exp(q_k / b).
///
/// State kept by a market: q_j per outcome, an anchor m, and the running sum
/// S = sum_j e_j with e_j = exp((q_j - m) / b). The terms e_j are never stored: a trade of
/// outcome j recomputes e_j from q_j before and after the trade (`expTerm`) and adjusts S by the
/// difference, so S stays *exactly* the integer sum of the terms as `expTerm` computes them
/// (until the anchor moves, see `reanchor`). Then C(q) = m + b ln S and p_j = e_j / S.
///
/// Re-anchoring: between trades every exponent (q_j - m) / b is at most REANCHOR_AT. A buy is
/// priced in the current frame, where its new exponent may reach MAX_EXPONENT (so one buy can
/// add at least 40 b; larger buys revert with ExponentTooLarge and are split by the caller).
/// When the new exponent exceeds REANCHOR_AT, the caller then moves the anchor up to the new q_j
/// (`anchorShift`) and rescales the new S by the common factor exp(-shift / b) (`reanchor`,
/// O(1)); that S is dominated by the new term, so it keeps its significant digits. Outcome j
/// then has exponent 0 and every other exponent is negative. Symmetrically, after a sale that
/// leaves S below MIN_SUM the caller moves the anchor down by `lowSumShift` (S back to ~1e18).
///
/// Rounding, always in the market maker's favour: a buy costs b ln(S'/S) rounded up plus
/// `marginOf(b)`; a sale pays b ln(S/S') rounded down minus the same margin; `reanchor` rounds
/// S up (see there why); `worstCaseLoss` rounds up and `liquidityFor` down.
///
/// The margin: PRBMath's logarithm is exact to about 1e-17 (absolute; 1.1e-17 seen at
/// ln(1 + 1/e)) and the ratio S'/S is rounded to 1e-18 before it is taken, so b ln(S'/S) is
/// known to about b * 3e-17. The margin b / 1e15 + 1 wei is more than 30 times that bound, so
/// neither a single trade nor any split of a trade into pieces can gain from the approximation
/// (each piece pays its own margin). With a margin of b / 1e18 + 1 the split and solvency fuzz
/// tests do fail: the margin is load-bearing.
///
/// Time-weighted prices: W(t) = integral of dt / S_abs with S_abs = sum_k exp(q_k / b) =
/// S exp(m / b), kept as lnW = ln W (`accrue`, from the sentinel LN_ZERO meaning W = 0). While
/// q_j is constant on [t1, t2], the price-seconds of outcome j are
/// exp(q_j / b) (W(t2) - W(t1)) (`priceSeconds`). W does not depend on the anchor, so the
/// scheme is unaffected by re-anchoring as such.
///
/// Precision limit of the TWAP scheme: lnW has a resolution of 1e-18, so W is known to ~1e-18
/// relative, and a window's price-seconds carry an absolute error of ~1e-17 exp(q_j / b + lnW)
/// per accrual. When the price level L = ln sum_k exp(q_k / b) rises by D after a period that
/// dominates W (every buy raises L; selling and buying volume both push the q_j up), the
/// relative error of later windows is ~1e-18 e^D: measured 2e-9 for D = 20, 4e-5 for D = 30 and
/// 0.2 for D = 40 (after one week at the opening level, then one week at the new level). Keep
/// D below ~15 (b large against the expected net quantities) where TWAPs must be exact to 1e-9.
library LMSRMath {
    /// @notice An exponent (q - anchor) / b, or an intermediate exponent, exceeds its limit.
    error ExponentTooLarge(int256 exponent);
    /// @notice Starting prices must each be above zero and add up to 1e18 within 1e9 wei, and a
    /// minimum price must lie in (0, 0.5e18].
    error BadPrices();
    /// @notice The liquidity parameter b is zero or above MAX_LIQUIDITY.
    error BadLiquidity(uint256 b);
    /// @notice A market has between 2 and 256 outcomes.
    error BadOutcomeCount(uint256 n);
    /// @notice A buy must not lower its exp term, a sale must not raise it.
    error WrongDirection(uint256 eOld, uint256 eNew);
    /// @notice The running sum is zero, or a sale would take it to zero or below.
    error SumTooSmall(uint256 S, uint256 decrease);
    /// @notice `accrue` takes durations below 2^64 seconds.
    error BadDuration(uint256 dt);
    /// @notice `priceSeconds` was given a later accumulator as its starting point.
    error TwapOutOfOrder(int256 lnWLast, int256 lnWNow);

    /// @notice One in 18-decimal fixed point.
    uint256 internal constant WAD = 1e18;
    /// @notice Exp terms with an exponent below this are taken as 0 (exp(-41) < 2e-18).
    int256 internal constant MIN_EXPONENT = -41e18;
    /// @notice Largest exponent `expTerm` accepts: exp(100) * 1e18 < 2^205.
    int256 internal constant MAX_EXPONENT = 100e18;
    /// @notice Callers re-anchor when a trade would take an exponent above this.
    int256 internal constant REANCHOR_AT = 60e18;
    /// @notice Below this running sum (0.1) callers move the anchor down (`lowSumShift`).
    uint256 internal constant MIN_SUM = 1e17;
    /// @notice Largest liquidity parameter, 1e18 tokens of 18 decimals (< 2^120).
    uint256 internal constant MAX_LIQUIDITY = 1e36;
    /// @notice Outcome counts allowed in a market.
    uint256 internal constant MIN_OUTCOMES = 2;
    uint256 internal constant MAX_OUTCOMES = 256;
    /// @notice The margin is b / MARGIN_DIVISOR + 1 wei, i.e. 1e-15 of b.
    uint256 internal constant MARGIN_DIVISOR = 1e15;
    /// @notice How far the starting prices may add up from 1e18 (1e-9).
    uint256 internal constant PRICE_SUM_TOLERANCE = 1e9;
    /// @notice lnW of a zero integral (no time accrued yet).
    int256 internal constant LN_ZERO = type(int256).min;

    /// @dev |x| below this keeps x * 1e18 inside int256 (2^190 * 2^60 = 2^250).
    int256 private constant SMALL_NUMERATOR = 2 ** 190;
    /// @dev Largest exponent whose exp is taken by `priceSeconds` and `reanchor`'s steps
    /// (PRBMath accepts up to ~133.08; exp(130) * 1e18 < 2^248).
    int256 private constant EXP_LIMIT = 130e18;
    /// @dev Relative slack covering PRBMath's exp error (a few 1e-17 near exponent 100).
    uint256 private constant EXP_SLACK_DIVISOR = 1e16;

    // ------------------------------------------------------------------------------------------
    // Exp terms, trades, anchor
    // ------------------------------------------------------------------------------------------

    /// @notice The safety margin added to every cost and taken from every payout:
    /// b / 1e15 + 1 wei (see the library notice for why it dominates PRBMath's error).
    function marginOf(uint256 b) internal pure returns (uint256) {
        // b / 1e15 < 2^256 / 1e15, so adding 1 cannot overflow.
        unchecked {
            return b / MARGIN_DIVISOR + 1;
        }
    }

    /// @notice exp((q - anchor) / b) as UD60x18. The exponent is (q - anchor) * 1e18 / b rounded
    /// toward zero; exponents below MIN_EXPONENT give 0, above MAX_EXPONENT revert. The value is
    /// PRBMath's exp (truncated; relative error a few 1e-17, plus 1 wei). What matters for the
    /// market is that it is a deterministic function of q: the same q gives the same term.
    function expTerm(int256 q, int256 anchor, uint256 b) internal pure returns (uint256) {
        _checkLiquidity(b);
        int256 x = _divByB(q - anchor, b);
        if (x < MIN_EXPONENT) return 0;
        if (x > MAX_EXPONENT) revert ExponentTooLarge(x);
        // exp of a finite exponent is >= 0, so the cast keeps the value.
        return uint256(sdExp(sd(x)).unwrap());
    }

    /// @notice The shift by which the anchor moves up after a buy took q_j to `qNew`: 0 while
    /// (qNew - anchor) / b <= REANCHOR_AT, otherwise qNew - anchor (the new exponent becomes 0).
    function anchorShift(int256 qNew, int256 anchor, uint256 b) internal pure returns (int256) {
        _checkLiquidity(b);
        int256 diff = qNew - anchor;
        return _divByB(diff, b) > REANCHOR_AT ? diff : int256(0);
    }

    /// @notice Price of a buy that moves one exp term from `eOld` up to `eNew`:
    /// cost = ceil(b ln(newS / S)) + marginOf(b), with the ratio rounded up before its logarithm.
    /// @return cost What the trader pays, in wei.
    /// @return newS The running sum after the trade, S - eOld + eNew (exact).
    function buyCost(
        uint256 S,
        uint256 eOld,
        uint256 eNew,
        uint256 b
    ) internal pure returns (uint256 cost, uint256 newS) {
        _checkLiquidity(b);
        if (S == 0) revert SumTooSmall(S, 0);
        if (eNew < eOld) revert WrongDirection(eOld, eNew);
        // eNew >= eOld, so the difference is >= 0; the addition is checked.
        unchecked {
            newS = S + (eNew - eOld);
        }
        // newS >= S, so the ratio is >= 1e18 (UD60x18 ln's domain) and its log is >= 0.
        uint256 ratio = Math.mulDiv(newS, WAD, S, Math.Rounding.Ceil);
        uint256 lnRatio = udLn(ud(ratio)).unwrap();
        cost = Math.mulDiv(b, lnRatio, WAD, Math.Rounding.Ceil) + marginOf(b);
    }

    /// @notice Payout of a sale that moves one exp term from `eOld` down to `eNew`:
    /// max(0, floor(b ln(S / newS)) - marginOf(b)), with the ratio rounded down before its log.
    /// @return payout What the trader receives, in wei.
    /// @return newS The running sum after the trade, S - eOld + eNew (exact).
    function sellReturn(
        uint256 S,
        uint256 eOld,
        uint256 eNew,
        uint256 b
    ) internal pure returns (uint256 payout, uint256 newS) {
        _checkLiquidity(b);
        if (eNew > eOld) revert WrongDirection(eOld, eNew);
        uint256 decrease;
        // eOld >= eNew, checked just above.
        unchecked {
            decrease = eOld - eNew;
        }
        if (decrease >= S) revert SumTooSmall(S, decrease);
        // decrease < S, checked just above.
        unchecked {
            newS = S - decrease;
        }
        // S >= newS > 0, so the ratio is >= 1e18 and its log is >= 0.
        uint256 ratio = Math.mulDiv(S, WAD, newS);
        uint256 lnRatio = udLn(ud(ratio)).unwrap();
        uint256 gross = Math.mulDiv(b, lnRatio, WAD);
        uint256 margin = marginOf(b);
        // gross > margin in the first branch.
        unchecked {
            payout = gross > margin ? gross - margin : 0;
        }
    }

    /// @notice The running sum after the anchor moves by `shift` (up when positive):
    /// S * exp(-shift / b), rounded UP. Shifts up divide by exp(shift / b) (exponent rounded
    /// down, the divisor lowered by 1e-16 of itself to cover PRBMath's exp error), in steps of
    /// at most 100 b so that large shifts keep full relative precision; shifts down multiply by
    /// exp(|shift| / b) (exponent rounded up, the factor raised by 1e-16), at most exp(100).
    /// O(1) for the shifts `anchorShift` and `lowSumShift` produce.
    /// @dev Why up: the new S is then at least the sum of the rescaled terms (by < 2e-16 of
    /// itself). Were it below, selling back a term that dominates S would subtract that term
    /// from a sum that is short by up to 1e-16 S, leaving a remainder with a large relative
    /// shortfall, and the sale would pay b times that shortfall: more than the margins when the
    /// term is ~20 times the rest. Rounding up turns this into a (tiny) cost for the trader;
    /// the matching rise of the potential m + b ln S, < b * 2e-16, is covered by the margin of
    /// the trade that caused the move. It also keeps spot prices adding up to at most 1e18.
    function reanchor(uint256 S, int256 shift, uint256 b) internal pure returns (uint256) {
        _checkLiquidity(b);
        if (shift == 0 || S == 0) return S;
        if (shift < 0) {
            int256 up = _divByB(-shift, b);
            if (up > MAX_EXPONENT) revert ExponentTooLarge(up);
            // The quotient rounds toward zero; + 1 wei makes it an upper bound of |shift| / b.
            uint256 factor = uint256(sdExp(sd(up + 1)).unwrap());
            // factor <= exp(100) * 1e18 < 2^205, so adding a 1e-16 part of it cannot overflow.
            unchecked {
                factor += factor / EXP_SLACK_DIVISOR + 1;
            }
            return Math.mulDiv(S, factor, WAD, Math.Rounding.Ceil);
        }
        // shift > 0: the quotient rounds toward zero, i.e. down.
        int256 down = _divByB(shift, b);
        while (down > 0) {
            int256 step = down > MAX_EXPONENT ? MAX_EXPONENT : down;
            uint256 divisor = uint256(sdExp(sd(step)).unwrap());
            // step > 0, so divisor >= 1e18 and divisor / 1e16 + 1 < divisor; and
            // 0 < step <= down, so down - step >= 0.
            unchecked {
                divisor -= divisor / EXP_SLACK_DIVISOR + 1;
                down -= step;
            }
            S = Math.mulDiv(S, WAD, divisor, Math.Rounding.Ceil);
            // S cannot go below 1 wei (rounded up); once there, further steps change nothing.
            if (S == 1) break;
        }
        return S;
    }

    /// @notice The (negative) shift that moves the anchor down when the running sum has fallen
    /// below MIN_SUM (every exponent is then below ln 0.1): b ln(S / 1e18), after which S is
    /// about 1e18 and every exponent is still <= 0. Otherwise 0. Small sums carry fewer
    /// significant digits per term, so callers apply this after a sale that leaves S that low.
    function lowSumShift(uint256 S, uint256 b) internal pure returns (int256) {
        _checkLiquidity(b);
        if (S >= MIN_SUM || S == 0) return 0;
        // 0 < S < 1e17: ln(S / 1e18) is in [-41.5, -2.3], times b <= 1e36 fits in int256.
        uint256 lnInv = udLn(ud(Math.mulDiv(WAD, WAD, S))).unwrap();
        return -int256(Math.mulDiv(b, lnInv, WAD));
    }

    /// @notice Spot price e / S in UD60x18, rounded down (so that prices add up to at most 1e18
    /// while S is the exact sum of the terms).
    function priceOf(uint256 e, uint256 S) internal pure returns (uint256) {
        if (S == 0) revert SumTooSmall(S, 0);
        return Math.mulDiv(e, WAD, S);
    }

    // ------------------------------------------------------------------------------------------
    // Starting state, subsidy
    // ------------------------------------------------------------------------------------------

    /// @notice Starting quantities for the given prices: q_j = b ln(p_j) (<= 0, its magnitude
    /// rounded down), anchor 0, and S = sum_j expTerm(q_j, 0, b) (about 1e18). O(n): done once.
    /// @param pricesWad One price per outcome, each > 0, adding up to 1e18 within 1e9 wei.
    function initialState(
        uint256[] memory pricesWad,
        uint256 b
    ) internal pure returns (int256[] memory q, uint256 S) {
        uint256 n = pricesWad.length;
        if (n < MIN_OUTCOMES || n > MAX_OUTCOMES) revert BadOutcomeCount(n);
        _checkLiquidity(b);
        uint256 sum;
        for (uint256 j; j < n; ++j) {
            uint256 p = pricesWad[j];
            if (p == 0 || p > WAD) revert BadPrices();
            sum += p;
        }
        if (sum > WAD + PRICE_SUM_TOLERANCE || sum + PRICE_SUM_TOLERANCE < WAD) revert BadPrices();
        q = new int256[](n);
        for (uint256 j; j < n; ++j) {
            // p <= 1e18, so ln p <= 0 and its negation is a UD60x18 magnitude.
            uint256 lnInv = uint256(-sdLn(sd(int256(pricesWad[j]))).unwrap());
            // lnInv < 42e18 and b <= 1e36, so the product of the two fits in int256.
            int256 qj = -int256(Math.mulDiv(b, lnInv, WAD));
            q[j] = qj;
            S += expTerm(qj, 0, b);
        }
    }

    /// @notice The uniform starting state: q_j = 0 for every outcome, S = n * 1e18.
    function uniformState(uint256 n) internal pure returns (int256[] memory q, uint256 S) {
        if (n < MIN_OUTCOMES || n > MAX_OUTCOMES) revert BadOutcomeCount(n);
        q = new int256[](n);
        // n <= 256, so n * 1e18 < 2^69.
        unchecked {
            S = n * WAD;
        }
    }

    /// @notice The subsidy that covers every redemption whatever the outcome, for a market whose
    /// smallest starting price is `minPriceWad`: ceil(b ln(1e18 / minPrice)) + marginOf(b).
    /// (Uniform prices 1/n give b ln n.) The margin covers PRBMath's logarithm error.
    function worstCaseLoss(uint256 b, uint256 minPriceWad) internal pure returns (uint256) {
        _checkLiquidity(b);
        return _lossFor(b, _lnInversePrice(minPriceWad));
    }

    /// @notice The largest b whose `worstCaseLoss` is at most `subsidy` (0 if none is), capped at
    /// MAX_LIQUIDITY.
    function liquidityFor(uint256 subsidy, uint256 minPriceWad) internal pure returns (uint256 b) {
        uint256 lnInv = _lnInversePrice(minPriceWad);
        if (subsidy < 2) return 0;
        if (subsidy >= _lossFor(MAX_LIQUIDITY, lnInv)) return MAX_LIQUIDITY;
        // loss(b) = ceil(b L / 1e18) + floor(b / 1e15) + 1 lies within 1 of b (L + 1e3) / 1e18 + 1,
        // so the largest b is within 1e18 / (L + 1e3) + 1 < 3 of this estimate (L >= ln 2).
        // 2 <= subsidy < loss(1e36) < 2^126 here, so neither the - 1 nor the + 3 can wrap.
        unchecked {
            b = Math.mulDiv(subsidy - 1, WAD, lnInv + WAD / MARGIN_DIVISOR) + 3;
        }
        if (b > MAX_LIQUIDITY) b = MAX_LIQUIDITY;
        // loss is non-decreasing in b; a few steps at most (see the estimate above).
        while (b != 0 && _lossFor(b, lnInv) > subsidy) {
            // b != 0 in the loop condition.
            unchecked {
                --b;
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Time-weighted average prices
    // ------------------------------------------------------------------------------------------

    /// @notice ln(exp(a) + exp(b)) = max + ln(1 + exp(min - max)), in SD59x18; LN_ZERO stands for
    /// ln 0. Terms more than 41 below the other are dropped (they change it by < 2e-18).
    function logAddExp(int256 a, int256 b) internal pure returns (int256) {
        if (a == LN_ZERO) return b;
        if (b == LN_ZERO) return a;
        (int256 hi, int256 lo) = a >= b ? (a, b) : (b, a);
        int256 d = lo - hi;
        if (d < MIN_EXPONENT) return hi;
        // d in [-41e18, 0]: exp(d) in [0, 1e18], so 1e18 + exp(d) is in UD60x18 ln's domain.
        uint256 e = uint256(sdExp(sd(d)).unwrap());
        // ln(1 + exp(d)) <= ln 2 < 1e18: the cast keeps the value.
        return hi + int256(udLn(ud(WAD + e)).unwrap());
    }

    /// @notice Brings lnW = ln integral(dt / S_abs) forward by `dt` seconds during which the
    /// state (S, anchor) held: lnW' = logAddExp(lnW, ln dt - ln S - anchor / b). Call it before
    /// every change of state (trade, re-anchoring), with the state that is about to change.
    function accrue(
        int256 lnW,
        uint256 dt,
        uint256 S,
        int256 anchor,
        uint256 b
    ) internal pure returns (int256) {
        if (dt == 0) return lnW;
        _checkLiquidity(b);
        if (dt > type(uint64).max) revert BadDuration(dt);
        if (S == 0) revert SumTooSmall(S, 0);
        int256 lnDt;
        // dt < 2^64, so dt * 1e18 < 2^124 fits in int256.
        unchecked {
            lnDt = sdLn(sd(int256(dt * WAD))).unwrap();
        }
        int256 term = lnDt - sdLn(sd(SafeCast.toInt256(S))).unwrap() - _divByB(anchor, b);
        return logAddExp(lnW, term);
    }

    /// @notice Price-seconds (UD60x18 price times seconds) of an outcome whose quantity was
    /// `qj` all along between the accumulator values `lnWLast` and `lnWNow`:
    /// exp(q_j / b + lnWNow) - exp(q_j / b + lnWLast), the exponents summed in SD59x18 first.
    /// @dev q_j / b + lnW is the log of price-seconds the outcome would have earned since the
    /// market opened at its current quantity; it exceeds 130 only after the anchor has moved
    /// by far more than the market's subsidy. Then the result is computed as
    /// exp(x + ln(1 - exp(lnWLast - lnWNow))), with fewer significant digits (and 0 if the
    /// window is below 1e-18 of the accumulated integral), instead of reverting.
    function priceSeconds(
        int256 qj,
        uint256 b,
        int256 lnWNow,
        int256 lnWLast
    ) internal pure returns (uint256) {
        if (lnWNow == LN_ZERO) return 0;
        if (lnWLast > lnWNow) revert TwapOutOfOrder(lnWLast, lnWNow);
        _checkLiquidity(b);
        int256 qb = _divByB(qj, b);
        int256 xNow = qb + lnWNow;
        if (xNow <= EXP_LIMIT) {
            // exp is >= 0; below ~-41.4 PRBMath returns 0.
            uint256 hi = uint256(sdExp(sd(xNow)).unwrap());
            if (lnWLast == LN_ZERO) return hi;
            uint256 lo = uint256(sdExp(sd(qb + lnWLast)).unwrap());
            // hi > lo in the first branch.
            unchecked {
                return hi > lo ? hi - lo : 0;
            }
        }
        if (lnWLast == LN_ZERO) revert ExponentTooLarge(xNow);
        // lnWLast <= lnWNow (checked above), so the exp is at most ~1e18.
        uint256 kept = uint256(sdExp(sd(lnWLast - lnWNow)).unwrap());
        if (kept >= WAD) return 0;
        uint256 share;
        // kept < 1e18, checked just above.
        unchecked {
            share = WAD - kept;
        }
        // 0 < share < 1e18: its ln is negative and finite.
        int256 y = xNow + sdLn(sd(int256(share))).unwrap();
        if (y > EXP_LIMIT) revert ExponentTooLarge(y);
        return uint256(sdExp(sd(y)).unwrap());
    }

    // ------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------

    function _checkLiquidity(uint256 b) private pure {
        if (b == 0 || b > MAX_LIQUIDITY) revert BadLiquidity(b);
    }

    /// @dev x / b as SD59x18 (x * 1e18 / b), rounded toward zero. Requires a checked b.
    function _divByB(int256 x, uint256 b) private pure returns (int256) {
        if (x < SMALL_NUMERATOR && x > -SMALL_NUMERATOR) {
            // |x| < 2^190: |x * 1e18| < 2^250; b <= 1e36 < 2^120 is a positive int256.
            unchecked {
                return (x * int256(WAD)) / int256(b);
            }
        }
        // Large x: PRBMath's 512-bit division, which reverts if the quotient does not fit.
        return sd(x).div(sd(int256(b))).unwrap();
    }

    /// @dev ln(1e18 / minPrice) as UD60x18, the ratio rounded up; minPrice in (0, 0.5e18].
    function _lnInversePrice(uint256 minPriceWad) private pure returns (uint256) {
        if (minPriceWad == 0 || minPriceWad > WAD / 2) revert BadPrices();
        return udLn(ud(Math.mulDiv(WAD, WAD, minPriceWad, Math.Rounding.Ceil))).unwrap();
    }

    /// @dev ceil(b lnInv / 1e18) + marginOf(b): the subsidy `worstCaseLoss` reports.
    function _lossFor(uint256 b, uint256 lnInv) private pure returns (uint256) {
        return Math.mulDiv(b, lnInv, WAD, Math.Rounding.Ceil) + marginOf(b);
    }
}
