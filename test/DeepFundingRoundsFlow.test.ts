/**
 * Scenario tests of DeepFundingRounds (contracts/deepfunding/DeepFundingRounds.sol) driven through
 * whole rounds by the keeper of src/rounds.ts, against the spec in
 * contracts/interfaces/IDeepFundingRounds.sol and the exact distribution of `distribute` in
 * src/graph.ts.
 *
 * Layout: three rounds on a graph with a 129-outcome market (a bonded edge ranked 129th is
 * slashed, another is returned; starting prices carry over; edges proposed mid-round keep their
 * bonds and displace no round child until the next round's market settles them), differential
 * tests of the pot's credits on random graphs with random trades in all three market families,
 * accounting invariants checked after every keeper step and every action of a randomized
 * three-round run (with seeds removed and settled as orphans, jury evaluations resolved or
 * failed, markets reported by the keeper and redeemed by the traders), the round limits:
 * MAX_SEEDS, the per-transaction gas cap, batches run after the close time, a budget short of
 * the jury fees; and the worst case of one seed (256 children, 128 of them proposals) against
 * the gas cap.
 */
import assert from "node:assert/strict";

import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "mocha";
import { type Address, type Hash, type Hex, getAddress, parseEther } from "viem";

import {
  type Distribution,
  MAX_FUNDED_CHILDREN,
  type SeedInput,
  distribute,
  rankChildren,
} from "../src/graph.js";
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
  type KeeperStep,
  MIN_START_PRICE,
  type RoundState,
  W0_INDEX,
  keeperStep,
  readRound,
  runKeeper,
  startPricesOf,
} from "../src/rounds.js";
import { balanceDeltas, expectTokenChanges } from "./helpers/balances.js";
import { Rng } from "./helpers/rng.js";
import {
  type GraphSpec,
  ONE,
  SMALL_GRAPH,
  deployRounds,
  id,
  payoutOf,
  registerGraph,
  testConfig,
} from "./helpers/roundsFixture.js";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const { loadFixture, mine, time } = networkHelpers;
const publicClient = await viem.getPublicClient();

type Fixture = Awaited<ReturnType<typeof deployRounds>>;

const EdgeStatus = { None: 0, Proposed: 1, Funded: 2, Dropped: 3 } as const;
const PotStatus = { Open: 0, Settling: 1, Settled: 2 } as const;
/** MIN_START_PRICE of the round contract. */

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

/** Waits for a transaction and checks it succeeded. */
async function mined(hash: Hash | Promise<Hash>) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  expect(receipt.status).to.equal("success");
  return receipt;
}

const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

/** Checks that spot prices read from the maker are the expected starting prices (to 10 wei:
 * the maker stores exponents, not prices). */
function expectNear(actual: readonly bigint[], expected: readonly bigint[], what: string) {
  expect(actual.length, what).to.equal(expected.length);
  actual.forEach((p, j) => {
    const diff = p > expected[j] ? p - expected[j] : expected[j] - p;
    assert.ok(diff <= 10n, `${what}[${j}]: ${p} vs ${expected[j]}`);
  });
}

async function deadline(): Promise<bigint> {
  return BigInt(await time.latest()) + 3600n;
}

/** Buys `amount` of `outcome` with the quoted cost as the slippage bound; returns the cost. */
async function buy(
  f: Fixture,
  market: bigint,
  outcome: number,
  amount: bigint,
  account: Address,
): Promise<bigint> {
  const cost = await f.maker.read.quote([market, BigInt(outcome), amount]);
  await mined(
    f.maker.write.buy([market, BigInt(outcome), amount, cost, await deadline()], { account }),
  );
  return cost;
}

/** Sells `amount` of `outcome` with the quoted return as the slippage bound. */
async function sell(
  f: Fixture,
  market: bigint,
  outcome: number,
  amount: bigint,
  account: Address,
): Promise<bigint> {
  const ret = await f.maker.read.quote([market, BigInt(outcome), -amount]);
  await mined(
    f.maker.write.sell([market, BigInt(outcome), amount, ret, await deadline()], { account }),
  );
  return ret;
}

/** Splits collateral into a full set of a round's S or C condition. */
async function splitSet(f: Fixture, condition: Hex, amount: bigint, account: Address) {
  await mined(f.vault.write.splitPosition([f.token.address, 0n, condition, amount], { account }));
}

/** Splits a market's parent position into a full set of the market's outcomes. */
async function splitOutcomes(f: Fixture, market: bigint, amount: bigint, account: Address) {
  const [, , , collateral, parent, condition] = await f.maker.read.marketInfo([market]);
  await mined(f.vault.write.splitPosition([collateral, parent, condition, amount], { account }));
}

/** The vault balance of one outcome of a market. */
async function holding(f: Fixture, market: bigint, outcome: number, account: Address) {
  const [, , , collateral, parent, condition] = await f.maker.read.marketInfo([market]);
  const position = await f.vault.read.getPositionId([
    collateral,
    parent,
    condition,
    BigInt(outcome),
  ]);
  return f.vault.read.balanceOf([account, position]);
}

/** What settlement will use, read after the close (time-weighted prices no longer move). */
interface RoundReading {
  state: RoundState;
  /** The pot's distribution input, seeds in round order. */
  inputs: SeedInput[];
  /** Final spot prices: W_0, each seed's dependency market ([] without), each UP price (0n). */
  w0Spot: bigint[];
  depSpot: bigint[][];
  upSpot: bigint[];
}

async function readAtClose(f: Fixture, round: bigint): Promise<RoundReading> {
  const state = await readRound(f.rounds, round);
  assert.ok(state !== undefined);
  expect(state.phase).to.equal("Selecting");
  const w0 = await f.maker.read.averagePrices([state.w0Market]);
  const w0Spot = [...(await f.maker.read.prices([state.w0Market]))];
  const inputs: SeedInput[] = [];
  const depSpot: bigint[][] = [];
  const upSpot: bigint[] = [];
  for (const s of state.seeds) {
    const info = await f.rounds.read.seedInfo([round, BigInt(s.index)]);
    let originality = info.startOriginalityWad;
    upSpot.push(0n);
    if (info.originalityMarket !== 0n) {
      originality = (await f.maker.read.averagePrices([info.originalityMarket]))[0];
      upSpot[s.index] = (await f.maker.read.prices([info.originalityMarket]))[0];
    }
    const [live] = await f.graph.read.children([s.node]);
    const children = live.slice(0, s.childCount);
    const weights = await f.rounds.read.childWeights([round, BigInt(s.index)]);
    expect(weights.length).to.equal(children.length);
    if (info.dependencyMarket !== 0n) {
      // The settlement weights are the dependency market's time-weighted prices.
      expect(weights).to.deep.equal(await f.maker.read.averagePrices([info.dependencyMarket]));
      depSpot.push([...(await f.maker.read.prices([info.dependencyMarket]))]);
    } else {
      if (children.length === 1) expect(weights).to.deep.equal([ONE]);
      depSpot.push([]);
    }
    inputs.push({
      node: s.node,
      weight: w0[s.index],
      originality,
      children: children.map((child, j) => ({ child, weight: weights[j] })),
    });
  }
  return { state, inputs, w0Spot, depSpot, upSpot };
}

/** Every node of a distribution input (seeds and children), once. */
function nodesOf(inputs: readonly SeedInput[]): Hex[] {
  const all = new Set<Hex>();
  for (const s of inputs) {
    all.add(s.node as Hex);
    for (const c of s.children) all.add(c.child as Hex);
  }
  return [...all];
}

async function owedOf(f: Fixture, nodes: readonly Hex[]): Promise<bigint[]> {
  return Promise.all(nodes.map((n) => f.pot.read.owed([n])));
}

/** Checks that the pot credited each node exactly what `distribute` gives it. */
function expectCredits(
  nodes: readonly Hex[],
  before: readonly bigint[],
  after: readonly bigint[],
  dist: Distribution,
) {
  nodes.forEach((n, i) => {
    expect(after[i] - before[i], `credit of ${n}`).to.equal(dist.payouts.get(n) ?? 0n);
  });
}

/** Closes the current round (past its close time) and waits for the random block. */
async function closeRound(f: Fixture, batch: number) {
  const { closeTime } = await f.rounds.read.roundInfo([await f.rounds.read.currentRound()]);
  if (BigInt(await time.latest()) < closeTime) await time.increaseTo(closeTime);
  const closing = await runKeeper(connection, f.rounds, f.pot, { batch, openNext: false });
  expect(closing.steps.map((s) => s.action)).to.deep.equal(["close"]);
  expect(closing.waiting).to.match(/random block/);
}

/** From Selecting (random block not mined yet) to Settled. */
async function settleRound(f: Fixture, batch: number) {
  await mine();
  const run = await runKeeper(connection, f.rounds, f.pot, { batch, openNext: false });
  expect(run.waiting).to.match(/settled/);
  const state = await readRound(f.rounds);
  expect(state?.phase).to.equal("Settled");
}

/** Opens the next round and creates its markets; returns its state (Trading). */
async function openRound(f: Fixture, batch: number): Promise<RoundState> {
  const run = await runKeeper(connection, f.rounds, f.pot, { batch, openNext: true });
  expect(run.steps[0].action).to.equal("open");
  expect(run.waiting).to.match(/trading until/);
  const state = await readRound(f.rounds);
  assert.ok(state !== undefined);
  expect(state.phase).to.equal("Trading");
  return state;
}

