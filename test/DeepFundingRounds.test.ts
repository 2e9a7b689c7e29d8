/**
 * On-chain tests of DeepFundingRounds (contracts/deepfunding/DeepFundingRounds.sol) against the
 * spec in contracts/interfaces/IDeepFundingRounds.sol, on the contracts of the Ignition module
 * `DeepFundingRounds` (test/helpers/roundsFixture.ts).
 *
 * Layout: constructor, budget, each phase's function with every revert path (openRound,
 * openBatch, conditions an outsider prepared first, requestEvaluation, close, selectBatch,
 * createEvaluations, beginSettlement, settleSeed, settleSeedEdges, settleOrphan), market
 * resolution after the jury (resolveMarket, cancelStuckEvaluation, reclaimJuryRefunds, with
 * jury evaluations driven end to end by src/juryChain.ts), the views, and full rounds: the
 * accounting identity after every step, the pot's credits against `distribute` in
 * src/graph.ts, starting prices carried over to the next round, edges proposed during a round
 * settled by the next one.
 */
import assert from "node:assert/strict";

import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "mocha";
import {
  type Address,
  type Hash,
  type Hex,
  type Log,
  encodeAbiParameters,
  encodePacked,
  getAddress,
  keccak256,
  maxUint256,
  parseAbiParameters,
  parseEther,
  parseEventLogs,
  stringToHex,
  zeroAddress,
  zeroHash,
} from "viem";

import { type SeedInput, distribute, rankChildren } from "../src/graph.js";
import {
  type Ballot,
  type Rating,
  advanceAndDraw,
  advanceToReveal,
  commitBallot,
  resolveEvaluation,
  newSalt,
  revealBallot,
} from "../src/juryChain.js";
import {
  FAMILY,
  MIN_START_PRICE,
  W0_INDEX,
  runKeeper,
  seedOrder,
  settlementOrder,
  startPricesOf,
} from "../src/rounds.js";
import { expectTokenChanges } from "./helpers/balances.js";
import {
  type GraphSpec,
  type RoundConfig,
  ONE,
  deployRounds,
  id,
  payoutOf,
  testConfig,
} from "./helpers/roundsFixture.js";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const { loadFixture, mine, time } = networkHelpers;
const publicClient = await viem.getPublicClient();

type Connection = typeof connection;
type Fixture = Awaited<ReturnType<typeof deployRounds>>;

const Phase = {
  None: 0,
  Opening: 1,
  Trading: 2,
  Selecting: 3,
  Evaluating: 4,
  Settling: 5,
  Settled: 6,
} as const;
const O = FAMILY.Originality;
const D = FAMILY.Dependency;
const JuryKind = { Pairwise: 0, Score: 1 } as const;
const JuryStatus = { Pending: 1, Drawn: 2, Resolved: 3, Failed: 4, Cancelled: 5 } as const;
/** Question tags of the contract's `_qid`. */
const TAG = { W0: 0n, S: 1n, C: 2n, O: 3n, W: 4n } as const;
const SETTLER_ROLE = keccak256(stringToHex("SETTLER_ROLE"));
const EVALUATOR_ROLE = keccak256(stringToHex("EVALUATOR_ROLE"));
const POT_FUNDS = parseEther("1000");
const DEFAULTS = testConfig();
const SUBSIDY = DEFAULTS.marketSubsidy;

/**
 * Four seeds: s0 with three children, s1 with two (b is shared with s0), s2 with one, s3 with
 * none. Originality markets: 4; dependency markets: 2 (s0, s1).
 */
const GRAPH: GraphSpec = { s0: ["a", "b", "c"], s1: ["b", "d"], s2: ["e"], s3: [] };
const SEEDS = Object.keys(GRAPH);
const BIG_CHILDREN = 129;
const bigChild = (i: number): string => `big-child-${i}`;
/** The round contract's MAX_SEEDS and the graph's MAX_FUNDED_CHILDREN. */
const MAX_SEEDS = 128;
const MAX_FUNDED = 128;

// ------------------------------------------------------------------------------------------------
// Fixtures
// ------------------------------------------------------------------------------------------------

/** GRAPH with the test configuration: sampleSize 2, volatility 0.1. */
async function roundsFixture(c: Connection) {
  return deployRounds(c, { graph: GRAPH });
}

/** Sampling only: one market per family, no volatility trigger. */
async function quietFixture(c: Connection) {
  return deployRounds(c, { graph: GRAPH, config: { sampleSize: 1, volatilityWad: 0n } });
}

/** One random market per family and a 1-point volatility trigger. */
async function volatileFixture(c: Connection) {
  return deployRounds(c, {
    graph: GRAPH,
    config: { sampleSize: 1, volatilityWad: parseEther("0.01") },
  });
}

/** Nothing in the budget. */
async function emptyBudgetFixture(c: Connection) {
  return deployRounds(c, { graph: GRAPH, budget: 0n });
}

/** A budget that pays a round's subsidies and no jury fee. */
async function subsidyOnlyFixture(c: Connection) {
  return deployRounds(c, { graph: GRAPH, budget: 3n * SUBSIDY });
}

/** A single seed. */
async function oneSeedFixture(c: Connection) {
  return deployRounds(c, { graph: { s0: ["a", "b"] } });
}

/** No seed with two children: no dependency market. */
async function noDependencyFixture(c: Connection) {
  return deployRounds(c, { graph: { s0: ["a"], s1: [] } });
}

/** A seed with 129 children (one more than the graph funds) and a seed with one. */
async function bigSeedFixture(c: Connection) {
  const kids = Array.from({ length: BIG_CHILDREN }, (_, i) => bigChild(i));
  return deployRounds(c, { graph: { big: kids, s1: ["a"] } });
}

/** One seed more than a round takes (MAX_SEEDS + 1), without children. */
async function tooManySeedsFixture(c: Connection) {
  const graph: GraphSpec = {};
  for (let i = 0; i <= MAX_SEEDS; i++) graph[`many-${i}`] = [];
  return deployRounds(c, { graph });
}

/**
 * A seed `big` with MAX_FUNDED - 1 registrar edges and two proposals after them (a, then b,
 * by traders 0 and 1), and a seed s1 with children a and b.
 */
async function orphanFixture(c: Connection) {
  const kids = Array.from({ length: MAX_FUNDED - 1 }, (_, i) => bigChild(i));
  const f = await deployRounds(c, { graph: { big: kids, s1: ["a", "b"] } });
  await f.graph.write.proposeEdge([id("big"), id("a")], { account: f.traders[0] });
  await f.graph.write.proposeEdge([id("big"), id("b")], { account: f.traders[1] });
  return f;
}

/**
 * The rounds contract over a fee-on-transfer token (fee 0 until a test sets it): its own jury,
 * graph (two seeds) and pot, the fixture's vault and maker.
 */
async function feeTokenFixture(c: Connection) {
  const f = await deployRounds(c, { graph: GRAPH });
  const me = f.admin.account.address;
  const feeToken = await c.viem.deployContract("FeeOnTransferToken", [0n]);
  const jury = await c.viem.deployContract("Jury", [
    feeToken.address,
    f.vault.address,
    me,
    zeroAddress,
  ]);
  const graph = await c.viem.deployContract("DependencyGraph", [
    id("fee-target"),
    feeToken.address,
    jury.address,
    parseEther("10"),
    me,
    me,
    me,
  ]);
  const pot = await c.viem.deployContract("FundingPot", [feeToken.address, graph.address, me, me]);
  const rounds = await c.viem.deployContract("DeepFundingRounds", [
    f.vault.address,
    f.maker.address,
    jury.address,
    graph.address,
    pot.address,
    f.config,
  ]);
  for (const name of ["x", "y"]) {
    await graph.write.registerNode([id(name), payoutOf(name), name]);
    await graph.write.addSeed([id(name)]);
  }
  const trader = f.traders[0];
  for (const who of [me, trader]) {
    await feeToken.write.mint([who, parseEther("10000")]);
    await feeToken.write.approve([rounds.address, maxUint256], { account: who });
  }
  return { ...f, feeToken, feeRounds: rounds };
}

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

/** Waits for a transaction and checks it succeeded. */
async function mined(hash: Hash | Promise<Hash>) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  expect(receipt.status).to.equal("success");
  return receipt;
}

/** The accounting identity: token.balanceOf(rounds) == budget() + heldFees(). */
async function expectAccounting(f: Fixture): Promise<void> {
  const [balance, budget, held] = await Promise.all([
    f.token.read.balanceOf([f.rounds.address]),
    f.rounds.read.budget(),
    f.rounds.read.heldFees(),
  ]);
  expect(balance, "balance == budget + heldFees").to.equal(budget + held);
}

/** The question id the contract derives: keccak256(abi.encode(rounds, round, tag, index)). */
function qid(rounds: Address, round: bigint, tag: bigint, index: bigint): Hex {
  return keccak256(
    encodeAbiParameters(parseAbiParameters("address, uint256, uint256, uint256"), [
      rounds,
      round,
      tag,
      index,
    ]),
  );
}

const popcount = (bits: bigint): number => bits.toString(2).replace(/0/g, "").length;
const bit = (bits: bigint, i: number): boolean => ((bits >> BigInt(i)) & 1n) === 1n;
const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

/** Spot prices right after a market's creation carry a few wei of fixed-point error. */
function expectNear(actual: readonly bigint[], expected: readonly bigint[], tolerance = 10n ** 9n) {
  expect(actual.length).to.equal(expected.length);
  actual.forEach((a, j) => {
    const d = a > expected[j] ? a - expected[j] : expected[j] - a;
    assert.ok(d <= tolerance, `price ${j}: ${a} vs ${expected[j]}`);
  });
}

const info = (f: Fixture, round = 1n) => f.rounds.read.roundInfo([round]);
const seed = (f: Fixture, i: number, round = 1n) => f.rounds.read.seedInfo([round, BigInt(i)]);
const deadline = async (): Promise<bigint> => BigInt(await time.latest()) + 3600n;

/** Buys `amount` of `outcome` in `market` for `account` (no cost limit). */
async function buy(f: Fixture, market: bigint, outcome: number, amount: bigint, account: Address) {
  return mined(
    f.maker.write.buy([market, BigInt(outcome), amount, maxUint256, await deadline()], {
      account,
    }),
  );
}

/** Splits `amount` of collateral into a full set of `condition` for `account`. */
async function split(f: Fixture, condition: Hex, amount: bigint, account: Address) {
  return mined(f.vault.write.splitPosition([f.token.address, 0n, condition, amount], { account }));
}

/** The vault position of slot `slot` of a condition split from collateral. */
const positionOf = (f: Fixture, condition: Hex, slot: number) =>
  f.vault.read.getPositionId([f.token.address, 0n, condition, BigInt(slot)]);

/** The MarketCreated events of a transaction by market id (parent position, condition...). */
function marketsCreated(f: Fixture, receipt: { logs: Log[] }) {
  const logs = parseEventLogs({ abi: f.maker.abi, logs: receipt.logs, eventName: "MarketCreated" });
  return new Map(logs.map((l) => [l.args.marketId, l.args]));
}

/**
 * Does the next step of the current round until its phase is `target` (opening, creating every
 * market, moving time to the close, mining the random block, selecting, creating evaluations).
 * Stops at Settling before `beginSettlement`.
 */
async function toPhase(f: Fixture, target: number): Promise<void> {
  for (let steps = 0; steps < 20; steps++) {
    const round = await f.rounds.read.currentRound();
    const r = await f.rounds.read.roundInfo([round]);
    if (r.phase === target && round !== 0n) return;
    switch (r.phase) {
      case Phase.None:
      case Phase.Settled:
        await mined(f.rounds.write.openRound());
        break;
      case Phase.Opening:
        await mined(f.rounds.write.openBatch([256n]));
        break;
      case Phase.Trading:
        if (BigInt(await time.latest()) < BigInt(r.closeTime)) await time.increaseTo(r.closeTime);
        await mined(f.rounds.write.close());
        break;
      case Phase.Selecting:
        if ((await publicClient.getBlockNumber()) < r.randomBlock) await mine();
        await mined(f.rounds.write.selectBatch([256n]));
        break;
      case Phase.Evaluating:
        await mined(f.rounds.write.createEvaluations([256n]));
        break;
      default:
        throw new Error(`toPhase: cannot go from phase ${r.phase} to ${target}`);
    }
  }
  throw new Error(`toPhase: phase ${target} not reached`);
}

/** Closes the current round at its close time and mines the random block. */
async function closeAndMine(f: Fixture): Promise<void> {
  const r = await info(f, await f.rounds.read.currentRound());
  await time.increaseTo(r.closeTime);
  await mined(f.rounds.write.close());
  await mine();
}

/** Settles the current round (from Settling) with the keeper's rankings. */
async function settleAll(f: Fixture): Promise<void> {
  const { waiting } = await runKeeper(connection, f.rounds, f.pot, { openNext: false });
  expect(waiting).to.match(/round settled/);
  const r = await info(f, await f.rounds.read.currentRound());
  expect(r.phase).to.equal(Phase.Settled);
}

/** The seed indices of a round ordered by node id (the pot's order). */
async function potOrder(f: Fixture, round = 1n): Promise<bigint[]> {
  const r = await info(f, round);
  const seeds = [];
  for (let i = 0; i < r.seedCount; i++) seeds.push(await seed(f, i, round));
  return seedOrder(seeds).map(BigInt);
}

/**
 * The pot's distribution of `round` as `distribute` (src/graph.ts) computes it from the on-chain
 * weights: W_0's time-weighted prices, UP's time-weighted price of each originality market (its
 * starting price without one) and `childWeights`. Read before the seeds' edges are settled.
 */
async function expectedDistribution(f: Fixture, round: bigint, pot: bigint) {
  const r = await info(f, round);
  const weights = await f.maker.read.averagePrices([r.w0Market]);
  const seeds: SeedInput[] = [];
  for (let i = 0; i < r.seedCount; i++) {
    const s = await seed(f, i, round);
    const originality =
      s.originalityMarket !== 0n
        ? (await f.maker.read.averagePrices([s.originalityMarket]))[0]
        : s.startOriginalityWad;
    const [live] = await f.graph.read.children([s.node]);
    const childWeights = await f.rounds.read.childWeights([round, BigInt(i)]);
    seeds.push({
      node: s.node,
      weight: weights[i],
      originality,
      children: childWeights.map((weight, j) => ({ child: live[j], weight })),
    });
  }
  return distribute(pot, seeds);
}

/** Every node's pot credit equals the distribution's payout, to the wei. */
async function expectCredits(f: Fixture, round: bigint, expected: ReturnType<typeof distribute>) {
  for (const [node, amount] of expected.payouts) {
    expect(await f.pot.read.owed([node as Hex]), `owed to ${node}`).to.equal(amount);
  }
  const p = await f.pot.read.roundInfo([round]);
  expect(p.distributed).to.equal(expected.distributed);
  expect(p.dust).to.equal(expected.dust);
  expect(p.status).to.equal(2); // Settled
}

/** A market's jury evaluation id (`evaluationOf` - 1); fails when it is not evaluated. */
async function evaluationIdOf(f: Fixture, family: number, seedIndex: bigint, round = 1n) {
  const stored = await f.rounds.read.evaluationOf([round, family, seedIndex]);
  assert.ok(stored > 0n, `market ${family}:${seedIndex} of round ${round} is evaluated`);
  return stored - 1n;
}

/** A market's vault condition: (rounds, questionId, slots). */
async function conditionOf(f: Fixture, family: number, seedIndex: bigint, slots: number) {
  const question = await f.rounds.read.questionId([1n, family, seedIndex]);
  return f.vault.read.getConditionId([f.rounds.address, question, BigInt(slots)]);
}

/**
 * Runs a jury evaluation to Resolved, as scripts/demoDeepFunding.ts does: draws the panel,
 * every member commits and reveals `vote` (a score or pairwise ratings), then the median score
 * or the Huber certificate resolves it.
 */
async function juryResolves(
  f: Fixture,
  evaluationId: bigint,
  vote: { scoreWad: bigint } | { pairs: Rating[] },
): Promise<readonly bigint[]> {
  const { jury } = f;
  const panel = await advanceAndDraw(connection, jury, evaluationId);
  const ballots: Ballot[] = panel.map((juror) => ({
    jury: jury.address,
    evaluationId,
    juror,
    salt: newSalt(),
    ...vote,
  }));
  for (const b of ballots) await mined(commitBallot(jury, b));
  await advanceToReveal(connection, jury, evaluationId);
  for (const b of ballots) await mined(revealBallot(jury, b));
  await advanceToReveal(connection, jury, evaluationId, true);
  await mined(resolveEvaluation(connection, jury, evaluationId));
  expect((await jury.read.evaluation([evaluationId])).status).to.equal(JuryStatus.Resolved);
  return jury.read.resultOf([evaluationId]);
}

/** Draws the panels, lets the reveal windows pass without a ballot and fails the evaluations. */
async function juryFails(f: Fixture, ...evaluationIds: bigint[]): Promise<void> {
  for (const e of evaluationIds) await advanceAndDraw(connection, f.jury, e);
  for (const e of evaluationIds) await advanceToReveal(connection, f.jury, e, true);
  for (const e of evaluationIds) {
    await mined(f.jury.write.failEvaluation([e]));
    expect((await f.jury.read.evaluation([e])).status).to.equal(JuryStatus.Failed);
  }
}

