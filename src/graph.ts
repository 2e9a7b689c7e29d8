/**
 * Deep Funding dependency graphs: loaders for the data files, node ids, and the exact
 * distribution of a pot through a target's seeds to their children.
 *
 * The distribution works on `bigint` wei amounts and 18-decimal fixed-point weights and is the
 * integer arithmetic the distributor contract performs, step for step:
 *
 *   SW          = sum over seeds of W_s                      (must be > 0)
 *   share_s     = floor(F * W_s / SW)
 *   funded(s)   = the top MAX_FUNDED_CHILDREN children of s by weight (see `rankChildren`)
 *   SK_s        = sum of the funded children's weights
 *   kept_s      = floor(share_s * OS_s / 1e18), or share_s when SK_s = 0
 *   passed_s    = share_s - kept_s
 *   child_c     = floor(passed_s * w_c / SK_s)   for funded c; 0 for the others ("dropped")
 *
 * A node reached through several parents (or a seed that is also a child) sums its shares.
 * Every step rounds down, so the sum paid never exceeds the pot; the rest is dust, and
 * dust <= floorOps - 1 where floorOps counts the floors that produced a share (one per seed, one
 * per funded child of a seed whose funded weight is positive).
 *
 * Data files (copies of the Deep Funding data set are in `data/deepfunding/`):
 *   - a seed list: a JSON array of repository URLs (`seed_repos_v2.json`);
 *   - dependency weights: a CSV with the header `repo,parent,weight` (repo = child) or the
 *     Deep Funding header `repo_url,dep_url,user_weight` (repo_url = parent, dep_url = child);
 *   - juror comparisons (`juror_pairs_trial.csv`): only its repo_a and repo_b columns are read
 *     here, as a source of repository names.
 * Problems with a file throw an `InputError` (see `src/qfInput.ts`) naming the file and the
 * line or JSON index.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { type Hex, keccak256, toBytes } from "viem";

import { WAD } from "./qf.js";
import { InputError } from "./qfInput.js";

export { WAD };

/** At most this many children of a node are funded; the others are dropped. */
export const MAX_FUNDED_CHILDREN = 128;

/**
 * The repository's copy of the Deep Funding data set (`data/deepfunding/`). Pass another
 * directory to the loaders when the data live elsewhere.
 */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL("../data/deepfunding/", import.meta.url));

/** File names of the Deep Funding data set. */
export const DATA_FILES = {
  seeds: "seed_repos_v2.json",
  weights: "dependency_weights_eval.csv",
  jurorPairs: "juror_pairs_trial.csv",
} as const;

// ------------------------------------------------------------------------------------------
// Names and ids
// ------------------------------------------------------------------------------------------

/**
 * The 32-byte id of a node: keccak256 of the UTF-8 bytes of its lower-cased name. Names that
 * differ only in case are the same node everywhere in this module.
 */
export function nodeId(name: string): Hex {
  return keccak256(toBytes(name.toLowerCase()));
}

/** The key under which names are compared (the preimage of `nodeId`). */
function nodeKey(name: string): string {
  return name.toLowerCase();
}

/**
 * A short readable name: "https://github.com/ethereum/eips" -> "ethereum/eips". Other hosts
 * keep their host ("https://gitlab.com/a/b" -> "gitlab.com/a/b"); a trailing "/" or ".git" is
 * dropped; a string that is not a URL is returned as it is.
 */