// ------------------------------------------------------------------------------------------------
// Three rounds: a 129-outcome market, bonds slashed and returned, prices carried over
// ------------------------------------------------------------------------------------------------

const P = "seed-p";
const Q = "seed-q";
const R = "seed-r";
const P_KIDS = Array.from({ length: 128 }, (_, i) => `p-${i}`);
const Q_KIDS = ["q-0", "q-1"];
/** Proposed by X under P before round 1: the 129th outcome of P's market. */
const WEAK = "p-weak";
/** Proposed by Y under Q before round 1. */
const Q_PROPOSED = "q-y";
const POT_1 = parseEther("1000") + 777n;
const POT_2 = parseEther("500") + 3n;

/** Round 1 traded and settled on P (128 + WEAK) and Q (2 + Q_PROPOSED). */
async function roundOneFixture() {
  const f = await deployRounds(connection, { graph: { [P]: P_KIDS, [Q]: Q_KIDS } });
  const [a, b, x, y] = f.traders;
  const bond = await f.graph.read.edgeBond();
  for (const name of [WEAK, Q_PROPOSED]) {
    await mined(f.graph.write.registerNode([id(name), payoutOf(name), name]));
  }
  await mined(f.graph.write.proposeEdge([id(P), id(WEAK)], { account: x }));
  await mined(f.graph.write.proposeEdge([id(Q), id(Q_PROPOSED)], { account: y }));

  const state = await openRound(f, 1);
  const [pSeed, qSeed] = state.seeds;
  expect([pSeed.node, qSeed.node]).to.deep.equal([id(P), id(Q)]);
  expect(pSeed.childCount).to.equal(129);
  expect((await f.maker.read.marketInfo([pSeed.dependencyMarket]))[0]).to.equal(129n);
  expect(qSeed.childCount).to.equal(3);
  const info = await f.rounds.read.roundInfo([1n]);

  // Trades in all three families.
  await splitSet(f, info.sCondition, parseEther("100"), a);
  await splitSet(f, info.sCondition, parseEther("100"), b);
  await splitSet(f, info.cCondition, parseEther("2000"), a);
  await splitSet(f, info.cCondition, parseEther("100"), b);
  await buy(f, state.w0Market, 0, parseEther("40"), a);
  await buy(f, state.w0Market, 1, parseEther("10"), b);
  await buy(f, pSeed.originalityMarket, 0, parseEther("30"), a);
  await buy(f, qSeed.originalityMarket, 1, parseEther("20"), b);
  await time.increase(3600);
  // The weak edge: sold first, so its price is the lowest at every instant from here on.
  await splitOutcomes(f, pSeed.dependencyMarket, parseEther("20"), a);
  await sell(f, pSeed.dependencyMarket, 128, parseEther("20"), a);
  for (let i = 0; i < 16; i++) {
    await buy(f, pSeed.dependencyMarket, i, (BigInt(i + 1) * ONE) / 4n, i % 2 === 0 ? a : b);
  }
  // Q: q-1 ends below MIN_START_PRICE, so that its next starting price is floored.
  await buy(f, qSeed.dependencyMarket, 0, parseEther("700"), a);
  await buy(f, qSeed.dependencyMarket, 2, parseEther("700"), a);
  await mined(f.pot.write.fund([1n, POT_1]));

  await closeRound(f, 1);
  const reading = await readAtClose(f, 1n);
  const juryFundBefore = await f.jury.read.juryFund();
  await settleRound(f, 1);
  return { f, bond, reading, juryFundBefore };
}

/**
 * Round 2 after round 1: a new seed R (sharing p-5 with P) and a new child q-2 under Q added
 * between the rounds, q-z (by X) and p-z (by Y) proposed mid-round, trades, settled. Returns
 * what round 2 opened with, read before any trade.
 */
async function roundTwoFixture() {
  const { f, bond, reading } = await loadFixture(roundOneFixture);
  const [a, b, x, y] = f.traders;
  const target = await f.rounds.read.TARGET();
  await registerGraph(f.deployed, { [R]: ["r-0", "r-1", "p-5"], [Q]: ["q-2"] });
  const state = await openRound(f, 2);
  const [pSeed, qSeed, rSeed] = state.seeds;
  const opening = {
    w0: {
      view: await f.rounds.read.startPrices([target, state.seeds.map((s) => s.node)]),
      spot: await f.maker.read.prices([state.w0Market]),
    },
    dep: await Promise.all(
      state.seeds.map(async (s) => {
        const [live] = await f.graph.read.children([s.node]);
        return {
          live,
          view: await f.rounds.read.startPrices([s.node, live]),
          spot: await f.maker.read.prices([s.dependencyMarket]),
        };
      }),
    ),
    up: await Promise.all(
      state.seeds.map(async (s) => {
        const info = await f.rounds.read.seedInfo([2n, BigInt(s.index)]);
        return {
          start: info.startOriginalityWad,
          spot: await f.maker.read.prices([info.originalityMarket]),
        };
      }),
    ),
  };

  // Mid-round: X proposes q-z under Q and Y proposes p-z under P (P then has 129 children).
  for (const name of ["q-z", "p-z"]) {
    await mined(f.graph.write.registerNode([id(name), payoutOf(name), name]));
  }
  await mined(f.graph.write.proposeEdge([id(Q), id("q-z")], { account: x }));
  await mined(f.graph.write.proposeEdge([id(P), id("p-z")], { account: y }));

  const info = await f.rounds.read.roundInfo([2n]);
  await splitSet(f, info.sCondition, parseEther("50"), b);
  await splitSet(f, info.cCondition, parseEther("200"), a);
  await buy(f, state.w0Market, 2, parseEther("25"), a);
  await buy(f, rSeed.originalityMarket, 1, parseEther("15"), b);
  await buy(f, qSeed.dependencyMarket, 3, parseEther("30"), a);
  await buy(f, rSeed.dependencyMarket, 2, parseEther("5"), a);
  // p-127 is sold down: the lowest of P's round children.
  await splitOutcomes(f, pSeed.dependencyMarket, parseEther("10"), a);
  await sell(f, pSeed.dependencyMarket, 127, parseEther("10"), a);
  await mined(f.rounds.write.requestEvaluation([FAMILY.Dependency, 2n], { account: b }));
  await mined(f.pot.write.fund([2n, POT_2]));

  await closeRound(f, 2);
  const reading2 = await readAtClose(f, 2n);
  const nodes = [...new Set([...nodesOf(reading2.inputs), id("q-z"), id("p-z")])];
  const owedBefore = await owedOf(f, nodes);
  const juryFundBefore = await f.jury.read.juryFund();
  await settleRound(f, 2);
  return { f, bond, reading, state, opening, reading2, nodes, owedBefore, juryFundBefore };
}

