// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConditionalTokens} from "../../contracts/markets/ConditionalTokens.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {CTHandler} from "./CTHandler.sol";
import {TestHelpers} from "./Vm.sol";

/// @notice Handler-based invariant tests of `ConditionalTokens`: the fuzzer only calls
/// `CTHandler` (split, merge, transfer, report, redeem, split-and-merge round trips, re-entry
/// attempts) over two root conditions (n = 2 and n = 5) and one binary condition nested under
/// slot 3 of the second; the invariants compare position supplies, the vault's collateral and
/// the handler's ghost accounting.
/// @dev Targets are declared the forge-std way (`targetContracts`, `targetSelectors`); name
/// `test/solidity/CTHandler.sol` too when running single files, so that its artifact exists.
contract ConditionalTokensInvariantTest is TestHelpers {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    uint256 internal constant ROOT_A = 0;
    uint256 internal constant ROOT_B = 1;
    uint256 internal constant NESTED = 2;

    TestToken internal token;
    ConditionalTokens internal vault;
    CTHandler internal handler;

    address[] internal _targets;
    FuzzSelector[] internal _selectors;

    function setUp() public {
        token = new TestToken("Collateral", "COL", 18);
        vault = new ConditionalTokens("https://deepfunding.example/ct/");
        handler = new CTHandler(vault, token);

        _targets.push(address(handler));
        bytes4[] memory sels = new bytes4[](7);
        sels[0] = CTHandler.split.selector;
        sels[1] = CTHandler.merge.selector;
        sels[2] = CTHandler.transfer.selector;
        sels[3] = CTHandler.report.selector;
        sels[4] = CTHandler.redeem.selector;
        sels[5] = CTHandler.roundTrip.selector;
        sels[6] = CTHandler.reenter.selector;
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

    /// (1) Before a root condition resolves, the collateral it holds equals the supply of each
    /// of its slots. The nested condition's parent slot counts what sits in the nested condition
    /// too (burned in, minus merged and redeemed back). The vault's balance is the sum over the
    /// root conditions (nothing else brings collateral in or out).
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantRootCollateralEqualsEverySlotSupply() public view {
        _handlerHealthy();
        uint256 heldA = handler.ghostHeld(handler.condition(ROOT_A).id);
        uint256 heldB = handler.ghostHeld(handler.condition(ROOT_B).id);
        assertEq(token.balanceOf(address(vault)), heldA + heldB, "vault balance == ghost held");
        for (uint256 k = ROOT_A; k <= ROOT_B; ++k) {
            CTHandler.Cond memory c = handler.condition(k);
            if (vault.isResolved(c.id)) continue;
            uint256 held = handler.ghostHeld(c.id);
            for (uint256 j; j < c.n; ++j) {
                uint256 s = handler.slotSupply(k, j);
                if (k == ROOT_B && j == handler.NESTED_SLOT()) s += handler.ghostNestedLocked();
                assertEq(s, held, string.concat("root slot supply == collateral, slot ", _str(j)));
            }
        }
    }

    /// (2) The vault can pay every redemption: its collateral covers, for each root condition,
    /// floor(sum_j supply_j * p_j / D) once resolved, or the largest slot supply before. The
    /// supply of the nested condition's parent slot includes what the nested positions can
    /// still redeem or merge into it.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantVaultCoversAllRedemptions() public view {
        _handlerHealthy();
        uint256 owed = _liability(ROOT_A, 0) + _liability(ROOT_B, _nestedClaim());
        assertGe(token.balanceOf(address(vault)), owed, "collateral >= redeemable");
    }

    /// (3) A full set merges back to exactly one unit of its parent: the handler's round trips
    /// (split x then merge x) never changed the caller's parent or child balances. Also: every
    /// re-entry attempt from a receiver hook was stopped by the guard.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantFullSetRoundTrip() public view {
        _handlerHealthy();
        assertEq(handler.roundTripFailures(), 0, "split x then merge x changed a balance");
        assertEq(handler.reentryFailures(), 0, handler.lastFailure());
    }

    /// (4) Until the nested condition resolves, each of its slots' supply equals the parent
    /// position burned into it (net of merges), and all its slots have the same supply.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantNestedSupplyEqualsBurnedParent() public view {
        _handlerHealthy();
        CTHandler.Cond memory c = handler.condition(NESTED);
        uint256 locked = handler.ghostNestedLocked();
        if (!vault.isResolved(c.id)) {
            assertEq(
                locked,
                handler.ghostNestedSplit() - handler.ghostNestedMerged(),
                "nothing redeemed before resolution"
            );
            for (uint256 j; j < c.n; ++j) {
                assertEq(handler.slotSupply(NESTED, j), locked, "nested slot supply == locked");
            }
        } else {
            // After resolution what is left to redeem never exceeds what is locked.
            assertLe(_nestedClaim(), locked, "nested claims <= locked parent");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------

    /// Every action behaved as specified (each invariant checks this, so that every campaign
    /// fails on a misbehaving call).
    function _handlerHealthy() internal view {
        assertEq(
            handler.unexpectedReverts(),
            0,
            string.concat("valid call reverted: ", handler.lastFailure())
        );
        assertEq(handler.payoutMismatches(), 0, string.concat("mismatch: ", handler.lastFailure()));
        assertEq(
            handler.wrongSuccesses(),
            0,
            string.concat("call should have reverted: ", handler.lastFailure())
        );
    }

    /// What the nested positions can still turn into the parent position: the common supply
    /// before resolution (the largest, to be safe), floor(sum_j supply_j * p_j / D) after.
    function _nestedClaim() internal view returns (uint256) {
        return _liability(NESTED, 0);
    }

    /// What condition k's positions can claim from their parent. `extra` is added to the supply
    /// of the nested condition's parent slot.
    function _liability(uint256 k, uint256 extra) internal view returns (uint256) {
        CTHandler.Cond memory c = handler.condition(k);
        bool resolved = vault.isResolved(c.id);
        uint256 weighted;
        uint256 most;
        for (uint256 j; j < c.n; ++j) {
            uint256 s = handler.slotSupply(k, j);
            if (k == ROOT_B && j == handler.NESTED_SLOT()) s += extra;
            if (s > most) most = s;
            if (resolved) weighted += s * vault.payoutNumerator(c.id, j);
        }
        return resolved ? weighted / vault.payoutDenominator(c.id) : most;
    }
}
