/**
 * Gas benchmark of the Deep Funding round (contracts/deepfunding/DeepFundingRounds.sol), called
 * by scripts/bench.ts. Each scenario deploys the Ignition module `DeepFundingRounds` with
 * `DEFAULT_ROUND_CONFIG` (one week of trading, sample size 2, volatility 0.1) on a graph whose
 * seeds have three children each, so every seed gets an originality and a dependency market.
 *
 * Ten seeds: a whole round driven by the keeper's step function (src/rounds.ts), with trades
 * before the close that move some markets past the volatility threshold and one paid request, so
 * that selection, evaluation and settlement have real work to do; then a claim from the pot and
 * an edge proposal. A hundred seeds: `openRound`, the batches of ten, and `beginSettlement`.
 */
import type { Hash, Hex } from "viem";
import { keccak256, maxUint256, parseEther, stringToHex, type Address } from "viem";

import DeepFundingRoundsModule, {
  DEFAULT_ROUND_CONFIG,
} from "../ignition/modules/DeepFundingRounds.js";
import type { Connection } from "../src/qfChain.js";
import { FAMILY, PHASES, keeperStep, seedOrder, type KeeperStep } from "../src/rounds.js";

type GasOf = (hash: Promise<Hash>) => Promise<number>;

/** Seeds per `openBatch`, `selectBatch` and `createEvaluations`. */
const BATCH = 10;
/** Children of every seed. */
const CHILDREN = 3;

/** The node id of a benchmark name (as src/graph.ts `nodeId` for lower-case names). */
function nodeId(name: string): Hex {
  return keccak256(stringToHex(name));
}

/** A payout address per node name. */
function payoutOf(name: string): Address {
  return `0x${nodeId(`payout:${name}`).slice(26)}` as Address;
}

/**
 * Runs the Deep Funding scenarios, adds their figures to `results` and returns the lines to
 * print after the table.
 */
