// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
/// @title INodeRegistry
/// @notice Where a Deep Funding node's payouts go.
interface INodeRegistry {
    /// @notice The payout address of a registered node (reverts with `UnknownNode` otherwise).
    function payoutOf(bytes32 node) external view returns (address payout);
}
