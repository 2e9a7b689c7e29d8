// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {JuryMath} from "../../contracts/libraries/JuryMath.sol";

import {TestHelpers} from "./Vm.sol";

/// @notice Exposes `JuryMath`'s internal functions as external calls: `huberGradient` takes
/// calldata arrays, so it can only be reached through a call. Test-only.
contract JuryMathHarness {
    function logRatio(uint8 choice, uint256 multiplier) external pure returns (int256) {
        return JuryMath.logRatio(choice, multiplier);
    }

    function pack(uint256 a, uint256 b, int256 y) external pure returns (bytes32) {
        return JuryMath.pack(a, b, y);
    }

    function unpack(bytes32 word) external pure returns (uint256 a, uint256 b, int256 y) {
        return JuryMath.unpack(word);
    }

    function chain(bytes32 hash, bytes32 word) external pure returns (bytes32) {
        return JuryMath.chain(hash, word);
    }

    function huberGradient(
        uint256 items,
        bytes32[] calldata packed,
        int256[] calldata x,
        int256 delta
    ) external pure returns (int256[] memory) {
        return JuryMath.huberGradient(items, packed, x, delta);
    }

    function softmax(int256[] calldata x) external pure returns (uint256[] memory) {
        return JuryMath.softmax(x);
    }

    function median(uint256[] calldata v) external pure returns (uint256) {
        return JuryMath.median(v);
    }

    function medianSigned(int256[] calldata v) external pure returns (int256) {
        return JuryMath.medianSigned(v);
    }

    function triangle(int256[3][] calldata ratios) external pure returns (int256[] memory) {
        return JuryMath.triangle(ratios);
    }
}

