// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {sd, exp as sdExp} from "@prb/math/src/SD59x18.sol";
import {ud, ln as udLn} from "@prb/math/src/UD60x18.sol";

/// @title JuryMath
/// @notice The jury's aggregation maths in 1e18 fixed point: the log-ratio of a pairwise rating,
/// the packed comparison word, the Huber optimality check, softmax, medians and the triangle
/// check. Pure functions, tested alone and mirrored bit for bit by `src/huber.ts` where the
/// TypeScript side needs the same integers (`huberGradient`).
library JuryMath {
    /// @notice 1.0 in fixed point.
    int256 internal constant WAD = 1e18;

    /// @notice The ridge of the certified objective, 1e-6: the verified point minimises
    /// sum_k huber(r_k) + (RIDGE / 2) |x|^2, the fixed point of the reference IRLS fit.
    int256 internal constant RIDGE = 1e12;

    /// @notice Largest |logit| accepted (1e6 in real terms). Comparisons bound |y| by ln(999), so
    /// any optimum lies far inside; the bound keeps every sum below 2^200.
    int256 internal constant MAX_LOGIT = 1e24;

    /// @notice Multipliers are hundredths: 1.00 to 999.00.
    uint256 internal constant MIN_MULTIPLIER = 100;
    uint256 internal constant MAX_MULTIPLIER = 99_900;

    error ItemOutOfRange(uint256 index, uint256 item, uint256 items);
    error LogitTooLarge(uint256 item, int256 logit);

    // ------------------------------------------------------------------------------------------
    // Comparisons
    // ------------------------------------------------------------------------------------------

    /// @notice y = ln(w_b / w_a) of a rating: -ln(m) when a is worth more (choice 1), +ln(m) when
    /// b is (choice 2). `multiplier` is in hundredths and must already be validated.
    function logRatio(uint8 choice, uint256 multiplier) internal pure returns (int256 y) {
        // multiplier * 1e16 is in [1e18, 999e18], so ln is in [0, 6.91e18] and fits int256.
        int256 lnM = int256(udLn(ud(multiplier * 1e16)).unwrap());
        y = choice == 1 ? -lnM : lnM;
    }

    /// @notice One word per comparison: a in the top 16 bits, b in the next 16, y as a
    /// two's-complement int224 in the low 224 bits.
    function pack(uint256 a, uint256 b, int256 y) internal pure returns (bytes32 word) {
        // a, b < 2^16 and |y| < 2^223 for every rating (|y| <= 6.91e18), so nothing is cut.
        word = bytes32((a << 240) | (b << 224) | uint256(uint224(int224(y))));
    }

    function unpack(bytes32 word) internal pure returns (uint256 a, uint256 b, int256 y) {
        a = uint256(word) >> 240;
        b = (uint256(word) >> 224) & 0xffff;
        y = int256(int224(uint224(uint256(word))));
    }

    /// @notice The chain hash the jury keeps over revealed comparisons, one step.
    function chain(bytes32 hash, bytes32 word) internal pure returns (bytes32 next) {
        assembly ("memory-safe") {
            mstore(0x00, hash)
            mstore(0x20, word)
            next := keccak256(0x00, 0x40)
        }
    }

    // ------------------------------------------------------------------------------------------
    // Huber optimality
    // ------------------------------------------------------------------------------------------

    /// @notice Gradient of sum_k huber_delta(r_k) + (RIDGE / 2) |x|^2 at x, per item:
    /// G_i = sum_{a_k = i} clip(r_k) - sum_{b_k = i} clip(r_k) + RIDGE * x_i / 1e18, with
    /// r_k = y_k - (x_{b_k} - x_{a_k}) and clip to [-delta, delta]. Exact integer arithmetic;
    /// the ridge term truncates toward zero.
    /// @dev Reverts with `ItemOutOfRange` for an item index >= items and `LogitTooLarge` for
    /// |x_i| > MAX_LOGIT. `x.length` must equal `items`.
    function huberGradient(
        uint256 items,
        bytes32[] calldata packed,
        int256[] calldata x,
        int256 delta
    ) internal pure returns (int256[] memory g) {
        for (uint256 i; i < items; ++i) {
            if (x[i] > MAX_LOGIT || x[i] < -MAX_LOGIT) revert LogitTooLarge(i, x[i]);
        }
        g = new int256[](items);
        uint256 m = packed.length;
        for (uint256 k; k < m; ++k) {
            (uint256 a, uint256 b, int256 y) = unpack(packed[k]);
            if (a >= items) revert ItemOutOfRange(k, a, items);
            if (b >= items) revert ItemOutOfRange(k, b, items);
            unchecked {
                // |x| <= 1e24 and |y| < 2^223, so r fits comfortably; |c| <= delta < 2^128 and at
                // most 2^32 comparisons, so every running sum stays below 2^161.
                int256 r = y - (x[b] - x[a]);
                int256 c = r > delta ? delta : (r < -delta ? -delta : r);
                g[a] += c;
                g[b] -= c;
            }
        }
        for (uint256 i; i < items; ++i) {
            // |RIDGE * x_i| <= 1e36.
            unchecked {
                g[i] += (RIDGE * x[i]) / WAD;
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Weights
    // ------------------------------------------------------------------------------------------

    /// @notice softmax(x) in fixed point, summing to exactly 1e18: w_i = floor(e_i * 1e18 / sum e)
    /// with e_i = exp(x_i - max x) (0 below exp(-41.4)); the rounding remainder goes to the
    /// first largest logit.
    function softmax(int256[] memory x) internal pure returns (uint256[] memory w) {
        uint256 n = x.length;
        uint256 top;
        for (uint256 i = 1; i < n; ++i) {
            if (x[i] > x[top]) top = i;
        }
        int256 xMax = x[top];
        uint256[] memory e = new uint256[](n);
        uint256 sum;
        for (uint256 i; i < n; ++i) {
            // x_i - xMax <= 0, so exp is at most 1e18 (exactly 1e18 at the top) and never reverts.
            uint256 ei = uint256(sdExp(sd(x[i] - xMax)).unwrap());
            e[i] = ei;
            sum += ei;
        }
        w = new uint256[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            // Rounds down: the weights never sum to more than 1e18.
            uint256 wi = (e[i] * 1e18) / sum;
            w[i] = wi;
            total += wi;
        }
        w[top] += 1e18 - total;
    }

    // ------------------------------------------------------------------------------------------
    // Medians and the triangle check
    // ------------------------------------------------------------------------------------------

    /// @notice Median of unsigned values (sorted in place); of an even count, the mean of the
    /// middle two rounded down.
    function median(uint256[] memory v) internal pure returns (uint256) {
        uint256 n = v.length;
        for (uint256 i = 1; i < n; ++i) {
            uint256 key = v[i];
            uint256 j = i;
            while (j > 0 && v[j - 1] > key) {
                v[j] = v[j - 1];
                --j;
            }
            v[j] = key;
        }
        if (n % 2 == 1) return v[n / 2];
        // Both are at most 1e18 for scores; (lo + hi) / 2 cannot overflow for them, and the
        // general case is written as lo + (hi - lo) / 2.
        return v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2;
    }

    /// @notice Median of signed values (sorted in place); of an even count, (lo + hi) / 2
    /// truncated toward zero.
    function medianSigned(int256[] memory v) internal pure returns (int256) {
        uint256 n = v.length;
        for (uint256 i = 1; i < n; ++i) {
            int256 key = v[i];
            uint256 j = i;
            while (j > 0 && v[j - 1] > key) {
                v[j] = v[j - 1];
                --j;
            }
            v[j] = key;
        }
        if (n % 2 == 1) return v[n / 2];
        return (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /// @notice The triangle check over items 0, 1, 2. Each juror gives the three ratios
    /// (y01, y02, y12) = ln(w1/w0), ln(w2/w0), ln(w2/w1). For each ratio the panel's median is
    /// taken; each juror's ratio farthest from it (ties: first in that order) is dropped and
    /// rebuilt from the juror's other two (y02 = y01 + y12), which makes the juror's triangle
    /// consistent and gives logits x0 = -(y01 + y02) / 3, x1 = x0 + y01, x2 = x0 + y02. The result
    /// is the per-item median of the jurors' logits, re-centred to sum to exactly zero.
    /// @dev Every |y| <= 6.91e18, so no sum here comes near overflow. Ratios are rebuilt in
    /// place: `ratios` is modified.
    function triangle(int256[3][] memory ratios) internal pure returns (int256[] memory x) {
        uint256 jurors = ratios.length;
        int256[3] memory consensus;
        int256[] memory column = new int256[](jurors);
        for (uint256 p; p < 3; ++p) {
            for (uint256 j; j < jurors; ++j) column[j] = ratios[j][p];
            consensus[p] = medianSigned(column);
        }
        int256[][3] memory logits;
        for (uint256 i; i < 3; ++i) logits[i] = new int256[](jurors);
        for (uint256 j; j < jurors; ++j) {
            int256[3] memory y = ratios[j];
            uint256 worst;
            int256 worstDist = -1;
            for (uint256 p; p < 3; ++p) {
                int256 d = y[p] - consensus[p];
                if (d < 0) d = -d;
                if (d > worstDist) {
                    worstDist = d;
                    worst = p;
                }
            }
            if (worst == 0) y[0] = y[1] - y[2];
            else if (worst == 1) y[1] = y[0] + y[2];
            else y[2] = y[1] - y[0];
            int256 x0 = -(y[0] + y[1]) / 3;
            logits[0][j] = x0;
            logits[1][j] = x0 + y[0];
            logits[2][j] = x0 + y[1];
        }
        x = new int256[](3);
        for (uint256 i; i < 3; ++i) x[i] = medianSigned(logits[i]);
        int256 mean = (x[0] + x[1] + x[2]) / 3;
        x[0] -= mean;
        x[1] -= mean;
        x[2] = -(x[0] + x[1]);
    }
}