describe("DeepFundingRounds flow: three rounds on a graph with a 129-outcome market", () => {
  it("round 1: the 129th edge's bond is slashed to the jury, the other bond returned, the pot paid as distribute()", async () => {
    const { f, bond, reading, juryFundBefore } = await loadFixture(roundOneFixture);
    const [, , x, y] = f.traders;
    // The last prices are round 1's final spot prices (next round's starting prices).
    const target = await f.rounds.read.TARGET();
    expect(await f.rounds.read.lastPrice([target, id(P)])).to.equal(reading.w0Spot[0]);
    expect(await f.rounds.read.lastPrice([id(Q), id("q-1")])).to.equal(reading.depSpot[1][1]);
    expect(await f.rounds.read.lastOriginality([id(P)])).to.equal(reading.upSpot[0]);
    expect(await f.rounds.read.MIN_START_PRICE()).to.equal(MIN_START_PRICE);
    expect(reading.depSpot[1][1] < MIN_START_PRICE).to.equal(true);
    // The weights read after the close are still the settled ones.
    expect(await f.maker.read.averagePrices([reading.state.w0Market])).to.deep.equal(
      reading.inputs.map((s) => s.weight),
    );
    const pWeights = reading.inputs[0].children.map((c) => c.weight);
    // The weak edge's time-weighted price is the strictly lowest: rank 129.
    pWeights.slice(0, 128).forEach((w) => expect(w > pWeights[128]).to.equal(true));
    expect(rankChildren(pWeights)[128]).to.equal(128);

    const weak = await f.graph.read.edge([id(P), id(WEAK)]);
    expect(weak.status).to.equal(EdgeStatus.Dropped);
    expect(weak.bond).to.equal(0n);
    expect((await f.jury.read.juryFund()) - juryFundBefore).to.equal(bond);
    expect(await f.graph.read.bondsSlashed()).to.equal(bond);
    expect(await f.graph.read.owed([x])).to.equal(0n);
    expect(await f.graph.read.childCount([id(P)])).to.equal(128n);

    const proposed = await f.graph.read.edge([id(Q), id(Q_PROPOSED)]);
    expect(proposed.status).to.equal(EdgeStatus.Funded);
    expect(proposed.bond).to.equal(0n);
    expect(await f.graph.read.owed([y])).to.equal(bond);
    expect(await f.graph.read.bondsHeld()).to.equal(bond);
    await expectTokenChanges(
      f.token,
      () => mined(f.graph.write.withdrawBond([y], { account: y })),
      [
        { address: y, amount: bond },
        { address: f.graph.address, amount: -bond },
      ],
    );
    expect(await f.graph.read.owed([y])).to.equal(0n);

    // The pot: every node credited what distribute() gives it; the weak child nothing.
    const dist = distribute(POT_1, reading.inputs);
    expect(dist.dropped).to.deep.equal([
      { parent: id(P), child: id(WEAK), rank: MAX_FUNDED_CHILDREN + 1 },
    ]);
    const nodes = nodesOf(reading.inputs);
    expectCredits(
      nodes,
      nodes.map(() => 0n),
      await owedOf(f, nodes),
      dist,
    );
    expect(await f.pot.read.owed([id(WEAK)])).to.equal(0n);
    const potRound = await f.pot.read.roundInfo([1n]);
    expect(potRound.status).to.equal(PotStatus.Settled);
    expect(potRound.distributed).to.equal(dist.distributed);
    expect(potRound.dust).to.equal(dist.dust);
    expect(potRound.distributed + potRound.dust).to.equal(POT_1);
  });

  it("round 2: starting prices carry over; edges proposed mid-round wait, with their bonds, for the next round", async () => {
    const { f, bond, reading, state, opening, reading2, nodes, owedBefore, juryFundBefore } =
      await loadFixture(roundTwoFixture);
    const [, , x, y] = f.traders;
    const base = (await f.rounds.read.config()).baseRateWad;
    expect(state.round).to.equal(2n);
    expect(state.seeds.map((s) => s.node)).to.deep.equal([id(P), id(Q), id(R)]);
    const [pSeed, qSeed] = state.seeds;

    // W_0: P and Q start at their last prices, R at the base rate.
    const w0Start = startPricesOf([reading.w0Spot[0], reading.w0Spot[1], 0n], base);
    expect(opening.w0.view).to.deep.equal(w0Start);
    expect(sum(w0Start)).to.equal(ONE);
    expectNear(opening.w0.spot, w0Start, "W_0 start");
    // P: the 128 surviving children at their last prices (the weak one is gone).
    const [pOpen, qOpen, rOpen] = opening.dep;
    expect(pOpen.live).to.deep.equal(P_KIDS.map(id));
    const pStart = startPricesOf(reading.depSpot[0].slice(0, 128), base);
    expect(pOpen.view).to.deep.equal(pStart);
    expectNear(pOpen.spot, pStart, "W_P start");
    // Q: q-1 floored at MIN_START_PRICE, the new q-2 at the base rate.
    expect(qOpen.live).to.deep.equal([...Q_KIDS, Q_PROPOSED, "q-2"].map(id));
    const qStart = startPricesOf([...reading.depSpot[1], 0n], base);
    expect(qOpen.view).to.deep.equal(qStart);
    expectNear(qOpen.spot, qStart, "W_Q start");
    // R: three new children.
    expect(rOpen.live).to.deep.equal(["r-0", "r-1", "p-5"].map(id));
    const rStart = startPricesOf([0n, 0n, 0n], base);
    expect(rOpen.view).to.deep.equal(rStart);
    expectNear(rOpen.spot, rStart, "W_R start");
    // Originality: P and Q at their last UP prices, R at the configured start.
    const startUp = (await f.rounds.read.config()).startOriginalityWad;
    for (const [i, expected] of [reading.upSpot[0], reading.upSpot[1], startUp].entries()) {
      expect(opening.up[i].start).to.equal(expected);
      expectNear(opening.up[i].spot, [expected, ONE - expected], "UP");
    }

    // The mid-round proposals are in none of round 2's markets.
    expect((await f.maker.read.marketInfo([qSeed.dependencyMarket]))[0]).to.equal(4n);
    expect((await f.maker.read.marketInfo([pSeed.dependencyMarket]))[0]).to.equal(128n);
    expect((await f.rounds.read.seedInfo([2n, 0n])).childCount).to.equal(128);
    expect((await f.rounds.read.seedInfo([2n, 1n])).childCount).to.equal(4);

    // The pot: round 2's credits are distribute() of round 2's weights; the late edges get 0.
    const dist = distribute(POT_2, reading2.inputs);
    expect(dist.dropped).to.deep.equal([]);
    expect(dist.payouts.has(id("q-z"))).to.equal(false);
    expectCredits(nodes, owedBefore, await owedOf(f, nodes), dist);
    expect(await f.pot.read.owed([id("q-z")])).to.equal(0n);
    expect(await f.pot.read.owed([id("p-z")])).to.equal(0n);
    const potRound = await f.pot.read.roundInfo([2n]);
    expect(potRound.distributed).to.equal(dist.distributed);
    expect(potRound.distributed + potRound.dust).to.equal(POT_2);

    // The late edges are not settled: still Proposed, their bonds held, nothing owed back.
    for (const [parent, child, proposer] of [
      [Q, "q-z", x],
      [P, "p-z", y],
    ] as const) {
      const e = await f.graph.read.edge([id(parent), id(child)]);
      expect(e.status, child).to.equal(EdgeStatus.Proposed);
      expect(e.proposer).to.equal(getAddress(proposer));
      expect(e.bond).to.equal(bond);
    }
    expect(await f.graph.read.owed([x])).to.equal(0n);
    // Y's round-1 bond (not withdrawn in this fixture) only.
    expect(await f.graph.read.owed([y])).to.equal(bond);
    expect(await f.graph.read.bondsHeld()).to.equal(3n * bond);
    expect(await f.graph.read.bondsSlashed()).to.equal(bond);
    expect(await f.jury.read.juryFund()).to.equal(juryFundBefore);

    // No round child is displaced by the proposal: p-127, the lowest, stays Funded with the
    // other 127, and p-z waits after them (P has 129 live children until round 3 settles).
    const pWeights = reading2.inputs[0].children.map((c) => c.weight);
    expect(pWeights).to.have.length(128);
    expect(rankChildren(pWeights)[127]).to.equal(127);
    for (const child of P_KIDS) {
      expect((await f.graph.read.edge([id(P), id(child)])).status, child).to.equal(
        EdgeStatus.Funded,
      );
    }
    const [pAfter] = await f.graph.read.children([id(P)]);
    expect(pAfter).to.deep.equal([...P_KIDS, "p-z"].map(id));
    const [qAfter] = await f.graph.read.children([id(Q)]);
    expect(qAfter).to.deep.equal([...Q_KIDS, Q_PROPOSED, "q-2", "q-z"].map(id));
  });

  it("round 3: the edges proposed mid-round 2 get markets and are Funded or Dropped by their round-3 prices", async () => {
    const { f, bond, reading2 } = await loadFixture(roundTwoFixture);
    const [a, b, x, y] = f.traders;
    const base = (await f.rounds.read.config()).baseRateWad;
    const state = await openRound(f, 2);
    expect(state.round).to.equal(3n);
    const [pSeed, qSeed] = state.seeds;
    // p-z and q-z are the last outcomes of their seeds' markets, at the base rate.
    expect(pSeed.childCount).to.equal(129);
    expect((await f.maker.read.marketInfo([pSeed.dependencyMarket]))[0]).to.equal(129n);
    expect(qSeed.childCount).to.equal(5);
    const [qLive] = await f.graph.read.children([id(Q)]);
    expectNear(
      await f.maker.read.prices([qSeed.dependencyMarket]),
      startPricesOf([...reading2.depSpot[1], 0n], base),
      "W_Q start",
    );
    expect(qLive[4]).to.equal(id("q-z"));

    // p-z sold down at once (the lowest of P's 129 at every instant), q-z bought.
    const info = await f.rounds.read.roundInfo([3n]);
    await splitSet(f, info.cCondition, parseEther("200"), a);
    await splitSet(f, info.cCondition, parseEther("100"), b);
    await splitOutcomes(f, pSeed.dependencyMarket, parseEther("150"), a);
    await sell(f, pSeed.dependencyMarket, 128, parseEther("150"), a);
    await buy(f, qSeed.dependencyMarket, 4, parseEther("20"), b);
    await time.increase(3600);
    await mined(f.pot.write.fund([3n, POT_2]));

    await closeRound(f, 2);
    const reading3 = await readAtClose(f, 3n);
    const nodes = nodesOf(reading3.inputs);
    const owedBefore = await owedOf(f, nodes);
    const juryFundBefore = await f.jury.read.juryFund();
    const slashedBefore = await f.graph.read.bondsSlashed();
    const owedX = await f.graph.read.owed([x]);
    const owedY = await f.graph.read.owed([y]);
    await settleRound(f, 2);

    // Each late edge's status follows its round-3 rank among its seed's round children.
    const pWeights = reading3.inputs[0].children.map((c) => c.weight);
    const qWeights = reading3.inputs[1].children.map((c) => c.weight);
    expect(pWeights).to.have.length(129);
    pWeights.slice(0, 128).forEach((w) => expect(w > pWeights[128]).to.equal(true));
    const pRank = rankChildren(pWeights).indexOf(128);
    const qRank = rankChildren(qWeights).indexOf(4);
    expect(pRank).to.equal(128);
    expect(qRank < MAX_FUNDED_CHILDREN).to.equal(true);

    // p-z ranked 129th: Dropped, Y's bond slashed into the jury fund.
    const pz = await f.graph.read.edge([id(P), id("p-z")]);
    expect([pz.status, pz.bond]).to.deep.equal([EdgeStatus.Dropped, 0n]);
    expect(await f.graph.read.owed([y])).to.equal(owedY);
    expect((await f.graph.read.bondsSlashed()) - slashedBefore).to.equal(bond);
    expect((await f.jury.read.juryFund()) - juryFundBefore).to.equal(bond);
    // q-z in the top 128: Funded, X's bond owed back.
    const qz = await f.graph.read.edge([id(Q), id("q-z")]);
    expect([qz.status, qz.bond]).to.deep.equal([EdgeStatus.Funded, 0n]);
    expect((await f.graph.read.owed([x])) - owedX).to.equal(bond);
    // Y's round-1 bond and X's returned one, both owed.
    expect(await f.graph.read.bondsHeld()).to.equal(2n * bond);
    const [pAfter] = await f.graph.read.children([id(P)]);
    expect(pAfter).to.deep.equal(P_KIDS.map(id));

    // The pot: q-z shares it, p-z gets nothing.
    const dist = distribute(POT_2, reading3.inputs);
    expect(dist.dropped).to.deep.equal([{ parent: id(P), child: id("p-z"), rank: 129 }]);
    expectCredits(nodes, owedBefore, await owedOf(f, nodes), dist);
    expect((await f.pot.read.owed([id("q-z")])) > 0n).to.equal(true);
    expect(await f.pot.read.owed([id("p-z")])).to.equal(0n);
  });
});

