// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IQuadraticFunding} from "../../contracts/interfaces/IQuadraticFunding.sol";
import {QuadraticFunding} from "../../contracts/qf/QuadraticFunding.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {TestHelpers} from "./Vm.sol";

/// @notice Drives a `QuadraticFunding` instance with bounded random actions for the invariant
/// tests, and keeps ghost accounting of every token that went in or out.
/// @dev Actions check their preconditions against the contract's views first; an action whose
/// preconditions hold but which reverts anyway is counted in `unexpectedReverts` (an invariant
/// requires it to stay 0), so "valid call reverted" bugs are not swallowed by the fuzzer.
/// Functions here must not start with `test` or `invariant` (this contract is not a suite).
contract QFHandler is TestHelpers {
    QuadraticFunding public immutable qf;
    TestToken public immutable token;
    address public immutable admin;
    address public immutable keeper;

    uint256 public constant MAX_CONTRIBUTION = 1e24;
    uint256 public constant MAX_FUNDING = 1e25;

    address[] internal _actors;
    address[] internal _beneficiaries;
    uint256[] internal _gapIds;

    /// Time is kept here and re-applied at every action, so it never depends on whether the
    /// fuzzer carries `vm.warp` from one call to the next.
    uint256 public currentTime;

    // --- rounds that hold anything (contributions, or a finalize/cancel) ---
    uint256[] internal _rounds;
    mapping(uint256 round => bool) public tracked;

    // --- ghost accounting ---
    mapping(uint256 round => mapping(uint256 gapId => mapping(address actor => uint256)))
        public ghostContributed;
    mapping(uint256 round => mapping(uint256 gapId => mapping(address actor => uint256)))
        public ghostRefunded;
    mapping(uint256 round => mapping(uint256 gapId => uint256)) public ghostGapDirect;
    mapping(uint256 round => uint256) public ghostRoundDirect;
    mapping(uint256 round => uint256) public ghostRoundContributions;
    mapping(uint256 round => mapping(uint256 gapId => uint256)) public ghostClaimCount;
    mapping(uint256 round => mapping(uint256 gapId => uint256)) public ghostSweepCount;
    /// Matches paid by claims or swept back by sweepGap while the round was Finalized.
    mapping(uint256 round => uint256) public ghostMatchPaid;
    /// The sum of the matches computed before each claim, per round (claims only).
    mapping(uint256 round => uint256) public ghostClaimedMatch;

    uint256 public ghostTotalContributed;
    uint256 public ghostTotalRefunded;
    uint256 public ghostTotalClaimed; // direct + match sent to beneficiaries
    uint256 public ghostSweptGap; // returned to the pool by sweepGap
    uint256 public ghostSweptRound; // returned to the pool by sweepRound
    uint256 public ghostPoolFunded;
    uint256 public ghostReserved; // taken from the pool by finalize

    // --- failures recorded by the actions (asserted to stay 0 by invariants) ---
    uint256 public doubleClaims; // a second claim (or claim after a sweep) that went through
    uint256 public doubleRefunds; // a second refund that went through
    uint256 public payoutMismatches; // a transfer that differed from what the views promised
    uint256 public unexpectedReverts;
    bytes public lastUnexpectedRevert;
    string public lastUnexpectedAction;

    // --- call statistics ---
    mapping(bytes32 action => uint256) public calls;

    constructor(
        QuadraticFunding qf_,
        TestToken token_,
        address admin_,
        address keeper_,
        address[] memory actors_,
        uint256[] memory gapIds_,
        address[] memory beneficiaries_
    ) {
        qf = qf_;
        token = token_;
        admin = admin_;
        keeper = keeper_;
        _actors = actors_;
        _gapIds = gapIds_;
        _beneficiaries = beneficiaries_;
        currentTime = block.timestamp;
        for (uint256 i; i < actors_.length; ++i) {
            vm.prank(actors_[i]);
            token_.approve(address(qf_), type(uint256).max);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Views for the invariants
    // ------------------------------------------------------------------------------------------

    function rounds() external view returns (uint256[] memory) {
        return _rounds;
    }

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function gapIds() external view returns (uint256[] memory) {
        return _gapIds;
    }

    // ------------------------------------------------------------------------------------------
    // Actions
    // ------------------------------------------------------------------------------------------

    function contribute(uint256 actorSeed, uint256 gapSeed, uint256 amount) external {
        _useTime();
        calls["contribute"]++;
        address actor = _actor(actorSeed);
        uint256 gapId = _gap(gapSeed);
        amount = bound(amount, 1, MAX_CONTRIBUTION);
        uint256 round = qf.currentRound();
        IQuadraticFunding.RoundStatus status = qf.roundInfo(round).status;
        token.mint(actor, amount);
        vm.prank(actor);
        try qf.contribute(gapId, amount) {
            _book(round, gapId, actor, amount);
            if (status != IQuadraticFunding.RoundStatus.Open) {
                // Only a cancelled current round can be non-Open (finalize needs an ended round).
                _unexpected("contribute to a non-open round succeeded", "");
            }
            (uint256 mine, ) = qf.contributionOf(round, gapId, actor);
            if (mine != ghostContributed[round][gapId][actor]) payoutMismatches++;
        } catch (bytes memory err) {
            if (status == IQuadraticFunding.RoundStatus.Open) {
                _unexpected("contribute", err);
            } else if (bytes4(err) != IQuadraticFunding.WrongRoundStatus.selector) {
                _unexpected("contribute (wrong error for a non-open round)", err);
            }
            // Undo the mint so the actor's balance does not grow unboundedly.
            vm.prank(actor);
            token.transfer(address(0xdead), amount);
        }
    }

    function contributeBatch(
        uint256 actorSeed,
        uint256 gapSeeds,
        uint256 amount0,
        uint256 amount1,
        uint256 amount2,
        uint256 n
    ) external {
        _useTime();
        calls["contributeBatch"]++;
        n = bound(n, 1, 3);
        address actor = _actor(actorSeed);
        uint256[] memory ids = new uint256[](n);
        uint256[] memory amounts = new uint256[](n);
        uint256[3] memory raw = [amount0, amount1, amount2];
        uint256 total;
        for (uint256 i; i < n; ++i) {
            ids[i] = _gap(gapSeeds >> (8 * i)); // duplicates allowed
            amounts[i] = bound(raw[i], 1, MAX_CONTRIBUTION);
            total += amounts[i];
        }
        uint256 round = qf.currentRound();
        IQuadraticFunding.RoundStatus status = qf.roundInfo(round).status;
        token.mint(actor, total);
        vm.prank(actor);
        try qf.contributeBatch(ids, amounts) {
            for (uint256 i; i < n; ++i) _book(round, ids[i], actor, amounts[i]);
            if (status != IQuadraticFunding.RoundStatus.Open) {
                _unexpected("contributeBatch to a non-open round succeeded", "");
            }
        } catch (bytes memory err) {
            if (status == IQuadraticFunding.RoundStatus.Open) _unexpected("contributeBatch", err);
            vm.prank(actor);
            token.transfer(address(0xdead), total);
        }
    }

    function fundPool(uint256 actorSeed, uint256 amount) external {
        _useTime();
        calls["fundPool"]++;
        address funder = _actor(actorSeed);
        amount = bound(amount, 1, MAX_FUNDING);
        token.mint(funder, amount);
        uint256 poolBefore = qf.matchingPool();
        vm.prank(funder);
        try qf.fundPool(amount) {
            ghostPoolFunded += amount;
            if (qf.matchingPool() != poolBefore + amount) payoutMismatches++;
        } catch (bytes memory err) {
            _unexpected("fundPool", err);
        }
    }

    function setBudget(uint256 budget) external {
        _useTime();
        calls["setBudget"]++;
        // Between "binds almost always" and "never binds" for contributions up to 1e24.
        budget = bound(budget, 0, 5e24);
        vm.prank(admin);
        try qf.setRoundBudget(budget) {} catch (bytes memory err) {
            _unexpected("setRoundBudget", err);
        }
    }

    /// Moves time forward by up to two periods (so rounds end, and sometimes get skipped).
    function warp(uint256 seconds_) external {
        calls["warp"]++;
        currentTime += bound(seconds_, 1, 2 * qf.PERIOD());
        _useTime();
    }

    function finalize(uint256 roundSeed) external {
        _useTime();
        calls["finalize"]++;
        uint256 current = qf.currentRound();
        uint256 round = _pickRound(roundSeed, current);
        if (roundSeed % 4 != 0) {
            // Prefer a tracked round that has ended and is still open.
            for (uint256 k; k < _rounds.length; ++k) {
                uint256 r = _rounds[(roundSeed + k) % _rounds.length];
                if (r < current && qf.roundInfo(r).status == IQuadraticFunding.RoundStatus.Open) {
                    round = r;
                    break;
                }
            }
        }
        IQuadraticFunding.RoundInfo memory before = qf.roundInfo(round);
        bool valid = round < current && before.status == IQuadraticFunding.RoundStatus.Open;
        uint256 pool = qf.matchingPool();
        uint256 configured = qf.roundBudget();
        uint256 budget = configured < pool ? configured : pool;
        vm.prank(keeper);
        try qf.finalize(round) {
            if (!valid) {
                _unexpected("finalize of an invalid round succeeded", "");
                return;
            }
            calls["finalize.ok"]++;
            _track(round);
            IQuadraticFunding.RoundInfo memory info = qf.roundInfo(round);
            uint256 expectReserved = before.totalIdeal < budget ? before.totalIdeal : budget;
            if (info.budget != budget || info.reserved != expectReserved) payoutMismatches++;
            if (info.status != IQuadraticFunding.RoundStatus.Finalized) payoutMismatches++;
            if (qf.matchingPool() != pool - expectReserved) payoutMismatches++;
            ghostReserved += info.reserved;
        } catch (bytes memory err) {
            if (valid) _unexpected("finalize", err);
        }
    }

    /// Cancels a round, but only on one call in eight (cancelling is rare in practice and it
    /// stops the round's matching).
    function cancelRound(uint256 roundSeed, uint256 chance) external {
        _useTime();
        calls["cancelRound"]++;
        if (chance % 8 != 0) return;
        uint256 current = qf.currentRound();
        uint256 round = _pickRound(roundSeed, current);
        if (roundSeed % 3 == 0) round = current; // sometimes the open one
        bool valid = round <= current &&
            qf.roundInfo(round).status == IQuadraticFunding.RoundStatus.Open;
        vm.prank(admin);
        try qf.cancelRound(round) {
            if (!valid) {
                _unexpected("cancelRound of an invalid round succeeded", "");
                return;
            }
            calls["cancelRound.ok"]++;
            _track(round);
        } catch (bytes memory err) {
            if (valid) _unexpected("cancelRound", err);
        }
    }

    function claim(uint256 roundSeed, uint256 gapSeed) external {
        _useTime();
        calls["claim"]++;
        if (_rounds.length == 0) return;
        (uint256 round, uint256 gapId) = _pickGap(roundSeed, gapSeed, false);
        IQuadraticFunding.RoundStatus status = qf.roundInfo(round).status;
        IQuadraticFunding.GapRoundInfo memory g = qf.gapRoundInfo(round, gapId);
        bool valid = status == IQuadraticFunding.RoundStatus.Finalized &&
            g.direct > 0 &&
            !g.settled;
        uint256 balanceBefore = token.balanceOf(g.beneficiary);
        try qf.claim(round, gapId) {
            if (!valid) {
                // Either a double payment or a claim of a round that may not pay.
                if (g.settled) doubleClaims++;
                _unexpected("claim that should have reverted succeeded", "");
                return;
            }
            calls["claim.ok"]++;
            ghostClaimCount[round][gapId]++;
            uint256 paid = token.balanceOf(g.beneficiary) - balanceBefore;
            if (paid != g.direct + g.matchAmount) payoutMismatches++;
            ghostTotalClaimed += paid;
            ghostMatchPaid[round] += g.matchAmount;
            ghostClaimedMatch[round] += g.matchAmount;
            // A second claim must revert with AlreadySettled.
            try qf.claim(round, gapId) {
                doubleClaims++;
                ghostClaimCount[round][gapId]++;
            } catch (bytes memory err) {
                if (bytes4(err) != IQuadraticFunding.AlreadySettled.selector) {
                    _unexpected("second claim reverted with the wrong error", err);
                }
            }
        } catch (bytes memory err) {
            if (valid) _unexpected("claim", err);
        }
    }

    function refund(uint256 roundSeed, uint256 actorSeed, uint256 gapSeed) external {
        _useTime();
        calls["refund"]++;
        if (_rounds.length == 0) return;
        uint256 round = _rounds[roundSeed % _rounds.length];
        address actor = _actor(actorSeed);
        uint256 gapId = _gap(gapSeed);
        if (roundSeed % 4 != 0) (round, gapId, actor) = _pickRefund(roundSeed, round, gapId, actor);
        bool cancelled = qf.roundInfo(round).status == IQuadraticFunding.RoundStatus.Cancelled;
        (uint256 owed, ) = qf.contributionOf(round, gapId, actor);
        bool valid = cancelled && owed > 0;
        uint256 balanceBefore = token.balanceOf(actor);
        vm.prank(actor);
        try qf.refund(round, gapId) {
            if (!valid) {
                _unexpected("refund that should have reverted succeeded", "");
                return;
            }
            calls["refund.ok"]++;
            uint256 got = token.balanceOf(actor) - balanceBefore;
            // Exactly what this actor gave this gap in this round, once.
            if (
                got != ghostContributed[round][gapId][actor] ||
                ghostRefunded[round][gapId][actor] != 0
            ) {
                payoutMismatches++;
            }
            ghostRefunded[round][gapId][actor] += got;
            ghostTotalRefunded += got;
            _burn(actor, got);
            vm.prank(actor);
            try qf.refund(round, gapId) {
                doubleRefunds++;
            } catch {}
        } catch (bytes memory err) {
            if (valid) _unexpected("refund", err);
        }
    }

    /// Refunds every gap the actor funded in a cancelled round at once.
    function refundBatch(uint256 roundSeed, uint256 actorSeed) external {
        _useTime();
        calls["refundBatch"]++;
        if (_rounds.length == 0) return;
        uint256 round = _rounds[roundSeed % _rounds.length];
        address actor = _actor(actorSeed);
        (round, , actor) = _pickRefund(roundSeed, round, 0, actor);
        if (qf.roundInfo(round).status != IQuadraticFunding.RoundStatus.Cancelled) return;
        uint256 count;
        uint256[] memory ids = new uint256[](_gapIds.length);
        uint256 expected;
        for (uint256 i; i < _gapIds.length; ++i) {
            (uint256 owed, ) = qf.contributionOf(round, _gapIds[i], actor);
            if (owed > 0) {
                ids[count++] = _gapIds[i];
                expected += owed;
            }
        }
        if (count == 0) return;
        assembly {
            mstore(ids, count)
        }
        uint256 balanceBefore = token.balanceOf(actor);
        vm.prank(actor);
        try qf.refundBatch(round, ids) {
            calls["refundBatch.ok"]++;
            uint256 got = token.balanceOf(actor) - balanceBefore;
            if (got != expected) payoutMismatches++;
            for (uint256 i; i < count; ++i) {
                uint256 g = ids[i];
                if (ghostRefunded[round][g][actor] != 0) payoutMismatches++;
                ghostRefunded[round][g][actor] = ghostContributed[round][g][actor];
            }
            ghostTotalRefunded += got;
            _burn(actor, got);
        } catch (bytes memory err) {
            _unexpected("refundBatch", err);
        }
    }

    /// Sweeps a gap's unclaimed payout back to the pool, warping past the grace period first.
    function sweepGap(uint256 roundSeed, uint256 gapSeed) external {
        _useTime();
        calls["sweepGap"]++;
        if (_rounds.length == 0 || gapSeed % 2 != 0) return;
        gapSeed /= 2;
        (uint256 round, uint256 gapId) = _pickGap(roundSeed, gapSeed, true);
        IQuadraticFunding.RoundInfo memory info = qf.roundInfo(round);
        bool sweepable = info.status == IQuadraticFunding.RoundStatus.Finalized ||
            info.status == IQuadraticFunding.RoundStatus.Swept;
        if (sweepable) _warpPastGrace(info.finalizedAt);
        IQuadraticFunding.GapRoundInfo memory g = qf.gapRoundInfo(round, gapId);
        bool valid = sweepable && g.direct > 0 && !g.settled;
        uint256 expected = g.direct;
        if (info.status == IQuadraticFunding.RoundStatus.Finalized) expected += g.matchAmount;
        uint256 poolBefore = qf.matchingPool();
        try qf.sweepGap(round, gapId) {
            if (!valid) {
                if (g.settled) doubleClaims++;
                _unexpected("sweepGap that should have reverted succeeded", "");
                return;
            }
            calls["sweepGap.ok"]++;
            ghostSweepCount[round][gapId]++;
            if (qf.matchingPool() != poolBefore + expected) payoutMismatches++;
            ghostSweptGap += expected;
            if (info.status == IQuadraticFunding.RoundStatus.Finalized)
                ghostMatchPaid[round] += g.matchAmount;
            // The gap can be neither claimed nor swept again.
            try qf.claim(round, gapId) {
                doubleClaims++;
            } catch {}
        } catch (bytes memory err) {
            if (valid) _unexpected("sweepGap", err);
        }
    }

    /// Returns a finalized round's unpaid matches to the pool, warping past the grace period.
    function sweepRound(uint256 roundSeed) external {
        _useTime();
        calls["sweepRound"]++;
        // Sweeping a round ends its claims: keep it rarer than claims.
        if (_rounds.length == 0 || roundSeed % 3 != 0) return;
        roundSeed /= 3;
        uint256 round = _rounds[roundSeed % _rounds.length];
        if (roundSeed % 4 != 0) {
            for (uint256 k; k < _rounds.length; ++k) {
                uint256 r = _rounds[(roundSeed + k) % _rounds.length];
                if (qf.roundInfo(r).status == IQuadraticFunding.RoundStatus.Finalized) {
                    round = r;
                    break;
                }
            }
        }
        IQuadraticFunding.RoundInfo memory info = qf.roundInfo(round);
        bool valid = info.status == IQuadraticFunding.RoundStatus.Finalized;
        if (valid) _warpPastGrace(info.finalizedAt);
        if (info.matchPaid > info.reserved) payoutMismatches++;
        uint256 expected = info.matchPaid > info.reserved ? 0 : info.reserved - info.matchPaid;
        uint256 poolBefore = qf.matchingPool();
        try qf.sweepRound(round) {
            if (!valid) {
                _unexpected("sweepRound that should have reverted succeeded", "");
                return;
            }
            calls["sweepRound.ok"]++;
            if (qf.matchingPool() != poolBefore + expected) payoutMismatches++;
            ghostSweptRound += expected;
            if (qf.roundInfo(round).status != IQuadraticFunding.RoundStatus.Swept)
                payoutMismatches++;
        } catch (bytes memory err) {
            if (valid) _unexpected("sweepRound", err);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------

    function _book(uint256 round, uint256 gapId, address actor, uint256 amount) internal {
        calls["contribute.ok"]++;
        _track(round);
        ghostContributed[round][gapId][actor] += amount;
        ghostGapDirect[round][gapId] += amount;
        ghostRoundDirect[round] += amount;
        ghostRoundContributions[round]++;
        ghostTotalContributed += amount;
    }

    function _track(uint256 round) internal {
        if (!tracked[round]) {
            tracked[round] = true;
            _rounds.push(round);
        }
    }

    /// A (round, gap) pair: three times in four the first, from a random starting point, that
    /// can be claimed (or, with `forSweep`, swept: the round may also be Swept); otherwise, or
    /// when none qualifies, a random pair (which exercises the reverting paths).
    function _pickGap(
        uint256 roundSeed,
        uint256 gapSeed,
        bool forSweep
    ) internal view returns (uint256, uint256) {
        uint256 round = _rounds[roundSeed % _rounds.length];
        uint256 gapId = _gap(gapSeed);
        if (roundSeed % 4 == 0) return (round, gapId);
        uint256 n = _rounds.length * _gapIds.length;
        for (uint256 k; k < n; ++k) {
            uint256 idx = (gapSeed + k) % n;
            uint256 r = _rounds[idx / _gapIds.length];
            uint256 g = _gapIds[idx % _gapIds.length];
            IQuadraticFunding.RoundStatus status = qf.roundInfo(r).status;
            bool ok = status == IQuadraticFunding.RoundStatus.Finalized ||
                (forSweep && status == IQuadraticFunding.RoundStatus.Swept);
            if (!ok) continue;
            IQuadraticFunding.GapRoundInfo memory info = qf.gapRoundInfo(r, g);
            if (info.direct > 0 && !info.settled) return (r, g);
        }
        return (round, gapId);
    }

    /// The first (cancelled round, gap, actor) with something to refund, from a random start;
    /// the given triple when there is none.
    function _pickRefund(
        uint256 seed,
        uint256 round,
        uint256 gapId,
        address actor
    ) internal view returns (uint256, uint256, address) {
        uint256 nr = _rounds.length;
        for (uint256 k; k < nr; ++k) {
            uint256 r = _rounds[(seed + k) % nr];
            if (qf.roundInfo(r).status != IQuadraticFunding.RoundStatus.Cancelled) continue;
            uint256 m = _gapIds.length * _actors.length;
            for (uint256 t; t < m; ++t) {
                uint256 idx = (seed + t) % m;
                uint256 g = _gapIds[idx % _gapIds.length];
                address a = _actors[idx / _gapIds.length];
                (uint256 owed, ) = qf.contributionOf(r, g, a);
                if (owed > 0) return (r, g, a);
            }
        }
        return (round, gapId, actor);
    }

    /// A tracked round most of the time, otherwise the one that just ended (or the open one).
    function _pickRound(uint256 seed, uint256 current) internal view returns (uint256) {
        uint256 n = _rounds.length;
        uint256 pick = seed % (n + 1);
        if (pick < n) return _rounds[pick];
        return current == 0 ? 0 : current - 1;
    }

    function _warpPastGrace(uint256 finalizedAt) internal {
        uint256 sweepableAt = finalizedAt + qf.GRACE_PERIOD();
        if (currentTime < sweepableAt) {
            calls["warpPastGrace"]++;
            currentTime = sweepableAt;
            _useTime();
        }
    }

    function _useTime() internal {
        vm.warp(currentTime);
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % _actors.length];
    }

    function _gap(uint256 seed) internal view returns (uint256) {
        return _gapIds[seed % _gapIds.length];
    }

    /// Refunded tokens leave the actor so that balances stay small; the ghosts keep the record.
    function _burn(address actor, uint256 amount) internal {
        if (amount == 0) return;
        vm.prank(actor);
        token.transfer(address(0xdead), amount);
    }

    function _unexpected(string memory action, bytes memory err) internal {
        unexpectedReverts++;
        lastUnexpectedAction = action;
        lastUnexpectedRevert = err;
    }
}
