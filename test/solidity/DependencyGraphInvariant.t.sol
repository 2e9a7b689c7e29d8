// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {DependencyGraph} from "../../contracts/deepfunding/DependencyGraph.sol";
import {IConditionalTokens} from "../../contracts/interfaces/IConditionalTokens.sol";
import {IDependencyGraph} from "../../contracts/interfaces/IDependencyGraph.sol";
import {IJury} from "../../contracts/interfaces/IJury.sol";
import {Jury} from "../../contracts/jury/Jury.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {GraphHandler} from "./GraphHandler.sol";
import {TestHelpers} from "./Vm.sol";

/// @notice Handler-based invariant tests of `DependencyGraph`: the fuzzer only calls
/// `GraphHandler` (proposals one by one and in bursts, registrar edges, settlements with true
/// and corrupted rankings, withdrawals, seeds removed and added back) against a real `Jury`; the
/// invariants compare the graph's token balance, the jury's fund and the live lists with the
/// handler's model.
/// @dev The graph is deployed with this suite as admin and the handler as registrar and settler.
/// Name `test/solidity/GraphHandler.sol` too when running this file alone, so its artifact
/// exists.
contract DependencyGraphInvariantTest is TestHelpers {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    bytes32 internal constant TARGET = keccak256("ethereum");

    TestToken internal token;
    Jury internal jury;
    DependencyGraph internal graph;
    GraphHandler internal handler;

    address[] internal _targets;
    FuzzSelector[] internal _selectors;

    function setUp() public {
        token = new TestToken("Bond", "BOND", 18);
        handler = new GraphHandler(token);
        jury = new Jury(address(token), IConditionalTokens(address(0)), address(this), address(0));
        graph = new DependencyGraph(
            TARGET,
            address(token),
            IJury(address(jury)),
            handler.BOND(),
            address(this),
            address(handler),
            address(handler)
        );
        handler.initialize(graph, IJury(address(jury)));

        _targets.push(address(handler));
        bytes4[] memory sels = new bytes4[](6);
        sels[0] = GraphHandler.propose.selector;
        sels[1] = GraphHandler.proposeMany.selector;
        sels[2] = GraphHandler.addEdge.selector;
        sels[3] = GraphHandler.settle.selector;
        sels[4] = GraphHandler.withdraw.selector;
        sels[5] = GraphHandler.toggleSeed.selector;
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

    /// Tokens held cover what is owed, exactly: the graph's balance is the bonds of its live
    /// Proposed edges (read from the graph) plus what it owes the actors, equals `bondsHeld()`
    /// and the model's total; each actor's `owed` is the model's.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 80
    function invariantBalanceEqualsProposedBondsPlusOwed() public view {
        _handlerHealthy();
        uint256 total;
        bytes32[3] memory parents = handler.parents();
        for (uint256 q; q < parents.length; ++q) {
            (bytes32[] memory ids, IDependencyGraph.EdgeStatus[] memory statuses) = graph.children(
                parents[q]
            );
            for (uint256 i; i < ids.length; ++i) {
                IDependencyGraph.Edge memory e = graph.edge(parents[q], ids[i]);
                assertEq(uint256(e.status), uint256(statuses[i]), "children status == edge");
                if (e.status == IDependencyGraph.EdgeStatus.Proposed) {
                    assertEq(e.bond, handler.BOND(), "a Proposed edge holds one bond");
                    total += e.bond;
                } else {
                    assertEq(e.bond, 0, "only Proposed edges hold a bond");
                }
            }
        }
        address[] memory actors = handler.actors();
        for (uint256 a; a < actors.length; ++a) {
            uint256 owed = graph.owed(actors[a]);
            assertEq(owed, handler.ghostOwed(actors[a]), "owed == model");
            total += owed;
        }
        uint256 balance = token.balanceOf(address(graph));
        assertEq(balance, total, "balance == proposed bonds + owed");
        assertEq(graph.bondsHeld(), total, "bondsHeld == proposed bonds + owed");
        assertEq(handler.ghostHeld(), total, "model held == proposed bonds + owed");
    }

    /// Every slashed bond landed in the jury fund: the fund (and the jury's balance, which
    /// holds nothing else here) equals the bonds slashed, by the model and by `bondsSlashed()`.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 80
    function invariantSlashedBondsAreInTheJuryFund() public view {
        _handlerHealthy();
        uint256 slashed = handler.ghostSlashed();
        assertEq(jury.juryFund(), slashed, "jury fund == slashed bonds");
        assertEq(graph.bondsSlashed(), slashed, "bondsSlashed == slashed bonds");
        assertEq(token.balanceOf(address(jury)), slashed, "jury balance == slashed bonds");
        assertEq(token.allowance(address(graph), address(jury)), 0, "no allowance left");
    }

    /// No parent has more than 256 live children, and the live lists are the model's, in order.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 80
    function invariantAtMost256LiveChildren() public view {
        _handlerHealthy();
        bytes32[3] memory parents = handler.parents();
        for (uint256 q; q < parents.length; ++q) {
            (bytes32[] memory ids, ) = graph.children(parents[q]);
            assertLe(ids.length, 256, "live children <= 256");
            assertEq(graph.childCount(parents[q]), ids.length, "childCount");
            bytes32[] memory model = handler.modelChildren(parents[q]);
            assertEq(ids.length, model.length, "children length == model");
            for (uint256 i; i < ids.length; ++i) {
                assertTrue(ids[i] == model[i], "children order == model");
            }
        }
    }

    /// A Dropped edge is never live, and an edge is live iff it is in its parent's list (once):
    /// checked for every parent and every child of the pool.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 80
    function invariantDroppedEdgesAreNeverLive() public view {
        _handlerHealthy();
        uint256 pool = handler.POOL();
        bytes32[3] memory parents = handler.parents();
        for (uint256 q; q < parents.length; ++q) {
            (bytes32[] memory ids, ) = graph.children(parents[q]);
            uint256[] memory seen = new uint256[](pool);
            for (uint256 i; i < ids.length; ++i) {
                uint256 index = handler.poolIndex(ids[i]);
                assertLt(index, pool, "live child from the pool");
                seen[index]++;
            }
            for (uint256 c; c < pool; ++c) {
                IDependencyGraph.EdgeStatus s = graph.edge(parents[q], handler.node(c)).status;
                bool live = s == IDependencyGraph.EdgeStatus.Proposed ||
                    s == IDependencyGraph.EdgeStatus.Funded;
                assertEq(seen[c], live ? 1 : 0, "live iff listed once");
                assertEq(
                    uint256(s),
                    uint256(handler.modelStatus(parents[q], handler.node(c))),
                    "status == model"
                );
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // The handler is not vacuous
    // ------------------------------------------------------------------------------------------

    /// A fixed, productive sequence reaches the 256-child limit, settlements that cut with
    /// proposals on both sides, rejected rankings, slashes, withdrawals and seed toggles, and
    /// every invariant holds throughout.
    function testHandlerReachesEveryOutcome() public {
        for (uint256 round; round < 4; ++round) {
            uint256 full = round % 2; // the seed filled up this round
            uint256 other = 1 - full;
            for (uint256 j; j < 9; ++j) handler.proposeMany(j, full, j * 32 + round, 0); // 32 each
            // Registrar edges under the other seed (parent seeds 7 and 15: the non-seed).
            for (uint256 j; j < 8; ++j) handler.addEdge(2 * j + other, (j * 37 + round) << 4);
            handler.propose(round, 7, 16); // not a seed
            handler.propose(round, 0, 15); // unknown child
            handler.settle(full, round, 0); // swapped neighbours
            handler.settle(full, round, 1 + 8 * round); // repeated index
            handler.settle(full, round, 2); // out of range
            handler.settle(full, round, 3); // one weight too many
            handler.settle(other, round, 7 + (5 << 8)); // only the first 5 children
            // Settled while removed: bonds are still returned or slashed.
            handler.toggleSeed(full);
            handler.settle(full, round, 4);
            handler.toggleSeed(full);
            handler.settle(other, round + 1, 5);
            handler.withdraw(round);
            handler.withdraw(round + 1);
            _checkAll();
        }
        _handlerHealthy();
        string[9] memory outcomes = [
            "settle.prefix",
            "propose.ok",
            "propose.full",
            "addEdge.ok",
            "settle.ok",
            "settle.cut",
            "settle.slashed",
            "settle.rejected",
            "withdraw.ok"
        ];
        for (uint256 i; i < outcomes.length; ++i) {
            assertTrue(handler.calls(bytes32(bytes(outcomes[i]))) > 0, outcomes[i]);
        }
        assertTrue(handler.ghostDroppedCount() > 0, "some edges dropped");
    }

    /// The reference ranking agrees with `rankChildren` on a hand example (ties by index).
    function testRankBreaksTiesByIndex() public view {
        uint256[] memory w = new uint256[](6);
        (w[0], w[1], w[2], w[3], w[4], w[5]) = (1, 3, 1, 3, 0, 2);
        uint256[] memory order = handler.rank(w);
        uint256[6] memory want = [uint256(1), 3, 5, 0, 2, 4];
        for (uint256 i; i < 6; ++i) assertEq(order[i], want[i], "rank");
    }

    // ------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------

    function _checkAll() internal view {
        invariantBalanceEqualsProposedBondsPlusOwed();
        invariantSlashedBondsAreInTheJuryFund();
        invariantAtMost256LiveChildren();
        invariantDroppedEdgesAreNeverLive();
    }

    /// Every action behaved as the model says (each invariant checks this, so that every
    /// campaign fails on a misbehaving call).
    function _handlerHealthy() internal view {
        assertEq(
            handler.unexpectedReverts(),
            0,
            string.concat("valid call reverted: ", handler.lastFailure())
        );
        assertEq(
            handler.wrongSuccesses(),
            0,
            string.concat("call should have reverted: ", handler.lastFailure())
        );
        assertEq(handler.wrongErrors(), 0, string.concat("wrong error: ", handler.lastFailure()));
        assertEq(handler.mismatches(), 0, string.concat("mismatch: ", handler.lastFailure()));
    }
}