export function shortName(url: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(?:www\.)?(.*)$/i.exec(url.trim());
  if (match === null) return url;
  let rest = match[1].replace(/\/+$/, "").replace(/\.git$/i, "");
  if (/^github\.com\//i.test(rest)) rest = rest.slice("github.com/".length);
  return rest === "" ? url : rest;
}

// ------------------------------------------------------------------------------------------
// Fixed point
// ------------------------------------------------------------------------------------------

/**
 * A weight as an 18-decimal fixed-point bigint: the number's shortest decimal form (what
 * `String(weight)` prints, e.g. "0.0109359142" or "2.3e-7") rounded to 18 decimals, half up.
 * @throws RangeError for a negative or non-finite weight.
 */
export function toFixed(weight: number): bigint {
  if (!Number.isFinite(weight) || weight < 0) {
    throw new RangeError(`toFixed: expected a finite weight >= 0, got ${weight}`);
  }
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(weight));
  if (match === null) throw new RangeError(`toFixed: cannot read ${weight}`);
  const digits = match[1] + (match[2] ?? "");
  // value = digits * 10^exponent
  const exponent = Number(match[3] ?? "0") - (match[2]?.length ?? 0);
  const shift = exponent + 18;
  if (shift >= 0) return BigInt(digits) * 10n ** BigInt(shift);
  const divisor = 10n ** BigInt(-shift);
  const quotient = BigInt(digits) / divisor;
  const remainder = BigInt(digits) % divisor;
  // Half up: the remainder is at least half the divisor.
  return 2n * remainder >= divisor ? quotient + 1n : quotient;
}

/**
 * Scales non-negative numerators to fixed-point weights that sum to exactly 1e18: each gets
 * floor(a_i * 1e18 / A) (A = sum of a_i) and the units left over go one each to the largest
 * remainders a_i * 1e18 mod A (ties: the earlier index). A zero numerator stays zero.
 * @throws RangeError if a numerator is negative or all are zero.
 */
export function scaleToWad(numerators: readonly bigint[]): bigint[] {
  let total = 0n;
  numerators.forEach((a, i) => {
    if (a < 0n) throw new RangeError(`scaleToWad: numerator ${i} is negative (${a})`);
    total += a;
  });
  if (total === 0n) throw new RangeError("scaleToWad: the numerators sum to zero");
  const out = numerators.map((a) => (a * WAD) / total);
  const remainders = numerators.map((a) => (a * WAD) % total);
  let left = WAD - out.reduce((s, x) => s + x, 0n);
  // left = sum(remainders) / total < the number of positive remainders, so every unit finds one.
  const order = rankChildren(remainders);
  for (let k = 0; left > 0n; k++, left--) out[order[k]] += 1n;
  return out;
}

// ------------------------------------------------------------------------------------------
// Graph types and loaders
// ------------------------------------------------------------------------------------------

/** A child and the weight of the edge that leads to it: a float from a file or fixed point. */
export interface WeightedChild<W> {
  child: string;
  weight: W;
}

/** An edge parent -> child as read from a weights file, with its (1-based) line. */
export interface DependencyEdge extends WeightedChild<number> {
  parent: string;
  line: number;
}

/** A dependency graph as loaded: float weights in [0, 1], not necessarily summing to 1. */
export interface DependencyGraph {
  source: string;
  /** The header of the file, one of `WEIGHT_HEADERS`. */
  header: string;
  /** Each parent, in order of first appearance, with its edges in file order. */
  parents: Map<string, DependencyEdge[]>;
}

/** A graph with 18-decimal fixed-point weights: parent -> children in order. */
export type FixedGraph = Map<string, WeightedChild<bigint>[]>;

/** Accepted weight-file headers and the column that holds parent, child and weight. */
export const WEIGHT_HEADERS = {
  "repo,parent,weight": { parent: 1, child: 0, weight: 2 },
  "repo_url,dep_url,user_weight": { parent: 0, child: 1, weight: 2 },
} as const;

type WeightHeader = keyof typeof WEIGHT_HEADERS;

