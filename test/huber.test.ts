import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";
import { describe, it } from "mocha";

import {
  type ChainComparison,
  type Comparison,
  DEFAULT_TOLERANCE_WAD,
  JUROR_PAIRS_HEADER,
  type TriangleRatios,
  WAD,
  aggregate,
  aggregateJson,
  certificate,
  certificateProblem,
  fitHuber,
  fitL2,
  gradient,
  huberGradient,
  madDelta,
  median,
  objective,
  pairY,
  parseMultiplier,
  pruneCycles,
  readJurorPairs,
  RIDGE,
  softmax,
  toChainComparisons,
  toWad,
  triangleCheck,
} from "../src/huber.js";
import { InputError } from "../src/qfInput.js";

import { Rng } from "./helpers/rng.js";
import { runTask } from "./helpers/tasks.js";

const TRIAL = path.resolve(import.meta.dirname, "../data/deepfunding/juror_pairs_trial.csv");
const EIPS = "https://github.com/ethereum/eips";
const GETH = "https://github.com/ethereum/go-ethereum";

const dir = mkdtempSync(path.join(tmpdir(), "huber-"));
const HEADER = JUROR_PAIRS_HEADER.join(",");

function writeCsv(name: string, lines: readonly string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

function row(a: string, b: string, choice: string, multiplier: string): string {
  return `2024-12-24T18:03:10.396Z,juror,${a},${b},ethereum,${choice},${multiplier}`;
}

/** Uniform float in [0, 1). */
function uniform(rng: Rng): number {
  return Number(rng.bits(53)) / 2 ** 53;
}

function gaussian(rng: Rng): number {
  const u = uniform(rng) || 1e-12;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform(rng));
}

/**
 * A connected random comparison set: a chain through all items plus random pairs, ratings =
 * true logit differences + noise, about 10% of them wild.
 */
function randomSet(rng: Rng, n: number, extra: number) {
  const truth = Array.from({ length: n }, () => 2 * gaussian(rng));
  const mean = truth.reduce((s, v) => s + v, 0) / n;
  for (let i = 0; i < n; i++) truth[i] -= mean;
  const pairs: Comparison[] = [];
  const add = (a: number, b: number) => {
    const wild = rng.int(10) === 0 ? (rng.int(2) === 0 ? -6 : 6) : 0;
    pairs.push({ a, b, y: truth[b] - truth[a] + 0.3 * gaussian(rng) + wild });
  };
  for (let i = 1; i < n; i++) {
    if (rng.int(2) === 0) add(i - 1, i);
    else add(i, i - 1);
  }
  for (let k = 0; k < extra; k++) {
    const a = rng.int(n);
    const b = (a + 1 + rng.int(n - 1)) % n;
    add(a, b);
  }
  return { truth, pairs };
}

const maxAbs = (v: readonly number[]) => Math.max(...v.map(Math.abs));
const maxAbsBig = (v: readonly bigint[]) =>
  v.reduce((m, g) => ((g < 0n ? -g : g) > m ? (g < 0n ? -g : g) : m), 0n);
const dist = (p: readonly number[], q: readonly number[]) =>
  Math.sqrt(p.reduce((s, v, i) => s + (v - q[i]) ** 2, 0));

// ---------------------------------------------------------------------------------------------