/** The condition's payout numerators, one per slot, and its denominator. */
async function payoutsOf(f: Fixture, condition: Hex, slots: number) {
  const numerators = [];
  for (let j = 0n; j < BigInt(slots); j++) {
    numerators.push(await f.vault.read.payoutNumerator([condition, j]));
  }
  return { numerators, denominator: await f.vault.read.payoutDenominator([condition]) };
}

// ------------------------------------------------------------------------------------------------
// Constructor
// ------------------------------------------------------------------------------------------------

describe("DeepFundingRounds: constructor", () => {
  const deploy = (f: Fixture, config: RoundConfig, addresses?: Partial<Record<string, Address>>) =>
    viem.deployContract("DeepFundingRounds", [
      addresses?.vault ?? f.vault.address,
      addresses?.maker ?? f.maker.address,
      addresses?.jury ?? f.jury.address,
      addresses?.graph ?? f.graph.address,
      addresses?.pot ?? f.pot.address,
      config,
    ]);

  it("constructor: stores the contracts, token, target and config and approves the maker", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds } = f;
    expect(await rounds.read.VAULT()).to.equal(getAddress(f.vault.address));
    expect(await rounds.read.MAKER()).to.equal(getAddress(f.maker.address));
    expect(await rounds.read.JURY()).to.equal(getAddress(f.jury.address));
    expect(await rounds.read.GRAPH()).to.equal(getAddress(f.graph.address));
    expect(await rounds.read.POT()).to.equal(getAddress(f.pot.address));
    expect(await rounds.read.TOKEN()).to.equal(getAddress(f.token.address));
    expect(await rounds.read.TARGET()).to.equal(await f.graph.read.target());
    expect(await rounds.read.config()).to.deep.equal(f.config);
    expect(await rounds.read.MIN_START_PRICE()).to.equal(MIN_START_PRICE);
    expect(await rounds.read.MAX_SAMPLE()).to.equal(64n);
    expect(await rounds.read.MAX_SEEDS()).to.equal(BigInt(MAX_SEEDS));
    expect(await f.vault.read.isApprovedForAll([rounds.address, f.maker.address])).to.equal(true);
    expect(await rounds.read.currentRound()).to.equal(0n);
    expect((await info(f, 0n)).phase).to.equal(Phase.None);
    expect(await rounds.read.heldFees()).to.equal(0n);
  });

  it("constructor: reverts with ZeroAddress for each zero contract", async () => {
    const f = await loadFixture(roundsFixture);
    for (const which of ["vault", "maker", "jury", "graph", "pot"]) {
      await viem.assertions.revertWithCustomError(
        deploy(f, f.config, { [which]: zeroAddress }),
        f.rounds,
        "ZeroAddress",
      );
    }
  });

  it("constructor: reverts with InvalidConfig(field) for each bad field, accepts the bounds", async () => {
    const f = await loadFixture(roundsFixture);
    const cases: [string, Partial<RoundConfig>][] = [
      ["period", { period: 0 }],
      ["marketSubsidy", { marketSubsidy: 0n }],
      ["baseRateWad", { baseRateWad: 0n }],
      ["baseRateWad", { baseRateWad: ONE + 1n }],
      ["startOriginalityWad", { startOriginalityWad: MIN_START_PRICE - 1n }],
      ["startOriginalityWad", { startOriginalityWad: ONE - MIN_START_PRICE + 1n }],
      ["sampleSize", { sampleSize: 0 }],
      ["sampleSize", { sampleSize: 65 }],
      ["evaluationFee", { evaluationFee: 0n }],
    ];
    for (const [field, overrides] of cases) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        deploy(f, testConfig(overrides)),
        f.rounds,
        "InvalidConfig",
        [field],
      );
    }
    const accepted: Partial<RoundConfig>[] = [
      { baseRateWad: ONE, startOriginalityWad: MIN_START_PRICE, sampleSize: 64 },
      { baseRateWad: 1n, startOriginalityWad: ONE - MIN_START_PRICE, sampleSize: 1 },
      { volatilityWad: 0n, juryFee: 0n, evaluationFee: 1n, period: 1, marketSubsidy: 1n },
    ];
    for (const overrides of accepted) {
      const config = testConfig(overrides);
      const rounds = await deploy(f, config);
      expect(await rounds.read.config()).to.deep.equal(config);
    }
  });

  it("constructor: reverts with InvalidConfig(field) for jury parameters the jury refuses", async () => {
    const f = await loadFixture(roundsFixture);
    const year = 365 * 24 * 3600;
    const cases: [string, Partial<RoundConfig>][] = [
      ["panelSize", { panelSize: 0 }],
      ["panelSize", { panelSize: 65 }],
      ["commitDuration", { commitDuration: 0 }],
      ["commitDuration", { commitDuration: year + 1 }],
      ["revealDuration", { revealDuration: 0 }],
      ["revealDuration", { revealDuration: year + 1 }],
      ["deltaWad", { deltaWad: 0n }],
      ["toleranceWad", { toleranceWad: 0n }],
      ["toleranceWad", { toleranceWad: 8191n }],
      ["toleranceWad", { toleranceWad: 10n ** 9n + 1n }],
    ];
    for (const [field, overrides] of cases) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        deploy(f, testConfig(overrides)),
        f.rounds,
        "InvalidConfig",
        [field],
      );
    }
  });

  it("constructor: accepts the jury's bounds, and the jury takes the evaluations of such a round", async () => {
    const f = await loadFixture(roundsFixture);
    const { jury, graph, pot, token } = f;
    const year = 365 * 24 * 3600;
    // The bounds are the jury's own.
    expect(await jury.read.MAX_PANEL()).to.equal(64n);
    expect(await jury.read.MAX_DURATION()).to.equal(BigInt(year));
    expect(await jury.read.MIN_TOLERANCE()).to.equal(8192n);
    expect(await jury.read.MAX_TOLERANCE()).to.equal(10n ** 9n);
    const accepted: Partial<RoundConfig>[] = [
      { panelSize: 1, commitDuration: 1, revealDuration: 1, deltaWad: 1n, toleranceWad: 8192n },
      {
        panelSize: 64,
        commitDuration: year,
        revealDuration: year,
        deltaWad: 2n ** 128n - 1n,
        toleranceWad: 10n ** 9n,
      },
    ];
    for (const overrides of accepted) {
      const config = testConfig(overrides);
      const rounds = await deploy(f, config);
      expect(await rounds.read.config()).to.deep.equal(config);
      // A round of this contract reaches Settling: createEvaluations is not refused.
      await mined(jury.write.grantRole([EVALUATOR_ROLE, rounds.address]));
      await mined(graph.write.grantRole([SETTLER_ROLE, rounds.address]));
      await mined(pot.write.grantRole([SETTLER_ROLE, rounds.address]));
      await mined(token.write.approve([rounds.address, maxUint256]));
      await mined(rounds.write.fundBudget([parseEther("1000")]));
      const g = { ...f, rounds };
      await toPhase(g, Phase.Settling);
      assert.ok((await info(g)).evaluations > 0n);
    }
  });

  it('constructor: reverts with InvalidConfig("pot token") for a pot of another token', async () => {
    const f = await loadFixture(roundsFixture);
    const other = await viem.deployContract("TestToken", ["Other", "OTH", 18]);
    const me = f.admin.account.address;
    const pot = await viem.deployContract("FundingPot", [other.address, f.graph.address, me, me]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      deploy(f, f.config, { pot: pot.address }),
      f.rounds,
      "InvalidConfig",
      ["pot token"],
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Budget
// ------------------------------------------------------------------------------------------------

describe("DeepFundingRounds: fundBudget", () => {
  it("fundBudget: reverts with ZeroAmount", async () => {
    const f = await loadFixture(roundsFixture);
    await viem.assertions.revertWithCustomError(
      f.rounds.write.fundBudget([0n]),
      f.rounds,
      "ZeroAmount",
    );
  });

  it("fundBudget: pulls the amount into the budget and emits BudgetFunded", async () => {
    const f = await loadFixture(roundsFixture);
    const funder = f.traders[1];
    const amount = parseEther("123.456");
    const before = await f.rounds.read.budget();
    expect(before).to.equal(parseEther("10000"));
    await expectTokenChanges(
      f.token,
      () =>
        viem.assertions.emitWithArgs(
          f.rounds.write.fundBudget([amount], { account: funder }),
          f.rounds,
          "BudgetFunded",
          [getAddress(funder), amount],
        ),
      [
        { address: funder, amount: -amount },
        { address: f.rounds.address, amount },
      ],
    );
    expect(await f.rounds.read.budget()).to.equal(before + amount);
    expect(await f.rounds.read.heldFees()).to.equal(0n);
    await expectAccounting(f);
  });

  it("fundBudget and requestEvaluation: reject a fee-on-transfer delivery with DeliveredLess", async () => {
    const f = await loadFixture(feeTokenFixture);
    const { feeToken, feeRounds } = f;
    const trader = f.traders[0];
    await mined(feeRounds.write.fundBudget([3n * SUBSIDY]));
    await mined(feeRounds.write.openRound());
    await mined(feeRounds.write.openBatch([10n]));
    await mined(feeToken.write.setFee([100n])); // 1%
    const amount = parseEther("100");
    await viem.assertions.revertWithCustomErrorWithArgs(
      feeRounds.write.fundBudget([amount]),
      feeRounds,
      "DeliveredLess",
      [amount, amount - amount / 100n],
    );
    const fee = DEFAULTS.evaluationFee;
    await viem.assertions.revertWithCustomErrorWithArgs(
      feeRounds.write.requestEvaluation([O, 0n], { account: trader }),
      feeRounds,
      "DeliveredLess",
      [fee, fee - fee / 100n],
    );
    expect(await feeRounds.read.heldFees()).to.equal(0n);
    expect(await feeToken.read.balanceOf([feeRounds.address])).to.equal(
      await feeRounds.read.budget(),
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Opening
// ------------------------------------------------------------------------------------------------

describe("DeepFundingRounds: openRound", () => {
  it("openRound: reverts with SeedCount for fewer than two seeds", async () => {
    const f = await loadFixture(oneSeedFixture);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.rounds.write.openRound(),
      f.rounds,
      "SeedCount",
      [1n],
    );
  });

  it("openRound: reverts with SeedCount above MAX_SEEDS (129 seeds), opens with 128", async () => {
    const f = await loadFixture(tooManySeedsFixture);
    const { rounds, graph } = f;
    expect(await graph.read.seeds()).to.have.length(MAX_SEEDS + 1);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.openRound(),
      rounds,
      "SeedCount",
      [BigInt(MAX_SEEDS + 1)],
    );
    expect(await rounds.read.currentRound()).to.equal(0n);
    await mined(graph.write.removeSeed([id(`many-${MAX_SEEDS}`)]));
    await mined(rounds.write.openRound());
    expect((await info(f)).seedCount).to.equal(MAX_SEEDS);
    await expectAccounting(f);
  });

  it("openRound: reverts with InsufficientBudget below 3 x marketSubsidy, opens at exactly that", async () => {
    const f = await loadFixture(emptyBudgetFixture);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.rounds.write.openRound(),
      f.rounds,
      "InsufficientBudget",
      [0n, 3n * SUBSIDY],
    );
    await mined(f.rounds.write.fundBudget([3n * SUBSIDY - 1n]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.rounds.write.openRound(),
      f.rounds,
      "InsufficientBudget",
      [3n * SUBSIDY - 1n, 3n * SUBSIDY],
    );
    await mined(f.rounds.write.fundBudget([1n]));
    await mined(f.rounds.write.openRound());
    expect(await f.rounds.read.budget()).to.equal(0n);
    expect(await f.rounds.read.currentRound()).to.equal(1n);
    await expectAccounting(f);
  });

  it("openRound: reverts with WrongPhase while the current round is not Settled", async () => {
    const f = await loadFixture(roundsFixture);
    await mined(f.rounds.write.openRound());
    const phases = [
      Phase.Opening,
      Phase.Trading,
      Phase.Selecting,
      Phase.Evaluating,
      Phase.Settling,
    ];
    for (const phase of phases) {
      await toPhase(f, phase);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rounds.write.openRound(),
        f.rounds,
        "WrongPhase",
        [1n, phase],
      );
    }
    await settleAll(f);
    await mined(f.rounds.write.openRound());
    expect(await f.rounds.read.currentRound()).to.equal(2n);
  });

  it("openRound: creates W_0 at startPrices, splits the S and C sets, spends 3 x subsidy", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, vault } = f;
    const budget = await rounds.read.budget();
    const markets = await f.maker.read.marketCount();
    let hash: Hash | undefined;
    await expectTokenChanges(
      f.token,
      async () => {
        hash = await rounds.write.openRound();
      },
      [
        { address: rounds.address, amount: -3n * SUBSIDY },
        { address: vault.address, amount: 3n * SUBSIDY },
      ],
    );
    const receipt = await mined(hash!);
    const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
    const closeTime = block.timestamp + BigInt(DEFAULTS.period);
    const r = await info(f);
    const n = SEEDS.length;
    expect(r.phase).to.equal(Phase.Opening);
    expect(r.seedCount).to.equal(n);
    expect(r.cursor).to.equal(0);
    expect(BigInt(r.closeTime)).to.equal(closeTime);
    expect(r.spent).to.equal(3n * SUBSIDY);
    expect(r.w0Market).to.equal(markets + 1n);
    expect(await rounds.read.budget()).to.equal(budget - 3n * SUBSIDY);
    await expectAccounting(f);
    const seeds = await f.graph.read.seeds();
    expect(seeds).to.deep.equal(SEEDS.map(id));
    for (let i = 0; i < n; i++) {
      const s = await seed(f, i);
      expect(s.node).to.equal(seeds[i]);
      expect([s.opened, s.originalityMarket, s.dependencyMarket]).to.deep.equal([false, 0n, 0n]);
    }
    // Conditions: W_0, S and C all resolved by this contract (W_0 reports the jury's result
    // through resolveMarket), n slots each.
    const w0Question = await rounds.read.questionId([1n, O, W0_INDEX]);
    expect(w0Question).to.equal(qid(rounds.address, 1n, TAG.W0, 0n));
    expect(r.w0Condition).to.equal(
      await vault.read.getConditionId([rounds.address, w0Question, BigInt(n)]),
    );
    expect(r.sCondition).to.equal(
      await vault.read.getConditionId([
        rounds.address,
        qid(rounds.address, 1n, TAG.S, 0n),
        BigInt(n),
      ]),
    );
    expect(r.cCondition).to.equal(
      await vault.read.getConditionId([
        rounds.address,
        qid(rounds.address, 1n, TAG.C, 0n),
        BigInt(n),
      ]),
    );
    for (const condition of [r.w0Condition, r.sCondition, r.cCondition]) {
      expect(await vault.read.outcomeSlotCount([condition])).to.equal(BigInt(n));
      expect(await vault.read.isResolved([condition])).to.equal(false);
    }
    // The contract holds `subsidy` of every S_j and C_i before any batch.
    for (let j = 0; j < n; j++) {
      for (const condition of [r.sCondition, r.cCondition]) {
        const position = await positionOf(f, condition, j);
        expect(await vault.read.balanceOf([rounds.address, position])).to.equal(SUBSIDY);
      }
    }
    // W_0: collateral-priced, over the W_0 condition, at startPrices(TARGET, seeds).
    const created = marketsCreated(f, receipt).get(r.w0Market)!;
    expect(created.parentPositionId).to.equal(0n);
    expect(created.conditionId).to.equal(r.w0Condition);
    expect(created.subsidy).to.equal(SUBSIDY);
    expect(BigInt(created.closeTime)).to.equal(closeTime);
    const start = await rounds.read.startPrices([await rounds.read.TARGET(), seeds]);
    expect(start).to.deep.equal(startPricesOf([0n, 0n, 0n, 0n], DEFAULTS.baseRateWad));
    expectNear(await f.maker.read.prices([r.w0Market]), start);
    const [opened] = parseEventLogs({
      abi: rounds.abi,
      logs: receipt.logs,
      eventName: "RoundOpened",
    });
    expect(opened.args).to.deep.equal({
      round: 1n,
      seedCount: BigInt(n),
      closeTime,
      w0Market: r.w0Market,
      subsidy: SUBSIDY,
    });
  });
});

describe("DeepFundingRounds: openBatch", () => {
  it("openBatch: reverts with WrongPhase outside Opening and ZeroBatch for 0 seeds", async () => {
    const f = await loadFixture(roundsFixture);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.rounds.write.openBatch([1n]),
      f.rounds,
      "WrongPhase",
      [0n, Phase.None],
    );
    await mined(f.rounds.write.openRound());
    await viem.assertions.revertWithCustomError(
      f.rounds.write.openBatch([0n]),
      f.rounds,
      "ZeroBatch",
    );
    await mined(f.rounds.write.openBatch([256n]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.rounds.write.openBatch([1n]),
      f.rounds,
      "WrongPhase",
      [1n, Phase.Trading],
    );
  });

  it("openBatch: creates each seed's markets in batches under S_j and C_i", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, vault } = f;
    await mined(rounds.write.openRound());
    const r = await info(f);
    // Batch of 3, then the rest.
    const first = await mined(rounds.write.openBatch([3n]));
    expect((await info(f)).cursor).to.equal(3);
    expect((await info(f)).phase).to.equal(Phase.Opening);
    expect((await seed(f, 2)).opened).to.equal(true);
    expect((await seed(f, 3)).opened).to.equal(false);
    const second = await mined(rounds.write.openBatch([3n]));
    const after = await info(f);
    expect(after.cursor).to.equal(0);
    expect(after.phase).to.equal(Phase.Trading);
    const trading = parseEventLogs({
      abi: rounds.abi,
      logs: second.logs,
      eventName: "TradingOpen",
    });
    expect(trading.map((l) => l.args.round)).to.deep.equal([1n]);
    expect(
      parseEventLogs({ abi: rounds.abi, logs: first.logs, eventName: "TradingOpen" }),
    ).to.have.length(0);

    const created = new Map([...marketsCreated(f, first), ...marketsCreated(f, second)]);
    const openedLogs = [first, second].flatMap((x) =>
      parseEventLogs({ abi: rounds.abi, logs: x.logs, eventName: "SeedOpened" }),
    );
    expect(openedLogs.map((l) => l.args.seedIndex)).to.deep.equal([0n, 1n, 2n, 3n]);
    for (let i = 0; i < SEEDS.length; i++) {
      const s = await seed(f, i);
      const kids = GRAPH[SEEDS[i]].map(id);
      expect(s.opened).to.equal(true);
      expect(s.settled).to.equal(false);
      expect(s.childCount).to.equal(kids.length);
      expect(s.childrenHash).to.equal(keccak256(encodePacked(["bytes32[]"], [kids])));
      expect(s.startOriginalityWad).to.equal(DEFAULTS.startOriginalityWad);
      expect(openedLogs[i].args).to.deep.equal({
        round: 1n,
        seedIndex: BigInt(i),
        node: s.node,
        originalityMarket: s.originalityMarket,
        dependencyMarket: s.dependencyMarket,
        childCount: BigInt(kids.length),
      });
      // O_j: UP/DOWN priced in S_j, resolved by this contract (the jury's score, reported by
      // resolveMarket), at the starting UP price.
      assert.notEqual(s.originalityMarket, 0n);
      const o = created.get(s.originalityMarket)!;
      expect(o.parentPositionId).to.equal(await positionOf(f, r.sCondition, i));
      expect(o.conditionId).to.equal(
        await vault.read.getConditionId([
          rounds.address,
          await rounds.read.questionId([1n, O, BigInt(i)]),
          2n,
        ]),
      );
      expect(o.subsidy).to.equal(SUBSIDY);
      expect(o.closeTime).to.equal(BigInt(r.closeTime));
      const up = DEFAULTS.startOriginalityWad;
      expectNear(await f.maker.read.prices([s.originalityMarket]), [up, ONE - up]);
      // W_i only for two children or more: priced in C_i, over the children.
      const cPosition = await positionOf(f, r.cCondition, i);
      if (kids.length >= 2) {
        assert.notEqual(s.dependencyMarket, 0n);
        const w = created.get(s.dependencyMarket)!;
        expect(w.parentPositionId).to.equal(cPosition);
        expect(w.conditionId).to.equal(
          await vault.read.getConditionId([
            rounds.address,
            await rounds.read.questionId([1n, D, BigInt(i)]),
            BigInt(kids.length),
          ]),
        );
        expect(w.outcomes).to.equal(BigInt(kids.length));
        expectNear(
          await f.maker.read.prices([s.dependencyMarket]),
          await rounds.read.startPrices([s.node, kids]),
        );
      } else {
        expect(s.dependencyMarket).to.equal(0n);
      }
      // The subsidies came out of the S and C sets; an unused C_i stays with the contract.
      const sPosition = await positionOf(f, r.sCondition, i);
      expect(await vault.read.balanceOf([rounds.address, sPosition])).to.equal(0n);
      expect(await vault.read.balanceOf([rounds.address, cPosition])).to.equal(
        kids.length >= 2 ? 0n : SUBSIDY,
      );
    }
    expect(created.size).to.equal(SEEDS.length + 2);
    // Nothing of the budget is spent by the batches.
    expect(await rounds.read.budget()).to.equal(parseEther("10000") - 3n * SUBSIDY);
    await expectAccounting(f);
  });

  it("openBatch: a batch run after the close time creates no markets, keeps starting prices", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds } = f;
    await mined(rounds.write.openRound());
    await mined(rounds.write.openBatch([1n]));
    const r = await info(f);
    await time.increaseTo(r.closeTime);
    const markets = await f.maker.read.marketCount();
    const receipt = await mined(rounds.write.openBatch([10n]));
    expect(await f.maker.read.marketCount()).to.equal(markets);
    expect(marketsCreated(f, receipt).size).to.equal(0);
    expect((await info(f)).phase).to.equal(Phase.Trading);
    for (let i = 1; i < SEEDS.length; i++) {
      const s = await seed(f, i);
      expect(s.opened).to.equal(true);
      expect(s.originalityMarket).to.equal(0n);
      expect(s.dependencyMarket).to.equal(0n);
      expect(s.childCount).to.equal(GRAPH[SEEDS[i]].length);
      expect(s.startOriginalityWad).to.equal(DEFAULTS.startOriginalityWad);
    }
    // s1 (two children, no market) keeps its starting prices as its children's weights.
    const kids = GRAPH.s1.map(id);
    const start = await rounds.read.startPrices([id("s1"), kids]);
    expect(start).to.deep.equal([ONE / 2n, ONE / 2n]);
    expect(await rounds.read.childWeights([1n, 1n])).to.deep.equal(start);
    expect(await rounds.read.childWeights([1n, 2n])).to.deep.equal([ONE]);
    expect(await rounds.read.childWeights([1n, 3n])).to.deep.equal([]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.requestEvaluation([O, 0n]),
      rounds,
      "TradingClosed",
      [1n, BigInt(r.closeTime)],
    );

    // The round still settles: selection only sees seed 0's markets; the pot pays s1's children
    // by the starting prices.
    await mined(f.pot.write.fund([1n, POT_FUNDS]));
    await toPhase(f, Phase.Settling);
    const after = await info(f);
    expect(after.originalityEvaluated).to.equal(1n);
    expect(after.dependencyEvaluated).to.equal(1n);
    expect(after.evaluations).to.equal(3n);
    const expected = await expectedDistribution(f, 1n, POT_FUNDS);
    await settleAll(f);
    await expectCredits(f, 1n, expected);
    assert.ok((await f.pot.read.owed([id("d")])) > 0n, "s1's child d is paid");
    await expectAccounting(f);
  });
});

