// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title TokenCalls
/// @notice ERC-20 calls written in assembly with scratch memory, for the hot paths of the escrow.
/// They accept the same tokens as OpenZeppelin's SafeERC20 (ones that return `true`, ones that
/// return nothing), pass a token's own revert on unchanged, and revert with SafeERC20's
/// `SafeERC20FailedOperation` when a token returns anything else (such as `false`).
/// @dev Precondition: `token` has code. A call to an address without code succeeds and returns
/// nothing, which these functions would take for success; callers check the code once (the
/// escrow does so in its constructor, and code cannot be removed afterwards since Cancun).
library TokenCalls {
    /// @notice The token's balance of this contract. Reverts if the call fails or returns less
    /// than a word.
    function selfBalance(address token) internal view returns (uint256 amount) {
        bool ok;
        assembly ("memory-safe") {
            mstore(0x00, 0x70a08231) // balanceOf(address)
            mstore(0x20, address())
            // Arguments are evaluated right to left: the call runs before returndatasize.
            ok := and(gt(returndatasize(), 31), staticcall(gas(), token, 0x1c, 0x24, 0x00, 0x20))
            amount := mload(0x00)
        }
        if (!ok) revert SafeERC20.SafeERC20FailedOperation(token);
    }

    /// @notice transferFrom(from, to, amount); success is a call that does not revert and returns
    /// nothing or a word equal to 1.
    function transferFrom(address token, address from, address to, uint256 amount) internal {
        uint256 m;
        assembly ("memory-safe") {
            m := mload(0x40) // free memory, used as scratch and not claimed
            mstore(m, 0x23b872dd) // transferFrom(address,address,uint256)
            mstore(add(m, 0x20), from)
            mstore(add(m, 0x40), to)
            mstore(add(m, 0x60), amount)
        }
        _call(token, m, 0x64);
    }

    /// @notice Pulls `amount` from `from` into this contract and returns what the balance grew
    /// by: callers compare it with `amount` to refuse tokens that deliver less.
    function pull(address token, address from, uint256 amount) internal returns (uint256) {
        uint256 before = selfBalance(token);
        transferFrom(token, from, address(this), amount);
        uint256 afterwards = selfBalance(token);
        return afterwards > before ? afterwards - before : 0;
    }

    /// @notice transfer(to, amount), with the same success rule as `transferFrom`.
    function transfer(address token, address to, uint256 amount) internal {
        uint256 m;
        assembly ("memory-safe") {
            m := mload(0x40)
            mstore(m, 0xa9059cbb) // transfer(address,uint256)
            mstore(add(m, 0x20), to)
            mstore(add(m, 0x40), amount)
        }
        _call(token, m, 0x44);
    }

    /// @dev Calls `token` with the `size` bytes of calldata that start 28 bytes into `m` (the
    /// selector right-aligned in the first word). Passes a revert on as it is (as SafeERC20
    /// does); any return other than nothing or a word equal to 1 is a failure.
    function _call(address token, uint256 m, uint256 size) private {
        bool ok;
        assembly ("memory-safe") {
            mstore(0x00, 0)
            ok := call(gas(), token, 0, add(m, 0x1c), size, 0x00, 0x20)
            if iszero(ok) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            ok := or(iszero(returndatasize()), and(gt(returndatasize(), 31), eq(mload(0x00), 1)))
        }
        if (!ok) revert SafeERC20.SafeERC20FailedOperation(token);
    }
}
