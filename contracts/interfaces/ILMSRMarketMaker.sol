// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ILMSRMarketMaker
/// @notice Logarithmic market scoring rule (Hanson) market makers for the outcome slots of
/// conditions in the conditional token vault, every trade at constant gas.
///
/// A market prices the n outcome slots of one condition in units of a parent position: an ERC-20
/// collateral (parent 0) or a vault position such as "seed j is evaluated". With q_j the net
/// amount of outcome j the market has sold and b its liquidity:
///     C(q)  = b ln sum_j exp(q_j / b)          cost function
///     p_j   = exp(q_j / b) / sum_k exp(q_k / b) spot price, sum_j p_j = 1
/// Buying x of outcome j costs C(q + x e_j) - C(q); selling returns C(q) - C(q - x e_j).
///
/// Constant gas: the market keeps an anchor m and S = sum_j exp((q_j - m) / b). A trade of
/// outcome j recomputes only exp((q_j - m) / b), so its gas does not depend on n. When an exponent
/// would grow too large the anchor moves and S is rescaled by one common factor (O(1)).
///
/// Backing: the market does not hold outcome tokens. It is an issuer of the vault: a buy deposits
/// the cost into the vault's reserve for (collateral, parent, condition) and mints x of slot j to
/// the trader; a sell burns the trader's tokens and pays from that reserve. The creator's subsidy
/// F is deposited at creation. The reserve then covers every redemption whatever the outcome as
/// long as F >= b ln(1 / p_min), p_min the smallest starting price (b ln n for uniform prices):
/// that is the market's worst-case loss, and b is derived from F so that it holds.
///
/// Rounding: costs are rounded up and returns down, each by a margin (b / 1e15 + 1 wei) larger
/// than the fixed-point error of PRBMath's exp and ln, so that no sequence of trades, however
/// split, can extract value from rounding.
///
/// Time-weighted average prices: the integral of dt / sum_k exp(q_k / b) is kept in log form,
/// ln W, updated in O(1) per trade; outcome j's price-seconds since its last trade are
/// exp(q_j / b + ln W_now) - exp(q_j / b + ln W_then), settled when q_j changes. The average
/// over the trading window (creation to close) is the sum of price-seconds over its length.
///
interface ILMSRMarketMaker {
    /// @notice A market was created.
    event MarketCreated(
        uint256 indexed marketId,
        bytes32 indexed conditionId,
        address indexed creator,
        address collateral,
        uint256 parentPositionId,
        uint256 outcomes,
        uint256 liquidity,
        uint256 subsidy,
        uint256 closeTime
    );

    /// @notice A trade went through: `amount` of `outcome` bought (positive) or sold (negative)
    /// for `parentAmount` parent units paid (buy) or received (sell).
    event Traded(
        uint256 indexed marketId,
        address indexed trader,
        uint256 indexed outcome,
        int256 amount,
        uint256 parentAmount
    );

    /// @notice The cost of a buy exceeds the trader's limit.
    error CostAboveLimit(uint256 cost, uint256 maxCost);
    /// @notice The return of a sell is below the trader's limit.
    error ReturnBelowLimit(uint256 payout, uint256 minReturn);
    /// @notice The trade's deadline has passed.
    error DeadlinePassed(uint256 deadline, uint256 nowTime);
    /// @notice The market's trading window has closed.
    error MarketClosed(uint256 marketId, uint256 closeTime);
    /// @notice The market or outcome does not exist.
    error UnknownMarket(uint256 marketId);
    /// @notice A sale would take the maker's running sum below the scale at which its fixed-point
    /// terms keep their precision; sell in smaller parts.
    error SaleTooLarge(uint256 sumAfter, uint256 floor);
    /// @notice The outcome index is out of range.
    error UnknownOutcome(uint256 marketId, uint256 outcome);

    /// @notice Creates a market over `conditionId`'s slots priced in (collateral, parent),
    /// funded with `subsidy` parent units from the caller, trading until `closeTime`, with
    /// optional starting prices (1e18 units, summing to 1e18; empty for uniform).
    function createMarket(
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId,
        uint256 subsidy,
        uint256[] calldata startPricesWad,
        uint256 closeTime
    ) external returns (uint256 marketId);

    /// @notice Buys exactly `amount` of `outcome`, paying at most `maxCost` parent units.
    function buy(
        uint256 marketId,
        uint256 outcome,
        uint256 amount,
        uint256 maxCost,
        uint256 deadline
    ) external returns (uint256 cost);

    /// @notice Sells exactly `amount` of `outcome`, receiving at least `minReturn` parent units.
    function sell(
        uint256 marketId,
        uint256 outcome,
        uint256 amount,
        uint256 minReturn,
        uint256 deadline
    ) external returns (uint256 payout);

    /// @notice The cost of buying (`amount` > 0) or the return of selling (`amount` < 0).
    function quote(
        uint256 marketId,
        uint256 outcome,
        int256 amount
    ) external view returns (uint256 parentAmount);

    /// @notice The spot price of one outcome (1e18 units), in constant gas.
    function priceOf(uint256 marketId, uint256 outcome) external view returns (uint256 priceWad);

    /// @notice Spot prices of all outcomes (1e18 units); O(n), for off-chain use.
    function prices(uint256 marketId) external view returns (uint256[] memory pricesWad);

    /// @notice Time-weighted average prices from creation to min(now, close) (1e18 units).
    function averagePrices(uint256 marketId) external view returns (uint256[] memory pricesWad);

    /// @notice The market's worst case: a bound on what it can lose (b ln(1 / p_min), at most the
    /// subsidy by construction of b), the subsidy, and the costs collected minus returns paid.
    function liabilities(
        uint256 marketId
    ) external view returns (uint256 worstCaseLoss, uint256 subsidy, int256 collected);
}