describe("DeepFundingRounds: conditions prepared by others", () => {
  /** The round's question ids and slot counts: W_0, S, C (n slots), O_j (2), W_si (children). */
  function questions(rounds: Address, round: bigint) {
    const n = BigInt(SEEDS.length);
    const list: { name: string; question: Hex; slots: bigint }[] = [
      { name: "W_0", question: qid(rounds, round, TAG.W0, 0n), slots: n },
      { name: "S", question: qid(rounds, round, TAG.S, 0n), slots: n },
      { name: "C", question: qid(rounds, round, TAG.C, 0n), slots: n },
    ];
    SEEDS.forEach((name, i) => {
      list.push({ name: `O_${i}`, question: qid(rounds, round, TAG.O, BigInt(i)), slots: 2n });
      const k = GRAPH[name].length;
      if (k >= 2) {
        list.push({
          name: `W_s${i}`,
          question: qid(rounds, round, TAG.W, BigInt(i)),
          slots: BigInt(k),
        });
      }
    });
    return list;
  }

  it("openRound and openBatch: reuse the W_0, S, C, O_j and W_i conditions an outsider prepared for the rounds contract", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, vault, maker } = f;
    const outsider = f.traders[3];
    const round = (await rounds.read.currentRound()) + 1n;
    const prepared = new Map<string, Hex>();
    for (const { name, question, slots } of questions(rounds.address, round)) {
      await mined(
        vault.write.prepareCondition([rounds.address, question, slots], { account: outsider }),
      );
      const condition = await vault.read.getConditionId([rounds.address, question, slots]);
      expect(await vault.read.outcomeSlotCount([condition])).to.equal(slots);
      prepared.set(name, condition);
    }
    expect(prepared.size).to.equal(3 + SEEDS.length + 2);
    // Neither transaction prepares anything: both use the outsider's conditions.
    const opened = await mined(rounds.write.openRound());
    const batch = await mined(rounds.write.openBatch([256n]));
    for (const receipt of [opened, batch]) {
      expect(
        parseEventLogs({ abi: vault.abi, logs: receipt.logs, eventName: "ConditionPrepared" }),
      ).to.have.length(0);
    }
    const r = await info(f, round);
    expect(r.phase).to.equal(Phase.Trading);
    expect([r.w0Condition, r.sCondition, r.cCondition]).to.deep.equal([
      prepared.get("W_0"),
      prepared.get("S"),
      prepared.get("C"),
    ]);
    const created = new Map([...marketsCreated(f, opened), ...marketsCreated(f, batch)]);
    expect(created.get(r.w0Market)!.conditionId).to.equal(prepared.get("W_0"));
    for (let i = 0; i < SEEDS.length; i++) {
      const s = await seed(f, i, round);
      expect(created.get(s.originalityMarket)!.conditionId).to.equal(prepared.get(`O_${i}`));
      if (s.dependencyMarket !== 0n) {
        expect(created.get(s.dependencyMarket)!.conditionId).to.equal(prepared.get(`W_s${i}`));
      }
    }
    expect(created.size).to.equal(SEEDS.length + 3);
    expectNear(
      await maker.read.prices([r.w0Market]),
      startPricesOf([0n, 0n, 0n, 0n], DEFAULTS.baseRateWad),
    );
    // The round runs on: S and C are reported by the rounds contract.
    await toPhase(f, Phase.Settling);
    for (const condition of [r.sCondition, r.cCondition]) {
      expect(await vault.read.isResolved([condition])).to.equal(true);
    }
    await expectAccounting(f);
  });

  it("openRound and openBatch: conditions prepared for another resolver or slot count are harmless", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, vault, jury } = f;
    const outsider = f.traders[3];
    const foreign: Hex[] = [];
    const list = questions(rounds.address, 1n);
    for (const [k, { question, slots }] of list.entries()) {
      // The jury (the former resolver), an EOA, or this contract with one slot too many.
      for (const [resolver, count] of [
        [jury.address, slots],
        [outsider, slots],
        [rounds.address, slots + 1n],
      ] as const) {
        if (k % 2 === 1 && resolver === jury.address) continue;
        await mined(
          vault.write.prepareCondition([resolver, question, count], { account: outsider }),
        );
        foreign.push(await vault.read.getConditionId([resolver, question, count]));
      }
    }
    const opened = await mined(rounds.write.openRound());
    const batch = await mined(rounds.write.openBatch([256n]));
    // Every condition of the round is prepared afresh, the rounds contract's own.
    const preparedLogs = [opened, batch].flatMap((x) =>
      parseEventLogs({ abi: vault.abi, logs: x.logs, eventName: "ConditionPrepared" }),
    );
    expect(
      preparedLogs.map((l) => [l.args.resolver, l.args.questionId, l.args.outcomeSlotCount]),
    ).to.deep.equal(list.map((q) => [getAddress(rounds.address), q.question, q.slots]));
    const r = await info(f);
    const own = [r.w0Condition, r.sCondition, r.cCondition];
    for (let i = 0; i < SEEDS.length; i++) {
      const s = await seed(f, i);
      own.push((await f.maker.read.marketInfo([s.originalityMarket]))[5]);
      if (s.dependencyMarket !== 0n) {
        own.push((await f.maker.read.marketInfo([s.dependencyMarket]))[5]);
      }
    }
    expect(own).to.deep.equal(preparedLogs.map((l) => l.args.conditionId));
    for (const condition of foreign) expect(own).to.not.include(condition);
    await toPhase(f, Phase.Settling);
    for (const condition of foreign) {
      expect(await vault.read.isResolved([condition])).to.equal(false);
    }
    expect(await vault.read.isResolved([r.cCondition])).to.equal(true);
  });
});

// ------------------------------------------------------------------------------------------------
// Evaluation requests
// ------------------------------------------------------------------------------------------------

describe("DeepFundingRounds: requestEvaluation", () => {
  it("requestEvaluation: reverts outside trading, out of range, without a market and twice", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds } = f;
    const account = f.traders[0];
    const request = (family: number, i: bigint) =>
      rounds.write.requestEvaluation([family, i], { account });
    await viem.assertions.revertWithCustomErrorWithArgs(request(O, 0n), rounds, "WrongPhase", [
      0n,
      Phase.None,
    ]);
    await mined(rounds.write.openRound());
    await mined(rounds.write.openBatch([1n]));
    // Seed 1's batch has not run: no market yet.
    await viem.assertions.revertWithCustomErrorWithArgs(request(O, 1n), rounds, "NoMarket", [
      1n,
      O,
      1n,
    ]);
    await mined(request(O, 0n)); // allowed while Opening
    await mined(rounds.write.openBatch([10n]));
    await viem.assertions.revertWithCustomErrorWithArgs(request(O, 4n), rounds, "SeedOutOfRange", [
      4n,
      4n,
    ]);
    // s2 has one child and s3 none: no dependency market.
    for (const i of [2n, 3n]) {
      await viem.assertions.revertWithCustomErrorWithArgs(request(D, i), rounds, "NoMarket", [
        1n,
        D,
        i,
      ]);
    }
    await viem.assertions.revertWithCustomErrorWithArgs(
      request(O, 0n),
      rounds,
      "AlreadyRequested",
      [1n, O, 0n],
    );
    await mined(request(D, 0n)); // the other family of the same seed is a different market
    await viem.assertions.revertWithCustomErrorWithArgs(
      request(D, 0n),
      rounds,
      "AlreadyRequested",
      [1n, D, 0n],
    );
    // At the close time trading is over, even before `close`.
    const r = await info(f);
    await time.setNextBlockTimestamp(r.closeTime);
    await viem.assertions.revertWithCustomErrorWithArgs(request(O, 1n), rounds, "TradingClosed", [
      1n,
      BigInt(r.closeTime),
    ]);
    await mined(rounds.write.close());
    await viem.assertions.revertWithCustomErrorWithArgs(request(O, 1n), rounds, "WrongPhase", [
      1n,
      Phase.Selecting,
    ]);
    expect(await rounds.read.heldFees()).to.equal(2n * DEFAULTS.evaluationFee);
    await expectAccounting(f);
  });

  it("requestEvaluation: pulls the fee, records it and emits EvaluationRequested", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds } = f;
    const [alice, bob] = f.traders;
    const fee = DEFAULTS.evaluationFee;
    await toPhase(f, Phase.Trading);
    const budget = await rounds.read.budget();
    await expectTokenChanges(
      f.token,
      () =>
        viem.assertions.emitWithArgs(
          rounds.write.requestEvaluation([O, 2n], { account: alice }),
          rounds,
          "EvaluationRequested",
          [1n, O, 2n, getAddress(alice), fee],
        ),
      [
        { address: alice, amount: -fee },
        { address: rounds.address, amount: fee },
      ],
    );
    await mined(rounds.write.requestEvaluation([D, 1n], { account: bob }));
    expect(await rounds.read.heldFees()).to.equal(2n * fee);
    expect(await rounds.read.budget()).to.equal(budget);
    expect(await rounds.read.requestFee([1n, O, 2n])).to.equal(fee);
    expect(await rounds.read.requestFee([1n, D, 1n])).to.equal(fee);
    expect(await rounds.read.requestFee([1n, D, 2n])).to.equal(0n);
    expect(await rounds.read.requestFee([1n, O, 1n])).to.equal(0n);
    const r = await info(f);
    expect(r.requestedOriginality).to.equal(1n << 2n);
    expect(r.requestedDependency).to.equal(1n << 1n);
    await expectAccounting(f);
  });

  it("requestEvaluation: requested markets are evaluated (reason 2) and their fees go to the jury", async () => {
    const f = await loadFixture(quietFixture);
    const { rounds, jury } = f;
    const account = f.traders[2];
    const fee = DEFAULTS.evaluationFee;
    const juryFee = DEFAULTS.juryFee;
    await toPhase(f, Phase.Trading);
    // Every originality market and the dependency market of s0: sampling alone picks one each.
    for (let i = 0n; i < 4n; i++) await mined(rounds.write.requestEvaluation([O, i], { account }));
    await mined(rounds.write.requestEvaluation([D, 0n], { account }));
    expect(await rounds.read.heldFees()).to.equal(5n * fee);
    await closeAndMine(f);
    const receipt = await mined(rounds.write.selectBatch([10n]));
    const selected = parseEventLogs({
      abi: rounds.abi,
      logs: receipt.logs,
      eventName: "MarketSelected",
    });
    const reasons = new Map(
      selected.map((l) => [`${l.args.family}:${l.args.seedIndex}`, l.args.reason]),
    );
    for (let i = 0; i < 4; i++) {
      const reason = reasons.get(`${O}:${i}`);
      assert.ok(reason !== undefined && (reason & 2n) === 2n, `O_${i} selected as requested`);
      expect(reason & 4n).to.equal(0n);
    }
    // sampleSize 1: exactly one market per family carries the sample bit.
    const sampled = (family: number) =>
      selected.filter((l) => l.args.family === family && (l.args.reason & 1n) === 1n).length;
    expect(sampled(O)).to.equal(1);
    expect(sampled(D)).to.equal(1);
    assert.ok((reasons.get(`${D}:0`)! & 2n) === 2n, "W_s0 selected as requested");
    const r = await info(f);
    expect(r.originalityEvaluated).to.equal(0b1111n);
    assert.ok(bit(r.dependencyEvaluated, 0), "W_s0 evaluated");
    const count = 1n + 4n + BigInt(popcount(r.dependencyEvaluated));

    // The jury receives juryFee per evaluation plus every paid fee; heldFees returns to 0.
    const budget = await rounds.read.budget();
    let evaluation: Awaited<ReturnType<typeof mined>> | undefined;
    await expectTokenChanges(
      f.token,
      async () => {
        evaluation = await mined(rounds.write.createEvaluations([10n]));
      },
      [
        { address: rounds.address, amount: -(count * juryFee + 5n * fee) },
        { address: jury.address, amount: count * juryFee + 5n * fee },
      ],
    );
    expect(await rounds.read.heldFees()).to.equal(0n);
    expect(await rounds.read.budget()).to.equal(budget - count * juryFee);
    await expectAccounting(f);
    const opened = parseEventLogs({
      abi: rounds.abi,
      logs: evaluation!.logs,
      eventName: "EvaluationOpened",
    });
    expect(BigInt(opened.length)).to.equal(count);
    for (const l of opened) {
      const requested =
        l.args.seedIndex !== W0_INDEX &&
        (l.args.family === O || (l.args.family === D && l.args.seedIndex === 0n));
      const expectedFee = juryFee + (requested ? fee : 0n);
      expect(l.args.fee).to.equal(expectedFee);
      expect((await jury.read.evaluation([l.args.evaluationId])).params.fee).to.equal(expectedFee);
    }
    // The paid fee stays on record.
    expect(await rounds.read.requestFee([1n, O, 3n])).to.equal(fee);
  });
});

