/**
 * Driving a deployed DeepFundingRounds contract: reading a round's state, and the keeper's step
 * function, which does the next thing the round needs (open, create markets in batches, close,
 * select evaluations, create jury evaluations, settle) with the rankings the contract checks.
 *
 * Nothing here imports the Hardhat runtime; callers pass their network connection in.
 */
import type { ContractReturnType } from "@nomicfoundation/hardhat-viem/types";
import type { Hex } from "viem";

import { rankChildren } from "./graph.js";
import type { Connection } from "./qfChain.js";

export type RoundsContract = ContractReturnType<"DeepFundingRounds">;
export type MakerContract = ContractReturnType<"LMSRMarketMaker">;
export type PotContract = ContractReturnType<"FundingPot">;

/** Round phases and market families as the ABI numbers them. */
export const PHASES = [
  "None",
  "Opening",
  "Trading",
  "Selecting",
  "Evaluating",
  "Settling",
  "Settled",
] as const;
export type PhaseName = (typeof PHASES)[number];
export const FAMILY = { Originality: 0, Dependency: 1 } as const;
export type FamilyName = keyof typeof FAMILY;

/** The question-id index of the seed-weight market W_0. */
export const W0_INDEX = 2n ** 256n - 1n;

export interface SeedState {
  index: number;
  node: Hex;
  originalityMarket: bigint;
  dependencyMarket: bigint;
  childCount: number;
  opened: boolean;
  /** Its pot shares are settled (`settleSeed`). */
  potSettled: boolean;
  /** Its edges too (`settleSeedEdges`). */
  settled: boolean;
}

export interface RoundState {
  round: bigint;
  phase: PhaseName;
  seedCount: number;
  cursor: number;
  closeTime: bigint;
  randomBlock: bigint;
  w0Market: bigint;
  originalityEvaluated: bigint;
  dependencyEvaluated: bigint;
  requestedOriginality: bigint;
  requestedDependency: bigint;
  evaluations: bigint;
  spent: bigint;
  seeds: SeedState[];
}

/** The state of `round` (default: the current one), or undefined before the first round. */
export async function readRound(
  rounds: RoundsContract,
  round?: bigint,
): Promise<RoundState | undefined> {
  const id = round ?? (await rounds.read.currentRound());
  if (id === 0n) return undefined;
  const info = await rounds.read.roundInfo([id]);
  const seeds: SeedState[] = [];
  for (let i = 0; i < info.seedCount; i++) {
    const s = await rounds.read.seedInfo([id, BigInt(i)]);
    seeds.push({
      index: i,
      node: s.node,
      originalityMarket: s.originalityMarket,
      dependencyMarket: s.dependencyMarket,
      childCount: s.childCount,
      opened: s.opened,
      potSettled: s.potSettled,
      settled: s.settled,
    });
  }
  return {
    round: id,
    phase: PHASES[info.phase],
    seedCount: info.seedCount,
    cursor: info.cursor,
    closeTime: BigInt(info.closeTime),
    randomBlock: info.randomBlock,
    w0Market: info.w0Market,
    originalityEvaluated: info.originalityEvaluated,
    dependencyEvaluated: info.dependencyEvaluated,
    requestedOriginality: info.requestedOriginality,
    requestedDependency: info.requestedDependency,
    evaluations: info.evaluations,
    spent: info.spent,
    seeds,
  };
}

/** `DeepFundingRounds.MIN_START_PRICE`: the floor of a starting weight before normalising. */
export const MIN_START_PRICE = 10n ** 15n;

const WAD = 10n ** 18n;

/**
 * The contract's `startPrices` to the wei, from the items' last final prices (0: never priced):
 * the base rate for new items, a floor of MIN_START_PRICE, each scaled to floor(v * 1e18 /
 * total), and the units left to reach 1e18 added to the largest (the first on a tie).
 */
export function startPricesOf(last: readonly bigint[], baseRateWad: bigint): bigint[] {
  if (last.length === 0) return [];
  const raw = last.map((v) => {
    const x = v === 0n ? baseRateWad : v;
    return x < MIN_START_PRICE ? MIN_START_PRICE : x;
  });
  const total = raw.reduce((a, b) => a + b, 0n);
  const out = raw.map((v) => (v * WAD) / total);
  let largest = 0;
  out.forEach((v, j) => {
    if (v > out[largest]) largest = j;
  });
  out[largest] += WAD - out.reduce((a, b) => a + b, 0n);
  return out;
}