function readText(path: string): string {
  try {
    const text = readFileSync(path, "utf8");
    return text.startsWith("\uFEFF") ? text.slice(1) : text;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(path, "", "file not found");
    if (code === "EISDIR") throw new InputError(path, "", "is a directory, not a data file");
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(path, "", `cannot read file: ${reason}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

/**
 * Parses a seed list: a non-empty JSON array of distinct non-empty strings (repository URLs),
 * without surrounding whitespace. Names that differ only in case are duplicates.
 * @throws InputError naming the offending index, e.g. `seeds.json: [3]: ...`.
 */
export function parseSeedList(text: string, source = "seeds"): string[] {
  let root: unknown;
  try {
    root = JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(source, "", `invalid JSON: ${reason}`);
  }
  if (!Array.isArray(root)) {
    throw new InputError(
      source,
      "top level",
      `expected a JSON array of repository URLs, got ${describe(root)}`,
    );
  }
  if (root.length === 0) throw new InputError(source, "top level", "the seed list is empty");
  const seen = new Map<string, number>();
  return root.map((item: unknown, i: number) => {
    const field = `[${i}]`;
    if (typeof item !== "string") {
      throw new InputError(source, field, `expected a non-empty string, got ${describe(item)}`);
    }
    if (item.trim() === "") {
      throw new InputError(source, field, `must not be empty, got ${JSON.stringify(item)}`);
    }
    if (item.trim() !== item) {
      throw new InputError(
        source,
        field,
        `has leading or trailing whitespace: ${JSON.stringify(item)}`,
      );
    }
    const first = seen.get(nodeKey(item));
    if (first !== undefined) {
      throw new InputError(
        source,
        field,
        `duplicate seed ${JSON.stringify(item)} (first at [${first}])`,
      );
    }
    seen.set(nodeKey(item), i);
    return item;
  });
}

/** Reads a seed list file (see `parseSeedList`). */
export function readSeedList(path: string): string[] {
  return parseSeedList(readText(path), path);
}

/**
 * Splits one CSV line into fields: commas separate, a field may be double-quoted with `""`
 * for a quote inside. Returns a string (the problem) for an unterminated or stray quote.
 */
function splitCsvLine(line: string): string[] | string {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    while (line[i] === " " || line[i] === "\t") i++;
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return "unterminated quoted field";
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      while (line[i] === " " || line[i] === "\t") i++;
      if (i < line.length && line[i] !== ",") return "unexpected text after a quoted field";
    } else {
      while (i < line.length && line[i] !== ",") {
        if (line[i] === '"') return "stray quote inside an unquoted field";
        field += line[i++];
      }
    }
    fields.push(field.trim());
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

/** The non-blank lines of a CSV text with their 1-based line numbers. */
function csvLines(text: string): { line: number; text: string }[] {
  return text
    .split(/\r\n|\n|\r/)
    .map((t, i) => ({ line: i + 1, text: t }))
    .filter((l) => l.text.trim() !== "");
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a dependency-weights CSV. Fields are trimmed and may be double-quoted; blank lines
 * are skipped. Each row needs three fields, non-empty parent and child names, and a weight that
 * is a decimal number in [0, 1]; an edge (parent, child) may appear once (names compared without
 * case). A node may list itself (the real data have hardhat -> hardhat): such an edge is kept.
 * Weights out of one parent need not sum to 1: see `checkWeightSums`.
 * @throws InputError naming the file and line, e.g. `weights.csv: line 7: ...`.
 */
export function parseDependencyWeights(text: string, source = "weights"): DependencyGraph {
  const lines = csvLines(text.startsWith("\uFEFF") ? text.slice(1) : text);
  if (lines.length === 0) {
    throw new InputError(source, "", "empty file, expected a header line");
  }
  const headerFields = splitCsvLine(lines[0].text);
  const header = typeof headerFields === "string" ? lines[0].text.trim() : headerFields.join(",");
  const accepted = Object.keys(WEIGHT_HEADERS);
  const key = accepted.find((h) => h === header.toLowerCase()) as WeightHeader | undefined;
  if (key === undefined) {
    throw new InputError(
      source,
      `line ${lines[0].line}`,
      `unknown header ${JSON.stringify(header)} (expected ${accepted
        .map((h) => JSON.stringify(h))
        .join(" or ")})`,
    );
  }
  const columns = WEIGHT_HEADERS[key];
  const names = key.split(",");
  const parents = new Map<string, DependencyEdge[]>();
  const parentKeys = new Map<string, string>();
  const edgeLines = new Map<string, number>();
  for (const { line, text: row } of lines.slice(1)) {
    const field = `line ${line}`;
    const fields = splitCsvLine(row);
    if (typeof fields === "string") throw new InputError(source, field, fields);
    if (fields.length !== names.length) {
      throw new InputError(
        source,
        field,
        `expected ${names.length} columns (${names.join(", ")}), got ${fields.length}`,
      );
    }
    const parent = fields[columns.parent];
    const child = fields[columns.child];
    const weightText = fields[columns.weight];
    if (parent === "") {
      throw new InputError(source, field, `${names[columns.parent]} (the parent) is empty`);
    }
    if (child === "") {
      throw new InputError(source, field, `${names[columns.child]} (the child) is empty`);
    }
    const weightName = names[columns.weight];
    if (!NUMBER.test(weightText)) {
      throw new InputError(
        source,
        field,
        `${weightName}: expected a number in [0, 1], got ${JSON.stringify(weightText)}`,
      );
    }
    const weight = Number(weightText);
    if (!Number.isFinite(weight) || weight < 0 || weight > 1) {
      throw new InputError(
        source,
        field,
        `${weightName}: must be in [0, 1], got ${JSON.stringify(weightText)}`,
      );
    }
    const edgeKey = `${nodeKey(parent)}\n${nodeKey(child)}`;
    const first = edgeLines.get(edgeKey);
    if (first !== undefined) {
      throw new InputError(
        source,
        field,
        `duplicate edge ${parent} -> ${child} (first at line ${first})`,
      );
    }
    edgeLines.set(edgeKey, line);
    let parentName = parentKeys.get(nodeKey(parent));
    if (parentName === undefined) {
      parentName = parent;
      parentKeys.set(nodeKey(parent), parent);
      parents.set(parent, []);
    }
    // `weight + 0` turns a "-0" into 0.
    parents.get(parentName)!.push({ parent: parentName, child, weight: weight + 0, line });
  }
  return { source, header: key, parents };
}

/** Reads a dependency-weights file (see `parseDependencyWeights`). */
export function readDependencyWeights(path: string): DependencyGraph {
  return parseDependencyWeights(readText(path), path);
}

/**
 * The distinct repository names of a juror-comparisons CSV (columns repo_a and repo_b, found by
 * name in the header), in order of first appearance.
 * @throws InputError naming the file and line.
 */
export function parseJurorRepos(text: string, source = "juror pairs"): string[] {
  const lines = csvLines(text.startsWith("\uFEFF") ? text.slice(1) : text);
  if (lines.length === 0) throw new InputError(source, "", "empty file, expected a header line");
  const header = splitCsvLine(lines[0].text);
  if (typeof header === "string") throw new InputError(source, `line ${lines[0].line}`, header);
  const a = header.findIndex((h) => h.toLowerCase() === "repo_a");
  const b = header.findIndex((h) => h.toLowerCase() === "repo_b");
  if (a < 0 || b < 0) {
    throw new InputError(
      source,
      `line ${lines[0].line}`,
      `the header must have columns repo_a and repo_b, got ${JSON.stringify(header.join(","))}`,
    );
  }
  const out = new Map<string, string>();
  for (const { line, text: row } of lines.slice(1)) {
    const fields = splitCsvLine(row);
    if (typeof fields === "string") throw new InputError(source, `line ${line}`, fields);
    if (fields.length !== header.length) {
      throw new InputError(
        source,
        `line ${line}`,
        `expected ${header.length} columns, got ${fields.length}`,
      );
    }
    for (const [column, name] of [
      [header[a], fields[a]],
      [header[b], fields[b]],
    ]) {
      if (name === "") throw new InputError(source, `line ${line}`, `${column} is empty`);
      if (!out.has(nodeKey(name))) out.set(nodeKey(name), name);
    }
  }
  return [...out.values()];
}

/** Reads a juror-comparisons file (see `parseJurorRepos`). */
export function readJurorRepos(path: string): string[] {
  return parseJurorRepos(readText(path), path);
}

/** A parent whose child weights do not sum to 1. */
export interface WeightSumIssue {
  parent: string;
  /** Sum of its child weights (compensated float sum). */
  sum: number;
  /** Number of its children. */
  count: number;
}

/**
 * Reports every parent whose child weights do not sum to 1 within `tolerance` (a report, not
 * an error: the loader accepts such files, the caller decides). Empty when all sums are fine.
 */
export function checkWeightSums(graph: DependencyGraph, tolerance = 1e-6): WeightSumIssue[] {
  const issues: WeightSumIssue[] = [];
  for (const [parent, edges] of graph.parents) {
    // Neumaier summation, so that the report does not depend on the order of the rows.
    let sum = 0;
    let compensation = 0;
    for (const { weight } of edges) {
      const t = sum + weight;
      compensation += Math.abs(sum) >= Math.abs(weight) ? sum - t + weight : weight - t + sum;
      sum = t;
    }
    sum += compensation;
    if (!(Math.abs(sum - 1) <= tolerance)) issues.push({ parent, sum, count: edges.length });
  }
  return issues;
}

/** Counts of a loaded graph. */
export interface GraphStats {
  parents: number;
  edges: number;
  /** Distinct children. */
  children: number;
  /** Distinct nodes (parents and children). */
  nodes: number;
  /** Edges from a node to itself. */
  selfEdges: number;
}

export function graphStats(graph: DependencyGraph): GraphStats {
  const children = new Set<string>();
  const nodes = new Set<string>();
  let edges = 0;
  let selfEdges = 0;
  for (const [parent, list] of graph.parents) {
    nodes.add(nodeKey(parent));
    for (const { child } of list) {
      children.add(nodeKey(child));
      nodes.add(nodeKey(child));
      edges++;
      if (nodeKey(child) === nodeKey(parent)) selfEdges++;
    }
  }
  return {
    parents: graph.parents.size,
    edges,
    children: children.size,
    nodes: nodes.size,
    selfEdges,
  };
}

/**
 * The graph in fixed point, each parent's weights forced to sum to exactly 1e18: every weight
 * goes through `toFixed`, then `scaleToWad` rescales the parent's weights (largest remainder,
 * ties to the earlier row). Children keep file order.
 * @throws RangeError for a parent whose weights are all zero.
 */
export function toFixedGraph(graph: DependencyGraph): FixedGraph {
  const out: FixedGraph = new Map();
  for (const [parent, edges] of graph.parents) {
    const numerators = edges.map((e) => toFixed(e.weight));
    if (numerators.every((a) => a === 0n)) {
      throw new RangeError(`toFixedGraph: all weights of ${parent} are zero`);
    }
    const weights = scaleToWad(numerators);
    out.set(
      parent,
      edges.map((e, i) => ({ child: e.child, weight: weights[i] })),
    );
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// Distribution
// ------------------------------------------------------------------------------------------

/**
 * Indices of `weights` in rank order: heaviest first, equal weights in index order (the earlier
 * ranks higher). Position k of the result holds the child of rank k + 1; ranks 1 to
 * MAX_FUNDED_CHILDREN are funded.
 */
export function rankChildren(weights: readonly bigint[]): number[] {
  return weights
    .map((_, i) => i)
    .sort((i, j) => (weights[i] > weights[j] ? -1 : weights[i] < weights[j] ? 1 : i - j));
}

/** A seed of the target with its weight, originality and children (all in fixed point). */
export interface SeedInput {
  node: string;
  /** W(T -> S), 1e18 = 1. The seeds' weights need not sum to 1e18: they are divided by SW. */
  weight: bigint;
  /** OS(S) in [0, 1e18]: the share of its allocation the seed keeps. */
  originality: bigint;
  /** Children in list order (the order breaks weight ties), weights >= 0 in 1e18 = 1. */
  children: readonly WeightedChild<bigint>[];
}

/** One child of a seed in the distribution. */
export interface ChildShare {
  child: string;
  weight: bigint;
  /** 1 = heaviest; ranks above MAX_FUNDED_CHILDREN are dropped. */
  rank: number;
  funded: boolean;
  /** floor(passed * weight / fundedWeight) if funded (and fundedWeight > 0), else 0. */
  amount: bigint;
}

/** What one seed received and how it was shared. */
export interface SeedShare {
  seed: string;
  /** floor(F * W_s / SW). */
  share: bigint;
  /** floor(share * OS / 1e18), or the whole share when fundedWeight = 0. */
  kept: bigint;
  /** share - kept: what goes to the funded children. */
  passed: bigint;
  /** SK: the sum of the funded children's weights (the divisor of their shares). */
  fundedWeight: bigint;
  /** The children in list order. */
  children: ChildShare[];
  /** passed - the children's amounts: this seed's rounding dust. */
  dust: bigint;
}

/** A child beyond its parent's top MAX_FUNDED_CHILDREN: it gets nothing through this edge. */
export interface DroppedEdge {
  parent: string;
  child: string;
  /** 1-based rank, > MAX_FUNDED_CHILDREN. */
  rank: number;
}

export interface Distribution {
  pot: bigint;
  /** SW: the sum of the seeds' weights. */
  totalSeedWeight: bigint;
  /**
   * What each node receives, summed over every way it is reached, in order of first appearance
   * (seed, then its children, seed by seed); every node of the input is present, 0 if nothing.
   * Keyed by the first spelling of the name (names differing in case are one node).
   */
  payouts: Map<string, bigint>;
  /** The sum of the payouts. */
  distributed: bigint;
  /** pot - distributed >= 0, and dust <= floorOps - 1. */
  dust: bigint;
  /**
   * Number of floors that produced a share: one per seed plus one per funded child of a seed
   * whose funded weight is positive.
   */
  floorOps: number;
  /** Children beyond rank MAX_FUNDED_CHILDREN, seed by seed, in rank order. */
  dropped: DroppedEdge[];
  /** The per-seed breakdown, in input order. */
  seeds: SeedShare[];
}

/**
 * Distributes a pot of `pot` wei through the seeds to their children, exactly as the contract
 * does (see the module comment). Names are compared without case.
 * A seed listed among its own children (a self-edge, as in the data) is paid both ways.
 * @throws RangeError for a negative pot or weight, an originality above 1e18, an empty name, a
 *   duplicate seed, a child listed twice under one seed, and when the seeds' weights sum to zero
 *   (nothing to distribute).
 */
export function distribute(pot: bigint, seeds: readonly SeedInput[]): Distribution {
  const fail = (detail: string): never => {
    throw new RangeError(`distribute: ${detail}`);
  };
  if (pot < 0n) fail(`the pot must not be negative, got ${pot}`);
  let totalSeedWeight = 0n;
  const seedIndex = new Map<string, number>();
  seeds.forEach((s, i) => {
    const at = `seeds[${i}]`;
    if (s.node === "") fail(`${at}.node is empty`);
    if (s.weight < 0n) fail(`${at}.weight must not be negative, got ${s.weight}`);
    if (s.originality < 0n || s.originality > WAD) {
      fail(`${at}.originality must be in [0, 1e18], got ${s.originality}`);
    }
    const first = seedIndex.get(nodeKey(s.node));
    if (first !== undefined) fail(`${at}: duplicate seed ${s.node} (first at seeds[${first}])`);
    seedIndex.set(nodeKey(s.node), i);
    const children = new Set<string>();
    s.children.forEach((c, j) => {
      const cat = `${at}.children[${j}]`;
      if (c.child === "") fail(`${cat}.child is empty`);
      if (c.weight < 0n) fail(`${cat}.weight must not be negative, got ${c.weight}`);
      if (children.has(nodeKey(c.child))) fail(`${cat}: ${c.child} is listed twice`);
      children.add(nodeKey(c.child));
    });
    totalSeedWeight += s.weight;
  });
  if (totalSeedWeight === 0n) fail("the seeds' weights sum to zero: nothing to distribute");

  const payouts = new Map<string, bigint>();
  const names = new Map<string, string>();
  const credit = (node: string, amount: bigint): void => {
    let name = names.get(nodeKey(node));
    if (name === undefined) {
      name = node;
      names.set(nodeKey(node), node);
    }
    payouts.set(name, (payouts.get(name) ?? 0n) + amount);
  };

  let floorOps = 0;
  const dropped: DroppedEdge[] = [];
  const shares: SeedShare[] = seeds.map((s) => {
    // Rounds down: the seeds together never receive more than the pot.
    const share = (pot * s.weight) / totalSeedWeight;
    floorOps++;
    const order = rankChildren(s.children.map((c) => c.weight));
    const rank = new Array<number>(order.length);
    order.forEach((index, k) => (rank[index] = k + 1));
    let fundedWeight = 0n;
    for (const index of order.slice(0, MAX_FUNDED_CHILDREN)) {
      fundedWeight += s.children[index].weight;
    }
    // Rounds down: the seed keeps at most its share; `passed` is exact.
    const kept = fundedWeight === 0n ? share : (share * s.originality) / WAD;
    const passed = share - kept;
    credit(s.node, kept);
    let paid = 0n;
    const children = s.children.map((c, index): ChildShare => {
      const funded = rank[index] <= MAX_FUNDED_CHILDREN;
      let amount = 0n;
      if (funded && fundedWeight > 0n) {
        // Rounds down: the children together never receive more than `passed`.
        amount = (passed * c.weight) / fundedWeight;
        floorOps++;
      }
      paid += amount;
      credit(c.child, amount);
      return { child: c.child, weight: c.weight, rank: rank[index], funded, amount };
    });
    for (const index of order.slice(MAX_FUNDED_CHILDREN)) {
      dropped.push({ parent: s.node, child: s.children[index].child, rank: rank[index] });
    }
    return { seed: s.node, share, kept, passed, fundedWeight, children, dust: passed - paid };
  });

  let distributed = 0n;
  for (const amount of payouts.values()) distributed += amount;
  const dust = pot - distributed;
  if (dust < 0n || (dust > 0n && BigInt(floorOps) <= dust)) {
    // Cannot happen: every step rounds down, and each floor loses less than one wei.
    throw new Error(`distribute: internal error, dust ${dust} with ${floorOps} floors`);
  }
  return {
    pot,
    totalSeedWeight,
    payouts,
    distributed,
    dust,
    floorOps,
    dropped,
    seeds: shares,
  };
}

// ------------------------------------------------------------------------------------------
// Demo graphs from the real data
// ------------------------------------------------------------------------------------------

/** Originality of the demo's seeds, cycled in seed order (1e18 = 1). */
export const DEMO_ORIGINALITY: readonly bigint[] = [
  WAD / 2n,
  (WAD * 3n) / 10n,
  (WAD * 7n) / 10n,
  (WAD * 2n) / 5n,
  (WAD * 3n) / 5n,
];

export interface DemoOptions {
  /** Number of seeds, default 10. */
  seeds?: number;
  /** Children per seed, default 3. */
  childrenPerSeed?: number;
}

export interface DemoData {
  seedRepos: readonly string[];
  dependencies: DependencyGraph;
  /** Extra child names, used only when the dependencies have too few (see `buildDemoGraph`). */
  jurorRepos?: readonly string[] | (() => readonly string[]);
}

export interface DemoGraph {
  /** Seed weights sum to 1e18; each seed's child weights sum to 1e18. */
  seeds: SeedInput[];
  /** Edges copied from the dependency data (with their rescaled weights). */
  edgesFromData: number;
  /** Edges made up to give every seed its children. */
  madeUpEdges: number;
}

/**
 * Picks a deterministic demo graph from the data:
 *   - seeds: first the seed-list repositories that are parents in the dependency data, then the
 *     others, each group in seed-list order; weights proportional to n, n - 1, ..., 1 (scaled to
 *     sum to 1e18); originality cycles through DEMO_ORIGINALITY;
 *   - a seed that is a parent in the data gets its heaviest `childrenPerSeed` dependencies with
 *     their weights (such a child may be another seed: the data say so); when it has fewer, and
 *     for every other seed, made-up edges fill up to `childrenPerSeed`, to distinct names taken
 *     in order from the data's children that are not seeds of the demo and not used yet, then
 *     from the juror repositories likewise, then (when all are used) again from the start, so
 *     that names are shared. A made-up edge weighs the lightest data weight of that seed, or,
 *     for a seed without data, k, k - 1, ..., 1. Each seed's child weights are scaled to 1e18.
 * @throws RangeError for a count out of range.
 */
export function buildDemoGraph(data: DemoData, options: DemoOptions = {}): DemoGraph {
  const seedCount = options.seeds ?? 10;
  const perSeed = options.childrenPerSeed ?? 3;
  if (!Number.isInteger(seedCount) || seedCount < 1 || seedCount > data.seedRepos.length) {
    throw new RangeError(
      `demo graph: seeds must be an integer in [1, ${data.seedRepos.length}], got ${seedCount}`,
    );
  }
  if (!Number.isInteger(perSeed) || perSeed < 0) {
    throw new RangeError(
      `demo graph: childrenPerSeed must be a non-negative integer, got ${perSeed}`,
    );
  }
  const deps = new Map<string, DependencyEdge[]>();
  for (const [parent, edges] of data.dependencies.parents) deps.set(nodeKey(parent), edges);
  const withData = data.seedRepos.filter((s) => deps.has(nodeKey(s)));
  const withoutData = data.seedRepos.filter((s) => !deps.has(nodeKey(s)));
  const chosen = [...withData, ...withoutData].slice(0, seedCount);
  const seedKeys = new Set(chosen.map(nodeKey));

  // Children from the data first.
  const used = new Set<string>();
  const dataChildren = chosen.map((seed) => {
    const edges = deps.get(nodeKey(seed)) ?? [];
    const order = rankChildren(edges.map((e) => toFixed(e.weight)));
    const picked = order.slice(0, perSeed).map((i) => edges[i]);
    for (const e of picked) used.add(nodeKey(e.child));
    return picked;
  });

  // Names for made-up edges: the data's children, then (only if too few) the juror repositories.
  const pool: string[] = [];
  const poolKeys = new Set<string>();
  const addToPool = (name: string): void => {
    const key = nodeKey(name);
    if (seedKeys.has(key) || used.has(key) || poolKeys.has(key)) return;
    poolKeys.add(key);
    pool.push(name);
  };
  for (const edges of data.dependencies.parents.values()) {
    for (const e of edges) addToPool(e.child);
  }
  const needed = dataChildren.reduce((n, picked) => n + perSeed - picked.length, 0);
  if (pool.length < needed && data.jurorRepos !== undefined) {
    const juror = typeof data.jurorRepos === "function" ? data.jurorRepos() : data.jurorRepos;
    for (const name of juror) addToPool(name);
  }
  // Names taken in a row from the pool are distinct as long as one seed needs no more than it
  // holds; beyond the pool's end they wrap around (and are shared between seeds).
  const mostMissing = Math.max(...dataChildren.map((picked) => perSeed - picked.length));
  if (mostMissing > pool.length) {
    throw new RangeError(
      `demo graph: a seed needs ${mostMissing} made-up children but only ${pool.length} ` +
        `names are available`,
    );
  }
  let next = 0;

  let edgesFromData = 0;
  let madeUpEdges = 0;
  const seedWeights = scaleToWad(chosen.map((_, i) => BigInt(chosen.length - i)));
  const seeds = chosen.map((seed, i): SeedInput => {
    const picked = dataChildren[i];
    const names = picked.map((e) => e.child);
    const numerators = picked.map((e) => toFixed(e.weight));
    const lightest = numerators.length > 0 ? numerators[numerators.length - 1] : 0n;
    for (let k = names.length; k < perSeed; k++) {
      names.push(pool[next++ % pool.length]);
      numerators.push(picked.length > 0 ? lightest : BigInt(perSeed - k));
    }
    edgesFromData += picked.length;
    madeUpEdges += names.length - picked.length;
    const weights =
      names.length === 0 || numerators.every((a) => a === 0n)
        ? names.map(() => 0n)
        : scaleToWad(numerators);
    return {
      node: seed,
      weight: seedWeights[i],
      originality: DEMO_ORIGINALITY[i % DEMO_ORIGINALITY.length],
      children: names.map((child, k) => ({ child, weight: weights[k] })),
    };
  });
  return { seeds, edgesFromData, madeUpEdges };
}

/**
 * `buildDemoGraph` on the data files in `dataDir` (default DEFAULT_DATA_DIR): the seed list,
 * the dependency weights and, only if needed, the juror comparisons.
 */
export function demoGraph(options: DemoOptions & { dataDir?: string } = {}): DemoGraph {
  const dir = options.dataDir ?? DEFAULT_DATA_DIR;
  return buildDemoGraph(
    {
      seedRepos: readSeedList(join(dir, DATA_FILES.seeds)),
      dependencies: readDependencyWeights(join(dir, DATA_FILES.weights)),
      jurorRepos: () => readJurorRepos(join(dir, DATA_FILES.jurorPairs)),
    },
    options,
  );
}