// ------------------------------------------------------------------------------------------------
// Close and selection
// ------------------------------------------------------------------------------------------------

describe("DeepFundingRounds: close", () => {
  it("close: reverts with WrongPhase without a round and after closing, TooEarly before the close time", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds } = f;
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.close(),
      rounds,
      "WrongPhase",
      [0n, Phase.None],
    );
    await toPhase(f, Phase.Trading);
    const { closeTime } = await info(f);
    await time.setNextBlockTimestamp(closeTime - 1);
    await viem.assertions.revertWithCustomErrorWithArgs(rounds.write.close(), rounds, "TooEarly", [
      BigInt(closeTime - 1),
      BigInt(closeTime),
    ]);
    // At exactly the close time it closes; the random block is the next one.
    await time.setNextBlockTimestamp(closeTime);
    const receipt = await mined(rounds.write.close());
    const r = await info(f);
    expect(r.phase).to.equal(Phase.Selecting);
    expect(r.cursor).to.equal(0);
    expect(r.randomBlock).to.equal(receipt.blockNumber + 1n);
    const [closed] = parseEventLogs({
      abi: rounds.abi,
      logs: receipt.logs,
      eventName: "RoundClosed",
    });
    expect(closed.args).to.deep.equal({ round: 1n, randomBlock: receipt.blockNumber + 1n });
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.close(),
      rounds,
      "WrongPhase",
      [1n, Phase.Selecting],
    );
  });

  it("close: reverts with WrongPhase while Opening; after a late batch the seeds settle at their starting prices", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds } = f;
    await mined(rounds.write.openRound());
    await mined(rounds.write.openBatch([2n]));
    expect((await info(f)).cursor).to.equal(2);
    const { closeTime } = await info(f);
    await time.increaseTo(closeTime);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.close(),
      rounds,
      "WrongPhase",
      [1n, Phase.Opening],
    );
    // The batch after the close time fixes s2's and s3's children without markets.
    const markets = await f.maker.read.marketCount();
    await mined(rounds.write.openBatch([10n]));
    expect(await f.maker.read.marketCount()).to.equal(markets);
    expect((await info(f)).phase).to.equal(Phase.Trading);
    for (const i of [2, 3]) {
      const s = await seed(f, i);
      expect([s.opened, s.originalityMarket, s.dependencyMarket]).to.deep.equal([true, 0n, 0n]);
      expect(s.childCount).to.equal(GRAPH[SEEDS[i]].length);
      expect(s.startOriginalityWad).to.equal(DEFAULTS.startOriginalityWad);
    }
    expect(await rounds.read.childWeights([1n, 2n])).to.deep.equal([ONE]);
    expect(await rounds.read.childWeights([1n, 3n])).to.deep.equal([]);
    await mined(rounds.write.close());
    expect((await info(f)).phase).to.equal(Phase.Selecting);
    await mined(f.pot.write.fund([1n, POT_FUNDS]));
    await mine();
    await toPhase(f, Phase.Settling);
    const after = await info(f);
    expect(after.originalityEvaluated & 0b1100n).to.equal(0n);
    const expected = await expectedDistribution(f, 1n, POT_FUNDS);
    await settleAll(f);
    await expectCredits(f, 1n, expected);
    // e, s2's only child, gets (1 - starting originality) of s2's share through s2.
    const e = await f.pot.read.owed([id("e")]);
    assert.ok(e > 0n, "e, s2's child, is paid");
    expect(e).to.equal(expected.payouts.get(id("e")));
    const w0 = await f.maker.read.averagePrices([after.w0Market]);
    const s2Share = (POT_FUNDS * w0[2]) / sum(w0);
    const up = DEFAULTS.startOriginalityWad;
    assert.ok(e <= s2Share - (s2Share * up) / ONE + 1n && e + 2n >= s2Share - (s2Share * up) / ONE);
    await expectAccounting(f);
  });
});

describe("DeepFundingRounds: selectBatch", () => {
  it("selectBatch: reverts with WrongPhase before the close, ZeroBatch, TooEarly in the random block", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds } = f;
    await toPhase(f, Phase.Trading);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.selectBatch([10n]),
      rounds,
      "WrongPhase",
      [1n, Phase.Trading],
    );
    await time.increaseTo((await info(f)).closeTime);
    await mined(rounds.write.close());
    const { randomBlock } = await info(f);
    await viem.assertions.revertWithCustomError(
      rounds.write.selectBatch([0n]),
      rounds,
      "ZeroBatch",
    );
    // The next transaction lands in the random block itself: its hash is not known yet.
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.selectBatch([10n]),
      rounds,
      "TooEarly",
      [randomBlock, randomBlock + 1n],
    );
    await mine();
    await mined(rounds.write.selectBatch([10n]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.selectBatch([10n]),
      rounds,
      "WrongPhase",
      [1n, Phase.Evaluating],
    );
  });

  it("selectBatch: moves the random block when it is older than 256 blocks, selecting nothing", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds } = f;
    await toPhase(f, Phase.Trading);
    await time.increaseTo((await info(f)).closeTime);
    await mined(rounds.write.close());
    const old = (await info(f)).randomBlock;
    await mine(300);
    const receipt = await mined(rounds.write.selectBatch([10n]));
    const r = await info(f);
    expect(r.randomBlock).to.equal(receipt.blockNumber + 1n);
    assert.ok(r.randomBlock > old + 256n);
    expect(r.phase).to.equal(Phase.Selecting);
    expect(r.cursor).to.equal(0);
    expect([r.originalityEvaluated, r.dependencyEvaluated]).to.deep.equal([0n, 0n]);
    const [closed] = parseEventLogs({
      abi: rounds.abi,
      logs: receipt.logs,
      eventName: "RoundClosed",
    });
    expect(closed.args).to.deep.equal({ round: 1n, randomBlock: r.randomBlock });
    expect(
      parseEventLogs({ abi: rounds.abi, logs: receipt.logs, eventName: "MarketSelected" }),
    ).to.have.length(0);
    await viem.assertions.revertWithCustomError(
      rounds.write.selectBatch([10n]),
      rounds,
      "TooEarly",
    );
    await mine();
    await mined(rounds.write.selectBatch([10n]));
    expect((await info(f)).phase).to.equal(Phase.Evaluating);
  });

  it("selectBatch: draws sampleSize markets per family in batches and resolves S and C", async () => {
    const f = await loadFixture(quietFixture);
    const { rounds, vault } = f;
    await toPhase(f, Phase.Trading);
    // A large trade does not matter without a volatility trigger.
    await buy(f, (await info(f)).w0Market, 0, parseEther("50"), f.traders[0]);
    await closeAndMine(f);
    const logs: Log[] = [];
    for (const cursor of [1, 2, 3]) {
      const receipt = await mined(rounds.write.selectBatch([1n]));
      expect((await info(f)).cursor).to.equal(cursor);
      expect((await info(f)).phase).to.equal(Phase.Selecting);
      expect(
        parseEventLogs({ abi: rounds.abi, logs: receipt.logs, eventName: "SelectionDone" }),
      ).to.have.length(0);
      logs.push(...receipt.logs);
    }
    const last = await mined(rounds.write.selectBatch([1n]));
    logs.push(...last.logs);
    const r = await info(f);
    expect(r.phase).to.equal(Phase.Evaluating);
    expect(r.cursor).to.equal(0);
    // One of the four originality markets, one of the two dependency markets (s0, s1).
    expect(popcount(r.originalityEvaluated)).to.equal(1);
    expect(popcount(r.dependencyEvaluated)).to.equal(1);
    expect(r.originalityEvaluated & ~0b1111n).to.equal(0n);
    expect(r.dependencyEvaluated & ~0b11n).to.equal(0n);
    const selected = parseEventLogs({ abi: rounds.abi, logs, eventName: "MarketSelected" });
    expect(selected.map((l) => l.args.reason)).to.deep.equal([1n, 1n]);
    for (const l of selected) {
      const bits = l.args.family === O ? r.originalityEvaluated : r.dependencyEvaluated;
      expect(bits).to.equal(1n << l.args.seedIndex);
    }
    const [done] = parseEventLogs({ abi: rounds.abi, logs: last.logs, eventName: "SelectionDone" });
    expect(done.args).to.deep.equal({
      round: 1n,
      originality: r.originalityEvaluated,
      dependency: r.dependencyEvaluated,
    });
    // "Is evaluated" conditions: payout 1 exactly on the evaluated seeds.
    for (const [condition, bits] of [
      [r.sCondition, r.originalityEvaluated],
      [r.cCondition, r.dependencyEvaluated],
    ] as const) {
      expect(await vault.read.isResolved([condition])).to.equal(true);
      expect(await vault.read.payoutDenominator([condition])).to.equal(1n);
      for (let i = 0; i < SEEDS.length; i++) {
        expect(await vault.read.payoutNumerator([condition, BigInt(i)])).to.equal(
          bit(bits, i) ? 1n : 0n,
        );
      }
    }
  });

  it("selectBatch: selects every market when there are no more than sampleSize", async () => {
    const f = await loadFixture(roundsFixture);
    await toPhase(f, Phase.Evaluating);
    const r = await info(f);
    expect(popcount(r.originalityEvaluated)).to.equal(2); // 2 of 4
    expect(r.dependencyEvaluated).to.equal(0b11n); // both
  });

  it("selectBatch: without any dependency market, C pays 1 on every seed and the untouched C set returns to the budget", async () => {
    const f = await loadFixture(noDependencyFixture);
    const { rounds, vault } = f;
    await toPhase(f, Phase.Selecting);
    await mine();
    const before = await info(f);
    expect(before.spent).to.equal(3n * SUBSIDY);
    const budget = await rounds.read.budget();
    // The contract still holds its whole C set: no market took a C_i.
    for (let j = 0; j < 2; j++) {
      const position = await positionOf(f, before.cCondition, j);
      expect(await vault.read.balanceOf([rounds.address, position])).to.equal(SUBSIDY);
    }
    let receipt: Awaited<ReturnType<typeof mined>> | undefined;
    await expectTokenChanges(
      f.token,
      async () => {
        receipt = await mined(rounds.write.selectBatch([10n]));
      },
      [
        { address: rounds.address, amount: SUBSIDY },
        { address: vault.address, amount: -SUBSIDY },
      ],
    );
    const merged = parseEventLogs({
      abi: vault.abi,
      logs: receipt!.logs,
      eventName: "PositionsMerged",
    });
    expect(merged.map((l) => [l.args.account, l.args.conditionId, l.args.amount])).to.deep.equal([
      [getAddress(rounds.address), before.cCondition, SUBSIDY],
    ]);
    const r = await info(f);
    expect(r.phase).to.equal(Phase.Evaluating);
    expect(r.spent).to.equal(2n * SUBSIDY);
    expect(await rounds.read.budget()).to.equal(budget + SUBSIDY);
    await expectAccounting(f);
    for (let j = 0; j < 2; j++) {
      const position = await positionOf(f, r.cCondition, j);
      expect(await vault.read.balanceOf([rounds.address, position])).to.equal(0n);
    }
    expect(r.originalityEvaluated).to.equal(0b11n);
    expect(r.dependencyEvaluated).to.equal(0n);
    for (let i = 0n; i < 2n; i++) {
      expect(await vault.read.payoutNumerator([r.cCondition, i])).to.equal(1n);
      expect(await vault.read.payoutNumerator([r.sCondition, i])).to.equal(1n);
    }
    // The jury fees come on top of what is left.
    await mined(rounds.write.createEvaluations([10n]));
    const after = await info(f);
    expect(after.spent).to.equal(2n * SUBSIDY + after.evaluations * DEFAULTS.juryFee);
  });

  it("selectBatch: without any market in either family, S and C merge back in the last batch only", async () => {
    // Every batch ran after the close time: only W_0 exists.
    const f = await loadFixture(roundsFixture);
    const { rounds, vault } = f;
    await mined(rounds.write.openRound());
    await time.increaseTo((await info(f)).closeTime);
    await mined(rounds.write.openBatch([256n]));
    await mined(rounds.write.close());
    await mine();
    const budget = await rounds.read.budget();
    for (let cursor = 1; cursor < SEEDS.length; cursor++) {
      await mined(rounds.write.selectBatch([1n]));
      expect(await rounds.read.budget()).to.equal(budget);
    }
    const receipt = await mined(rounds.write.selectBatch([1n]));
    const merged = parseEventLogs({
      abi: vault.abi,
      logs: receipt.logs,
      eventName: "PositionsMerged",
    });
    const r = await info(f);
    expect(merged.map((l) => l.args.conditionId)).to.deep.equal([r.sCondition, r.cCondition]);
    expect(await rounds.read.budget()).to.equal(budget + 2n * SUBSIDY);
    expect(r.spent).to.equal(SUBSIDY);
    await expectAccounting(f);
    for (const condition of [r.sCondition, r.cCondition]) {
      const { numerators } = await payoutsOf(f, condition, SEEDS.length);
      expect(numerators).to.deep.equal(new Array<bigint>(SEEDS.length).fill(1n));
    }
    // Only W_0 is evaluated; the round settles.
    await mined(rounds.write.createEvaluations([10n]));
    expect((await info(f)).evaluations).to.equal(1n);
    expect((await info(f)).spent).to.equal(SUBSIDY + DEFAULTS.juryFee);
    await settleAll(f);
    await expectAccounting(f);
  });

  it("selectBatch: a time-weighted price moved beyond volatilityWad selects the market (reason 4)", async () => {
    const f = await loadFixture(volatileFixture);
    const { rounds } = f;
    const trader = f.traders[1];
    await toPhase(f, Phase.Trading);
    const r = await info(f);
    await split(f, r.sCondition, parseEther("200"), trader);
    await split(f, r.cCondition, parseEther("200"), trader);
    // O_2: a large UP buy; O_0: a tiny one, far below the 1-point trigger; W_s1: child 1.
    await buy(f, (await seed(f, 2)).originalityMarket, 0, parseEther("60"), trader);
    await buy(f, (await seed(f, 0)).originalityMarket, 0, parseEther("0.01"), trader);
    await buy(f, (await seed(f, 1)).dependencyMarket, 1, parseEther("60"), trader);
    await closeAndMine(f);
    const receipt = await mined(rounds.write.selectBatch([10n]));
    const selected = parseEventLogs({
      abi: rounds.abi,
      logs: receipt.logs,
      eventName: "MarketSelected",
    });
    const reason = (family: number, i: number) =>
      selected.find((l) => l.args.family === family && l.args.seedIndex === BigInt(i))?.args
        .reason ?? 0n;
    expect(reason(O, 2) & 4n).to.equal(4n);
    expect(reason(D, 1) & 4n).to.equal(4n);
    for (const i of [0, 1, 3]) expect(reason(O, i) & 4n).to.equal(0n);
    expect(reason(D, 0) & 4n).to.equal(0n);
    const after = await info(f);
    assert.ok(bit(after.originalityEvaluated, 2));
    assert.ok(bit(after.dependencyEvaluated, 1));
    // Besides the volatile one, at most the single random sample.
    assert.ok(popcount(after.originalityEvaluated) <= 2);
    const avg = (await f.maker.read.averagePrices([(await seed(f, 2)).originalityMarket]))[0];
    assert.ok(avg - DEFAULTS.startOriginalityWad > parseEther("0.01"));
  });
});

// ------------------------------------------------------------------------------------------------
// Evaluations
// ------------------------------------------------------------------------------------------------

