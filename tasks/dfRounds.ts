/**
 * Deep Funding round tasks: `df:round` (the state of a round: markets, prices, evaluations),
 * `df:evaluate` (pay to have a market evaluated), `df:budget` (fund the subsidies and jury fees)
 * and `df:keeper` (drive rounds unattended).
 * The round contract defaults to this network's Ignition deployment (module
 * "DeepFundingRounds").
 *
 * The chain work lives in exported functions (`roundStatus`, `requestEvaluation`) that take a
 * network connection, so that tests and the demo run them on their own connection.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { Hex } from "viem";

import { shortName } from "../src/graph.js";
import { STATUS } from "../src/juryChain.js";
import type { Connection, Wallet } from "../src/qfChain.js";
import {
  FAMILY,
  W0_INDEX,
  hasBit,
  openedEvaluations,
  readRound,
  roundChildren,
  runKeeper,
  type FamilyName,
  type RoundState,
  type RoundsContract,
} from "../src/rounds.js";
import {
  UsageError,
  findDeployed,
  formatTokens,
  parseAddress,
  parseDecimal,
  parseUint,
  printTable,
  runTask,
} from "./common.js";
import { parseNode, readyToPay, send, sender } from "./deepfunding.js";

const ROUNDS_KEYS = ["DeepFundingRounds#DeepFundingRounds"];

async function connectRounds(
  hre: HardhatRuntimeEnvironment,
  option: string,
): Promise<{ conn: Connection; rounds: RoundsContract }> {
  if (option !== "") parseAddress(option, "rounds");
  const conn = await hre.network.create();
  const at = await findDeployed(hre, conn, option, ROUNDS_KEYS);
  return { conn, rounds: await conn.viem.getContractAt("DeepFundingRounds", at) };
}

// ------------------------------------------------------------------------------------------
// Status
// ------------------------------------------------------------------------------------------

export interface MarketStatus {
  family: "Seed weights" | FamilyName;
  /** The seed (for W_0: every seed is an outcome). */
  seed: string;
  market: bigint;
  outcomes: string[];
  spot: bigint[];
  average: bigint[];
  evaluated: boolean;
  requested: boolean;
}

export interface EvaluationStatus {
  family: string;
  seed: string;
  evaluationId: bigint;
  fee: bigint;
  status: string;
}

export interface RoundStatus {
  state: RoundState;
  budget: bigint;
  heldFees: bigint;
  markets: MarketStatus[];
  evaluations: EvaluationStatus[];
}

/** Everything `df:round` prints, for round `round` (default: the current one). */
export async function roundStatus(
  conn: Connection,
  rounds: RoundsContract,
  round?: bigint,
): Promise<RoundStatus | undefined> {
  const state = await readRound(rounds, round);
  if (state === undefined) return undefined;
  const maker = await conn.viem.getContractAt("LMSRMarketMaker", await rounds.read.MAKER());
  const graph = await conn.viem.getContractAt("DependencyGraph", await rounds.read.GRAPH());
  const jury = await conn.viem.getContractAt("Jury", await rounds.read.JURY());
  const names = new Map<Hex, string>();
  const nameOf = async (node: Hex) => {
    let name = names.get(node);
    if (name === undefined) {
      const [, metadata, registered] = await graph.read.nodeInfo([node]);
      name = registered && metadata !== "" ? shortName(metadata) : `${node.slice(0, 10)}…`;
      names.set(node, name);
    }
    return name;
  };
  const seedNames = await Promise.all(state.seeds.map((s) => nameOf(s.node)));
  const market = async (
    id: bigint,
    family: MarketStatus["family"],
    seed: string,
    outcomes: string[],
    evaluated: boolean,
    requested: boolean,
  ): Promise<MarketStatus> => ({
    family,
    seed,
    market: id,
    outcomes,
    spot: [...(await maker.read.prices([id]))],
    average: [...(await maker.read.averagePrices([id]))],
    evaluated,
    requested,
  });
  const markets: MarketStatus[] = [
    await market(state.w0Market, "Seed weights", "(all)", seedNames, true, false),
  ];
  for (const s of state.seeds) {
    if (s.originalityMarket !== 0n) {
      markets.push(
        await market(
          s.originalityMarket,
          "Originality",
          seedNames[s.index],
          ["UP", "DOWN"],
          hasBit(state.originalityEvaluated, s.index),
          hasBit(state.requestedOriginality, s.index),
        ),
      );
    }
    if (s.dependencyMarket !== 0n) {
      const kids = await roundChildren(conn, rounds, s);
      const children = await Promise.all(kids.map((k) => nameOf(k)));
      markets.push(
        await market(
          s.dependencyMarket,
          "Dependency",
          seedNames[s.index],
          children,
          hasBit(state.dependencyEvaluated, s.index),
          hasBit(state.requestedDependency, s.index),
        ),
      );
    }
  }
  const evaluations: EvaluationStatus[] = [];
  for (const { seedIndex, family, evaluationId, fee } of await openedEvaluations(
    conn,
    rounds,
    state.round,
  )) {
    const isW0 = seedIndex === W0_INDEX;
    const view = await jury.read.evaluation([evaluationId]);
    evaluations.push({
      family: isW0 ? "Seed weights" : family === FAMILY.Originality ? "Originality" : "Dependency",
      seed: isW0 ? "(all)" : seedNames[Number(seedIndex)],
      evaluationId,
      fee,
      status: STATUS[view.status],
    });
  }
  return {
    state,
    budget: await rounds.read.budget(),
    heldFees: await rounds.read.heldFees(),
    markets,
    evaluations,
  };
}

