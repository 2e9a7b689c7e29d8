// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IQuadraticFunding} from "../../contracts/interfaces/IQuadraticFunding.sol";
import {QuadraticFunding} from "../../contracts/qf/QuadraticFunding.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

import {TestHelpers} from "./Vm.sol";

/// @notice Fuzz tests of `QuadraticFunding`: splitting a contribution never raises a match
/// (a contributor's amounts are summed before the square root, so giving x then y is exactly
/// giving x + y), plus a few unit tests of settlement and refunds.
contract QuadraticFundingTest is TestHelpers {
    uint256 internal constant PERIOD = 1 days;
    uint256 internal constant GRACE = 3 days;
    uint256 internal constant MAX = 1e30;

    TestToken internal token;
    QuadraticFunding internal qf;

    // Gap A receives split contributions, gap B the same amounts unsplit.
    uint256 internal gapA;
    uint256 internal gapB;
    address internal beneficiaryA = address(0xA0);
    address internal beneficiaryB = address(0xB0);
    address internal funder = address(0xF0);

    address[3] internal people = [address(0x1001), address(0x1002), address(0x1003)];

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new TestToken("Test", "TST", 18);
        // This contract is admin, keeper and registrar.
        qf = new QuadraticFunding(
            address(token),
            address(this),
            address(this),
            address(this),
            0,
            PERIOD,
            GRACE,
            0
        );
        gapA = qf.registerGap(beneficiaryA, "A");
        gapB = qf.registerGap(beneficiaryB, "B");
    }

    // ------------------------------------------------------------------------------------------
    // Splitting a contribution never raises a match
    // ------------------------------------------------------------------------------------------

    /// One contributor gives x then y to gap A and a = x + y at once to gap B; another
    /// contributor gives the same to both. A and B end up identical (direct, S_g, ideal, match,
    /// payout), so in particular A's match is never larger.
    function testFuzzSplitOneContributorSameAsWhole(
        uint256 a,
        uint256 x,
        uint256 other,
        uint256 budget,
        bool otherFirst
    ) public {
        a = bound(a, 2, MAX);
        x = bound(x, 1, a - 1);
        uint256 y = a - x;
        other = bound(other, 1, MAX);
        address alice = people[0];
        address bob = people[1];

        if (otherFirst) {
            _give(bob, gapA, other);
            _give(bob, gapB, other);
        }
        _give(alice, gapA, x);
        _give(alice, gapB, a);
        _give(alice, gapA, y);
        if (!otherFirst) {
            _give(bob, gapA, other);
            _give(bob, gapB, other);
        }

        (uint256 amountA, uint256 rootA) = qf.contributionOf(0, gapA, alice);
        (uint256 amountB, uint256 rootB) = qf.contributionOf(0, gapB, alice);
        assertEq(amountA, amountB, "contributor total");
        assertEq(rootA, rootB, "contributor root");
        assertEq(rootA, refSqrt(a * 1e18), "root of the whole, not sum of the parts' roots");

        _assertSameGap(0, "after contributions");
        _finalizeAndCompare(0, budget);
    }

    /// Three contributors each split their amount in two, giving the halves at different
    /// points (all first parts, then all second parts in reverse order), against the same three
    /// giving their whole amounts to gap B.
    function testFuzzSplitSeveralContributors(
        uint256[3] memory amounts,
        uint256[3] memory splits,
        uint256 budget
    ) public {
        uint256[3] memory firstParts;
        for (uint256 i; i < 3; ++i) {
            amounts[i] = bound(amounts[i], 2, MAX);
            firstParts[i] = bound(splits[i], 1, amounts[i] - 1);
        }
        for (uint256 i; i < 3; ++i) {
            _give(people[i], gapA, firstParts[i]);
            _give(people[i], gapB, amounts[i]);
        }
        _assertSplitNeverLarger(0, "halfway (A has only the first parts)");
        for (uint256 i = 3; i > 0; --i) {
            _give(people[i - 1], gapA, amounts[i - 1] - firstParts[i - 1]);
        }
        _assertSameGap(0, "after all parts");
        _finalizeAndCompare(0, budget);
    }

    /// One contributor gives an amount in up to twelve random pieces; the result is the same as
    /// giving it at once, and after every piece A's ideal is at most B's.
    function testFuzzSplitIntoManyPieces(
        uint256 a,
        uint256 pieces,
        uint256 seed,
        uint256 other
    ) public {
        pieces = bound(pieces, 2, 12);
        a = bound(a, pieces, MAX);
        other = bound(other, 1, MAX);
        address alice = people[0];
        _give(people[1], gapA, other);
        _give(people[1], gapB, other);
        _give(alice, gapB, a);

        uint256 left = a;
        for (uint256 i; i < pieces; ++i) {
            uint256 piece;
            if (i == pieces - 1) {
                piece = left;
            } else {
                // Leave at least one wei per remaining piece.
                uint256 maxPiece = left - (pieces - 1 - i);
                seed = uint256(keccak256(abi.encode(seed, i)));
                piece = bound(seed, 1, maxPiece);
                // Often tiny pieces, which is where floors could accumulate.
                if (seed % 3 == 0) piece = bound(seed >> 8, 1, maxPiece < 1e6 ? maxPiece : 1e6);
            }
            left -= piece;
            _give(alice, gapA, piece);
            _assertSplitNeverLarger(0, "after a piece");
        }
        assertEq(left, 0, "pieces add up");
        _assertSameGap(0, "after all pieces");
    }

    /// For contrast: splitting across two identities (a Sybil) is what quadratic funding
    /// rewards; it never lowers the ideal. This shows the comparison above is not vacuous.
    function testFuzzSplitAcrossIdentitiesNeverLowersIdeal(
        uint256 a,
        uint256 x,
        uint256 other
    ) public {
        a = bound(a, 2, MAX);
        x = bound(x, 1, a - 1);
        other = bound(other, 1, MAX);
        _give(people[2], gapA, other);
        _give(people[2], gapB, other);
        _give(people[0], gapA, x);
        _give(people[1], gapA, a - x); // a second identity
        _give(people[0], gapB, a);
        IQuadraticFunding.GapRoundInfo memory ga = qf.gapRoundInfo(0, gapA);
        IQuadraticFunding.GapRoundInfo memory gb = qf.gapRoundInfo(0, gapB);
        assertEq(ga.direct, gb.direct, "same direct");
        assertGe(ga.sumSqrt, gb.sumSqrt, "two roots >= one root of the sum");
        assertGe(ga.idealMatch, gb.idealMatch, "Sybil split never lowers the ideal");
    }

    // ------------------------------------------------------------------------------------------
    // Unit tests
    // ------------------------------------------------------------------------------------------

    function testClaimPaysOnceAndSecondClaimReverts() public {
        _give(people[0], gapA, 1e18);
        _give(people[1], gapA, 1e18);
        _fundPool(10e18);
        qf.setRoundBudget(10e18);
        vm.warp(block.timestamp + PERIOD);
        qf.finalize(0);
        // (1 + 1)^2 - 2 = 2 tokens of match, fully covered.
        assertEq(qf.gapRoundInfo(0, gapA).matchAmount, 2e18, "match");
        qf.claim(0, gapA);
        assertEq(token.balanceOf(beneficiaryA), 4e18, "direct + match paid");
        vm.expectRevert(abi.encodeWithSelector(IQuadraticFunding.AlreadySettled.selector, 0, gapA));
        qf.claim(0, gapA);
        vm.warp(block.timestamp + GRACE);
        vm.expectRevert(abi.encodeWithSelector(IQuadraticFunding.AlreadySettled.selector, 0, gapA));
        qf.sweepGap(0, gapA);
        assertEq(token.balanceOf(beneficiaryA), 4e18, "paid once");
    }

    function testCancelledRoundRefundsExactlyOnce() public {
        _give(people[0], gapA, 3e18);
        _give(people[0], gapA, 5);
        _give(people[1], gapB, 7e18);
        qf.cancelRound(0);
        vm.prank(people[0]);
        qf.refund(0, gapA);
        assertEq(token.balanceOf(people[0]), 3e18 + 5, "refund is what was given");
        vm.expectRevert(
            abi.encodeWithSelector(IQuadraticFunding.NothingToRefund.selector, 0, gapA, people[0])
        );
        vm.prank(people[0]);
        qf.refund(0, gapA);
        vm.expectRevert(abi.encodeWithSelector(IQuadraticFunding.WrongRoundStatus.selector, 0, 2));
        qf.claim(0, gapB);
        assertEq(token.balanceOf(address(qf)), 7e18, "the other refund stays escrowed");
    }

    // ------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------

    function _give(address who, uint256 gapId, uint256 amount) internal {
        token.mint(who, amount);
        vm.startPrank(who);
        token.approve(address(qf), type(uint256).max);
        qf.contribute(gapId, amount);
        vm.stopPrank();
    }

    function _fundPool(uint256 amount) internal {
        token.mint(funder, amount);
        vm.startPrank(funder);
        token.approve(address(qf), amount);
        qf.fundPool(amount);
        vm.stopPrank();
    }

    function _assertSameGap(uint256 round, string memory when) internal view {
        IQuadraticFunding.GapRoundInfo memory ga = qf.gapRoundInfo(round, gapA);
        IQuadraticFunding.GapRoundInfo memory gb = qf.gapRoundInfo(round, gapB);
        assertEq(ga.direct, gb.direct, string.concat("direct, ", when));
        assertEq(ga.sumSqrt, gb.sumSqrt, string.concat("sumSqrt, ", when));
        assertEq(ga.idealMatch, gb.idealMatch, string.concat("idealMatch, ", when));
        assertEq(ga.matchAmount, gb.matchAmount, string.concat("matchAmount, ", when));
        assertLe(ga.idealMatch, gb.idealMatch, string.concat("split ideal never larger, ", when));
        assertLe(ga.matchAmount, gb.matchAmount, string.concat("split match never larger, ", when));
        // And T is the sum of the two ideals.
        assertEq(
            qf.roundInfo(round).totalIdeal,
            ga.idealMatch + gb.idealMatch,
            string.concat("T, ", when)
        );
    }

    /// While A has only part of what B has, A's ideal is at most B's.
    function _assertSplitNeverLarger(uint256 round, string memory when) internal view {
        IQuadraticFunding.GapRoundInfo memory ga = qf.gapRoundInfo(round, gapA);
        IQuadraticFunding.GapRoundInfo memory gb = qf.gapRoundInfo(round, gapB);
        assertLe(ga.direct, gb.direct, string.concat("direct, ", when));
        assertLe(ga.sumSqrt, gb.sumSqrt, string.concat("sumSqrt, ", when));
        assertLe(ga.idealMatch, gb.idealMatch, string.concat("idealMatch, ", when));
    }

    /// Finalizes with a fuzzed budget (binding or not) and checks both gaps get the same match
    /// and the same payout.
    function _finalizeAndCompare(uint256 round, uint256 budget) internal {
        uint256 totalIdeal = qf.roundInfo(round).totalIdeal;
        budget = bound(budget, 0, totalIdeal + 1e18);
        if (budget > 0) _fundPool(budget);
        qf.setRoundBudget(budget);
        vm.warp(qf.roundInfo(round).end);
        qf.finalize(round);
        _assertSameGap(round, "after finalize");
        IQuadraticFunding.GapRoundInfo memory ga = qf.gapRoundInfo(round, gapA);
        qf.claim(round, gapA);
        qf.claim(round, gapB);
        assertEq(token.balanceOf(beneficiaryA), ga.direct + ga.matchAmount, "A payout");
        assertEq(
            token.balanceOf(beneficiaryA),
            token.balanceOf(beneficiaryB),
            "same payout split or not"
        );
        IQuadraticFunding.RoundInfo memory info = qf.roundInfo(round);
        assertLe(info.matchPaid, info.reserved, "matchPaid <= reserved");
        assertLe(2 * ga.matchAmount, budget, "matches within budget");
    }
}