describe("DeepFundingRounds: createEvaluations", () => {
  it("createEvaluations: reverts with WrongPhase before selection is done and ZeroBatch", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds } = f;
    await toPhase(f, Phase.Selecting);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.createEvaluations([10n]),
      rounds,
      "WrongPhase",
      [1n, Phase.Selecting],
    );
    await toPhase(f, Phase.Evaluating);
    await viem.assertions.revertWithCustomError(
      rounds.write.createEvaluations([0n]),
      rounds,
      "ZeroBatch",
    );
    await mined(rounds.write.createEvaluations([10n]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.createEvaluations([10n]),
      rounds,
      "WrongPhase",
      [1n, Phase.Settling],
    );
  });

  it("createEvaluations: reverts with InsufficientBudget for the jury fees until the budget is funded", async () => {
    const f = await loadFixture(subsidyOnlyFixture);
    const { rounds } = f;
    const juryFee = DEFAULTS.juryFee;
    await toPhase(f, Phase.Evaluating);
    expect(await rounds.read.budget()).to.equal(0n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.createEvaluations([10n]),
      rounds,
      "InsufficientBudget",
      [0n, juryFee],
    );
    // One fee pays W_0 only: the whole batch still reverts.
    await mined(rounds.write.fundBudget([juryFee]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.createEvaluations([10n]),
      rounds,
      "InsufficientBudget",
      [0n, juryFee],
    );
    expect((await info(f)).evaluations).to.equal(0n);
    await mined(rounds.write.fundBudget([10n * juryFee]));
    await mined(rounds.write.createEvaluations([10n]));
    const r = await info(f);
    expect(r.phase).to.equal(Phase.Settling);
    expect(await rounds.read.budget()).to.equal(11n * juryFee - r.evaluations * juryFee);
    await expectAccounting(f);
  });

  it("createEvaluations: W_0 first, then one per evaluated market, with the jury parameters", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, jury, vault } = f;
    await toPhase(f, Phase.Evaluating);
    const r = await info(f);
    const n = SEEDS.length;
    expect(await rounds.read.evaluationOf([1n, O, W0_INDEX])).to.equal(0n);
    const count = 1 + popcount(r.originalityEvaluated) + popcount(r.dependencyEvaluated);
    const juryFee = DEFAULTS.juryFee;
    const budget = await rounds.read.budget();
    const firstId = await jury.read.evaluationCount();
    const logs: Log[] = [];
    let calls = 0;
    await expectTokenChanges(
      f.token,
      async () => {
        while ((await info(f)).phase === Phase.Evaluating) {
          const receipt = await mined(rounds.write.createEvaluations([1n]));
          logs.push(...receipt.logs);
          calls++;
          if ((await info(f)).phase === Phase.Evaluating) {
            expect((await info(f)).cursor).to.equal(calls);
          }
        }
      },
      [
        { address: rounds.address, amount: -BigInt(count) * juryFee },
        { address: jury.address, amount: BigInt(count) * juryFee },
      ],
    );
    expect(calls).to.equal(n);
    const after = await info(f);
    expect(after.phase).to.equal(Phase.Settling);
    expect(after.cursor).to.equal(0);
    expect(after.evaluations).to.equal(BigInt(count));
    expect(after.spent).to.equal(3n * SUBSIDY + BigInt(count) * juryFee);
    expect(await rounds.read.budget()).to.equal(budget - BigInt(count) * juryFee);
    await expectAccounting(f);

    const opened = parseEventLogs({ abi: rounds.abi, logs, eventName: "EvaluationOpened" });
    expect(opened.length).to.equal(count);
    expect(opened.map((l) => l.args.evaluationId)).to.deep.equal(
      Array.from({ length: count }, (_, k) => firstId + BigInt(k)),
    );
    const common = {
      triangle: false,
      panelSize: DEFAULTS.panelSize,
      commitDuration: DEFAULTS.commitDuration,
      revealDuration: DEFAULTS.revealDuration,
      minStake: DEFAULTS.minStake,
      fee: juryFee,
      feeFromFund: 0n,
    };
    const pairwise = { deltaWad: DEFAULTS.deltaWad, toleranceWad: DEFAULTS.toleranceWad };
    // W_0: pairwise over the seeds, question id of (round, any family, W0_INDEX). The jury
    // reports nothing to the vault (question id 0): resolveMarket reports its result.
    const w0 = opened[0].args;
    const w0Question = await rounds.read.questionId([1n, D, W0_INDEX]);
    expect(w0Question).to.equal(await rounds.read.questionId([1n, O, W0_INDEX]));
    expect({ ...w0, family: undefined }).to.deep.equal({
      round: 1n,
      seedIndex: W0_INDEX,
      family: undefined, // unused for W_0
      evaluationId: firstId,
      questionId: w0Question,
      fee: juryFee,
    });
    expect((await jury.read.evaluation([firstId])).params).to.deep.equal({
      kind: JuryKind.Pairwise,
      items: n,
      ...common,
      ...pairwise,
      questionId: zeroHash,
    });
    expect(r.w0Condition).to.equal(
      await vault.read.getConditionId([rounds.address, w0Question, BigInt(n)]),
    );
    // evaluationOf: the id + 1, the same for W_0 under either family.
    expect(await rounds.read.evaluationOf([1n, O, W0_INDEX])).to.equal(firstId + 1n);
    expect(await rounds.read.evaluationOf([1n, D, W0_INDEX])).to.equal(firstId + 1n);
    // The others in seed order, originality before dependency.
    const expectedOrder: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      if (bit(r.originalityEvaluated, i)) expectedOrder.push([O, i]);
      if (bit(r.dependencyEvaluated, i)) expectedOrder.push([D, i]);
    }
    expect(opened.slice(1).map((l) => [l.args.family, Number(l.args.seedIndex)])).to.deep.equal(
      expectedOrder,
    );
    for (const l of opened.slice(1)) {
      const { family, seedIndex, questionId, evaluationId } = l.args;
      expect(questionId).to.equal(await rounds.read.questionId([1n, family, seedIndex]));
      expect(await rounds.read.evaluationOf([1n, family, seedIndex])).to.equal(evaluationId + 1n);
      const params = (await jury.read.evaluation([evaluationId])).params;
      if (family === O) {
        expect(params).to.deep.equal({
          kind: JuryKind.Score,
          items: 0,
          ...common,
          deltaWad: 0n,
          toleranceWad: 0n,
          questionId: zeroHash,
        });
      } else {
        expect(params).to.deep.equal({
          kind: JuryKind.Pairwise,
          items: (await seed(f, Number(seedIndex))).childCount,
          ...common,
          ...pairwise,
          questionId: zeroHash,
        });
      }
    }
    // Markets not evaluated (and seeds without a market, and other rounds) read 0.
    for (let i = 0; i < n; i++) {
      if (!bit(r.originalityEvaluated, i)) {
        expect(await rounds.read.evaluationOf([1n, O, BigInt(i)])).to.equal(0n);
      }
      if (!bit(r.dependencyEvaluated, i)) {
        expect(await rounds.read.evaluationOf([1n, D, BigInt(i)])).to.equal(0n);
      }
    }
    expect(await rounds.read.evaluationOf([2n, O, W0_INDEX])).to.equal(0n);
  });
});

// ------------------------------------------------------------------------------------------------
// Settlement
// ------------------------------------------------------------------------------------------------

describe("DeepFundingRounds: beginSettlement", () => {
  it("beginSettlement: reverts with WrongPhase before Settling and when begun twice", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds } = f;
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.beginSettlement([[]]),
      rounds,
      "WrongPhase",
      [0n, Phase.None],
    );
    await toPhase(f, Phase.Evaluating);
    const order = await potOrder(f);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.beginSettlement([order]),
      rounds,
      "WrongPhase",
      [1n, Phase.Evaluating],
    );
    await toPhase(f, Phase.Settling);
    await viem.assertions.emitWithArgs(
      rounds.write.beginSettlement([order]),
      rounds,
      "SettlementBegun",
      [1n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.beginSettlement([order]),
      rounds,
      "WrongPhase",
      [1n, Phase.Settling],
    );
  });

  it("beginSettlement: rejects a seed order of the wrong length, out of range or unsorted", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, pot } = f;
    await toPhase(f, Phase.Settling);
    const order = await potOrder(f);
    const n = BigInt(SEEDS.length);
    for (const bad of [order.slice(1), [...order, order[0]], []]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        rounds.write.beginSettlement([bad]),
        rounds,
        "BadSeedOrder",
        [BigInt(bad.length), n],
      );
    }
    const outOfRange = [...order];
    outOfRange[2] = n;
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.beginSettlement([outOfRange]),
      rounds,
      "BadSeedOrder",
      [2n, n],
    );
    // A permutation not sorted by node id, and a repeated index: the pot's check.
    const reversed = [...order].reverse();
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.beginSettlement([reversed]),
      pot,
      "SeedsNotIncreasing",
      [1n, (await seed(f, Number(reversed[1]))).node],
    );
    const repeated = [order[0], order[0], order[2], order[3]];
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.beginSettlement([repeated]),
      pot,
      "SeedsNotIncreasing",
      [1n, (await seed(f, Number(order[0]))).node],
    );
    expect((await pot.read.roundInfo([1n])).status).to.equal(0); // still Open
    await mined(rounds.write.beginSettlement([order]));
  });

  it("beginSettlement: begins the pot by W_0's time-weighted prices; settleSeed records the final prices", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, pot, maker } = f;
    const trader = f.traders[0];
    await toPhase(f, Phase.Trading);
    const r = await info(f);
    await buy(f, r.w0Market, 1, parseEther("40"), trader);
    await split(f, r.sCondition, parseEther("50"), trader);
    await buy(f, (await seed(f, 3)).originalityMarket, 1, parseEther("30"), trader);
    await mined(pot.write.fund([1n, POT_FUNDS]));
    await toPhase(f, Phase.Settling);
    const target = await rounds.read.TARGET();
    for (let i = 0; i < SEEDS.length; i++) {
      expect(await rounds.read.lastPrice([target, id(SEEDS[i])])).to.equal(0n);
      expect(await rounds.read.lastOriginality([id(SEEDS[i])])).to.equal(0n);
    }
    const order = await potOrder(f);
    const receipt = await mined(rounds.write.beginSettlement([order]));
    const spot = await maker.read.prices([r.w0Market]);
    const weights = await maker.read.averagePrices([r.w0Market]);
    assert.ok(spot[1] > spot[0], "seed 1 gained");
    // The final prices are recorded seed by seed, as each is settled.
    expect(await rounds.read.lastPrice([target, id(SEEDS[1])])).to.equal(0n);
    // The pot: the seeds sorted by id with W_0's time-weighted prices as their weights.
    const p = await pot.read.roundInfo([1n]);
    expect(p.status).to.equal(1); // Settling
    expect(p.pot).to.equal(POT_FUNDS);
    expect(p.seedCount).to.equal(BigInt(SEEDS.length));
    const [begun] = parseEventLogs({
      abi: pot.abi,
      logs: receipt.logs,
      eventName: "SettlementBegun",
    });
    expect(begun.args.totalSeedWeight).to.equal(sum(weights));
    for (let position = 0; position < order.length; position++) {
      const i = Number(order[position]);
      const s = await pot.read.seedOf([1n, BigInt(position)]);
      expect(s.node).to.equal((await seed(f, i)).node);
      expect(s.share).to.equal((POT_FUNDS * weights[i]) / sum(weights));
    }
    await settleAll(f);
    for (let i = 0; i < SEEDS.length; i++) {
      const s = await seed(f, i);
      expect(await rounds.read.lastPrice([target, s.node])).to.equal(spot[i]);
      expect(await maker.read.priceOf([r.w0Market, BigInt(i)])).to.equal(spot[i]);
      const up = (await maker.read.prices([s.originalityMarket]))[0];
      expect(await rounds.read.lastOriginality([s.node])).to.equal(up);
    }
    assert.ok((await rounds.read.lastOriginality([id("s3")])) < DEFAULTS.startOriginalityWad);
  });
});