describe("huber: juror file", () => {
  it("readJurorPairs: reads the trial file (593 comparisons, 45 items, none skipped)", () => {
    const data = readJurorPairs(TRIAL);
    expect(data.pairs).to.have.length(593);
    expect(data.items).to.have.length(45);
    expect(data.skipped).to.deep.equal([]);
    // First row: prysm vs nimbus-eth2, choice 1 (prysm worth more), 3.62: y = -ln 3.62.
    const first = data.pairs[0];
    expect(data.items[first.a]).to.equal("https://github.com/prysmaticlabs/prysm");
    expect(data.items[first.b]).to.equal("https://github.com/status-im/nimbus-eth2");
    expect(first.line).to.equal(2);
    expect(first.multiplierHundredths).to.equal(362);
    expect(first.y).to.equal(-Math.log(3.62));
    expect(data.items).to.include(EIPS);
  });

  it("parseJurorPairs: skips and counts bad choices, multipliers and self-comparisons", () => {
    const file = writeCsv("skips.csv", [
      HEADER,
      row("r/a", "r/b", "1", "2.0"), // 2 kept
      row("r/a", "r/c", "3", "2"), // 3 bad choice
      row("r/a", "r/c", "", "2"), // 4 bad choice
      row("r/a", "r/c", "2", "0.5"), // 5 below 1
      row("r/a", "r/c", "2", "1000"), // 6 above 999
      row("r/a", "r/c", "2", "3.625"), // 7 three decimals
      row("r/a", "r/c", "2", "abc"), // 8
      row("r/a", "r/c", "2", "-2"), // 9
      row("r/a", "r/c", "2", "1e2"), // 10
      row("r/d", "r/d", "1", "2"), // 11 same repo
      "",
      row("r/b", "r/e", "2", "999"), // 13 kept
      row("r/e", "r/a", "1", "1"), // 14 kept
      `t,j,"r/a","r/e",p,2,1.5`, // 15 kept, quoted fields
    ]);
    const data = readJurorPairs(file);
    expect(data.skipped.map((s) => s.line)).to.deep.equal([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(data.skipped[0].reason).to.match(/bad choice/);
    expect(data.skipped[2].reason).to.match(/bad multiplier/);
    expect(data.skipped[8].reason).to.match(/same/);
    expect(data.pairs.map((p) => p.line)).to.deep.equal([2, 13, 14, 15]);
    // Items come from kept rows only, in order of first appearance.
    expect(data.items).to.deep.equal(["r/a", "r/b", "r/e"]);
    expect(data.pairs.map((p) => p.y)).to.deep.equal([
      -Math.log(2),
      Math.log(999),
      0,
      Math.log(1.5),
    ]);
  });

  const broken: [string, string[], RegExp][] = [
    ["a wrong header", ["timestamp,juror,a,b,parent,choice,multiplier"], /line 1: wrong header/],
    [
      "a missing column",
      [HEADER, row("r/a", "r/b", "1", "2"), "t,j,r/a,r/b,p,1"],
      /line 3: .*7 columns, got 6/,
    ],
    ["an extra column", [HEADER, row("r/a", "r/b", "1", "2") + ",x"], /line 2: .*7 columns, got 8/],
    ["an empty repo", [HEADER, row("", "r/b", "1", "2")], /line 2: empty repo_a/],
    ["broken quoting", [HEADER, `t,j,"r/a,r/b,p,1,2`], /line 2: unterminated/],
    ["an empty file", [""], /empty file/],
  ];
  for (const [what, lines, message] of broken) {
    it(`readJurorPairs: rejects ${what} with the file and line`, () => {
      const file = writeCsv(`broken-${what.replace(/\W/g, "")}.csv`, lines);
      expect(() => readJurorPairs(file))
        .to.throw(InputError, message)
        .with.property("message")
        .that.contains(file);
    });
  }

  it("readJurorPairs: rejects a missing file", () => {
    expect(() => readJurorPairs(path.join(dir, "nope.csv"))).to.throw(InputError, /file not found/);
  });

  it("pairY: choice 1 gives -ln m, choice 2 gives +ln m; parseMultiplier gives hundredths", () => {
    expect(pairY(1, 362)).to.equal(-Math.log(3.62));
    expect(pairY(2, 99900)).to.equal(Math.log(999));
    expect(pairY(2, 100)).to.equal(0);
    expect(() => pairY(2, 99)).to.throw(RangeError);
    expect(() => pairY(2, 150.5)).to.throw(RangeError);
    expect(() => pairY(3 as 1, 200)).to.throw(RangeError);
    expect(["1", "2.0", "3.6", "3.62", "999", "999.00"].map(parseMultiplier)).to.deep.equal([
      100, 200, 360, 362, 99900, 99900,
    ]);
    for (const bad of ["0.99", "999.01", "3.625", "", ".5", "5.", "+2", "1e2", " 2"]) {
      expect(parseMultiplier(bad), bad).to.equal(undefined);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe("huber: fits", () => {
  it("median, madDelta, softmax: known values, stable for large logits", () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    // |y - 2| = 1, 1, 0, 2, 8: MAD 1.
    expect(madDelta([1, 3, 2, 4, 10])).to.be.closeTo(1.345 / 0.6744897501960817, 1e-15);
    const w = softmax([1000, 1000 + Math.log(3)]);
    // 1000 + ln 3 carries ~1e-13 of rounding; the point is no overflow to NaN.
    expect(w[0]).to.be.closeTo(0.25, 1e-12);
    expect(w[1]).to.be.closeTo(0.75, 1e-12);
  });

  it("fitL2: equals the closed form on a triangle", () => {
    // One rating per pair of a triangle: A^T A = 3I - J, so x = A^T y / (3 + ridge).
    const [y01, y12, y02] = [0.7, -1.3, 2.9];
    const pairs = [
      { a: 0, b: 1, y: y01 },
      { a: 1, b: 2, y: y12 },
      { a: 0, b: 2, y: y02 },
    ];
    const fit = fitL2(pairs, 3);
    const expected = [-(y01 + y02), y01 - y12, y12 + y02].map((v) => v / (3 + RIDGE));
    expect(maxAbs(fit.x.map((v, i) => v - expected[i]))).to.be.below(1e-14);
    const r = [
      y01 - (fit.x[1] - fit.x[0]),
      y12 - (fit.x[2] - fit.x[1]),
      y02 - (fit.x[2] - fit.x[0]),
    ];
    expect(fit.objective).to.be.closeTo(
      r.reduce((s, v) => s + (v * v) / 2, 0),
      1e-14,
    );
    expect(fit.delta).to.equal(null);
  });

  it("fitL2: recovers known logits exactly from consistent data", () => {
    const rng = new Rng(7n);
    for (let t = 0; t < 10; t++) {
      const n = 3 + rng.int(20);
      const { truth, pairs } = randomSet(rng, n, 3 * n);
      const consistent = pairs.map(({ a, b }) => ({ a, b, y: truth[b] - truth[a] }));
      // The ridge shrinks by a factor 1 / (1 + ridge / lambda): negligible with a tiny ridge.
      expect(
        maxAbs(fitL2(consistent, n, { ridge: 1e-12 }).x.map((v, i) => v - truth[i])),
      ).to.be.below(1e-9);
      expect(maxAbs(fitL2(consistent, n).x.map((v, i) => v - truth[i]))).to.be.below(1e-4);
      const huber = fitHuber(consistent, n, 0.5, { ridge: 1e-12 });
      expect(maxAbs(huber.x.map((v, i) => v - truth[i]))).to.be.below(1e-9);
      expect(huber.objective).to.be.below(1e-15);
    }
  });

  it("fitHuber: with a huge delta equals fitL2", () => {
    const rng = new Rng(11n);
    for (let t = 0; t < 10; t++) {
      const n = 3 + rng.int(15);
      const { pairs } = randomSet(rng, n, 2 * n);
      const l2 = fitL2(pairs, n);
      const huber = fitHuber(pairs, n, 1e6);
      expect(huber.iterations).to.be.at.most(2);
      expect(maxAbs(huber.x.map((v, i) => v - l2.x[i]))).to.be.below(1e-10);
      expect(huber.objective).to.be.closeTo(l2.objective, 1e-9);
    }
  });

  it("fitHuber: one wild outlier moves the Huber fit much less than L2", () => {
    const truth = [-1.5, -0.5, 0, 0.25, 0.75, 1];
    const pairs: Comparison[] = [];
    for (let a = 0; a < 6; a++) {
      for (let b = a + 1; b < 6; b++) pairs.push({ a, b, y: truth[b] - truth[a] });
    }
    const wild = [...pairs, { a: 0, b: 1, y: 8 }];
    const l2Shift = dist(fitL2(wild, 6).x, truth);
    const huberShift = dist(fitHuber(wild, 6, 0.5).x, truth);
    expect(l2Shift).to.be.above(1);
    expect(huberShift).to.be.below(0.15);
    expect(huberShift).to.be.below(l2Shift / 8);
  });

  it("fitHuber: the fit is a minimum on random sets (objective and gradient)", () => {
    const rng = new Rng(0x4b1d5n);
    let converged = 0;
    for (let t = 0; t < 20; t++) {
      const n = 3 + rng.int(25);
      const { pairs } = randomSet(rng, n, rng.int(5 * n));
      const delta = t % 2 === 0 ? madDelta(pairs.map((p) => p.y)) : 0.5 + 2 * uniform(rng);
      const fit = fitHuber(pairs, n, delta);
      expect(Math.abs(fit.x.reduce((s, v) => s + v, 0))).to.be.below(1e-9);
      // Where two wild ratings of one pair leave a flat stretch (see the next test) IRLS hits
      // its 75 iterations with a gradient of the ridge's order; elsewhere it converges.
      const g = maxAbs(gradient(pairs, n, fit.x, delta));
      if (fit.converged) expect(g, `set ${t}`).to.be.below(1e-6);
      else expect(g, `set ${t}`).to.be.below(1e-4);
      converged += fit.converged ? 1 : 0;
      const best = objective(pairs, fit.x, delta, RIDGE);
      for (let p = 0; p < 10; p++) {
        const size = [1e-4, 1e-3, 1e-2][p % 3];
        const moved = fit.x.map((v) => v + size * gaussian(rng));
        expect(objective(pairs, moved, delta, RIDGE), `set ${t} perturbation ${p}`).to.be.at.least(
          best - 1e-12,
        );
      }
    }
    expect(converged).to.be.at.least(18);
  });

  it("fitHuber: on a flat stretch IRLS stops short of the ridge optimum; certificate reaches it", () => {
    // Two ratings of pair (0, 1) more than 2 delta apart: the Huber part is flat for
    // x1 - x0 in [-0.9, 0.9] and only the 1e-6 ridge picks the optimum (x1 - x0 = -0.9).
    // IRLS moves along the flat stretch by ~1e-5 per iteration.
    const pairs = [
      { a: 0, b: 1, y: 1 },
      { a: 0, b: 1, y: -1 },
      { a: 1, b: 2, y: 3 },
    ];
    const fit = fitHuber(pairs, 3, 0.1);
    expect(fit.converged).to.equal(false);
    expect(fit.iterations).to.equal(75);
    expect(fit.x[1] - fit.x[0]).to.be.closeTo(0, 1e-3);
    const x = certificate(3, toChainComparisons(pairs), toWad(0.1)).map((v) => Number(v) / 1e18);
    const expected = [-0.4, -1.3, 1.7];
    expect(maxAbs(x.map((v, i) => v - expected[i]))).to.be.below(1e-5);
    expect(objective(pairs, x, 0.1, RIDGE)).to.be.below(objective(pairs, fit.x, 0.1, RIDGE));
  });

  it("fitHuber: trial data with the mad rule gives the Deep Funding trial weights", () => {
    const data = readJurorPairs(TRIAL);
    const delta = madDelta(data.pairs.map((p) => p.y));
    // Median y is 0 and the MAD is ln 5.
    expect(delta).to.be.closeTo((1.345 * Math.log(5)) / 0.6744897501960817, 1e-12);
    const fit = fitHuber(data.pairs, data.items.length, delta);
    expect(fit.converged).to.equal(true);
    const weight = (repo: string) => fit.weights[data.items.indexOf(repo)];
    expect(weight(EIPS)).to.be.closeTo(0.2242, 5e-4);
    expect(weight(GETH)).to.be.closeTo(0.1238, 5e-4);
    expect(fit.weights.reduce((s, v) => s + v, 0)).to.be.closeTo(1, 1e-12);
    const result = aggregate(data, "huber");
    expect(result.items[0]).to.include({ item: EIPS });
    expect(result.items[1]).to.include({ item: GETH });
    expect(result.delta).to.equal(delta);
  });
});

// ---------------------------------------------------------------------------------------------

describe("huber: certificate", () => {
  it("huberGradient: matches the float gradient at random points (reference)", () => {
    const rng = new Rng(99n);
    for (let t = 0; t < 20; t++) {
      const n = 2 + rng.int(20);
      const { pairs } = randomSet(rng, n, 2 * n);
      const delta = 0.2 + uniform(rng);
      const x = Array.from({ length: n }, () => gaussian(rng));
      const xWad = x.map(toWad);
      const g = huberGradient(n, toChainComparisons(pairs), xWad, toWad(delta));
      const reference = gradient(pairs, n, x, delta);
      expect(maxAbs(g.map((v, i) => Number(v) / 1e18 - reference[i]))).to.be.below(1e-12);
    }
  });

  it("huberGradient: truncates the ridge term toward zero, as Solidity does", () => {
    expect(huberGradient(2, [], [-1_500_000n, 1_500_000n], WAD)).to.deep.equal([-1n, 1n]);
    expect(huberGradient(2, [], [-999_999n, 999_999n], WAD)).to.deep.equal([0n, 0n]);
    // One rating, residual clipped at delta.
    const pairs: ChainComparison[] = [{ a: 0, b: 1, y: 5n * WAD }];
    expect(huberGradient(2, pairs, [0n, 0n], WAD)).to.deep.equal([WAD, -WAD]);
    expect(huberGradient(2, pairs, [0n, 0n], 10n * WAD)).to.deep.equal([5n * WAD, -5n * WAD]);
  });

  function checkCertificate(n: number, chain: ChainComparison[], deltaWad: bigint): bigint[] {
    const x = certificate(n, chain, deltaWad);
    expect(x).to.have.length(n);
    expect(x.reduce((s, v) => s + v, 0n)).to.equal(0n);
    const g = huberGradient(n, chain, x, deltaWad);
    expect(maxAbsBig(g) <= 10n ** 6n, `max |G| = ${maxAbsBig(g)}`).to.equal(true);
    // Only the truncation of the ridge term keeps sum G from being exactly 0.
    const sumG = g.reduce((s, v) => s + v, 0n);
    expect((sumG < 0n ? -sumG : sumG) <= BigInt(n)).to.equal(true);
    expect(certificateProblem(n, chain, x, deltaWad, DEFAULT_TOLERANCE_WAD)).to.equal(undefined);
    return x;
  }

  /** x with item j moved up by (n - 1) e and every other item down by e: the sum stays 0. */
  function moved(x: readonly bigint[], j: number, e: bigint): bigint[] {
    const n = BigInt(x.length);
    return x.map((v, i) => (i === j ? v + (n - 1n) * e : v - e));
  }

  it("certificate: passes the chain's check within 1e6 wei on random sets, refuses a moved one", () => {
    const rng = new Rng(0xce47n);
    for (let t = 0; t < 15; t++) {
      const n = 2 + rng.int(30);
      const { pairs } = randomSet(rng, n, rng.int(6 * n));
      const chain = toChainComparisons(pairs);
      const deltaWad = toWad(t % 2 === 0 ? madDelta(pairs.map((p) => p.y)) : 0.1 + uniform(rng));
      const x = checkCertificate(n, chain, deltaWad);

      // An item with a residual well inside +-delta.
      const inside = chain.find(({ a, b, y }) => {
        const r = y - (x[b] - x[a]);
        return (r < 0n ? -r : r) < deltaWad / 2n;
      });
      if (inside === undefined) continue;
      const bad = moved(x, inside.a, DEFAULT_TOLERANCE_WAD);
      expect(bad.reduce((s, v) => s + v, 0n)).to.equal(0n);
      const g = huberGradient(n, chain, bad, deltaWad);
      expect(g[inside.a] > DEFAULT_TOLERANCE_WAD).to.equal(true);
      expect(certificateProblem(n, chain, bad, deltaWad, DEFAULT_TOLERANCE_WAD)).to.match(
        /^NotOptimal/,
      );
    }
  });

  it("certificate: trial data (stand-in chain values) certifies the trial weights", () => {
    const data = readJurorPairs(TRIAL);
    const n = data.items.length;
    const chain = toChainComparisons(data.pairs);
    const deltaWad = toWad(madDelta(data.pairs.map((p) => p.y)));
    const x = checkCertificate(n, chain, deltaWad);
    const weights = softmax(x.map((v) => Number(v) / 1e18));
    expect(weights[data.items.indexOf(EIPS)]).to.be.closeTo(0.2242, 5e-4);
    expect(weights[data.items.indexOf(GETH)]).to.be.closeTo(0.1238, 5e-4);

    const j = data.items.indexOf(EIPS);
    const g = huberGradient(n, chain, moved(x, j, DEFAULT_TOLERANCE_WAD), deltaWad);
    expect(g[j] > DEFAULT_TOLERANCE_WAD).to.equal(true);
  });

  it("certificate: throws when the tolerance cannot be reached", () => {
    const data = readJurorPairs(TRIAL);
    const chain = toChainComparisons(data.pairs);
    expect(() =>
      certificate(data.items.length, chain, WAD, { tolerance: 0n, maxSteps: 0 }),
    ).to.throw(RangeError, /above the tolerance/);
    expect(() => certificate(2, [{ a: 0, b: 0, y: 0n }], WAD)).to.throw(RangeError, /itself/);
    expect(() => certificate(2, [], 0n)).to.throw(RangeError, /delta/);
  });

  it("certificateProblem: names the chain's errors", () => {
    const pairs: ChainComparison[] = [{ a: 0, b: 1, y: WAD }];
    expect(certificateProblem(2, pairs, [0n], WAD, 0n)).to.equal("WrongLogitCount(1, 2)");
    expect(certificateProblem(2, pairs, [1n, 0n], WAD, 0n)).to.equal("LogitSumNotZero(1)");
    expect(certificateProblem(2, pairs, [-(10n ** 24n) - 1n, 10n ** 24n + 1n], WAD, 0n)).to.match(
      /^LogitOutOfRange\(0, /,
    );
    expect(certificateProblem(2, pairs, [0n, 0n], WAD, 0n)).to.match(/^NotOptimal\(0, /);
  });
});

// ---------------------------------------------------------------------------------------------

describe("huber: triangleCheck and pruneCycles", () => {
  const consistent = (x: readonly number[]): TriangleRatios => ({
    y01: x[1] - x[0],
    y02: x[2] - x[0],
    y12: x[2] - x[1],
  });

  it("triangleCheck: consistent jurors give exact logits", () => {
    const truth = [-1, 0.25, 0.75];
    const one = triangleCheck([consistent(truth), consistent(truth), consistent(truth)]);
    expect(maxAbs(one.logits.map((v, i) => v - truth[i]))).to.be.below(1e-15);
    expect(one.weights).to.deep.equal(softmax(one.logits));
    // Different but each consistent: the per-item median of their centred logits.
    const views = [
      [-1, 0, 1],
      [-2, 0.5, 1.5],
      [0, 0, 0],
      [-0.5, -0.5, 1],
    ];
    const result = triangleCheck(views.map(consistent));
    const expected = [0, 1, 2].map((i) => median(views.map((v) => v[i])));
    const mean = expected.reduce((s, v) => s + v, 0) / 3;
    expect(maxAbs(result.logits.map((v, i) => v - (expected[i] - mean)))).to.be.below(1e-15);
    for (const r of result.repaired) expect(r.y01 + r.y12 - r.y02).to.be.closeTo(0, 1e-15);
  });

  it("triangleCheck: a juror with one wild ratio gets it rebuilt from the other two", () => {
    const truth = [-1, 0.25, 0.75];
    const honest = consistent(truth);
    const wild = { ...honest, y12: 5 };
    const result = triangleCheck([honest, honest, wild]);
    expect(result.consensus).to.deep.equal(honest);
    expect(result.repaired[2].rebuilt).to.equal("y12");
    expect(result.repaired[2].y12).to.be.closeTo(honest.y02 - honest.y01, 1e-15);
    expect(maxAbs(result.logits.map((v, i) => v - truth[i]))).to.be.below(1e-15);
    // Ties go to the first ratio: a single consistent juror has y01 rebuilt (to itself).
    expect(triangleCheck([honest]).repaired[0].rebuilt).to.equal("y01");
  });

  function complete(truth: readonly number[]): Comparison[] {
    const pairs: Comparison[] = [];
    for (let a = 0; a < truth.length; a++) {
      for (let b = a + 1; b < truth.length; b++) {
        pairs.push({ a, b, y: truth[b] - truth[a] });
        pairs.push({ a: b, b: a, y: truth[a] - truth[b] + 0.05 });
      }
    }
    return pairs;
  }

  it("pruneCycles: drops the one wild rating and keeps the rest", () => {
    const truth = [-1, -0.4, 0, 0.3, 1.1];
    const pairs = complete(truth);
    expect(pruneCycles(pairs, 5)).to.deep.include({ dropped: [], kept: pairs });
    const wildAt = 7;
    const wild = pairs.map((p, k) => (k === wildAt ? { ...p, y: p.y + 6 } : p));
    const result = pruneCycles(wild, 5);
    expect(result.dropped).to.deep.equal([wildAt]);
    expect(result.kept).to.deep.equal(wild.filter((_, k) => k !== wildAt));
    expect(result.worst).to.be.at.most(2 * Math.LN2);
  });

  it("pruneCycles: never drops more than maxDropFraction of the ratings", () => {
    const rng = new Rng(5n);
    const { pairs } = randomSet(rng, 12, 80);
    const noisy = pairs.map((p) => ({ ...p, y: p.y + 3 * gaussian(rng) }));
    const result = pruneCycles(noisy, 12, { threshold: 0.1, maxDropFraction: 0.05 });
    expect(result.dropped).to.have.length(Math.floor(0.05 * noisy.length));
    expect(new Set(result.dropped).size).to.equal(result.dropped.length);
    expect(result.kept).to.have.length(noisy.length - result.dropped.length);
  });
});

// ---------------------------------------------------------------------------------------------

describe("jury:aggregate", () => {
  it("jury:aggregate: writes the exact JSON shape on the trial file", async () => {
    const out = path.join(dir, "trial.json");
    expect(
      await runTask("jury:aggregate", { input: TRIAL, loss: "huber", delta: "mad", out }),
    ).to.equal(0);
    const written = JSON.parse(readFileSync(out, "utf8"));
    expect(Object.keys(written)).to.deep.equal(["loss", "delta", "items", "objective", "skipped"]);
    expect(written.loss).to.equal("huber");
    expect(written.delta).to.be.closeTo(3.20938, 1e-5);
    expect(written.skipped).to.equal(0);
    expect(written.items).to.have.length(45);
    for (const item of written.items)
      expect(Object.keys(item)).to.deep.equal(["item", "logit", "weight"]);
    const weights: number[] = written.items.map((i: { weight: number }) => i.weight);
    expect(weights).to.deep.equal([...weights].sort((p, q) => q - p));
    expect(written.items[0].item).to.equal(EIPS);
    expect(written.items[0].weight).to.be.closeTo(0.2242, 5e-4);
    expect(written.items[1].item).to.equal(GETH);
    expect(written.items[1].weight).to.be.closeTo(0.1238, 5e-4);
    expect(written).to.deep.equal(aggregateJson(aggregate(readJurorPairs(TRIAL), "huber", "mad")));
  });

  it("jury:aggregate: --loss l2 writes delta null; --delta NUMBER is used as given", async () => {
    const l2 = path.join(dir, "l2.json");
    expect(
      await runTask("jury:aggregate", { input: TRIAL, loss: "l2", delta: "mad", out: l2 }),
    ).to.equal(0);
    const written = JSON.parse(readFileSync(l2, "utf8"));
    expect(written.loss).to.equal("l2");
    expect(written.delta).to.equal(null);
    const fixed = path.join(dir, "fixed.json");
    expect(
      await runTask("jury:aggregate", { input: TRIAL, loss: "huber", delta: "0.75", out: fixed }),
    ).to.equal(0);
    expect(JSON.parse(readFileSync(fixed, "utf8")).delta).to.equal(0.75);
  });

  const onlySkipped = writeCsv("only-skipped.csv", [HEADER, row("r/a", "r/b", "3", "2")]);
  const wrongHeader = writeCsv("wrong-header.csv", ["a,b,c", row("r/a", "r/b", "1", "2")]);
  const bad: [string, Record<string, string>][] = [
    ["a missing --input", { input: "" }],
    ["a missing --out", { out: "" }],
    ["an unknown loss", { loss: "l1" }],
    ["a non-numeric delta", { delta: "abc" }],
    ["a zero delta", { delta: "0" }],
    ["a negative delta", { delta: "-1" }],
    ["a missing file", { input: path.join(dir, "missing.csv") }],
    ["a wrong header", { input: wrongHeader }],
    ["a file with no valid rows", { input: onlySkipped }],
  ];
  for (const [what, override] of bad) {
    it(`jury:aggregate: rejects ${what} with exit code 1 and writes nothing`, async () => {
      const out = path.join(dir, `bad-${what.replace(/\W/g, "")}.json`);
      const args = { input: TRIAL, loss: "huber", delta: "mad", out, ...override };
      expect(await runTask("jury:aggregate", args)).to.equal(1);
      expect(existsSync(out)).to.equal(false);
    });
  }
});
