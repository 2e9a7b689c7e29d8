// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice The few cheatcodes these tests use (forge-std is not installed). Hardhat 3 runs
/// Solidity tests on EDR, which serves the Foundry cheatcodes at this address.
interface Vm {
    function warp(uint256 newTimestamp) external;

    function prank(address msgSender) external;

    function startPrank(address msgSender) external;

    function stopPrank() external;

    function expectRevert() external;

    function expectRevert(bytes4 revertData) external;

    function expectRevert(bytes calldata revertData) external;

    function assume(bool condition) external pure;

    function deal(address account, uint256 newBalance) external;

    function label(address account, string calldata newLabel) external;

    function roll(uint256 newHeight) external;

    /// @dev Only for blocks in [block.number - 256, block.number).
    function setBlockhash(uint256 blockNumber, bytes32 blockHash) external;
}

address constant VM_ADDRESS = 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D;

/// @notice Assertions, `bound` and a reference square root shared by the Solidity tests. Every
/// failed assertion reverts with a message naming the values, which fails the test.
abstract contract TestHelpers {
    Vm internal constant vm = Vm(VM_ADDRESS);

    uint256 internal constant WAD_ = 1e18;

    // ------------------------------------------------------------------------------------------
    // Assertions
    // ------------------------------------------------------------------------------------------

    function fail(string memory message) internal pure {
        revert(string.concat("assertion failed: ", message));
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) fail(message);
    }

    function assertEq(uint256 a, uint256 b, string memory message) internal pure {
        if (a != b) fail(string.concat(message, ": ", _str(a), " != ", _str(b)));
    }

    function assertEq(address a, address b, string memory message) internal pure {
        if (a != b) fail(string.concat(message, ": addresses differ"));
    }

    function assertEq(bool a, bool b, string memory message) internal pure {
        if (a != b) fail(string.concat(message, ": booleans differ"));
    }

    function assertLe(uint256 a, uint256 b, string memory message) internal pure {
        if (a > b) fail(string.concat(message, ": ", _str(a), " > ", _str(b)));
    }

    function assertLt(uint256 a, uint256 b, string memory message) internal pure {
        if (a >= b) fail(string.concat(message, ": ", _str(a), " >= ", _str(b)));
    }

    function assertGe(uint256 a, uint256 b, string memory message) internal pure {
        if (a < b) fail(string.concat(message, ": ", _str(a), " < ", _str(b)));
    }

    // ------------------------------------------------------------------------------------------
    // Utilities
    // ------------------------------------------------------------------------------------------

    /// @dev Maps any x into [min, max] (inclusive), keeping small values unchanged where possible.
    /// @notice 1e36 and ln 2 in it, for the reference logarithm.
    uint256 internal constant UNIT36 = 1e36;
    uint256 internal constant LN2_36 = 693147180559945309417232121458176568;

    /// @notice ln(num / den) * 1e36 for num >= den > 0, without PRBMath: a power of two is taken
    /// out, then ln y = 2 atanh((y - 1) / (y + 1)) is summed to 1e-36 (|z| <= 1/3, ~35 terms).
    function refLn36(uint256 num, uint256 den) internal pure returns (uint256) {
        require(den > 0 && num >= den, "refLn36 domain");
        uint256 k;
        uint256 d = den;
        while (d <= num / 2) {
            d <<= 1;
            ++k;
        }
        uint256 y = Math.mulDiv(num, UNIT36, d); // [1e36, 2e36)
        uint256 z = ((y - UNIT36) * UNIT36) / (y + UNIT36);
        uint256 z2 = (z * z) / UNIT36;
        uint256 sum;
        uint256 term = z;
        for (uint256 i = 1; term != 0; i += 2) {
            sum += term / i;
            term = (term * z2) / UNIT36;
        }
        return k * LN2_36 + 2 * sum;
    }

    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }

    /// @dev floor(sqrt(n)), computed bit by bit (the digit-by-digit method, no Newton
    /// iteration), so that it shares nothing with PRBMath's implementation.
    function refSqrt(uint256 n) internal pure returns (uint256 root) {
        uint256 rem = n;
        uint256 bit = uint256(1) << 254; // highest power of four
        while (bit > rem) bit >>= 2;
        while (bit != 0) {
            if (rem >= root + bit) {
                rem -= root + bit;
                root = (root >> 1) + bit;
            } else {
                root >>= 1;
            }
            bit >>= 2;
        }
    }

    /// @dev True when r == floor(sqrt(n)): r^2 <= n < (r+1)^2, without overflowing.
    function isFloorSqrt(uint256 r, uint256 n) internal pure returns (bool) {
        if (r >= 2 ** 128) return false;
        if (r * r > n) return false;
        if (r + 1 == 2 ** 128) return true; // (r+1)^2 = 2^256 > any uint256
        return (r + 1) * (r + 1) > n;
    }

    function _str(uint256 value) internal pure returns (string memory) {
        if (value == 0) return "0";
        uint256 digits;
        for (uint256 t = value; t != 0; t /= 10) ++digits;
        bytes memory buffer = new bytes(digits);
        while (value != 0) {
            --digits;
            buffer[digits] = bytes1(uint8(48 + (value % 10)));
            value /= 10;
        }
        return string(buffer);
    }
}
