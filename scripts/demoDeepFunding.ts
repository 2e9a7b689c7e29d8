/**
 * The Deep Funding section of the demo: one full round of the market mechanism on its own
 * in-process chain, then the opening of the next.
 *
 *  1. A graph of 10 seeds and their children from the Deep Funding data set; one seed,
 *     nomicfoundation/hardhat, lists 128 dependencies (its own from the data, then others).
 *  2. Quadratic funding: a gap whose beneficiary is the funding pot; contributors and a
 *     matching pool fund it; the claim lands in the pot, which absorbs it into round 1's pot.
 *  3. Bonds: an outsider proposes a weak 129th dependency of hardhat; another proposes a
 *     plausible edge elsewhere.
 *  4. The keeper opens round 1 (markets in batches). Three traders with different beliefs trade
 *     the seed-weight market, originality markets (in S_j units) and dependency markets (in C_i
 *     units); one pays for an evaluation.
 *  5. The keeper closes the round and selects evaluations; jurors commit and reveal; the Huber
 *     fits are certified on-chain and the scores resolved; results go to the vault.
 *  6. The keeper settles: the pot is shared by the time-weighted prices, the weak edge is
 *     dropped and its bond slashed, the other bond returned. Every node claims; the off-chain
 *     checker (`distribute` in src/graph.ts) agrees to the wei.
 *  7. The keeper opens round 2, whose starting prices are round 1's final prices.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { maxUint256, parseEther, type Address, type Hex } from "viem";

import { DEFAULT_TARGET } from "../ignition/modules/DeepFunding.js";
import DeepFundingRoundsModule, {
  DEFAULT_ROUND_CONFIG,
} from "../ignition/modules/DeepFundingRounds.js";
import QuadraticFundingModule from "../ignition/modules/QuadraticFunding.js";
import {
  DATA_FILES,
  DEFAULT_DATA_DIR,
  demoGraph,
  distribute,
  nodeId,
  readDependencyWeights,
  readSeedList,
  shortName,
  type SeedInput,
} from "../src/graph.js";
import {
  advanceAndDraw,
  advanceToReveal,
  commitBallot,
  resolveEvaluation,
  newSalt,
  revealBallot,
  type Ballot,
  type Rating,
} from "../src/juryChain.js";
import { finalizeEndedRounds, fundWallet, labelAddress, type Connection } from "../src/qfChain.js";
import {
  FAMILY,
  W0_INDEX,
  openedEvaluations,
  readRound,
  roundChildren,
  runKeeper,
  type KeeperStep,
} from "../src/rounds.js";
import { prng } from "./prng.js";
import { formatTokens, printTable } from "../tasks/common.js";
import { claimNodes } from "../tasks/deepfunding.js";
import { requestEvaluation } from "../tasks/dfRounds.js";

export interface DeepFundingReport {
  pot: string;
  distributed: string;
  dust: string;
  nodesPaid: number;
  marketsTraded: number;
  marketsEvaluated: number;
  bondsSlashed: number;
  payouts: { node: string; amount: string }[];
  fromQuadraticFunding: string;
  trades: number;
  evaluations: number;
  bondsReturned: number;
  agreesOffchain: boolean;
  nextRoundOpened: boolean;
}

const HOUR = 3_600;
const PERIOD = 6 * HOUR;
const FILLED_SEED = "https://github.com/nomicfoundation/hardhat";
const WEAK_CHILD = "https://github.com/outsider/left-pad-again";
const PLAUSIBLE_CHILD = "https://github.com/ethereum/go-ethereum";
const FUNDED_CHILDREN = 128;

/** A weight as a percentage: two decimals, or three significant digits below 0.01%. */
const pct = (wad: bigint) => {
  const p = Number(wad) / 1e16;
  return `${p !== 0 && p < 0.01 ? p.toPrecision(3) : p.toFixed(2)}%`;
};

