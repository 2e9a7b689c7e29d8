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
  action: "open" | "openBatch" | "close" | "select" | "evaluate" | "beginSettlement" | "settleSeed";
  detail: string;
  hash: Hex;
  gasUsed: bigint;
}

export interface KeeperOptions {
  /** Seeds per batch of `openBatch`, `selectBatch` and `createEvaluations` (default 10). */
  batch?: number;
  /** Open the next round once one is settled (default true). */
  openNext?: boolean;
}

/**
 * Does the next thing the current round needs, or returns a reason to wait: the round is
 * trading, the random block is not mined yet, or (before the first round and after a settled
 * one) a new round cannot be opened (too few seeds, too little budget, or `openNext` false).
 */
export async function keeperStep(
  conn: Connection,
  rounds: RoundsContract,
  pot: PotContract,
  options: KeeperOptions = {},
): Promise<KeeperStep | { wait: string }> {
  const batch = BigInt(options.batch ?? 10);
  const publicClient = await conn.viem.getPublicClient();
  const send = async (
    round: bigint,
    action: KeeperStep["action"],
    detail: string,
    hash: Promise<Hex>,
  ): Promise<KeeperStep> => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    if (receipt.status !== "success")
      throw new Error(`${action} reverted (${receipt.transactionHash})`);
    return { round, action, detail, hash: receipt.transactionHash, gasUsed: receipt.gasUsed };
  };
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
  switch (state.phase) {
    case "Opening":
      // Batches run even after the close time (they then fix children without markets):
      // `close` needs every one.
      return send(
        round,
        "openBatch",
        `seeds ${state.cursor}..${Math.min(state.cursor + Number(batch), state.seedCount) - 1}`,
        rounds.write.openBatch([batch]),
      );
    case "Trading":
      if (block.timestamp < state.closeTime) {
        return { wait: `trading until ${new Date(Number(state.closeTime) * 1000).toISOString()}` };
      }
      return send(round, "close", `round ${round}`, rounds.write.close());
    case "Selecting":
      // The transaction lands in a later block than the latest, which needs the random block's
      // hash: the random block must be mined already.
      if (block.number < state.randomBlock) {
        return { wait: `random block ${state.randomBlock} not mined yet` };
      }
      return send(round, "select", `from seed ${state.cursor}`, rounds.write.selectBatch([batch]));
    case "Evaluating":
      return send(
        round,
        "evaluate",
        `from seed ${state.cursor}`,
        rounds.write.createEvaluations([batch]),
      );
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
      return send(
        round,
        "settleSeed",
        `seed ${seed.index}`,
        rounds.write.settleSeed([BigInt(seed.index), BigInt(potIndex), ranking]),
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
