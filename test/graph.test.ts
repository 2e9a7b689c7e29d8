import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { after, before, describe, it } from "mocha";

import {
  DATA_FILES,
  DEFAULT_DATA_DIR,
  DEMO_ORIGINALITY,
  type DependencyGraph,
  MAX_FUNDED_CHILDREN,
  type SeedInput,
  WAD,
  buildDemoGraph,
  checkWeightSums,
  demoGraph,
  distribute,
  graphStats,
  nodeId,
  parseDependencyWeights,
  parseJurorRepos,
  parseSeedList,
  rankChildren,
  readDependencyWeights,
  readJurorRepos,
  readSeedList,
  scaleToWad,
  shortName,
  toFixed,
  toFixedGraph,
} from "../src/graph.js";
import { InputError } from "../src/qfInput.js";

import { Rng } from "./helpers/rng.js";

const SEEDS_FILE = join(DEFAULT_DATA_DIR, DATA_FILES.seeds);
const WEIGHTS_FILE = join(DEFAULT_DATA_DIR, DATA_FILES.weights);
const JURORS_FILE = join(DEFAULT_DATA_DIR, DATA_FILES.jurorPairs);

const tokens = (n: number | bigint): bigint => BigInt(n) * WAD;
const wad = (x: number): bigint => toFixed(x);

/** Runs `fn`, expects an InputError, and returns its message. */
function inputError(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, "expected an InputError").to.be.instanceOf(InputError);
  return (caught as InputError).message;
}

// ------------------------------------------------------------------------------------------
// Independent references
// ------------------------------------------------------------------------------------------

/** 1-based ranks by counting: heavier children, plus equal children listed earlier. */
function referenceRanks(weights: readonly bigint[]): number[] {
  return weights.map((w, i) => {
    let rank = 1;
    weights.forEach((v, j) => {
      if (v > w || (v === w && j < i)) rank++;
    });
    return rank;
  });
}

interface Reference {
  /** Exact payouts (bigint, the contract's formula written out again). */
  exact: Map<string, bigint>;
  /** The same in double precision, without any flooring. */
  float: Map<string, number>;
  /** Number of ways each node is paid (as a seed and as a child of each parent). */
  paths: Map<string, number>;
  /** parent -> dropped children with their ranks. */
  dropped: Map<string, Map<string, number>>;
}

function reference(pot: bigint, seeds: readonly SeedInput[]): Reference {
  const exact = new Map<string, bigint>();
  const float = new Map<string, number>();
  const paths = new Map<string, number>();
  const dropped = new Map<string, Map<string, number>>();
  const add = (node: string, e: bigint, f: number): void => {
    exact.set(node, (exact.get(node) ?? 0n) + e);
    float.set(node, (float.get(node) ?? 0) + f);
    paths.set(node, (paths.get(node) ?? 0) + 1);
  };
  const sw = seeds.reduce((s, x) => s + x.weight, 0n);
  for (const s of seeds) {
    const ranks = referenceRanks(s.children.map((c) => c.weight));
    let sk = 0n;
    s.children.forEach((c, i) => {
      if (ranks[i] <= MAX_FUNDED_CHILDREN) sk += c.weight;
    });
    const share = (pot * s.weight) / sw;
    const kept = sk === 0n ? share : (share * s.originality) / WAD;
    const shareF = (Number(pot) * Number(s.weight)) / Number(sw);
    const os = sk === 0n ? 1 : Number(s.originality) / 1e18;
    add(s.node, kept, shareF * os);
    const drops = new Map<string, number>();
    s.children.forEach((c, i) => {
      const funded = ranks[i] <= MAX_FUNDED_CHILDREN && sk > 0n;
      if (ranks[i] > MAX_FUNDED_CHILDREN) drops.set(c.child, ranks[i]);
      add(
        c.child,
        funded ? ((share - kept) * c.weight) / sk : 0n,
        funded ? (shareF * (1 - os) * Number(c.weight)) / Number(sk) : 0,
      );
    });
    dropped.set(s.node, drops);
  }
  return { exact, float, paths, dropped };
}

/** Draws `count` distinct items of `pool` (partial Fisher-Yates on a copy). */
function sample<T>(rng: Rng, pool: readonly T[], count: number): T[] {
  const copy = [...pool];
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(copy.length - i);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, count);
}

const NAMES = Array.from({ length: 400 }, (_, i) => `node-${i}`);
const TIED = [10n ** 16n, 5n * 10n ** 16n, 10n ** 17n];

function randomWeight(rng: Rng): bigint {
  const kind = rng.int(5);
  if (kind === 0) return 0n;
  if (kind === 1) return TIED[rng.int(TIED.length)];
  if (kind === 2) return rng.range(1n, 1000n);
  return rng.range(0n, WAD);
}

