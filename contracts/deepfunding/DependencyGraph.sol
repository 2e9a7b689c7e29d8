// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IDependencyGraph} from "../interfaces/IDependencyGraph.sol";
import {IJury} from "../interfaces/IJury.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {TokenCalls} from "../libraries/TokenCalls.sol";

/// @notice The one part of `Jury` beyond `IJury` the graph reads, once, at deployment.
interface IJuryToken {
    function TOKEN() external view returns (address);
}

/// @title DependencyGraph
/// @notice See `IDependencyGraph` for the edge lifecycle, the roles and the token assumptions.
/// @dev Each parent keeps its live children as a list of ids plus a bitmap of the positions
/// that hold Proposed edges (at most 256 children, so one word), which is what a settlement
/// needs: it reads the ids and edges only of children that are dropped, Proposed or moved by
/// the compaction. The bitmap is empty after every settlement (each Proposed edge is then
/// Funded or Dropped).
contract DependencyGraph is IDependencyGraph, AccessControl, ReentrancyGuardTransient {
    // ------------------------------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------------------------------

    /// @notice Curates nodes, seeds and bond-free edges.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice Settles edges (the round contract).
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");

    uint256 public constant MAX_SEEDS = 256;
    /// @dev Must stay <= 256: the bitmaps of `settleEdges` and `ChildList` are one word.
    uint256 public constant MAX_CHILDREN = 256;
    uint256 public constant MAX_FUNDED_CHILDREN = 128;

    // ------------------------------------------------------------------------------------------
    // Types and state
    // ------------------------------------------------------------------------------------------

    /// @dev A node is registered iff its payout is nonzero (registration requires one and
    /// `setPayout` refuses zero).
    struct NodeRecord {
        address payout;
        string metadata;
    }

    struct ChildList {
        bytes32[] ids;
        uint256 proposedMask; // bit i set: ids[i] is a Proposed edge
    }

    bytes32 private immutable _TARGET;
    address private immutable _TOKEN;
    IJury private immutable _JURY;
    uint256 private immutable _EDGE_BOND;

    mapping(bytes32 id => NodeRecord) private _nodes;
    uint256 private _nodeCount;

    bytes32[] private _seedList;
    mapping(bytes32 id => uint256 indexPlusOne) private _seedIndex;

    mapping(bytes32 parent => ChildList) private _children;
    mapping(bytes32 parent => mapping(bytes32 child => Edge)) private _edges;

    mapping(address account => uint256 amount) private _owed;
    uint256 private _bondsHeld;
    uint256 private _bondsSlashed;

    // ------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------

    /// @param target_ The target's id (nonzero).
    /// @param token_ The ERC-20 of the bonds (must have code and be the jury's token).
    /// @param jury_ The jury whose fund receives slashed bonds.
    /// @param edgeBond_ The bond of a proposal, 1 to 2^88 - 1 token units.
    /// @param admin Holds DEFAULT_ADMIN_ROLE.
    /// @param registrar Holds REGISTRAR_ROLE (zero: nobody yet).
    /// @param settler Holds SETTLER_ROLE (zero: nobody yet).
    constructor(
        bytes32 target_,
        address token_,
        IJury jury_,
        uint256 edgeBond_,
        address admin,
        address registrar,
        address settler
    ) {
        if (target_ == bytes32(0)) revert ZeroId();
        if (admin == address(0)) revert ZeroAddress();
        if (token_.code.length == 0) revert TokenHasNoCode(token_);
        if (address(jury_).code.length == 0) revert JuryHasNoCode(address(jury_));
        address juryToken = IJuryToken(address(jury_)).TOKEN();
        if (juryToken != token_) revert JuryTokenMismatch(token_, juryToken);
        if (edgeBond_ == 0 || edgeBond_ > type(uint88).max) {
            revert InvalidBond(edgeBond_, type(uint88).max);
        }
        _TARGET = target_;
        _TOKEN = token_;
        _JURY = jury_;
        _EDGE_BOND = edgeBond_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (registrar != address(0)) _grantRole(REGISTRAR_ROLE, registrar);
        if (settler != address(0)) _grantRole(SETTLER_ROLE, settler);
    }

    // ------------------------------------------------------------------------------------------
    // Nodes
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IDependencyGraph
    function registerNode(
        bytes32 id,
        address payout,
        string calldata metadata
    ) external onlyRole(REGISTRAR_ROLE) {
        if (id == bytes32(0)) revert ZeroId();
        if (payout == address(0)) revert ZeroAddress();
        NodeRecord storage node = _nodes[id];
        if (node.payout != address(0)) revert NodeAlreadyRegistered(id);
        node.payout = payout;
        node.metadata = metadata;
        ++_nodeCount;
        emit NodeRegistered(id, payout, metadata);
    }

    /// @inheritdoc IDependencyGraph
    function setPayout(bytes32 id, address payout) external {
        NodeRecord storage node = _nodes[id];
        address previous = node.payout;
        if (previous == address(0)) revert UnknownNode(id);
        if (msg.sender != previous && !hasRole(REGISTRAR_ROLE, msg.sender)) {
            revert NotPayoutOrRegistrar(id, msg.sender);
        }
        if (payout == address(0)) revert ZeroAddress();
        node.payout = payout;
        emit PayoutChanged(id, previous, payout);
    }

    // ------------------------------------------------------------------------------------------
    // Seeds
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IDependencyGraph
    function addSeed(bytes32 id) external onlyRole(REGISTRAR_ROLE) {
        if (_nodes[id].payout == address(0)) revert UnknownNode(id);
        if (_seedIndex[id] != 0) revert AlreadySeed(id);
        if (_seedList.length >= MAX_SEEDS) revert TooManySeeds(MAX_SEEDS);
        _seedList.push(id);
        _seedIndex[id] = _seedList.length;
        emit SeedAdded(id);
    }

    /// @inheritdoc IDependencyGraph
    function removeSeed(bytes32 id) external onlyRole(REGISTRAR_ROLE) {
        uint256 indexPlusOne = _seedIndex[id];
        if (indexPlusOne == 0) revert NotASeed(id);
        uint256 n = _seedList.length;
        // Shift the later seeds up one place: seed i moves to i - 1 (its indexPlusOne is i).
        for (uint256 i = indexPlusOne; i < n; ++i) {
            bytes32 moved = _seedList[i];
            _seedList[i - 1] = moved;
            _seedIndex[moved] = i;
        }
        _seedList.pop();
        delete _seedIndex[id];
        emit SeedRemoved(id);
    }

    // ------------------------------------------------------------------------------------------
    // Edges
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IDependencyGraph
    function addEdge(bytes32 parent, bytes32 child) external onlyRole(REGISTRAR_ROLE) {
        ChildList storage list = _checkNewEdge(parent, child);
        list.ids.push(child);
        _edges[parent][child] = Edge({status: EdgeStatus.Funded, proposer: address(0), bond: 0});
        emit EdgeAdded(parent, child);
    }

    /// @inheritdoc IDependencyGraph
    function proposeEdge(bytes32 parent, bytes32 child) external nonReentrant {
        ChildList storage list = _checkNewEdge(parent, child);
        uint256 bond = _EDGE_BOND;
        // The new edge's position is the current length, < MAX_CHILDREN <= 256.
        list.proposedMask |= 1 << list.ids.length;
        list.ids.push(child);
        // bond <= type(uint88).max (checked in the constructor).
        _edges[parent][child] = Edge({
            status: EdgeStatus.Proposed,
            proposer: msg.sender,
            bond: uint88(bond)
        });
        _bondsHeld += bond;
        emit EdgeProposed(parent, child, msg.sender, bond);
        _pull(bond);
    }

    /// @inheritdoc IDependencyGraph
    function settleEdges(
        bytes32 parent,
        uint256[] calldata weights,
        uint256[] calldata order
    ) external onlyRole(SETTLER_ROLE) nonReentrant returns (uint256 returned, uint256 slashed) {
        ChildList storage list = _children[parent];
        bytes32[] storage ids = list.ids;
        uint256 k = ids.length;
        // The first m children are settled; later ones (added after the caller fixed its list)
        // stay live as they are.
        uint256 m = weights.length;
        if (m > k) revert WeightsLengthMismatch(m, k);
        if (order.length != m) revert OrderLengthMismatch(order.length, m);
        uint256 dropMask = _checkOrder(weights, order);
        uint256 proposedMask = list.proposedMask;
        uint256 laterProposed;

        // Stable compaction: survivor i moves to position `kept` (the number of survivors
        // before it), so the survivors keep their relative order.
        uint256 slashedAmount;
        uint256 kept;
        for (uint256 i; i < k; ++i) {
            uint256 bit = 1 << i; // i < k <= 256
            bool dropped = dropMask & bit != 0;
            bool proposed = proposedMask & bit != 0;
            if (i >= m) {
                // Not settled: moves down over the dropped ones, keeping its status.
                if (proposed) laterProposed |= 1 << kept;
                if (kept != i) ids[kept] = ids[i];
                ++kept;
                continue;
            }
            if (!dropped && !proposed && kept == i) {
                // A Funded survivor that does not move: nothing to read or write.
                ++kept;
                continue;
            }
            bytes32 child = ids[i];
            Edge storage e = _edges[parent][child];
            if (dropped) {
                uint256 bond;
                if (proposed) {
                    bond = e.bond;
                    e.bond = 0;
                    slashedAmount += bond;
                    ++slashed;
                }
                e.status = EdgeStatus.Dropped;
                emit EdgeDropped(parent, child, bond);
                continue;
            }
            if (proposed) {
                address proposer = e.proposer;
                uint256 bond = e.bond;
                e.status = EdgeStatus.Funded;
                e.bond = 0;
                _owed[proposer] += bond;
                ++returned;
                emit EdgeFunded(parent, child, proposer, bond);
            }
            if (kept != i) ids[kept] = child;
            ++kept;
        }
        for (uint256 n = k; n > kept; --n) ids.pop();
        if (proposedMask != laterProposed) list.proposedMask = laterProposed;
        if (slashedAmount != 0) {
            // Slashed bonds were part of _bondsHeld (added when proposed, not yet moved out).
            _bondsHeld -= slashedAmount;
            _bondsSlashed += slashedAmount;
        }
        emit EdgesSettled(parent, kept, k - kept, returned, slashed, slashedAmount);
        if (slashedAmount != 0) {
            SafeERC20.forceApprove(IERC20(_TOKEN), address(_JURY), slashedAmount);
            _JURY.fundJury(slashedAmount);
        }
    }

    /// @inheritdoc IDependencyGraph
    function withdrawBond(address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        amount = _owed[msg.sender];
        if (amount == 0) revert NothingOwed(msg.sender);
        _owed[msg.sender] = 0;
        // Owed bonds are part of _bondsHeld (they stayed in it when their edge was Funded).
        _bondsHeld -= amount;
        emit BondWithdrawn(msg.sender, to, amount);
        TokenCalls.transfer(_TOKEN, to, amount);
    }

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc INodeRegistry
    function payoutOf(bytes32 node) external view returns (address payout) {
        payout = _nodes[node].payout;
        if (payout == address(0)) revert UnknownNode(node);
    }

    /// @inheritdoc IDependencyGraph
    function target() external view returns (bytes32) {
        return _TARGET;
    }

    /// @inheritdoc IDependencyGraph
    function token() external view returns (address) {
        return _TOKEN;
    }

    /// @inheritdoc IDependencyGraph
    function jury() external view returns (IJury) {
        return _JURY;
    }

    /// @inheritdoc IDependencyGraph
    function edgeBond() external view returns (uint256) {
        return _EDGE_BOND;
    }

    /// @inheritdoc IDependencyGraph
    function nodeInfo(
        bytes32 id
    ) external view returns (address payout, string memory metadata, bool registered) {
        NodeRecord storage node = _nodes[id];
        return (node.payout, node.metadata, node.payout != address(0));
    }

    /// @inheritdoc IDependencyGraph
    function nodeCount() external view returns (uint256) {
        return _nodeCount;
    }

    /// @inheritdoc IDependencyGraph
    function seeds() external view returns (bytes32[] memory) {
        return _seedList;
    }

    /// @inheritdoc IDependencyGraph
    function isSeed(bytes32 id) external view returns (bool) {
        return _seedIndex[id] != 0;
    }

    /// @inheritdoc IDependencyGraph
    function children(
        bytes32 parent
    ) external view returns (bytes32[] memory ids, EdgeStatus[] memory statuses) {
        ChildList storage list = _children[parent];
        ids = list.ids;
        uint256 mask = list.proposedMask;
        statuses = new EdgeStatus[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            statuses[i] = (mask >> i) & 1 == 1 ? EdgeStatus.Proposed : EdgeStatus.Funded;
        }
    }

    /// @inheritdoc IDependencyGraph
    function childCount(bytes32 parent) external view returns (uint256) {
        return _children[parent].ids.length;
    }

    /// @inheritdoc IDependencyGraph
    function edge(bytes32 parent, bytes32 child) external view returns (Edge memory) {
        return _edges[parent][child];
    }

    /// @inheritdoc IDependencyGraph
    function owed(address account) external view returns (uint256) {
        return _owed[account];
    }

    /// @inheritdoc IDependencyGraph
    function bondsHeld() external view returns (uint256) {
        return _bondsHeld;
    }

    /// @inheritdoc IDependencyGraph
    function bondsSlashed() external view returns (uint256) {
        return _bondsSlashed;
    }

    // ------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------

    /// @dev The checks shared by `addEdge` and `proposeEdge`; returns the parent's child list.
    function _checkNewEdge(
        bytes32 parent,
        bytes32 child
    ) private view returns (ChildList storage list) {
        if (_seedIndex[parent] == 0) {
            // Seeds are registered nodes, so only a non-seed can be unknown.
            if (_nodes[parent].payout == address(0)) revert UnknownNode(parent);
            revert NotASeed(parent);
        }
        if (_nodes[child].payout == address(0)) revert UnknownNode(child);
        EdgeStatus status = _edges[parent][child].status;
        if (status == EdgeStatus.Proposed || status == EdgeStatus.Funded) {
            revert EdgeAlreadyLive(parent, child, status);
        }
        list = _children[parent];
        if (list.ids.length >= MAX_CHILDREN) revert TooManyChildren(parent, MAX_CHILDREN);
    }

    /// @dev Checks that `order` ranks the children heaviest first, ties by increasing index, and
    /// returns the bitmap of the indices it ranks below MAX_FUNDED_CHILDREN. The caller checked
    /// both lengths equal k = the number of children (<= 256). Each of the k positions holds a
    /// distinct index below k, so `order` is a permutation of 0..k-1.
    function _checkOrder(
        uint256[] calldata weights,
        uint256[] calldata order
    ) private pure returns (uint256 dropMask) {
        uint256 k = order.length;
        uint256 seen;
        uint256 previousIndex;
        uint256 previousWeight;
        for (uint256 p; p < k; ++p) {
            uint256 index = order[p];
            if (index >= k) revert OrderIndexOutOfRange(p, index, k);
            uint256 bit = 1 << index; // index < k <= 256
            if (seen & bit != 0) revert OrderNotPermutation(p, index);
            seen |= bit;
            uint256 weight = weights[index];
            if (p != 0) {
                if (weight > previousWeight) revert OrderNotSorted(p, previousWeight, weight);
                if (weight == previousWeight && index < previousIndex) {
                    revert OrderTieBroken(p, previousIndex, index);
                }
            }
            if (p >= MAX_FUNDED_CHILDREN) dropMask |= bit;
            previousIndex = index;
            previousWeight = weight;
        }
    }

    /// @dev Takes `amount` of the token from msg.sender and checks it all arrived.
    function _pull(uint256 amount) private {
        uint256 received = TokenCalls.pull(_TOKEN, msg.sender, amount);
        if (received != amount) revert DeliveredLess(amount, received);
    }
}
