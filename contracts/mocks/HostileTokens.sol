// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Takes a fee of `feeBps` basis points on every transfer (burned).
contract FeeOnTransferToken is ERC20 {
    uint256 public feeBps;

    constructor(uint256 feeBps_) ERC20("Fee Token", "FEE") {
        feeBps = feeBps_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFee(uint256 feeBps_) external {
        feeBps = feeBps_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0) || feeBps == 0) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = (value * feeBps) / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}

/// @notice Returns false instead of reverting when a transfer cannot happen, and when
/// `failAll` is set, returns false for every transfer without moving anything.
// solhint-disable const-name-snakecase
contract FalseReturningToken {
    string public constant name = "False Token";
    string public constant symbol = "FALSE";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    bool public failAll;
    mapping(address account => uint256) public balanceOf;
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        totalSupply += amount;
    }

    function setFailAll(bool value) external {
        failAll = value;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        if (failAll || balanceOf[msg.sender] < amount) return false;
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (failAll || balanceOf[from] < amount || allowance[from][msg.sender] < amount) {
            return false;
        }
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        return true;
    }
}

/// @notice Calls back into a target during every transfer, like an ERC-777 hook, with calldata
/// chosen by the test. Records whether the re-entrant call succeeded and what it returned.
contract ReentrantToken is ERC20 {
    address public hookTarget;
    bytes public hookData;
    bool public hookArmed;
    bool public lastHookSucceeded;
    bytes public lastHookResult;
    uint256 public hookCalls;

    constructor() ERC20("Hook Token", "HOOK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the hook: the next transfer calls `target` with `data` (once).
    function arm(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
        hookArmed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (hookArmed && from != address(0)) {
            hookArmed = false;
            ++hookCalls;
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory result) = hookTarget.call(hookData);
            lastHookSucceeded = ok;
            lastHookResult = result;
        }
    }
}

/// @notice Like some early tokens (USDT on mainnet): transfer and transferFrom return nothing
/// and revert on failure.
contract NoReturnToken {
    string public constant name = "No Return Token";
    string public constant symbol = "NORET";
    uint8 public constant decimals = 6;
    uint256 public totalSupply;
    mapping(address account => uint256) public balanceOf;
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    error Insufficient();

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        totalSupply += amount;
    }

    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
    }

    function transfer(address to, uint256 amount) external {
        if (balanceOf[msg.sender] < amount) revert Insufficient();
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
    }

    function transferFrom(address from, address to, uint256 amount) external {
        if (balanceOf[from] < amount || allowance[from][msg.sender] < amount) revert Insufficient();
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }
}
