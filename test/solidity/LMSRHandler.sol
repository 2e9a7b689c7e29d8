// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConditionalTokens} from "../../contracts/markets/ConditionalTokens.sol";
import {LMSRMarketMaker} from "../../contracts/markets/LMSRMarketMaker.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {TestHelpers} from "./Vm.sol";

/// @notice Drives an `LMSRMarketMaker` with bounded random trades for the invariant tests: two
/// markets over root conditions of one collateral (n = 2 and n = 5, the latter with skewed
/// starting prices), three plain-address actors, and time warps.
/// @dev Ghost state: the net amount of each outcome the market has issued (bought minus sold),
/// and per actor and market the collateral paid minus received. Valid trades that revert are
/// counted in `unexpectedReverts`; a buy-then-sell of the same amount that returns more than it
/// cost, and actors who together hold nothing of a market but have received more than they paid
/// it, are counted in `roundTripGains`. (A single actor may profit from the others' trades, so
/// the no-gain rule is checked per actor only for its immediate round trips.)
/// Functions here must not start with `test` or `invariant` (this contract is not a suite).
contract LMSRHandler is TestHelpers {
    uint256 public constant N_MARKETS = 2;
    uint256 public constant SUBSIDY = 1_000e18;
    uint256 public constant MAX_WARP = 1 days;

    ConditionalTokens public immutable vault;
    LMSRMarketMaker public immutable mm;
    TestToken public immutable token;

    uint256[] internal _markets;
    bytes32[] internal _conditions;
    uint256[] internal _n;
    address[] internal _actors;

    // --- ghost accounting ---
    mapping(uint256 k => mapping(uint256 outcome => int256)) public issued;
    mapping(address actor => mapping(uint256 k => int256)) public netPaid;

    // --- failures (the invariants require 0) ---
    uint256 public unexpectedReverts;
    uint256 public roundTripGains;
    string public lastFailure;
    bytes public lastRevert;

    mapping(bytes32 action => uint256) public calls;

    constructor(ConditionalTokens vault_, LMSRMarketMaker mm_, TestToken token_) {
        vault = vault_;
        mm = mm_;
        token = token_;
        token_.approve(address(vault_), type(uint256).max);
        vault_.setApprovalForAll(address(mm_), true);

        uint256[] memory uniform = new uint256[](0);
        uint256[] memory skewed = new uint256[](5);
        (skewed[0], skewed[1], skewed[2], skewed[3], skewed[4]) = (
            0.4e18,
            0.3e18,
            0.15e18,
            0.1e18,
            0.05e18
        );
        _addMarket(keccak256("binary"), 2, uniform);
        _addMarket(keccak256("five"), 5, skewed);

        for (uint256 i; i < 3; ++i) {
            address a = address(uint160(0xA000 + i));
            _actors.push(a);
            vm.startPrank(a);
            token_.approve(address(vault_), type(uint256).max);
            vault_.setApprovalForAll(address(mm_), true);
            vm.stopPrank();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Views for the invariants
    // ------------------------------------------------------------------------------------------

    function market(uint256 k) external view returns (uint256 id, bytes32 conditionId, uint256 n) {
        return (_markets[k], _conditions[k], _n[k]);
    }

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function positionId(uint256 k, uint256 j) public view returns (uint256) {
        return vault.getPositionId(address(token), 0, _conditions[k], j);
    }

    /// Whether the actor holds no outcome token of market k.
    function holdsNothing(address actor, uint256 k) public view returns (bool) {
        for (uint256 j; j < _n[k]; ++j)
            if (vault.balanceOf(actor, positionId(k, j)) != 0) return false;
        return true;
    }

    // ------------------------------------------------------------------------------------------
    // Actions
    // ------------------------------------------------------------------------------------------

    function buy(
        uint256 actorSeed,
        uint256 marketSeed,
        uint256 outcomeSeed,
        uint256 amount
    ) external {
        calls["buy"]++;
        (address actor, uint256 k, uint256 j) = _pick(actorSeed, marketSeed, outcomeSeed);
        amount = bound(amount, 1, _maxTrade(k));
        _buy(actor, k, j, amount);
    }

    function sell(
        uint256 actorSeed,
        uint256 marketSeed,
        uint256 outcomeSeed,
        uint256 amount
    ) external {
        calls["sell"]++;
        (address actor, uint256 k, uint256 j) = _pick(actorSeed, marketSeed, outcomeSeed);
        uint256 balance = vault.balanceOf(actor, positionId(k, j));
        if (balance == 0) return;
        amount = bound(amount, 1, balance);
        _sell(actor, k, j, amount);
    }

    /// Sells the actor's whole holdings of market k, so that closed round trips occur often.
    function sellAll(uint256 actorSeed, uint256 marketSeed) external {
        calls["sellAll"]++;
        (address actor, uint256 k, ) = _pick(actorSeed, marketSeed, 0);
        for (uint256 j; j < _n[k]; ++j) {
            uint256 balance = vault.balanceOf(actor, positionId(k, j));
            if (balance != 0) _sell(actor, k, j, balance);
        }
    }

    /// Every actor sells everything it holds of market k; once nobody holds any, the actors
    /// together must not have received more than they paid (q is back at its start).
    function closeAll(uint256 marketSeed) external {
        calls["closeAll"]++;
        uint256 k = marketSeed % N_MARKETS;
        int256 total;
        for (uint256 i; i < _actors.length; ++i) {
            address actor = _actors[i];
            for (uint256 j; j < _n[k]; ++j) {
                uint256 balance = vault.balanceOf(actor, positionId(k, j));
                if (balance != 0) _sell(actor, k, j, balance);
            }
            if (!holdsNothing(actor, k)) return;
            total += netPaid[actor][k];
        }
        calls["closeAll.closed"]++;
        if (total < 0) {
            roundTripGains++;
            lastFailure = "actors gained over a closed round trip";
        }
    }

    /// Buys x and sells x at once: the payout must not exceed the cost.
    function roundTrip(
        uint256 actorSeed,
        uint256 marketSeed,
        uint256 outcomeSeed,
        uint256 amount
    ) external {
        calls["roundTrip"]++;
        (address actor, uint256 k, uint256 j) = _pick(actorSeed, marketSeed, outcomeSeed);
        amount = bound(amount, 1, _maxTrade(k));
        (bool ok, uint256 cost) = _buy(actor, k, j, amount);
        if (!ok) return;
        (bool sold, uint256 payout) = _sell(actor, k, j, amount);
        if (sold && payout > cost) {
            roundTripGains++;
            lastFailure = "round trip gained";
        }
    }

    function warp(uint256 seconds_) external {
        calls["warp"]++;
        vm.warp(block.timestamp + bound(seconds_, 1, MAX_WARP));
    }

    // ------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------

    function _addMarket(bytes32 question, uint256 n, uint256[] memory prices) internal {
        bytes32 conditionId = vault.prepareCondition(address(0xBEEF), question, n);
        token.mint(address(this), SUBSIDY);
        // The handler runs for at most depth * MAX_WARP: the markets never close.
        uint256 id = mm.createMarket(
            address(token),
            0,
            conditionId,
            SUBSIDY,
            prices,
            block.timestamp + 3650 days
        );
        _markets.push(id);
        _conditions.push(conditionId);
        _n.push(n);
    }

    /// Trades are bounded by 2 b: the exponents stay far below the re-anchoring threshold in the
    /// depths these campaigns run (see the BUG tests in test/LMSRMarketMaker.test.ts).
    function _maxTrade(uint256 k) internal view returns (uint256) {
        (, uint256 b, , , , ) = mm.marketInfo(_markets[k]);
        return 2 * b;
    }

    function _pick(
        uint256 actorSeed,
        uint256 marketSeed,
        uint256 outcomeSeed
    ) internal view returns (address actor, uint256 k, uint256 j) {
        actor = _actors[actorSeed % _actors.length];
        k = marketSeed % N_MARKETS;
        j = outcomeSeed % _n[k];
    }

    function _buy(
        address actor,
        uint256 k,
        uint256 j,
        uint256 amount
    ) internal returns (bool ok, uint256 cost) {
        uint256 quoted = mm.quote(_markets[k], j, int256(amount));
        token.mint(actor, quoted);
        vm.prank(actor);
        try mm.buy(_markets[k], j, amount, quoted, block.timestamp) returns (uint256 c) {
            calls["buy.ok"]++;
            issued[k][j] += int256(amount);
            netPaid[actor][k] += int256(c);
            return (true, c);
        } catch (bytes memory err) {
            _unexpected("buy", err);
        }
    }

    function _sell(
        address actor,
        uint256 k,
        uint256 j,
        uint256 amount
    ) internal returns (bool ok, uint256 payout) {
        // Sales that would take the running sum to zero are refused by design (SumTooSmall).
        try mm.quote(_markets[k], j, -int256(amount)) returns (uint256 quoted) {
            vm.prank(actor);
            try mm.sell(_markets[k], j, amount, quoted, block.timestamp) returns (uint256 p) {
                calls["sell.ok"]++;
                issued[k][j] -= int256(amount);
                netPaid[actor][k] -= int256(p);
                return (true, p);
            } catch (bytes memory err) {
                _unexpected("sell", err);
            }
        } catch {
            calls["sell.refused"]++;
        }
    }

    function _unexpected(string memory action, bytes memory err) internal {
        unexpectedReverts++;
        lastFailure = action;
        lastRevert = err;
    }
}
