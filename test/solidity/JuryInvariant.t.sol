// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IConditionalTokens} from "../../contracts/interfaces/IConditionalTokens.sol";
import {IJury} from "../../contracts/interfaces/IJury.sol";
import {Jury} from "../../contracts/jury/Jury.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {JuryHandler} from "./JuryHandler.sol";
import {TestHelpers} from "./Vm.sol";

/// @notice Handler-based invariant tests of `Jury`'s evaluation state machine: the fuzzer only
/// calls `JuryHandler` (create, draw, commit, reveal honestly or not, warp, resolve or fail,
/// and housekeeping: withdraw, unstake, stake, cancel, juror registry changes, funding) over six
/// staking jurors; the invariants compare the jury's views and token balance with the handler's
/// ghost model.
/// @dev The jury is deployed with the handler as admin and evaluator and no vault. Name
/// `test/solidity/JuryHandler.sol` too when running this file alone, so its artifact exists.
/// Each invariant is its own campaign of 48 runs of 100 calls (inline config below); at that
/// depth a typical run resolves one to two evaluations and fails one or two.
contract JuryInvariantTest is TestHelpers {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    TestToken internal token;
    Jury internal jury;
    JuryHandler internal handler;

    address[] internal _targets;
    FuzzSelector[] internal _selectors;

    function setUp() public {
        token = new TestToken("Jury", "JURY", 18);
        handler = new JuryHandler(token);
        jury = new Jury(
            address(token),
            IConditionalTokens(address(0)),
            address(handler),
            address(handler)
        );
        address[] memory jurors = new address[](6);
        for (uint256 i; i < jurors.length; ++i) jurors[i] = address(uint160(0x3000 + i));
        handler.initialize(jury, jurors);

        _targets.push(address(handler));
        bytes4[] memory sels = new bytes4[](7);
        sels[0] = JuryHandler.create.selector;
        sels[1] = JuryHandler.draw.selector;
        sels[2] = JuryHandler.commit.selector;
        sels[3] = JuryHandler.reveal.selector;
        sels[4] = JuryHandler.warp.selector;
        sels[5] = JuryHandler.resolve.selector;
        sels[6] = JuryHandler.maintain.selector;
        _selectors.push(FuzzSelector({addr: address(handler), selectors: sels}));
    }

    function targetContracts() public view returns (address[] memory) {
        return _targets;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _selectors;
    }

    // ------------------------------------------------------------------------------------------
    // Invariants
    // ------------------------------------------------------------------------------------------

    /// No result before the reveals close: every successful resolve happened at or after the
    /// evaluation's revealEnd, and resultOf is empty unless the evaluation is Resolved. The
    /// jury's statuses follow the model's.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 100
    function invariantNoResultBeforeRevealsClose() public view {
        _handlerHealthy();
        assertEq(handler.earlyResolves(), 0, "resolved before revealEnd");
        uint256 n = handler.evalCount();
        assertEq(jury.evaluationCount(), n, "evaluation count");
        for (uint256 id; id < n; ++id) {
            JuryHandler.EvalGhost memory g = handler.evalGhost(id);
            IJury.EvaluationView memory v = jury.evaluation(id);
            assertEq(uint256(v.status), uint256(g.status), "status == model");
            uint256 resultLength = jury.resultOf(id).length;
            if (v.status == IJury.Status.Resolved) {
                assertGe(g.resolvedAt, v.revealEnd, "resolved at >= revealEnd");
                assertTrue(resultLength > 0, "a resolved evaluation has a result");
            } else {
                assertEq(resultLength, 0, "no result unless Resolved");
            }
        }
    }

    /// One result per evaluation: each evaluation was resolved (or failed) at most once, never
    /// both, exactly when its status says so; the payouts of a resolved evaluation sum to
    /// exactly 1e18 (two entries for a score, three for a triangle).
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 100
    function invariantOneResultPerEvaluation() public view {
        _handlerHealthy();
        uint256 n = handler.evalCount();
        for (uint256 id; id < n; ++id) {
            JuryHandler.EvalGhost memory g = handler.evalGhost(id);
            IJury.Status status = jury.evaluation(id).status;
            assertLe(g.resolvedCount + g.failedCount, 1, "at most one outcome");
            assertEq(g.resolvedCount == 1, status == IJury.Status.Resolved, "resolved once");
            assertEq(g.failedCount == 1, status == IJury.Status.Failed, "failed once");
            if (status != IJury.Status.Resolved) continue;
            uint256[] memory payouts = jury.resultOf(id);
            assertEq(payouts.length, g.triangle ? 3 : 2, "payout slots");
            uint256 sum;
            for (uint256 i; i < payouts.length; ++i) sum += payouts[i];
            assertEq(sum, 1e18, "payouts sum to 1e18");
        }
    }

    /// Revealed values equal committed ones: no reveal that differed from the commitment (value
    /// or salt) went through, and every result equals the aggregate of the committed values of
    /// the jurors who revealed (checked by the handler at each resolve).
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 100
    function invariantRevealedValuesEqualCommitted() public view {
        _handlerHealthy();
        assertEq(handler.revealViolations(), 0, handler.lastFailure());
    }

    /// Accounting: the jury's balance is exactly the stakes, plus what it owes, plus the fund,
    /// plus the fees of evaluations still Pending or Drawn; locked <= staked for every juror;
    /// stakes, locks, owed amounts and the fund equal the model's.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 100
    function invariantAccounting() public view {
        _handlerHealthy();
        address[] memory jurors = handler.jurorList();
        uint256 total = jury.juryFund();
        assertEq(total, handler.ghostFund(), "fund == model");
        for (uint256 i; i < jurors.length; ++i) {
            address juror = jurors[i];
            (uint256 staked, uint256 locked) = jury.stakeOf(juror);
            assertLe(locked, staked, "locked <= staked");
            assertEq(staked, handler.ghostStaked(juror), "staked == model");
            assertEq(locked, handler.ghostLocked(juror), "locked == model");
            assertEq(jury.owed(juror), handler.ghostOwed(juror), "juror owed == model");
            total += staked + jury.owed(juror);
        }
        uint256 creatorOwed = jury.owed(address(handler));
        assertEq(creatorOwed, handler.ghostOwed(address(handler)), "creator owed == model");
        total += creatorOwed;
        uint256 n = jury.evaluationCount();
        for (uint256 id; id < n; ++id) {
            IJury.EvaluationView memory v = jury.evaluation(id);
            if (v.status == IJury.Status.Pending || v.status == IJury.Status.Drawn) {
                total += v.params.fee + v.params.feeFromFund;
            }
        }
        assertEq(token.balanceOf(address(jury)), total, "balance == stakes + owed + fund + fees");
    }

    /// The handler is not vacuous: a fixed, productive order of its actions completes
    /// evaluations of both kinds, with honest and dishonest reveals, resolutions, failures,
    /// rescheduled draws, cancellations, withdrawals and refused unstakes, and the model agrees
    /// with the jury throughout.
    function testHandlerReachesEveryOutcome() public {
        // A seed that makes `draw` wait 257 blocks past the draw block: rescheduled.
        uint256 late;
        while (_mix(late) % 8 != 0 || (_mix(late) >> 8) % 3 != 2) ++late;
        // A seed that makes `maintain` cancel.
        uint256 cancel;
        while (_mix(cancel) % 8 != 5) ++cancel;
        for (uint256 i; i < 32; ++i) {
            handler.create(i, i, i, i);
            if (i == 0) handler.draw(i, late);
            if (i == 1) handler.maintain(cancel, i, i);
            handler.draw(i, i);
            handler.draw(i + 1, i + 1);
            handler.commit(i, i, i);
            handler.commit(i + 1, i + 1, i + 1);
            handler.warp(i);
            handler.reveal(i, i, i);
            handler.reveal(i + 1, i + 1, i + 1);
            handler.warp(i + 1);
            handler.warp(i + 2);
            handler.resolve(i, i);
            handler.maintain(i, i, 3 * i + 1);
            handler.maintain(i + 1, i + 1, 5 * i + 2);
            handler.maintain(i + 2, i + 2, 7 * i + 3);
        }
        invariantNoResultBeforeRevealsClose();
        invariantOneResultPerEvaluation();
        invariantRevealedValuesEqualCommitted();
        invariantAccounting();
        string[16] memory outcomes = [
            "create.ok",
            "draw.ok",
            "draw.rescheduled",
            "draw.reverted",
            "commit.ok",
            "commit.reverted",
            "reveal.ok",
            "reveal.otherValue",
            "reveal.otherSalt",
            "reveal.reverted",
            "resolve.ok",
            "resolve.reverted",
            "fail.ok",
            "cancel.ok",
            "withdraw.ok",
            "unstake.reverted"
        ];
        for (uint256 k; k < outcomes.length; ++k) {
            uint256 count = handler.calls(bytes32(bytes(outcomes[k])));
            assertTrue(count > 0, string.concat("never reached: ", outcomes[k]));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------

    /// Every action behaved as the model says (each invariant checks this, so that every
    /// campaign fails on a misbehaving call).
    function _handlerHealthy() internal view {
        string memory why = string.concat(handler.lastFailure(), " ", _hex(handler.lastRevert()));
        assertEq(handler.unexpectedReverts(), 0, string.concat("valid call reverted: ", why));
        assertEq(handler.wrongSuccesses(), 0, string.concat("call should have reverted: ", why));
        assertEq(handler.wrongErrors(), 0, string.concat("wrong error: ", why));
        assertEq(handler.mismatches(), 0, string.concat("state differs from model: ", why));
    }

    /// The handler's seed hash.
    function _mix(uint256 x) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(x)));
    }

    /// The first 4 bytes (the error selector) as hex.
    function _hex(bytes memory data) internal pure returns (string memory) {
        bytes memory digits = "0123456789abcdef";
        uint256 n = data.length < 4 ? data.length : 4;
        bytes memory out = new bytes(2 + 2 * n);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i; i < n; ++i) {
            out[2 + 2 * i] = digits[uint8(data[i]) >> 4];
            out[3 + 2 * i] = digits[uint8(data[i]) & 0x0f];
        }
        return string(out);
    }
}
