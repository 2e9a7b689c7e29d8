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
