// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {QFMath} from "../../contracts/libraries/QFMath.sol";

import {TestHelpers} from "./Vm.sol";

/// @notice Exposes the internal library functions as external calls (so that reverts can be
/// observed as reverts of a call).
contract QFMathHarness {
    function sqrtScaled(uint256 amount) external pure returns (uint256) {
        return QFMath.sqrtScaled(amount);
    }

    function idealMatch(uint256 sumSqrt, uint256 direct) external pure returns (uint256) {
        return QFMath.idealMatch(sumSqrt, direct);
    }

    function matchFor(
        uint256 ideal,
        uint256 totalIdeal,
        uint256 budget
    ) external pure returns (uint256) {
        return QFMath.matchFor(ideal, totalIdeal, budget);
    }

    function alphaWad(uint256 totalIdeal, uint256 budget) external pure returns (uint256) {
        return QFMath.alphaWad(totalIdeal, budget);
    }

    function reserved(uint256 totalIdeal, uint256 budget) external pure returns (uint256) {
        return QFMath.reserved(totalIdeal, budget);
    }
}

/// @notice Fuzz tests of `QFMath` against independent references.
contract QFMathTest is TestHelpers {
    /// Beyond this amount * 1e18 no longer fits in 256 bits: sqrtScaled must revert.
    uint256 internal constant MAX_SQRT_INPUT = type(uint256).max / 1e18;
    /// The contract keeps amounts in 120 bits (and sums of ideals in 128 bits): sqrtScaled must
    /// be exact on [0, MAX_AMOUNT]. (Above it, the library may revert.)
    uint256 internal constant MAX_AMOUNT = type(uint120).max;

    QFMathHarness internal h;

    function setUp() public {
        h = new QFMathHarness();
    }

    // ------------------------------------------------------------------------------------------
    // sqrtScaled
    // ------------------------------------------------------------------------------------------

    function testSqrtScaledKnownValues() public view {
        assertEq(h.sqrtScaled(0), 0, "sqrt(0)");
        assertEq(h.sqrtScaled(1), 1e9, "sqrt(1 wei)");
        assertEq(h.sqrtScaled(2), 1414213562, "sqrt(2 wei)");
        assertEq(h.sqrtScaled(1e18), 1e18, "sqrt(1 token)");
        assertEq(h.sqrtScaled(4e18), 2e18, "sqrt(4 tokens)");
        assertEq(h.sqrtScaled(2e18), 1414213562373095048, "sqrt(2 tokens)");
        assertEq(h.sqrtScaled(MAX_AMOUNT), refSqrt(MAX_AMOUNT * 1e18), "sqrt(2^120 - 1)");
    }

    function testSqrtScaledRevertsAboveItsDomain() public {
        vm.expectRevert();
        h.sqrtScaled(MAX_SQRT_INPUT + 1);
    }

    /// Over the contract's whole range: equals the bit-by-bit reference, and is the floor
    /// square root.
    function testFuzzSqrtScaledMatchesReference(uint256 amount) public view {
        amount = bound(amount, 0, MAX_AMOUNT);
        uint256 got = h.sqrtScaled(amount);
        uint256 scaled = amount * 1e18;
        assertEq(got, refSqrt(scaled), "sqrtScaled vs reference");
        assertTrue(isFloorSqrt(got, scaled), "sqrtScaled(x)^2 <= x*1e18 < (sqrtScaled(x)+1)^2");
    }

    /// Above the contract's range the library may refuse, but whatever it returns is exact.
    function testFuzzSqrtScaledAboveRangeRevertsOrIsExact(uint256 amount) public view {
        amount = bound(amount, MAX_AMOUNT + 1, MAX_SQRT_INPUT);
        try h.sqrtScaled(amount) returns (uint256 got) {
            assertEq(got, refSqrt(amount * 1e18), "sqrtScaled vs reference above 2^120");
        } catch {}
    }

    /// Token-sized amounts (up to 1e30 wei, i.e. 1e12 tokens), where the contract actually lives.
    function testFuzzSqrtScaledTokenAmounts(uint256 amount) public view {
        amount = bound(amount, 0, 1e30);
        uint256 got = h.sqrtScaled(amount);
        uint256 scaled = uint256(amount) * 1e18;
        assertEq(got, refSqrt(scaled), "sqrtScaled vs reference");
        assertTrue(isFloorSqrt(got, scaled), "floor square root");
    }

    /// Monotone, and a root of a sum is at most the sum of the roots (the contract relies on
    /// newRoot >= oldRoot when a contributor adds to their total).
    function testFuzzSqrtScaledMonotoneAndSubadditive(uint256 x, uint256 y) public view {
        x = bound(x, 0, MAX_AMOUNT / 2);
        y = bound(y, 0, MAX_AMOUNT / 2);
        uint256 sx = h.sqrtScaled(x);
        uint256 sy = h.sqrtScaled(y);
        uint256 sxy = h.sqrtScaled(x + y);
        assertGe(sxy, sx, "sqrt(x+y) >= sqrt(x)");
        assertGe(sxy, sy, "sqrt(x+y) >= sqrt(y)");
        assertLe(sxy, sx + sy + 1, "sqrt(x+y) <= sqrt(x) + sqrt(y) (+1 for the floors)");
    }

    // ------------------------------------------------------------------------------------------
    // idealMatch
    // ------------------------------------------------------------------------------------------

    function testIdealMatchKnownValues() public view {
        // Two contributors of 1 token each: (1 + 1)^2 - 2 = 2 tokens.
        assertEq(h.idealMatch(2e18, 2e18), 2e18, "two equal contributors");
        // One contributor: never a match.
        assertEq(h.idealMatch(1e18, 1e18), 0, "one contributor");
        // Clamped, not underflowing.
        assertEq(h.idealMatch(1e18, 5e18), 0, "clamped at zero");
        assertEq(h.idealMatch(0, 0), 0, "empty gap");
    }

    /// max(0, floor(S^2 / 1e18) - C), with the clamp at zero.
    function testFuzzIdealMatchClampsAtZero(uint128 sumSqrt, uint256 direct) public view {
        uint256 squared = (uint256(sumSqrt) * uint256(sumSqrt)) / 1e18;
        // Half of the runs: direct near squared, so both sides of the clamp are exercised.
        if (direct % 2 == 0)
            direct = bound(direct, squared > 1e6 ? squared - 1e6 : 0, squared + 1e6);
        uint256 got = h.idealMatch(sumSqrt, direct);
        if (direct >= squared) {
            assertEq(got, 0, "ideal clamps at zero");
        } else {
            assertEq(got, squared - direct, "ideal = S^2/1e18 - C");
        }
        assertLe(got, squared, "ideal <= S^2/1e18");
    }

    /// A single contributor never gets a match: floor(floor(sqrt(c*1e18))^2 / 1e18) <= c.
    function testFuzzIdealMatchSingleContributorIsZero(uint256 amount) public view {
        amount = bound(amount, 0, MAX_AMOUNT);
        assertEq(h.idealMatch(h.sqrtScaled(amount), amount), 0, "single contributor");
    }

    /// Several contributors: the ideal is what the rule says, computed with the reference root.
    function testFuzzIdealMatchOfContributors(uint96 a, uint96 b, uint96 c) public view {
        uint256 sumSqrt = refSqrt(uint256(a) * 1e18) +
            refSqrt(uint256(b) * 1e18) +
            refSqrt(uint256(c) * 1e18);
        uint256 direct = uint256(a) + b + c;
        uint256 squared = (sumSqrt * sumSqrt) / 1e18;
        uint256 expected = squared > direct ? squared - direct : 0;
        assertEq(h.idealMatch(sumSqrt, direct), expected, "ideal of three contributors");
        // (sqrt a + sqrt b + sqrt c)^2 <= 3 (a + b + c): the ideal is at most twice the direct
        // (plus rounding).
        assertLe(h.idealMatch(sumSqrt, direct), 2 * direct + 1, "ideal <= (n-1) * direct");
    }

    // ------------------------------------------------------------------------------------------
    // matchFor
    // ------------------------------------------------------------------------------------------

    /// matchFor <= ideal; equal to the ideal when the budget covers T; otherwise
    /// floor(ideal * budget / T).
    function testFuzzMatchForAtMostIdeal(
        uint256 ideal,
        uint256 totalIdeal,
        uint256 budget
    ) public view {
        totalIdeal = bound(totalIdeal, 0, type(uint128).max);
        ideal = bound(ideal, 0, totalIdeal); // a gap's ideal is part of T
        budget = bound(budget, 0, type(uint120).max);
        uint256 got = h.matchFor(ideal, totalIdeal, budget);
        assertLe(got, ideal, "match <= ideal");
        if (totalIdeal <= budget) {
            assertEq(got, ideal, "covered budget pays the ideal");
        } else {
            // ideal < 2^128 and budget < 2^120: the product fits in 256 bits.
            assertEq(got, (ideal * budget) / totalIdeal, "scaled match");
            // alpha as reported never pays more than the match itself.
            uint256 alpha = h.alphaWad(totalIdeal, budget);
            assertLe((ideal * alpha) / 1e18, got, "floor(ideal * alpha) <= match");
        }
    }

    /// The matches of a round never add up to more than its budget (nor more than T), and
    /// when the budget binds the dust left over is below the number of gaps.
    function testFuzzMatchForSumWithinBudget(
        uint256[5] memory ideals,
        uint256 budget,
        uint256 n
    ) public view {
        n = bound(n, 1, 5);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            // Mix of tiny and huge ideals.
            ideals[i] = bound(ideals[i], 0, i % 2 == 0 ? type(uint120).max : 1e6);
            total += ideals[i];
        }
        budget = bound(budget, 0, type(uint120).max);
        if (budget % 3 == 0 && total > 0) budget = bound(budget, 0, total); // make it bind often
        uint256 sum;
        for (uint256 i; i < n; ++i) sum += h.matchFor(ideals[i], total, budget);
        uint256 reservedAmount = h.reserved(total, budget);
        assertLe(sum, budget, "sum of matches <= budget");
        assertLe(sum, total, "sum of matches <= T");
        assertLe(sum, reservedAmount, "sum of matches <= reserved");
        assertEq(reservedAmount, total < budget ? total : budget, "reserved = min(T, budget)");
        if (total <= budget) {
            assertEq(sum, total, "covered budget pays every ideal");
        } else {
            assertLt(budget - sum, n, "dust < number of gaps");
        }
    }

    // ------------------------------------------------------------------------------------------
    // alphaWad
    // ------------------------------------------------------------------------------------------

    function testAlphaWadKnownValues() public view {
        assertEq(h.alphaWad(0, 0), 0, "T = 0, budget = 0");
        assertEq(h.alphaWad(0, 5e18), 0, "T = 0");
        assertEq(h.alphaWad(5e18, 5e18), 1e18, "T = budget");
        assertEq(h.alphaWad(10e18, 5e18), 0.5e18, "half");
        assertEq(h.alphaWad(3, 1), 333333333333333333, "a third, rounded down");
        assertEq(h.alphaWad(5e18, 0), 0, "no budget");
    }

    function testFuzzAlphaWadRules(uint256 totalIdeal, uint256 budget) public view {
        totalIdeal = bound(totalIdeal, 0, type(uint128).max);
        budget = bound(budget, 0, type(uint120).max);
        if (totalIdeal % 4 == 0) totalIdeal = 0;
        uint256 got = h.alphaWad(totalIdeal, budget);
        if (totalIdeal == 0) {
            assertEq(got, 0, "alpha = 0 when T = 0");
        } else if (totalIdeal <= budget) {
            assertEq(got, 1e18, "alpha = 1 when the budget covers T");
        } else {
            // budget < 2^120, so budget * 1e18 < 2^180: no overflow.
            assertEq(got, (budget * 1e18) / totalIdeal, "alpha = floor(budget * 1e18 / T)");
            assertLt(got, 1e18, "alpha < 1 when the budget binds");
        }
    }
}