/** Whether bit `i` of `bits` is set. */
export function hasBit(bits: bigint, i: number): boolean {
  return ((bits >> BigInt(i)) & 1n) === 1n;
}

/** Seed indices ordered by increasing node id (the order the pot needs). */
export function seedOrder(seeds: readonly { node: Hex }[]): number[] {
  return seeds
    .map((s, i) => ({ id: BigInt(s.node), i }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((s) => s.i);
}

/**
 * What `settleSeed` needs for seed `index` of `round`: its round children's weights
 * (`childWeights`) and their ranking, heaviest first, ties by lower index (the pot and the graph
 * both check it).
 */
export async function settlementOrder(
  rounds: RoundsContract,
  round: bigint,
  index: number,
): Promise<{ order: bigint[]; weights: bigint[] }> {
  const weights = [...(await rounds.read.childWeights([round, BigInt(index)]))];
  return { weights, order: rankChildren(weights).map(BigInt) };
}

/** One step the keeper took (or would take). */
export interface KeeperStep {
  round: bigint;
  action:
    | "open"
    | "openBatch"
    | "close"
    | "select"
    | "evaluate"
    | "beginSettlement"
    | "settleSeed"
    | "settleSeedEdges"
    | "resolveMarket"
    | "reclaimJuryRefunds";
  detail: string;
  hash: Hex;
  gasUsed: bigint;
}

export interface KeeperOptions {
  /** Most seeds per batch of `openBatch`, `selectBatch` and `createEvaluations` (default 10). */
  batch?: number;
  /** Open the next round once one is settled (default true). */
  openNext?: boolean;
  /** Gas a batch may take; larger batches are halved until they fit (default 15,000,000). */
  batchGas?: bigint;
}

const JURY_STATUS_DONE = new Set([3, 4, 5]); // Resolved, Failed, Cancelled

/**
 * The largest batch up to `batch` whose gas estimate is within `limit` (halving; a batch of one
 * is always tried, and a revert surfaces when it is sent).
 */
async function fitBatch(
  estimate: (size: bigint) => Promise<bigint>,
  batch: bigint,
  limit: bigint,
): Promise<bigint> {
  let size = batch;
  while (size > 1n) {
    try {
      if ((await estimate(size)) <= limit) return size;
    } catch {
      // Over the transaction's gas cap, or a revert: try fewer seeds.
    }
    size /= 2n;
  }
  return 1n;
}

/** A jury evaluation a round opened (its `EvaluationOpened` event). */
export interface OpenedEvaluation {
  /** W0_INDEX for the seed-weight market. */
  seedIndex: bigint;
  family: number;
  evaluationId: bigint;
  fee: bigint;
}

/** The jury evaluations `round` opened, W_0 first, from the contract's events. */
export async function openedEvaluations(
  conn: Connection,
  rounds: RoundsContract,
  round: bigint,
): Promise<OpenedEvaluation[]> {
  const publicClient = await conn.viem.getPublicClient();
  const logs = await publicClient.getContractEvents({
    address: rounds.address,
    abi: rounds.abi,
    eventName: "EvaluationOpened",
    args: { round },
    fromBlock: 0n,
  });
  return logs.map((e) => {
    const { seedIndex, family, evaluationId, fee } = e.args as OpenedEvaluation;
    return { seedIndex, family, evaluationId, fee };
  });
}

/** The children seed `seed` of a round fixed: the first `childCount` of its live children. */
export async function roundChildren(
  conn: Connection,
  rounds: RoundsContract,
  seed: Pick<SeedState, "node" | "childCount">,
): Promise<Hex[]> {
  const graph = await conn.viem.getContractAt("DependencyGraph", await rounds.read.GRAPH());
  const [kids] = await graph.read.children([seed.node]);
  return kids.slice(0, seed.childCount);
}

/**
 * Markets of `round` whose jury evaluation is over (resolved, failed or cancelled) and whose
 * vault condition is not reported yet: `resolveMarket` can report them.
 */
export async function resolvableMarkets(
  conn: Connection,
  rounds: RoundsContract,
  round: bigint,
): Promise<{ family: number; seedIndex: bigint; evaluationId: bigint }[]> {
  const jury = await conn.viem.getContractAt("Jury", await rounds.read.JURY());
  const vault = await conn.viem.getContractAt("ConditionalTokens", await rounds.read.VAULT());
  const maker = await conn.viem.getContractAt("LMSRMarketMaker", await rounds.read.MAKER());
  const info = await rounds.read.roundInfo([round]);
  const out = [];
  for (const { seedIndex, family, evaluationId } of await openedEvaluations(conn, rounds, round)) {
    if (!JURY_STATUS_DONE.has((await jury.read.evaluation([evaluationId])).status)) continue;
    let market = info.w0Market;
    if (seedIndex !== W0_INDEX) {
      const s = await rounds.read.seedInfo([round, seedIndex]);
      market = family === FAMILY.Originality ? s.originalityMarket : s.dependencyMarket;
    }
    const [, , , , , conditionId] = await maker.read.marketInfo([market]);
    if (!(await vault.read.isResolved([conditionId]))) {
      out.push({ family, seedIndex, evaluationId });
    }
  }
  return out;
}

/**
 * Does the next thing the rounds need, or returns a reason to wait. In order: the current
 * round's step (open, batches, close, selection, evaluations, settlement, the next round); when
 * that has to wait (trading, the random block not mined, a budget too small for the jury fees),
 * the chores: reporting the markets of this round and the last whose jury evaluation is over,
 * and moving jury refunds into the budget.
 */
export async function keeperStep(
  conn: Connection,
  rounds: RoundsContract,
  pot: PotContract,
  options: KeeperOptions = {},
): Promise<KeeperStep | { wait: string }> {
  const main = await roundStep(conn, rounds, pot, options);
  if (!("wait" in main)) return main;
  const chore = await choreStep(conn, rounds);
  return chore ?? main;
}

async function sender(conn: Connection) {
  const publicClient = await conn.viem.getPublicClient();
  return async (
    round: bigint,
    action: KeeperStep["action"],
    detail: string,
    hash: Promise<Hex>,
  ): Promise<KeeperStep> => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    if (receipt.status !== "success") {
      throw new Error(`${action} reverted (${receipt.transactionHash})`);
    }
    return { round, action, detail, hash: receipt.transactionHash, gasUsed: receipt.gasUsed };
  };
}

async function choreStep(
  conn: Connection,
  rounds: RoundsContract,
): Promise<KeeperStep | undefined> {
  const send = await sender(conn);
  const current = await rounds.read.currentRound();
  for (const round of [current - 1n, current]) {
    if (round < 1n) continue;
    const [next] = await resolvableMarkets(conn, rounds, round);
    if (next !== undefined) {
      const what =
        next.seedIndex === W0_INDEX ? "W_0" : `${next.family === 0 ? "O" : "W"}_${next.seedIndex}`;
      return send(
        round,
        "resolveMarket",
        `${what} (evaluation ${next.evaluationId})`,
        rounds.write.resolveMarket([round, next.family, next.seedIndex]),
      );
    }
  }
  const jury = await conn.viem.getContractAt("Jury", await rounds.read.JURY());
  const owed = await jury.read.owed([rounds.address]);
  if (owed > 0n) {
    return send(current, "reclaimJuryRefunds", `${owed} wei`, rounds.write.reclaimJuryRefunds());
  }
  return undefined;
}

async function roundStep(
  conn: Connection,
  rounds: RoundsContract,
  pot: PotContract,
  options: KeeperOptions,
): Promise<KeeperStep | { wait: string }> {
  const batch = BigInt(options.batch ?? 10);
  const limit = options.batchGas ?? 15_000_000n;
  const publicClient = await conn.viem.getPublicClient();
  const send = await sender(conn);
  const state = await readRound(rounds);
  const block = await publicClient.getBlock();
  if (state === undefined || state.phase === "Settled") {
    if (options.openNext === false) return { wait: "round settled; not opening the next" };
    const round = (state?.round ?? 0n) + 1n;
    const budget = await rounds.read.budget();
    const needed = 3n * (await rounds.read.config()).marketSubsidy;
    if (budget < needed) return { wait: `budget ${budget} is below the ${needed} a round needs` };
    return send(round, "open", `round ${round}`, rounds.write.openRound());
  }
  const { round } = state;
  const upTo = (size: bigint) =>
    `seeds ${state.cursor}..${Math.min(state.cursor + Number(size), state.seedCount) - 1}`;
  switch (state.phase) {
    case "Opening": {
      // Batches run even after the close time (they then fix children without markets):
      // `close` needs every one.
      const size = await fitBatch((n) => rounds.estimateGas.openBatch([n]), batch, limit);
      return send(round, "openBatch", upTo(size), rounds.write.openBatch([size]));
    }
    case "Trading":
      if (block.timestamp < state.closeTime) {
        return { wait: `trading until ${new Date(Number(state.closeTime) * 1000).toISOString()}` };
      }
      return send(round, "close", `round ${round}`, rounds.write.close());
    case "Selecting": {
      // The transaction lands in a later block than the latest, which needs the random block's
      // hash: the random block must be mined already.
      if (block.number < state.randomBlock) {
        return { wait: `random block ${state.randomBlock} not mined yet` };
      }
      const size = await fitBatch((n) => rounds.estimateGas.selectBatch([n]), batch, limit);
      return send(round, "select", upTo(size), rounds.write.selectBatch([size]));
    }
    case "Evaluating": {
      // Each evaluation costs juryFee from the budget: wait for funds rather than revert.
      const { juryFee } = await rounds.read.config();
      let count = state.evaluations === 0n ? 1n : 0n;
      for (let i = state.cursor; i < Math.min(state.cursor + Number(batch), state.seedCount); i++) {
        if (hasBit(state.originalityEvaluated, i)) count++;
        if (hasBit(state.dependencyEvaluated, i)) count++;
      }
      const budget = await rounds.read.budget();
      if (budget < count * juryFee) {
        return {
          wait: `budget ${budget} is below the jury fees of the next batch (${count * juryFee})`,
        };
      }
      const size = await fitBatch((n) => rounds.estimateGas.createEvaluations([n]), batch, limit);
      return send(round, "evaluate", upTo(size), rounds.write.createEvaluations([size]));
    }
    case "Settling": {
      const potRound = await pot.read.roundInfo([round]);
      const order = seedOrder(state.seeds);
      if (potRound.status === 0) {
        return send(
          round,
          "beginSettlement",
          `${state.seedCount} seeds`,
          rounds.write.beginSettlement([order.map(BigInt)]),
        );
      }
      const potIndex = order.findIndex((i) => !state.seeds[i].settled);
      const seed = state.seeds[order[potIndex]];
      const { order: ranking } = await settlementOrder(rounds, round, seed.index);
      if (!seed.potSettled) {
        return send(
          round,
          "settleSeed",
          `seed ${seed.index}`,
          rounds.write.settleSeed([BigInt(seed.index), BigInt(potIndex), ranking]),
        );
      }
      return send(
        round,
        "settleSeedEdges",
        `seed ${seed.index}`,
        rounds.write.settleSeedEdges([BigInt(seed.index), ranking]),
      );
    }
    default:
      throw new Error(`unexpected phase ${state.phase}`);
  }
}

/**
 * Runs `keeperStep` until it has to wait; returns the steps taken and why it stopped. `maxSteps`
 * bounds a run (default 1000).
 */
export async function runKeeper(
  conn: Connection,
  rounds: RoundsContract,
  pot: PotContract,
  options: KeeperOptions & { maxSteps?: number; onStep?: (step: KeeperStep) => void } = {},
): Promise<{ steps: KeeperStep[]; waiting: string }> {
  const steps: KeeperStep[] = [];
  const max = options.maxSteps ?? 1000;
  while (steps.length < max) {
    const step = await keeperStep(conn, rounds, pot, options);
    if ("wait" in step) return { steps, waiting: step.wait };
    steps.push(step);
    options.onStep?.(step);
  }
  return { steps, waiting: `stopped after ${max} steps` };
}
