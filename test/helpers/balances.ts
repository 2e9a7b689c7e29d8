import { expect } from "chai";
import type { Address } from "viem";

/** Anything with an ERC-20 style `balanceOf(address)` read. */
export interface BalanceReader {
  read: { balanceOf: (args: readonly [Address]) => Promise<bigint> };
}

/** Runs `action` and returns the token balance change of each address. */
export async function balanceDeltas(
  token: BalanceReader,
  addresses: readonly Address[],
  action: () => Promise<unknown>,
): Promise<bigint[]> {
  const before = await Promise.all(addresses.map((a) => token.read.balanceOf([a])));
  await action();
  const after = await Promise.all(addresses.map((a) => token.read.balanceOf([a])));
  return after.map((b, i) => b - before[i]);
}

/** Runs `action` and checks the token balance change of each listed address. */
export async function expectTokenChanges(
  token: BalanceReader,
  action: () => Promise<unknown>,
  changes: readonly { address: Address; amount: bigint }[],
): Promise<void> {
  const deltas = await balanceDeltas(
    token,
    changes.map((c) => c.address),
    action,
  );
  expect(deltas).to.deep.equal(changes.map((c) => c.amount));
}
