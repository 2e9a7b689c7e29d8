// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IJury} from "./IJury.sol";
import {INodeRegistry} from "./INodeRegistry.sol";

/// @title IDependencyGraph
/// @notice The Deep Funding graph of one target T: the registry of nodes (projects, each a
/// 32-byte id with a payout address), T's seeds, and each seed's children, with the bonds of
/// proposed edges.
///
/// Roles: DEFAULT_ADMIN_ROLE grants roles; REGISTRAR_ROLE curates nodes, seeds and the initial
/// (bond-free) edges; SETTLER_ROLE (the round contract) settles a parent's edges at the end of a
/// round.
///
/// An edge parent -> child joins a seed to a registered node (a node may list itself: the real
/// data have hardhat -> hardhat). Its status:
/// - None: never added.
/// - Proposed: posted by anyone with a bond of `edgeBond()` tokens, waiting for a settlement.
/// - Funded: added by the registrar (no bond), or a proposed edge that made its parent's top
///   `MAX_FUNDED_CHILDREN` at a settlement (its bond is then owed back to the proposer).
/// - Dropped: ranked below `MAX_FUNDED_CHILDREN` at a settlement; a proposed edge's bond is then
///   slashed to the jury fund (`IJury.fundJury`). A dropped edge may be added or proposed again.
/// Proposed and Funded edges are live: they are the parent's `children`, in the order they were
/// added (at most `MAX_CHILDREN`, the largest outcome count of a market). A settlement removes
/// the dropped ones by stable compaction: the survivors keep their relative order.
///
/// Removing a seed keeps its children: adding it again restores them, and the settler can still
/// settle them (so no bond is stuck); nobody can add or propose edges under it meanwhile.
/// @dev Warning: the token must be a plain ERC-20: fee-on-transfer tokens are rejected (a bond
/// is checked against the balance received), and rebasing tokens would break the accounting of
/// bonds. It must be the jury's token too (checked at deployment).
/// @dev `settleEdges` settles a prefix of the children: those a round fixed when its markets
/// opened. Edges added or proposed later are left live as they are (a proposal keeps its bond)
/// until a settlement that covers them, so nobody is ranked without a market.
interface IDependencyGraph is INodeRegistry {
    // ------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------

    enum EdgeStatus {
        None,
        Proposed,
        Funded,
        Dropped
    }

    /// @notice An edge as `edge` returns it.
    /// @param status See the lifecycle above.
    /// @param proposer Who last proposed the edge (zero if the registrar added it since).
    /// @param bond The bond the graph holds for the edge: the proposer's while Proposed, 0 once
    /// it was returned (owed to the proposer) or slashed (see `EdgeFunded`, `EdgeDropped`).
    struct Edge {
        EdgeStatus status;
        address proposer;
        uint88 bond;
    }

    // ------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------

    event NodeRegistered(bytes32 indexed node, address indexed payout, string metadata);
    event PayoutChanged(bytes32 indexed node, address indexed previous, address indexed payout);
    event SeedAdded(bytes32 indexed seed);
    event SeedRemoved(bytes32 indexed seed);
    /// @notice The registrar added a Funded edge (no bond).
    event EdgeAdded(bytes32 indexed parent, bytes32 indexed child);
    event EdgeProposed(
        bytes32 indexed parent,
        bytes32 indexed child,
        address indexed proposer,
        uint256 bond
    );
    /// @notice A Proposed edge made the cut: its bond is owed back to the proposer.
    event EdgeFunded(
        bytes32 indexed parent,
        bytes32 indexed child,
        address indexed proposer,
        uint256 bond
    );
    /// @notice An edge fell below the cut; `slashedBond` is its bond if it was Proposed, else 0.
    event EdgeDropped(bytes32 indexed parent, bytes32 indexed child, uint256 slashedBond);
    /// @notice A settlement of `parent`: `kept` children stay live, `dropped` were removed;
    /// `returned` bonds became owed, `slashed` bonds (worth `slashedAmount`) went to the jury.
    event EdgesSettled(
        bytes32 indexed parent,
        uint256 kept,
        uint256 dropped,
        uint256 returned,
        uint256 slashed,
        uint256 slashedAmount
    );
    event BondWithdrawn(address indexed account, address indexed to, uint256 amount);

    // ------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------

    error ZeroAddress();
    error ZeroId();
    error TokenHasNoCode(address token);
    error JuryHasNoCode(address jury);
    error JuryTokenMismatch(address token, address juryToken);
    error InvalidBond(uint256 bond, uint256 max);
    error UnknownNode(bytes32 node);
    error NodeAlreadyRegistered(bytes32 node);
    error NotPayoutOrRegistrar(bytes32 node, address account);
    error AlreadySeed(bytes32 node);
    error NotASeed(bytes32 node);
    error TooManySeeds(uint256 max);
    error EdgeAlreadyLive(bytes32 parent, bytes32 child, EdgeStatus status);
    error TooManyChildren(bytes32 parent, uint256 max);
    error DeliveredLess(uint256 expected, uint256 received);
    error WeightsLengthMismatch(uint256 length, uint256 children);
    error OrderLengthMismatch(uint256 length, uint256 children);
    /// @notice `order[position]` is not a child index (>= the number of children).
    error OrderIndexOutOfRange(uint256 position, uint256 index, uint256 children);
    /// @notice `order[position]` repeats an index: `order` is not a permutation.
    error OrderNotPermutation(uint256 position, uint256 index);
    /// @notice `order[position]` is heavier than the child before it.
    error OrderNotSorted(uint256 position, uint256 previousWeight, uint256 weight);
    /// @notice `order[position]` weighs the same as the child before it but has a lower index.
    error OrderTieBroken(uint256 position, uint256 previousIndex, uint256 index);
    error NothingOwed(address account);