function randomPot(rng: Rng): bigint {
  const kind = rng.int(5);
  if (kind === 0) return 0n;
  if (kind === 1) return rng.range(1n, 1000n);
  if (kind === 2) return 10n ** 30n;
  if (kind === 3) return tokens(rng.int(1000) + 1);
  return rng.range(0n, 10n ** 30n);
}

function randomSeeds(rng: Rng): SeedInput[] {
  const seedNames = sample(rng, NAMES, 1 + rng.int(20));
  const seeds = seedNames.map((node): SeedInput => {
    const count = rng.int(4) === 0 ? 129 + rng.int(72) : rng.int(201);
    const kindO = rng.int(4);
    return {
      node,
      weight: rng.int(4) === 0 ? 0n : randomWeight(rng),
      originality: kindO === 0 ? 0n : kindO === 1 ? WAD : rng.range(0n, WAD),
      children: sample(rng, NAMES, count).map((child) => ({ child, weight: randomWeight(rng) })),
    };
  });
  if (seeds.every((s) => s.weight === 0n)) seeds[0].weight = 1n;
  return seeds;
}

// ------------------------------------------------------------------------------------------
// Names and fixed point
// ------------------------------------------------------------------------------------------

describe("graph: names", () => {
  it("nodeId: keccak256 of the lower-cased UTF-8 name", () => {
    // Known keccak256 vectors.
    expect(nodeId("")).to.equal(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    expect(nodeId("abc")).to.equal(
      "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
    );
    expect(nodeId("ABC")).to.equal(nodeId("abc"));
    expect(nodeId("https://github.com/Ethereum/EIPs")).to.equal(
      nodeId("https://github.com/ethereum/eips"),
    );
    expect(nodeId("ü")).to.not.equal(nodeId("u"));
  });

  it("shortName: owner/repo for GitHub, host/path otherwise", () => {
    expect(shortName("https://github.com/ethereum/eips")).to.equal("ethereum/eips");
    expect(shortName("https://www.github.com/ethereum/eips/")).to.equal("ethereum/eips");
    expect(shortName("http://github.com/a/b.git")).to.equal("a/b");
    expect(shortName("https://gitlab.com/a/b")).to.equal("gitlab.com/a/b");
    expect(shortName("ethereum")).to.equal("ethereum");
  });

  it("toFixed: rounds the decimal form to 18 decimals, half up", () => {
    expect(toFixed(0)).to.equal(0n);
    expect(toFixed(1)).to.equal(WAD);
    expect(toFixed(0.05)).to.equal(5n * 10n ** 16n);
    expect(toFixed(0.0109359142)).to.equal(10935914200000000n);
    expect(toFixed(2.33492594794775e-6)).to.equal(2334925947948n);
    expect(toFixed(0.1 + 0.2)).to.equal(300000000000000040n);
    expect(toFixed(1e-19)).to.equal(0n);
    expect(toFixed(5e-19)).to.equal(1n);
    expect(toFixed(1e21)).to.equal(10n ** 39n);
    expect(() => toFixed(-0.1)).to.throw(RangeError, /-0.1/);
    expect(() => toFixed(Number.NaN)).to.throw(RangeError);
    expect(() => toFixed(Infinity)).to.throw(RangeError);
  });

  it("scaleToWad: sums to exactly 1e18, leftover units to the largest remainders", () => {
    expect(scaleToWad([1n, 1n, 1n])).to.deep.equal([
      333333333333333334n,
      333333333333333333n,
      333333333333333333n,
    ]);
    expect(scaleToWad([0n, 2n, 1n, 0n])).to.deep.equal([
      0n,
      666666666666666667n,
      333333333333333333n,
      0n,
    ]);
    expect(scaleToWad([WAD / 4n, (WAD * 3n) / 4n])).to.deep.equal([WAD / 4n, (WAD * 3n) / 4n]);
    expect(() => scaleToWad([0n, 0n])).to.throw(RangeError, /zero/);
    expect(() => scaleToWad([1n, -1n])).to.throw(RangeError, /negative/);
    const rng = new Rng(7n);
    for (let t = 0; t < 200; t++) {
      const a = Array.from({ length: 1 + rng.int(40) }, () => randomWeight(rng));
      if (!a.some((x) => x > 0n)) a[0] = 1n;
      const out = scaleToWad(a);
      const total = a.reduce((s, x) => s + x, 0n);
      expect(out.reduce((s, x) => s + x, 0n)).to.equal(WAD);
      out.forEach((x, i) => {
        const floor = (a[i] * WAD) / total;
        expect(x === floor || x === floor + 1n, `index ${i}`).to.equal(true);
      });
    }
  });
});

// ------------------------------------------------------------------------------------------
// Loaders
// ------------------------------------------------------------------------------------------

describe("graph: loaders on the real data", () => {
  it("readSeedList: 45 distinct repositories", () => {
    const seeds = readSeedList(SEEDS_FILE);
    expect(seeds).to.have.length(45);
    expect(seeds[0]).to.equal("https://github.com/a16z/helios");
    expect(new Set(seeds.map(nodeId)).size).to.equal(45);
  });

  it("readDependencyWeights: 3 parents, 162 edges, 154 distinct children, repo_url = parent", () => {
    const graph = readDependencyWeights(WEIGHTS_FILE);
    expect(graph.header).to.equal("repo_url,dep_url,user_weight");
    expect(graphStats(graph)).to.deep.equal({
      parents: 3,
      edges: 162,
      children: 154,
      nodes: 156,
      selfEdges: 1,
    });
    const counts = [...graph.parents].map(([p, edges]) => [shortName(p), edges.length]);
    expect(counts).to.deep.equal([
      ["ethpandaops/checkpointz", 23],
      ["offchainlabs/prysm", 70],
      ["nomicfoundation/hardhat", 69],
    ]);
    const first = graph.parents.get("https://github.com/ethpandaops/checkpointz")![0];
    expect(first).to.deep.equal({
      parent: "https://github.com/ethpandaops/checkpointz",
      child: "https://github.com/pk910/dynamic-ssz",
      weight: 0.5892,
      line: 2,
    });
    // Scientific notation as the file writes it ("9.09889621060521E-006").
    const hardhat = graph.parents.get("https://github.com/nomicfoundation/hardhat")!;
    expect(hardhat[hardhat.length - 1].weight).to.equal(9.09889621060521e-6);
    // The data list hardhat as a dependency of itself (line 143): the edge is kept.
    expect(hardhat.find((e) => e.child === e.parent)).to.deep.include({
      line: 143,
      weight: 8.33406145667027e-5,
    });
  });

  it("checkWeightSums: every parent sums to 1 within 1e-6; the report lists them at 1e-12", () => {
    const graph = readDependencyWeights(WEIGHTS_FILE);
    expect(checkWeightSums(graph)).to.deep.equal([]);
    const strict = checkWeightSums(graph, 1e-12);
    expect(strict.map((r) => [shortName(r.parent), r.count])).to.deep.equal([
      ["ethpandaops/checkpointz", 23],
      ["offchainlabs/prysm", 70],
      ["nomicfoundation/hardhat", 69],
    ]);
    for (const r of strict) expect(Math.abs(r.sum - 1)).to.be.within(1e-12, 1e-9);
  });

  it("toFixedGraph: the real weights in fixed point, each parent summing to exactly 1e18", () => {
    const graph = readDependencyWeights(WEIGHTS_FILE);
    const fixed = toFixedGraph(graph);
    for (const [parent, edges] of graph.parents) {
      const children = fixed.get(parent)!;
      expect(children.map((c) => c.child)).to.deep.equal(edges.map((e) => e.child));
      expect(children.reduce((s, c) => s + c.weight, 0n)).to.equal(WAD);
      const sum = edges.reduce((s, e) => s + e.weight, 0);
      children.forEach((c, i) => {
        expect(Number(c.weight)).to.be.closeTo((edges[i].weight / sum) * 1e18, 1e4);
      });
    }
  });

  it("readJurorRepos: the 45 compared repositories, all of them seeds", () => {
    const repos = readJurorRepos(JURORS_FILE);
    expect(repos).to.have.length(45);
    const seeds = new Set(readSeedList(SEEDS_FILE));
    expect(repos.every((r) => seeds.has(r))).to.equal(true);
  });
});

describe("graph: loaders on bad files", () => {
  let dir: string;
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "graph-test-"));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("readDependencyWeights: accepts repo,parent,weight (repo = child), quotes, CRLF", () => {
    const path = file(
      "alt.csv",
      '\uFEFFrepo,parent,weight\r\nb,a,0.25\r\n"c,1",a,.75\r\n\r\nd, b ,1e0\r\n',
    );
    const graph = readDependencyWeights(path);
    expect(graph.header).to.equal("repo,parent,weight");
    expect([...graph.parents.keys()]).to.deep.equal(["a", "b"]);
    expect(graph.parents.get("a")!.map((e) => [e.child, e.weight, e.line])).to.deep.equal([
      ["b", 0.25, 2],
      ["c,1", 0.75, 3],
    ]);
    expect(graph.parents.get("b")![0]).to.deep.equal({
      parent: "b",
      child: "d",
      weight: 1,
      line: 5,
    });
  });

  it("readDependencyWeights: rejects a wrong header naming the accepted ones", () => {
    const path = file("header.csv", "parent,child,weight\na,b,1\n");
    const message = inputError(() => readDependencyWeights(path));
    expect(message).to.include(path);
    expect(message).to.include("line 1");
    expect(message).to.include('"parent,child,weight"');
    expect(message).to.include('"repo_url,dep_url,user_weight"');
    expect(inputError(() => parseDependencyWeights("", "x.csv"))).to.equal(
      "x.csv: empty file, expected a header line",
    );
  });

  it("readDependencyWeights: rejects bad weights naming file, line and column", () => {
    const header = "repo_url,dep_url,user_weight\n";
    const cases: [string, RegExp][] = [
      ["a,b,abc", /line 3: user_weight: expected a number in \[0, 1\], got "abc"/],
      ["a,b,", /line 3: user_weight: expected a number in \[0, 1\], got ""/],
      ["a,b,1.5", /line 3: user_weight: must be in \[0, 1\], got "1.5"/],
      ["a,b,-0.2", /line 3: user_weight: must be in \[0, 1\], got "-0.2"/],
      ["a,b,0x1", /line 3: user_weight: expected a number/],
      ["a,b,NaN", /line 3: user_weight: expected a number/],
      ["a,b,1e400", /line 3: user_weight: must be in \[0, 1\]/],
      ["a,b", /line 3: expected 3 columns \(repo_url, dep_url, user_weight\), got 2/],
      ["a,b,0.1,x", /line 3: expected 3 columns .*got 4/],
      [",b,0.1", /line 3: repo_url \(the parent\) is empty/],
      ["a, ,0.1", /line 3: dep_url \(the child\) is empty/],
      ['a,"b,0.1', /line 3: unterminated quoted field/],
    ];
    for (const [row, pattern] of cases) {
      const path = file("bad.csv", `${header}x,y,0.5\n${row}\n`);
      const message = inputError(() => readDependencyWeights(path));
      expect(message, row).to.match(pattern);
      expect(message.startsWith(`${path}: line 3: `), message).to.equal(true);
    }
  });

  it("readDependencyWeights: rejects a duplicate (parent, child) row, names compared without case", () => {
    const path = file("dup.csv", "repo_url,dep_url,user_weight\na,b,0.5\na,c,0.5\nA,B,0.1\n");
    expect(inputError(() => readDependencyWeights(path))).to.equal(
      `${path}: line 4: duplicate edge A -> B (first at line 2)`,
    );
    // The same pair in the other direction is another edge.
    const ok = parseDependencyWeights("repo,parent,weight\nb,a,1\na,b,1\n");
    expect(graphStats(ok).edges).to.equal(2);
    // A node listing itself is accepted (the real data do it).
    expect(graphStats(parseDependencyWeights("repo,parent,weight\na,A,1\n")).selfEdges).to.equal(1);
  });

  it("readDependencyWeights: accepts weights that do not sum to 1; checkWeightSums reports them", () => {
    const path = file(
      "sums.csv",
      "repo_url,dep_url,user_weight\np,a,0.5\np,b,0.4\nq,a,1\nr,a,0.7\nr,b,0.7\ns,a,0\n",
    );
    const graph = readDependencyWeights(path);
    expect(checkWeightSums(graph)).to.deep.equal([
      { parent: "p", sum: 0.9, count: 2 },
      { parent: "r", sum: 1.4, count: 2 },
      { parent: "s", sum: 0, count: 1 },
    ]);
    expect(checkWeightSums(graph, 0.5).map((r) => r.parent)).to.deep.equal(["s"]);
    expect(() => toFixedGraph(graph)).to.throw(RangeError, /all weights of s are zero/);
  });

  it("readSeedList: rejects bad JSON and bad entries naming the index", () => {
    const cases: [string, string][] = [
      ['["a", ', "invalid JSON"],
      ['{"seeds": []}', "top level: expected a JSON array of repository URLs, got an object"],
      ["[]", "top level: the seed list is empty"],
      ['["a", "b", 3]', "[2]: expected a non-empty string, got number 3"],
      ['["a", null]', "[1]: expected a non-empty string, got null"],
      ['["a", "  "]', '[1]: must not be empty, got "  "'],
      ['["a", " b"]', '[1]: has leading or trailing whitespace: " b"'],
      ['["a", "b", "A"]', '[2]: duplicate seed "A" (first at [0])'],
    ];
    for (const [text, detail] of cases) {
      const path = file("seeds.json", text);
      const message = inputError(() => readSeedList(path));
      expect(message.startsWith(`${path}: `), message).to.equal(true);
      expect(message, text).to.include(detail);
    }
    expect(parseSeedList('\uFEFF["x", "y"]')).to.deep.equal(["x", "y"]);
  });

  it("loaders: a missing file or a directory is an InputError", () => {
    const missing = join(dir, "nope.json");
    expect(inputError(() => readSeedList(missing))).to.equal(`${missing}: file not found`);
    expect(inputError(() => readDependencyWeights(dir))).to.include("is a directory");
    expect(inputError(() => readJurorRepos(missing))).to.include("file not found");
  });

  it("parseJurorRepos: needs repo_a and repo_b columns", () => {
    expect(parseJurorRepos("x,repo_a,repo_b\n1,a,b\n2,b,c\n")).to.deep.equal(["a", "b", "c"]);
    expect(inputError(() => parseJurorRepos("x,repo_a\n1,a\n", "j.csv"))).to.match(
      /^j\.csv: line 1: the header must have columns repo_a and repo_b/,
    );
    expect(inputError(() => parseJurorRepos("repo_a,repo_b\na\n", "j.csv"))).to.equal(
      "j.csv: line 2: expected 2 columns, got 1",
    );
  });
});