/// @notice Fuzz tests of `JuryMath`: the packed comparison word round-trips; log-ratios have the
/// sign of the choice, grow with the multiplier and match an independent logarithm; softmax
/// weights sum to exactly 1e18, ignore a common shift and follow the order of the logits;
/// medians equal those of a sorted copy; the triangle check returns the true logits of
/// consistent jurors and ignores one wild ratio; the Huber gradient balances (every comparison
/// adds +c and -c) and equals an independently computed gradient.
contract JuryMathTest is TestHelpers {
    int256 internal constant WAD = 1e18;
    /// ln(999) * 1e18, the largest |y| a rating can give, rounded up.
    int256 internal constant MAX_Y = 6.907e18;
    /// ln 2 with 36 decimals.

    JuryMathHarness internal h;

    function setUp() public {
        h = new JuryMathHarness();
    }

    // ------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------

    function assertEqInt(int256 a, int256 b, string memory message) internal pure {
        if (a != b) fail(string.concat(message, ": ", _strInt(a), " != ", _strInt(b)));
    }

    function assertApproxInt(int256 a, int256 b, uint256 tol, string memory message) internal pure {
        uint256 d = a > b ? uint256(a - b) : uint256(b - a);
        if (d > tol) {
            fail(string.concat(message, ": ", _strInt(a), " vs ", _strInt(b), " tol ", _str(tol)));
        }
    }

    function _strInt(int256 v) internal pure returns (string memory) {
        if (v >= 0) return _str(uint256(v));
        // -type(int256).min does not fit; none of the values here come near it.
        return string.concat("-", _str(uint256(-v)));
    }

    function rand(uint256 seed, uint256 i) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, i)));
    }

    /// @dev Maps x onto [min, max] (inclusive).
    function boundInt(uint256 x, int256 min, int256 max) internal pure returns (int256) {
        uint256 span = uint256(max - min);
        return min + int256(x % (span + 1));
    }

    /// @dev n logits in [-lim, lim] from a seed; when `ties` is set they are whole numbers in
    /// [-5, 5] instead, so that equal logits are common.
    function randomLogits(
        uint256 seed,
        uint256 n,
        int256 lim,
        bool ties
    ) internal pure returns (int256[] memory x) {
        x = new int256[](n);
        for (uint256 i; i < n; ++i) {
            x[i] = ties ? boundInt(rand(seed, i), -5, 5) * WAD : boundInt(rand(seed, i), -lim, lim);
        }
    }

    /// @dev Insertion-free reference sort: repeated selection of the minimum, on a copy.
    function sortedCopy(uint256[] memory v) internal pure returns (uint256[] memory s) {
        uint256 n = v.length;
        s = new uint256[](n);
        for (uint256 i; i < n; ++i) s[i] = v[i];
        for (uint256 i; i < n; ++i) {
            uint256 m = i;
            for (uint256 j = i + 1; j < n; ++j) if (s[j] < s[m]) m = j;
            (s[i], s[m]) = (s[m], s[i]);
        }
    }

    function sortedCopySigned(int256[] memory v) internal pure returns (int256[] memory s) {
        uint256 n = v.length;
        s = new int256[](n);
        for (uint256 i; i < n; ++i) s[i] = v[i];
        for (uint256 i; i < n; ++i) {
            uint256 m = i;
            for (uint256 j = i + 1; j < n; ++j) if (s[j] < s[m]) m = j;
            (s[i], s[m]) = (s[m], s[i]);
        }
    }

    /// @dev A packed comparison word written out independently of `JuryMath.pack`.
    function word(uint256 a, uint256 b, int256 y) internal pure returns (bytes32) {
        uint256 low = uint256(y) & ((uint256(1) << 224) - 1);
        return bytes32(a * 2 ** 240 + b * 2 ** 224 + low);
    }

    /// @dev The ratios (y01, y02, y12) of a juror who agrees exactly with logits x.
    function ratiosOf(int256[3] memory x) internal pure returns (int256[3] memory) {
        return [x[1] - x[0], x[2] - x[0], x[2] - x[1]];
    }

    // ------------------------------------------------------------------------------------------
    // Comparisons: pack, unpack, chain, logRatio
    // ------------------------------------------------------------------------------------------

    /// pack then unpack returns (a, b, y) for a, b < 2^16 and |y| <= 7e18, and the word has the
    /// documented layout.
    function testFuzzPackUnpackRoundTrip(uint256 a, uint256 b, uint256 ry) public view {
        a = bound(a, 0, type(uint16).max);
        b = bound(b, 0, type(uint16).max);
        int256 y = boundInt(ry, -7e18, 7e18);
        bytes32 w = h.pack(a, b, y);
        assertTrue(w == word(a, b, y), "pack layout: a | b | int224 y");
        (uint256 a2, uint256 b2, int256 y2) = h.unpack(w);
        assertEq(a2, a, "a");
        assertEq(b2, b, "b");
        assertEqInt(y2, y, "y");
    }

    function testFuzzChainIsKeccakOfPair(bytes32 hash, bytes32 w) public view {
        assertTrue(h.chain(hash, w) == keccak256(abi.encode(hash, w)), "chain");
    }

    function testLogRatioKnownValues() public view {
        assertEqInt(h.logRatio(2, 100), 0, "logRatio(2, 100)");
        assertEqInt(h.logRatio(1, 100), 0, "logRatio(1, 100)");
        // ln 2 = 0.693147180559945309417...
        assertApproxInt(h.logRatio(2, 200), 693147180559945309, 10, "ln 2");
        assertApproxInt(h.logRatio(1, 200), -693147180559945309, 10, "-ln 2");
        // ln 999 = 6.906754778648553518...
        assertApproxInt(h.logRatio(2, 99_900), 6906754778648553518, 100, "ln 999");
        assertApproxInt(h.logRatio(1, 150), -405465108108164381, 10, "-ln 1.5");
    }

    /// Choice 1 (a worth more) gives y <= 0, choice 2 gives y >= 0, equal and opposite, and 0
    /// only at multiplier 1.00.
    function testFuzzLogRatioSignByChoice(uint256 m) public view {
        m = bound(m, JuryMath.MIN_MULTIPLIER, JuryMath.MAX_MULTIPLIER);
        int256 up = h.logRatio(2, m);
        int256 down = h.logRatio(1, m);
        assertEqInt(down, -up, "choice 1 is the negation of choice 2");
        if (m == 100) {
            assertEqInt(up, 0, "multiplier 1.00 gives 0");
        } else {
            assertTrue(up > 0, "choice 2: y > 0");
            assertTrue(down < 0, "choice 1: y < 0");
        }
        assertTrue(up <= MAX_Y, "|y| <= ln 999");
    }

    /// A larger multiplier gives a strictly larger |y|.
    function testFuzzLogRatioMonotoneInMultiplier(uint256 m1, uint256 m2) public view {
        m1 = bound(m1, JuryMath.MIN_MULTIPLIER, JuryMath.MAX_MULTIPLIER - 1);
        m2 = bound(m2, m1 + 1, JuryMath.MAX_MULTIPLIER);
        assertTrue(h.logRatio(2, m1) < h.logRatio(2, m2), "choice 2 increasing");
        assertTrue(h.logRatio(1, m1) > h.logRatio(1, m2), "choice 1 decreasing");
    }

    /// y = ln(m / 100) within 100 wei of an independent 36-decimal logarithm.
    function testFuzzLogRatioMatchesReference(uint256 m) public view {
        m = bound(m, JuryMath.MIN_MULTIPLIER, JuryMath.MAX_MULTIPLIER);
        int256 expected = int256(refLn36(m, 100) / 1e18);
        assertApproxInt(h.logRatio(2, m), expected, 100, "ln(m / 100)");
    }

    // ------------------------------------------------------------------------------------------
    // Softmax
    // ------------------------------------------------------------------------------------------

    /// 1 to 64 logits in [-50e18, 50e18]: the weights sum to exactly 1e18.
    function testFuzzSoftmaxSumsToOne(uint256 seed, uint256 n, bool ties) public view {
        n = bound(n, 1, 64);
        uint256[] memory w = h.softmax(randomLogits(seed, n, 50e18, ties));
        assertEq(w.length, n, "length");
        uint256 sum;
        for (uint256 i; i < n; ++i) sum += w[i];
        assertEq(sum, 1e18, "weights sum to 1e18");
    }

    /// Adding the same constant to every logit moves no weight by more than 1 wei.
    function testFuzzSoftmaxShiftInvariant(
        uint256 seed,
        uint256 n,
        uint256 rc,
        bool ties
    ) public view {
        n = bound(n, 1, 64);
        int256[] memory x = randomLogits(seed, n, 50e18, ties);
        int256 c = boundInt(rc, -50e18, 50e18);
        int256[] memory shifted = new int256[](n);
        for (uint256 i; i < n; ++i) shifted[i] = x[i] + c;
        uint256[] memory w = h.softmax(x);
        uint256[] memory ws = h.softmax(shifted);
        for (uint256 i; i < n; ++i) {
            uint256 d = w[i] > ws[i] ? w[i] - ws[i] : ws[i] - w[i];
            assertLe(d, 1, string.concat("shifted weight of item ", _str(i)));
        }
    }

    /// A larger logit never gets a smaller weight.
    function testFuzzSoftmaxMonotone(uint256 seed, uint256 n, bool ties) public view {
        n = bound(n, 2, 64);
        int256[] memory x = randomLogits(seed, n, 50e18, ties);
        uint256[] memory w = h.softmax(x);
        for (uint256 i; i < n; ++i) {
            for (uint256 j; j < n; ++j) {
                if (x[i] > x[j]) {
                    assertGe(
                        w[i],
                        w[j],
                        string.concat("w larger logit ", _str(i), " vs ", _str(j))
                    );
                }
            }
        }
    }

    function testSoftmaxKnownValues() public view {
        int256[] memory x = new int256[](1);
        x[0] = -7e18;
        assertEq(h.softmax(x)[0], 1e18, "one item gets everything");
        x = new int256[](4);
        uint256[] memory w = h.softmax(x);
        for (uint256 i; i < 4; ++i) assertEq(w[i], 0.25e18, "equal logits share equally");
        x = new int256[](3); // 1e18 / 3 does not divide: the remainder goes to the first top
        w = h.softmax(x);
        assertEq(w[0], 333333333333333334, "remainder to the first largest logit");
        assertEq(w[1], 333333333333333333, "w1");
        assertEq(w[2], 333333333333333333, "w2");
    }

    // ------------------------------------------------------------------------------------------
    // Medians
    // ------------------------------------------------------------------------------------------

    /// median equals that of a sorted copy: the middle value, or of an even count the mean of
    /// the middle two rounded down (over the whole uint256 range).
    function testFuzzMedianMatchesReference(uint256 seed, uint256 n, bool small) public view {
        n = bound(n, 1, 64);
        uint256[] memory v = new uint256[](n);
        for (uint256 i; i < n; ++i) v[i] = small ? rand(seed, i) % 1e18 : rand(seed, i);
        uint256[] memory s = sortedCopy(v);
        uint256 expected;
        if (n % 2 == 1) {
            expected = s[n / 2];
        } else {
            (uint256 lo, uint256 hi) = (s[n / 2 - 1], s[n / 2]);
            // floor((lo + hi) / 2) without overflow, written differently from the library.
            expected = lo / 2 + hi / 2 + ((lo % 2) + (hi % 2)) / 2;
        }
        assertEq(h.median(v), expected, "median == sorted reference");
    }

    /// medianSigned equals that of a sorted copy; of an even count (lo + hi) / 2 truncated
    /// toward zero. Values within +-2^200 (the library adds the middle two).
    function testFuzzMedianSignedMatchesReference(uint256 seed, uint256 n, bool ties) public view {
        n = bound(n, 1, 64);
        int256[] memory v = new int256[](n);
        for (uint256 i; i < n; ++i) {
            v[i] = ties ? boundInt(rand(seed, i), -3, 3) : boundInt(rand(seed, i), -2e60, 2e60);
        }
        int256[] memory s = sortedCopySigned(v);
        int256 expected;
        if (n % 2 == 1) {
            expected = s[n / 2];
        } else {
            int256 total = s[n / 2 - 1] + s[n / 2];
            // Truncation toward zero, spelled out.
            expected = total >= 0 ? int256(uint256(total) / 2) : -int256(uint256(-total) / 2);
        }
        assertEqInt(h.medianSigned(v), expected, "medianSigned == sorted reference");
    }

    /// The median of three is the middle one.
    function testFuzzMedianOfThreeIsMiddle(uint256 a, uint256 b, uint256 c) public view {
        uint256[] memory v = new uint256[](3);
        (v[0], v[1], v[2]) = (a, b, c);
        uint256 middle = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
        assertEq(h.median(v), middle, "median of three");
        int256[] memory sv = new int256[](3);
        (sv[0], sv[1], sv[2]) = (int256(a >> 2) - 2 ** 253, int256(b >> 2), -int256(c >> 2));
        int256 lo = sv[0] < sv[1] ? sv[0] : sv[1];
        int256 hi = sv[0] < sv[1] ? sv[1] : sv[0];
        int256 signedMiddle = sv[2] < lo ? lo : (sv[2] > hi ? hi : sv[2]);
        assertEqInt(h.medianSigned(sv), signedMiddle, "signed median of three");
    }

    // ------------------------------------------------------------------------------------------
    // Triangle
    // ------------------------------------------------------------------------------------------

    /// Jurors whose three ratios come from the same logits x (any level) get back x re-centred,
    /// within 3 wei per item, summing to exactly 0.
    function testFuzzTriangleConsistentJurors(
        uint256 r0,
        uint256 r1,
        uint256 r2,
        uint256 jurors
    ) public view {
        // Pairwise differences stay within ln 999, as ratings allow.
        int256[3] memory x = [
            boundInt(r0, -3.4e18, 3.4e18),
            boundInt(r1, -3.4e18, 3.4e18),
            boundInt(r2, -3.4e18, 3.4e18)
        ];
        jurors = bound(jurors, 1, 9);
        int256[3][] memory ratios = new int256[3][](jurors);
        for (uint256 j; j < jurors; ++j) ratios[j] = ratiosOf(x);
        int256[] memory out = h.triangle(ratios);
        assertEq(out.length, 3, "three logits");
        assertEqInt(out[0] + out[1] + out[2], 0, "logits sum to exactly 0");
        int256 mean = (x[0] + x[1] + x[2]) / 3;
        for (uint256 i; i < 3; ++i) {
            assertApproxInt(out[i], x[i] - mean, 3, string.concat("logit ", _str(i)));
        }
    }

    /// One juror with one wild ratio among three consistent ones: the wild ratio is farthest
    /// from the median, is rebuilt from the juror's other two, and the result is unchanged.
    function testFuzzTriangleIgnoresOneWildRatio(
        uint256 r0,
        uint256 r1,
        uint256 r2,
        uint256 rw,
        uint256 slot,
        uint256 position
    ) public view {
        int256[3] memory x = [
            boundInt(r0, -3.4e18, 3.4e18),
            boundInt(r1, -3.4e18, 3.4e18),
            boundInt(r2, -3.4e18, 3.4e18)
        ];
        slot = slot % 3;
        position = position % 4;
        int256[3] memory truth = ratiosOf(x);
        int256 wild = boundInt(rw, -MAX_Y, MAX_Y);
        vm.assume(wild != truth[slot]);

        int256[3][] memory honest = new int256[3][](3);
        for (uint256 j; j < 3; ++j) honest[j] = truth;
        int256[] memory expected = h.triangle(honest);

        int256[3][] memory ratios = new int256[3][](4);
        for (uint256 j; j < 4; ++j) ratios[j] = ratiosOf(x);
        ratios[position][slot] = wild;
        int256[] memory out = h.triangle(ratios);
        for (uint256 i; i < 3; ++i) {
            assertEqInt(out[i], expected[i], string.concat("logit with a wild juror ", _str(i)));
        }
        assertEqInt(out[0] + out[1] + out[2], 0, "logits sum to exactly 0");
    }

    // ------------------------------------------------------------------------------------------
    // Huber gradient
    // ------------------------------------------------------------------------------------------

    struct HuberCase {
        uint256 items;
        bytes32[] packed;
        uint256[] a;
        uint256[] b;
        int256[] y;
        int256[] x;
    }

    /// A random problem: 2 to 16 items, 1 to 40 comparisons between distinct items with |y| up
    /// to ln 999, logits up to 10 (residuals near any delta) or up to MAX_LOGIT.
    function huberCase(uint256 seed) internal pure returns (HuberCase memory c) {
        c.items = 2 + (rand(seed, 0) % 15);
        uint256 m = 1 + (rand(seed, 1) % 40);
        c.packed = new bytes32[](m);
        c.a = new uint256[](m);
        c.b = new uint256[](m);
        c.y = new int256[](m);
        for (uint256 k; k < m; ++k) {
            uint256 r = rand(seed, 100 + k);
            uint256 a = r % c.items;
            uint256 b = (a + 1 + ((r >> 16) % (c.items - 1))) % c.items;
            int256 y = boundInt(r >> 32, -MAX_Y, MAX_Y);
            (c.a[k], c.b[k], c.y[k]) = (a, b, y);
            c.packed[k] = word(a, b, y);
        }
        int256 lim = rand(seed, 2) % 4 == 0 ? JuryMath.MAX_LOGIT : int256(10e18);
        c.x = new int256[](c.items);
        for (uint256 i; i < c.items; ++i) c.x[i] = boundInt(rand(seed, 200 + i), -lim, lim);
    }

    /// The gradient computed item by item, scanning all comparisons for each item: clip(r) when
    /// the item is a, -clip(r) when it is b, plus the ridge term.
    function refGradient(
        HuberCase memory c,
        int256 delta
    ) internal pure returns (int256[] memory g) {
        g = new int256[](c.items);
        for (uint256 i; i < c.items; ++i) {
            int256 total;
            for (uint256 k; k < c.a.length; ++k) {
                int256 r = c.y[k] + c.x[c.a[k]] - c.x[c.b[k]];
                int256 clipped = r > delta
                    ? delta
                    : r < -delta
                        ? -delta
                        : r;
                if (c.a[k] == i) total += clipped;
                if (c.b[k] == i) total -= clipped;
            }
            g[i] = total + (JuryMath.RIDGE * c.x[i]) / WAD;
        }
    }

    /// Every comparison adds +c to one item and -c to another: the gradient sums to exactly the
    /// sum of the (truncated) ridge terms, whatever delta.
    function testFuzzHuberGradientBalances(uint256 seed, uint256 rd) public view {
        HuberCase memory c = huberCase(seed);
        int256 delta = int256(rd % 4 == 0 ? bound(rd, 1, type(uint128).max) : bound(rd, 1, 8e18));
        int256[] memory g = h.huberGradient(c.items, c.packed, c.x, delta);
        assertEq(g.length, c.items, "one gradient per item");
        int256 sumG;
        int256 sumRidge;
        for (uint256 i; i < c.items; ++i) {
            sumG += g[i];
            sumRidge += (JuryMath.RIDGE * c.x[i]) / WAD;
        }
        assertEqInt(sumG, sumRidge, "sum of gradients == sum of ridge terms");
    }

    /// With delta larger than any residual nothing is clipped: the gradient is the
    /// least-squares gradient sum_{a=i} r - sum_{b=i} r + RIDGE x_i, computed here directly.
    function testFuzzHuberGradientLeastSquares(uint256 seed) public view {
        HuberCase memory c = huberCase(seed);
        int256 delta = int256(uint256(type(uint128).max));
        int256[] memory g = h.huberGradient(c.items, c.packed, c.x, delta);
        int256[] memory expected = new int256[](c.items);
        for (uint256 k; k < c.a.length; ++k) {
            int256 r = c.y[k] - (c.x[c.b[k]] - c.x[c.a[k]]);
            expected[c.a[k]] += r;
            expected[c.b[k]] -= r;
        }
        for (uint256 i; i < c.items; ++i) {
            expected[i] += (JuryMath.RIDGE * c.x[i]) / WAD;
            assertEqInt(g[i], expected[i], string.concat("least-squares gradient ", _str(i)));
        }
    }

    /// For any delta the gradient equals the item-by-item reference with clipping.
    function testFuzzHuberGradientMatchesReference(uint256 seed, uint256 rd) public view {
        HuberCase memory c = huberCase(seed);
        int256 delta = int256(bound(rd, 1, 8e18));
        int256[] memory g = h.huberGradient(c.items, c.packed, c.x, delta);
        int256[] memory expected = refGradient(c, delta);
        for (uint256 i; i < c.items; ++i) {
            assertEqInt(g[i], expected[i], string.concat("Huber gradient ", _str(i)));
        }
    }

    function testHuberGradientReverts() public {
        bytes32[] memory packed = new bytes32[](1);
        packed[0] = word(0, 1, 1e18);
        int256[] memory x = new int256[](2);
        x[1] = JuryMath.MAX_LOGIT + 1;
        vm.expectRevert(abi.encodeWithSelector(JuryMath.LogitTooLarge.selector, uint256(1), x[1]));
        h.huberGradient(2, packed, x, 1e18);
        x[1] = -JuryMath.MAX_LOGIT; // the bound itself is accepted
        h.huberGradient(2, packed, x, 1e18);
        packed[0] = word(0, 2, 1e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                JuryMath.ItemOutOfRange.selector,
                uint256(0),
                uint256(2),
                uint256(2)
            )
        );
        h.huberGradient(2, packed, x, 1e18);
    }
}
