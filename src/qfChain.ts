/**
 * Talking to a deployed QuadraticFunding contract with viem: replaying a round of labelled
 * contributions on a local chain, reading a round back into the same shape as the off-chain
 * module, and comparing the two. Used by the `qf:check --onchain` task, the demo and the tests.
 *
 * Nothing here imports the Hardhat runtime; callers pass their network connection in.
 */
import type { ContractReturnType } from "@nomicfoundation/hardhat-viem/types";
import type { NetworkConnection } from "hardhat/types/network";
import { keccak256, maxUint256, parseSignature, stringToHex, type Address, type Hex } from "viem";

import { type Contribution, type GapResult, type RoundResult, alphaWad } from "./qf.js";

export type QfContract = ContractReturnType<"QuadraticFunding">;
export type TokenContract = ContractReturnType<"TestToken">;
export type Connection = NetworkConnection<"generic">;
export type Wallet = Awaited<ReturnType<Connection["viem"]["getWalletClients"]>>[number];

/**
 * Signs an EIP-2612 permit letting `spender` take `value` of `token` from `wallet` until
 * `deadline`, with the token's own EIP-712 domain (ERC-5267) and current nonce.
 */
export async function signPermit(
  wallet: Wallet,
  token: TokenContract,
  spender: Address,
  value: bigint,
  deadline: bigint,
): Promise<{ v: number; r: Hex; s: Hex }> {
  const owner = wallet.account.address;
  const [, name, version, chainId, verifyingContract] = await token.read.eip712Domain();
  const signature = await wallet.signTypedData({
    account: wallet.account,
    domain: { name, version, chainId, verifyingContract },
    types: {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "Permit",
    message: { owner, spender, value, nonce: await token.read.nonces([owner]), deadline },
  });
  const { v, r, s, yParity } = parseSignature(signature);
  return { v: Number(v ?? BigInt(yParity + 27)), r, s };
}

/** The round status enum of the contract, by index. */
export const ROUND_STATUS = ["Open", "Finalized", "Cancelled", "Swept"] as const;

/** A deterministic address for a contributor label (used only on local chains). */
export function labelAddress(label: string): Address {
  const hash = keccak256(stringToHex(`qf-contributor:${label}`));
  return `0x${hash.slice(26)}` as Address;
}

/**
 * Makes `address` usable as a sender on the in-process chain: impersonated, with ether for gas,
 * `amount` test tokens and an unlimited allowance for `spender`.
 */
export async function fundWallet(
  conn: Connection,
  token: TokenContract,
  spender: { address: Address },
  address: Address,
  amount: bigint,
): Promise<void> {
  await conn.networkHelpers.impersonateAccount(address);
  await conn.networkHelpers.setBalance(address, 10n ** 21n);
  if (amount > 0n) await token.write.mint([address, amount]);
  await token.write.approve([spender.address, maxUint256], { account: address });
}

/** Registers one gap per label, in order, paying to a deterministic beneficiary per label. */
export async function registerGaps(qf: QfContract, labels: readonly string[]) {
  const ids = new Map<string, bigint>();
  let next = (await qf.read.gapCount()) + 1n;
  for (const label of labels) {
    await qf.write.registerGap([labelAddress(`beneficiary:${label}`), label]);
    ids.set(label, next++);
  }
  return ids;
}

export interface ReplayOptions {
  /** Called after every contribution with the number done so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Replays a round on a fresh deployment: one funded wallet per contributor label, every
 * contribution as its own transaction in the open round, the pool funded with `budget` and the
 * per-round budget set to it, then the round is finalized. Returns the gap ids by label and the
 * round number.
 */
export async function replayRound(
  conn: Connection,
  token: TokenContract,
  qf: QfContract,
  contributions: readonly Contribution[],
  budget: bigint,
  options: ReplayOptions = {},
) {
  const gapLabels = [...new Set(contributions.map((c) => c.gap))];
  const gapIds = await registerGaps(qf, gapLabels);
  const totals = new Map<string, bigint>();
  for (const c of contributions)
    totals.set(c.contributor, (totals.get(c.contributor) ?? 0n) + c.amount);
  for (const [label, total] of totals) {
    await fundWallet(conn, token, qf, labelAddress(label), total);
  }
  await qf.write.setRoundBudget([budget]);
  if (budget > 0n) {
    const [admin] = await conn.viem.getWalletClients();
    await token.write.mint([admin.account.address, budget]);
    await token.write.approve([qf.address, budget]);
    await qf.write.fundPool([budget]);
  }
  const round = await qf.read.currentRound();
  let done = 0;
  for (const c of contributions) {
    await qf.write.contribute([gapIds.get(c.gap)!, c.amount], {
      account: labelAddress(c.contributor),
    });
    options.onProgress?.(++done, contributions.length);
  }
  const info = await qf.read.roundInfo([round]);
  await conn.networkHelpers.time.increaseTo(info.end);
  await qf.write.finalize([round]);
  return { gapIds, round };
}

/**
 * Reads a finalized round back from the chain as a RoundResult, for the gaps given (label to
 * id, in output order). `contributors` counts distinct contributors seen in `Contributed` events.
 */
export async function readRound(
  conn: Connection,
  qf: QfContract,
  round: bigint,
  gapIds: ReadonlyMap<string, bigint>,
): Promise<RoundResult> {
  const info = await qf.read.roundInfo([round]);
  const counts = contributorCounts(await contributedEvents(conn, qf, round));
  const gaps: GapResult[] = [];
  for (const [label, id] of gapIds) {
    const g = await qf.read.gapRoundInfo([round, id]);
    gaps.push({
      gap: label,
      contributors: counts.get(id) ?? 0,
      direct: g.direct,
      sumSqrt: g.sumSqrt,
      idealMatch: g.idealMatch,
      match: g.matchAmount,
      payout: g.direct + g.matchAmount,
    });
  }
  const matched = gaps.reduce((sum, g) => sum + g.match, 0n);
  return {
    alpha: info.alphaWad,
    totalIdeal: info.totalIdeal,
    budget: info.budget,
    matched,
    unspent: info.budget - matched,
    gaps,
  };
}

export interface ContributedEvent {
  round: bigint;
  gapId: bigint;
  contributor: Address;
  id: bigint;
  amount: bigint;
  timestamp: bigint;
}

/** Every `Contributed` event of a round, in chain order. */
export async function contributedEvents(
  conn: Connection,
  qf: QfContract,
  round: bigint,
): Promise<ContributedEvent[]> {
  const publicClient = await conn.viem.getPublicClient();
  const logs = await publicClient.getContractEvents({
    address: qf.address,
    abi: qf.abi,
    eventName: "Contributed",
    args: { round },
    fromBlock: 0n,
    strict: true,
  });
  return logs.map((log) => ({
    round: log.args.round,
    gapId: log.args.gapId,
    contributor: log.args.contributor,
    id: log.args.id,
    amount: log.args.amount,
    timestamp: log.args.timestamp,
  }));
}

/** The number of distinct contributors per gap id in a list of `Contributed` events. */
export function contributorCounts(events: readonly ContributedEvent[]): Map<bigint, number> {
  const seen = new Map<bigint, Set<string>>();
  for (const e of events) {
    const set = seen.get(e.gapId) ?? new Set<string>();
    set.add(e.contributor.toLowerCase());
    seen.set(e.gapId, set);
  }
  return new Map([...seen].map(([gapId, set]) => [gapId, set.size]));
}

/**
 * Lists every figure on which two results of the same round disagree, as readable lines
 * (empty when they agree to the wei).
 */
export function compareRounds(expected: RoundResult, actual: RoundResult): string[] {
  const problems: string[] = [];
  const top = ["alpha", "totalIdeal", "budget", "matched", "unspent"] as const;
  for (const key of top) {
    if (expected[key] !== actual[key]) {
      problems.push(`${key}: off-chain ${expected[key]}, on-chain ${actual[key]}`);
    }
  }
  const byLabel = new Map(actual.gaps.map((g) => [g.gap, g]));
  for (const g of expected.gaps) {
    const other = byLabel.get(g.gap);
    if (!other) {
      problems.push(`gap ${g.gap}: missing on-chain`);
      continue;
    }
    const fields = ["contributors", "direct", "sumSqrt", "idealMatch", "match", "payout"] as const;
    for (const key of fields) {
      if (g[key] !== other[key]) {
        problems.push(`gap ${g.gap} ${key}: off-chain ${g[key]}, on-chain ${other[key]}`);
      }
    }
  }
  if (actual.gaps.length !== expected.gaps.length) {
    problems.push(`gap count: off-chain ${expected.gaps.length}, on-chain ${actual.gaps.length}`);
  }
  // alpha is a pure function of T and the budget: check the chain's report against it too.
  if (actual.alpha !== alphaWad(actual.totalIdeal, actual.budget)) {
    problems.push(`alpha on-chain ${actual.alpha} does not follow from T and the budget`);
  }
  return problems;
}

export interface KeeperReport {
  round: bigint;
  gapsFunded: bigint;
  budget: bigint;
  totalIdeal: bigint;
  alphaWad: bigint;
}

/**
 * The keeper's pass: finalizes, oldest first, every round from `fromRound` up to the last ended
 * one that has contributions and is still open. Rounds without contributions are left alone
 * (finalizing them would only spend gas). Returns what it finalized.
 */
export async function finalizeEndedRounds(
  conn: Connection,
  qf: QfContract,
  fromRound: bigint,
  log: (line: string) => void = () => {},
): Promise<KeeperReport[]> {
  const publicClient = await conn.viem.getPublicClient();
  const current = await qf.read.currentRound();
  const done: KeeperReport[] = [];
  for (let round = fromRound; round < current; round++) {
    const info = await qf.read.roundInfo([round]);
    if (ROUND_STATUS[info.status] !== "Open" || info.contributions === 0n) continue;
    const hash = await qf.write.finalize([round]);
    await publicClient.waitForTransactionReceipt({ hash });
    const after = await qf.read.roundInfo([round]);
    const report = {
      round,
      gapsFunded: after.gapsFunded,
      budget: after.budget,
      totalIdeal: after.totalIdeal,
      alphaWad: after.alphaWad,
    };
    log(
      `finalized round ${round}: ${after.gapsFunded} gaps, budget ${after.budget}, ` +
        `T ${after.totalIdeal}, alpha ${after.alphaWad}`,
    );
    done.push(report);
  }
  return done;
}
