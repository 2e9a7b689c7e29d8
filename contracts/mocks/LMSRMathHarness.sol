// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LMSRMath} from "../libraries/LMSRMath.sol";

/// @notice Exposes the internal functions of `LMSRMath` as external calls, for the Solidity
/// fuzz tests (reverts become reverts of a call) and the TypeScript differential tests. The
/// `*Gas` views also report the gas the library call itself used (measured with gasleft), and
/// `recordBuy` / `recordSell` run the math in a transaction for receipt-based measurements.
contract LMSRMathHarness {
    uint256 public lastAmount;
    uint256 public lastSum;

    function marginOf(uint256 b) external pure returns (uint256) {
        return LMSRMath.marginOf(b);
    }

    function expTerm(int256 q, int256 anchor, uint256 b) external pure returns (uint256) {
        return LMSRMath.expTerm(q, anchor, b);
    }

    function anchorShift(int256 qNew, int256 anchor, uint256 b) external pure returns (int256) {
        return LMSRMath.anchorShift(qNew, anchor, b);
    }

    function buyCost(
        uint256 S,
        uint256 eOld,
        uint256 eNew,
        uint256 b
    ) external pure returns (uint256 cost, uint256 newS) {
        return LMSRMath.buyCost(S, eOld, eNew, b);
    }

    function sellReturn(
        uint256 S,
        uint256 eOld,
        uint256 eNew,
        uint256 b
    ) external pure returns (uint256 payout, uint256 newS) {
        return LMSRMath.sellReturn(S, eOld, eNew, b);
    }

    function reanchor(uint256 S, int256 shift, uint256 b) external pure returns (uint256) {
        return LMSRMath.reanchor(S, shift, b);
    }

    function lowSumShift(uint256 S, uint256 b) external pure returns (int256) {
        return LMSRMath.lowSumShift(S, b);
    }

    function priceOf(uint256 e, uint256 S) external pure returns (uint256) {
        return LMSRMath.priceOf(e, S);
    }

    function initialState(
        uint256[] calldata pricesWad,
        uint256 b
    ) external pure returns (int256[] memory q, uint256 S) {
        return LMSRMath.initialState(pricesWad, b);
    }

    function uniformState(uint256 n) external pure returns (int256[] memory q, uint256 S) {
        return LMSRMath.uniformState(n);
    }

    function worstCaseLoss(uint256 b, uint256 minPriceWad) external pure returns (uint256) {
        return LMSRMath.worstCaseLoss(b, minPriceWad);
    }

    function liquidityFor(uint256 subsidy, uint256 minPriceWad) external pure returns (uint256) {
        return LMSRMath.liquidityFor(subsidy, minPriceWad);
    }

    function logAddExp(int256 a, int256 b) external pure returns (int256) {
        return LMSRMath.logAddExp(a, b);
    }

    function accrue(
        int256 lnW,
        uint256 dt,
        uint256 S,
        int256 anchor,
        uint256 b
    ) external pure returns (int256) {
        return LMSRMath.accrue(lnW, dt, S, anchor, b);
    }

    function priceSeconds(
        int256 qj,
        uint256 b,
        int256 lnWNow,
        int256 lnWLast
    ) external pure returns (uint256) {
        return LMSRMath.priceSeconds(qj, b, lnWNow, lnWLast);
    }

    // ------------------------------------------------------------------------------------------
    // Gas measurements
    // ------------------------------------------------------------------------------------------

    function buyCostGas(
        uint256 S,
        uint256 eOld,
        uint256 eNew,
        uint256 b
    ) external view returns (uint256 cost, uint256 newS, uint256 gasUsed) {
        uint256 before = gasleft();
        (cost, newS) = LMSRMath.buyCost(S, eOld, eNew, b);
        gasUsed = before - gasleft();
    }

    function sellReturnGas(
        uint256 S,
        uint256 eOld,
        uint256 eNew,
        uint256 b
    ) external view returns (uint256 payout, uint256 newS, uint256 gasUsed) {
        uint256 before = gasleft();
        (payout, newS) = LMSRMath.sellReturn(S, eOld, eNew, b);
        gasUsed = before - gasleft();
    }

    function expTermGas(
        int256 q,
        int256 anchor,
        uint256 b
    ) external view returns (uint256 e, uint256 gasUsed) {
        uint256 before = gasleft();
        e = LMSRMath.expTerm(q, anchor, b);
        gasUsed = before - gasleft();
    }

    /// @notice The math of a whole buy of `amount` of an outcome at quantity q: both exp terms
    /// and the cost (no re-anchoring), with the gas used.
    function buyTradeGas(
        uint256 S,
        int256 q,
        int256 anchor,
        uint256 amount,
        uint256 b
    ) external view returns (uint256 cost, uint256 newS, uint256 gasUsed) {
        uint256 before = gasleft();
        uint256 eOld = LMSRMath.expTerm(q, anchor, b);
        uint256 eNew = LMSRMath.expTerm(q + int256(amount), anchor, b);
        (cost, newS) = LMSRMath.buyCost(S, eOld, eNew, b);
        gasUsed = before - gasleft();
    }

    function accrueGas(
        int256 lnW,
        uint256 dt,
        uint256 S,
        int256 anchor,
        uint256 b
    ) external view returns (int256 lnWNext, uint256 gasUsed) {
        uint256 before = gasleft();
        lnWNext = LMSRMath.accrue(lnW, dt, S, anchor, b);
        gasUsed = before - gasleft();
    }

    function priceSecondsGas(
        int256 qj,
        uint256 b,
        int256 lnWNow,
        int256 lnWLast
    ) external view returns (uint256 ps, uint256 gasUsed) {
        uint256 before = gasleft();
        ps = LMSRMath.priceSeconds(qj, b, lnWNow, lnWLast);
        gasUsed = before - gasleft();
    }

    function recordBuy(uint256 S, uint256 eOld, uint256 eNew, uint256 b) external {
        (lastAmount, lastSum) = LMSRMath.buyCost(S, eOld, eNew, b);
    }

    function recordSell(uint256 S, uint256 eOld, uint256 eNew, uint256 b) external {
        (lastAmount, lastSum) = LMSRMath.sellReturn(S, eOld, eNew, b);
    }
}