export async function benchDeepFunding(
  conn: Connection,
  results: Record<string, number>,
  gasOf: GasOf,
): Promise<string[]> {
  const started = performance.now();
  const notes: string[] = [];
  const publicClient = await conn.viem.getPublicClient();
  const { time, mine } = conn.networkHelpers;

  // ---------------------------------------------------------------------------------------------
  // Ten seeds: a whole round
  // ---------------------------------------------------------------------------------------------
  {
    const d = await deploy(conn, "df10", 10);
    const { rounds, pot, graph, token, maker, vault } = d;
    const [, a, b, proposer] = await conn.viem.getWalletClients();
    const step = async (action: KeeperStep["action"]): Promise<number> => {
      const s = await keeperStep(conn, rounds, pot, { batch: BATCH });
      if ("wait" in s) throw new Error(`keeper waits (${s.wait}) where ${action} was expected`);
      if (s.action !== action)
        throw new Error(`keeper did ${s.action} where ${action} was expected`);
      return Number(s.gasUsed);
    };
    const phase = async () => PHASES[(await rounds.read.roundInfo([1n])).phase];
    /** Repeats one keeper action while the round stays in `while_`; returns the largest gas. */
    const largest = async (action: KeeperStep["action"], while_: string) => {
      let max = 0;
      do max = Math.max(max, await step(action));
      while ((await phase()) === while_);
      return max;
    };

    results["df.openRound.seeds=10"] = await step("open");
    results["df.open.seeds=10"] = await step("openBatch");
    if ((await phase()) !== "Trading") throw new Error("openBatch(10) did not open all 10 seeds");

    // Trades right after the opening, so that the time-weighted prices are near the new spot
    // prices: W_0 in collateral, UP of every originality market in S_j and child 0 of every
    // dependency market in C_i, each past the volatility threshold, so that every market is
    // evaluated whatever the random sample (the worst case, and the same in every run); and a
    // paid request for seed 9's originality.
    const info = await rounds.read.roundInfo([1n]);
    const seeds = await Promise.all(
      Array.from({ length: 10 }, (_, i) => rounds.read.seedInfo([1n, BigInt(i)])),
    );
    const deadline = BigInt(await time.latest()) + 3600n;
    const buy = (market: bigint, outcome: bigint, amount: bigint, account: Address) =>
      gasOf(maker.write.buy([market, outcome, amount, maxUint256, deadline], { account }));
    for (const condition of [info.sCondition, info.cCondition]) {
      await gasOf(
        vault.write.splitPosition([token.address, 0n, condition, parseEther("1000")], {
          account: a.account.address,
        }),
      );
    }
    await buy(info.w0Market, 0n, parseEther("50"), a.account.address);
    await buy(info.w0Market, 1n, parseEther("20"), b.account.address);
    for (const s of seeds) {
      await buy(s.originalityMarket, 0n, parseEther("100"), a.account.address);
      await buy(s.dependencyMarket, 0n, parseEther("100"), a.account.address);
    }
    await gasOf(
      rounds.write.requestEvaluation([FAMILY.Originality, 9n], { account: b.account.address }),
    );
    await gasOf(pot.write.fund([1n, parseEther("1000")]));

    await time.increaseTo(info.closeTime);
    results["df.close"] = await step("close");
    await mine();
    results["df.select.seeds=10"] = await largest("select", "Selecting");
    const selected = await rounds.read.roundInfo([1n]);
    if (popcount(selected.originalityEvaluated) + popcount(selected.dependencyEvaluated) !== 20) {
      throw new Error("the trades did not get every market of the 10 seeds selected");
    }
    results["df.evaluate.seeds=10"] = await largest("evaluate", "Evaluating");
    results["df.settle.begin.seeds=10"] = await step("beginSettlement");
    // Each seed is settled in two steps: its pot shares and final prices, then its edges.
    let paid = 0;
    let edges = 0;
    while ((await phase()) === "Settling") {
      const s = await keeperStep(conn, rounds, pot, { batch: BATCH });
      if ("wait" in s) throw new Error(`keeper waits (${s.wait}) while settling`);
      if (s.action === "settleSeed") paid = Math.max(paid, Number(s.gasUsed));
      else if (s.action === "settleSeedEdges") edges = Math.max(edges, Number(s.gasUsed));
      else throw new Error(`keeper did ${s.action} while settling`);
    }
    results["df.settle.seed"] = paid;
    results["df.settle.edges"] = edges;
    notes.push(
      `df 10 seeds: ${popcount(selected.originalityEvaluated)} originality and ` +
        `${popcount(selected.dependencyEvaluated)} dependency markets selected, ` +
        `${(await rounds.read.roundInfo([1n])).evaluations} jury evaluations with W_0`,
    );

    // A claim by a seed whose payout address already holds the token (a repeat payee).
    const claimed = d.seeds[0];
    if ((await pot.read.owed([nodeId(claimed)])) === 0n) throw new Error("seed 0 is owed nothing");
    await gasOf(token.write.mint([payoutOf(claimed), 1n]));
    results["df.claim"] = await gasOf(pot.write.claim([nodeId(claimed)]));

    // An edge proposal while the graph already holds a bond (the first one pays for the graph's
    // first token balance).
    await gasOf(token.write.approve([graph.address, maxUint256], { account: proposer.account }));
    for (const name of ["df10/proposed-1", "df10/proposed-2"]) {
      await gasOf(graph.write.registerNode([nodeId(name), payoutOf(name), name]));
    }
    await gasOf(
      graph.write.proposeEdge([nodeId(d.seeds[1]), nodeId("df10/proposed-1")], {
        account: proposer.account,
      }),
    );
    results["df.propose"] = await gasOf(
      graph.write.proposeEdge([nodeId(d.seeds[0]), nodeId("df10/proposed-2")], {
        account: proposer.account,
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // A hundred seeds: opening in batches and the start of settlement (no trades)
  // ---------------------------------------------------------------------------------------------
  {
    const { rounds, graph } = await deploy(conn, "df100", 100);
    const phase = async () => PHASES[(await rounds.read.roundInfo([1n])).phase];
    /** Sends one batch call while the round stays in `while_`; returns the largest gas. */
    const batches = async (send: () => Promise<Hash>, while_: string) => {
      let max = 0;
      let calls = 0;
      do {
        max = Math.max(max, await gasOf(send()));
        calls++;
      } while ((await phase()) === while_);
      return { max, calls };
    };

    results["df.openRound.seeds=100"] = await gasOf(rounds.write.openRound());
    const open = await batches(() => rounds.write.openBatch([BigInt(BATCH)]), "Opening");
    results["df.open.seeds=100"] = open.max;
    await time.increaseTo((await rounds.read.roundInfo([1n])).closeTime);
    await gasOf(rounds.write.close());
    await mine();
    const select = await batches(() => rounds.write.selectBatch([BigInt(BATCH)]), "Selecting");
    const evaluate = await batches(
      () => rounds.write.createEvaluations([BigInt(BATCH)]),
      "Evaluating",
    );
    const order = seedOrder((await graph.read.seeds()).map((node) => ({ node })));
    results["df.settle.begin.seeds=100"] = await gasOf(
      rounds.write.beginSettlement([order.map(BigInt)]),
    );
    notes.push(
      `df 100 seeds: ${open.calls} openBatch(10) calls; largest selectBatch(10) ` +
        `${fmt(select.max)} (${select.calls} calls), largest createEvaluations(10) ` +
        `${fmt(evaluate.max)} (${evaluate.calls} calls; both depend on the random sample)`,
    );
  }

  const dfKeys = Object.keys(results).filter((k) => k.startsWith("df."));
  const top = dfKeys.reduce((x, y) => (results[y] > results[x] ? y : x));
  const { gasLimit } = await publicClient.getBlock();
  notes.push(
    `df: largest transaction ${top} ${fmt(results[top])} gas (block gas limit ` +
      `${fmt(Number(gasLimit))}); deep funding scenarios took ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return notes;
}

/**
 * Deploys the module, registers `seedCount` seeds named `${prefix}/seed-i` with three children
 * each (`${prefix}/seed-i/child-k`), funds the budget, registers five jurors, and gives traders
 * 1 and 2 tokens and the approvals to trade and to pay evaluation requests.
 */
async function deploy(conn: Connection, prefix: string, seedCount: number) {
  const deployed = await conn.ignition.deploy(DeepFundingRoundsModule, {
    displayUi: false,
    parameters: { DeepFundingRounds: { config: DEFAULT_ROUND_CONFIG } },
  });
  const { token, rounds, graph, pot, jury, vault, maker } = deployed;
  const publicClient = await conn.viem.getPublicClient();
  const wallets = await conn.viem.getWalletClients();
  const [admin] = wallets;
  // Waits for the receipt of a setup transaction (automine: already mined).
  const sent = async (hash: Promise<Hash>) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    if (receipt.status !== "success") throw new Error("benchmark setup transaction reverted");
  };

  const seeds = Array.from({ length: seedCount }, (_, i) => `${prefix}/seed-${i}`);
  for (const seed of seeds) {
    const kids = Array.from({ length: CHILDREN }, (_, k) => `${seed}/child-${k}`);
    for (const name of [seed, ...kids]) {
      await sent(graph.write.registerNode([nodeId(name), payoutOf(name), name]));
    }
    await sent(graph.write.addSeed([nodeId(seed)]));
    for (const kid of kids) await sent(graph.write.addEdge([nodeId(seed), nodeId(kid)]));
  }

  const budget = parseEther("10000");
  await sent(token.write.mint([admin.account.address, budget + parseEther("100000")]));
  await sent(token.write.approve([rounds.address, maxUint256]));
  await sent(token.write.approve([pot.address, maxUint256]));
  await sent(rounds.write.fundBudget([budget]));
  for (const w of wallets.slice(1, 3)) {
    await sent(token.write.mint([w.account.address, parseEther("100000")]));
    for (const spender of [vault.address, rounds.address]) {
      await sent(token.write.approve([spender, maxUint256], { account: w.account }));
    }
    await sent(vault.write.setApprovalForAll([maker.address, true], { account: w.account }));
  }
  await sent(token.write.mint([wallets[3].account.address, parseEther("1000")]));
  for (const w of wallets.slice(5, 10)) await sent(jury.write.addJuror([w.account.address]));
  return { ...deployed, seeds };
}

function popcount(bits: bigint): number {
  let count = 0;
  for (let x = bits; x > 0n; x >>= 1n) count += Number(x & 1n);
  return count;
}

function fmt(gas: number): string {
  return gas.toLocaleString("en-US");
}
