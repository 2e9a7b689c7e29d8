/**
 * Jury tasks for jurors, evaluators and keepers: `jury:create`, `jury:juror`, `jury:stake`,
 * `jury:commit`, `jury:reveal`, `jury:submit` and `jury:status`. The jury's address defaults to
 * this network's Ignition deployment (module "Jury" or "LocalJury").
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatUnits, keccak256, maxUint256, parseUnits, stringToHex, type Hex } from "viem";

import { isChoice, parseChoice, parseMultiplier } from "../src/huber.js";
import {
  KIND,
  STATUS,
  ballotCommitment,
  ballotToJson,
  resolveEvaluation,
  newSalt,
  readBallot,
  BallotError,
  type Ballot,
  type JuryContract,
  type Rating,
} from "../src/juryChain.js";
import type { Connection } from "../src/qfChain.js";
import {
  UsageError,
  findDeployed,
  parseDecimal,
  parseAddress,
  parseUint,
  printTable,
  runTask,
} from "./common.js";

const BALLOT_STATE = ["not on panel", "drawn", "committed", "revealed"] as const;

async function connectJury(
  hre: HardhatRuntimeEnvironment,
  address: string,
): Promise<{ conn: Connection; jury: JuryContract }> {
  const conn = await hre.network.create();
  const at = await findDeployed(hre, conn, address, ["Jury#Jury", "LocalJury#Jury"]);
  return { conn, jury: await conn.viem.getContractAt("Jury", at) };
}

/** The sending wallet: the network's account number `index` (default the first). */
async function sender(conn: Connection, index = "0") {
  if (!/^\d+$/.test(index)) throw new UsageError(`--account must be an index, got "${index}"`);
  const wallets = await conn.viem.getWalletClients();
  const me = wallets[Number(index)];
  if (!me) {
    throw new UsageError(
      `network ${conn.networkName} has ${wallets.length} accounts; no account ${index}`,
    );
  }
  return me;
}

/** Sends a write as `me` and waits for it. */

async function send(conn: Connection, hash: Promise<Hex>): Promise<void> {
  const publicClient = await conn.viem.getPublicClient();
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success")
    throw new UsageError(`transaction ${receipt.transactionHash} failed`);
}

async function evaluationOf(jury: JuryContract, id: string) {
  const evaluationId = parseUint(id, "evaluation");
  const count = await jury.read.evaluationCount();
  if (evaluationId >= count) {
    throw new UsageError(`no evaluation ${evaluationId} (the jury has ${count})`);
  }
  return { evaluationId, info: await jury.read.evaluation([evaluationId]) };
}

function tokens(value: string, name: string): bigint {
  return parseDecimal(value, name, "a decimal number of tokens");
}

function wad(value: string, name: string, max?: number): bigint {
  const v = parseDecimal(value, name);
  if (max !== undefined && v > parseUnits(String(max), 18)) {
    throw new UsageError(`--${name} must be at most ${max}, got ${value}`);
  }
  return v;
}

function hours(value: string, name: string): number {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) {
    throw new UsageError(`--${name} must be a positive number of hours, got "${value}"`);
  }
  return Math.round(Number(value) * 3600);
}

/** Reads a juror's pairs file: header a,b,choice,multiplier; a and b are item indices. */
export function readRatings(file: string, items: number): Rating[] {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  const lines = readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (lines[0]?.replace(/\s/g, "") !== "a,b,choice,multiplier") {
    throw new UsageError(`${file}: line 1: expected the header a,b,choice,multiplier`);
  }
  if (lines.length < 2) throw new UsageError(`${file}: no comparisons`);
  return lines.slice(1).map((line, i) => {
    const where = `${file}: line ${i + 2}`;
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length !== 4)
      throw new UsageError(`${where}: expected 4 fields, got ${cells.length}`);
    const [a, b] = cells.slice(0, 2).map((c, k) => {
      if (!/^\d+$/.test(c) || Number(c) >= items) {
        throw new UsageError(
          `${where}: ${k === 0 ? "a" : "b"} must be an item index below ${items}, got "${c}"`,
        );
      }
      return Number(c);
    });
    if (a === b) throw new UsageError(`${where}: a and b are the same item`);
    const choice = parseChoice(cells[2]);
    if (!isChoice(choice))
      throw new UsageError(`${where}: choice must be 1 or 2, got "${cells[2]}"`);
    const multiplier = parseMultiplier(cells[3]);
    if (multiplier === undefined) {
      throw new UsageError(
        `${where}: multiplier must be 1 to 999 with at most two decimals, got "${cells[3]}"`,
      );
    }
    return { a, b, choice, multiplier };
  });
}

