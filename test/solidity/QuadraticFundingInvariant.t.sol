// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IQuadraticFunding} from "../../contracts/interfaces/IQuadraticFunding.sol";
import {QuadraticFunding} from "../../contracts/qf/QuadraticFunding.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {QFHandler} from "./QFHandler.sol";
import {TestHelpers} from "./Vm.sol";

/// @notice Handler-based invariant tests of `QuadraticFunding` (Morpho style): the fuzzer only
/// calls `QFHandler`, whose actions are bounded and keep ghost accounting; the invariants below
/// compare that ghost state with the contract's views and its token balance.
/// @dev Hardhat 3 (EDR) discovers targets the forge-std way, through `targetContracts()` and
/// `targetSelectors()` on the test contract. EDR recognises the handler by its artifact, and
/// Hardhat only writes artifacts for root files: `npx hardhat test solidity` builds every `.sol`
/// under test/ as a root, but when naming files, name `test/solidity/QFHandler.sol` too.
/// Each invariant is its own campaign (64 runs of 100 calls, set by the inline config below);
/// the whole Solidity suite runs in about 20 s once compiled.
contract QuadraticFundingInvariantTest is TestHelpers {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    uint256 internal constant PERIOD = 1 days;
    uint256 internal constant GRACE = 3 days;
    uint256 internal constant N_GAPS = 4;
    uint256 internal constant N_ACTORS = 4;

    TestToken internal token;
    QuadraticFunding internal qf;
    QFHandler internal handler;

    address internal admin = address(0xA11CE);
    address internal keeper = address(0xBEEF);
    address internal registrar = address(0xCAFE);

    address[] internal _targets;
    FuzzSelector[] internal _selectors;

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new TestToken("Test", "TST", 18);
        qf = new QuadraticFunding(address(token), admin, keeper, registrar, 0, PERIOD, GRACE, 1e24);

        address[] memory actorList = new address[](N_ACTORS);
        for (uint256 i; i < N_ACTORS; ++i) actorList[i] = address(uint160(0x1000 + i));
        uint256[] memory gapList = new uint256[](N_GAPS);
        address[] memory beneficiaryList = new address[](N_GAPS);
        for (uint256 i; i < N_GAPS; ++i) {
            beneficiaryList[i] = address(uint160(0x2000 + i));
            vm.prank(registrar);
            gapList[i] = qf.registerGap(beneficiaryList[i], "gap");
        }

        handler = new QFHandler(qf, token, admin, keeper, actorList, gapList, beneficiaryList);

        _targets.push(address(handler));
        bytes4[] memory sels = new bytes4[](12);
        sels[0] = QFHandler.contribute.selector;
        sels[1] = QFHandler.contributeBatch.selector;
        sels[2] = QFHandler.fundPool.selector;
        sels[3] = QFHandler.setBudget.selector;
        sels[4] = QFHandler.warp.selector;
        sels[5] = QFHandler.finalize.selector;
        sels[6] = QFHandler.cancelRound.selector;
        sels[7] = QFHandler.claim.selector;
        sels[8] = QFHandler.refund.selector;
        sels[9] = QFHandler.refundBatch.selector;
        sels[10] = QFHandler.sweepGap.selector;
        sels[11] = QFHandler.sweepRound.selector;
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

    /// The token balance equals everything the contract owes: the unreserved pool, the unpaid
    /// part of each finalized round's reservation, the unsettled direct amounts of open,
    /// finalized and swept rounds, and the unrefunded contributions of cancelled rounds. (No
    /// fee tokens are involved, so this is an equality, not just `<=`.)
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantBalanceCoversEverythingOwed() public view {
        uint256 owed = qf.matchingPool();
        uint256[] memory rs = handler.rounds();
        uint256[] memory gaps = handler.gapIds();
        address[] memory people = handler.actors();
        for (uint256 k; k < rs.length; ++k) {
            uint256 r = rs[k];
            IQuadraticFunding.RoundInfo memory info = qf.roundInfo(r);
            if (info.status == IQuadraticFunding.RoundStatus.Cancelled) {
                for (uint256 i; i < gaps.length; ++i) {
                    for (uint256 j; j < people.length; ++j) {
                        (uint256 amount, ) = qf.contributionOf(r, gaps[i], people[j]);
                        owed += amount;
                    }
                }
            } else {
                if (info.status == IQuadraticFunding.RoundStatus.Finalized) {
                    assertLe(info.matchPaid, info.reserved, "matchPaid <= reserved");
                    owed += info.reserved - info.matchPaid;
                }
                for (uint256 i; i < gaps.length; ++i) {
                    IQuadraticFunding.GapRoundInfo memory g = qf.gapRoundInfo(r, gaps[i]);
                    if (!g.settled) owed += g.direct;
                }
            }
        }
        uint256 balance = token.balanceOf(address(qf));
        assertEq(balance, owed, "token balance == everything owed");
    }

    /// Ghost conservation: tokens in (contributions, pool funding) minus tokens out (claims,
    /// refunds) is the balance; and the pool is what was funded, minus what finalize reserved,
    /// plus what sweeps returned.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantGhostConservation() public view {
        uint256 inflow = handler.ghostTotalContributed() + handler.ghostPoolFunded();
        uint256 outflow = handler.ghostTotalClaimed() + handler.ghostTotalRefunded();
        assertEq(token.balanceOf(address(qf)), inflow - outflow, "balance == in - out");
        assertEq(
            qf.matchingPool(),
            handler.ghostPoolFunded() +
                handler.ghostSweptGap() +
                handler.ghostSweptRound() -
                handler.ghostReserved(),
            "pool == funded + swept - reserved"
        );
        assertEq(handler.payoutMismatches(), 0, "every transfer matched the views");
        assertEq(
            handler.unexpectedReverts(),
            0,
            string.concat("valid action reverted: ", handler.lastUnexpectedAction())
        );
    }

    /// For every finalized (or swept) round, matches paid plus matches still claimable stay
    /// within the budget and the reservation, and matchPaid never exceeds reserved.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantMatchesWithinBudget() public view {
        uint256[] memory rs = handler.rounds();
        uint256[] memory gaps = handler.gapIds();
        for (uint256 k; k < rs.length; ++k) {
            uint256 r = rs[k];
            IQuadraticFunding.RoundInfo memory info = qf.roundInfo(r);
            bool settledRound = info.status == IQuadraticFunding.RoundStatus.Finalized ||
                info.status == IQuadraticFunding.RoundStatus.Swept;
            if (!settledRound) {
                assertEq(info.matchPaid, 0, "nothing paid before finalize");
                assertEq(handler.ghostMatchPaid(r), 0, "no ghost match before finalize");
                continue;
            }
            assertLe(info.matchPaid, info.reserved, "matchPaid <= reserved");
            assertLe(info.reserved, info.budget, "reserved <= budget");
            assertEq(
                info.reserved,
                info.totalIdeal < info.budget ? info.totalIdeal : info.budget,
                "reserved"
            );
            assertEq(info.matchPaid, handler.ghostMatchPaid(r), "matchPaid == ghost matches paid");

            uint256 allMatches;
            uint256 unclaimed;
            for (uint256 i; i < gaps.length; ++i) {
                IQuadraticFunding.GapRoundInfo memory g = qf.gapRoundInfo(r, gaps[i]);
                allMatches += g.matchAmount;
                if (!g.settled) unclaimed += g.matchAmount;
                assertLe(g.matchAmount, g.idealMatch, "match <= ideal");
            }
            assertLe(allMatches, info.budget, "sum of matches <= budget");
            assertLe(allMatches, info.reserved, "sum of matches <= reserved");
            if (info.status == IQuadraticFunding.RoundStatus.Finalized) {
                assertLe(
                    handler.ghostMatchPaid(r) + unclaimed,
                    info.budget,
                    "paid + unclaimed <= budget"
                );
                assertEq(
                    handler.ghostMatchPaid(r) + unclaimed,
                    allMatches,
                    "paid + unclaimed == all matches"
                );
            }
            assertLe(handler.ghostClaimedMatch(r), handler.ghostMatchPaid(r), "claimed <= paid");
        }
    }

    /// No gap is paid twice: at most one claim or sweep per (round, gap), the `settled` flag
    /// agrees with it, and every second claim attempted by the handler reverted.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantNoGapPaidTwice() public view {
        assertEq(handler.doubleClaims(), 0, "a second claim or sweep went through");
        uint256[] memory rs = handler.rounds();
        uint256[] memory gaps = handler.gapIds();
        for (uint256 k; k < rs.length; ++k) {
            for (uint256 i; i < gaps.length; ++i) {
                uint256 claims = handler.ghostClaimCount(rs[k], gaps[i]);
                uint256 sweeps = handler.ghostSweepCount(rs[k], gaps[i]);
                assertLe(claims, 1, "claimed at most once");
                assertLe(claims + sweeps, 1, "claimed or swept, at most once");
                bool settled = qf.gapRoundInfo(rs[k], gaps[i]).settled;
                assertEq(settled, claims + sweeps == 1, "settled flag == claimed or swept");
            }
        }
    }

    /// A cancelled round refunds exactly what was given, per contributor and gap, at most once;
    /// nobody gets back more than they put in.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantCancelledRoundRefundsExactly() public view {
        assertEq(handler.doubleRefunds(), 0, "a second refund went through");
        uint256[] memory rs = handler.rounds();
        uint256[] memory gaps = handler.gapIds();
        address[] memory people = handler.actors();
        for (uint256 k; k < rs.length; ++k) {
            uint256 r = rs[k];
            bool cancelled = qf.roundInfo(r).status == IQuadraticFunding.RoundStatus.Cancelled;
            for (uint256 i; i < gaps.length; ++i) {
                for (uint256 j; j < people.length; ++j) {
                    uint256 given = handler.ghostContributed(r, gaps[i], people[j]);
                    uint256 refunded = handler.ghostRefunded(r, gaps[i], people[j]);
                    (uint256 still, ) = qf.contributionOf(r, gaps[i], people[j]);
                    if (!cancelled) {
                        assertEq(refunded, 0, "refund outside a cancelled round");
                        assertEq(still, given, "contributionOf == ghost contributed");
                    } else {
                        assertTrue(refunded == 0 || refunded == given, "refund is all or nothing");
                        assertEq(still + refunded, given, "unrefunded + refunded == given");
                    }
                }
                if (cancelled) {
                    assertTrue(
                        !qf.gapRoundInfo(r, gaps[i]).settled,
                        "no payout in a cancelled round"
                    );
                }
            }
        }
    }

    /// T equals the sum over the round's funded gaps of their ideal matches, each gap's totals
    /// match the ghost totals, and each gap's S_g is the sum of its contributors' roots.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariantTotalIdealIsSumOfGapIdeals() public view {
        uint256[] memory rs = handler.rounds();
        uint256[] memory gaps = handler.gapIds();
        address[] memory people = handler.actors();
        for (uint256 k; k < rs.length; ++k) {
            uint256 r = rs[k];
            IQuadraticFunding.RoundInfo memory info = qf.roundInfo(r);
            bool cancelled = info.status == IQuadraticFunding.RoundStatus.Cancelled;
            uint256 sumIdeal;
            uint256 funded;
            uint256 roundDirect;
            for (uint256 i; i < gaps.length; ++i) {
                IQuadraticFunding.GapRoundInfo memory g = qf.gapRoundInfo(r, gaps[i]);
                assertEq(g.direct, handler.ghostGapDirect(r, gaps[i]), "gap direct == ghost");
                if (g.direct > 0) funded++;
                sumIdeal += g.idealMatch;
                roundDirect += g.direct;
                // Recompute the ideal from S_g with plain arithmetic.
                uint256 sq = (g.sumSqrt * g.sumSqrt) / 1e18;
                assertEq(g.idealMatch, sq > g.direct ? sq - g.direct : 0, "ideal from S_g and C_g");
                if (!cancelled) {
                    // Refunds zero contributor records, so only check this outside cancellations.
                    uint256 sumRoots;
                    for (uint256 j; j < people.length; ++j) {
                        (uint256 amount, uint256 root) = qf.contributionOf(r, gaps[i], people[j]);
                        assertTrue(
                            isFloorSqrt(root, amount * 1e18),
                            "contributor root is floor sqrt"
                        );
                        sumRoots += root;
                    }
                    assertEq(g.sumSqrt, sumRoots, "S_g == sum of contributor roots");
                }
            }
            assertEq(info.totalIdeal, sumIdeal, "T == sum of gap ideals");
            assertEq(info.gapsFunded, funded, "gapsFunded");
            assertEq(info.contributions, handler.ghostRoundContributions(r), "contribution count");
            assertEq(roundDirect, handler.ghostRoundDirect(r), "round direct == ghost");
        }
    }
}