// ------------------------------------------------------------------------------------------
// Ranking and distribution
// ------------------------------------------------------------------------------------------

describe("graph: rankChildren", () => {
  it("rankChildren: heaviest first, ties broken by the earlier index", () => {
    expect(rankChildren([5n, 7n, 7n, 0n, 5n])).to.deep.equal([1, 2, 0, 4, 3]);
    expect(rankChildren([3n, 3n, 3n, 3n])).to.deep.equal([0, 1, 2, 3]);
    expect(rankChildren([0n, 0n, 1n])).to.deep.equal([2, 0, 1]);
    expect(rankChildren([])).to.deep.equal([]);
  });

  it("rankChildren: agrees with ranks by counting on random weights with ties", () => {
    const rng = new Rng(11n);
    for (let t = 0; t < 100; t++) {
      const w = Array.from({ length: rng.int(300) }, () => randomWeight(rng));
      const order = rankChildren(w);
      const ranks = referenceRanks(w);
      order.forEach((index, k) => expect(ranks[index]).to.equal(k + 1));
    }
  });
});

describe("graph: distribute", () => {
  it("distribute: the appendix example (originality 0.4, KNOWN->Swiss 0.05 gives Swiss 0.03)", () => {
    const pot = tokens(1000);
    const result = distribute(pot, [
      {
        node: "Cypherpunk",
        weight: WAD,
        originality: wad(0.4),
        children: [
          { child: "Swiss", weight: wad(0.05) },
          { child: "Other", weight: wad(0.95) },
        ],
      },
    ]);
    expect(result.payouts.get("Swiss")).to.equal(tokens(30)); // 0.03 of the pot
    expect(result.payouts.get("Cypherpunk")).to.equal(tokens(400));
    expect(result.payouts.get("Other")).to.equal(tokens(570));
    expect(result.dust).to.equal(0n);
    expect(result.distributed).to.equal(pot);
    expect(result.seeds[0]).to.deep.include({ share: pot, kept: tokens(400), passed: tokens(600) });
  });

  it("distribute: several seeds; a node under several parents and a seed that is a child sum", () => {
    const pot = 1000n;
    const result = distribute(pot, [
      {
        node: "A",
        weight: wad(0.5),
        originality: wad(0.5),
        children: [
          { child: "X", weight: wad(0.6) },
          { child: "B", weight: wad(0.4) },
        ],
      },
      {
        node: "B",
        weight: wad(0.25),
        originality: 0n,
        children: [{ child: "x", weight: wad(1) }],
      },
      { node: "C", weight: wad(0.25), originality: wad(0.3), children: [] },
    ]);
    // A: 500, keeps 250, X 150, B 100. B: 250, X 250. C: 250, keeps all (no children).
    expect([...result.payouts]).to.deep.equal([
      ["A", 250n],
      ["X", 400n],
      ["B", 100n],
      ["C", 250n],
    ]);
    expect(result.seeds[2]).to.deep.include({ share: 250n, kept: 250n, passed: 0n });
    expect(result.dust).to.equal(0n);
  });

  it("distribute: a seed whose children all weigh zero keeps its whole share", () => {
    const result = distribute(999n, [
      {
        node: "S",
        weight: 1n,
        originality: wad(0.2),
        children: [
          { child: "a", weight: 0n },
          { child: "b", weight: 0n },
        ],
      },
    ]);
    expect([...result.payouts]).to.deep.equal([
      ["S", 999n],
      ["a", 0n],
      ["b", 0n],
    ]);
    expect(result.floorOps).to.equal(1);
  });

  it("distribute: rounding dust stays with the pot and is bounded", () => {
    const result = distribute(10n, [
      { node: "a", weight: 1n, originality: wad(0.5), children: [] },
      {
        node: "b",
        weight: 1n,
        originality: wad(0.5),
        children: ["x", "y", "z"].map((child) => ({ child, weight: 1n })),
      },
      { node: "c", weight: 1n, originality: 0n, children: [] },
    ]);
    // Shares 3, 3, 3 (dust 1); b keeps 1, passes 2: x, y, z get 0 each (dust 2).
    expect(result.seeds.map((s) => s.share)).to.deep.equal([3n, 3n, 3n]);
    expect(result.seeds[1]).to.deep.include({ kept: 1n, passed: 2n, dust: 2n });
    expect(result.dust).to.equal(3n);
    expect(result.distributed + result.dust).to.equal(10n);
    expect(result.floorOps).to.equal(6);
  });

  it("distribute: children beyond rank 128 get nothing and are listed as dropped", () => {
    // 131 children: c0..c127 weigh 2e15..129e15; "first" (listed first) ties with c0 at 2e15,
    // "early" weighs 1e15 and "zero" 0. Ranks: c127..c1 are 1..127, then "first" 128 (the tie
    // goes to the earlier entry), c0 129, "early" 130, "zero" 131.
    const children = Array.from({ length: 128 }, (_, i) => ({
      child: `c${i}`,
      weight: BigInt(i + 2) * 10n ** 15n,
    }));
    children.unshift({ child: "first", weight: 2n * 10n ** 15n });
    children.push({ child: "early", weight: 10n ** 15n });
    children.push({ child: "zero", weight: 0n });
    const pot = tokens(1);
    const result = distribute(pot, [{ node: "S", weight: WAD, originality: wad(0.1), children }]);
    const byChild = new Map(result.seeds[0].children.map((c) => [c.child, c]));
    expect(byChild.get("first")!.rank).to.equal(128);
    expect(byChild.get("c0")!.rank).to.equal(129);
    expect(result.dropped).to.deep.equal([
      { parent: "S", child: "c0", rank: 129 },
      { parent: "S", child: "early", rank: 130 },
      { parent: "S", child: "zero", rank: 131 },
    ]);
    for (const name of ["c0", "early", "zero"]) {
      expect(result.payouts.get(name)).to.equal(0n);
      expect(byChild.get(name)!.funded).to.equal(false);
    }
    // The dropped weight is shared pro rata by the funded children.
    const sk = result.seeds[0].fundedWeight;
    expect(sk).to.equal(children.reduce((s, c) => s + c.weight, 0n) - 3n * 10n ** 15n);
    const passed = result.seeds[0].passed;
    expect(result.payouts.get("c127")).to.equal((passed * 129n * 10n ** 15n) / sk);
    expect(result.distributed + result.dust).to.equal(pot);
  });

  it("distribute: rejects inputs the contract would refuse", () => {
    const seed = (over: Partial<SeedInput>): SeedInput => ({
      node: "S",
      weight: WAD,
      originality: 0n,
      children: [],
      ...over,
    });
    expect(() => distribute(1n, [])).to.throw(RangeError, /sum to zero: nothing to distribute/);
    expect(() => distribute(1n, [seed({ weight: 0n })])).to.throw(RangeError, /sum to zero/);
    expect(() => distribute(-1n, [seed({})])).to.throw(RangeError, /pot must not be negative/);
    expect(() => distribute(1n, [seed({ weight: -1n })])).to.throw(RangeError, /seeds\[0\]/);
    expect(() => distribute(1n, [seed({ originality: WAD + 1n })])).to.throw(
      RangeError,
      /seeds\[0\]\.originality must be in \[0, 1e18\]/,
    );
    expect(() => distribute(1n, [seed({}), seed({ node: "s" })])).to.throw(
      RangeError,
      /seeds\[1\]: duplicate seed s \(first at seeds\[0\]\)/,
    );
    expect(() =>
      distribute(1n, [
        seed({
          children: [
            { child: "a", weight: 1n },
            { child: "A", weight: 1n },
          ],
        }),
      ]),
    ).to.throw(RangeError, /seeds\[0\]\.children\[1\]: A is listed twice/);
    // A seed among its own children is paid both ways (the data have such an edge).
    const self = distribute(100n, [
      seed({
        originality: wad(0.5),
        children: [
          { child: "s", weight: 1n },
          { child: "a", weight: 1n },
        ],
      }),
    ]);
    expect([...self.payouts]).to.deep.equal([
      ["S", 75n],
      ["a", 25n],
    ]);
    expect(() => distribute(1n, [seed({ children: [{ child: "a", weight: -1n }] })])).to.throw(
      RangeError,
      /children\[0\]\.weight must not be negative/,
    );
  });

  it("distribute: seeded random graphs match exact and float references; sums and dust hold", () => {
    const rng = new Rng(0x6a09e667f3bcc908n);
    let multiParent = 0;
    let droppedSeen = 0;
    for (let t = 0; t < 150; t++) {
      const seeds = randomSeeds(rng);
      const pot = randomPot(rng);
      const where = `case ${t}`;
      const result = distribute(pot, seeds);
      const ref = reference(pot, seeds);

      // Accounting: everything paid or dust, never more than the pot.
      expect(result.distributed + result.dust, where).to.equal(pot);
      expect(result.dust >= 0n, where).to.equal(true);
      expect(result.dust < BigInt(result.floorOps) + 1n, where).to.equal(true);
      let sum = 0n;
      for (const amount of result.payouts.values()) sum += amount;
      expect(sum, where).to.equal(result.distributed);

      // Tighter dust bounds: per level, (positive terms - 1).
      const sw = seeds.reduce((s, x) => s + x.weight, 0n);
      const seedDust = pot - result.seeds.reduce((s, x) => s + x.share, 0n);
      const positiveSeeds = seeds.filter((s) => s.weight > 0n).length;
      expect(seedDust <= BigInt(positiveSeeds - 1), where).to.equal(true);
      result.seeds.forEach((s, i) => {
        expect(s.share, where).to.equal((pot * seeds[i].weight) / sw);
        expect(s.kept + s.passed, where).to.equal(s.share);
        const paid = s.children.reduce((a, c) => a + c.amount, 0n);
        expect(paid + s.dust, where).to.equal(s.passed);
        const positive = s.children.filter((c) => c.funded && c.weight > 0n).length;
        expect(s.dust <= BigInt(Math.max(0, positive - 1)), where).to.equal(true);
      });
      expect(result.dust, where).to.equal(seedDust + result.seeds.reduce((a, s) => a + s.dust, 0n));

      // Exact reference, and the float formula within 1e-9 relative plus 4 wei per path.
      expect([...result.payouts.keys()].sort(), where).to.deep.equal([...ref.exact.keys()].sort());
      for (const [node, amount] of result.payouts) {
        expect(amount, `${where} ${node}`).to.equal(ref.exact.get(node));
        const expected = ref.float.get(node)!;
        const paths = ref.paths.get(node)!;
        expect(Number(amount), `${where} ${node}`).to.be.closeTo(
          expected,
          expected * 1e-9 + 4 * paths,
        );
        if (paths > 1) multiParent++;
      }

      // Ranks beyond 128: nothing paid, listed as dropped with the right rank.
      const dropped = new Map<string, Map<string, number>>();
      for (const d of result.dropped) {
        if (!dropped.has(d.parent)) dropped.set(d.parent, new Map());
        dropped.get(d.parent)!.set(d.child, d.rank);
        expect(d.rank > MAX_FUNDED_CHILDREN, where).to.equal(true);
        droppedSeen++;
      }
      for (const s of seeds) {
        expect(dropped.get(s.node) ?? new Map(), where).to.deep.equal(ref.dropped.get(s.node));
      }
      for (const s of result.seeds) {
        for (const c of s.children) {
          if (!c.funded) expect(c.amount, where).to.equal(0n);
          expect(c.funded, where).to.equal(c.rank <= MAX_FUNDED_CHILDREN);
        }
      }
    }
    // The cases did exercise what they are meant to.
    expect(multiParent).to.be.greaterThan(100);
    expect(droppedSeen).to.be.greaterThan(100);
  });
});