// ------------------------------------------------------------------------------------------------
// Random markets and trades
// ------------------------------------------------------------------------------------------------

interface Market {
  id: bigint;
  family: "weights" | "originality" | "dependency";
  outcomes: number;
}

/** The markets of a round: W_0, then each seed's originality and dependency markets. */
async function marketsOf(f: Fixture, state: RoundState): Promise<Market[]> {
  const out: Market[] = [{ id: state.w0Market, family: "weights", outcomes: state.seedCount }];
  for (const s of state.seeds) {
    if (s.originalityMarket !== 0n) {
      out.push({ id: s.originalityMarket, family: "originality", outcomes: 2 });
    }
    if (s.dependencyMarket !== 0n) {
      out.push({ id: s.dependencyMarket, family: "dependency", outcomes: s.childCount });
    }
  }
  return out;
}

/** Gives every trader a full S and C set of the current round (parents of its markets). */
async function splitSets(f: Fixture, round: bigint, amount: bigint, after?: () => Promise<void>) {
  const info = await f.rounds.read.roundInfo([round]);
  for (const t of f.traders) {
    await splitSet(f, info.sCondition, amount, t);
    await after?.();
    await splitSet(f, info.cCondition, amount, t);
    await after?.();
  }
}

/** A random buy, or a sale of part of what the trader holds. */
async function randomTrade(f: Fixture, rng: Rng, market: Market): Promise<void> {
  const account = f.traders[rng.int(f.traders.length)];
  const outcome = rng.int(market.outcomes);
  const held = await holding(f, market.id, outcome, account);
  if (held > 0n && rng.int(3) === 0) {
    await sell(f, market.id, outcome, held / BigInt(1 + rng.int(3)), account);
  } else {
    await buy(f, market.id, outcome, rng.range(ONE / 10n, 20n * ONE), account);
  }
}

/** Pays for a random market's evaluation unless it has none or was already requested. */
async function randomRequest(f: Fixture, rng: Rng, state: RoundState): Promise<boolean> {
  const family = rng.int(2);
  const seed = state.seeds[rng.int(state.seedCount)];
  const market = family === FAMILY.Originality ? seed.originalityMarket : seed.dependencyMarket;
  const index = BigInt(seed.index);
  if (market === 0n || (await f.rounds.read.requestFee([state.round, family, index])) !== 0n) {
    return false;
  }
  await mined(
    f.rounds.write.requestEvaluation([family, index], { account: f.traders[rng.int(4)] }),
  );
  return true;
}

// ------------------------------------------------------------------------------------------------
// Differential: the pot's credits on random graphs against distribute()
// ------------------------------------------------------------------------------------------------

/**
 * `seedCount` seeds with 0 to 6 children each, drawn from a shared pool and from the seeds (a
 * self-edge included, as in the data); then, if the draw lacks them, a seed under another seed,
 * a child shared by two seeds and a seed with two children (a dependency market).
 */
function randomGraph(rng: Rng, seedCount: number): GraphSpec {
  const seeds = Array.from({ length: seedCount }, (_, i) => `rg-seed-${i}`);
  const pool = Array.from({ length: 8 }, (_, i) => `rg-node-${i}`);
  const candidates = [...pool, ...seeds];
  const spec: Record<string, string[]> = {};
  for (const s of seeds) {
    const k = rng.int(7);
    const kids: string[] = [];
    while (kids.length < k) {
      const c = candidates[rng.int(candidates.length)];
      if (!kids.includes(c)) kids.push(c);
    }
    spec[s] = kids;
  }
  const add = (seed: string, child: string) => {
    if (!spec[seed].includes(child)) spec[seed].push(child);
  };
  const parentsOf = (c: string) => seeds.filter((s) => spec[s].includes(c)).length;
  if (!seeds.some((s) => seeds.some((o) => o !== s && spec[o].includes(s)))) {
    add(seeds[0], seeds[1]);
  }
  if (!pool.some((c) => parentsOf(c) >= 2)) {
    add(seeds[0], pool[0]);
    add(seeds[seeds.length - 1], pool[0]);
  }
  if (!seeds.some((s) => spec[s].length >= 2)) {
    add(seeds[1], pool[1]);
    add(seeds[1], pool[2]);
  }
  return spec;
}

/** The round contract on an empty graph. */
async function emptyGraphFixture() {
  return deployRounds(connection, { graph: {} });
}

describe("DeepFundingRounds flow: differential against distribute() on random graphs", () => {
  // One graph of each size from 2 to 6 seeds.
  for (const [seedCount, seed] of [0xa1n, 0xb2n, 0xc3n, 0xd4n, 0xe5n].entries()) {
    it(`random graph 0x${seed.toString(16)}: every credit, claim and the dust are distribute()'s`, async () => {
      const rng = new Rng(seed);
      const f = await loadFixture(emptyGraphFixture);
      const spec = randomGraph(rng, seedCount + 2);
      await registerGraph(f.deployed, spec);
      const names = new Map<Hex, string>();
      for (const [s, kids] of Object.entries(spec)) {
        for (const name of [s, ...kids]) names.set(id(name), name);
      }

      const state = await openRound(f, 1 + rng.int(3));
      await splitSets(f, 1n, parseEther("300"));
      const markets = await marketsOf(f, state);
      const traded = { weights: 0, originality: 0, dependency: 0 };
      for (let t = 0; t < 24; t++) {
        // The first three trades cover the three families; then at random.
        const family = (["weights", "originality", "dependency"] as const)[t];
        const pool = t < 3 ? markets.filter((m) => m.family === family) : markets;
        const market = pool[rng.int(pool.length)];
        await randomTrade(f, rng, market);
        traded[market.family]++;
        if (rng.int(4) === 0) await time.increase(1 + rng.int(4 * 3600));
        if (rng.int(6) === 0) await randomRequest(f, rng, state);
      }
      expect(Object.values(traded).every((n) => n > 0)).to.equal(true);
      const pot = rng.range(ONE, 10n ** 22n);
      await mined(f.pot.write.fund([1n, pot]));

      await closeRound(f, 1 + rng.int(3));
      const reading = await readAtClose(f, 1n);
      await settleRound(f, 1 + rng.int(3));

      const dist = distribute(pot, reading.inputs);
      const nodes = nodesOf(reading.inputs);
      expectCredits(
        nodes,
        nodes.map(() => 0n),
        await owedOf(f, nodes),
        dist,
      );
      const potRound = await f.pot.read.roundInfo([1n]);
      expect(potRound.status).to.equal(PotStatus.Settled);
      expect(potRound.distributed).to.equal(dist.distributed);
      expect(potRound.dust).to.equal(dist.dust);
      expect(potRound.distributed + potRound.dust).to.equal(pot);

      // Claims pay each node's payout address exactly its share.
      const payouts = nodes.map((n) => payoutOf(names.get(n) ?? assert.fail(`unknown ${n}`)));
      const deltas = await balanceDeltas(f.token, [...payouts, f.pot.address], () =>
        mined(f.pot.write.claimMany([nodes], { account: f.traders[0] })),
      );
      expect(deltas).to.deep.equal([
        ...nodes.map((n) => dist.payouts.get(n) ?? 0n),
        -dist.distributed,
      ]);
      expect(await f.pot.read.totalOwed()).to.equal(0n);
      expect(await f.token.read.balanceOf([f.pot.address])).to.equal(dist.dust);
    });
  }
});

// ------------------------------------------------------------------------------------------------
// Jury evaluations of a round's markets
// ------------------------------------------------------------------------------------------------

/** Jury statuses as the ABI numbers them. */
const JuryStatus = { Pending: 1, Drawn: 2, Resolved: 3, Failed: 4, Cancelled: 5 } as const;

/** An evaluation a round opened (`EvaluationOpened`) and the market it judges. */
interface Evaluated {
  round: bigint;
  family: number;
  seedIndex: bigint;
  evaluationId: bigint;
  market: bigint;
}

async function evaluationsOf(f: Fixture, round: bigint): Promise<Evaluated[]> {
  const logs = await publicClient.getContractEvents({
    address: f.rounds.address,
    abi: f.rounds.abi,
    eventName: "EvaluationOpened",
    args: { round },
    fromBlock: 0n,
    strict: true,
  });
  const { w0Market } = await f.rounds.read.roundInfo([round]);
  return Promise.all(
    logs.map(async ({ args: { family, seedIndex, evaluationId } }) => {
      let market = w0Market;
      if (seedIndex !== W0_INDEX) {
        const s = await f.rounds.read.seedInfo([round, seedIndex]);
        market = family === FAMILY.Originality ? s.originalityMarket : s.dependencyMarket;
      }
      return { round, family, seedIndex, evaluationId, market };
    }),
  );
}

