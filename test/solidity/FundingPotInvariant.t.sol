// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IFundingPot} from "../../contracts/interfaces/IFundingPot.sol";
import {FundingPot} from "../../contracts/deepfunding/FundingPot.sol";
import {MockNodeRegistry} from "../../contracts/mocks/MockNodeRegistry.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {PotHandler} from "./PotHandler.sol";
import {TestHelpers} from "./Vm.sol";

/// @notice Handler-based invariant tests of `FundingPot` (Morpho style): the fuzzer only calls
/// `PotHandler`, whose actions are bounded and keep ghost accounting and a reference of every
/// credit; the invariants compare them with the contract's views and its token balance.
/// @dev As for the other invariant suites, name `test/solidity/PotHandler.sol` too when running
/// this file alone, so that Hardhat writes the handler's artifact.
contract FundingPotInvariantTest is TestHelpers {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    uint256 internal constant N_ACTORS = 4;

    TestToken internal token;
    MockNodeRegistry internal registry;
    FundingPot internal pot;
    PotHandler internal handler;

    address internal admin = address(0xA11CE);
    address internal settler = address(0x5E77);

    address[] internal _targets;
    FuzzSelector[] internal _selectors;

    function setUp() public {
        token = new TestToken("Test", "TST", 18);
        registry = new MockNodeRegistry();
        pot = new FundingPot(address(token), registry, admin, settler);

        address[] memory actorList = new address[](N_ACTORS);
        for (uint256 i; i < N_ACTORS; ++i) actorList[i] = address(uint160(0x1000 + i));
        handler = new PotHandler(pot, token, registry, admin, settler, actorList);
        for (uint256 i; i < handler.N_NODES(); ++i) {
            registry.setPayout(handler.nodeAt(i), handler.payoutAt(i));
        }

        _targets.push(address(handler));
        bytes4[] memory sels = new bytes4[](9);
        sels[0] = PotHandler.fund.selector;
        sels[1] = PotHandler.transferIn.selector;
        sels[2] = PotHandler.absorb.selector;
        sels[3] = PotHandler.beginSettlement.selector;
        sels[4] = PotHandler.settleChildren.selector;
        sels[5] = PotHandler.settleAgain.selector;
        sels[6] = PotHandler.claim.selector;
        sels[7] = PotHandler.claimMany.selector;
        sels[8] = PotHandler.rollDust.selector;
        _selectors.push(FuzzSelector({addr: address(handler), selectors: sels}));
    }

    function targetContracts() public view returns (address[] memory) {
        return _targets;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _selectors;
    }

    // ------------------------------------------------------------------------------------------
    // Unit test
    // ------------------------------------------------------------------------------------------

    /// A Solidity test runs in one transaction: two `settleChildren` calls with the same child
    /// ids must both pass (the transient marks of the first call do not leak into the second),
    /// while a repeat inside one call is still caught.
    function testChildMarksDoNotLeakWithinATransaction() public {
        token.mint(address(this), 1000);
        token.approve(address(pot), 1000);
        pot.fund(1, 1000);
        bytes32[] memory seeds = new bytes32[](2);
        seeds[0] = handler.nodeAt(0);
        seeds[1] = handler.nodeAt(1);
        uint256[] memory ones = new uint256[](2);
        ones[0] = 1;
        ones[1] = 1;
        vm.prank(settler);
        pot.beginSettlement(1, seeds, ones, new uint256[](2));
        bytes32[] memory children = new bytes32[](2);
        children[0] = handler.nodeAt(5);
        children[1] = handler.nodeAt(6);
        uint256[] memory order = new uint256[](2);
        order[1] = 1;
        vm.prank(settler);
        pot.settleChildren(1, 0, children, ones, order);
        children[1] = children[0];
        vm.prank(settler);
        vm.expectRevert(
            abi.encodeWithSelector(IFundingPot.DuplicateChild.selector, uint256(1), children[0])
        );
        pot.settleChildren(1, 1, children, ones, order);
        children[1] = handler.nodeAt(6);
        vm.prank(settler);
        pot.settleChildren(1, 1, children, ones, order);
        assertEq(pot.owed(children[0]), 500, "first child");
        assertEq(pot.owed(children[1]), 500, "second child");
        assertEq(uint256(pot.roundInfo(1).status), 2, "settled");
    }

    // ------------------------------------------------------------------------------------------
    // Invariants
    // ------------------------------------------------------------------------------------------

    /// The token balance is exactly what the pot accounts for: every unsettled round's pot less
    /// its credits, every unclaimed credit and every settled round's unrolled dust, plus the
    /// tokens sent in without a call and not yet absorbed. Nothing else.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantBalanceIsAccounted() public view {
        uint256 expected = pot.totalOwed();
        for (uint256 round; round < handler.N_ROUNDS(); ++round) {
            IFundingPot.RoundInfo memory info = pot.roundInfo(round);
            if (info.status == IFundingPot.RoundStatus.Settled) expected += pot.dustOf(round);
            else expected += info.pot - info.distributed;
        }
        assertEq(pot.totalAccounted(), expected, "accounted == pots left + owed + dust");
        uint256 unabsorbed = handler.ghostTransferredIn() - handler.ghostAbsorbed();
        assertEq(
            token.balanceOf(address(pot)),
            expected + unabsorbed,
            "balance == accounted + unabsorbed"
        );
        assertEq(
            token.balanceOf(address(pot)),
            handler.ghostFunded() + handler.ghostTransferredIn() - handler.ghostClaimedTotal(),
            "balance == in - out"
        );
        assertEq(
            pot.totalAccounted(),
            handler.ghostFunded() + handler.ghostAbsorbed() - handler.ghostClaimedTotal(),
            "accounted == funded + absorbed - claimed"
        );
    }

    /// A round never credits more than its pot; once settled, credits + dust == pot exactly, the
    /// dust is below the number of floors, and pots and credits match the reference.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantRoundsNeverOverpay() public view {
        uint256 rolled;
        for (uint256 round; round < handler.N_ROUNDS(); ++round) {
            IFundingPot.RoundInfo memory info = pot.roundInfo(round);
            PotHandler.RoundGhost memory g = handler.ghostRound(round);
            assertLe(info.distributed, info.pot, "distributed <= pot");
            assertEq(info.pot, g.potIn, "pot == funded + absorbed + rolled in");
            assertEq(info.distributed, g.distributed, "distributed == reference");
            assertEq(info.seedsLeft, g.seedsLeft, "seedsLeft");
            assertEq(info.dustRolled, g.dustRolled, "dustRolled");
            if (info.status == IFundingPot.RoundStatus.Settled) {
                assertEq(info.distributed + info.dust, info.pot, "distributed + dust == pot");
                assertTrue(info.dust == 0 || info.dust < g.floors, "dust < floors");
                assertEq(info.seedsLeft, 0, "no seed left");
                if (info.dustRolled) rolled += info.dust;
            } else {
                assertEq(info.dust, 0, "no dust before settlement");
                assertTrue(!info.dustRolled, "no roll before settlement");
            }
        }
        assertEq(rolled, handler.ghostRolled(), "rolled dust == ghost");
    }

    /// Every node's credits equal the reference; a node's claims never exceed its credits
    /// (claimed + owed == credited); the owed balances sum to totalOwed.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantClaimsWithinCredits() public view {
        uint256 sumOwed;
        for (uint256 i; i < handler.N_NODES(); ++i) {
            bytes32 node = handler.nodeAt(i);
            uint256 owedNow = pot.owed(node);
            uint256 credited = handler.ghostCredited(node);
            uint256 claimed = handler.ghostClaimed(node);
            assertLe(claimed, credited, "claimed <= credited");
            assertEq(claimed + owedNow, credited, "claimed + owed == credited");
            sumOwed += owedNow;
        }
        assertEq(sumOwed, pot.totalOwed(), "sum of owed == totalOwed");
    }

    /// Every action behaved as its preconditions said and every result matched the reference.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantNoSurprises() public view {
        assertEq(
            handler.payoutMismatches(),
            0,
            string.concat("result differs from the reference: ", handler.lastMismatch())
        );
        assertEq(
            handler.unexpectedReverts(),
            0,
            string.concat("unexpected outcome: ", handler.lastUnexpectedAction())
        );
    }
}
