// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IQuadraticFunding
/// @notice Quadratic funding of knowledge gaps with an escrowed ERC-20, recurring rounds and a
/// capital-constrained matching pool (Buterin, Hitzig and Weyl, "Liberal Radicalism", 2018).
///
/// Rule for a gap g in round r, with c_i the cumulative amount contributor i gave to g in r:
///     C_g     = sum c_i
///     S_g     = sum floor(sqrt(c_i * 1e18))              (PRBMath UD60x18.sqrt)
///     ideal_g = max(0, floor(S_g^2 / 1e18) - C_g)
///     T       = sum ideal_g
///     match_g = ideal_g                        if T <= budget
///             = floor(ideal_g * budget / T)    otherwise
///     alpha   = 0 if T == 0, 1e18 if T <= budget, floor(budget * 1e18 / T) otherwise
/// The beneficiary of g is paid C_g + match_g. Everything is kept as running sums, so finalize
/// and claim cost the same gas for one gap or a hundred thousand.
///
/// Rounds: round r covers [START + r * PERIOD, START + (r + 1) * PERIOD). A contribution goes to
/// the round open at the block's timestamp.
///
/// Roles: DEFAULT_ADMIN_ROLE (grants roles, cancels rounds, sets the per-round budget),
/// KEEPER_ROLE (finalizes ended rounds), REGISTRAR_ROLE (registers gaps, sets beneficiaries,
/// closes gaps). No role can move escrowed or pooled tokens anywhere except as described here.
///
/// @dev Warning: the token must be a plain ERC-20. Tokens that deliver less than the amount asked
/// for (fee-on-transfer, deflationary) are rejected at every incoming transfer with
/// `TokenDeliveredLess`. Rebasing tokens are not supported: a negative rebase would leave the
/// escrow short and a positive one leaves a surplus nobody can withdraw.
/// @dev Warning: tokens with transfer hooks (ERC-777 style) cannot re-enter: every function that
/// moves tokens is `nonReentrant`.
/// @dev Warning: tokens that return `false` instead of reverting are handled (SafeERC20).
/// @dev Warning: a token that blocks transfers to a beneficiary (blocklist) blocks that claim only;
/// after the grace period the gap's payout can be swept back to the pool.
interface IQuadraticFunding {
    // ------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------

    /// @notice Status of a round. `Open` also covers a round that has ended but is not finalized.
    enum RoundStatus {
        Open,
        Finalized,
        Cancelled,
        Swept
    }

    /// @notice Everything known about a round.
    /// @param start First second of the round.
    /// @param end First second after the round.
    /// @param status See `RoundStatus`.
    /// @param contributions Number of contributions made in the round.
    /// @param gapsFunded Number of gaps that received at least one contribution.
    /// @param totalIdeal T, the sum of the gaps' ideal matches (running total while open).
    /// @param budget The budget snapshotted at finalize (0 before).
    /// @param reserved min(T, budget): what was taken from the pool at finalize.
    /// @param matchPaid Sum of the matches paid out by claims (or swept back) so far.
    /// @param alphaWad The matching factor in 1e18 units (see the rule above; 0 before finalize).
    /// @param finalizedAt Timestamp of finalize (0 before).
    struct RoundInfo {
        uint256 start;
        uint256 end;
        RoundStatus status;
        uint256 contributions;
        uint256 gapsFunded;
        uint256 totalIdeal;
        uint256 budget;
        uint256 reserved;
        uint256 matchPaid;
        uint256 alphaWad;
        uint256 finalizedAt;
    }

    /// @notice Everything known about one gap in one round.
    /// @param direct C_g, the sum of contributions.
    /// @param sumSqrt S_g, in 1e18-scaled square-root units.
    /// @param idealMatch max(0, S_g^2 / 1e18 - C_g).
    /// @param matchAmount The match: final once the round is finalized, else the match the gap
    /// would get if the round were finalized now with the current pool and budget.
    /// @param beneficiary Who is paid for this round (recorded at the first contribution and kept
    /// once the round has ended).
    /// @param settled True once the payout was claimed or swept (never set in a cancelled round).
    struct GapRoundInfo {
        uint256 direct;
        uint256 sumSqrt;
        uint256 idealMatch;
        uint256 matchAmount;
        address beneficiary;
        bool settled;
    }

    // ------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------

    /// @notice A gap was registered.
    event GapRegistered(uint256 indexed gapId, address indexed beneficiary, string label);

    /// @notice A gap's beneficiary changed; it applies to the open round and later rounds.
    event BeneficiaryChanged(uint256 indexed gapId, address indexed previous, address indexed next);

    /// @notice A gap stopped taking contributions (those already made this round still count).
    event GapClosed(uint256 indexed gapId);