/** A few random comparisons among `items` items. */
function randomRatings(rng: Rng, items: number): Rating[] {
  return Array.from({ length: Math.min(items - 1, 3) + rng.int(3) }, () => {
    const a = rng.int(items);
    const b = (a + 1 + rng.int(items - 1)) % items;
    return { a, b, choice: 1 + rng.int(2), multiplier: 100 + rng.int(900) };
  });
}

/**
 * Draws every evaluation's panel. The panels of those `complete` picks commit and reveal random
 * ballots (a score or comparisons) and the result is certified (`resolveScore`, `submitHuber`);
 * in the others at most one juror commits and nobody reveals, and they are failed after the
 * reveal window. A verdict pays the fee to the panel in equal shares, the rounding remainder
 * to the jury fund. `after` runs after each resolution or failure with what the fund received.
 */
async function runJury(
  f: Fixture,
  rng: Rng,
  evaluations: readonly Evaluated[],
  complete: (e: Evaluated) => boolean,
  after: (label: string, toFund: bigint) => Promise<void>,
) {
  const ballots: Ballot[] = [];
  const panels = new Map<bigint, readonly Address[]>();
  for (const e of evaluations) {
    const panel = await advanceAndDraw(connection, f.jury, e.evaluationId);
    panels.set(e.evaluationId, panel);
    const { params } = await f.jury.read.evaluation([e.evaluationId]);
    const committers = complete(e) ? panel : panel.slice(0, rng.int(2));
    for (const juror of committers) {
      const ballot: Ballot = {
        jury: f.jury.address,
        evaluationId: e.evaluationId,
        juror,
        salt: newSalt(),
      };
      if (params.items === 0) ballot.scoreWad = rng.range(0n, ONE);
      else ballot.pairs = randomRatings(rng, params.items);
      await mined(commitBallot(f.jury, ballot));
      if (complete(e)) ballots.push(ballot);
    }
  }
  for (const e of evaluations) await advanceToReveal(connection, f.jury, e.evaluationId);
  for (const ballot of ballots) await mined(revealBallot(f.jury, ballot));
  for (const e of evaluations) await advanceToReveal(connection, f.jury, e.evaluationId, true);
  for (const e of evaluations) {
    const id = e.evaluationId;
    const { params } = await f.jury.read.evaluation([id]);
    const panel = panels.get(id) ?? assert.fail(`no panel for ${id}`);
    const owed = await Promise.all(panel.map((j) => f.jury.read.owed([j])));
    const fund = await f.jury.read.juryFund();
    if (!complete(e)) {
      await mined(f.jury.write.failEvaluation([id]));
    } else {
      await mined(resolveEvaluation(connection, f.jury, id));
    }
    const { status } = await f.jury.read.evaluation([id]);
    expect(status, `evaluation ${id}`).to.equal(
      complete(e) ? JuryStatus.Resolved : JuryStatus.Failed,
    );
    const share = complete(e) ? params.fee / BigInt(panel.length) : 0n;
    const paid = await Promise.all(
      panel.map((j, i) => f.jury.read.owed([j]).then((o) => o - owed[i])),
    );
    expect(paid, `evaluation ${id} jurors' pay`).to.deep.equal(panel.map(() => share));
    const toFund = complete(e) ? params.fee - share * BigInt(panel.length) : 0n;
    expect((await f.jury.read.juryFund()) - fund, `evaluation ${id} fund`).to.equal(toFund);
    await after(`jury ${complete(e) ? "resolved" : "failed"} evaluation ${id}`, toFund);
  }
}

/**
 * Checks that an evaluated market's condition is resolved with the jury's result (or, after a
 * failed evaluation, the market's time-weighted prices plus one wei), then has every trader
 * redeem all its outcomes and checks each payout; `after` runs after each redemption.
 */
async function redeemResolved(f: Fixture, e: Evaluated, after: (label: string) => Promise<void>) {
  const [, , , collateral, parent, condition] = await f.maker.read.marketInfo([e.market]);
  expect(await f.vault.read.isResolved([condition]), `market ${e.market}`).to.equal(true);
  const { status } = await f.jury.read.evaluation([e.evaluationId]);
  const expected =
    status === JuryStatus.Resolved
      ? [...(await f.jury.read.resultOf([e.evaluationId]))]
      : (await f.maker.read.averagePrices([e.market])).map((p) => p + 1n);
  const slots = expected.map((_, j) => BigInt(j));
  const numerators = await Promise.all(
    slots.map((j) => f.vault.read.payoutNumerator([condition, j])),
  );
  expect(numerators, `payouts of market ${e.market}`).to.deep.equal(expected);
  const denominator = await f.vault.read.payoutDenominator([condition]);
  expect(denominator).to.equal(sum(expected));
  const positions = await Promise.all(
    slots.map((j) => f.vault.read.getPositionId([collateral, parent, condition, j])),
  );
  for (const t of f.traders) {
    const held = await f.vault.read.balanceOfBatch([positions.map(() => t), positions]);
    const payout = sum(held.map((h, j) => h * expected[j])) / denominator;
    const parentBalance = () =>
      parent === 0n ? f.token.read.balanceOf([t]) : f.vault.read.balanceOf([t, parent]);
    const before = await parentBalance();
    await mined(
      f.vault.write.redeemPositions([collateral, parent, condition, slots], { account: t }),
    );
    expect((await parentBalance()) - before, `redeemed by ${t}`).to.equal(payout);
    const left = await f.vault.read.balanceOfBatch([positions.map(() => t), positions]);
    expect(sum(left)).to.equal(0n);
    await after(`redeem market ${e.market}`);
  }
}

// ------------------------------------------------------------------------------------------------
// Invariants after every step of a randomized multi-round run
// ------------------------------------------------------------------------------------------------