// ----------------------------------------------------------------------------------------------

interface CreateArgs {
  kind: string;
  items: string;
  triangle: boolean;
  panel: string;
  commitHours: string;
  revealHours: string;
  delta: string;
  tolerance: string;
  minStake: string;
  fee: string;
  feeFromFund: string;
  question: string;
  address: string;
}

export async function create(args: CreateArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    if (args.kind !== "pairwise" && args.kind !== "score") {
      throw new UsageError(`--kind must be pairwise or score, got "${args.kind}"`);
    }
    const pairwise = args.kind === "pairwise";
    const items = pairwise ? Number(parseUint(args.items, "items")) : 0;
    if (pairwise && (items < 2 || items > 256)) throw new UsageError("--items must be 2 to 256");
    const params = {
      kind: pairwise ? KIND.Pairwise : KIND.Score,
      items,
      triangle: args.triangle,
      panelSize: Number(parseUint(args.panel, "panel")),
      commitDuration: hours(args.commitHours, "commit-hours"),
      revealDuration: hours(args.revealHours, "reveal-hours"),
      deltaWad: pairwise && !args.triangle ? wad(args.delta, "delta") : 0n,
      toleranceWad: pairwise && !args.triangle ? wad(args.tolerance, "tolerance", 0.001) : 0n,
      minStake: tokens(args.minStake, "min-stake"),
      fee: tokens(args.fee, "fee"),
      feeFromFund: tokens(args.feeFromFund, "fee-from-fund"),
      questionId: (args.question === ""
        ? `0x${"0".repeat(64)}`
        : keccak256(stringToHex(args.question))) as Hex,
    };
    const { conn, jury } = await connectJury(hre, args.address);
    const me = await sender(conn);
    if (params.fee > 0n) {
      const token = await conn.viem.getContractAt("TestToken", await jury.read.TOKEN());
      const allowance = await token.read.allowance([me.account.address, jury.address]);
      if (allowance < params.fee) await send(conn, token.write.approve([jury.address, maxUint256]));
    }
    const id = await jury.read.evaluationCount();
    await send(conn, jury.write.createEvaluation([params]));
    const { drawBlock } = await jury.read.evaluation([id]);
    console.log(`created evaluation ${id}; its panel can be drawn after block ${drawBlock}`);
  });
}

interface JurorArgs {
  add: string;
  remove: string;
  address: string;
}

export async function juror(args: JurorArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    if ((args.add === "") === (args.remove === "")) {
      throw new UsageError("give exactly one of --add ADDRESS or --remove ADDRESS");
    }
    const { conn, jury } = await connectJury(hre, args.address);
    if (args.add !== "") {
      const who = parseAddress(args.add, "add");
      if (await jury.read.isJuror([who])) throw new UsageError(`${who} is already a juror`);
      await send(conn, jury.write.addJuror([who]));
      console.log(`added juror ${who}`);
    } else {
      const who = parseAddress(args.remove, "remove");
      if (!(await jury.read.isJuror([who]))) throw new UsageError(`${who} is not a juror`);
      await send(conn, jury.write.removeJuror([who]));
      console.log(`removed juror ${who}`);
    }
  });
}

interface StakeArgs {
  account: string;
  amount: string;
  unstake: boolean;
  address: string;
}

export async function stake(args: StakeArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    if (args.amount === "") throw new UsageError("--amount TOKENS is required");
    const amount = tokens(args.amount, "amount");
    if (amount === 0n) throw new UsageError("--amount must be above zero");
    const { conn, jury } = await connectJury(hre, args.address);
    const me = await sender(conn, args.account);
    const [staked, locked] = await jury.read.stakeOf([me.account.address]);
    if (args.unstake) {
      if (amount > staked - locked) {
        throw new UsageError(`only ${formatUnits(staked - locked, 18)} of your stake is free`);
      }
      await send(conn, jury.write.unstake([amount], { account: me.account }));
    } else {
      const token = await conn.viem.getContractAt("TestToken", await jury.read.TOKEN());
      const balance = await token.read.balanceOf([me.account.address]);
      if (balance < amount) throw new UsageError(`you hold ${formatUnits(balance, 18)} tokens`);
      const allowance = await token.read.allowance([me.account.address, jury.address]);
      if (allowance < amount)
        await send(conn, token.write.approve([jury.address, maxUint256], { account: me.account }));
      await send(conn, jury.write.stake([amount], { account: me.account }));
    }
    const [after] = await jury.read.stakeOf([me.account.address]);
    console.log(`stake of ${me.account.address}: ${formatUnits(after, 18)}`);
  });
}