describe("DeepFundingRounds: settleSeed", () => {
  it("settleSeed: reverts before beginSettlement, out of range, on the wrong pot index, twice", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, pot } = f;
    await toPhase(f, Phase.Evaluating);
    const { order: ranking } = await settlementOrder(rounds, 1n, 0);
    const order = await potOrder(f);
    const pos0 = BigInt(order.indexOf(0n));
    const settle0 = (potIndex: bigint, children = ranking) =>
      rounds.write.settleSeed([0n, potIndex, children]);
    await viem.assertions.revertWithCustomErrorWithArgs(settle0(pos0), rounds, "WrongPhase", [
      1n,
      Phase.Evaluating,
    ]);
    await toPhase(f, Phase.Settling);
    await viem.assertions.revertWithCustomErrorWithArgs(settle0(pos0), rounds, "WrongPhase", [
      1n,
      Phase.Settling,
    ]);
    await mined(rounds.write.beginSettlement([order]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.settleSeed([4n, 0n, []]),
      rounds,
      "SeedOutOfRange",
      [4n, 4n],
    );
    const wrong = (pos0 + 1n) % 4n;
    await viem.assertions.revertWithCustomErrorWithArgs(settle0(wrong), rounds, "PotSeedMismatch", [
      wrong,
      (await pot.read.seedOf([1n, wrong])).node,
      id("s0"),
    ]);
    // The pot checks the ranking first (the graph then gets the same one).
    await viem.assertions.revertWithCustomErrorWithArgs(settle0(4n), pot, "SeedOutOfRange", [
      1n,
      4n,
      4n,
    ]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      settle0(pos0, [0n, 0n, 1n]),
      pot,
      "OrderNotPermutation",
      [1n, 0n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      settle0(pos0, ranking.slice(1)),
      pot,
      "LengthMismatch",
      [3n, 2n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      settle0(pos0, [...ranking, 3n]),
      pot,
      "LengthMismatch",
      [3n, 4n],
    );
    // The pot shares only: SeedPaid, potSettled; the edges wait for settleSeedEdges.
    const receipt = await mined(settle0(pos0));
    const paid = parseEventLogs({ abi: rounds.abi, logs: receipt.logs, eventName: "SeedPaid" });
    expect(paid.map((l) => l.args)).to.deep.equal([{ round: 1n, seedIndex: 0n }]);
    expect(
      parseEventLogs({ abi: rounds.abi, logs: receipt.logs, eventName: "SeedSettled" }),
    ).to.have.length(0);
    expect(
      parseEventLogs({ abi: f.graph.abi, logs: receipt.logs, eventName: "EdgesSettled" }),
    ).to.have.length(0);
    const s0 = await seed(f, 0);
    expect([s0.potSettled, s0.settled]).to.deep.equal([true, false]);
    // The final prices are recorded by this step.
    const { w0Market } = await info(f);
    expect(await rounds.read.lastPrice([await rounds.read.TARGET(), s0.node])).to.equal(
      await f.maker.read.priceOf([w0Market, 0n]),
    );
    expect(await rounds.read.lastOriginality([s0.node])).to.equal(
      (await f.maker.read.prices([s0.originalityMarket]))[0],
    );
    expect((await pot.read.seedOf([1n, pos0])).childrenSettled).to.equal(true);
    await viem.assertions.revertWithCustomErrorWithArgs(settle0(pos0), rounds, "AlreadySettled", [
      1n,
      0n,
    ]);
    expect((await info(f)).seedsSettled).to.equal(0);
    expect((await info(f)).phase).to.equal(Phase.Settling);
    // Still refused once the edges are settled too.
    await mined(rounds.write.settleSeedEdges([0n, ranking]));
    await viem.assertions.revertWithCustomErrorWithArgs(settle0(pos0), rounds, "AlreadySettled", [
      1n,
      0n,
    ]);
    expect((await info(f)).seedsSettled).to.equal(1);
  });

  it("settleSeed: ChildrenChanged when another settler changed a seed's children", async () => {
    // Only a settlement of more than MAX_FUNDED_CHILDREN (128) children drops an edge, so the
    // seed has 129; its batch runs after the close time so that no 129-outcome market is made.
    const f = await loadFixture(bigSeedFixture);
    const { rounds, graph } = f;
    const big = id("big");
    await mined(rounds.write.openRound());
    await time.increaseTo((await info(f)).closeTime);
    await mined(rounds.write.openBatch([10n]));
    expect((await seed(f, 0)).childCount).to.equal(BIG_CHILDREN);
    await mined(rounds.write.close());
    await mine();
    await toPhase(f, Phase.Settling);
    const order = await potOrder(f);
    await mined(rounds.write.beginSettlement([order]));
    const weights = await rounds.read.childWeights([1n, 0n]);
    expect(weights).to.have.length(BIG_CHILDREN);
    expect(sum(weights)).to.equal(ONE);

    // The admin settles `big` itself, dropping its first child (weight 0, ranked last).
    await mined(graph.write.grantRole([SETTLER_ROLE, f.admin.account.address]));
    const all = Array.from({ length: BIG_CHILDREN }, (_, j) => (j === 0 ? 0n : ONE));
    await mined(graph.write.settleEdges([big, all, rankChildren(all).map(BigInt)]));
    expect(await graph.read.childCount([big])).to.equal(BigInt(BIG_CHILDREN - 1));
    const pos = BigInt(order.indexOf(0n));
    // Fewer live children than the round fixed.
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.read.childWeights([1n, 0n]),
      rounds,
      "ChildrenChanged",
      [big],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.settleSeed([0n, pos, []]),
      rounds,
      "ChildrenChanged",
      [big],
    );
    // The same number again, in another order: the hash differs.
    await mined(graph.write.addEdge([big, id(bigChild(0))]));
    expect(await graph.read.childCount([big])).to.equal(BigInt(BIG_CHILDREN));
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.read.childWeights([1n, 0n]),
      rounds,
      "ChildrenChanged",
      [big],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.settleSeed([0n, pos, []]),
      rounds,
      "ChildrenChanged",
      [big],
    );
    // The other seed still settles; the round cannot complete (see the interface's warning).
    const o1 = await settlementOrder(rounds, 1n, 1);
    await mined(rounds.write.settleSeed([1n, BigInt(order.indexOf(1n)), o1.order]));
    await mined(rounds.write.settleSeedEdges([1n, o1.order]));
    expect((await info(f)).seedsSettled).to.equal(1);
    expect((await info(f)).phase).to.equal(Phase.Settling);
  });

  it("settleSeedEdges: ChildrenChanged when another settler changed the children after the pot was paid", async () => {
    const f = await loadFixture(bigSeedFixture);
    const { rounds, graph } = f;
    const big = id("big");
    await mined(rounds.write.openRound());
    await time.increaseTo((await info(f)).closeTime);
    await mined(rounds.write.openBatch([10n]));
    await mined(rounds.write.close());
    await mine();
    await toPhase(f, Phase.Settling);
    const order = await potOrder(f);
    await mined(rounds.write.beginSettlement([order]));
    const { order: ranking } = await settlementOrder(rounds, 1n, 0);
    await mined(rounds.write.settleSeed([0n, BigInt(order.indexOf(0n)), ranking]));
    // Between the two steps the admin settles `big` itself, dropping one child.
    await mined(graph.write.grantRole([SETTLER_ROLE, f.admin.account.address]));
    const all = Array.from({ length: BIG_CHILDREN }, (_, j) => (j === 0 ? 0n : ONE));
    await mined(graph.write.settleEdges([big, all, rankChildren(all).map(BigInt)]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.settleSeedEdges([0n, ranking]),
      rounds,
      "ChildrenChanged",
      [big],
    );
    const s = await seed(f, 0);
    expect([s.potSettled, s.settled]).to.deep.equal([true, false]);
  });
  it("settleSeedEdges: drops the round children below the cut and keeps a later proposal Proposed, moved down", async () => {
    // 129 round children (batch after the close time: starting prices, all equal) and a
    // proposal after them: the settlement covers the 129, dropping the last-ranked one.
    const f = await loadFixture(bigSeedFixture);
    const { rounds, graph } = f;
    const big = id("big");
    const proposer = f.traders[1];
    const bond = await graph.read.edgeBond();
    await mined(rounds.write.openRound());
    await time.increaseTo((await info(f)).closeTime);
    await mined(rounds.write.openBatch([10n]));
    await mined(graph.write.proposeEdge([big, id("a")], { account: proposer }));
    expect(await graph.read.childCount([big])).to.equal(BigInt(BIG_CHILDREN + 1));
    await mined(rounds.write.close());
    await mine();
    await toPhase(f, Phase.Settling);
    const order = await potOrder(f);
    await mined(rounds.write.beginSettlement([order]));
    const { order: ranking, weights } = await settlementOrder(rounds, 1n, 0);
    expect(weights).to.have.length(BIG_CHILDREN);
    expect(ranking[BIG_CHILDREN - 1]).to.equal(BigInt(BIG_CHILDREN - 1)); // ranked last
    await mined(rounds.write.settleSeed([0n, BigInt(order.indexOf(0n)), ranking]));
    // The pot step leaves the edges alone.
    expect(await graph.read.childCount([big])).to.equal(BigInt(BIG_CHILDREN + 1));
    const receipt = await mined(rounds.write.settleSeedEdges([0n, ranking]));
    const [settled] = parseEventLogs({
      abi: rounds.abi,
      logs: receipt.logs,
      eventName: "SeedSettled",
    });
    expect(settled.args).to.deep.equal({
      round: 1n,
      seedIndex: 0n,
      bondsReturned: 0n,
      bondsSlashed: 0n,
    });
    const [ids, statuses] = await graph.read.children([big]);
    expect(ids).to.deep.equal([
      ...Array.from({ length: MAX_FUNDED }, (_, i) => id(bigChild(i))),
      id("a"),
    ]);
    expect(statuses).to.deep.equal([...new Array<number>(MAX_FUNDED).fill(2), 1]);
    expect((await graph.read.edge([big, id(bigChild(MAX_FUNDED))])).status).to.equal(3);
    const a = await graph.read.edge([big, id("a")]);
    expect([a.status, a.proposer, a.bond]).to.deep.equal([1, getAddress(proposer), bond]);
    expect(await graph.read.bondsHeld()).to.equal(bond);
  });

  it("settleSeed: an edge proposed during the round stays Proposed and the next round's market settles it", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, graph, maker } = f;
    const [, , carol, dave] = f.traders;
    const bond = await graph.read.edgeBond();
    await toPhase(f, Phase.Trading);
    // s2 -> c next to s2's round child e; s3 -> a under a seed the round fixed as childless.
    await mined(graph.write.proposeEdge([id("s2"), id("c")], { account: carol }));
    await mined(graph.write.proposeEdge([id("s3"), id("a")], { account: dave }));
    await mined(f.pot.write.fund([1n, POT_FUNDS]));
    await toPhase(f, Phase.Settling);
    // The pot pays only the round children (c through s0, not s2; a through s0, not s3).
    const expected = await expectedDistribution(f, 1n, POT_FUNDS);
    await settleAll(f);
    await expectCredits(f, 1n, expected);
    for (const [parent, child] of [
      ["s2", "c"],
      ["s3", "a"],
    ]) {
      const e = await graph.read.edge([id(parent), id(child)]);
      expect([e.status, e.bond]).to.deep.equal([1, bond]); // Proposed, bond held
      expect(await rounds.read.lastPrice([id(parent), id(child)])).to.equal(0n);
    }
    expect(await graph.read.owed([carol])).to.equal(0n);
    expect(await graph.read.owed([dave])).to.equal(0n);
    expect(await graph.read.bondsHeld()).to.equal(2n * bond);
    expect(await rounds.read.lastPrice([id("s2"), id("e")])).to.equal(ONE);

    // Round 2 fixes them: W_s2 over [e, c] at the last price of e and the base rate for c.
    await mined(rounds.write.openRound());
    await mined(rounds.write.openBatch([10n]));
    const s2 = await seed(f, 2, 2n);
    expect(s2.childCount).to.equal(2);
    assert.notEqual(s2.dependencyMarket, 0n);
    const start = startPricesOf([ONE, 0n], DEFAULTS.baseRateWad);
    expect(await rounds.read.startPrices([id("s2"), [id("e"), id("c")]])).to.deep.equal(start);
    expectNear(await maker.read.prices([s2.dependencyMarket]), start);
    const s3 = await seed(f, 3, 2n);
    expect([s3.childCount, s3.dependencyMarket]).to.deep.equal([1, 0n]);
    await toPhase(f, Phase.Settling);
    const order = await potOrder(f, 2n);
    await mined(rounds.write.beginSettlement([order]));
    const returned = new Map<number, bigint>();
    for (let position = 0; position < order.length; position++) {
      const i = Number(order[position]);
      const o = await settlementOrder(rounds, 2n, i);
      await mined(rounds.write.settleSeed([BigInt(i), BigInt(position), o.order]));
      const receipt = await mined(rounds.write.settleSeedEdges([BigInt(i), o.order]));
      const [settled] = parseEventLogs({
        abi: rounds.abi,
        logs: receipt.logs,
        eventName: "SeedSettled",
      });
      expect(settled.args.bondsSlashed).to.equal(0n);
      returned.set(i, settled.args.bondsReturned);
    }
    expect([...returned.entries()].sort()).to.deep.equal([
      [0, 0n],
      [1, 0n],
      [2, 1n],
      [3, 1n],
    ]);
    for (const [parent, child] of [
      ["s2", "c"],
      ["s3", "a"],
    ]) {
      const e = await graph.read.edge([id(parent), id(child)]);
      expect([e.status, e.bond]).to.deep.equal([2, 0n]); // Funded, bond owed back
    }
    expect(await rounds.read.lastPrice([id("s3"), id("a")])).to.equal(ONE);
    expect(await rounds.read.lastPrice([id("s2"), id("c")])).to.equal(
      (await maker.read.prices([s2.dependencyMarket]))[1],
    );
    for (const who of [carol, dave]) {
      expect(await graph.read.owed([who])).to.equal(bond);
      await expectTokenChanges(
        f.token,
        () => mined(graph.write.withdrawBond([who], { account: who })),
        [
          { address: who, amount: bond },
          { address: graph.address, amount: -bond },
        ],
      );
    }
    expect(await graph.read.bondsHeld()).to.equal(0n);
  });
});

describe("DeepFundingRounds: settleSeedEdges", () => {
  it("settleSeedEdges: reverts before beginSettlement, out of range, before settleSeed, on a bad ranking, twice, after the round", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, graph } = f;
    const trader = f.traders[0];
    await toPhase(f, Phase.Trading);
    // s0's child c gains: s0's three weights are distinct; s1's two are untraded and equal.
    await split(f, (await info(f)).cCondition, parseEther("30"), trader);
    await buy(f, (await seed(f, 0)).dependencyMarket, 2, parseEther("30"), trader);
    await toPhase(f, Phase.Evaluating);
    const { order: ranking, weights } = await settlementOrder(rounds, 1n, 0);
    expect(ranking[0]).to.equal(2n);
    const edges0 = (children: readonly bigint[] = ranking) =>
      rounds.write.settleSeedEdges([0n, [...children]]);
    await viem.assertions.revertWithCustomErrorWithArgs(edges0(), rounds, "WrongPhase", [
      1n,
      Phase.Evaluating,
    ]);
    await toPhase(f, Phase.Settling);
    await viem.assertions.revertWithCustomErrorWithArgs(edges0(), rounds, "WrongPhase", [
      1n,
      Phase.Settling,
    ]);
    const order = await potOrder(f);
    await mined(rounds.write.beginSettlement([order]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.settleSeedEdges([4n, []]),
      rounds,
      "SeedOutOfRange",
      [4n, 4n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(edges0(), rounds, "PotNotSettled", [
      1n,
      0n,
    ]);
    await mined(rounds.write.settleSeed([0n, BigInt(order.indexOf(0n)), ranking]));
    // The graph checks the ranking against the same weights.
    await viem.assertions.revertWithCustomErrorWithArgs(
      edges0(ranking.slice(1)),
      graph,
      "OrderLengthMismatch",
      [2n, 3n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      edges0([...ranking, 3n]),
      graph,
      "OrderLengthMismatch",
      [4n, 3n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      edges0([ranking[0], ranking[1], 3n]),
      graph,
      "OrderIndexOutOfRange",
      [2n, 3n, 3n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      edges0([ranking[0], ranking[0], ranking[1]]),
      graph,
      "OrderNotPermutation",
      [1n, ranking[0]],
    );
    const [first, second, third] = ranking;
    await viem.assertions.revertWithCustomErrorWithArgs(
      edges0([second, first, third]),
      graph,
      "OrderNotSorted",
      [1n, weights[Number(second)], weights[Number(first)]],
    );
    await viem.assertions.emitWithArgs(edges0(), rounds, "SeedSettled", [1n, 0n, 0n, 0n]);
    expect([(await seed(f, 0)).potSettled, (await seed(f, 0)).settled]).to.deep.equal([true, true]);
    expect((await info(f)).seedsSettled).to.equal(1);
    await viem.assertions.revertWithCustomErrorWithArgs(edges0(), rounds, "AlreadySettled", [
      1n,
      0n,
    ]);
    // s1's tie is broken by the lower index.
    const s1 = await settlementOrder(rounds, 1n, 1);
    expect(s1.weights[0]).to.equal(s1.weights[1]);
    expect(s1.order).to.deep.equal([0n, 1n]);
    await mined(rounds.write.settleSeed([1n, BigInt(order.indexOf(1n)), s1.order]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.settleSeedEdges([1n, [1n, 0n]]),
      graph,
      "OrderTieBroken",
      [1n, 1n, 0n],
    );
    await mined(rounds.write.settleSeedEdges([1n, s1.order]));
    // The last seed's edges settle the round, whatever the order of the steps.
    for (const i of [3n, 2n]) {
      await mined(rounds.write.settleSeed([i, BigInt(order.indexOf(i)), i === 2n ? [0n] : []]));
    }
    await mined(rounds.write.settleSeedEdges([2n, [0n]]));
    expect((await info(f)).phase).to.equal(Phase.Settling);
    await viem.assertions.emitWithArgs(
      rounds.write.settleSeedEdges([3n, []]),
      rounds,
      "RoundSettled",
      [1n],
    );
    const done = await info(f);
    expect([done.phase, done.seedsSettled]).to.deep.equal([Phase.Settled, SEEDS.length]);
    await viem.assertions.revertWithCustomErrorWithArgs(edges0(), rounds, "WrongPhase", [
      1n,
      Phase.Settled,
    ]);
  });

  it("runKeeper: pays each seed's pot shares, then settles its edges", async () => {
    const f = await loadFixture(roundsFixture);
    await toPhase(f, Phase.Settling);
    const { steps, waiting } = await runKeeper(connection, f.rounds, f.pot, { openNext: false });
    expect(waiting).to.match(/round settled/);
    const order = (await potOrder(f)).map((i) => `seed ${i}`);
    expect(steps.map((st) => [st.action, st.detail])).to.deep.equal([
      ["beginSettlement", steps[0].detail],
      ...order.flatMap((detail) => [
        ["settleSeed", detail],
        ["settleSeedEdges", detail],
      ]),
    ]);
    for (let i = 0; i < SEEDS.length; i++) {
      const s = await seed(f, i);
      expect([s.potSettled, s.settled]).to.deep.equal([true, true]);
    }
  });
});

describe("DeepFundingRounds: settleOrphan", () => {
  it("settleOrphan: StillASeed for a seed, NoChildren without live children, InOpenRound for a seed of the round in progress", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, graph } = f;
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.settleOrphan([id("s0")]),
      rounds,
      "StillASeed",
      [id("s0")],
    );
    // A registered node that is no seed, and a removed seed, without children.
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.settleOrphan([id("a")]),
      rounds,
      "NoChildren",
      [id("a")],
    );
    await mined(graph.write.removeSeed([id("s3")]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.settleOrphan([id("s3")]),
      rounds,
      "NoChildren",
      [id("s3")],
    );
    // s2 removed once round 1 has fixed its seeds: it is still settled by the round.
    await mined(rounds.write.openRound());
    await mined(graph.write.removeSeed([id("s2")]));
    expect((await info(f)).seedCount).to.equal(3);
    const phases = [
      Phase.Opening,
      Phase.Trading,
      Phase.Selecting,
      Phase.Evaluating,
      Phase.Settling,
    ];
    for (const phase of phases) {
      await toPhase(f, phase);
      await viem.assertions.revertWithCustomErrorWithArgs(
        rounds.write.settleOrphan([id("s2")]),
        rounds,
        "InOpenRound",
        [1n, id("s2")],
      );
    }
    await settleAll(f);
    expect((await seed(f, 2)).settled).to.equal(true);
    // Round 2 does not list s2: its edges can be settled while round 2 runs.
    await mined(rounds.write.openRound());
    expect((await rounds.read.roundInfo([2n])).seedCount).to.equal(2);
    await viem.assertions.emitWithArgs(
      rounds.write.settleOrphan([id("s2")], { account: f.traders[3] }),
      rounds,
      "OrphanSettled",
      [id("s2"), 0n, 0n],
    );
    expect(await graph.read.children([id("s2")])).to.deep.equal([[id("e")], [2]]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.settleOrphan([id("s0")]),
      rounds,
      "StillASeed",
      [id("s0")],
    );
  });

  it("settleOrphan: a removed seed's edge proposed during the last round is Funded, the bond withdrawable", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, graph } = f;
    const [, , carol, keeper] = f.traders;
    const bond = await graph.read.edgeBond();
    await toPhase(f, Phase.Trading);
    await mined(graph.write.proposeEdge([id("s2"), id("c")], { account: carol }));
    await toPhase(f, Phase.Settling);
    await settleAll(f);
    expect((await graph.read.edge([id("s2"), id("c")])).status).to.equal(1); // still Proposed
    // The registrar removes s2 before the next round: no round would ever settle the proposal.
    await mined(graph.write.removeSeed([id("s2")]));
    const receipt = await mined(rounds.write.settleOrphan([id("s2")], { account: keeper }));
    const [orphan] = parseEventLogs({
      abi: rounds.abi,
      logs: receipt.logs,
      eventName: "OrphanSettled",
    });
    expect(orphan.args).to.deep.equal({ parent: id("s2"), bondsReturned: 1n, bondsSlashed: 0n });
    const [settled] = parseEventLogs({
      abi: graph.abi,
      logs: receipt.logs,
      eventName: "EdgesSettled",
    });
    expect(settled.args).to.deep.equal({
      parent: id("s2"),
      kept: 2n,
      dropped: 0n,
      returned: 1n,
      slashed: 0n,
      slashedAmount: 0n,
    });
    const e = await graph.read.edge([id("s2"), id("c")]);
    expect([e.status, e.bond]).to.deep.equal([2, 0n]);
    expect(await graph.read.children([id("s2")])).to.deep.equal([
      [id("e"), id("c")],
      [2, 2],
    ]);
    expect(await graph.read.owed([carol])).to.equal(bond);
    await expectTokenChanges(
      f.token,
      () => mined(graph.write.withdrawBond([carol], { account: carol })),
      [
        { address: carol, amount: bond },
        { address: graph.address, amount: -bond },
      ],
    );
    expect(await graph.read.bondsHeld()).to.equal(0n);
    // The next round opens without s2.
    await mined(rounds.write.openRound());
    expect((await info(f, 2n)).seedCount).to.equal(3);
  });

  it("settleOrphan: keeps the first 128 children (bonds returned), drops the rest (bonds slashed)", async () => {
    const f = await loadFixture(orphanFixture);
    const { rounds, graph, jury } = f;
    const [first, second] = f.traders;
    const big = id("big");
    const bond = await graph.read.edgeBond();
    expect(await graph.read.childCount([big])).to.equal(BigInt(MAX_FUNDED + 1));
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.settleOrphan([big]),
      rounds,
      "StillASeed",
      [big],
    );
    await mined(graph.write.removeSeed([big]));
    // No round yet (phase None): allowed.
    expect(await rounds.read.currentRound()).to.equal(0n);
    let receipt: Awaited<ReturnType<typeof mined>> | undefined;
    await expectTokenChanges(
      f.token,
      async () => {
        receipt = await mined(rounds.write.settleOrphan([big]));
      },
      [
        { address: graph.address, amount: -bond },
        { address: jury.address, amount: bond },
      ],
    );
    const [orphan] = parseEventLogs({
      abi: rounds.abi,
      logs: receipt!.logs,
      eventName: "OrphanSettled",
    });
    expect(orphan.args).to.deep.equal({ parent: big, bondsReturned: 1n, bondsSlashed: 1n });
    // a (position 127) is kept and Funded; b (position 128) is dropped.
    const [ids, statuses] = await graph.read.children([big]);
    expect(ids).to.have.length(MAX_FUNDED);
    expect(ids[MAX_FUNDED - 1]).to.equal(id("a"));
    expect(statuses.every((st) => st === 2)).to.equal(true);
    const a = await graph.read.edge([big, id("a")]);
    expect([a.status, a.bond]).to.deep.equal([2, 0n]);
    const b = await graph.read.edge([big, id("b")]);
    expect([b.status, b.bond]).to.deep.equal([3, 0n]);
    expect(await graph.read.owed([first])).to.equal(bond);
    expect(await graph.read.owed([second])).to.equal(0n);
    expect(await graph.read.bondsSlashed()).to.equal(bond);
    expect(await graph.read.bondsHeld()).to.equal(bond);
  });
});