describe("DeepFundingRounds flow: accounting invariants", () => {
  it("hold after every keeper step, trade, request, proposal, claim, jury verdict or failure, market resolution, redemption and orphan settlement of three random rounds", async () => {
    const rng = new Rng(0xdf3n);
    const BIG = "inv-big";
    const GONE = "inv-gone";
    const bigKids = Array.from({ length: 128 }, (_, i) => `inv-${i}`);
    const spec: GraphSpec = {
      [BIG]: bigKids,
      "inv-a": ["inv-0", "inv-x", "inv-y"],
      "inv-b": ["inv-a"],
      "inv-c": [],
      // Removed during round 1, with a proposal made during round 1 still pending: an orphan.
      [GONE]: ["inv-1", "inv-a"],
    };
    // A base rate below 1/129: a new edge under the full seed starts below its other children.
    const f = await deployRounds(connection, {
      config: { baseRateWad: parseEther("0.002") },
      graph: spec,
    });
    const bond = await f.graph.read.edgeBond();
    const nodes = new Set<Hex>(
      Object.entries(spec).flatMap(([s, kids]) => [s, ...kids].map((n) => id(n))),
    );
    const juryFund0 = await f.jury.read.juryFund();
    const slashed0 = await f.graph.read.bondsSlashed();
    let budgetIn = await f.rounds.read.budget();
    let lastSlashed = slashed0;
    let checks = 0;
    let requests = 0;
    let withdrawn = 0n;
    const juryRng = new Rng(0x7a5n);
    /** Fees of failed evaluations the jury owes the round contract, not yet reclaimed. */
    let refundsDue = 0n;
    /** Rounding remainders of jury fees, paid into the jury fund besides the slashed bonds. */
    let juryDust = 0n;
    let reclaims = 0;
    let marketsResolved = 0;
    const juryOutcomes = { resolved: 0, failed: 0 };

    const check = async (label: string) => {
      checks++;
      const { token, rounds, pot, graph, jury } = f;
      const [roundsBalance, budget, held] = await Promise.all([
        token.read.balanceOf([rounds.address]),
        rounds.read.budget(),
        rounds.read.heldFees(),
      ]);
      expect(roundsBalance, `${label}: rounds balance`).to.equal(budget + held);
      // Without direct transfers the pot's and the graph's balances equal what they account.
      const potBalance = await token.read.balanceOf([pot.address]);
      const accounted = await pot.read.totalAccounted();
      expect(potBalance >= accounted, `${label}: pot covers`).to.equal(true);
      expect(potBalance, `${label}: pot balance`).to.equal(accounted);
      const graphBalance = await token.read.balanceOf([graph.address]);
      const bondsHeld = await graph.read.bondsHeld();
      expect(graphBalance >= bondsHeld, `${label}: graph covers`).to.equal(true);
      expect(graphBalance, `${label}: graph balance`).to.equal(bondsHeld);
      const slashed = await graph.read.bondsSlashed();
      expect((await jury.read.juryFund()) - juryFund0, `${label}: jury fund`).to.equal(
        slashed - slashed0 + juryDust,
      );
      expect((slashed - lastSlashed) % bond, `${label}: whole bonds`).to.equal(0n);
      lastSlashed = slashed;
      let spent = 0n;
      const current = await rounds.read.currentRound();
      for (let r = 1n; r <= current; r++) {
        const pr = await pot.read.roundInfo([r]);
        expect(pr.distributed <= pr.pot, `${label}: round ${r} distributed`).to.equal(true);
        if (pr.status === PotStatus.Settled) {
          expect(pr.distributed + pr.dust, `${label}: round ${r} dust`).to.equal(pr.pot);
        }
        spent += (await rounds.read.roundInfo([r])).spent;
      }
      expect(budget + spent, `${label}: budget spent`).to.equal(budgetIn);
    };

    /** keeperStep until it must wait (mining the random block when asked to). */
    const keeper = async (openNext: boolean): Promise<string> => {
      for (;;) {
        const step = await keeperStep(connection, f.rounds, f.pot, {
          batch: 1 + rng.int(3),
          openNext,
        });
        if ("wait" in step) {
          if ((await readRound(f.rounds))?.phase !== "Selecting") return step.wait;
          await mine();
          await check("random block mined");
          continue;
        }
        if (step.action === "resolveMarket") marketsResolved++;
        if (step.action === "reclaimJuryRefunds") {
          // The refunds join the budget: what the budget received from outside.
          budgetIn += refundsDue;
          refundsDue = 0n;
          reclaims++;
          expect(await f.jury.read.owed([f.rounds.address])).to.equal(0n);
        }
        await check(`round ${step.round} ${step.action} ${step.detail}`);
      }
    };

    /**
     * The jury completes about two thirds of a round's evaluations and lets the others fail;
     * returns them, for `resolved` once the keeper has reported them.
     */
    const judge = async (round: bigint): Promise<Evaluated[]> => {
      const evaluations = await evaluationsOf(f, round);
      expect(evaluations.length, `round ${round} evaluations`).to.be.greaterThan(0);
      const completed = new Set(
        evaluations.filter(() => juryRng.int(3) !== 0).map((e) => e.evaluationId),
      );
      await runJury(
        f,
        juryRng,
        evaluations,
        (e) => completed.has(e.evaluationId),
        async (label, toFund) => {
          juryDust += toFund;
          await check(label);
        },
      );
      for (const e of evaluations) {
        if (completed.has(e.evaluationId)) {
          juryOutcomes.resolved++;
        } else {
          juryOutcomes.failed++;
          refundsDue += (await f.jury.read.evaluation([e.evaluationId])).params.fee;
        }
      }
      expect(await f.jury.read.owed([f.rounds.address])).to.equal(refundsDue);
      return evaluations;
    };
    /** Every market judged in `evaluations` is resolved; the traders redeem their positions. */
    const resolved = async (evaluations: readonly Evaluated[]) => {
      expect(refundsDue, "refunds reclaimed").to.equal(0n);
      for (const e of evaluations) await redeemResolved(f, e, check);
    };
    let pending: Evaluated[] = [];

    /** Registers a new node and has a random trader propose it under `parent`. */
    const propose = async (parent: string, name: string) => {
      await mined(f.graph.write.registerNode([id(name), payoutOf(name), name]));
      nodes.add(id(name));
      await mined(
        f.graph.write.proposeEdge([id(parent), id(name)], { account: f.traders[rng.int(4)] }),
      );
      await check(`propose ${name}`);
    };

    const seedNames = Object.keys(spec);
    expect(seedNames.indexOf(GONE)).to.equal(4);
    /** Settles a removed seed's children as an orphan; returns the proposals it settled. */
    const settleOrphan = async (parent: string) => {
      const [kids] = await f.graph.read.children([id(parent)]);
      const before = await Promise.all(kids.map((c) => f.graph.read.edge([id(parent), c])));
      await mined(f.rounds.write.settleOrphan([id(parent)]));
      await check(`settleOrphan ${parent}`);
      const after = await Promise.all(kids.map((c) => f.graph.read.edge([id(parent), c])));
      // Equal weights: the first MAX_FUNDED_CHILDREN in list order are kept.
      kids.forEach((c, j) => {
        expect(after[j].status, `orphan child ${j}`).to.equal(
          j < MAX_FUNDED_CHILDREN ? EdgeStatus.Funded : EdgeStatus.Dropped,
        );
        expect(after[j].bond).to.equal(0n);
      });
      const [left] = await f.graph.read.children([id(parent)]);
      expect(left).to.deep.equal(kids.slice(0, MAX_FUNDED_CHILDREN));
      return before.map((e, j) => ({ child: kids[j], proposed: e.status === EdgeStatus.Proposed }));
    };
    for (let round = 1n; round <= 3n; round++) {
      // Between rounds: the budget topped up, proposals and a registrar edge before the opening.
      if (round > 1n) {
        const amount = rng.range(1n, 50n * ONE);
        await mined(f.rounds.write.fundBudget([amount]));
        budgetIn += amount;
        await check("fundBudget");
      }
      await propose(BIG, `inv-early-${round}`);
      await propose(seedNames[1 + rng.int(3)], `inv-other-${round}`);
      if (rng.int(2) === 0) {
        const name = `inv-added-${round}`;
        await mined(f.graph.write.registerNode([id(name), payoutOf(name), name]));
        await mined(f.graph.write.addEdge([id(seedNames[1 + rng.int(3)]), id(name)]));
        nodes.add(id(name));
        await check(`addEdge ${name}`);
      }

      // The keeper reports the markets judged last round while this one trades.
      const resolvedBefore = marketsResolved;
      expect(await keeper(true)).to.match(/trading until/);
      expect(marketsResolved - resolvedBefore).to.equal(pending.length);
      await resolved(pending);
      pending = [];
      const state = await readRound(f.rounds);
      assert.ok(state !== undefined && state.round === round);
      await splitSets(f, round, parseEther("200"), () => check("split"));
      const markets = await marketsOf(f, state);
      for (let t = 0; t < 16; t++) {
        const action = rng.int(10);
        if (action < 6) {
          await randomTrade(f, rng, markets[rng.int(markets.length)]);
        } else if (action < 8) {
          if (await randomRequest(f, rng, state)) requests++;
        } else if (action === 8) {
          await mined(f.pot.write.fund([round, rng.range(1n, 100n * ONE)]));
        } else {
          await time.increase(1 + rng.int(6 * 3600));
        }
        await check(`round ${round} action ${t}`);
        if (t === 8) await propose(BIG, `inv-late-${round}`);
        if (t === 9 && round === 1n) await propose(GONE, "inv-gone-late");
        if (t === 10 && round === 1n) {
          // GONE removed mid-round: round 1 still settles its round children, so settleOrphan
          // refuses until then.
          await mined(f.graph.write.removeSeed([id(GONE)]));
          await check("removeSeed");
          await viem.assertions.revertWithCustomErrorWithArgs(
            f.rounds.write.settleOrphan([id(GONE)]),
            f.rounds,
            "InOpenRound",
            [round, id(GONE)],
          );
        }
      }
      await mined(f.pot.write.fund([round, rng.range(ONE, 1000n * ONE)]));
      await check("fund");
      await time.increaseTo(state.closeTime);
      expect(await keeper(false)).to.match(/settled/);

      if (round === 1n) {
        // Round 1 settled GONE's round children; its mid-round proposal waits, and GONE is no
        // longer a seed: an orphan.
        for (const child of ["inv-1", "inv-a"]) {
          const e = await f.graph.read.edge([id(GONE), id(child)]);
          expect(e.status, child).to.equal(EdgeStatus.Funded);
        }
        const late = await f.graph.read.edge([id(GONE), id("inv-gone-late")]);
        expect([late.status, late.bond]).to.deep.equal([EdgeStatus.Proposed, bond]);
        await viem.assertions.revertWithCustomErrorWithArgs(
          f.rounds.write.settleOrphan([id("inv-a")]),
          f.rounds,
          "StillASeed",
          [id("inv-a")],
        );
        const owed = await f.graph.read.owed([late.proposer]);
        const settled = await settleOrphan(GONE);
        expect(settled.filter((e) => e.proposed).map((e) => e.child)).to.deep.equal([
          id("inv-gone-late"),
        ]);
        expect((await f.graph.read.owed([late.proposer])) - owed).to.equal(bond);
      }

      // Claims of a random half of the nodes and every returned bond.
      const claimed = [...nodes].filter(() => rng.int(2) === 0);
      await mined(f.pot.write.claimMany([claimed]));
      await check("claimMany");
      for (const t of f.traders) {
        const owed = await f.graph.read.owed([t]);
        if (owed === 0n) continue;
        await mined(f.graph.write.withdrawBond([t], { account: t }));
        withdrawn += owed;
        await check("withdrawBond");
      }

      // The jury judges the round's markets. Round 2's are reported while round 3 trades, the
      // others at once by the keeper of a settled round.
      const judged = await judge(round);
      if (round === 2n) {
        pending = judged;
      } else {
        const resolvedBefore = marketsResolved;
        expect(await keeper(false)).to.match(/settled/);
        expect(marketsResolved - resolvedBefore).to.equal(judged.length);
        await resolved(judged);
      }
    }
    // BIG removed after the last round: its proposal made during round 3 is its 129th child, so
    // the orphan settlement drops it and slashes its bond into the jury fund.
    await mined(f.graph.write.removeSeed([id(BIG)]));
    await check("removeSeed");
    expect(await f.graph.read.childCount([id(BIG)])).to.equal(129n);
    const slashedBefore = await f.graph.read.bondsSlashed();
    const juryBefore = await f.jury.read.juryFund();
    const settled = await settleOrphan(BIG);
    expect(settled[MAX_FUNDED_CHILDREN]).to.deep.equal({ child: id("inv-late-3"), proposed: true });
    expect((await f.graph.read.bondsSlashed()) - slashedBefore).to.equal(bond);
    expect((await f.jury.read.juryFund()) - juryBefore).to.equal(bond);
    // A node without children is no orphan.
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.rounds.write.settleOrphan([id("inv-0")]),
      f.rounds,
      "NoChildren",
      [id("inv-0")],
    );

    // The run went through every path the invariants watch.
    expect(lastSlashed - slashed0 > 0n, "some bond slashed").to.equal(true);
    expect(withdrawn > 0n, "some bond returned").to.equal(true);
    expect(requests > 0, "some evaluation requested").to.equal(true);
    expect(juryOutcomes.resolved > 0 && juryOutcomes.failed > 0, "jury outcomes").to.equal(true);
    expect(marketsResolved).to.equal(juryOutcomes.resolved + juryOutcomes.failed);
    expect(reclaims > 0, "refunds reclaimed").to.equal(true);
    expect(checks).to.be.greaterThan(100);
  });
});