// ----------------------------------------------------------------------------------------------

interface CommitArgs {
  account: string;
  evaluation: string;
  pairs: string;
  score: string;
  ballot: string;
  address: string;
}

export async function commit(args: CommitArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    if (args.evaluation === "") throw new UsageError("--evaluation ID is required");
    if ((args.pairs === "") === (args.score === "")) {
      throw new UsageError("give exactly one of --pairs FILE.csv or --score NUMBER");
    }
    const { conn, jury } = await connectJury(hre, args.address);
    const { evaluationId, info } = await evaluationOf(jury, args.evaluation);
    const me = await sender(conn, args.account);
    const pairwise = info.params.kind === KIND.Pairwise;
    if (pairwise && args.pairs === "")
      throw new UsageError(`evaluation ${evaluationId} takes --pairs`);
    if (!pairwise && args.score === "")
      throw new UsageError(`evaluation ${evaluationId} takes --score`);
    if (STATUS[info.status] !== "Drawn") {
      throw new UsageError(
        `evaluation ${evaluationId} is ${STATUS[info.status]}, not taking commits`,
      );
    }
    const now = BigInt((await (await conn.viem.getPublicClient()).getBlock()).timestamp);
    if (now >= info.commitEnd)
      throw new UsageError(`the commit window closed at ${info.commitEnd}`);
    const [state] = await jury.read.ballotOf([evaluationId, me.account.address]);
    if (state === 0) throw new UsageError(`${me.account.address} is not on the panel`);
    if (state !== 1) throw new UsageError(`${me.account.address} has already committed`);

    const ballot: Ballot = {
      jury: jury.address,
      evaluationId,
      juror: me.account.address,
      salt: newSalt(),
    };
    if (pairwise) {
      ballot.pairs = readRatings(args.pairs, info.params.items);
      if (ballot.pairs.length > 256) throw new UsageError("at most 256 comparisons per juror");
      if (info.params.triangle && ballot.pairs.length !== 3) {
        throw new UsageError(
          "a triangle evaluation takes exactly the three pairs of items 0, 1, 2",
        );
      }
    } else {
      ballot.scoreWad = wad(args.score, "score", 1);
    }
    const file =
      args.ballot !== "" ? args.ballot : `ballot-${evaluationId}-${me.account.address}.json`;
    if (existsSync(file))
      throw new UsageError(`${file} exists; it may hold a ballot you still need`);
    // The salt is saved before the commitment is sent: without it the juror could not reveal.
    writeFileSync(file, ballotToJson(ballot) + "\n", { mode: 0o600 });
    await send(
      conn,
      jury.write.commit([evaluationId, await ballotCommitment(jury, ballot)], {
        account: me.account,
      }),
    );
    console.log(
      `committed to evaluation ${evaluationId}; keep ${file} to reveal after ${info.commitEnd}`,
    );
  });
}

interface RevealArgs {
  account: string;
  ballot: string;
  address: string;
}

export async function reveal(args: RevealArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    if (args.ballot === "") throw new UsageError("--ballot FILE.json is required");
    let ballot: Ballot;
    try {
      ballot = readBallot(args.ballot);
    } catch (error) {
      if (error instanceof BallotError) throw new UsageError(error.message);
      throw error;
    }
    const { conn, jury } = await connectJury(hre, args.address === "" ? ballot.jury : args.address);
    const me = await sender(conn, args.account);
    if (me.account.address.toLowerCase() !== ballot.juror.toLowerCase()) {
      throw new UsageError(
        `the ballot is ${ballot.juror}'s; this account is ${me.account.address}`,
      );
    }
    const { info } = await evaluationOf(jury, ballot.evaluationId.toString());
    const now = BigInt((await (await conn.viem.getPublicClient()).getBlock()).timestamp);
    if (STATUS[info.status] !== "Drawn" || now >= info.revealEnd) {
      throw new UsageError(`evaluation ${ballot.evaluationId} is not taking reveals`);
    }
    if (now < info.commitEnd) throw new UsageError(`reveals open at ${info.commitEnd}`);
    const [state, commitment] = await jury.read.ballotOf([ballot.evaluationId, ballot.juror]);
    if (state !== 2) throw new UsageError(`ballot state: ${BALLOT_STATE[state]}`);
    if (commitment !== (await ballotCommitment(jury, ballot))) {
      throw new UsageError("this ballot does not match the commitment on chain");
    }
    const hash = ballot.pairs
      ? jury.write.revealPairs([ballot.evaluationId, ballot.pairs, ballot.salt], {
          account: me.account,
        })
      : jury.write.revealScore([ballot.evaluationId, ballot.scoreWad ?? 0n, ballot.salt], {
          account: me.account,
        });
    await send(conn, hash);
    console.log(`revealed ballot for evaluation ${ballot.evaluationId}`);
  });
}

