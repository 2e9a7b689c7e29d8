/**
 * Deep Funding tasks: `df:import` (register the data set's nodes, seeds and edges on the
 * dependency graph), `df:propose` (propose an edge with a bond) and `df:claim` (pay what the
 * funding pot owes nodes). Addresses default to this network's Ignition deployment (module
 * "DeepFunding").
 *
 * The chain work lives in exported functions (`importGraph`, `proposeEdge`, `claimNodes`) that
 * take a network connection, so that tests run them on their own connection.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

import type { ContractReturnType } from "@nomicfoundation/hardhat-viem/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatUnits, getAddress, keccak256, maxUint256, type Address, type Hex } from "viem";

import {
  DATA_FILES,
  DEFAULT_DATA_DIR,
  checkWeightSums,
  nodeId,
  readDependencyWeights,
  readSeedList,
  shortName,
  type DependencyGraph,
} from "../src/graph.js";
import type { Connection, Wallet } from "../src/qfChain.js";
import {
  UsageError,
  findDeployed,
  formatTokens,
  parseAddress,
  printTable,
  runTask,
} from "./common.js";

export type GraphContract = ContractReturnType<"DependencyGraph">;
export type PotContract = ContractReturnType<"FundingPot">;

/** `IDependencyGraph.EdgeStatus`. */
export const EDGE_STATUS = ["None", "Proposed", "Funded", "Dropped"] as const;

const PROPOSED = 1;
const FUNDED = 2;

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/**
 * The placeholder payout address of a node imported without `--payout`: the last 20 bytes of
 * keccak256(id). Nobody holds its key; the registrar or the node moves it with `setPayout`.
 */
export function placeholderPayout(id: Hex): Address {
  return getAddress(`0x${keccak256(id).slice(-40)}`);
}

/** A node given as a 0x-prefixed 32-byte id or as a name (its id is `nodeId(name)`). */
export function parseNode(value: string, name: string): { id: Hex; label: string } {
  if (value === "") throw new UsageError(`--${name} URL|0xID is required`);
  if (/^0x[0-9a-fA-F]{64}$/.test(value)) return { id: value.toLowerCase() as Hex, label: value };
  if (/^0x[0-9a-fA-F]*$/.test(value)) {
    throw new UsageError(`--${name} must be a URL or a 32-byte id (0x + 64 hex), got "${value}"`);
  }
  return { id: nodeId(value), label: shortName(value) };
}

function parseCount(value: string, name: string): number | undefined {
  if (value === "") return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`--${name} must be a positive whole number, got "${value}"`);
  }
  return Number(value);
}

/** Sends a write and waits for it. */
export async function send(conn: Connection, hash: Promise<Hex>): Promise<void> {
  const publicClient = await conn.viem.getPublicClient();
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") {
    throw new UsageError(`transaction ${receipt.transactionHash} failed`);
  }
}

/**
 * Checks that `wallet` holds `amount` of `token` (else a UsageError with `short(balance)`) and
 * that `spender` may pull it, approving `approval` (default: unlimited) when it may not.
 */
export async function readyToPay(
  conn: Connection,
  token: ContractReturnType<"TestToken">,
  wallet: Wallet,
  spender: Address,
  amount: bigint,
  short: (balance: bigint) => string,
  approval: bigint = maxUint256,
): Promise<void> {
  const me = getAddress(wallet.account.address);
  const balance = await token.read.balanceOf([me]);
  if (balance < amount) throw new UsageError(short(balance));
  if ((await token.read.allowance([me, spender])) < amount) {
    await send(conn, token.write.approve([spender, approval], { account: wallet.account }));
  }
}