function percent(wad: bigint): string {
  return `${(Number(wad) / 1e16).toFixed(2)}%`;
}

export function printRoundStatus(status: RoundStatus): void {
  const { state } = status;
  console.log(
    `round ${state.round}: ${state.phase}; trading closes ${new Date(
      Number(state.closeTime) * 1000,
    ).toISOString()}; ${state.seedCount} seeds`,
  );
  console.log(
    `budget ${formatTokens(status.budget)} tokens; spent on this round ${formatTokens(
      state.spent,
    )}; evaluation fees held ${formatTokens(status.heldFees)}`,
  );
  const rows: string[][] = [];
  for (const m of status.markets) {
    const flag = m.evaluated ? "yes" : m.requested ? "requested" : "";
    m.outcomes.forEach((outcome, j) => {
      rows.push([
        j === 0 ? m.family : "",
        j === 0 ? m.seed : "",
        j === 0 ? String(m.market) : "",
        outcome,
        percent(m.spot[j]),
        percent(m.average[j]),
        j === 0 ? flag : "",
      ]);
    });
  }
  printTable(["family", "seed", "market", "outcome", "price", "time-weighted", "evaluated"], rows);
  if (status.evaluations.length > 0) {
    printTable(
      ["evaluation", "family", "seed", "fee", "status"],
      status.evaluations.map((e) => [
        String(e.evaluationId),
        e.family,
        e.seed,
        formatTokens(e.fee),
        e.status,
      ]),
    );
  }
}

// ------------------------------------------------------------------------------------------
// Evaluation requests
// ------------------------------------------------------------------------------------------

/** "originality" or "dependency" (any case). */
export function parseFamily(value: string): FamilyName {
  const v = value.toLowerCase();
  if (v === "originality") return "Originality";
  if (v === "dependency" || v === "dependencies" || v === "children") return "Dependency";
  throw new UsageError(`--family must be originality or dependency, got "${value}"`);
}

/**
 * Pays the evaluation fee for a market of the current round: checks everything the contract
 * would (phase, close time, seed, market, no earlier request, balance) first, so that a bad
 * request fails with a clear message and sends nothing. `seed` is a seed index, a URL or an id.
 */
export async function requestEvaluation(
  conn: Connection,
  rounds: RoundsContract,
  familyName: FamilyName,
  seed: string,
  wallet: Wallet,
): Promise<{ round: bigint; seedIndex: number; fee: bigint }> {
  const state = await readRound(rounds);
  if (state === undefined) throw new UsageError("no round has been opened yet");
  if (state.phase !== "Opening" && state.phase !== "Trading") {
    throw new UsageError(
      `round ${state.round} is ${state.phase}: evaluations are requested while it trades`,
    );
  }
  const now = (await (await conn.viem.getPublicClient()).getBlock()).timestamp;
  if (now >= state.closeTime) {
    throw new UsageError(`round ${state.round}'s trading closed at ${state.closeTime}`);
  }
  let seedIndex: number;
  if (/^\d+$/.test(seed)) {
    seedIndex = Number(seed);
    if (seedIndex >= state.seedCount) {
      throw new UsageError(`--seed ${seed}: round ${state.round} has ${state.seedCount} seeds`);
    }
  } else {
    const { id, label } = parseNode(seed, "seed");
    seedIndex = state.seeds.findIndex((s) => s.node === id);
    if (seedIndex < 0) throw new UsageError(`${label} is not a seed of round ${state.round}`);
  }
  const s = state.seeds[seedIndex];
  const market = familyName === "Originality" ? s.originalityMarket : s.dependencyMarket;
  if (market === 0n) {
    throw new UsageError(
      `seed ${seedIndex} has no ${familyName.toLowerCase()} market in round ${state.round}` +
        (familyName === "Dependency" && s.childCount < 2 ? " (fewer than two children)" : ""),
    );
  }
  const family = FAMILY[familyName];
  if ((await rounds.read.requestFee([state.round, family, BigInt(seedIndex)])) !== 0n) {
    throw new UsageError(`that market's evaluation is already paid for`);
  }
  const fee = (await rounds.read.config()).evaluationFee;
  const token = await conn.viem.getContractAt("TestToken", await rounds.read.TOKEN());
  const me = wallet.account.address;
  await readyToPay(
    conn,
    token,
    wallet,
    rounds.address,
    fee,
    (balance) => `${me} holds ${formatTokens(balance)} tokens; the fee is ${formatTokens(fee)}`,
  );
  await send(
    conn,
    rounds.write.requestEvaluation([family, BigInt(seedIndex)], { account: wallet.account }),
  );
  return { round: state.round, seedIndex, fee };
}