    /// @notice A contribution was escrowed.
    /// @param round The round it counts in.
    /// @param gapId The gap funded.
    /// @param contributor The sender (or permit signer, who is always the sender).
    /// @param id Index of the contribution within the round, starting at 1; (round, id) is unique.
    /// @param amount Tokens received. (The contributor's running total is `contributionOf`.)
    /// @param timestamp Block timestamp.
    event Contributed(
        uint256 indexed round,
        uint256 indexed gapId,
        address indexed contributor,
        uint256 id,
        uint256 amount,
        uint256 timestamp
    );

    /// @notice Tokens were added to the matching pool.
    event PoolFunded(address indexed funder, uint256 amount, uint256 poolAfter);

    /// @notice The configured per-round budget changed (applies to rounds finalized from now on).
    event RoundBudgetSet(uint256 budget);

    /// @notice A round was finalized.
    /// @param budget The snapshotted budget, min(configured budget, pool).
    /// @param totalIdeal T.
    /// @param reserved min(T, budget), taken from the pool; the rest of the budget stays there.
    /// @param alphaWad The matching factor.
    event RoundFinalized(
        uint256 indexed round,
        uint256 budget,
        uint256 totalIdeal,
        uint256 reserved,
        uint256 alphaWad,
        uint256 gapsFunded,
        uint256 contributions
    );

    /// @notice A round was cancelled; contributors can take refunds.
    event RoundCancelled(uint256 indexed round);

    /// @notice A gap's payout for a round was sent to its beneficiary.
    event Claimed(
        uint256 indexed round,
        uint256 indexed gapId,
        address indexed beneficiary,
        uint256 direct,
        uint256 matchAmount
    );

    /// @notice A contributor took back a contribution from a cancelled round.
    event Refunded(
        uint256 indexed round,
        uint256 indexed gapId,
        address indexed contributor,
        uint256 amount
    );

    /// @notice An unclaimed gap payout went back to the pool after the grace period.
    event GapSwept(uint256 indexed round, uint256 indexed gapId, uint256 amount);

    /// @notice A round's unpaid matches and rounding dust went back to the pool.
    event RoundSwept(uint256 indexed round, uint256 amount);

    // ------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------

    /// @notice A zero amount was given.
    error ZeroAmount();
    /// @notice An amount does not fit the contract's accounting (sums are kept in 120 bits).
    error AmountTooLarge(uint256 amount);
    /// @notice The gap id is not registered.
    error UnknownGap(uint256 gapId);
    /// @notice The gap is closed to contributions.
    error GapIsClosed(uint256 gapId);
    /// @notice Zero address given where an address is required.
    error ZeroAddress();
    /// @notice The escrow itself or its token cannot be a beneficiary.
    error InvalidBeneficiary(address beneficiary);
    /// @notice The token delivered less than asked for (fee-on-transfer tokens are rejected).
    error TokenDeliveredLess(uint256 expected, uint256 received);
    /// @notice Contributions before the first round starts.
    error NotStarted(uint256 startsAt);
    /// @notice The round has not ended yet.
    error RoundNotEnded(uint256 round, uint256 endsAt);
    /// @notice The round is in the wrong status for this call.
    error WrongRoundStatus(uint256 round, RoundStatus status);
    /// @notice The round lies in the future.
    error RoundInFuture(uint256 round, uint256 currentRound);
    /// @notice The gap's payout for the round was already claimed, swept or refunded.
    error AlreadySettled(uint256 round, uint256 gapId);
    /// @notice The gap received nothing in the round.
    error NothingToClaim(uint256 round, uint256 gapId);
    /// @notice The caller has nothing to refund for this round and gap.
    error NothingToRefund(uint256 round, uint256 gapId, address contributor);
    /// @notice The grace period has not passed.
    error GracePeriodActive(uint256 round, uint256 sweepableAt);
    /// @notice The gap's latest funded round has ended and is not paid: its beneficiary is locked.
    error BeneficiaryLocked(uint256 gapId, uint256 round);
    /// @notice Array arguments differ in length or are empty.
    error BadBatch(uint256 gapsLength, uint256 amountsLength);
    /// @notice A permit did not go through and the allowance does not cover the amount.
    error PermitRejected(address owner, uint256 amount, uint256 allowance);
    /// @notice Constructor parameters out of range.
    error BadConfig();

    // ------------------------------------------------------------------------------------------
    // Gap registry (REGISTRAR_ROLE)
    // ------------------------------------------------------------------------------------------

    /// @notice Registers a gap. Ids are sequential from 1.
    /// @param beneficiary Who receives the gap's payouts.
    /// @param label Free text (e.g. the off-chain gap id), only emitted.
    /// @return gapId The new gap's id.
    function registerGap(
        address beneficiary,
        string calldata label
    ) external returns (uint256 gapId);

