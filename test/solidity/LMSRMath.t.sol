// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {LMSRMath} from "../../contracts/libraries/LMSRMath.sol";
import {LMSRMathHarness} from "../../contracts/mocks/LMSRMathHarness.sol";

import {TestHelpers} from "./Vm.sol";

/// @notice Fuzz tests of `LMSRMath`: trading can never make money from rounding, the running sum
/// stays the sum of its terms, re-anchoring moves no price, and the time-weighted prices equal
/// the known averages. Logarithms are checked against an independent reference (a 36-decimal
/// atanh series, `refLn36`) rather than against PRBMath.
///
/// Tolerances: costs and payouts within b / 1e16 + 2 wei (a tenth of the margin) of the exact
/// b ln(ratio) shifted by the margin; prices after a re-anchor within 1e-15 relative plus
/// 2e18 / S wei (2 wei of the exp terms); the running sum within 1e-15 relative plus 2 wei per
/// outcome of a fresh sum (exactly equal while no re-anchor happened); TWAPs within 1e-9
/// relative plus 1 wei of price per second (the floor of the reference prices).
contract LMSRMathTest is TestHelpers {
    uint256 internal constant WAD = 1e18;
    /// ln 2 with 36 decimals.

    LMSRMathHarness internal h;

    function setUp() public {
        h = new LMSRMathHarness();
    }

    // ------------------------------------------------------------------------------------------
    // Reference math and helpers
    // ------------------------------------------------------------------------------------------

    /// @dev b * ln(num / den), rounded down (num >= den).
    function refCost(uint256 b, uint256 num, uint256 den) internal pure returns (uint256) {
        return Math.mulDiv(b, refLn36(num, den), UNIT36);
    }

    function assertEqInt(int256 a, int256 b, string memory message) internal pure {
        if (a != b) fail(string.concat(message, ": signed values differ"));
    }

    function absDiff(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a - b : b - a;
    }

    function assertApprox(uint256 a, uint256 b, uint256 tol, string memory message) internal pure {
        if (absDiff(a, b) > tol) {
            fail(string.concat(message, ": ", _str(a), " vs ", _str(b), " tol ", _str(tol)));
        }
    }

    function rand(uint256 seed, uint256 i) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, i)));
    }

    function boundInt(int256 x, int256 min, int256 max) internal pure returns (int256) {
        uint256 span = uint256(max - min);
        return min + int256(uint256(x) % (span + 1));
    }

    /// @dev A quantity whose exponent (q - anchor) / b lies in [lo, hi] (in whole units).
    function qWithExponent(
        uint256 r,
        int256 anchor,
        uint256 b,
        int256 lo,
        int256 hi
    ) internal pure returns (int256) {
        int256 x = boundInt(int256(r >> 1), lo * 1e18, hi * 1e18); // exponent in WAD
        return anchor + (x * int256(b)) / 1e18;
    }

    // ------------------------------------------------------------------------------------------
    // Known values and reverts
    // ------------------------------------------------------------------------------------------

    function testKnownValues() public view {
        uint256 b = 100e18;
        assertEq(h.expTerm(0, 0, b), 1e18, "exp(0)");
        assertApprox(h.expTerm(100e18, 0, b), 2718281828459045235, 2, "exp(1)");
        assertApprox(h.expTerm(-100e18, 0, b), 367879441171442321, 2, "exp(-1)");
        assertApprox(h.expTerm(350e18, 50e18, b), 20085536923187667740, 20, "exp(3), anchored");
        assertEq(h.expTerm(-4101e18, 0, b), 0, "below MIN_EXPONENT");
        assertGe(h.expTerm(-4099e18, 0, b), 1, "just above MIN_EXPONENT");
        assertEq(h.marginOf(b), 100001, "margin of 100 tokens");
        assertEq(h.marginOf(1), 1, "margin of 1 wei");
        (int256[] memory q, uint256 S) = h.uniformState(7);
        assertEq(q.length, 7, "uniform length");
        assertEq(S, 7e18, "uniform S");
        // Two outcomes, buying one from 1/2: cost = b ln((1 + e) / 2) + margin.
        uint256 e1 = h.expTerm(100e18, 0, b);
        (uint256 cost, uint256 newS) = h.buyCost(2e18, 1e18, e1, b);
        assertEq(newS, 1e18 + e1, "newS");
        // 100 * ln((1 + e) / 2) = 62.011450695827752...
        assertApprox(cost, 62011450695827752 * 1000 + h.marginOf(b), 2000, "buy cost");
        assertEqInt(h.anchorShift(6000e18, 0, b), 0, "exponent 60 stays");
        assertEqInt(h.anchorShift(6002e18, 1e18, b), 6001e18, "exponent above 60 moves anchor");
    }

    function testReverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(LMSRMath.ExponentTooLarge.selector, int256(100e18 + 1))
        );
        h.expTerm(100e18 + 1, 0, 1e18);
        vm.expectRevert(abi.encodeWithSelector(LMSRMath.BadLiquidity.selector, uint256(0)));
        h.expTerm(0, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(LMSRMath.BadLiquidity.selector, uint256(1e36 + 1)));
        h.buyCost(1e18, 1e18, 2e18, 1e36 + 1);
        vm.expectRevert(
            abi.encodeWithSelector(LMSRMath.WrongDirection.selector, uint256(2e18), uint256(1e18))
        );
        h.buyCost(3e18, 2e18, 1e18, 1e18);
        vm.expectRevert(
            abi.encodeWithSelector(LMSRMath.WrongDirection.selector, uint256(1e18), uint256(2e18))
        );
        h.sellReturn(3e18, 1e18, 2e18, 1e18);
        vm.expectRevert(
            abi.encodeWithSelector(LMSRMath.SumTooSmall.selector, uint256(1e18), uint256(1e18))
        );
        h.sellReturn(1e18, 1e18, 0, 1e18);
        vm.expectRevert(abi.encodeWithSelector(LMSRMath.BadOutcomeCount.selector, uint256(1)));
        h.uniformState(1);
        vm.expectRevert(abi.encodeWithSelector(LMSRMath.BadOutcomeCount.selector, uint256(257)));
        h.uniformState(257);

        uint256[] memory p = new uint256[](3);
        p[0] = 0.5e18;
        p[1] = 0.3e18;
        p[2] = 0.2e18 + 2e9; // sum off by 2e-9
        vm.expectRevert(LMSRMath.BadPrices.selector);
        h.initialState(p, 1e18);
        p[2] = 0.2e18 + 1e9; // within 1e-9: accepted
        h.initialState(p, 1e18);
        p[1] = 0;
        p[2] = 0.5e18;
        vm.expectRevert(LMSRMath.BadPrices.selector);
        h.initialState(p, 1e18);
        vm.expectRevert(LMSRMath.BadPrices.selector);
        h.worstCaseLoss(1e18, 0);
        vm.expectRevert(LMSRMath.BadPrices.selector);
        h.worstCaseLoss(1e18, 0.5e18 + 1);

        vm.expectRevert(abi.encodeWithSelector(LMSRMath.BadDuration.selector, uint256(2 ** 64)));
        h.accrue(LMSRMath.LN_ZERO, 2 ** 64, 1e18, 0, 1e18);
        vm.expectRevert(
            abi.encodeWithSelector(LMSRMath.TwapOutOfOrder.selector, int256(2), int256(1))
        );
        h.priceSeconds(0, 1e18, 1, 2);
    }

    // ------------------------------------------------------------------------------------------
    // Trades
    // ------------------------------------------------------------------------------------------

    /// Buying x and selling the same x back returns the running sum to where it was and never
    /// pays out more than the buy cost (in fact at least one margin less).
    function testFuzzNoRoundTripProfit(
        uint256 b,
        uint256 rq,
        uint256 rest,
        uint256 amount
    ) public pure {
        b = bound(b, 1e6, 1e30);
        int256 q = qWithExponent(rq, 0, b, -40, 59);
        rest = bound(rest, 0, 255 * 1e44); // the other terms (exponents up to ~60)
        uint256 eOld = LMSRMath.expTerm(q, 0, b);
        uint256 S = rest + eOld;
        vm.assume(S > 0);
        // Any amount that keeps the exponent at most 60.
        int256 room = (60 * int256(b)) - q;
        amount = bound(amount, 1, uint256(room));
        int256 qNew = q + int256(amount);
        uint256 eNew = LMSRMath.expTerm(qNew, 0, b);
        (uint256 cost, uint256 S1) = LMSRMath.buyCost(S, eOld, eNew, b);
        (uint256 payout, uint256 S2) = LMSRMath.sellReturn(
            S1,
            LMSRMath.expTerm(qNew, 0, b),
            LMSRMath.expTerm(q, 0, b),
            b
        );
        assertEq(S2, S, "the round trip restores S exactly");
        assertLe(payout, cost, "no round-trip profit");
        assertGe(cost, payout + LMSRMath.marginOf(b), "the round trip costs at least one margin");
    }

    /// The same across a re-anchor: a buy takes an outcome past exponent 60 (the anchor then
    /// moves to it, S rescaled), and selling the same amount back in the new frame returns less
    /// than the buy cost by at least one margin, even when the outcome dominates the sum.
    function testFuzzNoRoundTripProfitAcrossReanchor(
        uint256 b,
        uint256 rq,
        uint256 rest,
        uint256 amount
    ) public pure {
        b = bound(b, 1e6, 1e30);
        int256 q = qWithExponent(rq, 0, b, 30, 60);
        uint256 eOld = LMSRMath.expTerm(q, 0, b);
        // The other terms: from nothing to ~ the traded term itself.
        rest = bound(rest, 0, eOld);
        uint256 S = rest + eOld;
        // New exponent in (60, 100].
        int256 room = 100 * int256(b) - q;
        int256 need = 60 * int256(b) - q + int256(b / 1e6) + 1;
        amount = bound(amount, uint256(need), uint256(room));
        int256 qNew = q + int256(amount);
        (uint256 cost, uint256 S1) = LMSRMath.buyCost(S, eOld, LMSRMath.expTerm(qNew, 0, b), b);
        int256 shift = LMSRMath.anchorShift(qNew, 0, b);
        assertTrue(shift > 0, "the buy re-anchors");
        S1 = LMSRMath.reanchor(S1, shift, b);
        uint256 eTop = LMSRMath.expTerm(qNew, shift, b);
        uint256 eBack = LMSRMath.expTerm(q, shift, b);
        vm.assume(eTop - eBack < S1); // a sale that would empty the sum reverts instead
        (uint256 payout, ) = LMSRMath.sellReturn(S1, eTop, eBack, b);
        assertGe(cost, payout + LMSRMath.marginOf(b), "no round-trip profit across a re-anchor");
    }

    /// Buying x in k pieces never costs less than buying x at once.
    function testFuzzSplitBuyNeverCheaper(
        uint256 b,
        uint256 rq,
        uint256 rest,
        uint256 amount,
        uint256 k,
        uint256 seed
    ) public pure {
        b = bound(b, 1e6, 1e30);
        int256 q = qWithExponent(rq, 0, b, -40, 50);
        rest = bound(rest, 0, 255 * 1e44);
        uint256 S = rest + LMSRMath.expTerm(q, 0, b);
        vm.assume(S > 0);
        amount = bound(amount, 1, uint256((60 * int256(b)) - q));
        k = bound(k, 2, 8);
        if (amount < k) k = amount > 1 ? amount : 2;
        vm.assume(amount >= k);

        (uint256 single, uint256 sSingle) = LMSRMath.buyCost(
            S,
            LMSRMath.expTerm(q, 0, b),
            LMSRMath.expTerm(q + int256(amount), 0, b),
            b
        );

        uint256 total;
        uint256 left = amount;
        int256 qi = q;
        uint256 Si = S;
        for (uint256 i; i < k; ++i) {
            // Random pieces of at least 1 wei; the last one takes the rest.
            uint256 piece = i + 1 == k ? left : bound(rand(seed, i), 1, left - (k - 1 - i));
            left -= piece;
            (uint256 c, uint256 next) = LMSRMath.buyCost(
                Si,
                LMSRMath.expTerm(qi, 0, b),
                LMSRMath.expTerm(qi + int256(piece), 0, b),
                b
            );
            total += c;
            Si = next;
            qi += int256(piece);
        }
        assertEq(Si, sSingle, "same final S");
        assertGe(total, single, "k pieces cost at least one buy");
    }

    /// buyCost = b ln(newS / S) + margin and sellReturn = b ln(S / newS) - margin, each within a
    /// tenth of the margin of the exact value; costs are never below the exact value.
    function testFuzzCostsMatchLogarithm(
        uint256 b,
        uint256 S,
        uint256 eOld,
        uint256 delta,
        bool big
    ) public pure {
        b = bound(b, 1, 1e36);
        S = bound(S, 1e12, 1e62);
        eOld = bound(eOld, 0, S);
        // Half of the runs: large moves (up to exp(60) times S), otherwise up to S itself.
        delta = bound(delta, 0, big ? (S > 1e50 ? 1e76 : S * 1e26) : S);
        uint256 eNew = eOld + delta;
        uint256 margin = LMSRMath.marginOf(b);
        uint256 tol = b / 1e16 + 2;

        (uint256 cost, uint256 newS) = LMSRMath.buyCost(S, eOld, eNew, b);
        assertEq(newS, S + delta, "buy newS");
        uint256 exact = refCost(b, newS, S);
        assertGe(cost, exact + 1, "cost above the exact value");
        assertApprox(cost - margin, exact, tol, "buy cost = b ln(newS/S) + margin");

        // The sale back from newS.
        (uint256 payout, uint256 backS) = LMSRMath.sellReturn(newS, eNew, eOld, b);
        assertEq(backS, S, "sell newS");
        assertLe(payout, exact, "payout below the exact value");
        if (payout > 0) assertApprox(payout + margin, exact, tol, "payout = b ln(S/newS) - m");
        else assertLe(exact, margin + tol, "zero payout only when below the margin");
    }

    // ------------------------------------------------------------------------------------------
    // Prices, running sum, re-anchoring
    // ------------------------------------------------------------------------------------------

    function _randomMarket(
        uint256 seed,
        uint256 n,
        int256 anchor,
        uint256 b,
        int256 lo,
        int256 hi
    ) internal pure returns (int256[] memory q, uint256 S) {
        q = new int256[](n);
        for (uint256 j; j < n; ++j) {
            q[j] = qWithExponent(rand(seed, j), anchor, b, lo, hi);
            S += LMSRMath.expTerm(q[j], anchor, b);
        }
    }

    /// Spot prices e_j / S (rounded down) add up to 1e18 within n wei, never above.
    function testFuzzPricesSumToOne(uint256 seed, uint256 n, uint256 b, int256 anchor) public pure {
        n = bound(n, 2, 64);
        b = bound(b, 1e9, 1e30);
        anchor = boundInt(anchor, -1e40, 1e40);
        (int256[] memory q, uint256 S) = _randomMarket(seed, n, anchor, b, -30, 60);
        uint256 sum;
        for (uint256 j; j < n; ++j) sum += LMSRMath.priceOf(LMSRMath.expTerm(q[j], anchor, b), S);
        assertLe(sum, 1e18, "prices add up to at most 1");
        assertGe(sum + n, 1e18, "prices add up to 1 within n wei");
    }

    /// Re-anchoring by a shift that brings the largest exponent near 0 changes no price by more
    /// than 1e-15 relative (plus 2 wei of the terms), and S stays a lower bound of the fresh sum.
    function testFuzzReanchorKeepsPrices(
        uint256 seed,
        uint256 n,
        uint256 b,
        int256 anchor,
        int256 extra
    ) public pure {
        n = bound(n, 2, 64);
        b = bound(b, 1e9, 1e30);
        anchor = boundInt(anchor, -1e40, 1e40);
        (int256[] memory q, uint256 S) = _randomMarket(seed, n, anchor, b, -20, 60);
        int256 top = q[0];
        for (uint256 j = 1; j < n; ++j) if (q[j] > top) top = q[j];
        // Move the anchor to the largest quantity, give or take up to 2 b (or down by up to 20 b).
        int256 shift = top - anchor + (boundInt(extra, -2e18, 2e18) * int256(b)) / 1e18;
        if (uint256(extra) % 4 == 0) shift = -((boundInt(extra, 0, 20e18) * int256(b)) / 1e18);
        if (top - anchor - shift > 60 * int256(b)) shift = top - anchor - 60 * int256(b);
        int256 anchor2 = anchor + shift;
        uint256 S2 = LMSRMath.reanchor(S, shift, b);
        uint256 fresh;
        uint256 priceSum;
        for (uint256 j; j < n; ++j) {
            uint256 p = LMSRMath.priceOf(LMSRMath.expTerm(q[j], anchor, b), S);
            uint256 e2 = LMSRMath.expTerm(q[j], anchor2, b);
            fresh += e2;
            uint256 p2 = LMSRMath.priceOf(e2, S2);
            priceSum += p2;
            assertApprox(p2, p, p / 1e15 + (2e18 / S2) + 2, "price kept by the re-anchor");
        }
        // Rounded up: at least the fresh sum (up to the terms' own exp error), within 1e-15.
        assertGe(S2 + fresh / 1e16 + 2 * n, fresh, "re-anchored S rounds up");
        assertLe(S2, fresh + fresh / 1e15 + 2 * n, "re-anchored S within 1e-15 of fresh");
        assertLe(priceSum, 1e18 + n, "prices still add up to at most 1 (+ n wei)");
    }

    struct Sim {
        uint256 b;
        int256 anchor;
        uint256 S;
        int256[] q;
        int256 collected; // costs in minus payouts out
        uint256 reanchors;
    }

    /// A buy priced in the current frame, then the anchor moves if the exponent passed 60.
    function _buy(Sim memory m, uint256 j, uint256 amount) internal pure {
        int256 qNew = m.q[j] + int256(amount);
        (uint256 cost, uint256 newS) = LMSRMath.buyCost(
            m.S,
            LMSRMath.expTerm(m.q[j], m.anchor, m.b),
            LMSRMath.expTerm(qNew, m.anchor, m.b),
            m.b
        );
        m.q[j] = qNew;
        m.collected += int256(cost);
        int256 shift = LMSRMath.anchorShift(qNew, m.anchor, m.b);
        if (shift != 0) {
            newS = LMSRMath.reanchor(newS, shift, m.b);
            m.anchor += shift;
            ++m.reanchors;
        }
        m.S = newS;
    }

    /// A sale, then the anchor moves down if S fell below MIN_SUM.

    function _sell(Sim memory m, uint256 j, uint256 amount) internal pure {
        int256 qNew = m.q[j] - int256(amount);
        (uint256 payout, uint256 newS) = LMSRMath.sellReturn(
            m.S,
            LMSRMath.expTerm(m.q[j], m.anchor, m.b),
            LMSRMath.expTerm(qNew, m.anchor, m.b),
            m.b
        );
        m.q[j] = qNew;
        m.collected -= int256(payout);
        int256 shift = LMSRMath.lowSumShift(newS, m.b);
        if (shift != 0) {
            newS = LMSRMath.reanchor(newS, shift, m.b);
            m.anchor += shift;
            ++m.reanchors;
        }
        m.S = newS;
    }

    /// Random buys (some large enough to re-anchor) and sells; afterwards the running S equals
    /// a fresh sum of the exp terms (exactly if no re-anchor happened), and the maker, funded
    /// with worstCaseLoss(b, 1/n), can pay whichever outcome wins.
    function _runningSum(uint256 seed, uint256 n, uint256 b, uint256 steps) internal pure {
        Sim memory m;
        m.b = b;
        (m.q, m.S) = LMSRMath.uniformState(n);
        for (uint256 i; i < steps; ++i) {
            uint256 r = rand(seed, i);
            uint256 j = r % n;
            uint256 kind = (r >> 8) % 8;
            uint256 amount = bound(r >> 16, 1, kind == 0 ? 40 * b : (kind < 5 ? 3 * b : b / 100));
            int256 x = ((m.q[j] - m.anchor) * 1e18) / int256(b);
            if (kind >= 5 && x - int256((amount * 1e18) / b) > -35e18) _sell(m, j, amount);
            else _buy(m, j, amount);
        }
        uint256 fresh;
        int256 top = type(int256).min;
        for (uint256 j; j < n; ++j) {
            fresh += LMSRMath.expTerm(m.q[j], m.anchor, b);
            if (m.q[j] > top) top = m.q[j];
        }
        if (m.reanchors == 0) assertEq(m.S, fresh, "running S = fresh sum (no re-anchor)");
        assertApprox(m.S, fresh, fresh / 1e15 + 2 * n, "running S = fresh sum");
        // Solvency: subsidy + net takings cover the largest liability.
        int256 subsidy = int256(LMSRMath.worstCaseLoss(b, 1e18 / n));
        assertTrue(subsidy + m.collected >= top, "maker solvent whatever the outcome");
    }

    function testFuzzRunningSumTwoOutcomes(uint256 seed, uint256 b) public pure {
        _runningSum(seed, 2, bound(b, 1e12, 1e30), 40);
    }

    function testFuzzRunningSum64Outcomes(uint256 seed, uint256 b) public pure {
        _runningSum(seed, 64, bound(b, 1e12, 1e30), 40);
    }

    // ------------------------------------------------------------------------------------------
    // Starting state and subsidy
    // ------------------------------------------------------------------------------------------

    /// initialState reproduces the requested prices (within 1e-15 relative plus 2 wei).
    function testFuzzInitialStateReproducesPrices(uint256 seed, uint256 n, uint256 b) public pure {
        n = bound(n, 2, 32);
        b = bound(b, 1e15, 1e30);
        uint256[] memory p = new uint256[](n);
        uint256 total;
        for (uint256 j; j < n; ++j) {
            p[j] = bound(rand(seed, j), 1, 1e6);
            total += p[j];
        }
        uint256 left = 1e18;
        for (uint256 j; j < n; ++j) {
            p[j] = j + 1 == n ? left : (p[j] * 1e18) / total;
            left -= p[j];
        }
        (int256[] memory q, uint256 S) = LMSRMath.initialState(p, b);
        assertApprox(S, 1e18, 1e3 + 2 * n, "S is about 1");
        for (uint256 j; j < n; ++j) {
            assertTrue(q[j] <= 0, "starting quantities are <= 0");
            uint256 got = LMSRMath.priceOf(LMSRMath.expTerm(q[j], 0, b), S);
            assertApprox(got, p[j], p[j] / 1e15 + 2, "starting price");
        }
    }

    /// worstCaseLoss(b, 1/n) is b ln n (plus the margin, rounded up), and liquidityFor inverts it.
    function testFuzzWorstCaseLossUniform(uint256 b, uint256 n, uint256 subsidy) public pure {
        b = bound(b, 1, 1e36);
        n = bound(n, 2, 256);
        uint256 minPrice = 1e18 / n;
        uint256 loss = LMSRMath.worstCaseLoss(b, minPrice);
        uint256 exactLnN = refCost(b, n, 1);
        uint256 exact = refCost(b, 1e18, minPrice); // >= b ln n since 1e18 / n was floored
        assertGe(loss, exactLnN + 1, "covers b ln n");
        assertGe(loss, exact + 1, "covers b ln(1 / minPrice)");
        assertApprox(loss, exact + LMSRMath.marginOf(b), b / 1e16 + 2, "loss = b ln n + margin");
        // b ln(1e18 / floor(1e18 / n)) exceeds b ln n by at most b n 1e-18.
        assertLe(exact - exactLnN, (b * n) / 1e18 + 1, "floored 1/n");

        subsidy = bound(subsidy, 0, 1e38);
        uint256 got = LMSRMath.liquidityFor(subsidy, minPrice);
        if (got != 0) assertLe(LMSRMath.worstCaseLoss(got, minPrice), subsidy, "b affordable");
        if (got < LMSRMath.MAX_LIQUIDITY) {
            assertGt(LMSRMath.worstCaseLoss(got + 1, minPrice), subsidy, "b is the largest");
        }
    }

    function assertGt(uint256 a, uint256 b, string memory message) internal pure {
        if (a <= b) fail(string.concat(message, ": ", _str(a), " <= ", _str(b)));
    }

    // ------------------------------------------------------------------------------------------
    // Time-weighted average prices
    // ------------------------------------------------------------------------------------------

    function testLogAddExpKnownValues() public pure {
        int256 z = LMSRMath.LN_ZERO;
        assertTrue(LMSRMath.logAddExp(z, z) == z, "0 + 0");
        assertTrue(LMSRMath.logAddExp(z, 5e18) == 5e18, "0 + x");
        assertTrue(LMSRMath.logAddExp(-3e18, z) == -3e18, "x + 0");
        // ln(2 e^x) = x + ln 2.
        int256 got = LMSRMath.logAddExp(7e18, 7e18);
        assertApprox(uint256(got - 7e18), 693147180559945309, 2, "x + ln 2");
        // ln(e^0 + e^-1) = ln(1.367879441171442321) = 0.313261687518222834...
        // (PRBMath is 11 wei short here: its logarithm is exact to ~1e-17.)
        assertApprox(uint256(LMSRMath.logAddExp(-1e18, 0)), 313261687518222834, 20, "ln(1+1/e)");
        assertTrue(LMSRMath.logAddExp(0, -50e18) == 0, "negligible term dropped");
    }

    /// Accruing k equal intervals at a constant state gives ln(k dt / S_abs).
    function testFuzzAccrueConstantState(
        uint256 dt,
        uint256 k,
        uint256 S,
        int256 anchor,
        uint256 b
    ) public pure {
        dt = bound(dt, 1, 30 days);
        k = bound(k, 1, 20);
        S = bound(S, 1e15, 1e45);
        b = bound(b, 1e15, 1e30);
        anchor = boundInt(anchor, -1e40, 1e40);
        int256 lnW = LMSRMath.LN_ZERO;
        for (uint256 i; i < k; ++i) lnW = LMSRMath.accrue(lnW, dt, S, anchor, b);
        assertTrue(LMSRMath.accrue(lnW, 0, S, anchor, b) == lnW, "dt = 0 is a no-op");
        // Reference: ln(k dt) - ln(S / 1e18) - anchor / b, with the 36-decimal logarithm.
        int256 lnKdt = int256(refLn36(k * dt, 1) / 1e18);
        int256 lnS = S >= 1e18 ? int256(refLn36(S, 1e18) / 1e18) : -int256(refLn36(1e18, S) / 1e18);
        int256 expected = lnKdt - lnS - (anchor * 1e18) / int256(b);
        int256 diff = lnW - expected;
        assertLe(uint256(diff >= 0 ? diff : -diff), 10 * k + 10, "lnW = ln(k dt / S_abs)");
    }

    struct Twap {
        int256 lnW;
        int256[] lnWLast;
        uint256[] acc;
        uint256[] expected; // sum of floor(price) * dt, the known average's numerator
    }

    /// Holds the current state for dt seconds: accrues lnW and the reference price-seconds.
    function _hold(Sim memory m, Twap memory t, uint256 dt) internal pure {
        for (uint256 j; j < m.q.length; ++j) {
            t.expected[j] += LMSRMath.priceOf(LMSRMath.expTerm(m.q[j], m.anchor, m.b), m.S) * dt;
        }
        t.lnW = LMSRMath.accrue(t.lnW, dt, m.S, m.anchor, m.b);
    }

    /// Settles outcome j's price-seconds before its quantity changes.
    function _settle(Sim memory m, Twap memory t, uint256 j) internal pure {
        t.acc[j] += LMSRMath.priceSeconds(m.q[j], m.b, t.lnW, t.lnWLast[j]);
        t.lnWLast[j] = t.lnW;
    }

    function _twapBuy(Sim memory m, Twap memory t, uint256 j, uint256 amount) internal pure {
        _settle(m, t, j);
        _buy(m, j, amount);
    }

    function _newTwap(Sim memory m, uint256 n, uint256 b) internal pure returns (Twap memory t) {
        m.b = b;
        (m.q, m.S) = LMSRMath.uniformState(n);
        t.lnW = LMSRMath.LN_ZERO;
        t.lnWLast = new int256[](n);
        for (uint256 j; j < n; ++j) t.lnWLast[j] = LMSRMath.LN_ZERO;
        t.acc = new uint256[](n);
        t.expected = new uint256[](n);
    }

    /// Settles every outcome and compares with the known averages (1e-9 relative, plus 1 wei of
    /// price per second for the floors of the reference prices); prices add up to 1 over time.
    function _checkTwap(Sim memory m, Twap memory t, uint256 total) internal pure {
        uint256 sumAcc;
        for (uint256 j; j < m.q.length; ++j) {
            _settle(m, t, j);
            sumAcc += t.acc[j];
            assertApprox(t.acc[j], t.expected[j], t.expected[j] / 1e9 + total, "price-seconds");
        }
        assertApprox(sumAcc, total * 1e18, (total * 1e18) / 1e9, "prices add up to 1 over time");
    }

    /// Prices held constant over periods of known length (1 hour to 30 days), changed by buys
    /// and sales of up to 2 b: the accumulated price-seconds equal sum_k p_j(k) dt_k.
    function testFuzzTwapPiecewiseConstant(
        uint256[5] memory dts,
        uint256 b,
        uint256 n,
        uint256 seed
    ) public pure {
        b = bound(b, 1e15, 1e30);
        n = bound(n, 2, 8);
        Sim memory m;
        Twap memory t = _newTwap(m, n, b);
        uint256 total;
        for (uint256 i; i < 5; ++i) {
            dts[i] = bound(dts[i], 1 hours, 30 days);
            total += dts[i];
            _hold(m, t, dts[i]);
            if (i == 4) break;
            uint256 r = rand(seed, i);
            uint256 j = r % n;
            uint256 amount = bound(r >> 8, 1, 2 * b);
            _settle(m, t, j);
            if ((r >> 200) % 2 == 0) _buy(m, j, amount);
            else _sell(m, j, amount);
        }
        _checkTwap(m, t, total);
    }

    /// The same across a re-anchor: a burst of buys at the opening takes every outcome to
    /// 50 b - 59 b, then outcome 0 crosses 60 b and the anchor moves, then a sale.
    function testFuzzTwapAcrossReanchor(
        uint256[3] memory dts,
        uint256 b,
        uint256 seed
    ) public pure {
        b = bound(b, 1e15, 1e30);
        Sim memory m;
        Twap memory t = _newTwap(m, 3, b);
        uint256 total;
        for (uint256 i; i < 3; ++i) {
            dts[i] = bound(dts[i], 1 hours, 30 days);
            total += dts[i];
        }
        for (uint256 j; j < 3; ++j) _twapBuy(m, t, j, bound(rand(seed, j), 50 * b, 59 * b));
        _hold(m, t, dts[0]);
        _twapBuy(m, t, 0, uint256(61 * int256(b) - m.q[0]) + bound(rand(seed, 10), 0, 3 * b));
        assertEq(m.reanchors, 1, "the trade re-anchored");
        _hold(m, t, dts[1]);
        _settle(m, t, 2);
        _sell(m, 2, bound(rand(seed, 11), b / 10, 2 * b));
        _hold(m, t, dts[2]);
        _checkTwap(m, t, total);
    }

    /// The scheme's precision limit: W is one running integral kept to ~1e-18 relative, so a
    /// window's price-seconds carry an absolute error of about 1e-17 exp(q_j / b + lnW) per
    /// accrual (see `priceSeconds`). When the price level ln sum exp(q_k / b) rises by D after
    /// a long period, this is e^D times the earlier period's price-seconds: checked here for a
    /// rise of 10 to 30 (which is far above 1e-9 relative at the top of the range).
    function testFuzzTwapErrorBoundAfterLevelRise(
        uint256 rise,
        uint256 dt0,
        uint256 dt1
    ) public pure {
        uint256 b = 1e21;
        Sim memory m;
        Twap memory t = _newTwap(m, 2, b);
        dt0 = bound(dt0, 1 hours, 30 days);
        dt1 = bound(dt1, 1 hours, 30 days);
        rise = bound(rise, 10 * b, 30 * b);
        _hold(m, t, dt0);
        _twapBuy(m, t, 0, rise);
        _twapBuy(m, t, 1, rise);
        _hold(m, t, dt1);
        uint256 bound0 = (3 * LMSRMath.priceSeconds(m.q[0], b, t.lnW, LMSRMath.LN_ZERO)) / 1e17;
        for (uint256 j; j < 2; ++j) {
            _settle(m, t, j);
            assertApprox(t.acc[j], t.expected[j], bound0 + dt0 + dt1, "documented error bound");
        }
    }
}