/** The demo graph: `demoGraph()`, with hardhat's children filled up to 128 from the data. */
function buildGraph(): SeedInput[] {
  const seeds = demoGraph().seeds.map((s) => ({ ...s, children: [...s.children] }));
  const filled = seeds.find((s) => s.node.toLowerCase() === FILLED_SEED)!;
  const taken = new Set<string>(seeds.map((s) => s.node.toLowerCase()));
  for (const s of seeds) for (const c of s.children) taken.add(c.child.toLowerCase());
  const data = readDependencyWeights(`${DEFAULT_DATA_DIR}/${DATA_FILES.weights}`);
  const own = [...(data.parents.get(FILLED_SEED) ?? [])].sort((x, y) => y.weight - x.weight);
  // Then the other parents' dependencies and the seed list (a seed may be a child elsewhere).
  const borrowed = [
    ...[...data.parents.entries()].filter(([p]) => p !== FILLED_SEED).flatMap(([, edges]) => edges),
    ...readSeedList(`${DEFAULT_DATA_DIR}/${DATA_FILES.seeds}`).map((child) => ({ child })),
  ].map((e) => ({ child: e.child, weight: 0 }));
  for (const e of [...own, ...borrowed]) {
    if (filled.children.length >= FUNDED_CHILDREN) break;
    const key = e.child.toLowerCase();
    if (taken.has(key)) continue;
    taken.add(key);
    // Hardhat's own dependencies keep their data weight; borrowed ones are light.
    const weight = e.weight > 0 ? BigInt(Math.round(e.weight * 1e18)) : 10n ** 14n;
    filled.children.push({ child: e.child, weight });
  }
  return seeds;
}