// ------------------------------------------------------------------------------------------------
// Round limits and late batches
// ------------------------------------------------------------------------------------------------

/** EIP-7825's per-transaction gas cap (Osaka, Hardhat's default hardfork). */
const TX_GAS_CAP = 2n ** 24n;
/** The round contract's MAX_SEEDS. */
const MAX_SEEDS = 128;

/** MAX_SEEDS seeds, two of them with children (one shared), the others childless. */
function maxSeedsGraph(): GraphSpec {
  const spec: Record<string, string[]> = {};
  for (let i = 0; i < MAX_SEEDS; i++) spec[`many-${i}`] = [];
  spec["many-0"] = ["many-kid-0", "many-kid-1"];
  spec["many-1"] = ["many-kid-0"];
  return spec;
}

async function maxSeedsFixture() {
  return deployRounds(connection, { graph: maxSeedsGraph() });
}

/**
 * A round of MAX_SEEDS seeds opened, traded a little, funded, closed and taken to Settling by the
 * keeper (large batches), every step's gas checked against the cap on the way.
 */
async function maxSeedsRoundFixture() {
  const f = await loadFixture(maxSeedsFixture);
  expect(await f.rounds.read.MAX_SEEDS()).to.equal(BigInt(MAX_SEEDS));
  expect(await f.graph.read.seeds()).to.have.length(MAX_SEEDS);
  const opening = await runKeeper(connection, f.rounds, f.pot, { batch: 32, openNext: true });
  // openRound is one transaction over all seeds; openBatch about 380k gas a seed.
  expect(opening.steps.map((s) => s.action)).to.deep.equal([
    "open",
    "openBatch",
    "openBatch",
    "openBatch",
    "openBatch",
  ]);
  const state = await readRound(f.rounds);
  assert.ok(state !== undefined);

  // A few trades: seed 0 and the last seed up in W_0, a child of seed 0 up.
  const info = await f.rounds.read.roundInfo([1n]);
  const [a] = f.traders;
  await splitSet(f, info.cCondition, parseEther("50"), a);
  await buy(f, state.w0Market, 0, parseEther("30"), a);
  await buy(f, state.w0Market, MAX_SEEDS - 1, parseEther("20"), a);
  await buy(f, state.seeds[0].dependencyMarket, 1, parseEther("10"), a);
  await time.increase(3600);
  await mined(f.pot.write.fund([1n, POT_1]));
  await closeRound(f, 32);
  const reading = await readAtClose(f, 1n);

  // Selection and evaluations, up to the settlement.
  const steps = [...opening.steps];
  for (;;) {
    if ((await readRound(f.rounds))?.phase === "Settling") break;
    const step = await keeperStep(connection, f.rounds, f.pot, { batch: 64, openNext: false });
    if ("wait" in step) await mine();
    else steps.push(step);
  }
  return { f, reading, steps };
}

/** SMALL_GRAPH's round 1 with only seed 0's batch run, its pot funded, past its close time. */
async function lateBatchFixture() {
  const f = await deployRounds(connection, {});
  await mined(f.rounds.write.openRound());
  await mined(f.rounds.write.openBatch([1n]));
  await mined(f.pot.write.fund([1n, POT_2]));
  await time.increaseTo((await f.rounds.read.roundInfo([1n])).closeTime);
  return f;
}

describe("DeepFundingRounds flow: round limits and late batches", () => {
  it("openRound: MAX_SEEDS (128) seeds open within the per-transaction gas cap, as does every step up to the settlement", async () => {
    const { f, steps } = await loadFixture(maxSeedsRoundFixture);
    const [open] = steps;
    expect(open.action).to.equal("open");
    assert.ok(open.gasUsed < TX_GAS_CAP, `openRound: ${open.gasUsed} gas`);
    for (const step of steps) {
      assert.ok(step.gasUsed < TX_GAS_CAP, `${step.action} ${step.detail}: ${step.gasUsed} gas`);
    }
    expect(steps.map((s) => s.action)).to.include.members(["select", "evaluate"]);
    const state = await readRound(f.rounds);
    assert.ok(state !== undefined);
    expect([state.phase, state.seedCount]).to.deep.equal(["Settling", MAX_SEEDS]);
    expect(state.seeds[0].dependencyMarket).to.not.equal(0n);
    expect(state.seeds[MAX_SEEDS - 1].originalityMarket).to.not.equal(0n);
  });

  // `beginSettlement` is not batched: it reads W_0's time-weighted prices and each seed's
  // originality, and the pot records every seed (the final prices are stored later, seed by
  // seed, in `settleSeed`). With MAX_SEEDS seeds every step must stay under 2^24 gas, EIP-7825's
  // per-transaction cap, or the round could never settle.
  it("beginSettlement: a round of MAX_SEEDS (128) seeds settles within the per-transaction gas cap, as distribute()", async () => {
    const { f, reading } = await loadFixture(maxSeedsRoundFixture);
    const settling = await runKeeper(connection, f.rounds, f.pot, { batch: 64, openNext: false });
    expect(settling.waiting).to.match(/settled/);
    expect(settling.steps.filter((s) => s.action === "settleSeed")).to.have.length(MAX_SEEDS);
    for (const step of settling.steps) {
      assert.ok(step.gasUsed < TX_GAS_CAP, `${step.action} ${step.detail}: ${step.gasUsed} gas`);
    }
    const dist = distribute(POT_1, reading.inputs);
    const nodes = nodesOf(reading.inputs);
    expect(nodes).to.have.length(MAX_SEEDS + 2);
    expectCredits(
      nodes,
      nodes.map(() => 0n),
      await owedOf(f, nodes),
      dist,
    );
    const potRound = await f.pot.read.roundInfo([1n]);
    expect(potRound.status).to.equal(PotStatus.Settled);
    expect(potRound.distributed + potRound.dust).to.equal(POT_1);
  });

  it("openRound: reverts with SeedCount(129) above MAX_SEEDS", async () => {
    const f = await loadFixture(maxSeedsFixture);
    await registerGraph(f.deployed, { [`many-${MAX_SEEDS}`]: [] });
    expect(await f.graph.read.seeds()).to.have.length(MAX_SEEDS + 1);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.rounds.write.openRound(),
      f.rounds,
      "SeedCount",
      [BigInt(MAX_SEEDS + 1)],
    );
    expect(await f.rounds.read.currentRound()).to.equal(0n);
  });

  it("close: reverts with WrongPhase while batches remain; late batches fix the children, paid at their starting prices", async () => {
    const f = await loadFixture(lateBatchFixture);
    const base = (await f.rounds.read.config()).baseRateWad;
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.rounds.write.close(),
      f.rounds,
      "WrongPhase",
      [
        1n,
        1, // Opening
      ],
    );
    // After the close time a batch fixes s1's and s2's children without creating markets.
    await mined(f.rounds.write.openBatch([10n]));
    for (const [i, kids] of [
      [1n, ["b", "d"]],
      [2n, ["e"]],
    ] as const) {
      const s = await f.rounds.read.seedInfo([1n, i]);
      expect([s.opened, s.originalityMarket, s.dependencyMarket, s.childCount]).to.deep.equal([
        true,
        0n,
        0n,
        kids.length,
      ]);
      // Their weights are their starting prices: never priced, so b and d get one half each.
      expect(await f.rounds.read.childWeights([1n, i])).to.deep.equal(
        startPricesOf(
          kids.map(() => 0n),
          base,
        ),
      );
    }
    expect((await readRound(f.rounds))?.phase).to.equal("Trading");
    await closeRound(f, 3);
    const reading = await readAtClose(f, 1n);
    await settleRound(f, 3);

    const nodes = [...new Set(Object.entries(SMALL_GRAPH).flat(2))].map((n) => id(n));
    const dist = distribute(POT_2, reading.inputs);
    expectCredits(
      nodes,
      nodes.map(() => 0n),
      await owedOf(f, nodes),
      dist,
    );
    // s1's and s2's children are not cut out: d and e (children of s1 and s2 only) are credited.
    for (const child of ["b", "d", "e"]) {
      expect((await f.pot.read.owed([id(child)])) > 0n, child).to.equal(true);
    }
    expect((await f.pot.read.roundInfo([1n])).distributed).to.equal(dist.distributed);
  });

  // `close` needs every batch to have run; after the close time a batch only fixes children.
  // The keeper must finish the batches rather than try to close.
  it("keeperStep: a round still Opening past its close time is finished by batches, then closed", async () => {
    const f = await loadFixture(lateBatchFixture);
    const run = await runKeeper(connection, f.rounds, f.pot, { batch: 10, openNext: false });
    expect(run.steps.map((s) => s.action)).to.deep.equal(["openBatch", "close"]);
    expect(run.waiting).to.match(/random block/);
  });

  // Each evaluation costs juryFee from the budget. With too little, createEvaluations reverts;
  // the keeper waits for the budget instead of sending it.
  it("runKeeper: waits while the budget cannot pay the next batch's jury fees, then settles after fundBudget", async () => {
    const { marketSubsidy, juryFee } = testConfig();
    // The subsidies and three jury fees: W_0's and seed 0's evaluations, not seed 1's.
    const f = await deployRounds(connection, { budget: 3n * marketSubsidy + 3n * juryFee });
    await openRound(f, 3);
    await mined(f.pot.write.fund([1n, POT_2]));
    await closeRound(f, 3);
    await mine();
    const run = await runKeeper(connection, f.rounds, f.pot, { batch: 1, openNext: false });
    expect(run.waiting).to.match(/jury fees/);
    expect(run.steps.map((s) => s.action)).to.deep.equal([
      "select",
      "select",
      "select",
      "evaluate",
    ]);
    const state = await readRound(f.rounds);
    assert.ok(state !== undefined);
    // Both dependency markets and two of the three originality markets are sampled.
    expect([state.phase, state.cursor]).to.deep.equal(["Evaluating", 1]);
    const evaluations = 1n + (state.originalityEvaluated & 1n) + 1n;
    expect(state.evaluations).to.equal(evaluations);
    expect(await f.rounds.read.budget()).to.equal((3n - evaluations) * juryFee);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.rounds.write.createEvaluations([1n]),
      f.rounds,
      "InsufficientBudget",
      [0n, juryFee],
    );
    // Still waiting, nothing sent.
    const again = await runKeeper(connection, f.rounds, f.pot, { batch: 1, openNext: false });
    expect([again.steps, again.waiting]).to.deep.equal([[], run.waiting]);

    await mined(f.rounds.write.fundBudget([10n * juryFee]));
    const rest = await runKeeper(connection, f.rounds, f.pot, { batch: 1, openNext: false });
    expect(rest.waiting).to.match(/settled/);
    expect(rest.steps.filter((s) => s.action === "evaluate")).to.have.length(2);
    const settled = await readRound(f.rounds);
    expect(settled?.phase).to.equal("Settled");
    expect(settled?.evaluations).to.equal(5n);
    expect(await f.rounds.read.budget()).to.equal(8n * juryFee);
    expect((await f.pot.read.roundInfo([1n])).status).to.equal(PotStatus.Settled);
  });
});

