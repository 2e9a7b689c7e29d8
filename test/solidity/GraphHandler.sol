// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {DependencyGraph} from "../../contracts/deepfunding/DependencyGraph.sol";
import {IDependencyGraph} from "../../contracts/interfaces/IDependencyGraph.sol";
import {IJury} from "../../contracts/interfaces/IJury.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {TestHelpers} from "./Vm.sol";

/// @notice Drives a `DependencyGraph` with bounded random actions for the invariant tests:
/// proposals (one or a burst, by four actors), registrar edges, settlements with random weights
/// (many ties) and, now and then, a corrupted order, bond withdrawals, and seeds removed and
/// added back. Parents: two seeds and one node that is never a seed; children: a pool of
/// `POOL` nodes (the first two are the seeds themselves, so self-edges and seed -> seed edges
/// occur), registered on first use, plus ids that are never registered.
/// @dev Every action is sent whether or not it should succeed; the handler first works out from
/// its own model (each parent's live list, each edge's status, who is owed what) which error the
/// call must raise, or that it must succeed, and counts every deviation: a valid call that
/// reverted (`unexpectedReverts`), an invalid one that succeeded (`wrongSuccesses`), the wrong
/// error (`wrongErrors`), state that differs from the model (`mismatches`). The invariants
/// require all of them to stay 0. The handler holds REGISTRAR_ROLE and SETTLER_ROLE.
/// Functions here must not start with `test` or `invariant` (this contract is not a suite).
contract GraphHandler is TestHelpers {
    uint256 public constant POOL = 300;
    uint256 public constant N_ACTORS = 4;
    uint256 public constant BOND = 5e18;
    uint256 public constant MAX_BURST = 64;
    uint256 public constant MAX_CHILDREN = 256;
    uint256 public constant MAX_FUNDED = 128;

    bytes32 public constant SEED_1 = bytes32(uint256(0xA1));
    bytes32 public constant SEED_2 = bytes32(uint256(0xA2));
    bytes32 public constant NOT_SEED = bytes32(uint256(0xA3));
    uint256 private constant _POOL_BASE = 0x1000;
    uint256 private constant _UNREGISTERED_BASE = 0xDEAD0000;

    TestToken public immutable token;
    DependencyGraph public graph;
    IJury public jury;

    address[] internal _actors;
    bytes32[3] internal _parents;

    // --- the model ---
    mapping(bytes32 parent => bytes32[]) internal _live;
    mapping(bytes32 parent => mapping(bytes32 child => IDependencyGraph.EdgeStatus))
        internal _status;
    mapping(bytes32 parent => mapping(bytes32 child => address)) internal _proposer;
    mapping(bytes32 id => bool) public modelSeed;
    mapping(bytes32 id => bool) public modelRegistered;
    mapping(address account => uint256) public ghostOwed;
    /// Bonds of Proposed edges plus owed bonds: what the graph must hold.
    uint256 public ghostHeld;
    /// Every bond slashed so far.
    uint256 public ghostSlashed;
    /// Every (parent, child) that was ever Dropped.
    uint256 public ghostDroppedCount;

    // --- failures (the invariants require 0) ---
    uint256 public unexpectedReverts;
    uint256 public wrongSuccesses;
    uint256 public wrongErrors;
    uint256 public mismatches;
    string public lastFailure;
    bytes public lastRevert;

    // --- call statistics ---
    mapping(bytes32 action => uint256) public calls;

    constructor(TestToken token_) {
        token = token_;
        _parents = [SEED_1, SEED_2, NOT_SEED];
        for (uint256 i; i < N_ACTORS; ++i) _actors.push(address(uint160(0x7000 + i)));
    }

    /// Called once by the suite's setUp, after the graph is deployed with this handler as
    /// registrar and settler: registers the parents, makes two of them seeds, approves for the
    /// actors.
    function initialize(DependencyGraph graph_, IJury jury_) external {
        require(address(graph) == address(0), "initialized");
        graph = graph_;
        jury = jury_;
        for (uint256 i; i < 3; ++i) _register(_parents[i]);
        graph_.addSeed(SEED_1);
        graph_.addSeed(SEED_2);
        modelSeed[SEED_1] = true;
        modelSeed[SEED_2] = true;
        for (uint256 i; i < N_ACTORS; ++i) {
            vm.prank(_actors[i]);
            token.approve(address(graph_), type(uint256).max);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Views for the invariants
    // ------------------------------------------------------------------------------------------

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function parents() external view returns (bytes32[3] memory) {
        return _parents;
    }

    function modelChildren(bytes32 parent) external view returns (bytes32[] memory) {
        return _live[parent];
    }

    function modelStatus(
        bytes32 parent,
        bytes32 child
    ) external view returns (IDependencyGraph.EdgeStatus) {
        return _status[parent][child];
    }

    /// Child i of the pool: the two seeds first, then plain nodes.
    function node(uint256 i) public pure returns (bytes32) {
        if (i == 0) return SEED_1;
        if (i == 1) return SEED_2;
        return bytes32(_POOL_BASE + i);
    }

    /// The pool index of a node id (POOL if it is not in the pool).
    function poolIndex(bytes32 id) public pure returns (uint256) {
        if (id == SEED_1) return 0;
        if (id == SEED_2) return 1;
        uint256 v = uint256(id);
        if (v >= _POOL_BASE + 2 && v < _POOL_BASE + POOL) return v - _POOL_BASE;
        return POOL;
    }

    // ------------------------------------------------------------------------------------------
    // Actions
    // ------------------------------------------------------------------------------------------

    /// One proposal. A parent seed of 7 mod 8 picks the node that is never a seed; a child seed
    /// of 15 mod 16 picks an id that is never registered.
    function propose(uint256 actorSeed, uint256 parentSeed, uint256 childSeed) external {
        calls["propose"]++;
        _propose(_actor(actorSeed), _parent(parentSeed), _child(childSeed));
    }

    /// MAX_BURST / 2 to MAX_BURST proposals to one parent, children in a row of the pool: fills
    /// parents up to the cut and the 256-child limit within a run.
    function proposeMany(
        uint256 actorSeed,
        uint256 parentSeed,
        uint256 start,
        uint256 count
    ) external {
        calls["proposeMany"]++;
        bytes32 parent = _parents[parentSeed % 2];
        // Mostly long bursts, so that runs reach the cut and the limit.
        count = MAX_BURST / 2 + (count % (MAX_BURST / 2 + 1));
        for (uint256 j; j < count; ++j) {
            _propose(_actor(actorSeed + j), parent, node((start + j) % POOL));
        }
    }

    /// A bond-free edge from the registrar.
    function addEdge(uint256 parentSeed, uint256 childSeed) external {
        calls["addEdge"]++;
        bytes32 parent = _parent(parentSeed);
        bytes32 child = _child(childSeed);
        bytes4 expected = _newEdgeError(parent, child);
        try graph.addEdge(parent, child) {
            if (expected != 0) return _wrong("addEdge");
            calls["addEdge.ok"]++;
            _live[parent].push(child);
            _setStatus(parent, child, IDependencyGraph.EdgeStatus.Funded);
            _proposer[parent][child] = address(0);
            IDependencyGraph.Edge memory e = graph.edge(parent, child);
            if (
                e.status != IDependencyGraph.EdgeStatus.Funded ||
                e.proposer != address(0) ||
                e.bond != 0
            ) _mismatch("addEdge edge");
        } catch (bytes memory err) {
            _expectError(err, expected, "addEdge");
        }
    }

    /// Settles a parent with random weights: mode (corruptSeed % 8) 0 swaps two neighbours of
    /// the ranking, 1 repeats an index, 2 puts an index out of range, 3 sends one weight too
    /// many; 4 to 6 send the true ranking of every child; 7 settles only a random prefix of
    /// the children (as a round does when edges were added after its markets opened).
    function settle(uint256 parentSeed, uint256 weightSeed, uint256 corruptSeed) external {
        calls["settle"]++;
        bytes32 parent = _parents[parentSeed % 3];
        uint256 k = _live[parent].length;
        if (corruptSeed % 8 == 7) {
            k = (corruptSeed >> 8) % (k + 1);
            calls["settle.prefix"]++;
        }
        uint256[] memory weights = _weights(k, weightSeed);
        uint256[] memory order = rank(weights);
        bytes4 expected;
        uint256 mode = corruptSeed % 8;
        if (mode == 0 && k >= 2) {
            uint256 p = (corruptSeed >> 8) % (k - 1);
            (uint256 a, uint256 b) = (order[p], order[p + 1]);
            (order[p], order[p + 1]) = (b, a);
            // a ranked strictly before b: heavier, or as heavy with a lower index.
            expected = weights[a] > weights[b]
                ? IDependencyGraph.OrderNotSorted.selector
                : IDependencyGraph.OrderTieBroken.selector;
        } else if (mode == 1 && k >= 2) {
            order[k - 1] = order[0];
            expected = IDependencyGraph.OrderNotPermutation.selector;
        } else if (mode == 2 && k >= 1) {
            order[k - 1] = k + ((corruptSeed >> 8) % 3);
            expected = IDependencyGraph.OrderIndexOutOfRange.selector;
        } else if (mode == 3) {
            uint256[] memory longer = new uint256[](k + 1);
            for (uint256 i; i < k; ++i) longer[i] = weights[i];
            weights = longer;
            expected = IDependencyGraph.WeightsLengthMismatch.selector;
        }

        uint256 fundBefore = jury.juryFund();
        uint256 balanceBefore = token.balanceOf(address(graph));
        try graph.settleEdges(parent, weights, order) returns (uint256 returned, uint256 slashed) {
            if (expected != 0) return _wrong("settle with a bad order");
            calls["settle.ok"]++;
            _applySettlement(parent, order, returned, slashed, fundBefore, balanceBefore);
        } catch (bytes memory err) {
            _expectError(err, expected, "settle");
            if (expected != 0) calls["settle.rejected"]++;
        }
    }

    /// Withdraws an actor's owed bonds (reverts NothingOwed when there are none).
    function withdraw(uint256 actorSeed) external {
        calls["withdraw"]++;
        address actor = _actor(actorSeed);
        uint256 due = ghostOwed[actor];
        uint256 before = token.balanceOf(actor);
        vm.prank(actor);
        try graph.withdrawBond(actor) returns (uint256 amount) {
            if (due == 0) return _wrong("withdraw with nothing owed");
            calls["withdraw.ok"]++;
            if (amount != due) _mismatch("withdraw amount");
            if (token.balanceOf(actor) != before + due) _mismatch("withdraw transfer");
            if (graph.owed(actor) != 0) _mismatch("owed after withdraw");
            ghostOwed[actor] = 0;
            ghostHeld -= due;
        } catch (bytes memory err) {
            _expectError(
                err,
                due == 0 ? IDependencyGraph.NothingOwed.selector : bytes4(0),
                "withdraw"
            );
        }
    }

    /// Removes a seed, or adds it back (its children come back with it).
    function toggleSeed(uint256 seedSeed) external {
        calls["toggleSeed"]++;
        bytes32 seed = _parents[seedSeed % 2];
        if (modelSeed[seed]) {
            try graph.removeSeed(seed) {
                modelSeed[seed] = false;
            } catch (bytes memory err) {
                _unexpected("removeSeed", err);
            }
        } else {
            try graph.addSeed(seed) {
                modelSeed[seed] = true;
            } catch (bytes memory err) {
                _unexpected("addSeed", err);
            }
        }
        if (graph.isSeed(seed) != modelSeed[seed]) _mismatch("isSeed");
    }

    // ------------------------------------------------------------------------------------------
    // Reference ranking
    // ------------------------------------------------------------------------------------------

    /// Indices heaviest first, equal weights by index (`rankChildren` in src/graph.ts): an
    /// insertion sort that inserts index i after every index at least as heavy.
    function rank(uint256[] memory weights) public pure returns (uint256[] memory order) {
        uint256 k = weights.length;
        order = new uint256[](k);
        for (uint256 i; i < k; ++i) {
            uint256 j = i;
            while (j > 0 && weights[order[j - 1]] < weights[i]) {
                order[j] = order[j - 1];
                --j;
            }
            order[j] = i;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------

    function _propose(address actor, bytes32 parent, bytes32 child) internal {
        bytes4 expected = _newEdgeError(parent, child);
        if (token.balanceOf(actor) < BOND) token.mint(actor, 10 * BOND);
        uint256 before = token.balanceOf(address(graph));
        vm.prank(actor);
        try graph.proposeEdge(parent, child) {
            if (expected != 0) return _wrong("propose");
            calls["propose.ok"]++;
            _live[parent].push(child);
            _setStatus(parent, child, IDependencyGraph.EdgeStatus.Proposed);
            _proposer[parent][child] = actor;
            ghostHeld += BOND;
            if (token.balanceOf(address(graph)) != before + BOND) _mismatch("propose pull");
            IDependencyGraph.Edge memory e = graph.edge(parent, child);
            if (
                e.status != IDependencyGraph.EdgeStatus.Proposed ||
                e.proposer != actor ||
                e.bond != BOND
            ) _mismatch("propose edge");
        } catch (bytes memory err) {
            _expectError(err, expected, "propose");
            if (expected == IDependencyGraph.TooManyChildren.selector) calls["propose.full"]++;
        }
    }

    /// The error `addEdge` / `proposeEdge` must raise, or 0.
    function _newEdgeError(bytes32 parent, bytes32 child) internal returns (bytes4) {
        if (!modelSeed[parent]) return IDependencyGraph.NotASeed.selector;
        if (uint256(child) >= _UNREGISTERED_BASE) return IDependencyGraph.UnknownNode.selector;
        _register(child);
        IDependencyGraph.EdgeStatus s = _status[parent][child];
        if (s == IDependencyGraph.EdgeStatus.Proposed || s == IDependencyGraph.EdgeStatus.Funded)
            return IDependencyGraph.EdgeAlreadyLive.selector;
        if (_live[parent].length >= MAX_CHILDREN) return IDependencyGraph.TooManyChildren.selector;
        return 0;
    }

    /// Checks a successful settlement against the model, then applies it to the model.
    function _applySettlement(
        bytes32 parent,
        uint256[] memory order,
        uint256 returned,
        uint256 slashed,
        uint256 fundBefore,
        uint256 balanceBefore
    ) internal {
        bytes32[] memory list = _live[parent];
        uint256 k = list.length;
        // The first m children were settled; the others keep their status and relative order.
        uint256 m = order.length;
        bool[] memory dropped = new bool[](k);
        for (uint256 p = MAX_FUNDED; p < m; ++p) dropped[order[p]] = true;
        uint256 wantReturned;
        uint256 wantSlashed;
        delete _live[parent];
        for (uint256 i; i < k; ++i) {
            bytes32 child = list[i];
            bool wasProposed = _status[parent][child] == IDependencyGraph.EdgeStatus.Proposed;
            if (dropped[i]) {
                _setStatus(parent, child, IDependencyGraph.EdgeStatus.Dropped);
                ghostDroppedCount++;
                if (wasProposed) ++wantSlashed;
            } else {
                // Stable compaction: survivors in their old order.
                _live[parent].push(child);
                if (wasProposed && i < m) {
                    ++wantReturned;
                    _setStatus(parent, child, IDependencyGraph.EdgeStatus.Funded);
                    ghostOwed[_proposer[parent][child]] += BOND;
                }
            }
        }
        if (wantSlashed > 0) calls["settle.slashed"]++;
        if (m > MAX_FUNDED) calls["settle.cut"]++;
        ghostHeld -= wantSlashed * BOND;
        ghostSlashed += wantSlashed * BOND;
        if (returned != wantReturned) _mismatch("settle returned");
        if (slashed != wantSlashed) _mismatch("settle slashed");
        if (jury.juryFund() != fundBefore + wantSlashed * BOND) _mismatch("jury fund delta");
        if (token.balanceOf(address(graph)) != balanceBefore - wantSlashed * BOND) {
            _mismatch("graph balance delta");
        }
        (bytes32[] memory ids, ) = graph.children(parent);
        bytes32[] storage model = _live[parent];
        if (ids.length != model.length) return _mismatch("children length");
        for (uint256 i; i < ids.length; ++i) {
            if (ids[i] != model[i]) return _mismatch("children order");
        }
    }

    function _setStatus(bytes32 parent, bytes32 child, IDependencyGraph.EdgeStatus s) internal {
        _status[parent][child] = s;
    }

    /// k weights: (seed % 3) 0: in 0..3 (many ties); 1: in 0..1e18; 2: all equal.
    function _weights(uint256 k, uint256 seed) internal pure returns (uint256[] memory w) {
        w = new uint256[](k);
        uint256 kind = seed % 3;
        for (uint256 i; i < k; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            w[i] = kind == 0
                ? r % 4
                : kind == 1
                    ? r % (1e18 + 1)
                    : 7;
        }
    }

    function _register(bytes32 id) internal {
        if (modelRegistered[id]) return;
        graph.registerNode(id, address(uint160(uint256(keccak256(abi.encode(id))))), "");
        modelRegistered[id] = true;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % N_ACTORS];
    }

    function _parent(uint256 seed) internal view returns (bytes32) {
        return seed % 8 == 7 ? NOT_SEED : _parents[seed % 2];
    }

    function _child(uint256 seed) internal pure returns (bytes32) {
        if (seed % 16 == 15) return bytes32(_UNREGISTERED_BASE + ((seed >> 8) % 4));
        return node((seed >> 4) % POOL);
    }

    /// `expected` 0: the call should have succeeded.
    function _expectError(bytes memory err, bytes4 expected, string memory action) internal {
        if (expected == 0) return _unexpected(action, err);
        if (err.length < 4 || bytes4(err) != expected) {
            wrongErrors++;
            lastFailure = string.concat(action, " (wrong error)");
            lastRevert = err;
        }
    }

    function _unexpected(string memory action, bytes memory err) internal {
        unexpectedReverts++;
        lastFailure = action;
        lastRevert = err;
    }

    function _mismatch(string memory what) internal {
        mismatches++;
        lastFailure = what;
    }

    function _wrong(string memory what) internal {
        wrongSuccesses++;
        lastFailure = what;
    }
}