    // ------------------------------------------------------------------------------------------
    // Nodes (REGISTRAR_ROLE unless stated)
    // ------------------------------------------------------------------------------------------

    /// @notice Registers a node. `id` must be nonzero (`ZeroId`) and new
    /// (`NodeAlreadyRegistered`), `payout` nonzero (`ZeroAddress`).
    function registerNode(bytes32 id, address payout, string calldata metadata) external;

    /// @notice Moves a node's payouts to `payout` (nonzero). Callable by the registrar or the
    /// node's current payout address (`NotPayoutOrRegistrar`).
    function setPayout(bytes32 id, address payout) external;

    // ------------------------------------------------------------------------------------------
    // Seeds (REGISTRAR_ROLE)
    // ------------------------------------------------------------------------------------------

    /// @notice Makes a registered node a seed of the target (`AlreadySeed`), appended to the
    /// list; at most `MAX_SEEDS` (`TooManySeeds`).
    function addSeed(bytes32 id) external;

    /// @notice Removes a seed (`NotASeed`); the seeds after it move up one place (the list keeps
    /// its order). Its children stay (see above).
    function removeSeed(bytes32 id) external;

    // ------------------------------------------------------------------------------------------
    // Edges
    // ------------------------------------------------------------------------------------------

    /// @notice Adds a Funded edge without a bond (REGISTRAR_ROLE): the initial import. Both
    /// nodes registered (`UnknownNode`), the parent a seed (`NotASeed`), the edge not live
    /// (`EdgeAlreadyLive`), fewer than `MAX_CHILDREN` live children (`TooManyChildren`).
    function addEdge(bytes32 parent, bytes32 child) external;

    /// @notice Proposes an edge (anyone), with the checks of `addEdge`, and takes `edgeBond()`
    /// from msg.sender (`DeliveredLess` if fewer tokens arrive). The edge is Proposed until the
    /// next settlement of its parent.
    function proposeEdge(bytes32 parent, bytes32 child) external;

    /// @notice Settles the first `weights.length` live children of `parent` (SETTLER_ROLE) by
    /// their weights; the later children keep their status, bond and relative order.
    /// @param weights One per settled child, aligned with the start of `children(parent)`; at
    /// most one per live child (`WeightsLengthMismatch`).
    /// @param order The child indices heaviest first, equal weights by increasing index
    /// (the ranking of `rankChildren` in src/graph.ts). Checked in one pass: as long as
    /// `weights` (`OrderLengthMismatch`), every index in range and seen once (`OrderIndexOutOfRange`,
    /// `OrderNotPermutation`), weights non-increasing (`OrderNotSorted`), ties in increasing
    /// index (`OrderTieBroken`).
    /// Funded edges below the cut are Dropped too, with nothing to slash.
    /// @return returned Proposed edges in the top `MAX_FUNDED_CHILDREN`: now Funded, their
    /// bonds owed back to their proposers.
    /// @return slashed Proposed edges below the cut: now Dropped, their bonds paid into the jury
    /// fund.
    function settleEdges(
        bytes32 parent,
        uint256[] calldata weights,
        uint256[] calldata order
    ) external returns (uint256 returned, uint256 slashed);

    /// @notice Pays msg.sender's returned bonds to `to`.
    function withdrawBond(address to) external returns (uint256 amount);

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @notice The id of the target whose seeds this graph holds.
    function target() external view returns (bytes32);

    /// @notice The ERC-20 of the bonds (the jury's token).
    function token() external view returns (address);

    /// @notice Where slashed bonds go.
    function jury() external view returns (IJury);

    /// @notice The bond of a proposal, in token units.
    function edgeBond() external view returns (uint256);

    function MAX_SEEDS() external view returns (uint256);

    /// @notice Largest number of live children of a parent (the largest market).
    function MAX_CHILDREN() external view returns (uint256);

    /// @notice Children of rank 1 to this are funded at a settlement (MAX_FUNDED_CHILDREN in
    /// src/graph.ts).
    function MAX_FUNDED_CHILDREN() external view returns (uint256);

    function nodeInfo(
        bytes32 id
    ) external view returns (address payout, string memory metadata, bool registered);

    function nodeCount() external view returns (uint256);

    /// @notice The seeds in order.
    function seeds() external view returns (bytes32[] memory);

    function isSeed(bytes32 id) external view returns (bool);

    /// @notice The live children of `parent` in order, with their statuses (Proposed or Funded).
    function children(
        bytes32 parent
    ) external view returns (bytes32[] memory ids, EdgeStatus[] memory statuses);

    function childCount(bytes32 parent) external view returns (uint256);

    function edge(bytes32 parent, bytes32 child) external view returns (Edge memory);

    /// @notice Returned bonds `account` can withdraw.
    function owed(address account) external view returns (uint256);

    /// @notice Bonds of Proposed edges plus returned bonds not yet withdrawn: what the graph's
    /// token balance must cover.
    function bondsHeld() external view returns (uint256);

    /// @notice All bonds ever slashed to the jury fund.
    function bondsSlashed() external view returns (uint256);
}