export async function deepFundingSection(
  hre: HardhatRuntimeEnvironment,
): Promise<DeepFundingReport> {
  console.log("\n== Deep Funding: a round of the market mechanism, end to end ==");
  const conn = await hre.network.create();
  const wallets = await conn.viem.getWalletClients();
  const [admin, sponsor, dataTrader, contrarian, noiseTrader, outsider, proposer] = wallets;
  const jurors = wallets.slice(7, 12).map((w) => w.account.address);
  const traders = [dataTrader, contrarian, noiseTrader].map((w) => w.account.address);
  const publicClient = await conn.viem.getPublicClient();

  const config = {
    ...DEFAULT_ROUND_CONFIG,
    period: PERIOD,
    volatilityWad: parseEther("0.15"),
    commitDuration: HOUR,
    revealDuration: HOUR,
  };
  const { rounds, graph, pot, token, jury, vault, maker } = await conn.ignition.deploy(
    DeepFundingRoundsModule,
    { displayUi: false, parameters: { DeepFundingRounds: { config } } },
  );
  console.log(
    `rounds ${rounds.address}, graph ${graph.address}, pot ${pot.address}; ` +
      `trading ${PERIOD / HOUR} h, subsidy ${formatTokens(config.marketSubsidy)} per family, ` +
      `random sample ${config.sampleSize} per family, volatility trigger ${pct(config.volatilityWad)}`,
  );

  // Jurors are registered before any evaluation exists: eligibility is judged at the draw block.
  for (const j of jurors) await jury.write.addJuror([j]);

  // ---------------------------------------------------------------- 1. the graph
  const seeds = buildGraph();
  const names = new Map<Hex, string>();
  const register = async (name: string) => {
    const id = nodeId(name);
    if (names.has(id)) return id;
    names.set(id, name);
    await graph.write.registerNode([id, labelAddress(`payout:${name.toLowerCase()}`), name]);
    return id;
  };
  for (const s of seeds) {
    await register(s.node);
  }
  for (const s of seeds) {
    await graph.write.addSeed([nodeId(s.node)]);
    for (const c of s.children) {
      await register(c.child);
      await graph.write.addEdge([nodeId(s.node), nodeId(c.child)]);
    }
  }
  const edges = seeds.reduce((n, s) => n + s.children.length, 0);
  console.log(
    `graph: ${seeds.length} seeds, ${names.size} nodes, ${edges} edges ` +
      `(${shortName(FILLED_SEED)} lists ${FUNDED_CHILDREN} dependencies)`,
  );
  const label = (id: Hex) => shortName(names.get(id) ?? id);

  // ---------------------------------------------------------------- 2. quadratic funding
  const { qf } = await conn.ignition.deploy(QuadraticFundingModule, {
    displayUi: false,
    parameters: {
      QuadraticFunding: {
        token: token.address,
        period: BigInt(PERIOD),
        roundBudget: parseEther("1500"),
      },
    },
  });
  await qf.write.registerGap([pot.address, "gap-ethereum-dependency-funding"]);
  await token.write.mint([sponsor.account.address, parseEther("100000")]);
  for (const spender of [qf.address, rounds.address, pot.address]) {
    await token.write.approve([spender, maxUint256], { account: sponsor.account });
  }
  await qf.write.fundPool([parseEther("3000")], { account: sponsor.account });
  const rand = prng(2024);
  for (let i = 0; i < 24; i++) {
    const who = labelAddress(`df-contributor-${i}`);
    await fundWallet(conn, token, qf, who, parseEther("200"));
    await qf.write.contribute([1n, parseEther(String(5 + Math.floor(rand() * 30)))], {
      account: who,
    });
  }
  await conn.networkHelpers.time.increase(PERIOD);
  await finalizeEndedRounds(conn, qf, 0n);
  const gap = await qf.read.gapRoundInfo([0n, 1n]);
  await qf.write.claim([0n, 1n]);
  const { result: fromQf } = await pot.simulate.absorb([1n]);
  await pot.write.absorb([1n]);
  console.log(
    `quadratic funding: 24 contributors gave ${formatTokens(gap.direct)}, matched ` +
      `${formatTokens(gap.matchAmount)}; the claim paid the pot, which absorbed ` +
      `${formatTokens(fromQf)} into round 1's pot`,
  );

  // ---------------------------------------------------------------- 3. bonds, budget
  const bond = await graph.read.edgeBond();
  const weakId = await register(WEAK_CHILD);
  await register(PLAUSIBLE_CHILD);
  const plausibleParent = nodeId(seeds[4].node);
  for (const w of [outsider, proposer]) {
    await token.write.mint([w.account.address, parseEther("100")]);
    await token.write.approve([graph.address, maxUint256], { account: w.account });
  }
  await graph.write.proposeEdge([nodeId(FILLED_SEED), weakId], { account: outsider.account });
  await graph.write.proposeEdge([plausibleParent, nodeId(PLAUSIBLE_CHILD)], {
    account: proposer.account,
  });
  console.log(
    `bonds: ${formatTokens(bond)} each; an outsider proposes ${shortName(WEAK_CHILD)} as ` +
      `${shortName(FILLED_SEED)}'s 129th dependency, another ${shortName(PLAUSIBLE_CHILD)} ` +
      `under ${shortName(seeds[4].node)}`,
  );
  await rounds.write.fundBudget([parseEther("2000")], { account: sponsor.account });

  // ---------------------------------------------------------------- 4. open and trade
  const opened = await runKeeper(conn, rounds, pot, { batch: 4, openNext: true });
  console.log(
    `keeper: ${opened.steps
      .map(
        (s) => `${s.action}${s.action === "openBatch" ? `(${s.detail})` : ""} ${fmtGas(s.gasUsed)}`,
      )
      .join(", ")}; now ${opened.waiting}`,
  );
  const state = (await readRound(rounds))!;
  const w0Start = await maker.read.prices([state.w0Market]);
  const childStart = new Map<number, readonly bigint[]>();
  for (const s of state.seeds) {
    if (s.dependencyMarket !== 0n) {
      childStart.set(s.index, await maker.read.prices([s.dependencyMarket]));
    }
  }
  const info = await rounds.read.roundInfo([state.round]);
  const truthOf = new Map<Hex, Map<Hex, number>>();
  for (const s of seeds) {
    truthOf.set(
      nodeId(s.node),
      new Map(s.children.map((c) => [nodeId(c.child), Number(c.weight) / 1e18])),
    );
  }
  const seedTruth = seeds.map((s) => Number(s.weight) / 1e18);
  const originTruth = new Map(seeds.map((s) => [nodeId(s.node), Number(s.originality) / 1e18]));
  const childrenOf = (i: number) => roundChildren(conn, rounds, state.seeds[i]);

  for (const t of traders) {
    for (const spender of [vault.address, rounds.address]) {
      await token.write.mint([t, parseEther("20000")]);
      await token.write.approve([spender, maxUint256], { account: t });
    }
    await vault.write.setApprovalForAll([maker.address, true], { account: t });
    await vault.write.splitPosition([token.address, 0n, info.sCondition, parseEther("2000")], {
      account: t,
    });
    await vault.write.splitPosition([token.address, 0n, info.cCondition, parseEther("2000")], {
      account: t,
    });
  }
  const traded = new Set<bigint>();
  let trades = 0;
  /** Buys, for up to `maxOutcomes` of the most underpriced outcomes, halfway to `belief`. */
  const tradeToward = async (
    market: bigint,
    belief: readonly number[],
    trader: Address,
    maxOutcomes = 6,
  ) => {
    const [, b] = await maker.read.marketInfo([market]);
    const liquidity = Number(b) / 1e18;
    const prices = (await maker.read.prices([market])).map((p) => Number(p) / 1e18);
    const gaps = belief
      .map((q, j) => ({ j, q, p: prices[j] }))
      .filter((x) => x.q > x.p + 0.01)
      .sort((x, y) => y.q - y.p - (x.q - x.p))
      .slice(0, maxOutcomes);
    for (const { j, q } of gaps) {
      const p = Number((await maker.read.prices([market]))[j]) / 1e18;
      const target = (p + q) / 2;
      const shares = liquidity * Math.log((target * (1 - p)) / (p * (1 - target)));
      if (!(shares > 0.01)) continue;
      const amount = parseEther(shares.toFixed(6));
      const cost = await maker.read.quote([market, BigInt(j), amount]);
      const deadline = BigInt(await conn.networkHelpers.time.latest()) + 600n;
      await maker.write.buy([market, BigInt(j), amount, cost + cost / 100n + 1n, deadline], {
        account: trader,
      });
      traded.add(market);
      trades++;
    }
  };
  const normalise = (v: number[]) => {
    const s = v.reduce((a, b) => a + b, 0);
    return v.map((x) => x / s);
  };
  const flatten = (v: number[]) => normalise(v.map((x) => Math.sqrt(x)));
  const noisy = (v: number[]) => normalise(v.map((x) => x * Math.exp((rand() - 0.5) * 1.5)));
  const tradeAll = async () => {
    // The seed-weight market (in collateral).
    await tradeToward(state.w0Market, seedTruth, dataTrader.account.address);
    await tradeToward(state.w0Market, flatten(seedTruth), contrarian.account.address);
    await tradeToward(state.w0Market, noisy(seedTruth), noiseTrader.account.address, 3);
    for (const s of state.seeds) {
      const o = originTruth.get(s.node)!;
      if (s.originalityMarket !== 0n) {
        await tradeToward(s.originalityMarket, [o, 1 - o], dataTrader.account.address);
        const c = Math.min(0.95, Math.max(0.05, o + (o < 0.5 ? 0.2 : -0.2)));
        await tradeToward(s.originalityMarket, [c, 1 - c], contrarian.account.address);
      }
      if (s.dependencyMarket !== 0n) {
        const kids = await childrenOf(s.index);
        const truth = truthOf.get(s.node)!;
        const belief = normalise(kids.map((k) => truth.get(k) ?? 1e-4));
        await tradeToward(s.dependencyMarket, belief, dataTrader.account.address);
        await tradeToward(s.dependencyMarket, flatten(belief), contrarian.account.address, 3);
        await tradeToward(s.dependencyMarket, noisy(belief), noiseTrader.account.address, 2);
      }
    }
  };
  await tradeAll();
  await conn.networkHelpers.time.increase(2 * HOUR);
  await tradeAll();
  const paidFor = 6;
  await requestEvaluation(conn, rounds, "Originality", String(paidFor), noiseTrader);
  console.log(
    `trading: ${trades} trades in ${traded.size} markets by 3 traders (data believer, ` +
      `contrarian, noisy); ${label(state.seeds[paidFor].node)}'s originality evaluation paid ` +
      `for with ${formatTokens(config.evaluationFee)} (df:evaluate)`,
  );

  // ---------------------------------------------------------------- 5. close, select, jury
  await conn.networkHelpers.time.increase(PERIOD);
  const closing = await runKeeper(conn, rounds, pot, { batch: 5, openNext: false });
  await conn.networkHelpers.mine();
  const selecting = await runKeeper(conn, rounds, pot, { batch: 5, openNext: false, maxSteps: 4 });
  const selectedLogs = await publicClient.getContractEvents({
    address: rounds.address,
    abi: rounds.abi,
    eventName: "MarketSelected",
    args: { round: state.round },
    fromBlock: 0n,
  });
  const reasons = ["random", "paid", "volatile"];
  console.log(
    `keeper: ${[...closing.steps, ...selecting.steps]
      .map((s) => `${s.action} ${fmtGas(s.gasUsed)}`)
      .join(", ")}`,
  );
  printTable(
    ["evaluated market", "seed", "why"],
    [
      ["seed weights (W_0)", "(all seeds)", "always"],
      ...selectedLogs.map((e) => {
        const a = e.args as { family: number; seedIndex: bigint; reason: bigint };
        return [
          a.family === FAMILY.Originality ? "originality" : "dependencies",
          label(state.seeds[Number(a.seedIndex)].node),
          reasons.filter((_, bit) => (a.reason >> BigInt(bit)) & 1n).join(" + "),
        ];
      }),
    ],
  );
  const openedEvals = await openedEvaluations(conn, rounds, state.round);
  const juryRand = prng(7);
  const gauss = () => juryRand() + juryRand() + juryRand() - 1.5;
  const rate = (w: readonly number[], a: number, b: number): Rating => {
    const ratio = (w[b] / w[a]) * Math.exp(gauss() * 0.4);
    const multiple = ratio >= 1 ? ratio : 1 / ratio;
    return {
      a,
      b,
      choice: ratio >= 1 ? 2 : 1,
      multiplier: Math.min(99_900, Math.max(100, Math.round(multiple * 100))),
    };
  };
  const evaluations: { id: bigint; score: boolean; seedIndex: bigint; truth: number[] }[] = [];
  for (const a of openedEvals) {
    const score = a.seedIndex !== W0_INDEX && a.family === FAMILY.Originality;
    let truth: number[];
    if (a.seedIndex === W0_INDEX) truth = seedTruth;
    else if (score) truth = [originTruth.get(state.seeds[Number(a.seedIndex)].node)!];
    else {
      const s = state.seeds[Number(a.seedIndex)];
      const t = truthOf.get(s.node)!;
      truth = (await childrenOf(s.index)).map((k) => t.get(k) ?? 1e-4);
    }
    evaluations.push({ id: a.evaluationId, score, seedIndex: a.seedIndex, truth });
  }
  const ballots: Ballot[] = [];
  for (const ev of evaluations) {
    const panel = await advanceAndDraw(conn, jury, ev.id);
    for (const juror of panel) {
      const ballot: Ballot = { jury: jury.address, evaluationId: ev.id, juror, salt: newSalt() };
      if (ev.score) {
        const v = Math.min(1, Math.max(0, ev.truth[0] + gauss() * 0.15));
        ballot.scoreWad = parseEther(v.toFixed(4));
      } else {
        const n = ev.truth.length;
        const pairs: Rating[] = [];
        for (let j = 0; j + 1 < n; j++) pairs.push(rate(ev.truth, j, j + 1));
        for (let extra = 0; extra < Math.min(3, n - 2); extra++) {
          const x = Math.floor(juryRand() * n);
          const y = (x + 2 + Math.floor(juryRand() * (n - 2))) % n;
          if (x !== y) pairs.push(rate(ev.truth, x, y));
        }
        ballot.pairs = pairs;
      }
      await commitBallot(jury, ballot);
      ballots.push(ballot);
    }
  }
  for (const ev of evaluations) await advanceToReveal(conn, jury, ev.id);
  for (const b of ballots) await revealBallot(jury, b);
  for (const ev of evaluations) await advanceToReveal(conn, jury, ev.id, true);
  let verifyGas = 0n;
  for (const ev of evaluations) {
    const receipt = await publicClient.waitForTransactionReceipt({
      hash: await resolveEvaluation(conn, jury, ev.id),
    });
    if (!ev.score) verifyGas += receipt.gasUsed;
  }
  const comparisons = ballots.reduce((n, b) => n + (b.pairs?.length ?? 0), 0);
  console.log(
    `jury: ${evaluations.length} evaluations, ${ballots.length} ballots committed and revealed ` +
      `by panels of ${config.panelSize} from ${jurors.length} jurors (${comparisons} ` +
      `comparisons); Huber certificates checked on-chain for ${fmtGas(verifyGas)} gas in ` +
      `all`,
  );

  // ---------------------------------------------------------------- 6. settle and claim
  const fundBefore = await jury.read.juryFund();
  const w0Average = await maker.read.averagePrices([state.w0Market]);
  // The off-chain checker's inputs, read before settlement changes the graph: the
  // time-weighted prices and each seed's round children.
  const inputs: SeedInput[] = [];
  for (const s of state.seeds) {
    const kids = await childrenOf(s.index);
    const weights = await rounds.read.childWeights([state.round, BigInt(s.index)]);
    inputs.push({
      node: s.node,
      weight: w0Average[s.index],
      originality:
        s.originalityMarket === 0n
          ? (await rounds.read.seedInfo([state.round, BigInt(s.index)])).startOriginalityWad
          : (await maker.read.averagePrices([s.originalityMarket]))[0],
      children: kids.map((k, j) => ({ child: k, weight: weights[j] })),
    });
  }
  const settling = await runKeeper(conn, rounds, pot, { batch: 5, openNext: false });
  console.log(
    `keeper: ${summarise(settling.steps)}; the jury's results reported to the vault ` +
      `(resolveMarket), so traders can redeem`,
  );
  // The data believer redeems its seed-weight positions at the jury's weights.
  const slots = state.seeds.map((_, i) => BigInt(i));
  const redeem = [token.address, 0n, info.w0Condition, slots] as const;
  const { result: redeemed } = await vault.simulate.redeemPositions(redeem, {
    account: dataTrader.account.address,
  });
  await vault.write.redeemPositions(redeem, { account: dataTrader.account });
  console.log(
    `the data believer redeems its W_0 positions at the jury's weights for ` +
      `${formatTokens(redeemed)} tokens`,
  );
  const w0Eval = evaluations.find((e) => e.seedIndex === W0_INDEX)!;
  const juryWeights = await jury.read.resultOf([w0Eval.id]);
  console.log("\nseed weights: start, time-weighted market price (pays the pot), jury, data");
  printTable(
    ["seed", "start", "market (TWAP)", "jury", "data", "originality (TWAP)"],
    await Promise.all(
      state.seeds.map(async (s, i) => [
        label(s.node),
        pct(w0Start[i]),
        pct(w0Average[i]),
        pct(juryWeights[i]),
        pct(seeds.find((x) => nodeId(x.node) === s.node)!.weight),
        s.originalityMarket === 0n
          ? "-"
          : pct((await maker.read.averagePrices([s.originalityMarket]))[0]),
      ]),
    ),
  );

  // One evaluated dependency market (not the 129-outcome one), child by child.
  const shown = evaluations.find(
    (e) =>
      !e.score && e.seedIndex !== W0_INDEX && state.seeds[Number(e.seedIndex)].childCount <= 10,
  );
  if (shown !== undefined) {
    const i = Number(shown.seedIndex);
    const juryChildren = await jury.read.resultOf([shown.id]);
    const start = childStart.get(i)!;
    console.log(
      `\n${label(state.seeds[i].node)}'s dependencies: start, time-weighted price, jury, data`,
    );
    printTable(
      ["dependency", "start", "market (TWAP)", "jury", "data"],
      inputs[i].children.map((c, j) => [
        label(c.child as Hex),
        pct(start[j]),
        pct(c.weight),
        pct(juryChildren[j]),
        `${(shown.truth[j] * 100).toFixed(2)}%`,
      ]),
    );
  }

  const potInfo = await pot.read.roundInfo([state.round]);
  const expected = distribute(potInfo.pot, inputs);
  const allNodes = [...names.keys()];
  const owedBefore = new Map<Hex, bigint>();
  for (const n of allNodes) owedBefore.set(n, await pot.read.owed([n]));
  const claimed = await claimNodes(conn, pot, graph, allNodes, admin);
  let disagreements = 0;
  for (const n of allNodes) {
    const want = expected.payouts.get(n) ?? 0n;
    if (want !== owedBefore.get(n)) disagreements++;
  }
  const paidTotal = claimed.reduce((sum, c) => sum + c.amount, 0n);
  const byAmount = [...claimed].sort((a, b) =>
    a.amount > b.amount ? -1 : a.amount < b.amount ? 1 : 0,
  );
  console.log(
    `\nround 1's pot of ${formatTokens(potInfo.pot)}: who was paid what (top 12 of ${claimed.length})`,
  );
  printTable(
    ["node", "payout address", "paid", "checker (off-chain)"],
    byAmount
      .slice(0, 12)
      .map((c) => [
        shortName(c.metadata),
        c.payout,
        formatTokens(c.amount),
        formatTokens(expected.payouts.get(c.node) ?? 0n),
      ]),
  );
  console.log(
    `paid ${formatTokens(paidTotal)} to ${claimed.length} nodes + ${potInfo.dust} wei of dust = ` +
      `${formatTokens(paidTotal + potInfo.dust)} (the pot: ` +
      `${paidTotal + potInfo.dust === potInfo.pot ? "adds up" : "MISMATCH"}); off-chain checker: ` +
      (disagreements === 0 ? "equal to the wei for every node" : `${disagreements} DISAGREEMENTS`),
  );

  // Bonds: the weak edge ranked 129th and was dropped; the plausible one made the cut.
  const weakEdge = await graph.read.edge([nodeId(FILLED_SEED), weakId]);
  const plausible = await graph.read.edge([plausibleParent, nodeId(PLAUSIBLE_CHILD)]);
  const fundAfter = await jury.read.juryFund();
  const owedBond = await graph.read.owed([proposer.account.address]);
  await graph.write.withdrawBond([proposer.account.address], { account: proposer.account });
  const statuses = ["None", "Proposed", "Funded", "Dropped"];
  const hardhat = state.seeds.find((x) => x.node === nodeId(FILLED_SEED))!;
  const hardhatWeights = await rounds.read
    .childWeights([state.round, BigInt(hardhat.index)])
    .catch(() => [] as readonly bigint[]);
  const weakPrice = hardhatWeights.length > 0 ? hardhatWeights[hardhatWeights.length - 1] : 0n;
  printTable(
    ["proposed edge", "time-weighted weight", "status", "bond"],
    [
      [
        `${shortName(FILLED_SEED)} -> ${shortName(WEAK_CHILD)}`,
        pct(weakPrice),
        statuses[weakEdge.status],
        `slashed: jury fund +${formatTokens(fundAfter - fundBefore)}`,
      ],
      [
        `${label(plausibleParent)} -> ${shortName(PLAUSIBLE_CHILD)}`,
        "-",
        statuses[plausible.status],
        `returned: ${formatTokens(owedBond)} withdrawn by the proposer`,
      ],
    ],
  );
  if (disagreements > 0 || paidTotal + potInfo.dust !== potInfo.pot || weakEdge.status !== 3) {
    process.exitCode = 1;
  }

  // ---------------------------------------------------------------- 7. the next round
  const next = await runKeeper(conn, rounds, pot, { batch: 5, openNext: true });
  const round2 = (await readRound(rounds))!;
  const start2 = await maker.read.prices([round2.w0Market]);
  const order2 = round2.seeds.map((x) => x.node);
  const lastPrices = await Promise.all(
    order2.map((n) => rounds.read.lastPrice([DEFAULT_TARGET, n])),
  );
  const hardhat2 = round2.seeds.find((x) => x.node === nodeId(FILLED_SEED))!;
  console.log(
    `\nkeeper: round ${round2.round} opened in ${next.steps.length} steps (${next.waiting}); ` +
      `${shortName(FILLED_SEED)}'s market now has ${hardhat2.childCount} outcomes; starting ` +
      `prices are round 1's final prices:`,
  );
  printTable(
    ["seed", "round 1 final", "round 2 start"],
    order2.map((n, i) => [label(n), pct(lastPrices[i]), pct(start2[i])]),
  );

  return {
    pot: potInfo.pot.toString(),
    distributed: potInfo.distributed.toString(),
    dust: potInfo.dust.toString(),
    nodesPaid: claimed.length,
    marketsTraded: traded.size,
    marketsEvaluated: evaluations.length,
    bondsSlashed: weakEdge.status === 3 ? 1 : 0,
    payouts: byAmount.map((c) => ({ node: shortName(c.metadata), amount: c.amount.toString() })),
    fromQuadraticFunding: fromQf.toString(),
    trades,
    evaluations: evaluations.length,
    bondsReturned: plausible.status === 2 ? 1 : 0,
    agreesOffchain: disagreements === 0,
    nextRoundOpened: round2.round === state.round + 1n,
  };
}

/** "action xN (largest gas)" for each action, in the order they first ran. */
function summarise(steps: readonly KeeperStep[]): string {
  const byAction = new Map<string, { count: number; gas: bigint }>();
  for (const s of steps) {
    const seen = byAction.get(s.action) ?? { count: 0, gas: 0n };
    byAction.set(s.action, {
      count: seen.count + 1,
      gas: s.gasUsed > seen.gas ? s.gasUsed : seen.gas,
    });
  }
  return [...byAction]
    .map(([action, { count, gas }]) =>
      count === 1 ? `${action} ${fmtGas(gas)}` : `${action} x${count} (largest ${fmtGas(gas)})`,
    )
    .join(", ");
}

function fmtGas(gas: bigint): string {
  return `${(Number(gas) / 1e6).toFixed(2)}M`;
}