/** The sending wallet: the network's account number `index` (default the first). */
export async function sender(conn: Connection, index: string): Promise<Wallet> {
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

async function connectGraph(
  hre: HardhatRuntimeEnvironment,
  option: string,
): Promise<{ conn: Connection; graph: GraphContract }> {
  if (option !== "") parseAddress(option, "graph");
  const conn = await hre.network.create();
  const at = await findDeployed(hre, conn, option, ["DeepFunding#DependencyGraph"]);
  return { conn, graph: await conn.viem.getContractAt("DependencyGraph", at) };
}

// ------------------------------------------------------------------------------------------
// Import
// ------------------------------------------------------------------------------------------

/** The Deep Funding data as loaded by src/graph.ts. */
export interface ImportData {
  /** The target's seeds (a seed list file). */
  seeds: readonly string[];
  /** The dependency weights (parents with their children). */
  dependencies: DependencyGraph;
}

export interface ImportOptions {
  /** Import only the first this many seeds (and the edges under them). */
  limitSeeds?: number;
  /** Payout address of every new node (default: `placeholderPayout` of its id). */
  payout?: Address;
  /** The registrar's wallet (default: the connection's first account). */
  account?: Wallet;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** What an import will do, before looking at the chain. */
export interface ImportPlan {
  /** Names (first spelling seen), distinct without case: the seeds, then the other nodes. */
  nodes: string[];
  seeds: string[];
  edges: { parent: string; child: string }[];
  /** Edges whose parent is not an imported seed (the graph holds only the seeds' children). */
  skipped: { parent: string; child: string }[];
}

/**
 * The nodes, seeds and edges to import: the first `limitSeeds` seeds (default all), every edge
 * of the weights file whose parent is one of them (file order), and as nodes the seeds, the
 * ends of those edges and, when no limit is set, every other node of the weights file (so that
 * edges can later be proposed to them). Edges under other parents are `skipped`.
 */
export function planImport(data: ImportData, limitSeeds?: number): ImportPlan {
  const seeds = data.seeds.slice(0, limitSeeds ?? data.seeds.length);
  const seedKeys = new Set(seeds.map((s) => s.toLowerCase()));
  const nodes = new Map<string, string>();
  const addNode = (name: string) => {
    if (!nodes.has(name.toLowerCase())) nodes.set(name.toLowerCase(), name);
  };
  seeds.forEach(addNode);
  const edges: ImportPlan["edges"] = [];
  const skipped: ImportPlan["skipped"] = [];
  for (const [parent, list] of data.dependencies.parents) {
    for (const { child } of list) {
      if (seedKeys.has(parent.toLowerCase())) {
        edges.push({ parent, child });
        addNode(parent);
        addNode(child);
      } else {
        skipped.push({ parent, child });
        if (limitSeeds === undefined) {
          addNode(parent);
          addNode(child);
        }
      }
    }
  }
  return { nodes: [...nodes.values()], seeds, edges, skipped };
}

/** Counts of an import: what it added and what was there already. */
export interface ImportSummary {
  nodes: { added: number; present: number };
  seeds: { added: number; present: number };
  edges: { added: number; present: number; skipped: number };
}

/**
 * Imports `data` into `graph` as the registrar (see `planImport`): registers the nodes not yet
 * registered (id `nodeId(name)`, metadata the name), adds the seeds not yet seeds, then the
 * edges not yet live (`addEdge`, no bond). Everything is checked with the views first, so a
 * second run sends nothing.
 */
export async function importGraph(
  conn: Connection,
  graph: GraphContract,
  data: ImportData,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const plan = planImport(data, options.limitSeeds);
  const account = (options.account ?? (await conn.viem.getWalletClients())[0]).account;
  const log = options.log ?? (() => {});
  const summary: ImportSummary = {
    nodes: { added: 0, present: 0 },
    seeds: { added: 0, present: 0 },
    edges: { added: 0, present: 0, skipped: plan.skipped.length },
  };

  for (const [i, name] of plan.nodes.entries()) {
    const id = nodeId(name);
    const [, , registered] = await graph.read.nodeInfo([id]);
    if (registered) {
      summary.nodes.present++;
    } else {
      const payout = options.payout ?? placeholderPayout(id);
      await send(conn, graph.write.registerNode([id, payout, name], { account }));
      summary.nodes.added++;
    }
    if ((i + 1) % 50 === 0) log(`nodes: ${i + 1}/${plan.nodes.length}`);
  }
  for (const name of plan.seeds) {
    const id = nodeId(name);
    if (await graph.read.isSeed([id])) {
      summary.seeds.present++;
    } else {
      await send(conn, graph.write.addSeed([id], { account }));
      summary.seeds.added++;
    }
  }
  log(`seeds: ${plan.seeds.length}`);
  for (const [i, { parent, child }] of plan.edges.entries()) {
    const [p, c] = [nodeId(parent), nodeId(child)];
    const { status } = await graph.read.edge([p, c]);
    if (status === PROPOSED || status === FUNDED) {
      summary.edges.present++;
    } else {
      await send(conn, graph.write.addEdge([p, c], { account }));
      summary.edges.added++;
    }
    if ((i + 1) % 50 === 0) log(`edges: ${i + 1}/${plan.edges.length}`);
  }
  return summary;
}

// ------------------------------------------------------------------------------------------
// Proposals and claims
// ------------------------------------------------------------------------------------------

/**
 * Proposes the edge parent -> child as `wallet`, approving the bond first if needed. Checks
 * with the views before sending: both nodes registered, the parent a seed, the edge not live,
 * the bond held. Returns the bond paid.
 */
export async function proposeEdge(
  conn: Connection,
  graph: GraphContract,
  parent: { id: Hex; label: string },
  child: { id: Hex; label: string },
  wallet: Wallet,
): Promise<bigint> {
  for (const node of [parent, child]) {
    const [, , registered] = await graph.read.nodeInfo([node.id]);
    if (!registered) throw new UsageError(`unknown node ${node.label} (${node.id})`);
  }
  if (!(await graph.read.isSeed([parent.id]))) {
    throw new UsageError(`${parent.label} is not a seed: edges hang from seeds only`);
  }
  const { status } = await graph.read.edge([parent.id, child.id]);
  if (status === PROPOSED || status === FUNDED) {
    throw new UsageError(
      `the edge ${parent.label} -> ${child.label} is already live (${EDGE_STATUS[status]})`,
    );
  }
  const bond = await graph.read.edgeBond();
  const token = await conn.viem.getContractAt("TestToken", await graph.read.token());
  const me = getAddress(wallet.account.address);
  await readyToPay(
    conn,
    token,
    wallet,
    graph.address,
    bond,
    (balance) =>
      `the bond is ${formatUnits(bond, 18)} tokens; ${me} holds ${formatUnits(balance, 18)}`,
  );
  await send(conn, graph.write.proposeEdge([parent.id, child.id], { account: wallet.account }));
  return bond;
}

/** The ids of every node the graph registered (from its `NodeRegistered` events). */
export async function registeredNodes(graph: GraphContract): Promise<Hex[]> {
  const events = await graph.getEvents.NodeRegistered({}, { fromBlock: 0n });
  return events.map((e) => e.args.node).filter((id): id is Hex => id !== undefined);
}

/**
 * Claims what `pot` owes `nodes` (those owed nothing are left out; several at once through
 * `claimMany`). Returns each claimed node with its amount and payout address.
 */
export async function claimNodes(
  conn: Connection,
  pot: PotContract,
  graph: GraphContract,
  nodes: readonly Hex[],
  wallet: Wallet,
): Promise<{ node: Hex; amount: bigint; payout: Address; metadata: string }[]> {
  const owed = [];
  for (const node of nodes) {
    const amount = await pot.read.owed([node]);
    if (amount > 0n) {
      const [payout, metadata] = await graph.read.nodeInfo([node]);
      owed.push({ node, amount, payout, metadata });
    }
  }
  if (owed.length === 1) {
    await send(conn, pot.write.claim([owed[0].node], { account: wallet.account }));
  } else if (owed.length > 1) {
    const ids = owed.map((o) => o.node);
    await send(conn, pot.write.claimMany([ids], { account: wallet.account }));
  }
  return owed;
}

// ------------------------------------------------------------------------------------------
// Tasks
// ------------------------------------------------------------------------------------------

interface ImportArgs {
  seeds: string;
  weights: string;
  limitSeeds: string;
  payout: string;
  account: string;
  graph: string;
}

export async function importTask(args: ImportArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    const seedsFile = args.seeds === "" ? join(DEFAULT_DATA_DIR, DATA_FILES.seeds) : args.seeds;
    const weightsFile =
      args.weights === "" ? join(DEFAULT_DATA_DIR, DATA_FILES.weights) : args.weights;
    for (const [file, name] of [
      [seedsFile, "seeds"],
      [weightsFile, "weights"],
    ] as const) {
      if (!existsSync(file)) throw new UsageError(`--${name}: no such file ${file}`);
    }
    const limitSeeds = parseCount(args.limitSeeds, "limit-seeds");
    const payout = args.payout === "" ? undefined : parseAddress(args.payout, "payout");
    const data = {
      seeds: readSeedList(seedsFile),
      dependencies: readDependencyWeights(weightsFile),
    };
    const { conn, graph } = await connectGraph(hre, args.graph);
    const account = await sender(conn, args.account);

    const issues = checkWeightSums(data.dependencies);
    for (const issue of issues) {
      console.log(
        `warning: the ${issue.count} weights of ${shortName(issue.parent)} sum to ${issue.sum}, not 1`,
      );
    }
    const summary = await importGraph(conn, graph, data, {
      limitSeeds,
      payout,
      account,
      log: (line) => console.log(line),
    });
    printTable(
      ["", "added", "already present"],
      [
        ["nodes", String(summary.nodes.added), String(summary.nodes.present)],
        ["seeds", String(summary.seeds.added), String(summary.seeds.present)],
        ["edges", String(summary.edges.added), String(summary.edges.present)],
      ],
    );
    if (summary.edges.skipped > 0) {
      console.log(`${summary.edges.skipped} edges skipped: their parent is not an imported seed`);
    }
  });
}

