/**
 * Talking to a deployed Jury with viem: the packed comparison words the contract chains,
 * commitments and the ballot files jurors keep between commit and reveal, reading revealed
 * comparisons back from events, and submitting a Huber certificate.
 *
 * Nothing here imports the Hardhat runtime; callers pass their network connection in.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";

import type { ContractReturnType } from "@nomicfoundation/hardhat-viem/types";
import { getAddress, isAddress, isHex, toHex, type Address, type Hex } from "viem";

import { certificate, type Pair } from "./huber.js";
import type { Connection } from "./qfChain.js";

export type JuryContract = ContractReturnType<"Jury">;

/** Evaluation kinds and statuses as the ABI numbers them. */
export const KIND = { Pairwise: 0, Score: 1 } as const;
export const STATUS = ["None", "Pending", "Drawn", "Resolved", "Failed", "Cancelled"] as const;

/** A rating as a juror reveals it: multiplier in hundredths (100 = 1.00 to 99900 = 999.00). */
export interface Rating {
  a: number;
  b: number;
  choice: number;
  multiplier: number;
}

/** The contract's comparison word: a (16 bits), b (16 bits), y as int224. */
export function packPair(a: number, b: number, y: bigint): Hex {
  const low = BigInt.asUintN(224, y);
  return toHex((BigInt(a) << 240n) | (BigInt(b) << 224n) | low, { size: 32 });
}

export function unpackPair(word: Hex): Pair {
  const v = BigInt(word);
  return {
    a: Number(v >> 240n),
    b: Number((v >> 224n) & 0xffffn),
    y: BigInt.asIntN(224, v & ((1n << 224n) - 1n)),
  };
}

/** A fresh random salt. */
export function newSalt(): Hex {
  return toHex(randomBytes(32));
}

/** Every comparison revealed for an evaluation, in the order the contract chained them. */
export async function revealedComparisons(
  conn: Connection,
  jury: JuryContract,
  evaluationId: bigint,
): Promise<{ packed: Hex[]; pairs: Pair[] }> {
  const publicClient = await conn.viem.getPublicClient();
  const logs = await publicClient.getContractEvents({
    address: jury.address,
    abi: jury.abi,
    eventName: "PairsRevealed",
    args: { evaluationId },
    fromBlock: 0n,
    strict: true,
  });
  const packed = logs.flatMap((log) => [...log.args.packed]);
  return { packed, pairs: packed.map(unpackPair) };
}

/**
 * Fits the revealed comparisons off-chain and returns the certificate the contract checks:
 * the packed comparisons and the logits, or throws when there is nothing to fit.
 */
export async function huberCertificate(
  conn: Connection,
  jury: JuryContract,
  evaluationId: bigint,
): Promise<{ packed: Hex[]; logits: bigint[]; pairs: Pair[] }> {
  const info = await jury.read.evaluation([evaluationId]);
  const { packed, pairs } = await revealedComparisons(conn, jury, evaluationId);
  if (pairs.length !== info.comparisonCount) {
    throw new Error(
      `found ${pairs.length} revealed comparisons in the logs but the jury counts ${info.comparisonCount}`,
    );
  }
  const logits = certificate(info.params.items, pairs, info.params.deltaWad, {
    tolerance: info.params.toleranceWad,
  });
  return { packed, logits, pairs };
}

/**
 * Resolves an evaluation whose reveal window has closed, by the aggregation fixed at its
 * creation: the median of the scores, the triangle check, or the Huber fit (computed here and
 * submitted as the certificate the contract checks). Returns the transaction hash.
 */
export async function resolveEvaluation(
  conn: Connection,
  jury: JuryContract,
  evaluationId: bigint,
): Promise<Hex> {
  const { params } = await jury.read.evaluation([evaluationId]);
  if (params.kind === KIND.Score) return jury.write.resolveScore([evaluationId]);
  if (params.triangle) return jury.write.resolveTriangle([evaluationId]);
  const { packed, logits } = await huberCertificate(conn, jury, evaluationId);
  return jury.write.submitHuber([evaluationId, packed, logits]);
}

// ----------------------------------------------------------------------------------------------
// Ballot files: what a juror committed, kept until the reveal.
// ----------------------------------------------------------------------------------------------

export interface Ballot {
  jury: Address;
  evaluationId: bigint;
  juror: Address;
  salt: Hex;
  pairs?: Rating[];
  scoreWad?: bigint;
}

export function ballotToJson(ballot: Ballot): string {
  return JSON.stringify(
    {
      jury: ballot.jury,
      evaluationId: ballot.evaluationId.toString(),
      juror: ballot.juror,
      salt: ballot.salt,
      ...(ballot.pairs ? { pairs: ballot.pairs } : {}),
      ...(ballot.scoreWad !== undefined ? { scoreWad: ballot.scoreWad.toString() } : {}),
    },
    null,
    2,
  );
}