    /// @notice Changes the beneficiary of a gap for the open round and later rounds.
    /// @dev Ended rounds always pay the beneficiary recorded for them, whatever happens later.
    /// As a guard against that being misread, the call reverts with `BeneficiaryLocked` while the
    /// latest round that funded the gap has ended and is unpaid (not claimed, swept, cancelled).
    /// The guard looks only at that latest round: older unpaid rounds, or an ended round followed
    /// by a new contribution, keep their recorded beneficiary without a revert.
    function setBeneficiary(uint256 gapId, address beneficiary) external;

    /// @notice Closes a gap to new contributions. Contributions already made keep counting.
    function closeGap(uint256 gapId) external;

    // ------------------------------------------------------------------------------------------
    // Contributions (anyone; the contributor is always msg.sender)
    // ------------------------------------------------------------------------------------------

    /// @notice Contributes `amount` tokens to `gapId` in the open round. Needs an allowance.
    function contribute(uint256 gapId, uint256 amount) external;

    /// @notice Contributes to several gaps in one transaction, pulling the total once.
    function contributeBatch(uint256[] calldata gapIds, uint256[] calldata amounts) external;

    /// @notice Contributes using an EIP-2612 permit signed by msg.sender.
    /// @dev If the permit fails (for example because someone front-ran it) the contribution still
    /// goes through when the allowance already covers it; otherwise `PermitRejected`. A replayed
    /// permit therefore never spends more than the signer approved.
    function contributeWithPermit(
        uint256 gapId,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    // ------------------------------------------------------------------------------------------
    // Matching pool
    // ------------------------------------------------------------------------------------------

    /// @notice Adds tokens to the matching pool. Anyone may fund it; funds cannot be withdrawn,
    /// only spent on matches.
    function fundPool(uint256 amount) external;

    /// @notice Sets the budget each finalized round may take from the pool (DEFAULT_ADMIN_ROLE).
    function setRoundBudget(uint256 budget) external;

    // ------------------------------------------------------------------------------------------
    // Round lifecycle
    // ------------------------------------------------------------------------------------------

    /// @notice Finalizes an ended round (KEEPER_ROLE): snapshots the budget as
    /// min(configured budget, pool), takes min(T, budget) from the pool and records alpha.
    function finalize(uint256 round) external;

    /// @notice Cancels a round that is not finalized (DEFAULT_ADMIN_ROLE). Contributors then
    /// take refunds; the round takes nothing from the pool.
    function cancelRound(uint256 round) external;

    /// @notice Pays a gap's direct contributions plus its match for a finalized round to the
    /// beneficiary recorded for that round. Callable by anyone, once.
    function claim(uint256 round, uint256 gapId) external;

    /// @notice Returns the caller's contributions to `gapId` in a cancelled round.
    function refund(uint256 round, uint256 gapId) external;

    /// @notice Returns the caller's contributions to several gaps of a cancelled round.
    function refundBatch(uint256 round, uint256[] calldata gapIds) external;

    /// @notice After the grace period, sends an unclaimed gap payout (direct and, if the round's
    /// matches were not swept yet, its match) to the matching pool. Callable by anyone.
    function sweepGap(uint256 round, uint256 gapId) external;

    /// @notice After the grace period, returns the round's unpaid matches and rounding dust to
    /// the pool and closes its claims. Callable by anyone.
    function sweepRound(uint256 round) external;

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @notice The escrowed token.
    function TOKEN() external view returns (address);

    /// @notice First second of round 0.
    function START() external view returns (uint256);

    /// @notice Length of a round in seconds.
    function PERIOD() external view returns (uint256);

    /// @notice Seconds after finalize before unclaimed payouts can be swept (at least one day).
    function GRACE_PERIOD() external view returns (uint256);

    /// @notice The round open now. Reverts with `NotStarted` before START.
    function currentRound() external view returns (uint256);

    /// @notice Tokens in the matching pool that no round has reserved.
    function matchingPool() external view returns (uint256);

    /// @notice The configured per-round budget.
    function roundBudget() external view returns (uint256);

    /// @notice Number of gaps registered (ids are 1..gapCount).
    function gapCount() external view returns (uint256);

    /// @notice A gap's registry entry.
    /// @return beneficiary Current beneficiary (zero if the gap does not exist).
    /// @return closed Whether the gap is closed to contributions.
    /// @return lastFundedRound The latest round that funded it (meaningful if `funded`).
    /// @return funded Whether any round funded it.
    function gap(
        uint256 gapId
    )
        external
        view
        returns (address beneficiary, bool closed, uint256 lastFundedRound, bool funded);

    /// @notice Everything known about a round.
    function roundInfo(uint256 round) external view returns (RoundInfo memory);

    /// @notice Everything known about a gap in a round.
    function gapRoundInfo(uint256 round, uint256 gapId) external view returns (GapRoundInfo memory);

    /// @notice A contributor's cumulative amount and its scaled square root for a gap in a round.
    function contributionOf(
        uint256 round,
        uint256 gapId,
        address contributor
    ) external view returns (uint256 amount, uint256 sqrtScaled);
}
