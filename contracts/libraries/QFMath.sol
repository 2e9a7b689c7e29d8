// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {sqrt as prbSqrt} from "@prb/math/src/Common.sol";

/// @title QFMath
/// @notice The quadratic funding rule in integer arithmetic. Every function is pure and the
/// TypeScript module `src/qf.ts` reproduces each one bit for bit (same floors, same order).
library QFMath {
    /// @notice An amount above MAX_AMOUNT was given to sqrtScaled.
    error QFMathAmountTooLarge(uint256 amount);

    /// @notice One unit in 18-decimal fixed point.
    uint256 internal constant WAD = 1e18;

    /// @notice Largest amount `sqrtScaled` takes: the contract keeps amounts in 120 bits.
    uint256 internal constant MAX_AMOUNT = type(uint120).max;

    /// @notice floor(sqrt(amount * 1e18)): the square root of a token amount (in wei) kept in
    /// 1e18-scaled units. This is exactly PRBMath's UD60x18.sqrt(amount); we call PRBMath's
    /// integer square root directly because amount <= 2^120 makes its overflow check redundant.
    function sqrtScaled(uint256 amount) internal pure returns (uint256) {
        if (amount > MAX_AMOUNT) revert QFMathAmountTooLarge(amount);
        // amount < 2^120 and 1e18 < 2^60, so the product is below 2^180.
        unchecked {
            return prbSqrt(amount * WAD);
        }
    }

    /// @notice max(0, floor(sumSqrt^2 / 1e18) - direct): the match a gap would get with no budget
    /// limit. Rounds down, in favour of the pool.
    /// @param sumSqrt S_g, at most 2^128 - 1 (the contract stores it in 128 bits).
    function idealMatch(uint256 sumSqrt, uint256 direct) internal pure returns (uint256) {
        uint256 squared;
        // sumSqrt < 2^128, so sumSqrt * sumSqrt < 2^256.
        unchecked {
            squared = (sumSqrt * sumSqrt) / WAD;
        }
        return squared > direct ? squared - direct : 0;
    }

    /// @notice The match of a gap with ideal match `ideal` in a round whose ideals add up to
    /// `totalIdeal` and whose budget is `budget`: the ideal when the budget covers every ideal,
    /// otherwise floor(ideal * budget / totalIdeal), one mulDiv rounding down (for the pool).
    function matchFor(
        uint256 ideal,
        uint256 totalIdeal,
        uint256 budget
    ) internal pure returns (uint256) {
        if (totalIdeal <= budget) return ideal;
        return Math.mulDiv(ideal, budget, totalIdeal);
    }

    /// @notice The reported matching factor: 0 when no gap has an ideal match, 1e18 when the
    /// budget covers all of them, otherwise floor(budget * 1e18 / totalIdeal).
    function alphaWad(uint256 totalIdeal, uint256 budget) internal pure returns (uint256) {
        if (totalIdeal == 0) return 0;
        if (totalIdeal <= budget) return WAD;
        return Math.mulDiv(budget, WAD, totalIdeal);
    }

    /// @notice What a finalized round takes from the pool: min(totalIdeal, budget).
    function reserved(uint256 totalIdeal, uint256 budget) internal pure returns (uint256) {
        return totalIdeal < budget ? totalIdeal : budget;
    }
}
