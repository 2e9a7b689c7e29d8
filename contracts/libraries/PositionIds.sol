// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PositionIds
/// @notice The id scheme of the conditional token vault (see `IConditionalTokens`):
///     conditionId = keccak256(abi.encode(resolver, questionId, outcomeSlotCount))
///     positionId  = uint256(keccak256(abi.encode(collateral, parentPositionId, conditionId, slot)))
/// Markets and off-chain code can compute ids with this library without calling the vault.
/// @dev The hashes are taken over free memory used as scratch (never claimed), so computing
/// many ids does not grow memory.
library PositionIds {
    /// @notice keccak256(abi.encode(resolver, questionId, outcomeSlotCount)).
    function conditionId(
        address resolver,
        bytes32 questionId,
        uint256 outcomeSlotCount
    ) internal pure returns (bytes32 id) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shr(96, shl(96, resolver)))
            mstore(add(m, 0x20), questionId)
            mstore(add(m, 0x40), outcomeSlotCount)
            id := keccak256(m, 0x60)
        }
    }

    /// @notice uint256(keccak256(abi.encode(collateral, parentPositionId, conditionId_, slot))).
    function positionId(
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId_,
        uint256 slot
    ) internal pure returns (uint256 id) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shr(96, shl(96, collateral)))
            mstore(add(m, 0x20), parentPositionId)
            mstore(add(m, 0x40), conditionId_)
            mstore(add(m, 0x60), slot)
            id := keccak256(m, 0x80)
        }
    }

    /// @notice The ids of slots 0..n-1 of `conditionId_` under the same parent, in slot order.
    function positionIds(
        address collateral,
        uint256 parentPositionId,
        bytes32 conditionId_,
        uint256 n
    ) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](n);
        assembly ("memory-safe") {
            // The array is allocated, so the free memory after it is scratch space. The first
            // three words of the preimage are written once; only the slot changes.
            let m := mload(0x40)
            mstore(m, shr(96, shl(96, collateral)))
            mstore(add(m, 0x20), parentPositionId)
            mstore(add(m, 0x40), conditionId_)
            let out := add(ids, 0x20)
            for {
                let slot := 0
            } lt(slot, n) {
                slot := add(slot, 1)
            } {
                mstore(add(m, 0x60), slot)
                mstore(add(out, shl(5, slot)), keccak256(m, 0x80))
            }
        }
    }
}
