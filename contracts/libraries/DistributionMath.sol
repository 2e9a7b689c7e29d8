// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IFundingPot} from "../interfaces/IFundingPot.sol";

/// @title DistributionMath
/// @notice The floors of a Deep Funding distribution (see `IFundingPot`) and the O(k) check of
/// a children ranking. Mirrors `distribute` and `rankChildren` in `src/graph.ts` step for step.
/// Every floor rounds down, in the escrow's favour: what it loses is the round's dust.
library DistributionMath {
    /// @notice 1.0 in 18-decimal fixed point (originality).
    uint256 internal constant WAD = 1e18;

    /// @notice floor(pot * weight / totalWeight): a seed's share. 512-bit intermediate, so any
    /// pot and weights work; totalWeight must be > 0 (and >= weight for a share <= pot).
    function seedShare(
        uint256 pot,
        uint256 weight,
        uint256 totalWeight
    ) internal pure returns (uint256) {
        return Math.mulDiv(pot, weight, totalWeight);
    }

    /// @notice floor(share * originalityWad / 1e18): what a seed keeps (<= share for
    /// originalityWad <= 1e18).
    function keptOf(uint256 share, uint256 originalityWad) internal pure returns (uint256) {
        return Math.mulDiv(share, originalityWad, WAD);
    }

    /// @notice floor(passed * weight / fundedWeight): a funded child's share of what its parent
    /// passes on (the children together get at most `passed`, as their weights sum to
    /// fundedWeight). fundedWeight must be > 0.
    function childShare(
        uint256 passed,
        uint256 weight,
        uint256 fundedWeight
    ) internal pure returns (uint256) {
        return Math.mulDiv(passed, weight, fundedWeight);
    }

    /// @notice Checks that `order` ranks `weights` heaviest first with ties to the lower index,
    /// and sums the weights of the first min(maxFunded, k).
    /// @dev O(k): a permutation check against a bitmap in memory, then every neighbouring pair
    /// must be strictly ordered by (weight descending, index ascending). That order is total, so
    /// exactly one permutation passes: the ranking of `rankChildren`. Reverts with
    /// `OrderNotPermutation` or `OrderNotSorted`; the caller checks the lengths agree.
    /// @return funded min(maxFunded, k).
    /// @return fundedWeight The sum of the funded weights (checked arithmetic).
    function fundedWeightOf(
        uint256[] calldata weights,
        uint256[] calldata order,
        uint256 maxFunded
    ) internal pure returns (uint256 funded, uint256 fundedWeight) {
        uint256 k = order.length;
        uint256[] memory seen = new uint256[]((k + 255) >> 8);
        funded = k < maxFunded ? k : maxFunded;
        uint256 previous;
        uint256 previousWeight;
        for (uint256 p; p < k; ++p) {
            uint256 index = order[p];
            if (index >= k) revert IFundingPot.OrderNotPermutation(p, index);
            uint256 bit = 1 << (index & 255);
            uint256 word = seen[index >> 8];
            if (word & bit != 0) revert IFundingPot.OrderNotPermutation(p, index);
            seen[index >> 8] = word | bit;
            uint256 weight = weights[index];
            if (p != 0) {
                bool ranked = previousWeight > weight ||
                    (previousWeight == weight && previous < index);
                if (!ranked) revert IFundingPot.OrderNotSorted(p);
            }
            if (p < funded) fundedWeight += weight;
            previous = index;
            previousWeight = weight;
        }
    }
}