// ------------------------------------------------------------------------------------------------
// Market resolution and jury refunds
// ------------------------------------------------------------------------------------------------

/** Pairwise ratings over W_0's four seeds: seed 1 worth more than 0, 1 than 2, 2 than 3. */
const W0_RATINGS: Rating[] = [
  { a: 0, b: 1, choice: 2, multiplier: 300 },
  { a: 1, b: 2, choice: 1, multiplier: 200 },
  { a: 2, b: 3, choice: 1, multiplier: 150 },
];

describe("DeepFundingRounds: resolveMarket", () => {
  it("resolveMarket: NotEvaluated for a market without evaluation, EvaluationOpen while Pending or Drawn", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, jury } = f;
    const resolve = (family: number, i: bigint, round = 1n) =>
      rounds.write.resolveMarket([round, family, i], { account: f.traders[3] });
    await viem.assertions.revertWithCustomErrorWithArgs(
      resolve(O, W0_INDEX),
      rounds,
      "NotEvaluated",
      [1n, O, W0_INDEX],
    );
    await toPhase(f, Phase.Settling);
    const r = await info(f);
    // A market the selection skipped, a seed without a dependency market, another round.
    const skipped = [0, 1, 2, 3].find((i) => !bit(r.originalityEvaluated, i))!;
    for (const [family, i, round] of [
      [O, BigInt(skipped), 1n],
      [D, 2n, 1n],
      [D, 3n, 1n],
      [O, W0_INDEX, 2n],
    ] as const) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        resolve(family, i, round),
        rounds,
        "NotEvaluated",
        [round, family, i],
      );
    }
    const w0 = await evaluationIdOf(f, O, W0_INDEX);
    await viem.assertions.revertWithCustomErrorWithArgs(
      resolve(D, W0_INDEX),
      rounds,
      "EvaluationOpen",
      [w0, JuryStatus.Pending],
    );
    await advanceAndDraw(connection, jury, w0);
    await viem.assertions.revertWithCustomErrorWithArgs(
      resolve(O, W0_INDEX),
      rounds,
      "EvaluationOpen",
      [w0, JuryStatus.Drawn],
    );
    // Past the reveal window, until someone fails it, the evaluation is still Drawn.
    await advanceToReveal(connection, jury, w0, true);
    await viem.assertions.revertWithCustomErrorWithArgs(
      resolve(O, W0_INDEX),
      rounds,
      "EvaluationOpen",
      [w0, JuryStatus.Drawn],
    );
    expect(await f.vault.read.isResolved([r.w0Condition])).to.equal(false);
  });

  it("resolveMarket: reports the jury's result (W_0 pairwise, O_j score) to the vault; traders redeem by it", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, vault, token } = f;
    const [alice, bob, , keeper] = f.traders;
    await toPhase(f, Phase.Trading);
    const r = await info(f);
    // O_0 is requested, so evaluated. Alice holds W_0 seed 1, Bob O_0's UP (in S_0).
    await mined(rounds.write.requestEvaluation([O, 0n], { account: bob }));
    await buy(f, r.w0Market, 1, parseEther("20"), alice);
    await split(f, r.sCondition, parseEther("30"), bob);
    const o0 = (await seed(f, 0)).originalityMarket;
    await buy(f, o0, 0, parseEther("10"), bob);
    await toPhase(f, Phase.Settling);

    // W_0: the jury resolves; the vault learns nothing until resolveMarket.
    const w0Id = await evaluationIdOf(f, O, W0_INDEX);
    const w0Result = await juryResolves(f, w0Id, { pairs: W0_RATINGS });
    expect(w0Result).to.have.length(SEEDS.length);
    expect(sum(w0Result)).to.equal(ONE);
    expect(await vault.read.isResolved([r.w0Condition])).to.equal(false);
    await viem.assertions.emitWithArgs(
      rounds.write.resolveMarket([1n, D, W0_INDEX], { account: keeper }),
      rounds,
      "MarketResolved",
      [1n, D, W0_INDEX, w0Id, true],
    );
    expect(await vault.read.isResolved([r.w0Condition])).to.equal(true);
    expect(await payoutsOf(f, r.w0Condition, SEEDS.length)).to.deep.equal({
      numerators: [...w0Result],
      denominator: sum(w0Result),
    });
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.resolveMarket([1n, O, W0_INDEX]),
      vault,
      "ConditionAlreadyResolved",
      [r.w0Condition],
    );
    // Alice's seed-1 shares pay the jury's weight of seed 1.
    const w0Position = await positionOf(f, r.w0Condition, 1);
    const held = await vault.read.balanceOf([alice, w0Position]);
    expect(held).to.equal(parseEther("20"));
    const w0Payout = (held * w0Result[1]) / sum(w0Result);
    await expectTokenChanges(
      token,
      () =>
        mined(
          vault.write.redeemPositions([token.address, 0n, r.w0Condition, [1n]], {
            account: alice,
          }),
        ),
      [
        { address: alice, amount: w0Payout },
        { address: vault.address, amount: -w0Payout },
      ],
    );
    expect(await vault.read.balanceOf([alice, w0Position])).to.equal(0n);

    // O_0: the median score; Bob's UP shares pay it in S_0.
    const oId = await evaluationIdOf(f, O, 0n);
    const score = parseEther("0.7");
    const oResult = await juryResolves(f, oId, { scoreWad: score });
    expect(oResult).to.deep.equal([score, ONE - score]);
    const oCondition = await conditionOf(f, O, 0n, 2);
    await viem.assertions.emitWithArgs(
      rounds.write.resolveMarket([1n, O, 0n], { account: keeper }),
      rounds,
      "MarketResolved",
      [1n, O, 0n, oId, true],
    );
    expect(await payoutsOf(f, oCondition, 2)).to.deep.equal({
      numerators: [score, ONE - score],
      denominator: ONE,
    });
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.resolveMarket([1n, O, 0n]),
      vault,
      "ConditionAlreadyResolved",
      [oCondition],
    );
    const s0 = await positionOf(f, r.sCondition, 0);
    const up = await vault.read.getPositionId([token.address, s0, oCondition, 0n]);
    const ups = await vault.read.balanceOf([bob, up]);
    const s0Before = await vault.read.balanceOf([bob, s0]);
    await mined(
      vault.write.redeemPositions([token.address, s0, oCondition, [0n]], { account: bob }),
    );
    expect(await vault.read.balanceOf([bob, s0])).to.equal(s0Before + (ups * score) / ONE);
    expect(await vault.read.balanceOf([bob, up])).to.equal(0n);
  });

  it("resolveMarket: a failed evaluation reports the market's time-weighted prices plus 1 wei", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, vault, maker, token } = f;
    const [alice, bob] = f.traders;
    await toPhase(f, Phase.Trading);
    const r = await info(f);
    await mined(rounds.write.requestEvaluation([O, 0n], { account: bob }));
    await split(f, r.sCondition, parseEther("40"), alice);
    const o0 = (await seed(f, 0)).originalityMarket;
    await time.increase(6 * 3600);
    await buy(f, o0, 1, parseEther("25"), alice);
    await buy(f, r.w0Market, 3, parseEther("15"), bob);
    await toPhase(f, Phase.Settling);
    const w0Id = await evaluationIdOf(f, O, W0_INDEX);
    const oId = await evaluationIdOf(f, O, 0n);
    // Drawn, nobody reveals, failed after the reveal window.
    await juryFails(f, w0Id, oId);

    for (const [family, i, market, condition, slots, evaluationId] of [
      [O, 0n, o0, await conditionOf(f, O, 0n, 2), 2, oId],
      [O, W0_INDEX, r.w0Market, r.w0Condition, SEEDS.length, w0Id],
    ] as const) {
      const average = await maker.read.averagePrices([market]);
      await viem.assertions.emitWithArgs(
        rounds.write.resolveMarket([1n, family, i]),
        rounds,
        "MarketResolved",
        [1n, family, i, evaluationId, false],
      );
      const expected = average.map((p) => p + 1n);
      expect(await vault.read.isResolved([condition])).to.equal(true);
      expect(await payoutsOf(f, condition, slots)).to.deep.equal({
        numerators: expected,
        denominator: sum(expected),
      });
      await viem.assertions.revertWithCustomErrorWithArgs(
        rounds.write.resolveMarket([1n, family, i]),
        vault,
        "ConditionAlreadyResolved",
        [condition],
      );
    }
    // DOWN of O_0 moved up in the second half of the window: its average is above the start.
    const average = await maker.read.averagePrices([o0]);
    assert.ok(average[1] > ONE - DEFAULTS.startOriginalityWad, "DOWN gained on average");
    // Bob's W_0 seed-3 shares pay the time-weighted price of seed 3.
    const w0 = (await maker.read.averagePrices([r.w0Market])).map((p) => p + 1n);
    const held = await vault.read.balanceOf([bob, await positionOf(f, r.w0Condition, 3)]);
    const payout = (held * w0[3]) / sum(w0);
    await expectTokenChanges(
      token,
      () =>
        mined(
          vault.write.redeemPositions([token.address, 0n, r.w0Condition, [3n]], { account: bob }),
        ),
      [{ address: bob, amount: payout }],
    );
  });
});

describe("DeepFundingRounds: cancelStuckEvaluation", () => {
  it("cancelStuckEvaluation: NotEvaluated, TooEarly until the draw block has passed, the jury's SeedKnown for a drawable panel", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, jury } = f;
    const cancel = (family: number, i: bigint) =>
      rounds.write.cancelStuckEvaluation([1n, family, i], { account: f.traders[2] });
    await viem.assertions.revertWithCustomErrorWithArgs(
      cancel(O, W0_INDEX),
      rounds,
      "NotEvaluated",
      [1n, O, W0_INDEX],
    );
    await toPhase(f, Phase.Evaluating);
    const receipt = await mined(rounds.write.createEvaluations([256n]));
    const w0Id = await evaluationIdOf(f, O, W0_INDEX);
    const { drawBlock } = await jury.read.evaluation([w0Id]);
    expect(drawBlock).to.equal(receipt.blockNumber + 1n);
    // The next transaction lands in the draw block itself: its hash is not known yet.
    await viem.assertions.revertWithCustomErrorWithArgs(cancel(O, W0_INDEX), rounds, "TooEarly", [
      drawBlock,
      drawBlock + 1n,
    ]);
    await mine();
    // Five eligible jurors for a panel of three: the jury refuses.
    expect(await jury.read.jurors()).to.have.length(5);
    await viem.assertions.revertWithCustomErrorWithArgs(cancel(O, W0_INDEX), jury, "SeedKnown", [
      w0Id,
    ]);
    const r = await info(f);
    const skipped = [0, 1, 2, 3].find((i) => !bit(r.originalityEvaluated, i))!;
    await viem.assertions.revertWithCustomErrorWithArgs(
      cancel(O, BigInt(skipped)),
      rounds,
      "NotEvaluated",
      [1n, O, BigInt(skipped)],
    );
    // Once drawn the jury refuses by status.
    await advanceAndDraw(connection, jury, w0Id);
    await viem.assertions.revertWithCustomErrorWithArgs(cancel(D, W0_INDEX), jury, "WrongStatus", [
      w0Id,
      JuryStatus.Drawn,
    ]);
  });

  it("cancelStuckEvaluation: too few eligible jurors: cancels, resolveMarket reports the prices, reclaimJuryRefunds takes the fee back", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, jury, maker, token } = f;
    const [alice, , keeper] = f.traders;
    await toPhase(f, Phase.Trading);
    const r = await info(f);
    await time.increase(3600);
    await buy(f, r.w0Market, 2, parseEther("30"), alice);
    // Two jurors remain for panels of three, before the evaluations exist.
    for (const juror of f.jurors.slice(0, 3)) await mined(jury.write.removeJuror([juror]));
    await toPhase(f, Phase.Settling);
    const w0Id = await evaluationIdOf(f, O, W0_INDEX);
    await mine();
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.drawPanel([w0Id]),
      jury,
      "NotEnoughJurors",
      [2n, 3n],
    );
    await viem.assertions.emitWithArgs(
      rounds.write.cancelStuckEvaluation([1n, O, W0_INDEX], { account: keeper }),
      jury,
      "EvaluationCancelled",
      [w0Id],
    );
    expect((await jury.read.evaluation([w0Id])).status).to.equal(JuryStatus.Cancelled);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.cancelStuckEvaluation([1n, D, W0_INDEX]),
      jury,
      "WrongStatus",
      [w0Id, JuryStatus.Cancelled],
    );
    // The fallback: W_0's time-weighted prices, plus 1 wei each.
    const expected = (await maker.read.averagePrices([r.w0Market])).map((p) => p + 1n);
    assert.ok(expected[2] > expected[0], "seed 2 gained on average");
    await viem.assertions.emitWithArgs(
      rounds.write.resolveMarket([1n, O, W0_INDEX], { account: keeper }),
      rounds,
      "MarketResolved",
      [1n, O, W0_INDEX, w0Id, false],
    );
    expect(await payoutsOf(f, r.w0Condition, SEEDS.length)).to.deep.equal({
      numerators: expected,
      denominator: sum(expected),
    });
    // The cancelled evaluation's fee is owed to the rounds contract, which takes it back.
    const fee = DEFAULTS.juryFee;
    expect(await jury.read.owed([rounds.address])).to.equal(fee);
    const budget = await rounds.read.budget();
    await expectTokenChanges(
      token,
      () =>
        viem.assertions.emitWithArgs(
          rounds.write.reclaimJuryRefunds({ account: keeper }),
          rounds,
          "JuryRefunded",
          [fee],
        ),
      [
        { address: rounds.address, amount: fee },
        { address: jury.address, amount: -fee },
      ],
    );
    expect(await rounds.read.budget()).to.equal(budget + fee);
    await expectAccounting(f);
  });

  it("cancelStuckEvaluation: DrawStale once the draw block's hash is gone; a drawPanel moves it and the jury checks again", async () => {
    // Past 256 blocks the jury could no longer tell a drawable panel from a stuck one: the
    // rounds contract refuses, so nobody can veto an evaluation merely by waiting.
    const f = await loadFixture(roundsFixture);
    const { rounds, jury } = f;
    await toPhase(f, Phase.Settling);
    const w0Id = await evaluationIdOf(f, O, W0_INDEX);
    const { drawBlock } = await jury.read.evaluation([w0Id]);
    await mine(300);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.cancelStuckEvaluation([1n, O, W0_INDEX], { account: f.traders[3] }),
      rounds,
      "DrawStale",
      [w0Id, drawBlock],
    );
    // Anyone may draw: with a stale hash the jury moves the draw block to the next one.
    await mined(jury.write.drawPanel([w0Id]));
    const moved = (await jury.read.evaluation([w0Id])).drawBlock;
    expect(moved > drawBlock).to.equal(true);
    await mine(2);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.cancelStuckEvaluation([1n, O, W0_INDEX], { account: f.traders[3] }),
      jury,
      "SeedKnown",
      [w0Id],
    );
    expect((await jury.read.evaluation([w0Id])).status).to.equal(JuryStatus.Pending);
  });
});

