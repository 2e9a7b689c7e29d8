// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConditionalTokens} from "../../contracts/markets/ConditionalTokens.sol";
import {LMSRMarketMaker} from "../../contracts/markets/LMSRMarketMaker.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {LMSRHandler} from "./LMSRHandler.sol";
import {TestHelpers} from "./Vm.sol";

/// @notice Handler-based invariant tests of `LMSRMarketMaker`: the fuzzer only calls
/// `LMSRHandler` (buy, sell, sell everything, buy-and-sell round trips, time warps) on a 2-outcome
/// and a 5-outcome market; the invariants compare the market's backing in the vault with what its
/// issued outcome tokens can claim, its loss with its bound, its prices, and each actor's ghost
/// accounting.
/// @dev Name `test/solidity/LMSRHandler.sol` too when running single files.
contract LMSRMarketInvariantTest is TestHelpers {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    TestToken internal token;
    ConditionalTokens internal vault;
    LMSRMarketMaker internal mm;
    LMSRHandler internal handler;

    address[] internal _targets;
    FuzzSelector[] internal _selectors;

    function setUp() public {
        token = new TestToken("Collateral", "COL", 18);
        vault = new ConditionalTokens("uri/");
        mm = new LMSRMarketMaker(vault);
        vault.grantRole(vault.ISSUER_ROLE(), address(mm));
        handler = new LMSRHandler(vault, mm, token);

        _targets.push(address(handler));
        bytes4[] memory sels = new bytes4[](6);
        sels[0] = LMSRHandler.buy.selector;
        sels[1] = LMSRHandler.sell.selector;
        sels[2] = LMSRHandler.sellAll.selector;
        sels[3] = LMSRHandler.roundTrip.selector;
        sels[4] = LMSRHandler.warp.selector;
        sels[5] = LMSRHandler.closeAll.selector;
        _selectors.push(FuzzSelector({addr: address(handler), selectors: sels}));
    }

    function targetContracts() public view returns (address[] memory) {
        return _targets;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _selectors;
    }

    // ------------------------------------------------------------------------------------------
    // Invariants
    // ------------------------------------------------------------------------------------------

    /// (1) The market can pay every redemption whatever the outcome: its backing covers the
    /// largest net amount it has issued of any outcome (which equals the holders' supply).
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 40
    function invariantBackingCoversEveryOutcome() public view {
        _handlerHealthy();
        for (uint256 k; k < handler.N_MARKETS(); ++k) {
            (, bytes32 conditionId, uint256 n) = handler.market(k);
            uint256 have = vault.backingOf(address(mm), address(token), 0, conditionId);
            for (uint256 j; j < n; ++j) {
                int256 claim = handler.issued(k, j);
                assertEq(uint256(claim < 0 ? -claim : claim), _supply(k, j), "issued == supply");
                if (claim > 0)
                    assertGe(have, uint256(claim), string.concat("backing >= issued ", _str(j)));
            }
        }
    }

    /// (2) The maker's loss for any single winner, subsidy - (backing - claim), never exceeds
    /// its bound `liabilities().worstCaseLoss` plus n wei.
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 40
    function invariantLossWithinBound() public view {
        _handlerHealthy();
        for (uint256 k; k < handler.N_MARKETS(); ++k) {
            (uint256 id, , uint256 n) = handler.market(k);
            (uint256 bound_, uint256 subsidy, int256 collected) = mm.liabilities(id);
            for (uint256 j; j < n; ++j) {
                // loss = claim - collected <= bound + n
                int256 loss = handler.issued(k, j) - collected;
                if (loss > 0) assertLe(uint256(loss), bound_ + n, "loss <= bound + dust");
            }
            assertLe(bound_, subsidy, "bound <= subsidy");
        }
    }

    /// (3) Spot prices add up to 1e18 within n wei.
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 40
    function invariantPricesSumToOne() public view {
        _handlerHealthy();
        for (uint256 k; k < handler.N_MARKETS(); ++k) {
            (uint256 id, , uint256 n) = handler.market(k);
            uint256[] memory p = mm.prices(id);
            uint256 total;
            for (uint256 j; j < n; ++j) total += p[j];
            assertLe(total, WAD_ + n, "prices sum <= 1e18 + n");
            assertGe(total + n, WAD_, "prices sum >= 1e18 - n");
        }
    }

    /// (4) No closed round trip gains: no buy-x-sell-x returned more than it cost, and whenever
    /// no actor holds a token of a market, the actors together have paid it at least what they
    /// received (their ghost collateral accounting; each actor's own balance may be positive, as
    /// it can profit from the others' trades).
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 40
    function invariantNoRoundTripGain() public view {
        _handlerHealthy();
        assertEq(handler.roundTripGains(), 0, handler.lastFailure());
        address[] memory actors = handler.actors();
        for (uint256 k; k < handler.N_MARKETS(); ++k) {
            bool closed = true;
            int256 total;
            for (uint256 i; i < actors.length; ++i) {
                closed = closed && handler.holdsNothing(actors[i], k);
                total += handler.netPaid(actors[i], k);
            }
            if (closed) assertTrue(total >= 0, "actors gained over a closed round trip");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------

    function _handlerHealthy() internal view {
        assertEq(
            handler.unexpectedReverts(),
            0,
            string.concat("valid trade reverted: ", handler.lastFailure())
        );
    }

    function _supply(uint256 k, uint256 j) internal view returns (uint256 total) {
        address[] memory actors = handler.actors();
        uint256 id = handler.positionId(k, j);
        for (uint256 i; i < actors.length; ++i) total += vault.balanceOf(actors[i], id);
    }
}
