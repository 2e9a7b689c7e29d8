// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {INodeRegistry} from "../interfaces/INodeRegistry.sol";

/// @notice A node registry for tests: anyone sets any node's payout address; unknown nodes
/// (and nodes set to the zero address) revert with `UnknownNode`, except when `answerZero` is
/// set, when they answer the zero address instead.
contract MockNodeRegistry is INodeRegistry {
    mapping(bytes32 node => address payout) private _payouts;
    bool public answerZero;

    error UnknownNode(bytes32 node);

    function setPayout(bytes32 node, address payout) external {
        _payouts[node] = payout;
    }

    function setAnswerZero(bool value) external {
        answerZero = value;
    }

    function payoutOf(bytes32 node) external view returns (address payout) {
        payout = _payouts[node];
        if (payout == address(0) && !answerZero) revert UnknownNode(node);
    }
}