describe("DeepFundingRounds: reclaimJuryRefunds", () => {
  it("reclaimJuryRefunds: the jury's NothingOwed when nothing is owed", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, jury } = f;
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.reclaimJuryRefunds(),
      jury,
      "NothingOwed",
      [getAddress(rounds.address)],
    );
    // Evaluations in progress owe nothing back.
    await toPhase(f, Phase.Settling);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.reclaimJuryRefunds(),
      jury,
      "NothingOwed",
      [getAddress(rounds.address)],
    );
  });

  it("reclaimJuryRefunds: moves failed evaluations' fees (a requester's fee too) into the budget", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, jury, token } = f;
    const [alice, , , keeper] = f.traders;
    await toPhase(f, Phase.Trading);
    await mined(rounds.write.requestEvaluation([O, 0n], { account: alice }));
    await toPhase(f, Phase.Settling);
    const w0Id = await evaluationIdOf(f, O, W0_INDEX);
    const oId = await evaluationIdOf(f, O, 0n);
    await juryFails(f, w0Id, oId);
    const refund = 2n * DEFAULTS.juryFee + DEFAULTS.evaluationFee;
    expect(await jury.read.owed([rounds.address])).to.equal(refund);
    const budget = await rounds.read.budget();
    await expectAccounting(f);
    let receipt: Awaited<ReturnType<typeof mined>> | undefined;
    await expectTokenChanges(token, async () => {
      receipt = await mined(rounds.write.reclaimJuryRefunds({ account: keeper }));
    }, [
      { address: rounds.address, amount: refund },
      { address: jury.address, amount: -refund },
      { address: keeper, amount: 0n },
    ]);
    const refunded = parseEventLogs({
      abi: rounds.abi,
      logs: receipt!.logs,
      eventName: "JuryRefunded",
    });
    expect(refunded.map((l) => l.args.amount)).to.deep.equal([refund]);
    expect(await rounds.read.budget()).to.equal(budget + refund);
    expect(await rounds.read.heldFees()).to.equal(0n);
    await expectAccounting(f);
    expect(await jury.read.owed([rounds.address])).to.equal(0n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.reclaimJuryRefunds(),
      jury,
      "NothingOwed",
      [getAddress(rounds.address)],
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Views
// ------------------------------------------------------------------------------------------------

describe("DeepFundingRounds: views", () => {
  it("questionId: distinct per (round, family, index); W_0's ignores the family", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds } = f;
    const seen = new Set<string>();
    for (const round of [1n, 2n]) {
      for (const family of [O, D]) {
        for (const i of [0n, 1n, 2n, 255n]) {
          const q = await rounds.read.questionId([round, family, i]);
          expect(q).to.equal(qid(rounds.address, round, family === O ? TAG.O : TAG.W, i));
          seen.add(q);
        }
      }
      const w0 = await rounds.read.questionId([round, O, W0_INDEX]);
      expect(await rounds.read.questionId([round, D, W0_INDEX])).to.equal(w0);
      expect(w0).to.equal(qid(rounds.address, round, TAG.W0, 0n));
      seen.add(w0);
      // The "is evaluated" conditions' questions (not exposed) differ from all of them.
      seen.add(qid(rounds.address, round, TAG.S, 0n));
      seen.add(qid(rounds.address, round, TAG.C, 0n));
    }
    expect(seen.size).to.equal(2 * (8 + 3));
  });

  it("startPrices: base rate for unknown items, sums to exactly 1e18, remainder to the largest", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds } = f;
    const target = await rounds.read.TARGET();
    expect(await rounds.read.startPrices([target, []])).to.deep.equal([]);
    expect(await rounds.read.startPrices([target, [id("u0")]])).to.deep.equal([ONE]);
    const third = ONE / 3n;
    expect(await rounds.read.startPrices([target, [id("u0"), id("u1"), id("u2")]])).to.deep.equal([
      third + 1n,
      third,
      third,
    ]);
    for (const n of [2, 6, 7, 97, 256]) {
      const items = Array.from({ length: n }, (_, i) => id(`unknown-${i}`));
      const prices = await rounds.read.startPrices([target, items]);
      expect(sum(prices)).to.equal(ONE);
      expect(prices).to.deep.equal(
        startPricesOf(new Array<bigint>(n).fill(0n), DEFAULTS.baseRateWad),
      );
    }
  });

  it("childWeights: [] without children, [1e18] for one child, W_i's averages for more", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, maker } = f;
    const trader = f.traders[3];
    await mined(rounds.write.openRound());
    await mined(rounds.write.openBatch([10n]));
    const r = await info(f);
    const w = (await seed(f, 0)).dependencyMarket;
    await split(f, r.cCondition, parseEther("30"), trader);
    await time.increase(3600);
    await buy(f, w, 2, parseEther("30"), trader);
    await time.increaseTo(r.closeTime);
    const weights = await rounds.read.childWeights([1n, 0n]);
    expect(weights).to.deep.equal(await maker.read.averagePrices([w]));
    assert.ok(weights[2] > weights[0] && weights[2] > weights[1]);
    expect(await rounds.read.childWeights([1n, 1n])).to.deep.equal(
      await maker.read.averagePrices([(await seed(f, 1)).dependencyMarket]),
    );
    expect(await rounds.read.childWeights([1n, 2n])).to.deep.equal([ONE]);
    expect(await rounds.read.childWeights([1n, 3n])).to.deep.equal([]);
  });
});

// ------------------------------------------------------------------------------------------------
// Full rounds
// ------------------------------------------------------------------------------------------------

describe("DeepFundingRounds: full rounds", () => {
  it("a full round: balance == budget + heldFees after every step; the pot pays as distribute()", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, maker, pot, graph } = f;
    const [alice, bob, carol] = f.traders;
    const step = async (hash: Promise<Hash>) => {
      const receipt = await mined(hash);
      await expectAccounting(f);
      return receipt;
    };
    await expectAccounting(f);
    await step(rounds.write.fundBudget([parseEther("7")], { account: carol }));
    await step(rounds.write.openRound());
    for (let i = 0; i < SEEDS.length; i++) await step(rounds.write.openBatch([1n]));
    const r = await info(f);
    expect(r.phase).to.equal(Phase.Trading);
    // An edge proposed during the round: not in s2's round children, left for the next round.
    await step(graph.write.proposeEdge([id("s2"), id("d")], { account: carol }));
    await step(rounds.write.requestEvaluation([O, 3n], { account: alice }));
    await step(rounds.write.requestEvaluation([D, 1n], { account: bob }));
    // Trades in every family, spread over the window.
    await buy(f, r.w0Market, 2, parseEther("30"), alice);
    await split(f, r.sCondition, parseEther("40"), bob);
    await split(f, r.cCondition, parseEther("40"), alice);
    await expectAccounting(f);
    await time.increase(6 * 3600);
    await buy(f, r.w0Market, 0, parseEther("10"), bob);
    await buy(f, (await seed(f, 0)).originalityMarket, 0, parseEther("25"), bob);
    await buy(f, (await seed(f, 1)).originalityMarket, 1, parseEther("15"), bob);
    await buy(f, (await seed(f, 0)).dependencyMarket, 2, parseEther("20"), alice);
    await buy(f, (await seed(f, 1)).dependencyMarket, 0, parseEther("10"), alice);
    await expectAccounting(f);
    await step(pot.write.fund([1n, POT_FUNDS]));
    await time.increaseTo(r.closeTime);
    await step(rounds.write.close());
    await mine();
    while ((await info(f)).phase === Phase.Selecting) await step(rounds.write.selectBatch([1n]));
    while ((await info(f)).phase === Phase.Evaluating) {
      await step(rounds.write.createEvaluations([1n]));
    }
    expect(await rounds.read.heldFees()).to.equal(0n);
    const evaluated = await info(f);
    assert.ok(bit(evaluated.originalityEvaluated, 3) && bit(evaluated.dependencyEvaluated, 1));

    const expected = await expectedDistribution(f, 1n, POT_FUNDS);
    const order = await potOrder(f);
    await step(rounds.write.beginSettlement([order]));
    // Any order of seeds: here the reverse of the pot's.
    let last;
    for (let position = order.length - 1; position >= 0; position--) {
      const i = Number(order[position]);
      const o = await settlementOrder(rounds, 1n, i);
      const paid = await step(rounds.write.settleSeed([BigInt(i), BigInt(position), o.order]));
      expect(
        parseEventLogs({ abi: rounds.abi, logs: paid.logs, eventName: "SeedPaid" }).map(
          (l) => l.args,
        ),
      ).to.deep.equal([{ round: 1n, seedIndex: BigInt(i) }]);
      last = await step(rounds.write.settleSeedEdges([BigInt(i), o.order]));
      const [seedSettled] = parseEventLogs({
        abi: rounds.abi,
        logs: last.logs,
        eventName: "SeedSettled",
      });
      expect(seedSettled.args).to.deep.equal({
        round: 1n,
        seedIndex: BigInt(i),
        bondsReturned: 0n,
        bondsSlashed: 0n,
      });
      const settled = parseEventLogs({
        abi: rounds.abi,
        logs: last.logs,
        eventName: "RoundSettled",
      });
      expect(settled.map((l) => l.args.round)).to.deep.equal(position === 0 ? [1n] : []);
    }
    const done = await info(f);
    expect(done.phase).to.equal(Phase.Settled);
    expect(done.seedsSettled).to.equal(SEEDS.length);
    await expectCredits(f, 1n, expected);
    assert.ok(expected.payouts.size > SEEDS.length, "children are paid");
    // Money: subsidies and jury fees came out of the budget.
    expect(done.spent).to.equal(3n * SUBSIDY + done.evaluations * DEFAULTS.juryFee);
    expect(await rounds.read.budget()).to.equal(parseEther("10007") - done.spent);
    // Final prices kept for the next round; the edges are settled (Funded).
    for (let i = 0; i < SEEDS.length; i++) {
      const s = await seed(f, i);
      const kids = GRAPH[SEEDS[i]].map(id);
      const spot = s.dependencyMarket !== 0n ? await maker.read.prices([s.dependencyMarket]) : [];
      for (let j = 0; j < kids.length; j++) {
        expect(await rounds.read.lastPrice([s.node, kids[j]])).to.equal(
          kids.length === 1 ? ONE : spot[j],
        );
        expect((await graph.read.edge([s.node, kids[j]])).status).to.equal(2);
      }
    }
    // The proposal is still Proposed, its bond held; it has no price yet.
    const bond = await graph.read.edgeBond();
    const proposed = await graph.read.edge([id("s2"), id("d")]);
    expect([proposed.status, proposed.proposer, proposed.bond]).to.deep.equal([
      1,
      getAddress(carol),
      bond,
    ]);
    expect(await graph.read.owed([carol])).to.equal(0n);
    expect(await graph.read.children([id("s2")])).to.deep.equal([
      [id("e"), id("d")],
      [2, 1],
    ]);
    expect(await rounds.read.lastPrice([id("s2"), id("d")])).to.equal(0n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      rounds.write.settleSeed([0n, 0n, []]),
      rounds,
      "WrongPhase",
      [1n, Phase.Settled],
    );
  });

  it("startPrices: the next round starts at the last final prices, floored and clamped", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, maker, graph } = f;
    const trader = f.traders[0];
    const target = await rounds.read.TARGET();
    await toPhase(f, Phase.Trading);
    const r = await info(f);
    // W_0: seed 0 takes nearly everything (the others fall below MIN_START_PRICE); O_0's UP
    // goes above 1 - MIN_START_PRICE; W_s0's child c gains.
    await buy(f, r.w0Market, 0, parseEther("600"), trader);
    await split(f, r.sCondition, parseEther("1300"), trader);
    await buy(f, (await seed(f, 0)).originalityMarket, 0, parseEther("1200"), trader);
    await split(f, r.cCondition, parseEther("50"), trader);
    await buy(f, (await seed(f, 0)).dependencyMarket, 2, parseEther("50"), trader);
    await mined(f.pot.write.fund([1n, POT_FUNDS]));
    await toPhase(f, Phase.Settling);
    await settleAll(f);

    const spot = await maker.read.prices([r.w0Market]);
    const last = [];
    for (let i = 0; i < SEEDS.length; i++) {
      last.push(await rounds.read.lastPrice([target, id(SEEDS[i])]));
      expect(last[i]).to.equal(spot[i]);
    }
    for (const i of [1, 2, 3]) assert.ok(last[i] > 0n && last[i] < MIN_START_PRICE);
    const up0 = await rounds.read.lastOriginality([id("s0")]);
    assert.ok(up0 > ONE - MIN_START_PRICE, `UP of s0 ${up0}`);

    // A new seed joins before round 2: it starts at the base rate.
    await mined(graph.write.registerNode([id("s4"), payoutOf("s4"), "s4"]));
    await mined(graph.write.addSeed([id("s4")]));
    const seeds = [...SEEDS.map(id), id("s4")];
    const start = await rounds.read.startPrices([target, seeds]);
    expect(start).to.deep.equal(startPricesOf([...last, 0n], DEFAULTS.baseRateWad));
    expect(sum(start)).to.equal(ONE);
    // Floored: the three tiny prices all start at the same weight.
    expect(start[1]).to.equal(start[2]);
    expect(start[2]).to.equal(start[3]);
    expect(start[1]).to.equal(
      (MIN_START_PRICE * ONE) / (last[0] + 3n * MIN_START_PRICE + DEFAULTS.baseRateWad),
    );
    // The floor applies before normalisation: a floored price ends a little below it.
    assert.ok(start[1] < MIN_START_PRICE);
    const kids0 = GRAPH.s0.map(id);
    const lastKids = [];
    for (const k of kids0) lastKids.push(await rounds.read.lastPrice([id("s0"), k]));
    const kidStart = await rounds.read.startPrices([id("s0"), kids0]);
    expect(kidStart).to.deep.equal(startPricesOf(lastKids, DEFAULTS.baseRateWad));
    assert.ok(kidStart[2] > kidStart[0]);

    await mined(rounds.write.openRound());
    await mined(rounds.write.openBatch([10n]));
    const r2 = await info(f, 2n);
    expect(r2.seedCount).to.equal(5);
    expectNear(await maker.read.prices([r2.w0Market]), start);
    // UP clamped to 1 - MIN_START_PRICE; untraded seeds carry their final UP price over.
    expect((await seed(f, 0, 2n)).startOriginalityWad).to.equal(ONE - MIN_START_PRICE);
    for (const i of [1, 2, 3]) {
      const s = await seed(f, i, 2n);
      expect(s.startOriginalityWad).to.equal(await rounds.read.lastOriginality([s.node]));
    }
    expect((await seed(f, 4, 2n)).startOriginalityWad).to.equal(DEFAULTS.startOriginalityWad);
    const o0 = (await seed(f, 0, 2n)).originalityMarket;
    expectNear(await maker.read.prices([o0]), [ONE - MIN_START_PRICE, MIN_START_PRICE]);
    expectNear(await maker.read.prices([(await seed(f, 0, 2n)).dependencyMarket]), kidStart);
    await expectAccounting(f);
  });

  it("startPrices: a final price of 0 is kept as 1 wei and restarts at the floor, not the base rate", async () => {
    const f = await loadFixture(roundsFixture);
    const { rounds, maker } = f;
    const trader = f.traders[0];
    const target = await rounds.read.TARGET();
    await toPhase(f, Phase.Trading);
    const r = await info(f);
    // Large one-sided buys: W_0's seed 1, O_1's UP and W_s0's children b and c end at 0.
    await buy(f, r.w0Market, 0, parseEther("4000"), trader);
    await split(f, r.sCondition, parseEther("8000"), trader);
    const o1 = (await seed(f, 1)).originalityMarket;
    await buy(f, o1, 1, parseEther("7000"), trader);
    await split(f, r.cCondition, parseEther("8000"), trader);
    const w0s = (await seed(f, 0)).dependencyMarket;
    await buy(f, w0s, 0, parseEther("4000"), trader);
    const spot = await maker.read.prices([r.w0Market]);
    expect(spot[1]).to.equal(0n);
    expect((await maker.read.prices([o1]))[0]).to.equal(0n);
    const kidSpot = await maker.read.prices([w0s]);
    expect(kidSpot.slice(1)).to.deep.equal([0n, 0n]);
    await toPhase(f, Phase.Settling);
    await settleAll(f);

    // Stored as 1 wei: "priced", unlike 0.
    const last = [];
    for (let i = 0; i < SEEDS.length; i++) {
      last.push(await rounds.read.lastPrice([target, id(SEEDS[i])]));
      expect(last[i]).to.equal(spot[i] === 0n ? 1n : spot[i]);
    }
    expect(last[1]).to.equal(1n);
    expect(await rounds.read.lastOriginality([id("s1")])).to.equal(1n);
    const kids = GRAPH.s0.map(id);
    const lastKids = [];
    for (const k of kids) lastKids.push(await rounds.read.lastPrice([id("s0"), k]));
    expect(lastKids).to.deep.equal([kidSpot[0], 1n, 1n]);

    // Next round: floored at MIN_START_PRICE before normalisation (not the 5% base rate).
    const start = await rounds.read.startPrices([target, SEEDS.map(id)]);
    expect(start).to.deep.equal(startPricesOf(last, DEFAULTS.baseRateWad));
    for (const i of [1, 2, 3]) assert.ok(last[i] < MIN_START_PRICE, `seed ${i} below the floor`);
    expect(start[1]).to.equal((MIN_START_PRICE * ONE) / (last[0] + 3n * MIN_START_PRICE));
    const kidStart = await rounds.read.startPrices([id("s0"), kids]);
    expect(kidStart).to.deep.equal(startPricesOf(lastKids, DEFAULTS.baseRateWad));
    expect(kidStart[1]).to.equal((MIN_START_PRICE * ONE) / (lastKids[0] + 2n * MIN_START_PRICE));
    assert.ok(kidStart[1] < MIN_START_PRICE);
    await mined(rounds.write.openRound());
    await mined(rounds.write.openBatch([10n]));
    expect((await seed(f, 1, 2n)).startOriginalityWad).to.equal(MIN_START_PRICE);
    expectNear(await maker.read.prices([(await info(f, 2n)).w0Market]), start);
    expectNear(await maker.read.prices([(await seed(f, 0, 2n)).dependencyMarket]), kidStart);
  });
});
