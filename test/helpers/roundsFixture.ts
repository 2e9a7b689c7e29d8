/**
 * Fixtures for the Deep Funding round tests: the Ignition module `DeepFundingRounds` (vault,
 * maker, jury, graph, pot, rounds) with a small configurable graph, a funded budget, registered
 * jurors, and traders who hold tokens and have approved the vault and the maker.
 */
import type { NetworkConnection } from "hardhat/types/network";
import { keccak256, maxUint256, parseEther, stringToHex, type Address, type Hex } from "viem";

import DeepFundingRoundsModule, {
  DEFAULT_ROUND_CONFIG,
} from "../../ignition/modules/DeepFundingRounds.js";

export const ONE = 10n ** 18n;
export type RoundConfig = {
  -readonly [K in keyof typeof DEFAULT_ROUND_CONFIG]: (typeof DEFAULT_ROUND_CONFIG)[K] extends bigint
    ? bigint
    : number;
};

/** The node id of a test name (as src/graph.ts `nodeId` for lower-case names). */
export function id(name: string): Hex {
  return keccak256(stringToHex(name));
}

/** A payout address per node name. */
export function payoutOf(name: string): Address {
  return `0x${id(`payout:${name}`).slice(26)}` as Address;
}

export interface GraphSpec {
  /** Seed name -> child names. */
  [seed: string]: readonly string[];
}

export const SMALL_GRAPH: GraphSpec = {
  s0: ["a", "b", "c"],
  s1: ["b", "d"],
  s2: ["e"],
};

/** Test settings: a one-day round, 1 jury fee, short jury windows. */
export function testConfig(overrides: Partial<RoundConfig> = {}): RoundConfig {
  return {
    ...(DEFAULT_ROUND_CONFIG as unknown as RoundConfig),
    period: 24 * 3600,
    commitDuration: 3600,
    revealDuration: 3600,
    ...overrides,
  };
}

export async function registerGraph(
  deployed: Awaited<ReturnType<typeof deployRounds>>["deployed"],
  spec: GraphSpec,
) {
  const { graph } = deployed;
  const names = new Set<string>();
  for (const [seed, kids] of Object.entries(spec)) {
    names.add(seed);
    for (const k of kids) names.add(k);
  }
  for (const name of names) {
    const [, , registered] = await graph.read.nodeInfo([id(name)]);
    if (!registered) await graph.write.registerNode([id(name), payoutOf(name), name]);
  }
  for (const [seed, kids] of Object.entries(spec)) {
    if (!(await graph.read.isSeed([id(seed)]))) await graph.write.addSeed([id(seed)]);
    for (const k of kids) {
      const e = await graph.read.edge([id(seed), id(k)]);
      if (e.status === 0 || e.status === 3) await graph.write.addEdge([id(seed), id(k)]);
    }
  }
}

export async function deployRounds(
  conn: NetworkConnection,
  options: { config?: Partial<RoundConfig>; graph?: GraphSpec; budget?: bigint } = {},
) {
  const config = testConfig(options.config);
  const deployed = await conn.ignition.deploy(DeepFundingRoundsModule, {
    displayUi: false,
    parameters: { DeepFundingRounds: { config } },
  });
  const wallets = await conn.viem.getWalletClients();
  const [admin] = wallets;
  const { token, rounds, vault, maker, graph, jury } = deployed;
  await registerGraph(deployed, options.graph ?? SMALL_GRAPH);
  const budget = options.budget ?? parseEther("10000");
  await token.write.mint([admin.account.address, budget + parseEther("1000000")]);
  await token.write.approve([rounds.address, maxUint256]);
  await token.write.approve([deployed.pot.address, maxUint256]);
  if (budget > 0n) await rounds.write.fundBudget([budget]);
  // Traders: wallets 1..4 hold tokens and approved the vault (collateral), the maker (positions),
  // the graph (bonds) and the rounds contract (evaluation fees).
  const traders = wallets.slice(1, 5).map((w) => w.account.address);
  for (const who of traders) {
    await token.write.mint([who, parseEther("100000")]);
    for (const spender of [vault.address, rounds.address, graph.address]) {
      await token.write.approve([spender, maxUint256], { account: who });
    }
    await vault.write.setApprovalForAll([maker.address, true], { account: who });
  }
  // Jurors: wallets 5..9, registered (no minimum stake in the test configuration).
  const jurors = wallets.slice(5, 10).map((w) => w.account.address);
  for (const j of jurors) await jury.write.addJuror([j]);
  return { conn, deployed, config, wallets, admin, traders, jurors, ...deployed };
}