// ------------------------------------------------------------------------------------------
// Tasks
// ------------------------------------------------------------------------------------------

interface RoundArgs {
  round: string;
  rounds: string;
}

export async function roundTask(args: RoundArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    const round = args.round === "" ? undefined : parseUint(args.round, "round");
    const { conn, rounds } = await connectRounds(hre, args.rounds);
    if (round !== undefined && round > (await rounds.read.currentRound())) {
      throw new UsageError(`round ${round} has not been opened`);
    }
    const status = await roundStatus(conn, rounds, round);
    if (status === undefined) {
      console.log(`no round yet; budget ${formatTokens(await rounds.read.budget())} tokens`);
      return;
    }
    printRoundStatus(status);
  });
}

interface EvaluateArgs {
  family: string;
  seed: string;
  account: string;
  rounds: string;
}

export async function evaluateTask(args: EvaluateArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    if (args.family === "") throw new UsageError("--family originality|dependency is required");
    const family = parseFamily(args.family);
    if (args.seed === "") throw new UsageError("--seed INDEX|URL|0xID is required");
    const { conn, rounds } = await connectRounds(hre, args.rounds);
    const wallet = await sender(conn, args.account);
    const r = await requestEvaluation(conn, rounds, family, args.seed, wallet);
    console.log(
      `paid ${formatTokens(r.fee)} tokens: seed ${r.seedIndex}'s ${family.toLowerCase()} market ` +
        `will be evaluated when round ${r.round} closes`,
    );
  });
}

interface BudgetArgs {
  amount: string;
  mint: boolean;
  account: string;
  rounds: string;
}

/**
 * Adds tokens to the rounds' budget (subsidies and jury fees), approving them first; with
 * `mint`, mints them first from the test token's open faucet.
 */
export async function fundBudget(
  conn: Connection,
  rounds: RoundsContract,
  amount: bigint,
  wallet: Wallet,
  mint = false,
): Promise<bigint> {
  const token = await conn.viem.getContractAt("TestToken", await rounds.read.TOKEN());
  const me = wallet.account.address;
  if (mint) await send(conn, token.write.mint([me, amount], { account: wallet.account }));
  await readyToPay(
    conn,
    token,
    wallet,
    rounds.address,
    amount,
    (balance) =>
      `${me} holds ${formatTokens(balance)} tokens, not ${formatTokens(amount)} ` +
      "(with the test token, --mint mints them first)",
    amount,
  );
  await send(conn, rounds.write.fundBudget([amount], { account: wallet.account }));
  return rounds.read.budget();
}

export async function budgetTask(args: BudgetArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    if (args.amount === "") throw new UsageError("--amount TOKENS is required");
    const amount = parseDecimal(args.amount, "amount", "a positive number of tokens");
    if (amount === 0n) throw new UsageError("--amount must be a positive number of tokens");
    const { conn, rounds } = await connectRounds(hre, args.rounds);
    const wallet = await sender(conn, args.account);
    const budget = await fundBudget(conn, rounds, amount, wallet, args.mint);
    console.log(`budget is now ${formatTokens(budget)} tokens`);
  });
}

interface KeeperArgs {
  batch: string;
  watch: number;
  noOpen: boolean;
  rounds: string;
}

export async function keeperTask(args: KeeperArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    const batch = parseUint(args.batch, "batch");
    if (batch < 1n || batch > 256n) throw new UsageError("--batch must be 1 to 256");
    if (args.watch < 0) throw new UsageError("--watch must be 0 or a number of seconds");
    const { conn, rounds } = await connectRounds(hre, args.rounds);
    const pot = await conn.viem.getContractAt("FundingPot", await rounds.read.POT());
    const log = (line: string) => console.log(`[${new Date().toISOString()}] ${line}`);
    for (;;) {
      const { waiting } = await runKeeper(conn, rounds, pot, {
        batch: Number(batch),
        openNext: !args.noOpen,
        onStep: (s) => log(`round ${s.round}: ${s.action} ${s.detail} (${s.gasUsed} gas)`),
      });
      log(`waiting: ${waiting}`);
      if (args.watch === 0) return;
      await new Promise((resolve) => setTimeout(resolve, args.watch * 1000));
    }
  });
}