// ------------------------------------------------------------------------------------------
// Demo graphs
// ------------------------------------------------------------------------------------------

describe("graph: demoGraph", () => {
  it("demoGraph: 10 seeds and 30 children from the real data, deterministic", () => {
    const demo = demoGraph();
    expect(demo).to.deep.equal(demoGraph({ seeds: 10, childrenPerSeed: 3 }));
    expect(demo.seeds).to.have.length(10);
    expect(demo.edgesFromData + demo.madeUpEdges).to.equal(30);
    expect(demo.edgesFromData).to.equal(6); // checkpointz and hardhat are seeds with data
    expect(demo.seeds.map((s) => shortName(s.node)).slice(0, 3)).to.deep.equal([
      "nomicfoundation/hardhat",
      "ethpandaops/checkpointz",
      "a16z/helios",
    ]);

    const seedList = new Set(readSeedList(SEEDS_FILE));
    const data = readDependencyWeights(WEIGHTS_FILE);
    const dataEdges = new Set<string>();
    for (const [p, edges] of data.parents) for (const e of edges) dataEdges.add(`${p} ${e.child}`);
    const dataNames = new Set([...data.parents.values()].flat().map((e) => e.child));
    const seedNames = new Set(demo.seeds.map((s) => s.node));
    const children = new Set<string>();
    expect(demo.seeds.reduce((s, x) => s + x.weight, 0n)).to.equal(WAD);
    demo.seeds.forEach((s, i) => {
      expect(seedList.has(s.node)).to.equal(true);
      expect(s.originality).to.equal(DEMO_ORIGINALITY[i % DEMO_ORIGINALITY.length]);
      expect(s.children).to.have.length(3);
      expect(s.children.reduce((a, c) => a + c.weight, 0n)).to.equal(WAD);
      for (const c of s.children) {
        children.add(c.child);
        expect(dataNames.has(c.child)).to.equal(true);
        // A child that is also a seed only where the data have the edge.
        if (seedNames.has(c.child)) expect(dataEdges.has(`${s.node} ${c.child}`)).to.equal(true);
      }
    });
    expect(children.size).to.equal(30);
    // hardhat's three heaviest dependencies, in rank order.
    expect(demo.seeds[0].children.map((c) => shortName(c.child))).to.deep.equal([
      "ethers-io/ethers.js",
      "immerjs/immer",
      "wevm/viem",
    ]);

    const pot = tokens(1_000_000);
    const result = distribute(pot, demo.seeds);
    expect(result.distributed + result.dust).to.equal(pot);
    expect(result.dust < BigInt(result.floorOps)).to.equal(true);
    expect(result.payouts.size).to.equal(40);
  });

  it("buildDemoGraph: uses the juror names only when the dependencies have too few", () => {
    const dependencies: DependencyGraph = parseDependencyWeights(
      "repo_url,dep_url,user_weight\nS1,d1,0.75\nS1,d2,0.25\n",
    );
    let jurorReads = 0;
    const jurors = (names: string[]) => (): string[] => {
      jurorReads++;
      return names;
    };

    // Enough names in the dependencies: the juror file is not read.
    const two = buildDemoGraph(
      { seedRepos: ["S1", "S2"], dependencies, jurorRepos: jurors(["j1"]) },
      { seeds: 2, childrenPerSeed: 1 },
    );
    expect(jurorReads).to.equal(0);
    expect(two.seeds.map((s) => s.children)).to.deep.equal([
      [{ child: "d1", weight: WAD }],
      [{ child: "d2", weight: WAD }],
    ]);

    // Too few, and no juror names either: the pool wraps around and names are shared.
    const wrapped = buildDemoGraph(
      { seedRepos: ["S1", "S2", "S3"], dependencies, jurorRepos: jurors([]) },
      { seeds: 3, childrenPerSeed: 1 },
    );
    expect(jurorReads).to.equal(1);
    expect(wrapped.seeds.map((s) => s.children.map((c) => c.child))).to.deep.equal([
      ["d1"],
      ["d2"],
      ["d2"],
    ]);

    // Juror names that are seeds or already used are skipped.
    const demo = buildDemoGraph(
      {
        seedRepos: ["S2", "S1", "S3"],
        dependencies,
        jurorRepos: jurors(["S2", "j1", "j2", "d1", "j3"]),
      },
      { seeds: 3, childrenPerSeed: 3 },
    );
    expect(jurorReads).to.equal(2);
    expect(demo.seeds.map((s) => s.node)).to.deep.equal(["S1", "S2", "S3"]);
    expect(demo.edgesFromData).to.equal(2);
    expect(demo.madeUpEdges).to.equal(7);
    // S1 keeps its two data edges and gets a made-up one of its lightest data weight.
    expect(demo.seeds[0].children).to.deep.equal([
      { child: "d1", weight: 600000000000000000n },
      { child: "d2", weight: 200000000000000000n },
      { child: "j1", weight: 200000000000000000n },
    ]);
    // Seeds without data: weights 3 : 2 : 1.
    expect(demo.seeds[1].children).to.deep.equal([
      { child: "j2", weight: 500000000000000000n },
      { child: "j3", weight: 333333333333333333n },
      { child: "j1", weight: 166666666666666667n },
    ]);
    expect(demo.seeds[2].children.map((c) => c.child)).to.deep.equal(["j2", "j3", "j1"]);
    expect(demo.seeds.map((s) => s.weight)).to.deep.equal(scaleToWad([3n, 2n, 1n]));
    expect(() =>
      buildDemoGraph(
        { seedRepos: ["S1", "S2"], dependencies, jurorRepos: jurors(["j1"]) },
        { seeds: 2, childrenPerSeed: 3 },
      ),
    ).to.throw(RangeError, /needs 3 made-up children but only 1 names/);
  });

  it("buildDemoGraph: rejects counts out of range", () => {
    const dependencies = parseDependencyWeights("repo,parent,weight\n");
    const data = { seedRepos: ["a", "b"], dependencies };
    expect(() => buildDemoGraph(data, { seeds: 0 })).to.throw(RangeError, /\[1, 2\]/);
    expect(() => buildDemoGraph(data, { seeds: 3 })).to.throw(RangeError, /\[1, 2\]/);
    expect(() => buildDemoGraph(data, { seeds: 2, childrenPerSeed: -1 })).to.throw(
      RangeError,
      /childrenPerSeed/,
    );
    expect(() => buildDemoGraph(data, { seeds: 2, childrenPerSeed: 1 })).to.throw(
      RangeError,
      /needs 1 made-up children but only 0 names/,
    );
    expect(buildDemoGraph(data, { seeds: 2, childrenPerSeed: 0 }).seeds).to.have.length(2);
  });
});
