// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IConditionalTokens} from "../../contracts/interfaces/IConditionalTokens.sol";
import {ConditionalTokens} from "../../contracts/markets/ConditionalTokens.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {TestHelpers} from "./Vm.sol";

/// @notice A contract holder of positions: accepts ERC-1155 transfers and, when armed, tries to
/// re-enter the vault from its receiver hook once and records what happened.
contract CTActor is IERC1155Receiver {
    address public target;
    bytes public data;
    bool public armed;
    bool public lastOk;
    bytes public lastResult;
    uint256 public hookCalls;

    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
        armed = true;
    }

    function onERC1155Received(
        address,
        address,
        uint256,
        uint256,
        bytes calldata
    ) external returns (bytes4) {
        _maybeReenter();
        return IERC1155Receiver.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(
        address,
        address,
        uint256[] calldata,
        uint256[] calldata,
        bytes calldata
    ) external returns (bytes4) {
        _maybeReenter();
        return IERC1155Receiver.onERC1155BatchReceived.selector;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return
            interfaceId == type(IERC1155Receiver).interfaceId ||
            interfaceId == type(IERC165).interfaceId;
    }

    function _maybeReenter() private {
        if (!armed) return;
        armed = false;
        ++hookCalls;
        (bool ok, bytes memory result) = target.call(data);
        lastOk = ok;
        lastResult = result;
    }
}