interface ProposeArgs {
  parent: string;
  child: string;
  account: string;
  graph: string;
}

export async function proposeTask(args: ProposeArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    const parent = parseNode(args.parent, "parent");
    const child = parseNode(args.child, "child");
    const { conn, graph } = await connectGraph(hre, args.graph);
    const wallet = await sender(conn, args.account);
    const bond = await proposeEdge(conn, graph, parent, child, wallet);
    console.log(
      `proposed ${parent.label} -> ${child.label} with a bond of ${formatTokens(bond)} tokens`,
    );
  });
}

interface ClaimArgs {
  node: string;
  all: boolean;
  account: string;
  pot: string;
  graph: string;
}

export async function claimTask(args: ClaimArgs, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    if (args.all === (args.node !== "")) {
      throw new UsageError("pass exactly one of --node URL|0xID and --all");
    }
    const node = args.all ? undefined : parseNode(args.node, "node");
    if (args.pot !== "") parseAddress(args.pot, "pot");
    if (args.graph !== "") parseAddress(args.graph, "graph");
    const conn = await hre.network.create();
    const potAt = await findDeployed(hre, conn, args.pot, ["DeepFunding#FundingPot"]);
    const pot = await conn.viem.getContractAt("FundingPot", potAt);
    const graphAt =
      args.graph === "" ? await pot.read.REGISTRY() : parseAddress(args.graph, "graph");
    const graph = await conn.viem.getContractAt("DependencyGraph", graphAt);
    const wallet = await sender(conn, args.account);
    let nodes: Hex[];
    if (node === undefined) {
      nodes = await registeredNodes(graph);
    } else {
      const [, , registered] = await graph.read.nodeInfo([node.id]);
      if (!registered) throw new UsageError(`unknown node ${node.label} (${node.id})`);
      if ((await pot.read.owed([node.id])) === 0n) {
        throw new UsageError(`the pot owes ${node.label} nothing`);
      }
      nodes = [node.id];
    }
    const claimed = await claimNodes(conn, pot, graph, nodes, wallet);
    if (claimed.length === 0) {
      console.log("the pot owes no node anything");
      return;
    }
    printTable(
      ["node", "payout", "amount"],
      claimed.map((c) => [shortName(c.metadata), c.payout, formatTokens(c.amount)]),
    );
    const total = claimed.reduce((s, c) => s + c.amount, 0n);
    console.log(`claimed ${formatTokens(total)} tokens for ${claimed.length} nodes`);
  });
}
