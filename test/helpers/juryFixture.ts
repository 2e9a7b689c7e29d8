/**
 * Fixtures for the jury tests: the Ignition module `LocalJury` (vault, maker, test token, jury),
 * seven registered jurors who hold and have staked tokens, an outsider, and helpers that create
 * evaluations and walk them through their windows.
 */
import type { NetworkConnection } from "hardhat/types/network";
import { keccak256, maxUint256, stringToHex, type Address } from "viem";

import LocalJuryModule from "../../ignition/modules/LocalJury.js";
import {
  advanceAndDraw,
  advanceToReveal,
  commitBallot,
  newSalt,
  revealBallot,
  type Ballot,
  type JuryContract,
  type Rating,
} from "../../src/juryChain.js";

export const ONE = 10n ** 18n;
export const STAKE = 100n * ONE;
export const FEE = 30n * ONE;
export const COMMIT = 3_600;
export const REVEAL = 3_600;
export const JUROR_COUNT = 7;

export const Kind = { Pairwise: 0, Score: 1 } as const;
export const Status = { None: 0, Pending: 1, Drawn: 2, Resolved: 3, Failed: 4, Cancelled: 5 };

export interface ParamsInput {
  kind: number;
  items: number;
  triangle: boolean;
  panelSize: number;
  commitDuration: number;
  revealDuration: number;
  deltaWad: bigint;
  toleranceWad: bigint;
  minStake: bigint;
  fee: bigint;
  feeFromFund: bigint;
  questionId: `0x${string}`;
}

export const ZERO_QUESTION = `0x${"0".repeat(64)}` as const;

export function scoreParams(overrides: Partial<ParamsInput> = {}): ParamsInput {
  return {
    kind: Kind.Score,
    items: 0,
    triangle: false,
    panelSize: 3,
    commitDuration: COMMIT,
    revealDuration: REVEAL,
    deltaWad: 0n,
    toleranceWad: 0n,
    minStake: STAKE / 2n,
    fee: FEE,
    feeFromFund: 0n,
    questionId: ZERO_QUESTION,
    ...overrides,
  };
}

export function pairParams(items: number, overrides: Partial<ParamsInput> = {}): ParamsInput {
  return {
    ...scoreParams(),
    kind: Kind.Pairwise,
    items,
    deltaWad: ONE,
    toleranceWad: 10n ** 9n,
    ...overrides,
  };
}

export function createJuryFixture(connection: NetworkConnection) {
  const { viem, ignition } = connection;
  return async function juryFixture() {
    const wallets = await viem.getWalletClients();
    const admin = wallets[0];
    const jurorWallets = wallets.slice(1, 1 + JUROR_COUNT);
    const outsider = wallets[1 + JUROR_COUNT];
    const { jury, token, vault } = await ignition.deploy(LocalJuryModule);
    for (const w of [admin, ...jurorWallets, outsider]) {
      await token.write.mint([w.account.address, 10_000n * ONE]);
      await token.write.approve([jury.address, maxUint256], { account: w.account });
    }
    const jurors = jurorWallets.map((w) => w.account.address);
    for (const j of jurors) {
      await jury.write.addJuror([j]);
      await jury.write.stake([STAKE], { account: j });
    }
    return { jury, token, vault, admin, jurors, outsider, connection };
  };
}

/** Creates an evaluation from the admin (the evaluator) and returns its id. */
export async function create(jury: JuryContract, params: ParamsInput): Promise<bigint> {
  const id = await jury.read.evaluationCount();
  await jury.write.createEvaluation([params]);
  return id;
}

/** One ballot per (juror, values) with fresh salts. */
export function pairBallots(
  jury: JuryContract,
  id: bigint,
  entries: readonly [Address, Rating[]][],
): Ballot[] {
  return entries.map(([juror, pairs]) => ({
    jury: jury.address,
    evaluationId: id,
    juror,
    salt: newSalt(),
    pairs,
  }));
}

export function scoreBallots(
  jury: JuryContract,
  id: bigint,
  entries: readonly [Address, bigint][],
): Ballot[] {
  return entries.map(([juror, scoreWad]) => ({
    jury: jury.address,
    evaluationId: id,
    juror,
    salt: newSalt(),
    scoreWad,
  }));
}

/** Draws, commits every ballot, moves to the reveal window, reveals every ballot. */
export async function commitAndReveal(
  connection: NetworkConnection,
  jury: JuryContract,
  id: bigint,
  ballots: (panel: readonly Address[]) => Ballot[],
  { closeReveal = true }: { closeReveal?: boolean } = {},
): Promise<{ panel: readonly Address[]; ballots: Ballot[] }> {
  const panel = await advanceAndDraw(connection, jury, id);
  const list = ballots(panel);
  for (const b of list) await commitBallot(jury, b);
  await advanceToReveal(connection, jury, id);
  for (const b of list) await revealBallot(jury, b);
  if (closeReveal) await advanceToReveal(connection, jury, id, true);
  return { panel, ballots: list };
}

export const question = (text: string) => keccak256(stringToHex(text));