interface SubmitArgs {
  evaluation: string;
  address: string;
}

/**
 * Moves an evaluation on: draws a pending panel, or once the reveal window has closed resolves
 * it (median, triangle, or the Huber fit off-chain with the certificate submitted), or marks it
 * failed when nobody revealed.
 */
export async function submit(args: SubmitArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    if (args.evaluation === "") throw new UsageError("--evaluation ID is required");
    const { conn, jury } = await connectJury(hre, args.address);
    const { evaluationId: id, info } = await evaluationOf(jury, args.evaluation);
    const publicClient = await conn.viem.getPublicClient();
    const status = STATUS[info.status];
    if (status === "Pending") {
      if ((await publicClient.getBlockNumber()) < info.drawBlock) {
        throw new UsageError(`the panel can be drawn after block ${info.drawBlock}`);
      }
      await send(conn, jury.write.drawPanel([id]));
      console.log(
        `drew the panel of evaluation ${id}: ${(await jury.read.panelOf([id])).join(", ")}`,
      );
      return;
    }
    if (status !== "Drawn") throw new UsageError(`evaluation ${id} is ${status}`);
    const now = BigInt((await publicClient.getBlock()).timestamp);
    if (now < info.revealEnd) throw new UsageError(`reveals are open until ${info.revealEnd}`);
    if (info.revealCount === 0) {
      await send(conn, jury.write.failEvaluation([id]));
      console.log(`nobody revealed: evaluation ${id} failed`);
      return;
    }
    await send(conn, resolveEvaluation(conn, jury, id));
    const result = await jury.read.resultOf([id]);
    console.log(`resolved evaluation ${id}: [${result.map((w) => formatUnits(w, 18)).join(", ")}]`);
  });
}

interface StatusArgs {
  evaluation: string;
  address: string;
}

export async function status(args: StatusArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    const { conn, jury } = await connectJury(hre, args.address);
    const count = await jury.read.evaluationCount();
    if (args.evaluation === "") {
      const rows: string[][] = [];
      for (let id = 0n; id < count; id++) {
        const e = await jury.read.evaluation([id]);
        rows.push([
          id.toString(),
          e.params.kind === KIND.Score ? "score" : e.params.triangle ? "triangle" : "huber",
          String(e.params.items),
          STATUS[e.status],
          String(e.params.panelSize),
          String(e.revealCount),
          e.commitEnd.toString(),
          e.revealEnd.toString(),
        ]);
      }
      printTable(
        ["id", "kind", "items", "status", "panel", "reveals", "commitEnd", "revealEnd"],
        rows,
      );
      console.log(`jury fund: ${formatUnits(await jury.read.juryFund(), 18)}`);
      return;
    }
    const { evaluationId: id, info } = await evaluationOf(jury, args.evaluation);
    console.log(`evaluation ${id}: ${STATUS[info.status]}`);
    console.log(
      `  kind ${info.params.kind === KIND.Score ? "score" : `pairwise over ${info.params.items} items`}` +
        `${info.params.triangle ? " (triangle)" : ""}; fee ${formatUnits(info.params.fee + info.params.feeFromFund, 18)}` +
        `; min stake ${formatUnits(info.params.minStake, 18)}`,
    );
    console.log(
      `  draw block ${info.drawBlock}; commit until ${info.commitEnd}; reveal until ${info.revealEnd}`,
    );
    const panel = await jury.read.panelOf([id]);
    if (panel.length > 0) {
      const rows = await Promise.all(
        panel.map(async (j) => [j, BALLOT_STATE[(await jury.read.ballotOf([id, j]))[0]]]),
      );
      printTable(["juror", "ballot"], rows);
    }
    const result = await jury.read.resultOf([id]);
    if (result.length > 0) {
      printTable(
        ["slot", "payout"],
        result.map((w, i) => [String(i), formatUnits(w, 18)]),
      );
    }
  });
}
