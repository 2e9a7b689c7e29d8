/**
 * On-chain tests of QuadraticFunding (contracts/qf/QuadraticFunding.sol) against the spec in
 * contracts/interfaces/IQuadraticFunding.sol and the exact off-chain math in src/qf.ts.
 *
 * Layout: happy paths of every function, every revert path, the design's hand examples,
 * differential tests of random rounds against `computeRound`, and hostile tokens.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "mocha";
import {
  type Address,
  type Hash,
  type Hex,
  decodeErrorResult,
  encodeFunctionData,
  getAddress,
  keccak256,
  maxUint256,
  parseEventLogs,
  parseSignature,
  toHex,
  zeroAddress,
} from "viem";

import {
  type Contribution,
  RoundAccumulator,
  WAD,
  alphaWad,
  computeRound,
  idealMatch,
  matchFor,
  sqrtScaled,
} from "../src/qf.js";
import {
  BUDGET,
  CROWD_GAPS,
  CROWD_SIZE,
  GAP_COUNT,
  GRACE,
  MINT,
  ONE,
  PERIOD,
  POOL,
  Status,
  createCrowdFixture,
  createQfFixture,
} from "./helpers/qfFixture.js";
import { balanceDeltas } from "./helpers/balances.js";
import { Rng } from "./helpers/rng.js";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const publicClient = await viem.getPublicClient();

const qfFixture = createQfFixture(connection);
const crowdFixture = createCrowdFixture(connection);

const MAX_120 = (1n << 120n) - 1n;
const MAX_128 = (1n << 128n) - 1n;
const DAY = 86_400n;

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

/** Waits for a transaction and checks it succeeded. */
async function mined(hash: Hash | Promise<Hash>) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  expect(receipt.status).to.equal("success");
  return receipt;
}