/// @notice Drives a `ConditionalTokens` vault with bounded random actions for the invariant
/// tests: two root conditions over one collateral (n = 2 and n = 5) and one binary condition
/// nested under slot 3 of the second. Actors are two `CTActor` contracts (so every mint and
/// transfer to them runs a receiver hook) and one plain address.
/// @dev Ghost state: the collateral each root condition holds (split in, merged and redeemed
/// out), and the net amount of the nested condition's parent position that sits in the nested
/// condition (burned by splits, minus merges and redemption payouts minted back). Actions check
/// every transfer against the formulas of `IConditionalTokens` and count deviations; valid
/// calls that revert are counted in `unexpectedReverts`. The invariants require all counters 0.
/// Functions here must not start with `test` or `invariant` (this contract is not a suite).
contract CTHandler is TestHelpers {
    struct Cond {
        bytes32 id;
        bytes32 question;
        address resolver;
        uint256 n;
        uint256 parent; // 0 for root conditions
    }

    uint256 public constant MAX_AMOUNT = 1e24;
    uint256 public constant NESTED_SLOT = 3;
    uint256 public constant N_CONDS = 3; // 0: root n=2, 1: root n=5, 2: nested n=2

    ConditionalTokens public immutable vault;
    TestToken public immutable token;
    address public immutable rootResolver;
    address public immutable nestedResolver;

    Cond[] internal _conds;
    address[] internal _actors;
    CTActor[] internal _contractActors;

    // --- ghost accounting ---
    mapping(bytes32 conditionId => uint256) public ghostHeld; // collateral, root conditions
    uint256 public ghostNestedLocked; // parent position held by the nested condition
    uint256 public ghostNestedSplit; // parent burned into the nested condition by splits
    uint256 public ghostNestedMerged; // parent minted back by nested merges

    // --- failures (the invariants require 0) ---
    uint256 public unexpectedReverts;
    uint256 public payoutMismatches;
    uint256 public roundTripFailures;
    uint256 public reentryFailures;
    uint256 public wrongSuccesses; // calls that should have reverted but did not
    string public lastFailure;
    bytes public lastRevert;

    // --- call statistics ---
    mapping(bytes32 action => uint256) public calls;

    constructor(ConditionalTokens vault_, TestToken token_) {
        vault = vault_;
        token = token_;
        rootResolver = address(0xA11CE);
        nestedResolver = address(0xB0B);

        _addCondition(rootResolver, keccak256("root n=2"), 2, 0);
        bytes32 b = _addCondition(rootResolver, keccak256("root n=5"), 5, 0);
        uint256 parent = vault_.getPositionId(address(token_), 0, b, NESTED_SLOT);
        _addCondition(nestedResolver, keccak256("nested n=2"), 2, parent);

        for (uint256 i; i < 2; ++i) {
            CTActor a = new CTActor();
            _contractActors.push(a);
            _actors.push(address(a));
        }
        _actors.push(address(0x1000));
        for (uint256 i; i < _actors.length; ++i) {
            vm.prank(_actors[i]);
            token_.approve(address(vault_), type(uint256).max);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Views for the invariants
    // ------------------------------------------------------------------------------------------

    function condition(uint256 k) external view returns (Cond memory) {
        return _conds[k];
    }

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    /// The id of slot j of condition k.
    function positionId(uint256 k, uint256 j) public view returns (uint256) {
        Cond memory c = _conds[k];
        return vault.getPositionId(address(token), c.parent, c.id, j);
    }

    /// Total supply of a position: actors are the only holders.
    function supply(uint256 id) public view returns (uint256 total) {
        for (uint256 i; i < _actors.length; ++i) total += vault.balanceOf(_actors[i], id);
    }

    /// Supply of slot j of condition k.
    function slotSupply(uint256 k, uint256 j) public view returns (uint256) {
        return supply(positionId(k, j));
    }

    // ------------------------------------------------------------------------------------------
    // Actions
    // ------------------------------------------------------------------------------------------

    function split(uint256 actorSeed, uint256 condSeed, uint256 amount) external {
        calls["split"]++;
        address actor = _actor(actorSeed);
        uint256 k = condSeed % N_CONDS;
        amount = bound(amount, 1, MAX_AMOUNT);
        _split(actor, k, amount);
    }

    function merge(uint256 actorSeed, uint256 condSeed, uint256 amount) external {
        calls["merge"]++;
        address actor = _actor(actorSeed);
        uint256 k = condSeed % N_CONDS;
        uint256 most = _fullSets(actor, k);
        if (most == 0) return;
        amount = bound(amount, 1, most);
        _merge(actor, k, amount);
    }

    function transfer(
        uint256 fromSeed,
        uint256 toSeed,
        uint256 condSeed,
        uint256 slotSeed,
        uint256 amount
    ) external {
        calls["transfer"]++;
        address from = _actor(fromSeed);
        address to = _actor(toSeed);
        // Condition 3 stands for the nested condition's parent position.
        uint256 k = condSeed % (N_CONDS + 1);
        uint256 id = k == N_CONDS ? _conds[2].parent : positionId(k, slotSeed % _conds[k].n);
        uint256 balance = vault.balanceOf(from, id);
        if (balance == 0) return;
        amount = bound(amount, 1, balance);
        uint256 toBefore = vault.balanceOf(to, id);
        vm.prank(from);
        try vault.safeTransferFrom(from, to, id, amount, "") {
            calls["transfer.ok"]++;
            uint256 fromAfter = vault.balanceOf(from, id);
            uint256 toAfter = vault.balanceOf(to, id);
            bool ok = from == to
                ? fromAfter == balance
                : fromAfter == balance - amount && toAfter == toBefore + amount;
            if (!ok) _mismatch("transfer balances");
        } catch (bytes memory err) {
            _unexpected("transfer", err);
        }
    }

    /// Reports random payouts (not all zero) for a condition, once. A second report and a report
    /// from someone else must revert.
    function report(uint256 condSeed, uint256 payoutSeed) external {
        calls["report"]++;
        uint256 k = condSeed % N_CONDS;
        Cond memory c = _conds[k];
        uint256[] memory payouts = _randomPayouts(c.n, payoutSeed);

        // Anyone but the resolver addresses another condition id.
        vm.prank(address(0xBAD));
        try vault.reportPayouts(c.question, payouts) {
            _wrong("report by a non-resolver");
        } catch (bytes memory err) {
            _expectError(err, IConditionalTokens.ConditionNotPrepared.selector, "stranger report");
        }
        // Resolutions are rare, so that runs spend time both before and after them.
        // (Hashed: fuzzers favour small and extreme values, whose top bits are mostly equal.)
        if (uint256(keccak256(abi.encode(condSeed, payoutSeed))) % 4 != 0) return;
        bool resolved = vault.isResolved(c.id);
        vm.prank(c.resolver);
        try vault.reportPayouts(c.question, payouts) {
            if (resolved) {
                _wrong("second report");
                return;
            }
            calls["report.ok"]++;
            uint256 sum;
            for (uint256 j; j < c.n; ++j) {
                sum += payouts[j];
                if (vault.payoutNumerator(c.id, j) != payouts[j]) _mismatch("numerator");
            }
            if (vault.payoutDenominator(c.id) != sum) _mismatch("denominator");
        } catch (bytes memory err) {
            if (!resolved) _unexpected("report", err);
            else
                _expectError(
                    err,
                    IConditionalTokens.ConditionAlreadyResolved.selector,
                    "second report"
                );
        }
    }

    /// Redeems a random subset of slots (possibly empty). Before resolution it must revert.
    function redeem(uint256 actorSeed, uint256 condSeed, uint256 mask) external {
        calls["redeem"]++;
        address actor = _actor(actorSeed);
        uint256 k = condSeed % N_CONDS;
        Cond memory c = _conds[k];
        uint256 count;
        for (uint256 j; j < c.n; ++j) if ((mask >> j) & 1 == 1) ++count;
        uint256[] memory slots = new uint256[](count);
        uint256[] memory ids = new uint256[](count);
        count = 0;
        // Order the slots from the top bits of the mask, so orders other than ascending occur.
        bool descending = (mask >> 128) & 1 == 1;
        for (uint256 t; t < c.n; ++t) {
            uint256 j = descending ? c.n - 1 - t : t;
            if ((mask >> j) & 1 == 1) {
                slots[count] = j;
                ids[count] = positionId(k, j);
                ++count;
            }
        }

        bool resolved = vault.isResolved(c.id);
        uint256 expected;
        if (resolved) {
            uint256 weighted;
            for (uint256 i; i < count; ++i) {
                weighted += vault.balanceOf(actor, ids[i]) * vault.payoutNumerator(c.id, slots[i]);
            }
            expected = weighted / vault.payoutDenominator(c.id);
        }
        uint256 parentBefore = _parentBalance(actor, k);

        vm.prank(actor);
        try vault.redeemPositions(address(token), c.parent, c.id, slots) returns (uint256 paid) {
            if (!resolved) {
                _wrong("redeem before resolution");
                return;
            }
            calls["redeem.ok"]++;
            if (paid != expected) _mismatch("redeem payout");
            if (_parentBalance(actor, k) != parentBefore + paid) _mismatch("redeem parent");
            for (uint256 i; i < count; ++i) {
                if (vault.balanceOf(actor, ids[i]) != 0) _mismatch("redeem burns all");
            }
            if (c.parent == 0) ghostHeld[c.id] -= paid;
            else ghostNestedLocked -= paid;
        } catch (bytes memory err) {
            if (resolved) _unexpected("redeem", err);
            else _expectError(err, IConditionalTokens.ConditionNotResolved.selector, "redeem");
        }
    }

    /// Splits x and merges x at once: the caller's parent and child balances must not change.
    function roundTrip(uint256 actorSeed, uint256 condSeed, uint256 amount) external {
        calls["roundTrip"]++;
        address actor = _actor(actorSeed);
        uint256 k = condSeed % N_CONDS;
        Cond memory c = _conds[k];
        amount = bound(amount, 1, MAX_AMOUNT);
        // Provide the parent outside the measured window.
        if (c.parent == 0) {
            token.mint(actor, amount);
        } else {
            uint256 have = vault.balanceOf(actor, c.parent);
            if (have < amount) _split(actor, 1, amount - have);
        }
        uint256 parentBefore = _parentBalance(actor, k);
        uint256[] memory childrenBefore = _childBalances(actor, k);

        vm.prank(actor);
        try vault.splitPosition(address(token), c.parent, c.id, amount) {} catch (
            bytes memory err
        ) {
            _unexpected("roundTrip split", err);
            return;
        }
        vm.prank(actor);
        try vault.mergePositions(address(token), c.parent, c.id, amount) {} catch (
            bytes memory err
        ) {
            _unexpected("roundTrip merge", err);
            return;
        }
        calls["roundTrip.ok"]++;
        if (_parentBalance(actor, k) != parentBefore) roundTripFailures++;
        uint256[] memory childrenAfter = _childBalances(actor, k);
        for (uint256 j; j < c.n; ++j) {
            if (childrenAfter[j] != childrenBefore[j]) roundTripFailures++;
        }
        if (c.parent == 0) {
            // Keep the actor's collateral from growing without bound.
            vm.prank(actor);
            token.transfer(address(0xdead), amount);
        }
    }

    /// A contract actor whose receiver hook tries to re-enter the vault during a split's mint.
    function reenter(uint256 actorSeed, uint256 condSeed, uint256 amount, uint256 how) external {
        calls["reenter"]++;
        CTActor actor = _contractActors[actorSeed % _contractActors.length];
        uint256 k = condSeed % N_CONDS;
        amount = bound(amount, 1, MAX_AMOUNT);
        Cond memory c = _conds[k];
        bytes memory data;
        how %= 3;
        if (how == 0) {
            data = abi.encodeCall(vault.mergePositions, (address(token), c.parent, c.id, 1));
        } else if (how == 1) {
            data = abi.encodeCall(vault.splitPosition, (address(token), 0, _conds[0].id, 1));
        } else {
            uint256[] memory slots = new uint256[](1);
            data = abi.encodeCall(vault.redeemPositions, (address(token), 0, _conds[0].id, slots));
        }
        actor.arm(address(vault), data);
        uint256 hooksBefore = actor.hookCalls();
        _split(address(actor), k, amount);
        if (actor.hookCalls() != hooksBefore + 1) {
            reentryFailures++;
            lastFailure = "reentry hook did not run";
            return;
        }
        bytes memory result = actor.lastResult();
        bool blocked = !actor.lastOk() &&
            result.length == 4 &&
            bytes4(result) == ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector;
        if (!blocked) {
            reentryFailures++;
            lastFailure = "reentry not blocked by the guard";
        }
    }

    // ------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------

    function _addCondition(
        address resolver,
        bytes32 question,
        uint256 n,
        uint256 parent
    ) internal returns (bytes32 id) {
        id = vault.prepareCondition(resolver, question, n);
        _conds.push(Cond({id: id, question: question, resolver: resolver, n: n, parent: parent}));
    }

    /// Splits `amount` of condition k for `actor`, providing the parent first (collateral is
    /// minted; the nested condition's parent is split from the root condition if short).
    function _split(address actor, uint256 k, uint256 amount) internal {
        Cond memory c = _conds[k];
        if (c.parent == 0) {
            token.mint(actor, amount);
        } else {
            uint256 have = vault.balanceOf(actor, c.parent);
            if (have < amount) _split(actor, 1, amount - have);
        }
        uint256 parentBefore = _parentBalance(actor, k);
        uint256[] memory before = _childBalances(actor, k);
        vm.prank(actor);
        try vault.splitPosition(address(token), c.parent, c.id, amount) {
            calls["split.ok"]++;
            if (c.parent == 0) {
                ghostHeld[c.id] += amount;
            } else {
                ghostNestedLocked += amount;
                ghostNestedSplit += amount;
            }
            if (_parentBalance(actor, k) != parentBefore - amount) _mismatch("split parent");
            uint256[] memory afterSplit = _childBalances(actor, k);
            for (uint256 j; j < c.n; ++j) {
                if (afterSplit[j] != before[j] + amount) _mismatch("split children");
            }
        } catch (bytes memory err) {
            _unexpected("split", err);
        }
    }

    function _merge(address actor, uint256 k, uint256 amount) internal {
        Cond memory c = _conds[k];
        uint256 parentBefore = _parentBalance(actor, k);
        uint256[] memory before = _childBalances(actor, k);
        vm.prank(actor);
        try vault.mergePositions(address(token), c.parent, c.id, amount) {
            calls["merge.ok"]++;
            if (c.parent == 0) {
                ghostHeld[c.id] -= amount;
            } else {
                ghostNestedLocked -= amount;
                ghostNestedMerged += amount;
            }
            if (_parentBalance(actor, k) != parentBefore + amount) _mismatch("merge parent");
            uint256[] memory afterMerge = _childBalances(actor, k);
            for (uint256 j; j < c.n; ++j) {
                if (afterMerge[j] != before[j] - amount) _mismatch("merge children");
            }
        } catch (bytes memory err) {
            _unexpected("merge", err);
        }
    }

    /// The largest full set the actor holds of condition k.
    function _fullSets(address actor, uint256 k) internal view returns (uint256 most) {
        uint256[] memory b = _childBalances(actor, k);
        most = type(uint256).max;
        for (uint256 j; j < b.length; ++j) if (b[j] < most) most = b[j];
    }

    function _childBalances(
        address actor,
        uint256 k
    ) internal view returns (uint256[] memory balances) {
        uint256 n = _conds[k].n;
        balances = new uint256[](n);
        for (uint256 j; j < n; ++j) balances[j] = vault.balanceOf(actor, positionId(k, j));
    }

    /// The actor's balance of condition k's parent: collateral or the parent position.
    function _parentBalance(address actor, uint256 k) internal view returns (uint256) {
        uint256 parent = _conds[k].parent;
        return parent == 0 ? token.balanceOf(actor) : vault.balanceOf(actor, parent);
    }

    /// n numerators, mostly small (0..10), sometimes scaled up to 1e18-sized weights; not all 0.
    function _randomPayouts(
        uint256 n,
        uint256 seed
    ) internal pure returns (uint256[] memory payouts) {
        payouts = new uint256[](n);
        uint256 scale = seed % 4 == 0 ? 1e18 : 1;
        uint256 sum;
        for (uint256 j; j < n; ++j) {
            uint256 p = ((seed >> (8 + 16 * j)) & 0xffff) % 11;
            if (p != 0) p = p * scale + (scale > 1 ? (seed >> (100 + j)) % 1e17 : 0);
            payouts[j] = p;
            sum += p;
        }
        if (sum == 0) payouts[(seed >> 200) % n] = 1 + ((seed >> 220) % 3);
    }

    function _expectError(bytes memory err, bytes4 selector, string memory action) internal {
        if (err.length < 4 || bytes4(err) != selector) {
            _unexpected(string.concat(action, " (wrong error)"), err);
        }
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % _actors.length];
    }

    function _unexpected(string memory action, bytes memory err) internal {
        unexpectedReverts++;
        lastFailure = action;
        lastRevert = err;
    }

    function _mismatch(string memory what) internal {
        payoutMismatches++;
        lastFailure = what;
    }

    function _wrong(string memory what) internal {
        wrongSuccesses++;
        lastFailure = what;
    }
}