// ------------------------------------------------------------------------------------------------
// The worst case of one seed: 256 children, 128 of them proposals
// ------------------------------------------------------------------------------------------------

const WIDE = "wide";
/** The registrar's 128 edges, the first half of WIDE's children. */
const WIDE_KIDS = Array.from({ length: 128 }, (_, i) => `wide-${i}`);
/** 128 proposals, each by its own proposer, the second half (positions 128..255). */
const WIDE_PROPOSED = Array.from({ length: 128 }, (_, i) => `wide-p-${i}`);
/** Registrar edges bought (kept, moved down): wide-120..127; the first 120 are dropped. */
const WIDE_KEPT_FROM = 120;
/** Proposals left unbought (slashed): wide-p-0..7; wide-p-8..127 are bought and returned. */
const WIDE_SLASHED = 8;

/** A proposer address per proposal, funded with gas and one bond, the graph approved. */
async function fundedProposer(f: Fixture, i: number, bond: bigint): Promise<Address> {
  const who = getAddress(`0x${id(`wide-proposer:${i}`).slice(26)}`);
  await networkHelpers.impersonateAccount(who);
  await networkHelpers.setBalance(who, ONE);
  await f.token.write.mint([who, bond]);
  await f.token.write.approve([f.graph.address, bond], { account: who });
  return who;
}

describe("DeepFundingRounds flow: a seed with 256 children, 128 of them proposals", () => {
  // The reviewer's scenario: every step of the round, in particular the settlement of a seed
  // whose compaction moves every survivor and settles 128 bonds on both sides of the cut, must
  // fit EIP-7825's per-transaction gas cap.
  it("every transaction of the round fits the per-transaction gas cap; the pot pays as distribute(), bonds as ranked", async () => {
    const f = await deployRounds(connection, { graph: { [WIDE]: WIDE_KIDS, "wide-other": [] } });
    const bond = await f.graph.read.edgeBond();
    const proposers: Address[] = [];
    for (const [i, name] of WIDE_PROPOSED.entries()) {
      const who = await fundedProposer(f, i, bond);
      await f.graph.write.registerNode([id(name), payoutOf(name), name]);
      await f.graph.write.proposeEdge([id(WIDE), id(name)], { account: who });
      proposers.push(who);
    }
    expect(await f.graph.read.childCount([id(WIDE)])).to.equal(256n);
    expect(await f.graph.read.bondsHeld()).to.equal(128n * bond);

    const steps: KeeperStep[] = [];
    const keep = async (openNext: boolean) => {
      const run = await runKeeper(connection, f.rounds, f.pot, { batch: 1, openNext });
      steps.push(...run.steps);
      return run.waiting;
    };
    expect(await keep(true)).to.match(/trading until/);
    const state = await readRound(f.rounds);
    assert.ok(state !== undefined);
    const [wide] = state.seeds;
    expect([wide.node, wide.childCount]).to.deep.equal([id(WIDE), 256]);
    expect((await f.maker.read.marketInfo([wide.dependencyMarket]))[0]).to.equal(256n);

    // One unit of each of the later 128 children bought at the start of trading: they rank
    // above the other 128 (equal among themselves, ties to the lower index) at every instant.
    const [a] = f.traders;
    const info = await f.rounds.read.roundInfo([1n]);
    await splitSet(f, info.cCondition, parseEther("10"), a);
    for (let j = WIDE_KEPT_FROM; j < 256; j++) {
      if (j >= 128 && j < 128 + WIDE_SLASHED) continue;
      await buy(f, wide.dependencyMarket, j, ONE, a);
    }
    await mined(f.pot.write.fund([1n, POT_1]));
    await time.increaseTo(state.closeTime);
    expect(await keep(false)).to.match(/random block/);
    const reading = await readAtClose(f, 1n);
    const ranking = rankChildren(reading.inputs[0].children.map((c) => c.weight));
    const kept = [...WIDE_KIDS.slice(WIDE_KEPT_FROM), ...WIDE_PROPOSED.slice(WIDE_SLASHED)].map(id);
    expect(
      new Set(
        ranking.slice(0, MAX_FUNDED_CHILDREN).map((j) => reading.inputs[0].children[j].child),
      ),
    ).to.deep.equal(new Set(kept));
    const juryFundBefore = await f.jury.read.juryFund();
    await mine();
    expect(await keep(false)).to.match(/settled/);

    // Every step of the round under the cap, each kind of transaction among them.
    expect(new Set(steps.map((s) => s.action))).to.deep.equal(
      new Set([
        "open",
        "openBatch",
        "close",
        "select",
        "evaluate",
        "beginSettlement",
        "settleSeed",
        "settleSeedEdges",
      ]),
    );
    const largest = new Map<string, bigint>();
    for (const s of steps) {
      if ((largest.get(s.action) ?? 0n) < s.gasUsed) largest.set(s.action, s.gasUsed);
    }
    const report = [...largest].map(([action, gas]) => `${action} ${gas}`).join(", ");
    for (const s of steps) {
      assert.ok(
        s.gasUsed < TX_GAS_CAP,
        `${s.action} ${s.detail}: ${s.gasUsed} gas (largest: ${report})`,
      );
    }

    // The pot: distribute()'s credits; the dropped children get nothing.
    const dist = distribute(POT_1, reading.inputs);
    expect(dist.dropped).to.have.length(128);
    const nodes = nodesOf(reading.inputs);
    expectCredits(
      nodes,
      nodes.map(() => 0n),
      await owedOf(f, nodes),
      dist,
    );
    const potRound = await f.pot.read.roundInfo([1n]);
    expect(potRound.distributed + potRound.dust).to.equal(POT_1);

    // Bonds: the 8 proposals below the cut slashed into the jury fund, the 120 above returned.
    for (const [i, name] of WIDE_PROPOSED.entries()) {
      const e = await f.graph.read.edge([id(WIDE), id(name)]);
      const returned = i >= WIDE_SLASHED;
      expect([e.status, e.bond], name).to.deep.equal([
        returned ? EdgeStatus.Funded : EdgeStatus.Dropped,
        0n,
      ]);
      expect(await f.graph.read.owed([proposers[i]]), name).to.equal(returned ? bond : 0n);
    }
    for (const [i, name] of WIDE_KIDS.entries()) {
      const e = await f.graph.read.edge([id(WIDE), id(name)]);
      expect(e.status, name).to.equal(i >= WIDE_KEPT_FROM ? EdgeStatus.Funded : EdgeStatus.Dropped);
    }
    const slashed = BigInt(WIDE_SLASHED) * bond;
    expect(await f.graph.read.bondsSlashed()).to.equal(slashed);
    expect((await f.jury.read.juryFund()) - juryFundBefore).to.equal(slashed);
    expect(await f.graph.read.bondsHeld()).to.equal(128n * bond - slashed);
    // The survivors moved down in their order.
    const [left] = await f.graph.read.children([id(WIDE)]);
    expect(left).to.deep.equal(kept);
  });
});