async function blockTimestamp(blockNumber: bigint): Promise<bigint> {
  return (await publicClient.getBlock({ blockNumber })).timestamp;
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Moves time to the first second of round `round + 1`, so `round` has ended. */
async function endRound(start: bigint, round: bigint): Promise<void> {
  await time.increaseTo(start + (round + 1n) * PERIOD);
}

/** A deployment promise turned into a hash promise, for the revert assertions. */
function deployment(promise: Promise<unknown>): Promise<Hash> {
  return promise.then(() => "0x" as Hash);
}

/** Amounts from 1 wei to 1,000 tokens, skewed so that rounding of the roots matters. */
function randomAmount(rng: Rng): bigint {
  switch (rng.int(5)) {
    case 0:
      return rng.range(1n, 1_000n);
    case 1:
      return rng.range(1n, ONE);
    case 2:
      return BigInt(rng.int(50) + 1) * ONE;
    case 3:
      return rng.range(ONE, 1_000n * ONE);
    default:
      return rng.range(1n, 10n ** BigInt(rng.int(21) + 1));
  }
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

describe("QuadraticFunding", () => {
  // ----------------------------------------------------------------------------------------------
  describe("deployment", () => {
    it("constructor: sets the token, timing, budget and roles (Ignition module)", async () => {
      const { qf, token, admin, keeper, registrar, outsider, start } = await loadFixture(qfFixture);
      expect(sameAddress(await qf.read.TOKEN(), token.address)).to.equal(true);
      expect(await qf.read.START()).to.equal(start);
      expect(BigInt(await time.latest()) >= start).to.equal(true);
      expect(await qf.read.PERIOD()).to.equal(PERIOD);
      expect(await qf.read.GRACE_PERIOD()).to.equal(GRACE);
      expect(await qf.read.roundBudget()).to.equal(BUDGET);
      expect(await qf.read.currentRound()).to.equal(0n);

      const adminRole = await qf.read.DEFAULT_ADMIN_ROLE();
      const keeperRole = await qf.read.KEEPER_ROLE();
      const registrarRole = await qf.read.REGISTRAR_ROLE();
      expect(keeperRole).to.equal(keccak256(toHex("KEEPER_ROLE")));
      expect(registrarRole).to.equal(keccak256(toHex("REGISTRAR_ROLE")));
      expect(await qf.read.hasRole([adminRole, admin.account.address])).to.equal(true);
      expect(await qf.read.hasRole([keeperRole, keeper.account.address])).to.equal(true);
      expect(await qf.read.hasRole([registrarRole, registrar.account.address])).to.equal(true);
      expect(await qf.read.hasRole([keeperRole, admin.account.address])).to.equal(false);
      expect(await qf.read.hasRole([registrarRole, admin.account.address])).to.equal(false);
      expect(await qf.read.hasRole([adminRole, keeper.account.address])).to.equal(false);
      expect(await qf.read.hasRole([adminRole, outsider.account.address])).to.equal(false);
    });

    it("constructor: start = 0 means the deployment block's timestamp; zero keeper and registrar grant nothing", async () => {
      const { token, admin } = await loadFixture(qfFixture);
      const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction(
        "QuadraticFunding",
        [token.address, admin.account.address, zeroAddress, zeroAddress, 0n, 60n, DAY, 7n],
      );
      const receipt = await mined(deploymentTransaction.hash);
      expect(await contract.read.START()).to.equal(await blockTimestamp(receipt.blockNumber));
      expect(await contract.read.PERIOD()).to.equal(60n);
      expect(await contract.read.GRACE_PERIOD()).to.equal(DAY);
      expect(await contract.read.roundBudget()).to.equal(7n);
      const logs = parseEventLogs({
        abi: contract.abi,
        logs: receipt.logs,
        eventName: "RoundBudgetSet",
      });
      expect(logs.map((l) => l.args.budget)).to.deep.equal([7n]);
      const keeperRole = await contract.read.KEEPER_ROLE();
      const registrarRole = await contract.read.REGISTRAR_ROLE();
      expect(await contract.read.hasRole([keeperRole, zeroAddress])).to.equal(false);
      expect(await contract.read.hasRole([registrarRole, zeroAddress])).to.equal(false);
      await viem.assertions.revertWithCustomErrorWithArgs(
        contract.write.registerGap([admin.account.address, "x"], { account: admin.account }),
        contract,
        "AccessControlUnauthorizedAccount",
        [admin.account.address, registrarRole],
      );
    });

    it("constructor: reverts with ZeroAddress for a zero token or a zero admin", async () => {
      const { qf, token, admin } = await loadFixture(qfFixture);
      const a = admin.account.address;
      await viem.assertions.revertWithCustomError(
        deployment(
          viem.deployContract("QuadraticFunding", [zeroAddress, a, a, a, 0n, PERIOD, GRACE, 0n]),
        ),
        qf,
        "ZeroAddress",
      );
      await viem.assertions.revertWithCustomError(
        deployment(
          viem.deployContract("QuadraticFunding", [
            token.address,
            zeroAddress,
            a,
            a,
            0n,
            PERIOD,
            GRACE,
            0n,
          ]),
        ),
        qf,
        "ZeroAddress",
      );
    });

    it("constructor: reverts with BadConfig for period < 60, period > 365 days, grace < 1 day or > 3650 days, start >= 2^40", async () => {
      const { qf, token, admin } = await loadFixture(qfFixture);
      const a = admin.account.address;
      const t = token.address;
      const bad: [bigint, bigint, bigint][] = [
        [0n, 59n, GRACE],
        [0n, PERIOD, 0n],
        [0n, PERIOD, DAY - 1n],
        [0n, 0n, GRACE],
        [0n, 365n * DAY + 1n, GRACE],
        [0n, PERIOD, 3650n * DAY + 1n],
        [1n << 40n, PERIOD, GRACE],
      ];
      for (const [start, period, grace] of bad) {
        await viem.assertions.revertWithCustomError(
          deployment(
            viem.deployContract("QuadraticFunding", [t, a, a, a, start, period, grace, 0n]),
          ),
          qf,
          "BadConfig",
        );
      }
      // The bounds themselves are accepted.
      const edge = await viem.deployContract("QuadraticFunding", [
        t,
        a,
        a,
        a,
        (1n << 40n) - 1n,
        365n * DAY,
        3650n * DAY,
        MAX_120,
      ]);
      expect(await edge.read.PERIOD()).to.equal(365n * DAY);
      expect(await edge.read.GRACE_PERIOD()).to.equal(3650n * DAY);
      expect(await edge.read.START()).to.equal((1n << 40n) - 1n);
      expect(await edge.read.roundBudget()).to.equal(MAX_120);
    });

    it("constructor: reverts with AmountTooLarge for a budget of 2^120", async () => {
      const { qf, token, admin } = await loadFixture(qfFixture);
      const a = admin.account.address;
      await viem.assertions.revertWithCustomErrorWithArgs(
        deployment(
          viem.deployContract("QuadraticFunding", [
            token.address,
            a,
            a,
            a,
            0n,
            PERIOD,
            GRACE,
            1n << 120n,
          ]),
        ),
        qf,
        "AmountTooLarge",
        [1n << 120n],
      );
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("gap registry", () => {
    it("registerGap: assigns sequential ids, records the beneficiary and emits GapRegistered", async () => {
      const { qf, registrar, spare, beneficiaries } = await loadFixture(qfFixture);
      expect(await qf.read.gapCount()).to.equal(BigInt(GAP_COUNT));
      for (let i = 0; i < GAP_COUNT; i++) {
        const [beneficiary, closed, lastFundedRound, funded] = await qf.read.gap([BigInt(i + 1)]);
        expect(sameAddress(beneficiary, beneficiaries[i].account.address)).to.equal(true);
        expect([closed, lastFundedRound, funded]).to.deep.equal([false, 0n, false]);
      }
      const { result } = await qf.simulate.registerGap([spare.account.address, "simulated"], {
        account: registrar.account.address,
      });
      expect(result).to.equal(BigInt(GAP_COUNT + 1));
      await viem.assertions.emitWithArgs(
        qf.write.registerGap([spare.account.address, "KG-0042: missing benchmark"], {
          account: registrar.account,
        }),
        qf,
        "GapRegistered",
        [BigInt(GAP_COUNT + 1), spare.account.address, "KG-0042: missing benchmark"],
      );
      expect(await qf.read.gapCount()).to.equal(BigInt(GAP_COUNT + 1));
      const [beneficiary, closed, , funded] = await qf.read.gap([BigInt(GAP_COUNT + 1)]);
      expect(sameAddress(beneficiary, spare.account.address)).to.equal(true);
      expect(closed).to.equal(false);
      expect(funded).to.equal(false);
      // The same beneficiary may serve several gaps.
      await mined(
        qf.write.registerGap([spare.account.address, ""], { account: registrar.account }),
      );
      expect(await qf.read.gapCount()).to.equal(BigInt(GAP_COUNT + 2));
    });

    it("registerGap: reverts with ZeroAddress for a zero beneficiary", async () => {
      const { qf, registrar } = await loadFixture(qfFixture);
      await viem.assertions.revertWithCustomError(
        qf.write.registerGap([zeroAddress, "x"], { account: registrar.account }),
        qf,
        "ZeroAddress",
      );
      expect(await qf.read.gapCount()).to.equal(BigInt(GAP_COUNT));
    });

    it("registerGap: reverts with AccessControlUnauthorizedAccount without REGISTRAR_ROLE", async () => {
      const { qf, admin, outsider, spare } = await loadFixture(qfFixture);
      const role = await qf.read.REGISTRAR_ROLE();
      for (const w of [outsider, admin]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.registerGap([spare.account.address, "x"], { account: w.account }),
          qf,
          "AccessControlUnauthorizedAccount",
          [w.account.address, role],
        );
      }
    });

    it("setBeneficiary: changes an unfunded gap's beneficiary for later rounds and emits BeneficiaryChanged", async () => {
      const { qf, registrar, beneficiaries, spare, contributors } = await loadFixture(qfFixture);
      await viem.assertions.emitWithArgs(
        qf.write.setBeneficiary([1n, spare.account.address], { account: registrar.account }),
        qf,
        "BeneficiaryChanged",
        [1n, beneficiaries[0].account.address, spare.account.address],
      );
      const [beneficiary] = await qf.read.gap([1n]);
      expect(sameAddress(beneficiary, spare.account.address)).to.equal(true);
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      const info = await qf.read.gapRoundInfo([0n, 1n]);
      expect(sameAddress(info.beneficiary, spare.account.address)).to.equal(true);
    });

    it("setBeneficiary: in the open round it also redirects the round's recorded beneficiary, and claim pays the new one", async () => {
      const { qf, token, registrar, keeper, beneficiaries, spare, contributors, start } =
        await loadFixture(qfFixture);
      await mined(qf.write.contribute([1n, 4n * ONE], { account: contributors[0].account }));
      await mined(qf.write.contribute([1n, 9n * ONE], { account: contributors[1].account }));
      expect(
        sameAddress(
          (await qf.read.gapRoundInfo([0n, 1n])).beneficiary,
          beneficiaries[0].account.address,
        ),
      ).to.equal(true);
      await viem.assertions.emitWithArgs(
        qf.write.setBeneficiary([1n, spare.account.address], { account: registrar.account }),
        qf,
        "BeneficiaryChanged",
        [1n, beneficiaries[0].account.address, spare.account.address],
      );
      expect(
        sameAddress((await qf.read.gapRoundInfo([0n, 1n])).beneficiary, spare.account.address),
      ).to.equal(true);
      // Contributions after the change keep the new beneficiary.
      await mined(qf.write.contribute([1n, ONE], { account: contributors[2].account }));
      expect(
        sameAddress((await qf.read.gapRoundInfo([0n, 1n])).beneficiary, spare.account.address),
      ).to.equal(true);

      await endRound(start, 0n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      const info = await qf.read.gapRoundInfo([0n, 1n]);
      const deltas = await balanceDeltas(
        token,
        [spare.account.address, beneficiaries[0].account.address],
        () => mined(qf.write.claim([0n, 1n])),
      );
      expect(deltas).to.deep.equal([info.direct + info.matchAmount, 0n]);
    });

    it("setBeneficiary: a gap funded in an ended round and again in the open round is redirected for the open round only", async () => {
      const { qf, token, registrar, keeper, beneficiaries, spare, contributors, start } =
        await loadFixture(qfFixture);
      const old = beneficiaries[0].account.address;
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      await endRound(start, 0n);
      // The ended round 0 is unpaid, but round 1 is now the gap's latest funded round.
      await mined(qf.write.contribute([1n, 2n * ONE], { account: contributors[1].account }));
      await mined(
        qf.write.setBeneficiary([1n, spare.account.address], { account: registrar.account }),
      );
      expect(sameAddress((await qf.read.gapRoundInfo([0n, 1n])).beneficiary, old)).to.equal(true);
      expect(
        sameAddress((await qf.read.gapRoundInfo([1n, 1n])).beneficiary, spare.account.address),
      ).to.equal(true);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      const deltas = await balanceDeltas(token, [old, spare.account.address], () =>
        mined(qf.write.claim([0n, 1n])),
      );
      expect(deltas).to.deep.equal([ONE, 0n]);
    });

    it("setBeneficiary: reverts with BeneficiaryLocked after the round ended until it is paid, then is allowed again", async () => {
      const { qf, registrar, keeper, spare, beneficiaries, contributors, start } =
        await loadFixture(qfFixture);
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      // Still open: allowed (and reverted back to keep the recorded beneficiary).
      await mined(
        qf.write.setBeneficiary([1n, spare.account.address], { account: registrar.account }),
      );
      await mined(
        qf.write.setBeneficiary([1n, beneficiaries[0].account.address], {
          account: registrar.account,
        }),
      );
      await endRound(start, 0n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.setBeneficiary([1n, spare.account.address], { account: registrar.account }),
        qf,
        "BeneficiaryLocked",
        [1n, 0n],
      );
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.setBeneficiary([1n, spare.account.address], { account: registrar.account }),
        qf,
        "BeneficiaryLocked",
        [1n, 0n],
      );
      // Gaps that round 0 did not fund are not locked.
      await mined(
        qf.write.setBeneficiary([2n, spare.account.address], { account: registrar.account }),
      );
      await mined(qf.write.claim([0n, 1n]));
      await viem.assertions.emitWithArgs(
        qf.write.setBeneficiary([1n, spare.account.address], { account: registrar.account }),
        qf,
        "BeneficiaryChanged",
        [1n, beneficiaries[0].account.address, spare.account.address],
      );
      // The paid round keeps its recorded beneficiary.
      expect(
        sameAddress(
          (await qf.read.gapRoundInfo([0n, 1n])).beneficiary,
          beneficiaries[0].account.address,
        ),
      ).to.equal(true);
    });

    it("setBeneficiary: is allowed again after the round is cancelled or the gap is swept", async () => {
      const { qf, registrar, keeper, admin, spare, contributors, start } =
        await loadFixture(qfFixture);
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      await mined(qf.write.contribute([2n, ONE], { account: contributors[0].account }));
      await endRound(start, 0n);
      await mined(qf.write.cancelRound([0n], { account: admin.account }));
      await mined(
        qf.write.setBeneficiary([1n, spare.account.address], { account: registrar.account }),
      );

      // Round 1: funded, finalized, unclaimed, then swept after the grace period.
      await mined(qf.write.contribute([2n, ONE], { account: contributors[0].account }));
      await endRound(start, 1n);
      await mined(qf.write.finalize([1n], { account: keeper.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.setBeneficiary([2n, spare.account.address], { account: registrar.account }),
        qf,
        "BeneficiaryLocked",
        [2n, 1n],
      );
      await time.increase(GRACE);
      await mined(qf.write.sweepGap([1n, 2n]));
      await mined(
        qf.write.setBeneficiary([2n, spare.account.address], { account: registrar.account }),
      );
    });

    it("setBeneficiary: reverts with ZeroAddress, UnknownGap and AccessControlUnauthorizedAccount", async () => {
      const { qf, registrar, admin, outsider, spare } = await loadFixture(qfFixture);
      await viem.assertions.revertWithCustomError(
        qf.write.setBeneficiary([1n, zeroAddress], { account: registrar.account }),
        qf,
        "ZeroAddress",
      );
      for (const id of [0n, BigInt(GAP_COUNT + 1)]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.setBeneficiary([id, spare.account.address], { account: registrar.account }),
          qf,
          "UnknownGap",
          [id],
        );
      }
      const role = await qf.read.REGISTRAR_ROLE();
      for (const w of [outsider, admin]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.setBeneficiary([1n, spare.account.address], { account: w.account }),
          qf,
          "AccessControlUnauthorizedAccount",
          [w.account.address, role],
        );
      }
    });

    it("closeGap: before any funding in the round, it emits GapClosed and blocks contributions", async () => {
      const { qf, registrar, contributors } = await loadFixture(qfFixture);
      await viem.assertions.emitWithArgs(
        qf.write.closeGap([2n], { account: registrar.account }),
        qf,
        "GapClosed",
        [2n],
      );
      const [, closed, , funded] = await qf.read.gap([2n]);
      expect([closed, funded]).to.deep.equal([true, false]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contribute([2n, ONE], { account: contributors[0].account }),
        qf,
        "GapIsClosed",
        [2n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contributeBatch(
          [
            [1n, 2n],
            [ONE, ONE],
          ],
          { account: contributors[0].account },
        ),
        qf,
        "GapIsClosed",
        [2n],
      );
      // Other gaps are unaffected.
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      expect((await qf.read.roundInfo([0n])).contributions).to.equal(1n);
    });

    it("closeGap: after funding in the round, contributions made keep counting and are paid, new ones revert", async () => {
      const { qf, token, registrar, keeper, contributors, beneficiaries, start } =
        await loadFixture(qfFixture);
      await mined(qf.write.contribute([1n, 4n * ONE], { account: contributors[0].account }));
      await mined(qf.write.contribute([1n, 9n * ONE], { account: contributors[1].account }));
      const before = await qf.read.gapRoundInfo([0n, 1n]);
      const roundBefore = await qf.read.roundInfo([0n]);
      await mined(qf.write.closeGap([1n], { account: registrar.account }));
      expect(await qf.read.gapRoundInfo([0n, 1n])).to.deep.equal(before);
      expect(await qf.read.roundInfo([0n])).to.deep.equal(roundBefore);
      // Neither an existing nor a new contributor can add to it.
      for (const c of [contributors[0], contributors[2]]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.contribute([1n, ONE], { account: c.account }),
          qf,
          "GapIsClosed",
          [1n],
        );
      }
      await endRound(start, 0n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      // S = 2e18 + 3e18 = 5e18, S^2 = 25 tokens, C = 13 tokens: ideal 12 tokens (budget covers it).
      expect(before.idealMatch).to.equal(12n * ONE);
      const deltas = await balanceDeltas(token, [beneficiaries[0].account.address], () =>
        mined(qf.write.claim([0n, 1n])),
      );
      expect(deltas).to.deep.equal([13n * ONE + 12n * ONE]);
      // Still closed in the next round.
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contribute([1n, ONE], { account: contributors[0].account }),
        qf,
        "GapIsClosed",
        [1n],
      );
    });

    it("closeGap: a gap funded in an earlier round is closed for the open round", async () => {
      const { qf, registrar, contributors, start } = await loadFixture(qfFixture);
      await mined(qf.write.contribute([3n, ONE], { account: contributors[0].account }));
      await endRound(start, 0n);
      await mined(qf.write.closeGap([3n], { account: registrar.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contribute([3n, ONE], { account: contributors[0].account }),
        qf,
        "GapIsClosed",
        [3n],
      );
      const [, closed, lastFundedRound, funded] = await qf.read.gap([3n]);
      expect([closed, lastFundedRound, funded]).to.deep.equal([true, 0n, true]);
    });

    it("closeGap: reverts with UnknownGap and AccessControlUnauthorizedAccount", async () => {
      const { qf, registrar, admin, outsider } = await loadFixture(qfFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.closeGap([99n], { account: registrar.account }),
        qf,
        "UnknownGap",
        [99n],
      );
      const role = await qf.read.REGISTRAR_ROLE();
      for (const w of [outsider, admin]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.closeGap([1n], { account: w.account }),
          qf,
          "AccessControlUnauthorizedAccount",
          [w.account.address, role],
        );
      }
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("contributions", () => {
    it("contribute: escrows the tokens, updates every running sum and emits Contributed", async () => {
      const { qf, token, contributors, beneficiaries } = await loadFixture(qfFixture);
      const [alice, bob] = contributors;
      const a1 = 3n * ONE + 12345n;
      const deltas = await balanceDeltas(token, [alice.account.address, qf.address], async () => {
        const receipt = await mined(qf.write.contribute([2n, a1], { account: alice.account }));
        const ts = await blockTimestamp(receipt.blockNumber);
        const logs = parseEventLogs({ abi: qf.abi, logs: receipt.logs, eventName: "Contributed" });
        expect(logs).to.have.length(1);
        expect(logs[0].args.round).to.equal(0n);
        expect(logs[0].args.gapId).to.equal(2n);
        expect(sameAddress(logs[0].args.contributor, alice.account.address)).to.equal(true);
        expect(logs[0].args.id).to.equal(1n);
        expect(logs[0].args.amount).to.equal(a1);
        expect(logs[0].args.timestamp).to.equal(ts);
      });
      expect(deltas).to.deep.equal([-a1, a1]);
      expect(await qf.read.contributionOf([0n, 2n, alice.account.address])).to.deep.equal([
        a1,
        sqrtScaled(a1),
      ]);
      expect(await qf.read.gapRoundInfo([0n, 2n])).to.deep.equal({
        direct: a1,
        sumSqrt: sqrtScaled(a1),
        idealMatch: 0n,
        matchAmount: 0n,
        beneficiary: getAddress(beneficiaries[1].account.address),
        settled: false,
      });
      let round = await qf.read.roundInfo([0n]);
      expect([round.contributions, round.gapsFunded, round.totalIdeal]).to.deep.equal([1n, 1n, 0n]);
      expect(await qf.read.gap([2n])).to.deep.equal([
        getAddress(beneficiaries[1].account.address),
        false,
        0n,
        true,
      ]);

      // A second contributor and a repeat by the first.
      const b1 = 7n * ONE;
      const a2 = 1n;
      await viem.assertions.emitWithArgs(
        qf.write.contribute([2n, b1], { account: bob.account }),
        qf,
        "Contributed",
        [0n, 2n, bob.account.address, 2n, b1, (t: bigint) => t > 0n],
      );
      await viem.assertions.emitWithArgs(
        qf.write.contribute([2n, a2], { account: alice.account }),
        qf,
        "Contributed",
        [0n, 2n, alice.account.address, 3n, a2, (t: bigint) => t > 0n],
      );
      const sumSqrt = sqrtScaled(a1 + a2) + sqrtScaled(b1);
      const ideal = idealMatch(sumSqrt, a1 + a2 + b1);
      expect(ideal > 0n).to.equal(true);
      expect(await qf.read.contributionOf([0n, 2n, alice.account.address])).to.deep.equal([
        a1 + a2,
        sqrtScaled(a1 + a2),
      ]);
      expect(await qf.read.contributionOf([0n, 2n, bob.account.address])).to.deep.equal([
        b1,
        sqrtScaled(b1),
      ]);
      const g = await qf.read.gapRoundInfo([0n, 2n]);
      expect([g.direct, g.sumSqrt, g.idealMatch]).to.deep.equal([a1 + a2 + b1, sumSqrt, ideal]);
      round = await qf.read.roundInfo([0n]);
      expect([round.contributions, round.gapsFunded, round.totalIdeal]).to.deep.equal([
        3n,
        1n,
        ideal,
      ]);
      expect(await token.read.balanceOf([qf.address])).to.equal(POOL + a1 + a2 + b1);
    });

    it("contribute: counts in the round open at the block's timestamp", async () => {
      const { qf, contributors, start } = await loadFixture(qfFixture);
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      await endRound(start, 0n);
      expect(await qf.read.currentRound()).to.equal(1n);
      await viem.assertions.emitWithArgs(
        qf.write.contribute([1n, 2n * ONE], { account: contributors[0].account }),
        qf,
        "Contributed",
        [1n, 1n, contributors[0].account.address, 1n, 2n * ONE, (t: bigint) => t >= start + PERIOD],
      );
      expect(await qf.read.contributionOf([0n, 1n, contributors[0].account.address])).to.deep.equal(
        [ONE, sqrtScaled(ONE)],
      );
      expect(await qf.read.contributionOf([1n, 1n, contributors[0].account.address])).to.deep.equal(
        [2n * ONE, sqrtScaled(2n * ONE)],
      );
      expect((await qf.read.roundInfo([0n])).contributions).to.equal(1n);
      expect((await qf.read.roundInfo([1n])).contributions).to.equal(1n);
      const [, , lastFundedRound, funded] = await qf.read.gap([1n]);
      expect([lastFundedRound, funded]).to.deep.equal([1n, true]);
    });

    it("contribute: reverts with ZeroAmount for a zero amount", async () => {
      const { qf, contributors } = await loadFixture(qfFixture);
      await viem.assertions.revertWithCustomError(
        qf.write.contribute([1n, 0n], { account: contributors[0].account }),
        qf,
        "ZeroAmount",
      );
    });

    it("contribute: reverts with AmountTooLarge for 2^120 or when the gap's total would reach 2^120", async () => {
      const { qf, token, contributors } = await loadFixture(qfFixture);
      const [alice, bob] = contributors;
      for (const amount of [1n << 120n, maxUint256]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.contribute([1n, amount], { account: alice.account }),
          qf,
          "AmountTooLarge",
          [amount],
        );
      }
      // 2^120 - 1 in total is accepted; one more wei from anyone is not.
      await mined(token.write.mint([alice.account.address, MAX_120]));
      await mined(qf.write.contribute([1n, MAX_120], { account: alice.account }));
      expect((await qf.read.gapRoundInfo([0n, 1n])).direct).to.equal(MAX_120);
      for (const c of [alice, bob]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.contribute([1n, 1n], { account: c.account }),
          qf,
          "AmountTooLarge",
          [1n],
        );
      }
    });

    it("contribute: reverts with AmountTooLarge when T would pass 2^128 - 1 (and nothing changes)", async () => {
      const { qf, token, crowd } = await loadFixture(crowdFixture);
      // 100 contributors give a = (2^120 - 1) / 100 each to gaps 1, 2, 3: a gap's ideal is about
      // 9,900 a ~ 2^126.6, so T passes 2^128 - 1 during the third gap.
      const a = MAX_120 / 100n;
      for (const address of crowd) {
        await token.write.mint([address, 4n * a]);
      }
      const acc = new RoundAccumulator();
      let crossed = false;
      for (const gapId of [1n, 2n, 3n]) {
        for (const address of crowd) {
          // The off-chain T after this contribution; past 2^128 - 1 the contract must refuse it.
          acc.contribute(address, gapId.toString(), a);
          if (acc.totalIdeal > MAX_128) {
            const before = await qf.read.roundInfo([0n]);
            const gapBefore = await qf.read.gapRoundInfo([0n, gapId]);
            await viem.assertions.revertWithCustomErrorWithArgs(
              qf.write.contribute([gapId, a], { account: address }),
              qf,
              "AmountTooLarge",
              [a],
            );
            expect(await qf.read.roundInfo([0n])).to.deep.equal(before);
            expect(await qf.read.gapRoundInfo([0n, gapId])).to.deep.equal(gapBefore);
            expect(before.totalIdeal <= MAX_128).to.equal(true);
            crossed = true;
            break;
          }
          await qf.write.contribute([gapId, a], { account: address });
        }
        if (crossed) break;
      }
      expect(crossed).to.equal(true);
    });

    it("contribute: reverts with UnknownGap for id 0 and ids above gapCount", async () => {
      const { qf, contributors } = await loadFixture(qfFixture);
      for (const id of [0n, BigInt(GAP_COUNT + 1), maxUint256]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.contribute([id, ONE], { account: contributors[0].account }),
          qf,
          "UnknownGap",
          [id],
        );
      }
    });

    it("contribute: reverts with WrongRoundStatus into a cancelled round", async () => {
      const { qf, admin, contributors } = await loadFixture(qfFixture);
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      await mined(qf.write.cancelRound([0n], { account: admin.account }));
      for (const gapId of [1n, 2n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.contribute([gapId, ONE], { account: contributors[0].account }),
          qf,
          "WrongRoundStatus",
          [0n, Status.Cancelled],
        );
      }
    });

    it("contribute: reverts without an allowance (no tokens move)", async () => {
      const { qf, token, permitSigner } = await loadFixture(qfFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contribute([1n, ONE], { account: permitSigner.account }),
        token,
        "ERC20InsufficientAllowance",
        [qf.address, 0n, ONE],
      );
      expect((await qf.read.roundInfo([0n])).contributions).to.equal(0n);
    });

    it("contributeBatch: credits every item, pulls the total once and equals separate contributions", async () => {
      const { qf, token, contributors } = await loadFixture(qfFixture);
      const [alice, bob] = contributors;
      const gaps = [1n, 2n, 1n, 3n];
      const amounts = [ONE, 2n * ONE + 1n, 5n, 4n * ONE];
      const total = amounts.reduce((s, x) => s + x, 0n);
      await mined(qf.write.contribute([1n, 3n * ONE], { account: bob.account }));
      const deltas = await balanceDeltas(token, [alice.account.address, qf.address], async () => {
        const receipt = await mined(
          qf.write.contributeBatch([gaps, amounts], { account: alice.account }),
        );
        const contributed = parseEventLogs({
          abi: qf.abi,
          logs: receipt.logs,
          eventName: "Contributed",
        });
        expect(
          contributed.map((l) => [l.args.round, l.args.gapId, l.args.id, l.args.amount]),
        ).to.deep.equal(gaps.map((g, i) => [0n, g, BigInt(i + 2), amounts[i]]));
        const transfers = parseEventLogs({
          abi: token.abi,
          logs: receipt.logs,
          eventName: "Transfer",
        });
        expect(transfers).to.have.length(1);
        expect(transfers[0].args.value).to.equal(total);
      });
      expect(deltas).to.deep.equal([-total, total]);
      expect(await qf.read.contributionOf([0n, 1n, alice.account.address])).to.deep.equal([
        ONE + 5n,
        sqrtScaled(ONE + 5n),
      ]);
      const acc = new RoundAccumulator();
      acc.contribute("bob", "1", 3n * ONE);
      gaps.forEach((g, i) => acc.contribute("alice", g.toString(), amounts[i]));
      const expected = acc.result(BUDGET);
      for (const gr of expected.gaps) {
        const info = await qf.read.gapRoundInfo([0n, BigInt(gr.gap)]);
        expect([info.direct, info.sumSqrt, info.idealMatch]).to.deep.equal([
          gr.direct,
          gr.sumSqrt,
          gr.idealMatch,
        ]);
      }
      const round = await qf.read.roundInfo([0n]);
      expect([round.contributions, round.gapsFunded, round.totalIdeal]).to.deep.equal([
        5n,
        3n,
        expected.totalIdeal,
      ]);
    });

    it("contributeBatch: reverts with BadBatch for mismatched lengths or an empty batch", async () => {
      const { qf, contributors } = await loadFixture(qfFixture);
      const account = contributors[0].account;
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contributeBatch([[1n, 2n], [ONE]], { account }),
        qf,
        "BadBatch",
        [2n, 1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contributeBatch([[1n], [ONE, ONE]], { account }),
        qf,
        "BadBatch",
        [1n, 2n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contributeBatch([[], []], { account }),
        qf,
        "BadBatch",
        [0n, 0n],
      );
    });

    it("contributeBatch: one bad item (zero, unknown gap, too large) reverts the whole batch", async () => {
      const { qf, token, contributors } = await loadFixture(qfFixture);
      const account = contributors[0].account;
      const balance = await token.read.balanceOf([qf.address]);
      await viem.assertions.revertWithCustomError(
        qf.write.contributeBatch(
          [
            [1n, 2n],
            [ONE, 0n],
          ],
          { account },
        ),
        qf,
        "ZeroAmount",
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contributeBatch(
          [
            [1n, 9n],
            [ONE, ONE],
          ],
          { account },
        ),
        qf,
        "UnknownGap",
        [9n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contributeBatch(
          [
            [1n, 2n],
            [ONE, 1n << 120n],
          ],
          { account },
        ),
        qf,
        "AmountTooLarge",
        [1n << 120n],
      );
      expect(await token.read.balanceOf([qf.address])).to.equal(balance);
      expect(await qf.read.roundInfo([0n])).to.include({ contributions: 0n, gapsFunded: 0n });
      expect(await qf.read.contributionOf([0n, 1n, account.address])).to.deep.equal([0n, 0n]);
    });

    describe("permits", () => {
      async function signPermit(
        f: Awaited<ReturnType<typeof qfFixture>>,
        value: bigint,
        deadline: bigint,
      ) {
        const { token, qf, permitSigner } = f;
        const owner = permitSigner.account.address;
        const signature = await permitSigner.signTypedData({
          account: permitSigner.account,
          domain: {
            name: await token.read.name(),
            version: "1",
            chainId: await publicClient.getChainId(),
            verifyingContract: token.address,
          },
          types: {
            Permit: [
              { name: "owner", type: "address" },
              { name: "spender", type: "address" },
              { name: "value", type: "uint256" },
              { name: "nonce", type: "uint256" },
              { name: "deadline", type: "uint256" },
            ],
          },
          primaryType: "Permit",
          message: {
            owner,
            spender: qf.address,
            value,
            nonce: await token.read.nonces([owner]),
            deadline,
          },
        });
        const { r, s, v, yParity } = parseSignature(signature);
        return { r, s, v: Number(v ?? BigInt(yParity + 27)) };
      }

      it("contributeWithPermit: contributes with a fresh EIP-2612 permit and no prior allowance", async () => {
        const f = await loadFixture(qfFixture);
        const { qf, token, permitSigner } = f;
        const owner = permitSigner.account.address;
        const amount = 5n * ONE + 3n;
        const deadline = BigInt(await time.latest()) + 3_600n;
        const { v, r, s } = await signPermit(f, amount, deadline);
        expect(await token.read.allowance([owner, qf.address])).to.equal(0n);
        const deltas = await balanceDeltas(token, [owner, qf.address], () =>
          viem.assertions.emitWithArgs(
            qf.write.contributeWithPermit([1n, amount, deadline, v, r, s], {
              account: permitSigner.account,
            }),
            qf,
            "Contributed",
            [0n, 1n, owner, 1n, amount, (t: bigint) => t > 0n],
          ),
        );
        expect(deltas).to.deep.equal([-amount, amount]);
        expect(await token.read.nonces([owner])).to.equal(1n);
        expect(await token.read.allowance([owner, qf.address])).to.equal(0n);
        expect(await qf.read.contributionOf([0n, 1n, owner])).to.deep.equal([
          amount,
          sqrtScaled(amount),
        ]);
      });

      it("contributeWithPermit: still goes through when the permit was front-run and the allowance covers it", async () => {
        const f = await loadFixture(qfFixture);
        const { qf, token, permitSigner, outsider } = f;
        const owner = permitSigner.account.address;
        const amount = 2n * ONE;
        const deadline = BigInt(await time.latest()) + 3_600n;
        const { v, r, s } = await signPermit(f, amount, deadline);
        // Someone submits the permit to the token first.
        await mined(
          token.write.permit([owner, qf.address, amount, deadline, v, r, s], {
            account: outsider.account,
          }),
        );
        await mined(
          qf.write.contributeWithPermit([1n, amount, deadline, v, r, s], {
            account: permitSigner.account,
          }),
        );
        expect(await qf.read.contributionOf([0n, 1n, owner])).to.deep.equal([
          amount,
          sqrtScaled(amount),
        ]);
        expect(await token.read.allowance([owner, qf.address])).to.equal(0n);
      });

      it("contributeWithPermit: reverts with PermitRejected for a replayed permit", async () => {
        const f = await loadFixture(qfFixture);
        const { qf, token, permitSigner } = f;
        const owner = permitSigner.account.address;
        const amount = 2n * ONE;
        const deadline = BigInt(await time.latest()) + 3_600n;
        const { v, r, s } = await signPermit(f, amount, deadline);
        await mined(
          qf.write.contributeWithPermit([1n, amount, deadline, v, r, s], {
            account: permitSigner.account,
          }),
        );
        const balance = await token.read.balanceOf([owner]);
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.contributeWithPermit([1n, amount, deadline, v, r, s], {
            account: permitSigner.account,
          }),
          qf,
          "PermitRejected",
          [owner, amount, 0n],
        );
        expect(await token.read.balanceOf([owner])).to.equal(balance);
        expect(await qf.read.contributionOf([0n, 1n, owner])).to.deep.equal([
          amount,
          sqrtScaled(amount),
        ]);
      });

      it("contributeWithPermit: reverts with PermitRejected for a bad signature, an expired permit or a partial allowance", async () => {
        const f = await loadFixture(qfFixture);
        const { qf, token, permitSigner } = f;
        const owner = permitSigner.account.address;
        const amount = 2n * ONE;
        const deadline = BigInt(await time.latest()) + 3_600n;
        const { v, r, s } = await signPermit(f, amount, deadline);
        // Signed for another amount: the recovered signer differs.
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.contributeWithPermit([1n, amount + 1n, deadline, v, r, s], {
            account: permitSigner.account,
          }),
          qf,
          "PermitRejected",
          [owner, amount + 1n, 0n],
        );
        // Garbage signature.
        const junk = `0x${"11".repeat(32)}` as Hex;
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.contributeWithPermit([1n, amount, deadline, 27, junk, junk], {
            account: permitSigner.account,
          }),
          qf,
          "PermitRejected",
          [owner, amount, 0n],
        );
        // Expired.
        const past = BigInt(await time.latest()) - 1n;
        const expired = await signPermit(f, amount, past);
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.contributeWithPermit([1n, amount, past, expired.v, expired.r, expired.s], {
            account: permitSigner.account,
          }),
          qf,
          "PermitRejected",
          [owner, amount, 0n],
        );
        // An allowance below the amount does not help.
        await mined(
          token.write.approve([qf.address, amount - 1n], { account: permitSigner.account }),
        );
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.contributeWithPermit([1n, amount, deadline, 27, junk, junk], {
            account: permitSigner.account,
          }),
          qf,
          "PermitRejected",
          [owner, amount, amount - 1n],
        );
        expect(await token.read.nonces([owner])).to.equal(0n);
      });

      it("contributeWithPermit: a failed permit is fine when the allowance already covers the amount", async () => {
        const { qf, contributors } = await loadFixture(qfFixture);
        const junk = `0x${"22".repeat(32)}` as Hex;
        await mined(
          qf.write.contributeWithPermit([1n, ONE, 0n, 27, junk, junk], {
            account: contributors[0].account,
          }),
        );
        expect(
          await qf.read.contributionOf([0n, 1n, contributors[0].account.address]),
        ).to.deep.equal([ONE, sqrtScaled(ONE)]);
      });

      it("contributeWithPermit: reverts with ZeroAmount and UnknownGap like contribute", async () => {
        const { qf, contributors } = await loadFixture(qfFixture);
        const junk = `0x${"22".repeat(32)}` as Hex;
        await viem.assertions.revertWithCustomError(
          qf.write.contributeWithPermit([1n, 0n, 0n, 27, junk, junk], {
            account: contributors[0].account,
          }),
          qf,
          "ZeroAmount",
        );
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.contributeWithPermit([77n, ONE, 0n, 27, junk, junk], {
            account: contributors[0].account,
          }),
          qf,
          "UnknownGap",
          [77n],
        );
      });
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("matching pool", () => {
    it("fundPool: anyone adds to the pool and PoolFunded reports the new total", async () => {
      const { qf, token, contributors } = await loadFixture(qfFixture);
      expect(await qf.read.matchingPool()).to.equal(POOL);
      const funder = contributors[4];
      const amount = 123n * ONE + 7n;
      const deltas = await balanceDeltas(token, [funder.account.address, qf.address], () =>
        viem.assertions.emitWithArgs(
          qf.write.fundPool([amount], { account: funder.account }),
          qf,
          "PoolFunded",
          [funder.account.address, amount, POOL + amount],
        ),
      );
      expect(deltas).to.deep.equal([-amount, amount]);
      expect(await qf.read.matchingPool()).to.equal(POOL + amount);
    });

    it("fundPool: reverts with ZeroAmount and with AmountTooLarge past 2^128 - 1", async () => {
      const { qf, token, admin } = await loadFixture(qfFixture);
      await viem.assertions.revertWithCustomError(
        qf.write.fundPool([0n], { account: admin.account }),
        qf,
        "ZeroAmount",
      );
      const room = MAX_128 - POOL;
      await mined(token.write.mint([admin.account.address, room + 1n]));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.fundPool([room + 1n], { account: admin.account }),
        qf,
        "AmountTooLarge",
        [room + 1n],
      );
      await mined(qf.write.fundPool([room], { account: admin.account }));
      expect(await qf.read.matchingPool()).to.equal(MAX_128);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.fundPool([1n], { account: admin.account }),
        qf,
        "AmountTooLarge",
        [1n],
      );
    });

    it("setRoundBudget: sets the budget and emits RoundBudgetSet; 2^120 - 1 is accepted", async () => {
      const { qf, admin } = await loadFixture(qfFixture);
      await viem.assertions.emitWithArgs(
        qf.write.setRoundBudget([42n], { account: admin.account }),
        qf,
        "RoundBudgetSet",
        [42n],
      );
      expect(await qf.read.roundBudget()).to.equal(42n);
      await mined(qf.write.setRoundBudget([MAX_120], { account: admin.account }));
      expect(await qf.read.roundBudget()).to.equal(MAX_120);
      await mined(qf.write.setRoundBudget([0n], { account: admin.account }));
      expect(await qf.read.roundBudget()).to.equal(0n);
    });

    it("setRoundBudget: reverts with AmountTooLarge for 2^120 and AccessControlUnauthorizedAccount without the admin role", async () => {
      const { qf, admin, keeper, registrar, outsider } = await loadFixture(qfFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.setRoundBudget([1n << 120n], { account: admin.account }),
        qf,
        "AmountTooLarge",
        [1n << 120n],
      );
      const role = await qf.read.DEFAULT_ADMIN_ROLE();
      for (const w of [keeper, registrar, outsider]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.setRoundBudget([1n], { account: w.account }),
          qf,
          "AccessControlUnauthorizedAccount",
          [w.account.address, role],
        );
      }
      expect(await qf.read.roundBudget()).to.equal(BUDGET);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("round lifecycle", () => {
    /** Gap 1: ten contributors of 9 tokens (ideal 810); gap 2: four of 25 (ideal 300). */
    async function fundedRound() {
      const f = await loadFixture(qfFixture);
      for (const c of f.contributors) {
        await mined(f.qf.write.contribute([1n, 9n * ONE], { account: c.account }));
      }
      for (const c of f.contributors.slice(0, 4)) {
        await mined(f.qf.write.contribute([2n, 25n * ONE], { account: c.account }));
      }
      return f;
    }

    it("finalize: with T below the budget and the pool, reserves T and sets alpha to 1", async () => {
      const { qf, admin, keeper, contributors, start } = await loadFixture(qfFixture);
      // Gap 3: four contributors of 1 token: S = 4e18, ideal = 16 - 4 = 12 tokens.
      for (const c of contributors.slice(0, 4)) {
        await mined(qf.write.contribute([3n, ONE], { account: c.account }));
      }
      await mined(qf.write.contribute([4n, 5n * ONE], { account: contributors[0].account }));
      await endRound(start, 0n);
      await mined(qf.write.fundPool([ONE], { account: admin.account }));
      const receipt = await mined(qf.write.finalize([0n], { account: keeper.account }));
      const ts = await blockTimestamp(receipt.blockNumber);
      const [event] = parseEventLogs({
        abi: qf.abi,
        logs: receipt.logs,
        eventName: "RoundFinalized",
      });
      expect(event.args).to.deep.equal({
        round: 0n,
        budget: BUDGET,
        totalIdeal: 12n * ONE,
        reserved: 12n * ONE,
        alphaWad: WAD,
        gapsFunded: 2n,
        contributions: 5n,
      });
      expect(await qf.read.matchingPool()).to.equal(POOL + ONE - 12n * ONE);
      expect(await qf.read.roundInfo([0n])).to.deep.equal({
        start,
        end: start + PERIOD,
        status: Status.Finalized,
        contributions: 5n,
        gapsFunded: 2n,
        totalIdeal: 12n * ONE,
        budget: BUDGET,
        reserved: 12n * ONE,
        matchPaid: 0n,
        alphaWad: WAD,
        finalizedAt: ts,
      });
      expect((await qf.read.gapRoundInfo([0n, 3n])).matchAmount).to.equal(12n * ONE);
      expect((await qf.read.gapRoundInfo([0n, 4n])).matchAmount).to.equal(0n);
    });

    it("finalize: with T above the budget, reserves the budget and scales every match by budget / T", async () => {
      const { qf, keeper, start } = await fundedRound();
      await endRound(start, 0n);
      const T = 1110n * ONE;
      const alpha = (BUDGET * WAD) / T;
      expect(alpha).to.equal(900900900900900900n);
      await viem.assertions.emitWithArgs(
        qf.write.finalize([0n], { account: keeper.account }),
        qf,
        "RoundFinalized",
        [0n, BUDGET, T, BUDGET, alpha, 2n, 14n],
      );
      expect(await qf.read.matchingPool()).to.equal(POOL - BUDGET);
      const round = await qf.read.roundInfo([0n]);
      expect([round.totalIdeal, round.budget, round.reserved, round.alphaWad]).to.deep.equal([
        T,
        BUDGET,
        BUDGET,
        alpha,
      ]);
      const m1 = (810n * ONE * BUDGET) / T;
      const m2 = (300n * ONE * BUDGET) / T;
      expect(m1).to.equal(729729729729729729729n);
      expect(m2).to.equal(270270270270270270270n);
      expect((await qf.read.gapRoundInfo([0n, 1n])).matchAmount).to.equal(m1);
      expect((await qf.read.gapRoundInfo([0n, 2n])).matchAmount).to.equal(m2);
    });

    it("finalize: snapshots the budget as the pool when the pool is below the configured budget", async () => {
      const { qf, admin, keeper, start } = await fundedRound();
      // Configured 50,000 > pool 5,000 > T = 1,110: the budget is the pool, T is reserved.
      await mined(qf.write.setRoundBudget([POOL * 10n], { account: admin.account }));
      await endRound(start, 0n);
      await viem.assertions.emitWithArgs(
        qf.write.finalize([0n], { account: keeper.account }),
        qf,
        "RoundFinalized",
        [0n, POOL, 1110n * ONE, 1110n * ONE, WAD, 2n, 14n],
      );
      expect(await qf.read.matchingPool()).to.equal(POOL - 1110n * ONE);
      expect((await qf.read.roundInfo([0n])).budget).to.equal(POOL);
    });

    it("finalize: the budget is min(configured, pool) when the pool is smaller than both", async () => {
      const f = await loadFixture(qfFixture);
      const { qf, admin, keeper, contributors, start } = f;
      // Configured budget 1,000,000 tokens, pool 5,000 tokens, T = 9,000 tokens: budget = pool.
      await mined(qf.write.setRoundBudget([1_000_000n * ONE], { account: admin.account }));
      for (const c of contributors) {
        await mined(qf.write.contribute([1n, 100n * ONE], { account: c.account }));
      }
      // S = 10 * 10e18 = 100e18, S^2 = 10,000 tokens, C = 1,000: ideal 9,000 tokens > pool.
      const T = 9_000n * ONE;
      expect((await qf.read.roundInfo([0n])).totalIdeal).to.equal(T);
      expect((await qf.read.gapRoundInfo([0n, 1n])).matchAmount).to.equal(POOL);
      await endRound(start, 0n);
      await viem.assertions.emitWithArgs(
        qf.write.finalize([0n], { account: keeper.account }),
        qf,
        "RoundFinalized",
        [0n, POOL, T, POOL, (POOL * WAD) / T, 1n, 10n],
      );
      expect(await qf.read.matchingPool()).to.equal(0n);
      const info = await qf.read.gapRoundInfo([0n, 1n]);
      expect(info.matchAmount).to.equal(POOL);
      // An empty pool: the next round's budget is 0 and matches are 0.
      await mined(qf.write.contribute([2n, ONE], { account: contributors[0].account }));
      await mined(qf.write.contribute([2n, ONE], { account: contributors[1].account }));
      expect((await qf.read.gapRoundInfo([1n, 2n])).matchAmount).to.equal(0n);
      await endRound(start, 1n);
      await viem.assertions.emitWithArgs(
        qf.write.finalize([1n], { account: keeper.account }),
        qf,
        "RoundFinalized",
        [1n, 0n, 2n * ONE, 0n, 0n, 1n, 2n],
      );
    });

    it("finalize: top-ups and budget changes after finalize do not change the round", async () => {
      const { qf, token, admin, keeper, start, beneficiaries } = await fundedRound();
      await endRound(start, 0n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      const round = await qf.read.roundInfo([0n]);
      const g1 = await qf.read.gapRoundInfo([0n, 1n]);
      const g2 = await qf.read.gapRoundInfo([0n, 2n]);
      await mined(qf.write.fundPool([100_000n * ONE], { account: admin.account }));
      await mined(qf.write.setRoundBudget([MAX_120], { account: admin.account }));
      expect(await qf.read.roundInfo([0n])).to.deep.equal(round);
      expect(await qf.read.gapRoundInfo([0n, 1n])).to.deep.equal(g1);
      expect(await qf.read.gapRoundInfo([0n, 2n])).to.deep.equal(g2);
      const deltas = await balanceDeltas(token, [beneficiaries[0].account.address], () =>
        viem.assertions.emitWithArgs(qf.write.claim([0n, 1n]), qf, "Claimed", [
          0n,
          1n,
          beneficiaries[0].account.address,
          90n * ONE,
          729729729729729729729n,
        ]),
      );
      expect(deltas).to.deep.equal([90n * ONE + 729729729729729729729n]);
    });

    it("finalize: an empty round reserves nothing and reports alpha 0", async () => {
      const { qf, keeper, start } = await loadFixture(qfFixture);
      await endRound(start, 0n);
      await viem.assertions.emitWithArgs(
        qf.write.finalize([0n], { account: keeper.account }),
        qf,
        "RoundFinalized",
        [0n, BUDGET, 0n, 0n, 0n, 0n, 0n],
      );
      expect(await qf.read.matchingPool()).to.equal(POOL);
      expect((await qf.read.roundInfo([0n])).status).to.equal(Status.Finalized);
    });

    it("finalize: reverts with RoundNotEnded during the round and RoundInFuture for later rounds", async () => {
      const { qf, keeper, start } = await loadFixture(qfFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.finalize([0n], { account: keeper.account }),
        qf,
        "RoundNotEnded",
        [0n, start + PERIOD],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.finalize([3n], { account: keeper.account }),
        qf,
        "RoundInFuture",
        [3n, 0n],
      );
      // The last second of round 0 still belongs to it.
      await time.setNextBlockTimestamp(start + PERIOD - 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.finalize([0n], { account: keeper.account }),
        qf,
        "RoundNotEnded",
        [0n, start + PERIOD],
      );
      await time.setNextBlockTimestamp(start + PERIOD);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
    });

    it("finalize: reverts with WrongRoundStatus when finalized twice or cancelled", async () => {
      const { qf, admin, keeper, start } = await loadFixture(qfFixture);
      await endRound(start, 1n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.finalize([0n], { account: keeper.account }),
        qf,
        "WrongRoundStatus",
        [0n, Status.Finalized],
      );
      await mined(qf.write.cancelRound([1n], { account: admin.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.finalize([1n], { account: keeper.account }),
        qf,
        "WrongRoundStatus",
        [1n, Status.Cancelled],
      );
    });

    it("finalize: reverts with AccessControlUnauthorizedAccount without KEEPER_ROLE", async () => {
      const { qf, admin, registrar, outsider, start } = await loadFixture(qfFixture);
      await endRound(start, 0n);
      const role = await qf.read.KEEPER_ROLE();
      for (const w of [admin, registrar, outsider]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.finalize([0n], { account: w.account }),
          qf,
          "AccessControlUnauthorizedAccount",
          [w.account.address, role],
        );
      }
    });

    it("cancelRound: cancels the open round, blocks contributions and takes nothing from the pool", async () => {
      const { qf, token, admin, contributors } = await loadFixture(qfFixture);
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      const balance = await token.read.balanceOf([qf.address]);
      await viem.assertions.emitWithArgs(
        qf.write.cancelRound([0n], { account: admin.account }),
        qf,
        "RoundCancelled",
        [0n],
      );
      const round = await qf.read.roundInfo([0n]);
      expect(round.status).to.equal(Status.Cancelled);
      expect([round.budget, round.reserved, round.alphaWad, round.finalizedAt]).to.deep.equal([
        0n,
        0n,
        0n,
        0n,
      ]);
      expect(await qf.read.matchingPool()).to.equal(POOL);
      expect(await token.read.balanceOf([qf.address])).to.equal(balance);
      expect((await qf.read.gapRoundInfo([0n, 1n])).matchAmount).to.equal(0n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contribute([1n, ONE], { account: contributors[1].account }),
        qf,
        "WrongRoundStatus",
        [0n, Status.Cancelled],
      );
    });

    it("cancelRound: cancels an ended round that is not finalized", async () => {
      const { qf, admin, keeper, contributors, start } = await loadFixture(qfFixture);
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      await endRound(start, 0n);
      await mined(qf.write.cancelRound([0n], { account: admin.account }));
      expect((await qf.read.roundInfo([0n])).status).to.equal(Status.Cancelled);
      // The open round is unaffected.
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      expect((await qf.read.roundInfo([1n])).status).to.equal(Status.Open);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.finalize([0n], { account: keeper.account }),
        qf,
        "WrongRoundStatus",
        [0n, Status.Cancelled],
      );
    });

    it("cancelRound: reverts with RoundInFuture, WrongRoundStatus (finalized, cancelled) and AccessControlUnauthorizedAccount", async () => {
      const { qf, admin, keeper, registrar, outsider, start } = await loadFixture(qfFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.cancelRound([1n], { account: admin.account }),
        qf,
        "RoundInFuture",
        [1n, 0n],
      );
      await endRound(start, 0n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.cancelRound([0n], { account: admin.account }),
        qf,
        "WrongRoundStatus",
        [0n, Status.Finalized],
      );
      await mined(qf.write.cancelRound([1n], { account: admin.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.cancelRound([1n], { account: admin.account }),
        qf,
        "WrongRoundStatus",
        [1n, Status.Cancelled],
      );
      const role = await qf.read.DEFAULT_ADMIN_ROLE();
      for (const w of [keeper, registrar, outsider]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.cancelRound([2n], { account: w.account }),
          qf,
          "AccessControlUnauthorizedAccount",
          [w.account.address, role],
        );
      }
    });

    it("claim: anyone pays direct + match to the recorded beneficiary, once", async () => {
      const { qf, token, keeper, outsider, beneficiaries, start } = await fundedRound();
      await endRound(start, 0n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      const m1 = 729729729729729729729n;
      const m2 = 270270270270270270270n;
      const b1 = beneficiaries[0].account.address;
      const b2 = beneficiaries[1].account.address;
      let deltas = await balanceDeltas(token, [b1, b2, qf.address, outsider.account.address], () =>
        viem.assertions.emitWithArgs(
          qf.write.claim([0n, 1n], { account: outsider.account }),
          qf,
          "Claimed",
          [0n, 1n, b1, 90n * ONE, m1],
        ),
      );
      expect(deltas).to.deep.equal([90n * ONE + m1, 0n, -(90n * ONE + m1), 0n]);
      let g1 = await qf.read.gapRoundInfo([0n, 1n]);
      expect(g1.settled).to.equal(true);
      expect((await qf.read.roundInfo([0n])).matchPaid).to.equal(m1);
      deltas = await balanceDeltas(token, [b1, b2], () => mined(qf.write.claim([0n, 2n])));
      expect(deltas).to.deep.equal([0n, 100n * ONE + m2]);
      expect((await qf.read.roundInfo([0n])).matchPaid).to.equal(m1 + m2);
      g1 = await qf.read.gapRoundInfo([0n, 1n]);
      expect(g1.matchAmount).to.equal(m1);
      // The pool is untouched by claims.
      expect(await qf.read.matchingPool()).to.equal(POOL - BUDGET);
    });

    it("claim: reverts with AlreadySettled on a second claim", async () => {
      const { qf, keeper, start } = await fundedRound();
      await endRound(start, 0n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      await mined(qf.write.claim([0n, 1n]));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.claim([0n, 1n]),
        qf,
        "AlreadySettled",
        [0n, 1n],
      );
    });

    it("claim: reverts with WrongRoundStatus before finalize (open or ended) and in a cancelled round", async () => {
      const { qf, admin, start } = await fundedRound();
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.claim([0n, 1n]),
        qf,
        "WrongRoundStatus",
        [0n, Status.Open],
      );
      await endRound(start, 0n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.claim([0n, 1n]),
        qf,
        "WrongRoundStatus",
        [0n, Status.Open],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.claim([5n, 1n]),
        qf,
        "WrongRoundStatus",
        [5n, Status.Open],
      );
      await mined(qf.write.cancelRound([0n], { account: admin.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.claim([0n, 1n]),
        qf,
        "WrongRoundStatus",
        [0n, Status.Cancelled],
      );
    });

    it("claim: reverts with NothingToClaim for a gap that received nothing (or does not exist)", async () => {
      const { qf, keeper, start } = await fundedRound();
      await endRound(start, 0n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      for (const id of [3n, 0n, 99n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.claim([0n, id]),
          qf,
          "NothingToClaim",
          [0n, id],
        );
      }
    });

    it("refund: returns exactly what the caller gave to the gap in a cancelled round", async () => {
      const { qf, token, admin, contributors } = await loadFixture(qfFixture);
      const [alice, bob] = contributors;
      const gifts = [ONE + 1n, 2n, 3n * ONE];
      for (const amount of gifts) {
        await mined(qf.write.contribute([1n, amount], { account: alice.account }));
      }
      await mined(qf.write.contribute([1n, 5n * ONE], { account: bob.account }));
      await mined(qf.write.cancelRound([0n], { account: admin.account }));
      const total = gifts.reduce((s, x) => s + x, 0n);
      const deltas = await balanceDeltas(
        token,
        [alice.account.address, bob.account.address, qf.address],
        () =>
          viem.assertions.emitWithArgs(
            qf.write.refund([0n, 1n], { account: alice.account }),
            qf,
            "Refunded",
            [0n, 1n, alice.account.address, total],
          ),
      );
      expect(deltas).to.deep.equal([total, 0n, -total]);
      expect(await qf.read.contributionOf([0n, 1n, alice.account.address])).to.deep.equal([0n, 0n]);
      expect(await qf.read.contributionOf([0n, 1n, bob.account.address])).to.deep.equal([
        5n * ONE,
        sqrtScaled(5n * ONE),
      ]);
      expect(await qf.read.matchingPool()).to.equal(POOL);
      // Bob's refund is independent.
      const bobDeltas = await balanceDeltas(token, [bob.account.address], () =>
        mined(qf.write.refund([0n, 1n], { account: bob.account })),
      );
      expect(bobDeltas).to.deep.equal([5n * ONE]);
      expect(await token.read.balanceOf([qf.address])).to.equal(POOL);
    });

    it("refund: reverts with NothingToRefund for a non-contributor and on a second refund", async () => {
      const { qf, admin, contributors, outsider } = await loadFixture(qfFixture);
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      await mined(qf.write.cancelRound([0n], { account: admin.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.refund([0n, 1n], { account: outsider.account }),
        qf,
        "NothingToRefund",
        [0n, 1n, outsider.account.address],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.refund([0n, 2n], { account: contributors[0].account }),
        qf,
        "NothingToRefund",
        [0n, 2n, contributors[0].account.address],
      );
      await mined(qf.write.refund([0n, 1n], { account: contributors[0].account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.refund([0n, 1n], { account: contributors[0].account }),
        qf,
        "NothingToRefund",
        [0n, 1n, contributors[0].account.address],
      );
    });

    it("refund: reverts with WrongRoundStatus in an open, ended or finalized round", async () => {
      const { qf, keeper, contributors, start } = await loadFixture(qfFixture);
      const account = contributors[0].account;
      await mined(qf.write.contribute([1n, ONE], { account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.refund([0n, 1n], { account }),
        qf,
        "WrongRoundStatus",
        [0n, Status.Open],
      );
      await endRound(start, 0n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.refund([0n, 1n], { account }),
        qf,
        "WrongRoundStatus",
        [0n, Status.Open],
      );
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.refund([0n, 1n], { account }),
        qf,
        "WrongRoundStatus",
        [0n, Status.Finalized],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.refundBatch([0n, [1n]], { account }),
        qf,
        "WrongRoundStatus",
        [0n, Status.Finalized],
      );
    });

    it("refundBatch: returns the caller's contributions to several gaps in one transfer", async () => {
      const { qf, token, admin, contributors } = await loadFixture(qfFixture);
      const [alice, bob] = contributors;
      await mined(
        qf.write.contributeBatch(
          [
            [1n, 2n, 3n, 1n],
            [ONE, 2n * ONE, 3n, 4n],
          ],
          { account: alice.account },
        ),
      );
      await mined(qf.write.contribute([2n, 7n * ONE], { account: bob.account }));
      await mined(qf.write.cancelRound([0n], { account: admin.account }));
      let transfers = 0;
      const deltas = await balanceDeltas(token, [alice.account.address, qf.address], async () => {
        const receipt = await mined(
          qf.write.refundBatch([0n, [1n, 2n, 3n]], { account: alice.account }),
        );
        const refunded = parseEventLogs({ abi: qf.abi, logs: receipt.logs, eventName: "Refunded" });
        expect(refunded.map((l) => [l.args.gapId, l.args.amount])).to.deep.equal([
          [1n, ONE + 4n],
          [2n, 2n * ONE],
          [3n, 3n],
        ]);
        transfers = parseEventLogs({
          abi: token.abi,
          logs: receipt.logs,
          eventName: "Transfer",
        }).length;
      });
      const total = ONE + 4n + 2n * ONE + 3n;
      expect(transfers).to.equal(1);
      expect(deltas).to.deep.equal([total, -total]);
      for (const g of [1n, 2n, 3n]) {
        expect(await qf.read.contributionOf([0n, g, alice.account.address])).to.deep.equal([
          0n,
          0n,
        ]);
      }
      expect(await qf.read.contributionOf([0n, 2n, bob.account.address])).to.deep.equal([
        7n * ONE,
        sqrtScaled(7n * ONE),
      ]);
    });

    it("refundBatch: reverts with BadBatch when empty and NothingToRefund for any empty or repeated gap", async () => {
      const { qf, admin, contributors } = await loadFixture(qfFixture);
      const account = contributors[0].account;
      await mined(
        qf.write.contributeBatch(
          [
            [1n, 2n],
            [ONE, ONE],
          ],
          { account },
        ),
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.refundBatch([0n, []], { account }),
        qf,
        "WrongRoundStatus",
        [0n, Status.Open],
      );
      await mined(qf.write.cancelRound([0n], { account: admin.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.refundBatch([0n, []], { account }),
        qf,
        "BadBatch",
        [0n, 0n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.refundBatch([0n, [1n, 3n]], { account }),
        qf,
        "NothingToRefund",
        [0n, 3n, account.address],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.refundBatch([0n, [1n, 2n, 1n]], { account }),
        qf,
        "NothingToRefund",
        [0n, 1n, account.address],
      );
      // Nothing was refunded by the failed batches.
      expect(await qf.read.contributionOf([0n, 1n, account.address])).to.deep.equal([
        ONE,
        sqrtScaled(ONE),
      ]);
      await mined(qf.write.refundBatch([0n, [2n, 1n]], { account }));
    });

    it("sweepGap: before sweepRound, sends the unclaimed direct + match to the pool after the grace period", async () => {
      const { qf, token, keeper, start } = await fundedRound();
      await endRound(start, 0n);
      const receipt = await mined(qf.write.finalize([0n], { account: keeper.account }));
      const finalizedAt = await blockTimestamp(receipt.blockNumber);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepGap([0n, 1n]),
        qf,
        "GracePeriodActive",
        [0n, finalizedAt + GRACE],
      );
      await time.setNextBlockTimestamp(finalizedAt + GRACE - 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepGap([0n, 1n]),
        qf,
        "GracePeriodActive",
        [0n, finalizedAt + GRACE],
      );
      await time.setNextBlockTimestamp(finalizedAt + GRACE);
      const m1 = 729729729729729729729n;
      const pool = await qf.read.matchingPool();
      const deltas = await balanceDeltas(token, [qf.address], () =>
        viem.assertions.emitWithArgs(qf.write.sweepGap([0n, 1n]), qf, "GapSwept", [
          0n,
          1n,
          90n * ONE + m1,
        ]),
      );
      expect(deltas).to.deep.equal([0n]);
      expect(await qf.read.matchingPool()).to.equal(pool + 90n * ONE + m1);
      expect((await qf.read.gapRoundInfo([0n, 1n])).settled).to.equal(true);
      expect((await qf.read.roundInfo([0n])).matchPaid).to.equal(m1);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.claim([0n, 1n]),
        qf,
        "AlreadySettled",
        [0n, 1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepGap([0n, 1n]),
        qf,
        "AlreadySettled",
        [0n, 1n],
      );
      // sweepRound then returns the rest: gap 2's match and the dust.
      const m2 = 270270270270270270270n;
      await viem.assertions.emitWithArgs(qf.write.sweepRound([0n]), qf, "RoundSwept", [
        0n,
        BUDGET - m1,
      ]);
      expect(await qf.read.matchingPool()).to.equal(pool + 90n * ONE + BUDGET);
    });

    it("sweepGap: after sweepRound, sends only the unclaimed direct contributions", async () => {
      const { qf, token, keeper, start } = await fundedRound();
      await endRound(start, 0n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      await mined(qf.write.claim([0n, 1n]));
      await time.increase(GRACE);
      const m1 = 729729729729729729729n;
      const pool = await qf.read.matchingPool();
      await viem.assertions.emitWithArgs(qf.write.sweepRound([0n]), qf, "RoundSwept", [
        0n,
        BUDGET - m1,
      ]);
      await viem.assertions.emitWithArgs(qf.write.sweepGap([0n, 2n]), qf, "GapSwept", [
        0n,
        2n,
        100n * ONE,
      ]);
      expect(await qf.read.matchingPool()).to.equal(pool + BUDGET - m1 + 100n * ONE);
      expect((await qf.read.gapRoundInfo([0n, 2n])).settled).to.equal(true);
      expect((await qf.read.roundInfo([0n])).matchPaid).to.equal(m1);
      // Every token the contract holds is now in the pool.
      expect(await token.read.balanceOf([qf.address])).to.equal(await qf.read.matchingPool());
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepGap([0n, 1n]),
        qf,
        "AlreadySettled",
        [0n, 1n],
      );
    });

    it("sweepGap: reverts with WrongRoundStatus (open, cancelled), NothingToClaim and AlreadySettled", async () => {
      const { qf, admin, keeper, contributors, start } = await fundedRound();
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepGap([0n, 1n]),
        qf,
        "WrongRoundStatus",
        [0n, Status.Open],
      );
      await endRound(start, 0n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      await mined(qf.write.claim([0n, 2n]));
      await time.increase(GRACE);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepGap([0n, 3n]),
        qf,
        "NothingToClaim",
        [0n, 3n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepGap([0n, 2n]),
        qf,
        "AlreadySettled",
        [0n, 2n],
      );
      // A cancelled round cannot be swept gap by gap.
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      await mined(qf.write.cancelRound([await qf.read.currentRound()], { account: admin.account }));
      const r = await qf.read.currentRound();
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepGap([r, 1n]),
        qf,
        "WrongRoundStatus",
        [r, Status.Cancelled],
      );
    });

    it("sweepRound: returns reserved - matchPaid, including the rounding dust, and closes claims", async () => {
      const { qf, token, keeper, start } = await fundedRound();
      await endRound(start, 0n);
      const receipt = await mined(qf.write.finalize([0n], { account: keeper.account }));
      const finalizedAt = await blockTimestamp(receipt.blockNumber);
      await mined(qf.write.claim([0n, 1n]));
      await mined(qf.write.claim([0n, 2n]));
      const m1 = 729729729729729729729n;
      const m2 = 270270270270270270270n;
      const dust = BUDGET - m1 - m2;
      expect(dust).to.equal(1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepRound([0n]),
        qf,
        "GracePeriodActive",
        [0n, finalizedAt + GRACE],
      );
      await time.increaseTo(finalizedAt + GRACE);
      const pool = await qf.read.matchingPool();
      await viem.assertions.emitWithArgs(qf.write.sweepRound([0n]), qf, "RoundSwept", [0n, dust]);
      expect(await qf.read.matchingPool()).to.equal(pool + dust);
      expect(await token.read.balanceOf([qf.address])).to.equal(pool + dust);
      const round = await qf.read.roundInfo([0n]);
      expect(round.status).to.equal(Status.Swept);
      expect([round.budget, round.reserved, round.matchPaid, round.alphaWad]).to.deep.equal([
        BUDGET,
        BUDGET,
        m1 + m2,
        900900900900900900n,
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepRound([0n]),
        qf,
        "WrongRoundStatus",
        [0n, Status.Swept],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.claim([0n, 1n]),
        qf,
        "WrongRoundStatus",
        [0n, Status.Swept],
      );
    });

    it("sweepRound: with nothing claimed, returns the whole reservation; claims are then closed and directs are swept gap by gap", async () => {
      const { qf, token, keeper, start } = await fundedRound();
      await endRound(start, 0n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      await time.increase(GRACE);
      await viem.assertions.emitWithArgs(qf.write.sweepRound([0n]), qf, "RoundSwept", [0n, BUDGET]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.claim([0n, 2n]),
        qf,
        "WrongRoundStatus",
        [0n, Status.Swept],
      );
      await mined(qf.write.sweepGap([0n, 1n]));
      await mined(qf.write.sweepGap([0n, 2n]));
      expect(await qf.read.matchingPool()).to.equal(POOL + 190n * ONE);
      expect(await token.read.balanceOf([qf.address])).to.equal(POOL + 190n * ONE);
    });

    it("sweepRound: reverts with WrongRoundStatus for open and cancelled rounds", async () => {
      const { qf, admin, start } = await loadFixture(qfFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepRound([0n]),
        qf,
        "WrongRoundStatus",
        [0n, Status.Open],
      );
      await endRound(start, 0n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepRound([0n]),
        qf,
        "WrongRoundStatus",
        [0n, Status.Open],
      );
      await mined(qf.write.cancelRound([0n], { account: admin.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.sweepRound([0n]),
        qf,
        "WrongRoundStatus",
        [0n, Status.Cancelled],
      );
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("views", () => {
    it("currentRound / roundInfo: rounds cover [START + r * PERIOD, START + (r + 1) * PERIOD)", async () => {
      const { qf, start } = await loadFixture(qfFixture);
      for (const r of [0n, 1n, 7n]) {
        const info = await qf.read.roundInfo([r]);
        expect([info.start, info.end, info.status]).to.deep.equal([
          start + r * PERIOD,
          start + (r + 1n) * PERIOD,
          Status.Open,
        ]);
      }
      await time.increaseTo(start + PERIOD - 1n);
      expect(await qf.read.currentRound()).to.equal(0n);
      await time.increaseTo(start + PERIOD);
      expect(await qf.read.currentRound()).to.equal(1n);
      await time.increaseTo(start + 7n * PERIOD + 5n);
      expect(await qf.read.currentRound()).to.equal(7n);
    });

    it("currentRound: reverts with NotStarted before START; contributions too", async () => {
      const { token, admin, contributors } = await loadFixture(qfFixture);
      const a = admin.account.address;
      const startsAt = BigInt(await time.latest()) + 1_000n;
      const qf = await viem.deployContract("QuadraticFunding", [
        token.address,
        a,
        a,
        a,
        startsAt,
        PERIOD,
        GRACE,
        BUDGET,
      ]);
      expect(await qf.read.START()).to.equal(startsAt);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.read.currentRound(),
        qf,
        "NotStarted",
        [startsAt],
      );
      await mined(qf.write.registerGap([a, "early"], { account: admin.account }));
      await mined(
        token.write.approve([qf.address, maxUint256], { account: contributors[0].account }),
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contribute([1n, ONE], { account: contributors[0].account }),
        qf,
        "NotStarted",
        [startsAt],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.finalize([0n], { account: admin.account }),
        qf,
        "NotStarted",
        [startsAt],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.cancelRound([0n], { account: admin.account }),
        qf,
        "NotStarted",
        [startsAt],
      );
      expect((await qf.read.roundInfo([0n])).start).to.equal(startsAt);
      await time.increaseTo(startsAt);
      expect(await qf.read.currentRound()).to.equal(0n);
      await mined(qf.write.contribute([1n, ONE], { account: contributors[0].account }));
      expect((await qf.read.roundInfo([0n])).contributions).to.equal(1n);
    });

    it("gapRoundInfo: projects the match while open from today's pool and budget", async () => {
      const { qf, admin, contributors } = await loadFixture(qfFixture);
      // Gap 1: ideal 810; gap 2: ideal 300 (T = 1,110 tokens).
      for (const c of contributors) {
        await mined(qf.write.contribute([1n, 9n * ONE], { account: c.account }));
      }
      for (const c of contributors.slice(0, 4)) {
        await mined(qf.write.contribute([2n, 25n * ONE], { account: c.account }));
      }
      const T = 1110n * ONE;
      const projected = async () => [
        (await qf.read.gapRoundInfo([0n, 1n])).matchAmount,
        (await qf.read.gapRoundInfo([0n, 2n])).matchAmount,
      ];
      // Budget 1,000 < T: scaled.
      expect(await projected()).to.deep.equal([
        matchFor(810n * ONE, T, BUDGET),
        matchFor(300n * ONE, T, BUDGET),
      ]);
      // Budget above T: full ideals.
      await mined(qf.write.setRoundBudget([2_000n * ONE], { account: admin.account }));
      expect(await projected()).to.deep.equal([810n * ONE, 300n * ONE]);
      // Budget above the pool: the pool limits.
      await mined(qf.write.setRoundBudget([MAX_120], { account: admin.account }));
      expect(await projected()).to.deep.equal([810n * ONE, 300n * ONE]);
      await mined(qf.write.setRoundBudget([0n], { account: admin.account }));
      expect(await projected()).to.deep.equal([0n, 0n]);
      const round = await qf.read.roundInfo([0n]);
      expect([
        round.totalIdeal,
        round.budget,
        round.reserved,
        round.alphaWad,
        round.matchPaid,
      ]).to.deep.equal([T, 0n, 0n, 0n, 0n]);
    });

    it("gapRoundInfo / contributionOf / gap: zero for unknown rounds, gaps and contributors", async () => {
      const { qf, outsider } = await loadFixture(qfFixture);
      expect(await qf.read.gapRoundInfo([9n, 99n])).to.deep.equal({
        direct: 0n,
        sumSqrt: 0n,
        idealMatch: 0n,
        matchAmount: 0n,
        beneficiary: zeroAddress,
        settled: false,
      });
      expect(await qf.read.contributionOf([0n, 1n, outsider.account.address])).to.deep.equal([
        0n,
        0n,
      ]);
      expect(await qf.read.gap([99n])).to.deep.equal([zeroAddress, false, 0n, false]);
      expect(await qf.read.gap([0n])).to.deep.equal([zeroAddress, false, 0n, false]);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("hand examples", () => {
    it("claim: one contributor of 100 tokens gets no match", async () => {
      const { qf, token, keeper, contributors, beneficiaries, start } =
        await loadFixture(qfFixture);
      await mined(qf.write.contribute([1n, 100n * ONE], { account: contributors[0].account }));
      const info = await qf.read.gapRoundInfo([0n, 1n]);
      expect([info.direct, info.sumSqrt, info.idealMatch, info.matchAmount]).to.deep.equal([
        100n * ONE,
        10n * ONE,
        0n,
        0n,
      ]);
      await endRound(start, 0n);
      await viem.assertions.emitWithArgs(
        qf.write.finalize([0n], { account: keeper.account }),
        qf,
        "RoundFinalized",
        [0n, BUDGET, 0n, 0n, 0n, 1n, 1n],
      );
      const deltas = await balanceDeltas(token, [beneficiaries[0].account.address], () =>
        mined(qf.write.claim([0n, 1n])),
      );
      expect(deltas).to.deep.equal([100n * ONE]);
    });

    it("finalize: ten contributors of 10 tokens give an ideal match of 900 tokens (less the roots' floors)", async () => {
      const { qf, admin, token, keeper, contributors, beneficiaries, start } =
        await loadFixture(qfFixture);
      await mined(qf.write.setRoundBudget([2_000n * ONE], { account: admin.account }));
      for (const c of contributors) {
        await mined(qf.write.contribute([1n, 10n * ONE], { account: c.account }));
      }
      const root = sqrtScaled(10n * ONE);
      const ideal = idealMatch(10n * root, 100n * ONE);
      const info = await qf.read.gapRoundInfo([0n, 1n]);
      expect([info.direct, info.sumSqrt, info.idealMatch]).to.deep.equal([
        100n * ONE,
        10n * root,
        ideal,
      ]);
      expect(ideal <= 900n * ONE && 900n * ONE - ideal < 1_000n).to.equal(true);
      await endRound(start, 0n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      const deltas = await balanceDeltas(token, [beneficiaries[0].account.address], () =>
        mined(qf.write.claim([0n, 1n])),
      );
      expect(deltas).to.deep.equal([100n * ONE + ideal]);
    });

    it("finalize: ten contributors of 9 tokens give exactly 810 tokens", async () => {
      const { qf, contributors } = await loadFixture(qfFixture);
      for (const c of contributors) {
        await mined(qf.write.contribute([1n, 9n * ONE], { account: c.account }));
      }
      const info = await qf.read.gapRoundInfo([0n, 1n]);
      expect([info.direct, info.sumSqrt, info.idealMatch, info.matchAmount]).to.deep.equal([
        90n * ONE,
        30n * ONE,
        810n * ONE,
        810n * ONE,
      ]);
    });

    it("finalize: a hundred contributors of 1 token give exactly 9,900 tokens (fully funded, then scaled)", async () => {
      const { qf, token, admin, keeper, crowd, beneficiaries, start } =
        await loadFixture(crowdFixture);
      expect(crowd.length).to.equal(CROWD_SIZE);
      for (const address of crowd) {
        await mined(qf.write.contribute([1n, ONE], { account: address }));
      }
      // Gap 2 gets the same crowd in round 1 with a smaller budget.
      const info = await qf.read.gapRoundInfo([0n, 1n]);
      expect([info.direct, info.sumSqrt, info.idealMatch]).to.deep.equal([
        100n * ONE,
        100n * ONE,
        9_900n * ONE,
      ]);
      await mined(token.write.mint([admin.account.address, 10_000n * ONE]));
      await mined(qf.write.fundPool([10_000n * ONE], { account: admin.account }));
      await mined(qf.write.setRoundBudget([10_000n * ONE], { account: admin.account }));
      await endRound(start, 0n);
      await viem.assertions.emitWithArgs(
        qf.write.finalize([0n], { account: keeper.account }),
        qf,
        "RoundFinalized",
        [0n, 10_000n * ONE, 9_900n * ONE, 9_900n * ONE, WAD, 1n, 100n],
      );
      let deltas = await balanceDeltas(token, [beneficiaries[0]], () =>
        mined(qf.write.claim([0n, 1n])),
      );
      expect(deltas).to.deep.equal([10_000n * ONE]);

      await mined(qf.write.setRoundBudget([BUDGET], { account: admin.account }));
      for (const address of crowd) {
        await mined(qf.write.contribute([2n, ONE], { account: address }));
      }
      await endRound(start, 1n);
      const alpha = (BUDGET * WAD) / (9_900n * ONE);
      expect(alpha).to.equal(101010101010101010n);
      await viem.assertions.emitWithArgs(
        qf.write.finalize([1n], { account: keeper.account }),
        qf,
        "RoundFinalized",
        [1n, BUDGET, 9_900n * ONE, BUDGET, alpha, 1n, 100n],
      );
      deltas = await balanceDeltas(token, [beneficiaries[1]], () =>
        mined(qf.write.claim([1n, 2n])),
      );
      // A single gap gets the whole budget: floor(9,900 * 1,000 / 9,900) = 1,000.
      expect(deltas).to.deep.equal([100n * ONE + BUDGET]);
    });

    it("finalize: a budget below T scales each match to floor(ideal * budget / T), alpha = floor(budget * 1e18 / T)", async () => {
      const { qf, token, keeper, contributors, beneficiaries, start } =
        await loadFixture(qfFixture);
      // Gap 1: ideal 810; gap 2: ideal 300; gap 3: 1 contributor (ideal 0).
      for (const c of contributors) {
        await mined(qf.write.contribute([1n, 9n * ONE], { account: c.account }));
      }
      for (const c of contributors.slice(0, 4)) {
        await mined(qf.write.contribute([2n, 25n * ONE], { account: c.account }));
      }
      await mined(qf.write.contribute([3n, 50n * ONE], { account: contributors[9].account }));
      await endRound(start, 0n);
      await mined(qf.write.finalize([0n], { account: keeper.account }));
      const T = 1110n * ONE;
      const round = await qf.read.roundInfo([0n]);
      expect(round.alphaWad).to.equal(alphaWad(T, BUDGET));
      expect(round.alphaWad).to.equal((BUDGET * WAD) / T);
      const ideals = [810n * ONE, 300n * ONE, 0n];
      const payouts: bigint[] = [];
      for (let i = 0; i < 3; i++) {
        const info = await qf.read.gapRoundInfo([0n, BigInt(i + 1)]);
        const expected = (ideals[i] * BUDGET) / T;
        expect(info.idealMatch).to.equal(ideals[i]);
        expect(info.matchAmount).to.equal(expected);
        // alpha is the reported factor; the match uses one mulDiv, within a wei per token of it.
        const viaAlpha = (ideals[i] * round.alphaWad) / WAD;
        expect(
          info.matchAmount - viaAlpha >= 0n && info.matchAmount - viaAlpha <= ideals[i] / WAD + 1n,
        ).to.equal(true);
        payouts.push(info.direct + expected);
      }
      const deltas = await balanceDeltas(
        token,
        beneficiaries.slice(0, 3).map((b) => b.account.address),
        async () => {
          for (const g of [1n, 2n, 3n]) await mined(qf.write.claim([0n, g]));
        },
      );
      expect(deltas).to.deep.equal(payouts);
    });

    it("contribute: splitting a gift into several transactions gives exactly the same S_g and ideal as one transaction", async () => {
      const { qf, contributors } = await loadFixture(qfFixture);
      const [alice, bob, carol] = contributors;
      const parts = [1_234_567n, 3n * ONE + 987_654_321n, 11n, 42n * ONE + 1n];
      const whole = parts.reduce((s, x) => s + x, 0n);
      // Gap 1: alice gives in pieces (separately and in a batch); gap 2: alice gives the sum once.
      await mined(qf.write.contribute([1n, parts[0]], { account: alice.account }));
      await mined(qf.write.contribute([1n, parts[1]], { account: alice.account }));
      await mined(
        qf.write.contributeBatch(
          [
            [1n, 1n],
            [parts[2], parts[3]],
          ],
          { account: alice.account },
        ),
      );
      await mined(qf.write.contribute([2n, whole], { account: alice.account }));
      for (const g of [1n, 2n]) {
        await mined(qf.write.contribute([g, 7n * ONE + 3n], { account: bob.account }));
        await mined(qf.write.contribute([g, 333n], { account: carol.account }));
      }
      const g1 = await qf.read.gapRoundInfo([0n, 1n]);
      const g2 = await qf.read.gapRoundInfo([0n, 2n]);
      expect([g1.direct, g1.sumSqrt, g1.idealMatch, g1.matchAmount]).to.deep.equal([
        g2.direct,
        g2.sumSqrt,
        g2.idealMatch,
        g2.matchAmount,
      ]);
      expect(await qf.read.contributionOf([0n, 1n, alice.account.address])).to.deep.equal(
        await qf.read.contributionOf([0n, 2n, alice.account.address]),
      );
      const expected = computeRound(
        [
          { contributor: "alice", gap: "x", amount: whole },
          { contributor: "bob", gap: "x", amount: 7n * ONE + 3n },
          { contributor: "carol", gap: "x", amount: 333n },
        ],
        BUDGET,
      );
      expect([g1.sumSqrt, g1.idealMatch]).to.deep.equal([
        expected.gaps[0].sumSqrt,
        expected.gaps[0].idealMatch,
      ]);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("differential against src/qf.ts computeRound", () => {
    interface Scenario {
      seed: bigint;
      people: number;
      gaps: number;
      contributions: number;
      /** Each gap has a single owner-contributor: T = 0. */
      singleOwner?: boolean;
      /** Configured budget and total pool given the off-chain T. */
      funding: (T: bigint) => { budget: bigint; pool: bigint };
    }

    async function runScenario(s: Scenario) {
      const f = await loadFixture(crowdFixture);
      const { qf, token, admin, keeper, crowd, beneficiaries, start } = f;
      const outsider = f.wallets[17];
      const rng = new Rng(s.seed);
      const people = crowd.slice(0, s.people);
      const gapIds = Array.from({ length: s.gaps }, (_, i) => BigInt(i + 1));
      const list: Contribution[] = [];
      const acc = new RoundAccumulator();
      let singles = 0;
      let batches = 0;

      while (list.length < s.contributions) {
        const gi = rng.int(s.gaps);
        const from = s.singleOwner ? people[gi] : people[rng.int(s.people)];
        const batchSize = rng.int(3) === 0 ? 2 + rng.int(5) : 1;
        const gaps: bigint[] = [];
        const amounts: bigint[] = [];
        for (let k = 0; k < batchSize; k++) {
          gaps.push(s.singleOwner || k === 0 ? gapIds[gi] : gapIds[rng.int(s.gaps)]);
          amounts.push(randomAmount(rng));
        }
        if (batchSize === 1) {
          await qf.write.contribute([gaps[0], amounts[0]], { account: from });
          singles++;
        } else {
          await qf.write.contributeBatch([gaps, amounts], { account: from });
          batches++;
        }
        gaps.forEach((g, k) => {
          list.push({ contributor: from, gap: g.toString(), amount: amounts[k] });
          acc.contribute(from, g.toString(), amounts[k]);
        });
        if (batches % 10 === 1 && batchSize > 1) {
          // Spot-check the running T mid-round.
          expect((await qf.read.roundInfo([0n])).totalIdeal).to.equal(acc.totalIdeal);
        }
      }
      expect(singles).to.be.greaterThan(0);
      expect(batches).to.be.greaterThan(0);

      const C = list.reduce((sum, c) => sum + c.amount, 0n);
      const T = computeRound(list, 0n).totalIdeal;
      expect(acc.totalIdeal).to.equal(T);

      // Fund the pool and set the budget.
      const { budget: configured, pool: wantedPool } = s.funding(T);
      const pool = await qf.read.matchingPool();
      expect(wantedPool >= pool).to.equal(true);
      if (wantedPool > pool) {
        await mined(token.write.mint([admin.account.address, wantedPool - pool]));
        await mined(qf.write.fundPool([wantedPool - pool], { account: admin.account }));
      }
      await mined(qf.write.setRoundBudget([configured], { account: admin.account }));
      const budget = configured < wantedPool ? configured : wantedPool;
      const expected = computeRound(list, budget);
      const reserved = T < budget ? T : budget;
      const contributions = BigInt(list.length);
      const gapsFunded = BigInt(expected.gaps.length);
      expect(gapsFunded >= 20n).to.equal(true);
      expect(new Set(list.map((c) => c.contributor)).size >= 30).to.equal(true);

      // While open: the running figures and the projected matches.
      const open = await qf.read.roundInfo([0n]);
      expect([open.status, open.contributions, open.gapsFunded, open.totalIdeal]).to.deep.equal([
        Status.Open,
        contributions,
        gapsFunded,
        T,
      ]);
      for (const g of expected.gaps) {
        expect(
          (await qf.read.gapRoundInfo([0n, BigInt(g.gap)])).matchAmount,
          `projected match of gap ${g.gap}`,
        ).to.equal(g.match);
      }

      await endRound(start, 0n);
      await viem.assertions.emitWithArgs(
        qf.write.finalize([0n], { account: keeper.account }),
        qf,
        "RoundFinalized",
        [0n, budget, T, reserved, expected.alpha, gapsFunded, contributions],
      );
      expect(await qf.read.matchingPool()).to.equal(wantedPool - reserved);

      const round = await qf.read.roundInfo([0n]);
      expect([
        round.totalIdeal,
        round.budget,
        round.reserved,
        round.alphaWad,
        round.matchPaid,
      ]).to.deep.equal([expected.totalIdeal, budget, reserved, expected.alpha, 0n]);
      for (const g of expected.gaps) {
        const info = await qf.read.gapRoundInfo([0n, BigInt(g.gap)]);
        expect(
          [info.direct, info.sumSqrt, info.idealMatch, info.matchAmount],
          `gap ${g.gap}`,
        ).to.deep.equal([g.direct, g.sumSqrt, g.idealMatch, g.match]);
      }
      // Every contributor's running total and root.
      const totals = new Map<string, bigint>();
      for (const c of list)
        totals.set(
          `${c.contributor}|${c.gap}`,
          (totals.get(`${c.contributor}|${c.gap}`) ?? 0n) + c.amount,
        );
      for (const [key, amount] of totals) {
        const [who, g] = key.split("|");
        expect(await qf.read.contributionOf([0n, BigInt(g), who as Address])).to.deep.equal([
          amount,
          sqrtScaled(amount),
        ]);
      }

      // Claim everything; every beneficiary gets exactly its payout.
      const escrowBefore = await token.read.balanceOf([qf.address]);
      let paid = 0n;
      for (const g of expected.gaps) {
        const beneficiary = beneficiaries[Number(g.gap) - 1];
        const before = await token.read.balanceOf([beneficiary]);
        await qf.write.claim([0n, BigInt(g.gap)], { account: outsider.account });
        expect(
          (await token.read.balanceOf([beneficiary])) - before,
          `payout of gap ${g.gap}`,
        ).to.equal(g.payout);
        paid += g.payout;
      }
      expect(escrowBefore - (await token.read.balanceOf([qf.address]))).to.equal(paid);
      const dust = reserved - expected.matched;
      expect(dust >= 0n).to.equal(true);
      expect(paid + dust).to.equal(C + reserved);
      expect((await qf.read.roundInfo([0n])).matchPaid).to.equal(expected.matched);

      await time.increase(GRACE);
      const poolBefore = await qf.read.matchingPool();
      await viem.assertions.emitWithArgs(qf.write.sweepRound([0n]), qf, "RoundSwept", [0n, dust]);
      expect(await qf.read.matchingPool()).to.equal(poolBefore + dust);
      // Nothing is left in escrow: the contract holds exactly the pool.
      expect(await token.read.balanceOf([qf.address])).to.equal(await qf.read.matchingPool());
      return { T, budget, dust, expected };
    }

    it("finalize: random round, budget above T (seed 1)", async () => {
      const { T, budget, expected } = await runScenario({
        seed: 1n,
        people: 40,
        gaps: 24,
        contributions: 220,
        funding: (T) => ({ budget: T + 123_456_789n, pool: POOL + 2n * T }),
      });
      expect(T > 0n && budget > T).to.equal(true);
      expect(expected.alpha).to.equal(WAD);
    });

    it("finalize: random round, budget below T with rounding dust (seed 2)", async () => {
      const { T, budget, dust } = await runScenario({
        seed: 2n,
        people: 45,
        gaps: CROWD_GAPS,
        contributions: 240,
        funding: (T) => ({ budget: (T * 37n) / 100n + 987_654_321n, pool: POOL + T }),
      });
      expect(budget < T).to.equal(true);
      expect(dust > 0n).to.equal(true);
    });

    it("finalize: random round, pool below both the configured budget and T (seed 3)", async () => {
      const { T, budget } = await runScenario({
        seed: 3n,
        people: 60,
        gaps: 28,
        contributions: 230,
        funding: (T) => ({ budget: MAX_120, pool: POOL + T / 3n + 1n }),
      });
      expect(budget < T).to.equal(true);
    });

    it("finalize: random round with T = 0 (each gap has a single contributor) (seed 7)", async () => {
      const { T, dust, expected } = await runScenario({
        seed: 7n,
        people: CROWD_GAPS,
        gaps: CROWD_GAPS,
        contributions: 210,
        singleOwner: true,
        funding: () => ({ budget: BUDGET, pool: POOL }),
      });
      expect(T).to.equal(0n);
      expect(dust).to.equal(0n);
      expect(expected.alpha).to.equal(0n);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("hostile tokens", () => {
    async function hostileFixture() {
      const wallets = await viem.getWalletClients();
      const [admin] = wallets;
      const alice = wallets[3];
      const bob = wallets[4];
      const payee1 = wallets[13].account.address;
      const payee2 = wallets[14].account.address;
      const a = admin.account.address;
      const feeToken = await viem.deployContract("FeeOnTransferToken", [100n]);
      const falseToken = await viem.deployContract("FalseReturningToken", []);
      const hookToken = await viem.deployContract("ReentrantToken", []);
      const deployFor = (token: Address) =>
        viem.deployContract("QuadraticFunding", [token, a, a, a, 0n, PERIOD, GRACE, BUDGET]);
      const qfFee = await deployFor(feeToken.address);
      const qfFalse = await deployFor(falseToken.address);
      const qfHook = await deployFor(hookToken.address);
      for (const qf of [qfFee, qfFalse, qfHook]) {
        await mined(qf.write.registerGap([payee1, "one"], { account: admin.account }));
        await mined(qf.write.registerGap([payee2, "two"], { account: admin.account }));
      }
      for (const w of [admin, alice, bob]) {
        await mined(feeToken.write.mint([w.account.address, MINT]));
        await mined(feeToken.write.approve([qfFee.address, maxUint256], { account: w.account }));
        await mined(falseToken.write.mint([w.account.address, MINT]));
        await mined(
          falseToken.write.approve([qfFalse.address, maxUint256], { account: w.account }),
        );
        await mined(hookToken.write.mint([w.account.address, MINT]));
        await mined(hookToken.write.approve([qfHook.address, maxUint256], { account: w.account }));
      }
      await mined(feeToken.write.setFee([0n]));
      await mined(qfFee.write.fundPool([POOL], { account: admin.account }));
      await mined(feeToken.write.setFee([100n]));
      await mined(qfFalse.write.fundPool([POOL], { account: admin.account }));
      await mined(qfHook.write.fundPool([POOL], { account: admin.account }));
      return {
        admin,
        alice,
        bob,
        payee1,
        payee2,
        feeToken,
        falseToken,
        hookToken,
        qfFee,
        qfFalse,
        qfHook,
      };
    }

    it("contribute: a fee-on-transfer token is rejected with TokenDeliveredLess and nothing changes", async () => {
      const { qfFee, feeToken, alice } = await loadFixture(hostileFixture);
      const amount = 1_000n * ONE;
      const deltas = await balanceDeltas(
        feeToken,
        [alice.account.address, qfFee.address],
        async () => {
          await viem.assertions.revertWithCustomErrorWithArgs(
            qfFee.write.contribute([1n, amount], { account: alice.account }),
            qfFee,
            "TokenDeliveredLess",
            [amount, amount - amount / 100n],
          );
          await viem.assertions.revertWithCustomErrorWithArgs(
            qfFee.write.contributeBatch(
              [
                [1n, 2n],
                [ONE, 3n * ONE],
              ],
              { account: alice.account },
            ),
            qfFee,
            "TokenDeliveredLess",
            [4n * ONE, 4n * ONE - (4n * ONE) / 100n],
          );
        },
      );
      expect(deltas).to.deep.equal([0n, 0n]);
      expect(await qfFee.read.contributionOf([0n, 1n, alice.account.address])).to.deep.equal([
        0n,
        0n,
      ]);
      expect(await qfFee.read.gapRoundInfo([0n, 1n])).to.include({ direct: 0n, sumSqrt: 0n });
      expect(await qfFee.read.roundInfo([0n])).to.include({
        contributions: 0n,
        gapsFunded: 0n,
        totalIdeal: 0n,
      });
      // Without the fee the same contribution goes through.
      await mined(feeToken.write.setFee([0n]));
      await mined(qfFee.write.contribute([1n, amount], { account: alice.account }));
      expect(await qfFee.read.contributionOf([0n, 1n, alice.account.address])).to.deep.equal([
        amount,
        sqrtScaled(amount),
      ]);
    });

    it("fundPool: a fee-on-transfer token is rejected with TokenDeliveredLess and the pool is unchanged", async () => {
      const { qfFee, feeToken, admin } = await loadFixture(hostileFixture);
      const balance = await feeToken.read.balanceOf([qfFee.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        qfFee.write.fundPool([10_000n], { account: admin.account }),
        qfFee,
        "TokenDeliveredLess",
        [10_000n, 9_900n],
      );
      expect(await qfFee.read.matchingPool()).to.equal(POOL);
      expect(await feeToken.read.balanceOf([qfFee.address])).to.equal(balance);
    });

    it("contribute: a token that returns true works; one that returns false reverts with SafeERC20FailedOperation", async () => {
      const { qfFalse, falseToken, alice, bob } = await loadFixture(hostileFixture);
      expect(await qfFalse.read.matchingPool()).to.equal(POOL);
      const deltas = await balanceDeltas(falseToken, [alice.account.address, qfFalse.address], () =>
        mined(
          qfFalse.write.contributeBatch(
            [
              [1n, 2n],
              [4n * ONE, ONE],
            ],
            { account: alice.account },
          ),
        ),
      );
      expect(deltas).to.deep.equal([-5n * ONE, 5n * ONE]);
      expect(await qfFalse.read.contributionOf([0n, 1n, alice.account.address])).to.deep.equal([
        4n * ONE,
        2n * ONE,
      ]);
      await mined(falseToken.write.setFailAll([true]));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qfFalse.write.contribute([1n, ONE], { account: bob.account }),
        qfFalse,
        "SafeERC20FailedOperation",
        [falseToken.address],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        qfFalse.write.fundPool([ONE], { account: bob.account }),
        qfFalse,
        "SafeERC20FailedOperation",
        [falseToken.address],
      );
      expect(await qfFalse.read.contributionOf([0n, 1n, bob.account.address])).to.deep.equal([
        0n,
        0n,
      ]);
      expect(await qfFalse.read.matchingPool()).to.equal(POOL);
      // A false return for a missing allowance too.
      await mined(falseToken.write.setFailAll([false]));
      await mined(falseToken.write.approve([qfFalse.address, 0n], { account: bob.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qfFalse.write.contribute([1n, ONE], { account: bob.account }),
        qfFalse,
        "SafeERC20FailedOperation",
        [falseToken.address],
      );
    });

    it("claim: reverts with SafeERC20FailedOperation when the token returns false, and works once it does not", async () => {
      const { qfFalse, falseToken, admin, alice, bob, payee1 } = await loadFixture(hostileFixture);
      await mined(qfFalse.write.contribute([1n, 4n * ONE], { account: alice.account }));
      await mined(qfFalse.write.contribute([1n, ONE], { account: bob.account }));
      const start = await qfFalse.read.START();
      await endRound(start, 0n);
      await mined(qfFalse.write.finalize([0n], { account: admin.account }));
      await mined(falseToken.write.setFailAll([true]));
      await viem.assertions.revertWithCustomErrorWithArgs(
        qfFalse.write.claim([0n, 1n]),
        qfFalse,
        "SafeERC20FailedOperation",
        [falseToken.address],
      );
      expect((await qfFalse.read.gapRoundInfo([0n, 1n])).settled).to.equal(false);
      expect((await qfFalse.read.roundInfo([0n])).matchPaid).to.equal(0n);
      await mined(falseToken.write.setFailAll([false]));
      // S = 2e18 + 1e18: ideal 9 - 5 = 4 tokens.
      const deltas = await balanceDeltas(falseToken, [payee1], () =>
        mined(qfFalse.write.claim([0n, 1n])),
      );
      expect(deltas).to.deep.equal([5n * ONE + 4n * ONE]);
    });

    /** Lets the hook token itself act as a contributor: it approves the contract and holds tokens. */
    async function hookAsContributor(f: Awaited<ReturnType<typeof hostileFixture>>) {
      const { hookToken, qfHook, alice, bob } = f;
      await mined(hookToken.write.mint([hookToken.address, 100n * ONE]));
      await mined(
        hookToken.write.arm([
          hookToken.address,
          encodeFunctionData({
            abi: hookToken.abi,
            functionName: "approve",
            args: [qfHook.address, maxUint256],
          }),
        ]),
      );
      // Any transfer outside the contract fires the hook.
      await mined(hookToken.write.transfer([bob.account.address, 1n], { account: alice.account }));
      expect(await hookToken.read.lastHookSucceeded()).to.equal(true);
      expect(await hookToken.read.allowance([hookToken.address, qfHook.address])).to.equal(
        maxUint256,
      );
    }

    async function expectReentrancyBlocked(
      f: Awaited<ReturnType<typeof hostileFixture>>,
      calls: bigint,
    ) {
      const { hookToken, qfHook } = f;
      expect(await hookToken.read.hookCalls()).to.equal(calls);
      expect(await hookToken.read.lastHookSucceeded()).to.equal(false);
      const result = await hookToken.read.lastHookResult();
      expect(result.slice(0, 10)).to.equal("0x3ee5aeb5");
      expect(decodeErrorResult({ abi: qfHook.abi, data: result }).errorName).to.equal(
        "ReentrancyGuardReentrantCall",
      );
    }

    it("contribute: a token hook re-entering contribute fails with ReentrancyGuardReentrantCall and changes nothing", async () => {
      const f = await loadFixture(hostileFixture);
      const { hookToken, qfHook, alice } = f;
      await hookAsContributor(f);
      const reenter = encodeFunctionData({
        abi: qfHook.abi,
        functionName: "contribute",
        args: [2n, 5n * ONE],
      });
      await mined(hookToken.write.arm([qfHook.address, reenter]));
      const deltas = await balanceDeltas(
        hookToken,
        [alice.account.address, qfHook.address, hookToken.address],
        () => mined(qfHook.write.contribute([1n, 10n * ONE], { account: alice.account })),
      );
      await expectReentrancyBlocked(f, 2n);
      expect(deltas).to.deep.equal([-10n * ONE, 10n * ONE, 0n]);
      expect(await qfHook.read.contributionOf([0n, 2n, hookToken.address])).to.deep.equal([0n, 0n]);
      expect(await qfHook.read.contributionOf([0n, 1n, alice.account.address])).to.deep.equal([
        10n * ONE,
        sqrtScaled(10n * ONE),
      ]);
      expect(await qfHook.read.roundInfo([0n])).to.include({ contributions: 1n, gapsFunded: 1n });
      expect((await qfHook.read.gapRoundInfo([0n, 2n])).direct).to.equal(0n);
      // The same call from the hook outside a guarded call goes through: only the guard stopped it.
      await mined(hookToken.write.arm([qfHook.address, reenter]));
      await mined(
        hookToken.write.transfer([alice.account.address, 1n], { account: f.bob.account }),
      );
      expect(await hookToken.read.lastHookSucceeded()).to.equal(true);
      expect(await qfHook.read.contributionOf([0n, 2n, hookToken.address])).to.deep.equal([
        5n * ONE,
        sqrtScaled(5n * ONE),
      ]);
    });

    it("claim: a token hook re-entering claim fails with ReentrancyGuardReentrantCall and pays only the outer claim", async () => {
      const f = await loadFixture(hostileFixture);
      const { hookToken, qfHook, admin, alice, bob, payee1, payee2 } = f;
      await mined(qfHook.write.contribute([1n, 4n * ONE], { account: alice.account }));
      await mined(qfHook.write.contribute([1n, ONE], { account: bob.account }));
      await mined(qfHook.write.contribute([2n, 9n * ONE], { account: alice.account }));
      await mined(qfHook.write.contribute([2n, 16n * ONE], { account: bob.account }));
      await endRound(await qfHook.read.START(), 0n);
      await mined(qfHook.write.finalize([0n], { account: admin.account }));
      // Gap 1: S = 3e18, ideal 4; gap 2: S = 7e18, ideal 49 - 25 = 24 tokens. T = 28 < budget.
      await mined(
        hookToken.write.arm([
          qfHook.address,
          encodeFunctionData({ abi: qfHook.abi, functionName: "claim", args: [0n, 2n] }),
        ]),
      );
      const deltas = await balanceDeltas(hookToken, [payee1, payee2, qfHook.address], () =>
        mined(qfHook.write.claim([0n, 1n])),
      );
      await expectReentrancyBlocked(f, 1n);
      expect(deltas).to.deep.equal([9n * ONE, 0n, -9n * ONE]);
      expect((await qfHook.read.gapRoundInfo([0n, 2n])).settled).to.equal(false);
      expect((await qfHook.read.roundInfo([0n])).matchPaid).to.equal(4n * ONE);
      const second = await balanceDeltas(hookToken, [payee2], () =>
        mined(qfHook.write.claim([0n, 2n])),
      );
      expect(second).to.deep.equal([25n * ONE + 24n * ONE]);
      expect((await qfHook.read.roundInfo([0n])).matchPaid).to.equal(28n * ONE);
    });

    it("refund: a token hook re-entering refund fails with ReentrancyGuardReentrantCall and refunds only the caller", async () => {
      const f = await loadFixture(hostileFixture);
      const { hookToken, qfHook, admin, alice, bob } = f;
      await hookAsContributor(f);
      // The hook token contributes 5 tokens to gap 1 (outside any guarded call).
      await mined(
        hookToken.write.arm([
          qfHook.address,
          encodeFunctionData({ abi: qfHook.abi, functionName: "contribute", args: [1n, 5n * ONE] }),
        ]),
      );
      await mined(hookToken.write.transfer([alice.account.address, 1n], { account: bob.account }));
      expect(await hookToken.read.lastHookSucceeded()).to.equal(true);
      await mined(qfHook.write.contribute([1n, 3n * ONE], { account: alice.account }));
      await mined(qfHook.write.cancelRound([0n], { account: admin.account }));

      const refund = encodeFunctionData({
        abi: qfHook.abi,
        functionName: "refund",
        args: [0n, 1n],
      });
      await mined(hookToken.write.arm([qfHook.address, refund]));
      const deltas = await balanceDeltas(
        hookToken,
        [alice.account.address, hookToken.address, qfHook.address],
        () => mined(qfHook.write.refund([0n, 1n], { account: alice.account })),
      );
      await expectReentrancyBlocked(f, 3n);
      expect(deltas).to.deep.equal([3n * ONE, 0n, -3n * ONE]);
      expect(await qfHook.read.contributionOf([0n, 1n, alice.account.address])).to.deep.equal([
        0n,
        0n,
      ]);
      expect(await qfHook.read.contributionOf([0n, 1n, hookToken.address])).to.deep.equal([
        5n * ONE,
        sqrtScaled(5n * ONE),
      ]);
      // The hook token's own refund still works, exactly once.
      await mined(hookToken.write.arm([qfHook.address, refund]));
      const own = await balanceDeltas(hookToken, [hookToken.address, qfHook.address], () =>
        mined(hookToken.write.transfer([alice.account.address, 1n], { account: bob.account })),
      );
      expect(await hookToken.read.lastHookSucceeded()).to.equal(true);
      expect(own).to.deep.equal([5n * ONE, -5n * ONE]);
      expect(await hookToken.read.balanceOf([qfHook.address])).to.equal(POOL);
    });
  });
  describe("review follow-ups", () => {
    it("registerGap / setBeneficiary: revert with InvalidBeneficiary for the escrow or its token", async () => {
      const { qf, token, registrar } = await loadFixture(qfFixture);
      for (const bad of [qf.address, token.address]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.registerGap([bad, "x"], { account: registrar.account }),
          qf,
          "InvalidBeneficiary",
          [getAddress(bad)],
        );
        await viem.assertions.revertWithCustomErrorWithArgs(
          qf.write.setBeneficiary([1n, bad], { account: registrar.account }),
          qf,
          "InvalidBeneficiary",
          [getAddress(bad)],
        );
      }
      expect(await qf.read.gapCount()).to.equal(BigInt(GAP_COUNT));
    });

    it("contribute: an amount near 2^256 reverts with AmountTooLarge, not an arithmetic panic", async () => {
      const { qf, contributors } = await loadFixture(qfFixture);
      await qf.write.contribute([1n, ONE], { account: contributors[0].account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        qf.write.contribute([1n, maxUint256], { account: contributors[0].account }),
        qf,
        "AmountTooLarge",
        [maxUint256],
      );
    });
  });
});
