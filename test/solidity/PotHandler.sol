// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IFundingPot} from "../../contracts/interfaces/IFundingPot.sol";
import {FundingPot} from "../../contracts/deepfunding/FundingPot.sol";
import {MockNodeRegistry} from "../../contracts/mocks/MockNodeRegistry.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {TestHelpers} from "./Vm.sol";

/// @notice Drives a `FundingPot` with bounded random actions for the invariant tests: funding,
/// direct transfers in, absorbing, settlements (some with a broken ranking), claims and dust
/// rolls. Keeps ghost accounting of every token in and out, and its own reference of every
/// credit, computed with plain `a * b / c` (no mulDiv), which cannot overflow at these sizes.
/// @dev Actions check their preconditions against the contract's views; a valid action that
/// reverts anyway, or an invalid one that succeeds, is counted in `unexpectedReverts`, and a
/// result that differs from the reference in `payoutMismatches` (invariants keep both at 0).
/// Functions here must not start with `test` or `invariant` (this contract is not a suite).
contract PotHandler is TestHelpers {
    FundingPot public immutable pot;
    TestToken public immutable token;
    MockNodeRegistry public immutable registry;
    address public immutable admin;
    address public immutable settler;

    /// Round ids 0 .. N_ROUNDS - 1.
    uint256 public constant N_ROUNDS = 8;
    /// Node ids are 0x1000 + i for i < N_NODES; seeds come from the first N_SEED_CANDIDATES.
    uint256 public constant N_NODES = 160;
    uint256 public constant N_SEED_CANDIDATES = 10;
    uint256 public constant MAX_AMOUNT = 1e24;
    uint256 public constant MAX_FUNDED = 128;

    struct RoundGhost {
        uint256 potIn; // funded + absorbed + rolled in
        uint256 distributed; // reference credits
        uint256 floors; // floors that produced a share (the dust bound)
        uint256 seedCount;
        uint256 seedsLeft;
        bool dustRolled;
    }

    address[] internal _actors;

    mapping(uint256 round => RoundGhost) internal _ghostRounds;
    mapping(uint256 round => mapping(uint256 index => bytes32 node)) internal _seedNode;
    mapping(uint256 round => mapping(uint256 index => uint256 amount)) internal _seedPassed;
    mapping(uint256 round => mapping(uint256 index => bool)) internal _seedSettled;

    /// Nodes credited at least once (claims pick from them most of the time).
    bytes32[] internal _credited;
    mapping(bytes32 node => bool) internal _isCredited;

    // --- ghost accounting ---
    mapping(bytes32 node => uint256 amount) public ghostCredited;
    mapping(bytes32 node => uint256 amount) public ghostClaimed;
    uint256 public ghostFunded;
    uint256 public ghostTransferredIn;
    uint256 public ghostAbsorbed;
    uint256 public ghostClaimedTotal;
    uint256 public ghostRolled;

    // --- failures recorded by the actions (asserted to stay 0 by invariants) ---
    uint256 public payoutMismatches;
    string public lastMismatch;
    uint256 public unexpectedReverts;
    bytes public lastUnexpectedRevert;
    string public lastUnexpectedAction;

    // --- call statistics ---
    mapping(bytes32 action => uint256) public calls;

    constructor(
        FundingPot pot_,
        TestToken token_,
        MockNodeRegistry registry_,
        address admin_,
        address settler_,
        address[] memory actors_
    ) {
        pot = pot_;
        token = token_;
        registry = registry_;
        admin = admin_;
        settler = settler_;
        _actors = actors_;
        for (uint256 i; i < actors_.length; ++i) {
            vm.prank(actors_[i]);
            token_.approve(address(pot_), type(uint256).max);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Views for the invariants
    // ------------------------------------------------------------------------------------------

    function nodeAt(uint256 i) public pure returns (bytes32) {
        return bytes32(0x1000 + i);
    }

    function payoutAt(uint256 i) public pure returns (address) {
        return address(uint160(0x9000 + i));
    }

    function ghostRound(uint256 round) external view returns (RoundGhost memory) {
        return _ghostRounds[round];
    }

    // ------------------------------------------------------------------------------------------
    // Funding
    // ------------------------------------------------------------------------------------------

    function fund(uint256 actorSeed, uint256 roundSeed, uint256 amount) external {
        calls["fund"]++;
        address actor = _actors[actorSeed % _actors.length];
        uint256 round = roundSeed % N_ROUNDS;
        amount = bound(amount, 1, MAX_AMOUNT);
        bool open = _status(round) == IFundingPot.RoundStatus.Open;
        token.mint(actor, amount);
        vm.prank(actor);
        try pot.fund(round, amount) {
            if (!open) {
                _unexpected("fund of a closed round succeeded", "");
                return;
            }
            calls["fund.ok"]++;
            ghostFunded += amount;
            _ghostRounds[round].potIn += amount;
        } catch (bytes memory err) {
            if (open) _unexpected("fund", err);
            else if (bytes4(err) != IFundingPot.WrongRoundStatus.selector) {
                _unexpected("fund of a closed round: wrong error", err);
            }
            vm.prank(actor);
            token.transfer(address(0xdead), amount);
        }
    }

    /// A plain transfer to the pot, as a quadratic funding claim to it makes.
    function transferIn(uint256 amount) external {
        calls["transferIn"]++;
        amount = bound(amount, 1, MAX_AMOUNT);
        ghostTransferredIn += amount;
        token.mint(address(this), amount);
        token.transfer(address(pot), amount);
    }

    function absorb(uint256 roundSeed) external {
        calls["absorb"]++;
        uint256 round = roundSeed % N_ROUNDS;
        uint256 balance = token.balanceOf(address(pot));
        uint256 accounted = pot.totalAccounted();
        bool valid = _status(round) == IFundingPot.RoundStatus.Open && balance > accounted;
        try pot.absorb(round) returns (uint256 amount) {
            if (!valid) {
                _unexpected("absorb that should have reverted succeeded", "");
                return;
            }
            calls["absorb.ok"]++;
            if (amount != balance - accounted) _mismatch("absorbed amount");
            ghostAbsorbed += amount;
            _ghostRounds[round].potIn += amount;
        } catch (bytes memory err) {
            if (valid) _unexpected("absorb", err);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Settlement
    // ------------------------------------------------------------------------------------------

    /// Begins a round's settlement with up to three seeds among the candidates, picked by
    /// `pickSeed` (few seeds, so that rounds settle within a run's depth; no seed or all-zero
    /// weights must revert).
    function beginSettlement(
        uint256 roundSeed,
        uint256 pickSeed,
        uint256 weightSeed,
        uint256 originalitySeed
    ) external {
        calls["begin"]++;
        uint256 round = roundSeed % N_ROUNDS;
        uint256 mask;
        for (uint256 j; j < pickSeed % 4; ++j) {
            mask |= 1 << ((pickSeed >> (8 + 8 * j)) % N_SEED_CANDIDATES);
        }
        uint256 n;
        for (uint256 i; i < N_SEED_CANDIDATES; ++i) if (mask & (1 << i) != 0) ++n;
        bytes32[] memory seeds = new bytes32[](n);
        uint256[] memory weights = new uint256[](n);
        uint256[] memory originality = new uint256[](n);
        uint256 sum;
        uint256 j;
        for (uint256 i; i < N_SEED_CANDIDATES; ++i) {
            if (mask & (1 << i) == 0) continue;
            seeds[j] = nodeAt(i); // increasing with i
            weights[j] = _weight(weightSeed, j);
            originality[j] = _originality(originalitySeed, j);
            sum += weights[j];
            ++j;
        }
        bool valid = _status(round) == IFundingPot.RoundStatus.Open && sum > 0;
        uint256 potAmount = pot.potOf(round);
        vm.prank(settler);
        try pot.beginSettlement(round, seeds, weights, originality) {
            if (!valid) {
                _unexpected("beginSettlement should have reverted", "");
                return;
            }
            calls["begin.ok"]++;
            RoundGhost storage g = _ghostRounds[round];
            g.seedCount = n;
            g.seedsLeft = n;
            for (uint256 i; i < n; ++i) {
                uint256 share = (potAmount * weights[i]) / sum;
                uint256 kept = (share * originality[i]) / 1e18;
                IFundingPot.SeedInfo memory info = pot.seedOf(round, i);
                if (
                    info.node != seeds[i] ||
                    info.share != share ||
                    info.kept != kept ||
                    info.passed != share - kept
                ) _mismatch("seedOf after beginSettlement");
                _seedNode[round][i] = seeds[i];
                _seedPassed[round][i] = share - kept;
                _creditGhost(seeds[i], kept);
                g.distributed += kept;
                g.floors += 1;
            }
        } catch (bytes memory err) {
            if (valid) _unexpected("beginSettlement", err);
        }
    }

    /// Settles the children of an unsettled seed of a settling round: usually up to 12
    /// children, one time in eight 129 to 140 (past the funded cut), from a window of the node
    /// pool (so children are shared and may be seeds). One time in ten the ranking is broken on
    /// purpose and the call must revert.
    function settleChildren(
        uint256 roundSeed,
        uint256 seedSeed,
        uint256 kSeed,
        uint256 weightSeed,
        uint256 startSeed,
        uint256 badSeed
    ) external {
        calls["settle"]++;
        (bool found, uint256 round) = _settlingRound(roundSeed);
        if (!found) return;
        RoundGhost storage g = _ghostRounds[round];
        uint256 index = seedSeed % g.seedCount;
        while (_seedSettled[round][index]) index = (index + 1) % g.seedCount;

        uint256 k = kSeed % 8 == 0 ? bound(kSeed >> 3, 129, 140) : bound(kSeed >> 3, 0, 12);
        bytes32[] memory children = new bytes32[](k);
        uint256[] memory weights = new uint256[](k);
        uint256 start = startSeed % N_NODES;
        for (uint256 i; i < k; ++i) {
            children[i] = nodeAt((start + i) % N_NODES);
            weights[i] = _weight(weightSeed, i);
        }
        uint256[] memory order = _rank(weights);
        bool bad = k >= 2 && badSeed % 10 == 0;
        if (bad) (order[0], order[1]) = (order[1], order[0]);

        vm.prank(settler);
        try pot.settleChildren(round, index, children, weights, order) {
            if (bad) {
                _unexpected("settleChildren with a broken ranking succeeded", "");
                return;
            }
            calls["settle.ok"]++;
            _settleGhost(round, index, children, weights, order);
        } catch (bytes memory err) {
            if (!bad) _unexpected("settleChildren", err);
            else if (bytes4(err) != IFundingPot.OrderNotSorted.selector) {
                _unexpected("settleChildren with a broken ranking: wrong error", err);
            }
        }
    }

    /// Settling a seed twice (or an unknown seed, or a round that is not settling) must revert.
    function settleAgain(uint256 roundSeed, uint256 seedSeed) external {
        calls["settleAgain"]++;
        uint256 round = roundSeed % N_ROUNDS;
        uint256 count = _ghostRounds[round].seedCount;
        uint256 index = count == 0 ? seedSeed % 4 : seedSeed % (count + 1);
        bool valid = _status(round) == IFundingPot.RoundStatus.Settling &&
            index < count &&
            !_seedSettled[round][index];
        if (valid) return; // not this action's job
        vm.prank(settler);
        try pot.settleChildren(round, index, new bytes32[](0), new uint256[](0), new uint256[](0)) {
            _unexpected("settleChildren that should have reverted succeeded", "");
        } catch {}
    }

    // ------------------------------------------------------------------------------------------
    // Claims and dust
    // ------------------------------------------------------------------------------------------

    function claim(uint256 nodeSeed, uint256 actorSeed) external {
        calls["claim"]++;
        bytes32 node = _pickNode(nodeSeed);
        uint256 owedBefore = pot.owed(node);
        address payout = registry.payoutOf(node);
        uint256 before = token.balanceOf(payout);
        vm.prank(_actors[actorSeed % _actors.length]);
        try pot.claim(node) returns (uint256 amount) {
            if (owedBefore == 0) {
                _unexpected("claim of nothing succeeded", "");
                return;
            }
            calls["claim.ok"]++;
            if (amount != owedBefore) _mismatch("claimed amount");
            if (token.balanceOf(payout) - before != amount) _mismatch("claim transfer");
            if (pot.owed(node) != 0) _mismatch("owed after claim");
            ghostClaimed[node] += amount;
            ghostClaimedTotal += amount;
        } catch (bytes memory err) {
            if (owedBefore != 0) _unexpected("claim", err);
            else if (bytes4(err) != IFundingPot.NothingOwed.selector) {
                _unexpected("claim of nothing: wrong error", err);
            }
        }
    }

    /// Claims four nodes at once (repeats allowed: they are skipped).
    function claimMany(uint256 nodesSeed) external {
        calls["claimMany"]++;
        bytes32[] memory nodes = new bytes32[](4);
        uint256[] memory owedBefore = new uint256[](4);
        uint256[] memory balanceBefore = new uint256[](4);
        uint256 expected;
        for (uint256 i; i < 4; ++i) {
            nodes[i] = _pickNode(uint256(keccak256(abi.encode(nodesSeed, i))));
            owedBefore[i] = pot.owed(nodes[i]);
            balanceBefore[i] = token.balanceOf(registry.payoutOf(nodes[i]));
            bool repeat;
            for (uint256 j; j < i; ++j) if (nodes[j] == nodes[i]) repeat = true;
            if (!repeat) expected += owedBefore[i];
        }
        try pot.claimMany(nodes) returns (uint256 total) {
            calls["claimMany.ok"]++;
            if (total != expected) _mismatch("claimMany total");
            for (uint256 i; i < 4; ++i) {
                bool repeat;
                for (uint256 j; j < i; ++j) if (nodes[j] == nodes[i]) repeat = true;
                if (repeat) continue;
                uint256 received = token.balanceOf(registry.payoutOf(nodes[i])) - balanceBefore[i];
                if (received != owedBefore[i]) _mismatch("claimMany transfer");
                if (pot.owed(nodes[i]) != 0) _mismatch("owed after claimMany");
                ghostClaimed[nodes[i]] += owedBefore[i];
            }
            ghostClaimedTotal += total;
        } catch (bytes memory err) {
            _unexpected("claimMany", err);
        }
    }

    function rollDust(uint256 fromSeed, uint256 toSeed) external {
        calls["rollDust"]++;
        uint256 fromRound = fromSeed % N_ROUNDS;
        uint256 toRound = toSeed % N_ROUNDS;
        if (fromSeed % 2 == 0) {
            // Prefer a settled round with dust.
            for (uint256 i; i < N_ROUNDS; ++i) {
                uint256 r = (fromRound + i) % N_ROUNDS;
                if (pot.dustOf(r) != 0) {
                    fromRound = r;
                    break;
                }
            }
        }
        if (toSeed % 2 == 0) {
            // Prefer an open round.
            for (uint256 i; i < N_ROUNDS; ++i) {
                uint256 r = (toRound + i) % N_ROUNDS;
                if (_status(r) == IFundingPot.RoundStatus.Open) {
                    toRound = r;
                    break;
                }
            }
        }
        uint256 dust = pot.dustOf(fromRound);
        bool valid = dust != 0 && _status(toRound) == IFundingPot.RoundStatus.Open;
        vm.prank(admin);
        try pot.rollDust(fromRound, toRound) {
            if (!valid) {
                _unexpected("rollDust that should have reverted succeeded", "");
                return;
            }
            calls["rollDust.ok"]++;
            _ghostRounds[fromRound].dustRolled = true;
            _ghostRounds[toRound].potIn += dust;
            ghostRolled += dust;
            if (pot.dustOf(fromRound) != 0) _mismatch("dust after rollDust");
        } catch (bytes memory err) {
            if (valid) _unexpected("rollDust", err);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------

    function _status(uint256 round) internal view returns (IFundingPot.RoundStatus) {
        return pot.roundInfo(round).status;
    }

    function _settlingRound(uint256 seed) internal view returns (bool, uint256) {
        for (uint256 i; i < N_ROUNDS; ++i) {
            uint256 r = (seed + i) % N_ROUNDS;
            if (_status(r) == IFundingPot.RoundStatus.Settling) return (true, r);
        }
        return (false, 0);
    }

    /// A credited node three times in four, else any node of the pool.
    function _pickNode(uint256 seed) internal view returns (bytes32) {
        if (_credited.length != 0 && seed % 4 != 0)
            return _credited[(seed >> 2) % _credited.length];
        return nodeAt((seed >> 2) % N_NODES);
    }

    /// Weights in regimes: zero, a few values (ties), or anything in [0, 1e18].
    function _weight(uint256 seed, uint256 i) internal pure returns (uint256) {
        uint256 r = uint256(keccak256(abi.encode(seed, i, "weight")));
        uint256 regime = r % 4;
        if (regime == 0) return 0;
        if (regime == 1) return [uint256(1), 5e17, 1e18][(r >> 8) % 3];
        return (r >> 8) % (1e18 + 1);
    }

    function _originality(uint256 seed, uint256 i) internal pure returns (uint256) {
        uint256 r = uint256(keccak256(abi.encode(seed, i, "originality")));
        if (r % 4 == 0) return 0;
        if (r % 4 == 1) return 1e18;
        return (r >> 8) % (1e18 + 1);
    }

    /// Indices by weight descending, ties by index ascending (insertion sort, stable).
    function _rank(uint256[] memory w) internal pure returns (uint256[] memory order) {
        uint256 k = w.length;
        order = new uint256[](k);
        for (uint256 i; i < k; ++i) {
            uint256 j = i;
            // Stable: an earlier index with an equal weight stays ahead.
            while (j > 0 && w[order[j - 1]] < w[i]) {
                order[j] = order[j - 1];
                --j;
            }
            order[j] = i;
        }
    }

    /// The reference for one seed's children, with plain arithmetic.
    function _settleGhost(
        uint256 round,
        uint256 index,
        bytes32[] memory children,
        uint256[] memory weights,
        uint256[] memory order
    ) internal {
        RoundGhost storage g = _ghostRounds[round];
        uint256 passed = _seedPassed[round][index];
        uint256 funded = order.length < MAX_FUNDED ? order.length : MAX_FUNDED;
        uint256 fundedWeight;
        for (uint256 p; p < funded; ++p) fundedWeight += weights[order[p]];
        if (fundedWeight == 0) {
            _creditGhost(_seedNode[round][index], passed);
            g.distributed += passed;
        } else {
            for (uint256 p; p < funded; ++p) {
                uint256 amount = (passed * weights[order[p]]) / fundedWeight;
                _creditGhost(children[order[p]], amount);
                g.distributed += amount;
            }
            g.floors += funded;
        }
        _seedSettled[round][index] = true;
        g.seedsLeft -= 1;
        IFundingPot.RoundInfo memory info = pot.roundInfo(round);
        if (info.distributed != g.distributed) _mismatch("distributed after settleChildren");
        if (g.seedsLeft == 0) {
            if (info.status != IFundingPot.RoundStatus.Settled) _mismatch("round not settled");
            if (info.dust != g.potIn - g.distributed) _mismatch("dust");
        } else if (info.status != IFundingPot.RoundStatus.Settling) {
            _mismatch("round settled early");
        }
    }

    function _creditGhost(bytes32 node, uint256 amount) internal {
        if (amount == 0) return;
        ghostCredited[node] += amount;
        if (!_isCredited[node]) {
            _isCredited[node] = true;
            _credited.push(node);
        }
    }

    function _mismatch(string memory what) internal {
        payoutMismatches++;
        lastMismatch = what;
    }

    function _unexpected(string memory action, bytes memory err) internal {
        unexpectedReverts++;
        lastUnexpectedAction = action;
        lastUnexpectedRevert = err;
    }
}