/** Reads a ballot file, with a clear error naming the file and field when it is not one. */
export function readBallot(file: string): Ballot {
  if (!existsSync(file)) throw new BallotError(`${file}: no such ballot file`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new BallotError(`${file}: not JSON (${(error as Error).message})`);
  }
  const obj = raw as Record<string, unknown>;
  const bad = (field: string, detail: string) => new BallotError(`${file}: ${field}: ${detail}`);
  if (typeof obj !== "object" || obj === null) throw bad("", "expected an object");
  for (const field of ["jury", "juror"]) {
    if (typeof obj[field] !== "string" || !isAddress(obj[field] as string))
      throw bad(field, "expected an address");
  }
  if (typeof obj.evaluationId !== "string" || !/^\d+$/.test(obj.evaluationId))
    throw bad("evaluationId", "expected a whole number as a string");
  if (typeof obj.salt !== "string" || !isHex(obj.salt) || obj.salt.length !== 66)
    throw bad("salt", "expected 32 bytes of hex");
  const ballot: Ballot = {
    jury: getAddress(obj.jury as string),
    evaluationId: BigInt(obj.evaluationId),
    juror: getAddress(obj.juror as string),
    salt: obj.salt,
  };
  if (obj.pairs !== undefined) {
    if (!Array.isArray(obj.pairs)) throw bad("pairs", "expected an array");
    ballot.pairs = obj.pairs.map((p: unknown, i: number) => {
      const r = p as Record<string, unknown>;
      for (const key of ["a", "b", "choice", "multiplier"]) {
        if (!Number.isInteger(r?.[key])) throw bad(`pairs[${i}].${key}`, "expected an integer");
      }
      return { a: r.a, b: r.b, choice: r.choice, multiplier: r.multiplier } as Rating;
    });
  } else if (typeof obj.scoreWad === "string" && /^\d+$/.test(obj.scoreWad)) {
    ballot.scoreWad = BigInt(obj.scoreWad);
  } else {
    throw bad("pairs", "a ballot holds either pairs or a scoreWad");
  }
  return ballot;
}

export class BallotError extends Error {}

// ----------------------------------------------------------------------------------------------
// Driving an evaluation (any chain; `advance*` only on local chains)
// ----------------------------------------------------------------------------------------------

/** The commitment for a ballot, computed by the contract's own view. */
export async function ballotCommitment(jury: JuryContract, ballot: Ballot): Promise<Hex> {
  if (ballot.pairs) {
    return jury.read.pairsCommitment([
      ballot.evaluationId,
      ballot.juror,
      ballot.pairs,
      ballot.salt,
    ]);
  }
  return jury.read.scoreCommitment([
    ballot.evaluationId,
    ballot.juror,
    ballot.scoreWad ?? 0n,
    ballot.salt,
  ]);
}

/** Sends a ballot's commitment from its juror. */
export async function commitBallot(jury: JuryContract, ballot: Ballot): Promise<Hex> {
  const commitment = await ballotCommitment(jury, ballot);
  return jury.write.commit([ballot.evaluationId, commitment], { account: ballot.juror });
}

/** Reveals a ballot from its juror. */
export async function revealBallot(jury: JuryContract, ballot: Ballot): Promise<Hex> {
  if (ballot.pairs) {
    return jury.write.revealPairs([ballot.evaluationId, ballot.pairs, ballot.salt], {
      account: ballot.juror,
    });
  }
  return jury.write.revealScore([ballot.evaluationId, ballot.scoreWad ?? 0n, ballot.salt], {
    account: ballot.juror,
  });
}

/** Local chains: mines until the panel can be drawn, then draws it; returns the panel. */
export async function advanceAndDraw(
  conn: Connection,
  jury: JuryContract,
  evaluationId: bigint,
): Promise<readonly Address[]> {
  const publicClient = await conn.viem.getPublicClient();
  const { drawBlock } = await jury.read.evaluation([evaluationId]);
  const now = await publicClient.getBlockNumber();
  if (now < drawBlock) await conn.networkHelpers.mine(drawBlock - now);
  await jury.write.drawPanel([evaluationId]);
  return jury.read.panelOf([evaluationId]);
}

/** Local chains: moves time to the start of the reveal window (or its end with `toEnd`). */
export async function advanceToReveal(
  conn: Connection,
  jury: JuryContract,
  evaluationId: bigint,
  toEnd = false,
): Promise<void> {
  const info = await jury.read.evaluation([evaluationId]);
  const target = toEnd ? info.revealEnd : info.commitEnd;
  const now = BigInt(await conn.networkHelpers.time.latest());
  if (now < target) await conn.networkHelpers.time.increaseTo(target);
}
