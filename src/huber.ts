/**
 * Aggregation of pairwise juror ratings (Deep Funding, DESIGN.md Part B, "Round lifecycle"
 * step 3): read juror pairs, fit log-weights x by least squares or by the Huber loss, robust
 * helpers (triangle check, cycle pruning), and the certificate the chain checks.
 *
 * A comparison {a, b, y} says y ~ ln(w_b / w_a) = x_b - x_a. Its residual at logits x is
 *
 *   r_k = y_k - (x_b - x_a)
 *
 * and the fits minimise, over x with sum x = 0,
 *
 *   l2:     sum_k r_k^2 / 2                      (+ RIDGE/2 |x|^2)
 *   huber:  sum_k rho_delta(r_k)                 (+ RIDGE/2 |x|^2)
 *           rho(r) = r^2 / 2 if |r| <= delta, else delta (|r| - delta / 2)
 *
 * The small ridge (1e-6) makes the optimum unique even when the comparison graph is not
 * connected; it also centres the optimum (sum x = 0) by itself. The objectives this module
 * *reports* (`FitResult.objective`, `aggregate`) leave the ridge term out; `objective(..., ridge)`
 * includes it on request. Weights are softmax(x).
 *
 * The chain does not solve: it checks a submitted x (`huberGradient`, the exact bigint mirror of
 * `IJury.huberGradient`) and `certificate` produces an x that passes.
 *
 * No Hardhat imports: tasks, scripts and tests all use this module.
 */

import { readFileSync } from "node:fs";

import { InputError } from "./qfInput.js";

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/** Ridge of the fits and of the chain's objective (1e-6). */
export const RIDGE = 1e-6;
/** Huber IRLS: most iterations. */
export const MAX_ITERATIONS = 75;
/** Huber IRLS: stop when ||x_new - x_old|| < CONVERGENCE * (1 + ||x_new||). */
export const CONVERGENCE = 1e-8;
/** Consistency constant of the MAD for the normal distribution (the 0.75 quantile). */
export const MAD_NORMAL = 0.6744897501960817;
/** Huber's tuning constant (95% efficiency under normal noise). */
export const HUBER_K = 1.345;

/** 1.0 in the chain's 18-decimal fixed point. */
export const WAD = 10n ** 18n;
/** The chain's ridge in fixed point: 1e12 / 1e18 = 1e-6. */
export const RIDGE_WAD = 10n ** 12n;
/** Largest |logit| the chain accepts (1e6 in 1e18 units). */
export const MAX_LOGIT_WAD = 10n ** 24n;
/** Default gradient tolerance of `certificate` (1e-9). */
export const DEFAULT_TOLERANCE_WAD = 10n ** 9n;
/** What `certificate` aims for when polishing (1e-12), if the tolerance is not smaller. */
export const POLISH_TARGET_WAD = 10n ** 6n;

/** A juror's choice: 1 = a is worth more, 2 = b is worth more. */
export const CHOICE = { A: 1, B: 2 } as const;
export type Choice = (typeof CHOICE)[keyof typeof CHOICE];
/** Multipliers are integer hundredths: 100 (1.00) to 99900 (999.00). */
export const MIN_MULTIPLIER_HUNDREDTHS = 100;
export const MAX_MULTIPLIER_HUNDREDTHS = 99_900;

/** The Deep Funding juror file's header, exactly. */
export const JUROR_PAIRS_HEADER = [
  "timestamp",
  "juror",
  "repo_a",
  "repo_b",
  "parent",
  "choice",
  "multiplier",
] as const;

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** One rating: y estimates ln(w_b / w_a) = x_b - x_a (a, b: item indices). */
export interface Comparison {
  a: number;
  b: number;
  y: number;
}

/** A rating as the chain holds it: y in 1e18 fixed point. */
export interface ChainComparison {
  a: number;
  b: number;
  y: bigint;
}

/** Alias of ChainComparison (the name src/juryChain.ts uses). */
export type Pair = ChainComparison;

/** A kept row of a juror file. */
export interface JurorPair extends Comparison {
  /** 1-based line number in the file (the header is line 1). */
  line: number;
  timestamp: string;
  juror: string;
  repoA: string;
  repoB: string;
  parent: string;
  choice: Choice;
  multiplierHundredths: number;
}

/** A row left out of the fit, and why. */
export interface SkippedRow {
  line: number;
  reason: string;
}

/** A parsed juror file. `items[i]` is the repository string of item i. */
export interface JurorPairs {
  items: string[];
  pairs: JurorPair[];
  skipped: SkippedRow[];
}

export interface FitOptions {
  /** Ridge added to the normal equations (default RIDGE = 1e-6). */
  ridge?: number;
}

export interface HuberOptions extends FitOptions {
  /** Default MAX_ITERATIONS = 75. */
  maxIterations?: number;
  /** Relative step size that ends the iteration (default CONVERGENCE = 1e-8). */
  convergence?: number;
}

export interface FitResult {
  /** Centred logits, one per item. */
  x: number[];
  /** softmax(x). */
  weights: number[];
  /** sum rho(r_k) (Huber) or sum r_k^2 / 2 (l2), without the ridge term. */
  objective: number;
  /** Linear solves performed (1 for l2). */
  iterations: number;
  /** False if the Huber iteration hit its limit before the step criterion. */
  converged: boolean;
  /** The Huber parameter, or null for l2. */
  delta: number | null;
}

// ---------------------------------------------------------------------------------------------
// Choices, multipliers, ratings
// ---------------------------------------------------------------------------------------------

export function isChoice(value: unknown): value is Choice {
  return value === CHOICE.A || value === CHOICE.B;
}

export function isMultiplierHundredths(value: unknown): value is number {
  return (
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= MIN_MULTIPLIER_HUNDREDTHS &&
    value <= MAX_MULTIPLIER_HUNDREDTHS
  );
}

/** "1" or "2" as a Choice; undefined for anything else. */
export function parseChoice(text: string): Choice | undefined {
  if (text === "1") return CHOICE.A;
  if (text === "2") return CHOICE.B;
  return undefined;
}

/**
 * A decimal multiplier in [1, 999] with at most two decimals ("3", "3.6", "3.62") as integer
 * hundredths (300, 360, 362); undefined for anything else (signs, exponents, "3.625", "0.5").
 */
export function parseMultiplier(text: string): number | undefined {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return undefined;
  const whole = Number(m[1]);
  if (whole > 999) return undefined;
  const hundredths = whole * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  return isMultiplierHundredths(hundredths) ? hundredths : undefined;
}

/** The rating y = ln(w_b / w_a): -ln(m) for choice 1 (a worth more), +ln(m) for choice 2. */
export function pairY(choice: Choice, multiplierHundredths: number): number {
  if (!isChoice(choice)) throw new RangeError(`bad choice ${String(choice)} (expected 1 or 2)`);
  if (!isMultiplierHundredths(multiplierHundredths)) {
    throw new RangeError(
      `bad multiplier ${multiplierHundredths} (expected integer hundredths ` +
        `${MIN_MULTIPLIER_HUNDREDTHS} to ${MAX_MULTIPLIER_HUNDREDTHS})`,
    );
  }
  const ln = Math.log(multiplierHundredths / 100);
  return choice === CHOICE.A ? 0 - ln : ln; // 0 - ln: a multiplier of 1 gives +0, not -0
}

/** A float in 1e18 fixed point, rounded to the nearest unit (a stand-in for chain values). */
export function toWad(value: number): bigint {
  if (!Number.isFinite(value)) throw new RangeError(`cannot convert ${value} to fixed point`);
  return BigInt(Math.round(value * 1e18));
}

/** Comparisons with y in fixed point (`toWad`), e.g. to feed `certificate` in tests. */
export function toChainComparisons(pairs: readonly Comparison[]): ChainComparison[] {
  return pairs.map(({ a, b, y }) => ({ a, b, y: toWad(y) }));
}

// ---------------------------------------------------------------------------------------------
// Juror file (CSV)
// ---------------------------------------------------------------------------------------------

/** Splits one CSV line; fields may be double-quoted with "" for a quote. */
function splitCsvLine(line: string, fail: (detail: string) => never): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= line.length) fail("unterminated quoted field");
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += line[i++];
      }
      fields.push(value);
      if (i === line.length) return fields;
      if (line[i] !== ",") fail("unexpected text after a quoted field");
      i++;
    } else {
      const comma = line.indexOf(",", i);
      const end = comma === -1 ? line.length : comma;
      const value = line.slice(i, end);
      if (value.includes('"')) fail("stray quote in an unquoted field");
      fields.push(value);
      if (comma === -1) return fields;
      i = comma + 1;
    }
  }
}

/**
 * Parses a juror file in the Deep Funding format (header `JUROR_PAIRS_HEADER`). Rows with a
 * choice other than 1 or 2, a multiplier that `parseMultiplier` refuses, or repo_a == repo_b are
 * skipped and listed in `skipped`. Items are the repository strings exactly as written, indexed
 * in order of first appearance among the kept rows (a repository seen only in skipped rows is
 * not an item). Blank lines are ignored.
 * @throws InputError (`<source>: line N: <detail>`) for a missing or wrong header, a wrong
 * number of columns, an empty repository field or broken quoting.
 */
export function parseJurorPairs(text: string, source = "input"): JurorPairs {
  const lines = (text.startsWith("\uFEFF") ? text.slice(1) : text).split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== "");
  if (headerIndex === -1) {
    throw new InputError(source, "", `empty file (expected the header ${JUROR_PAIRS_HEADER})`);
  }
  const failAt =
    (line: number) =>
    (detail: string): never => {
      throw new InputError(source, `line ${line}`, detail);
    };
  const header = splitCsvLine(lines[headerIndex], failAt(headerIndex + 1));
  if (header.join(",") !== JUROR_PAIRS_HEADER.join(",")) {
    failAt(headerIndex + 1)(
      `wrong header "${lines[headerIndex]}" (expected "${JUROR_PAIRS_HEADER.join(",")}")`,
    );
  }

  const items: string[] = [];
  const index = new Map<string, number>();
  const itemOf = (repo: string): number => {
    let i = index.get(repo);
    if (i === undefined) {
      i = items.length;
      items.push(repo);
      index.set(repo, i);
    }
    return i;
  };
  const pairs: JurorPair[] = [];
  const skipped: SkippedRow[] = [];
  for (let li = headerIndex + 1; li < lines.length; li++) {
    if (lines[li].trim() === "") continue;
    const line = li + 1;
    const fail = failAt(line);
    const fields = splitCsvLine(lines[li], fail);
    if (fields.length !== JUROR_PAIRS_HEADER.length) {
      fail(`expected ${JUROR_PAIRS_HEADER.length} columns, got ${fields.length}`);
    }
    const [timestamp, juror, repoA, repoB, parent, choiceText, multiplierText] = fields;
    if (repoA.trim() === "") fail("empty repo_a");
    if (repoB.trim() === "") fail("empty repo_b");
    const choice = parseChoice(choiceText.trim());
    if (choice === undefined) {
      skipped.push({ line, reason: `bad choice "${choiceText}" (expected 1 or 2)` });
      continue;
    }
    const multiplierHundredths = parseMultiplier(multiplierText.trim());
    if (multiplierHundredths === undefined) {
      skipped.push({
        line,
        reason: `bad multiplier "${multiplierText}" (expected 1 to 999, at most two decimals)`,
      });
      continue;
    }
    if (repoA === repoB) {
      skipped.push({ line, reason: `repo_a and repo_b are the same (${repoA})` });
      continue;
    }
    pairs.push({
      line,
      timestamp,
      juror,
      repoA,
      repoB,
      parent,
      choice,
      multiplierHundredths,
      a: itemOf(repoA),
      b: itemOf(repoB),
      y: pairY(choice, multiplierHundredths),
    });
  }
  return { items, pairs, skipped };
}

/**
 * Reads and parses a juror file (`parseJurorPairs`).
 * @throws InputError if the file is missing or unreadable, or structurally broken.
 */
export function readJurorPairs(path: string): JurorPairs {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(path, "", "file not found");
    if (code === "EISDIR") throw new InputError(path, "", "is a directory, not a CSV file");
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(path, "", `cannot read file: ${reason}`);
  }
  return parseJurorPairs(text, path);
}

// ---------------------------------------------------------------------------------------------
// Small numerics
// ---------------------------------------------------------------------------------------------

/** Median; of an even count, the mean of the middle two. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const s = [...values].sort((p, q) => p - q);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** The "mad" rule: delta = 1.345 * median(|y - median(y)|) / 0.6744897501960817. */
export function madDelta(ys: readonly number[]): number {
  const m = median(ys);
  return (HUBER_K * median(ys.map((y) => Math.abs(y - m)))) / MAD_NORMAL;
}

/** softmax(x), computed stably (the max is subtracted first). */
export function softmax(x: readonly number[]): number[] {
  if (x.length === 0) return [];
  const max = Math.max(...x);
  const e = x.map((v) => Math.exp(v - max));
  const total = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / total);
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function centre(x: number[]): number[] {
  const mean = x.reduce((s, v) => s + v, 0) / (x.length || 1);
  return x.map((v) => v - mean);
}

/** Solves M z = rhs for a symmetric positive definite M (row-major n x n) by Cholesky. */
function solveSpd(m: Float64Array, rhs: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = m[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    if (!(d > 0)) throw new RangeError("normal matrix is not positive definite");
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = m[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = rhs[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * z[k];
    z[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * z[k];
    z[i] = s / l[i * n + i];
  }
  return z;
}

/** A^T W A + ridge I (row-major n x n); row k of A has +1 at b_k and -1 at a_k. */
function normalMatrix(
  pairs: readonly { a: number; b: number }[],
  n: number,
  w: ArrayLike<number>,
  ridge: number,
): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = ridge;
  pairs.forEach(({ a, b }, k) => {
    m[a * n + a] += w[k];
    m[b * n + b] += w[k];
    m[a * n + b] -= w[k];
    m[b * n + a] -= w[k];
  });
  return m;
}

/**
 * Solves (A^T W A + ridge I) z = A^T W v, where (A^T u)_i = sum_{b_k = i} u_k -
 * sum_{a_k = i} u_k.
 */
function solveWeighted(
  pairs: readonly { a: number; b: number }[],
  n: number,
  w: ArrayLike<number>,
  v: ArrayLike<number>,
  ridge: number,
): Float64Array {
  const rhs = new Float64Array(n);
  pairs.forEach(({ a, b }, k) => {
    rhs[b] += w[k] * v[k];
    rhs[a] -= w[k] * v[k];
  });
  return solveSpd(normalMatrix(pairs, n, w, ridge), rhs, n);
}

function checkComparisons(pairs: readonly { a: number; b: number }[], n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`need at least one item, got ${n}`);
  pairs.forEach(({ a, b }, k) => {
    for (const i of [a, b]) {
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new RangeError(`comparison ${k}: item ${i} is not in 0..${n - 1}`);
      }
    }
    if (a === b) throw new RangeError(`comparison ${k}: compares item ${a} with itself`);
  });
}

function checkFloatComparisons(pairs: readonly Comparison[], n: number): void {
  checkComparisons(pairs, n);
  pairs.forEach(({ y }, k) => {
    if (!Number.isFinite(y)) throw new RangeError(`comparison ${k}: y is ${y}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Fits
// ---------------------------------------------------------------------------------------------

/** r_k = y_k - (x_b - x_a) for every comparison. */
export function residuals(pairs: readonly Comparison[], x: readonly number[]): number[] {
  return pairs.map(({ a, b, y }) => y - (x[b] - x[a]));
}

/** Huber's rho(r): r^2 / 2 for |r| <= delta, delta (|r| - delta / 2) beyond. */
export function huberRho(r: number, delta: number): number {
  const abs = Math.abs(r);
  return abs <= delta ? (r * r) / 2 : delta * (abs - delta / 2);
}

/**
 * The objective at x: sum rho_delta(r_k), or sum r_k^2 / 2 when delta is null (l2), plus
 * ridge / 2 |x|^2 (ridge defaults to 0: the reported objectives leave the ridge out).
 */
export function objective(
  pairs: readonly Comparison[],
  x: readonly number[],
  delta: number | null,
  ridge = 0,
): number {
  let total = 0;
  for (const r of residuals(pairs, x)) total += delta === null ? (r * r) / 2 : huberRho(r, delta);
  return total + (ridge / 2) * norm(x) ** 2;
}

/**
 * The float gradient of `objective(pairs, x, delta, ridge)` (ridge defaults to RIDGE):
 * g_i = sum_{a_k = i} psi(r_k) - sum_{b_k = i} psi(r_k) + ridge x_i with psi = clip(., +-delta)
 * (the identity for l2, delta null).
 */
export function gradient(
  pairs: readonly Comparison[],
  n: number,
  x: readonly number[],
  delta: number | null,
  ridge = RIDGE,
): number[] {
  const g = x.slice(0, n).map((v) => ridge * v);
  residuals(pairs, x).forEach((r, k) => {
    const psi = delta === null ? r : Math.max(-delta, Math.min(delta, r));
    g[pairs[k].a] += psi;
    g[pairs[k].b] -= psi;
  });
  return g;
}

/** Least squares: one solve of (A^T A + ridge I) x = A^T y, centred. */
export function fitL2(
  pairs: readonly Comparison[],
  n: number,
  options: FitOptions = {},
): FitResult {
  checkFloatComparisons(pairs, n);
  const ridge = options.ridge ?? RIDGE;
  const ones = new Float64Array(pairs.length).fill(1);
  const x = centre(Array.from(solveWeighted(pairs, n, ones, ys(pairs), ridge)));
  return {
    x,
    weights: softmax(x),
    objective: objective(pairs, x, null),
    iterations: 1,
    converged: true,
    delta: null,
  };
}

function ys(pairs: readonly Comparison[]): Float64Array {
  return Float64Array.from(pairs, (p) => p.y);
}

/**
 * The Huber fit by iteratively reweighted least squares: from x = 0, repeat
 *   r_k = y_k - (x_b - x_a);  w_k = 1 if |r_k| <= delta else delta / |r_k|;
 *   solve (A^T W A + ridge I) x = A^T W y;  centre x
 * until ||x_new - x_old|| < 1e-8 (1 + ||x_new||) or 75 solves. Its fixed point is the minimum of
 * sum rho(r_k) + ridge/2 |x|^2. delta must be > 0 (Infinity gives least squares).
 */
export function fitHuber(
  pairs: readonly Comparison[],
  n: number,
  delta: number,
  options: HuberOptions = {},
): FitResult {
  checkFloatComparisons(pairs, n);
  if (!(delta > 0)) throw new RangeError(`delta must be > 0, got ${delta}`);
  const ridge = options.ridge ?? RIDGE;
  const maxIterations = options.maxIterations ?? MAX_ITERATIONS;
  const convergence = options.convergence ?? CONVERGENCE;
  const y = ys(pairs);
  const w = new Float64Array(pairs.length);
  let x: number[] = new Array<number>(n).fill(0);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    residuals(pairs, x).forEach((r, k) => {
      const abs = Math.abs(r);
      w[k] = abs <= delta ? 1 : delta / abs;
    });
    const next = centre(Array.from(solveWeighted(pairs, n, w, y, ridge)));
    iterations++;
    const step = norm(next.map((v, i) => v - x[i]));
    x = next;
    if (step < convergence * (1 + norm(x))) {
      converged = true;
      break;
    }
  }
  return {
    x,
    weights: softmax(x),
    objective: objective(pairs, x, delta),
    iterations,
    converged,
    delta,
  };
}

// ---------------------------------------------------------------------------------------------
// Aggregating a juror file
// ---------------------------------------------------------------------------------------------

export type Loss = "huber" | "l2";

/** The output of `jury:aggregate` (see `aggregateJson` for the exact file). */
export interface Aggregate {
  loss: Loss;
  delta: number | null;
  /** Sorted by weight, largest first (ties: first appearance). */
  items: { item: string; logit: number; weight: number }[];
  objective: number;
  skipped: number;
  iterations: number;
  converged: boolean;
}

/**
 * Fits a parsed juror file. `delta` is a number or "mad" (`madDelta` over all kept ratings);
 * it is ignored for l2.
 * @throws RangeError if there are no ratings, or the mad rule gives delta 0 (more than half of
 * the ratings equal the median).
 */
export function aggregate(data: JurorPairs, loss: Loss, delta: number | "mad" = "mad"): Aggregate {
  if (data.pairs.length === 0) throw new RangeError("no valid comparisons to fit");
  let fit: FitResult;
  if (loss === "l2") {
    fit = fitL2(data.pairs, data.items.length);
  } else {
    const d = delta === "mad" ? madDelta(data.pairs.map((p) => p.y)) : delta;
    if (!(d > 0)) {
      throw new RangeError(
        delta === "mad"
          ? "the mad rule gives delta = 0 (most ratings are equal); give delta explicitly"
          : `delta must be > 0, got ${d}`,
      );
    }
    fit = fitHuber(data.pairs, data.items.length, d);
  }
  const items = data.items
    .map((item, i) => ({ item, logit: fit.x[i], weight: fit.weights[i] }))
    .sort((p, q) => q.weight - p.weight);
  return {
    loss,
    delta: fit.delta,
    items,
    objective: fit.objective,
    skipped: data.skipped.length,
    iterations: fit.iterations,
    converged: fit.converged,
  };
}

/** The file `jury:aggregate` writes, exactly these keys in this order. */
export interface AggregateJson {
  loss: Loss;
  delta: number | null;
  items: { item: string; logit: number; weight: number }[];
  objective: number;
  skipped: number;
}

/** The exact JSON object `jury:aggregate` writes: loss, delta, items, objective, skipped. */
export function aggregateJson(result: Aggregate): AggregateJson {
  return {
    loss: result.loss,
    delta: result.delta,
    items: result.items.map(({ item, logit, weight }) => ({ item, logit, weight })),
    objective: result.objective,
    skipped: result.skipped,
  };
}

// ---------------------------------------------------------------------------------------------
// Triangle check
// ---------------------------------------------------------------------------------------------

/** A juror's three ratios over items 0, 1, 2: y01 = ln(w1/w0), y02 = ln(w2/w0), y12 = ln(w2/w1). */
export interface TriangleRatios {
  y01: number;
  y02: number;
  y12: number;
}

export type TriangleRatio = keyof TriangleRatios;

export interface TriangleResult {
  /** Per-ratio median over jurors. */
  consensus: TriangleRatios;
  /** Each juror's ratios after the repair (consistent: y02 = y01 + y12), and which was rebuilt. */
  repaired: (TriangleRatios & { rebuilt: TriangleRatio })[];
  /** Per-item median of the jurors' centred logits, re-centred. */
  logits: [number, number, number];
  weights: [number, number, number];
}

const TRIANGLE_RATIOS: readonly TriangleRatio[] = ["y01", "y02", "y12"];

/**
 * The triangle check over items 0, 1, 2. The consensus is the per-ratio median over jurors. For
 * each juror the ratio farthest from the consensus (ties: first of y01, y02, y12) is dropped and
 * rebuilt from the other two (y02 = y01 + y12). Each repaired triangle gives centred logits
 * x0 = -(y01 + y02) / 3, x1 = x0 + y01, x2 = x0 + y02; the result is the per-item median over
 * jurors, re-centred, and its softmax.
 */
export function triangleCheck(jurors: readonly TriangleRatios[]): TriangleResult {
  if (jurors.length === 0) throw new RangeError("triangle check needs at least one juror");
  jurors.forEach((j, i) => {
    for (const key of TRIANGLE_RATIOS) {
      if (!Number.isFinite(j[key])) throw new RangeError(`juror ${i}: ${key} is ${j[key]}`);
    }
  });
  const consensus: TriangleRatios = {
    y01: median(jurors.map((j) => j.y01)),
    y02: median(jurors.map((j) => j.y02)),
    y12: median(jurors.map((j) => j.y12)),
  };
  const repaired = jurors.map((j) => {
    let rebuilt: TriangleRatio = "y01";
    for (const key of TRIANGLE_RATIOS) {
      if (Math.abs(j[key] - consensus[key]) > Math.abs(j[rebuilt] - consensus[rebuilt])) {
        rebuilt = key;
      }
    }
    const r = { y01: j.y01, y02: j.y02, y12: j.y12, rebuilt };
    if (rebuilt === "y01") r.y01 = j.y02 - j.y12;
    else if (rebuilt === "y02") r.y02 = j.y01 + j.y12;
    else r.y12 = j.y02 - j.y01;
    return r;
  });
  const perJuror = repaired.map(({ y01, y02 }) => {
    const x0 = -(y01 + y02) / 3;
    return [x0, x0 + y01, x0 + y02];
  });
  const med = [0, 1, 2].map((i) => median(perJuror.map((x) => x[i])));
  const logits = centre(med) as [number, number, number];
  return { consensus, repaired, logits, weights: softmax(logits) as [number, number, number] };
}

// ---------------------------------------------------------------------------------------------
// Cycle pruning
// ---------------------------------------------------------------------------------------------

export interface PruneOptions {
  /** A triangle is inconsistent above this (default 2 ln 2: a cycle off by a factor of 4). */
  threshold?: number;
  /** Never drop more than this share of the ratings (default 0.1). */
  maxDropFraction?: number;
}

export interface PruneResult {
  /** The ratings kept, in input order. */
  kept: Comparison[];
  /** Indices (into the input) of the dropped ratings, in the order they were dropped. */
  dropped: number[];
  /** The worst triangle inconsistency left (0 when there is no triangle). */
  worst: number;
}

/**
 * Pruning of the least consistent ratings around cycles. Repeatedly:
 *   1. average the kept ratings of each unordered pair {i < j} as m_ij ~ ln(w_j / w_i);
 *   2. over every triangle i < j < k whose three pairs all have ratings, take the one with the
 *      largest inconsistency |m_ij + m_jk - m_ik| (ties: the first in (i, j, k) order);
 *   3. stop if it is at most `threshold`, or if one more drop would exceed
 *      `maxDropFraction` of the ratings;
 *   4. otherwise fit least squares (`fitL2`) to the kept ratings and drop the single rating of
 *      that triangle's three pairs with the largest |residual| (ties: the lowest index).
 * Deterministic; O(drops * (n^3 + K)).
 */
export function pruneCycles(
  pairs: readonly Comparison[],
  n: number,
  options: PruneOptions = {},
): PruneResult {
  checkFloatComparisons(pairs, n);
  const threshold = options.threshold ?? 2 * Math.LN2;
  const maxDropFraction = options.maxDropFraction ?? 0.1;
  if (!(threshold >= 0)) throw new RangeError(`threshold must be >= 0, got ${threshold}`);
  if (!(maxDropFraction >= 0 && maxDropFraction <= 1)) {
    throw new RangeError(`maxDropFraction must be in [0, 1], got ${maxDropFraction}`);
  }
  const maxDrops = Math.floor(maxDropFraction * pairs.length + 1e-9);
  const active = new Array<boolean>(pairs.length).fill(true);
  const dropped: number[] = [];
  const key = (i: number, j: number) => i * n + j;

  for (;;) {
    // Per-pair mean ratings, oriented from the smaller index to the larger.
    const sum = new Map<number, number>();
    const count = new Map<number, number>();
    const members = new Map<number, number[]>();
    pairs.forEach(({ a, b, y }, k) => {
      if (!active[k]) return;
      const [i, j, v] = a < b ? [a, b, y] : [b, a, -y];
      const id = key(i, j);
      sum.set(id, (sum.get(id) ?? 0) + v);
      count.set(id, (count.get(id) ?? 0) + 1);
      const list = members.get(id);
      if (list) list.push(k);
      else members.set(id, [k]);
    });
    const mean = (i: number, j: number) => sum.get(key(i, j))! / count.get(key(i, j))!;
    const neighbours: number[][] = Array.from({ length: n }, () => []);
    for (const id of [...count.keys()].sort((p, q) => p - q)) {
      neighbours[Math.floor(id / n)].push(id % n);
    }

    let worst = 0;
    let worstTriangle: [number, number, number] | undefined;
    for (let i = 0; i < n; i++) {
      for (const j of neighbours[i]) {
        for (const k of neighbours[j]) {
          if (!count.has(key(i, k))) continue;
          const bad = Math.abs(mean(i, j) + mean(j, k) - mean(i, k));
          if (bad > worst) {
            worst = bad;
            worstTriangle = [i, j, k];
          }
        }
      }
    }
    if (worstTriangle === undefined || worst <= threshold || dropped.length + 1 > maxDrops) {
      return { kept: pairs.filter((_, k) => active[k]), dropped, worst };
    }

    const current = pairs.filter((_, k) => active[k]);
    const { x } = fitL2(current, n);
    const [i, j, k] = worstTriangle;
    const candidates = [key(i, j), key(j, k), key(i, k)]
      .flatMap((id) => members.get(id)!)
      .sort((p, q) => p - q);
    let drop = candidates[0];
    let largest = -1;
    for (const c of candidates) {
      const { a, b, y } = pairs[c];
      const r = Math.abs(y - (x[b] - x[a]));
      if (r > largest) {
        largest = r;
        drop = c;
      }
    }
    active[drop] = false;
    dropped.push(drop);
  }
}

// ---------------------------------------------------------------------------------------------
// Certificate (the chain's check, exactly)
// ---------------------------------------------------------------------------------------------

/**
 * The exact integer mirror of the contract's optimality check:
 *   G_i = sum_{a_k = i} c_k - sum_{b_k = i} c_k + (RIDGE_WAD * x_i) / 1e18
 * with c_k = clamp(r_k, -delta, delta), r_k = y_k - (x_{b_k} - x_{a_k}), division truncating
 * toward zero (as Solidity's). All values in 1e18 fixed point. G is the gradient of
 * sum Huber(r_k) + (1e-6 / 2) |x|^2.
 */
export function huberGradient(
  n: number,
  pairs: readonly ChainComparison[],
  x: readonly bigint[],
  delta: bigint,
): bigint[] {
  checkComparisons(pairs, n);
  if (x.length !== n) throw new RangeError(`expected ${n} logits, got ${x.length}`);
  const g = x.map((v) => (RIDGE_WAD * v) / WAD);
  for (const { a, b, y } of pairs) {
    const r = y - (x[b] - x[a]);
    const c = r > delta ? delta : r < -delta ? -delta : r;
    g[a] += c;
    g[b] -= c;
  }
  return g;
}

/** Why the chain would refuse x, or undefined if it accepts it (`submitHuber`'s checks). */
export function certificateProblem(
  n: number,
  pairs: readonly ChainComparison[],
  x: readonly bigint[],
  delta: bigint,
  tolerance: bigint,
): string | undefined {
  if (x.length !== n) return `WrongLogitCount(${x.length}, ${n})`;
  const sum = x.reduce((s, v) => s + v, 0n);
  if (sum !== 0n) return `LogitSumNotZero(${sum})`;
  const far = x.findIndex((v) => v > MAX_LOGIT_WAD || v < -MAX_LOGIT_WAD);
  if (far !== -1) return `LogitOutOfRange(${far}, ${x[far]})`;
  const g = huberGradient(n, pairs, x, delta);
  const bad = g.findIndex((v) => v > tolerance || v < -tolerance);
  return bad === -1 ? undefined : `NotOptimal(${bad}, ${g[bad]}, ${tolerance})`;
}

function maxAbs(values: readonly bigint[]): bigint {
  return values.reduce((m, v) => (v < 0n ? (-v > m ? -v : m) : v > m ? v : m), 0n);
}

/** Puts the sum's remainder on the item with the largest |x| so that sum x == 0 exactly. */
function zeroSum(x: bigint[]): bigint[] {
  const sum = x.reduce((s, v) => s + v, 0n);
  if (sum === 0n) return x;
  let at = 0;
  x.forEach((v, i) => {
    if ((v < 0n ? -v : v) > (x[at] < 0n ? -x[at] : x[at])) at = i;
  });
  x[at] -= sum;
  return x;
}

export interface CertificateOptions {
  /** Largest |G_i| to reach (default DEFAULT_TOLERANCE_WAD = 1e9, i.e. 1e-9). */
  tolerance?: bigint;
  /** Newton steps at most (default 50; most inputs need 0 to 2, flat ones with a small delta up to ~30). */
  maxSteps?: number;
}

/** Where r sits: -1 clipped below -delta, 0 inside [-delta, delta], 1 clipped above delta. */
function side(r: number, delta: number): number {
  return r > delta ? 1 : r < -delta ? -1 : 0;
}

/**
 * The step length t > 0 minimising phi(t) = F(x + t d), F = sum rho(r_k) + RIDGE/2 |x|^2,
 * given the residuals r at x and the change s_k = d_b - d_a (so r_k(t) = r_k - t s_k).
 * phi is convex and piecewise quadratic; t = 1 (the Newton step) is exact when no residual
 * crosses +-delta on the way. Otherwise phi'(t) = RIDGE (x.d + t |d|^2) - sum s_k psi(r_k(t)),
 * which is increasing, is bracketed and bisected.
 */
function stepLength(
  r: Float64Array,
  s: Float64Array,
  xd: number,
  dd: number,
  delta: number,
): number {
  let crosses = false;
  for (let k = 0; k < r.length && !crosses; k++) {
    crosses = side(r[k], delta) !== side(r[k] - s[k], delta);
  }
  if (!crosses) return 1;
  const slope = (t: number) => {
    let v = RIDGE * (xd + t * dd);
    for (let k = 0; k < r.length; k++) {
      v -= s[k] * Math.max(-delta, Math.min(delta, r[k] - t * s[k]));
    }
    return v;
  };
  let lo = 0;
  let hi = 1;
  while (slope(hi) < 0 && hi < 2 ** 40) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 100 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (slope(mid) < 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Logits the chain accepts for these comparisons: sum exactly 0, |x_i| <= 1e24, and
 * |huberGradient| <= tolerance on every item. Runs the float IRLS (`fitHuber`), converts to
 * fixed point (the rounding remainder of the sum goes on the item with the largest |x|), then
 * polishes with Newton steps: G exactly in bigint, (A^T W A + 1e-6 I) d = -G / 1e18 in floats
 * with w_k = 1 where |r_k| <= delta and 0 where r_k is clipped, x += t d (t = 1 unless a
 * residual crosses +-delta on the way, then the exact minimum along d), sum re-zeroed. Stops
 * when max |G| <= min(tolerance, 1e6) (1e-12).
 *
 * The line search matters where the objective is nearly flat: with a small delta, ratings of a
 * pair that disagree by more than 2 delta leave a stretch where only the 1e-6 ridge decides;
 * IRLS creeps along it (75 iterations may stop far from the optimum) while Newton jumps.
 * @throws RangeError if the tolerance is not reached within `maxSteps` steps, or a logit is
 * beyond the chain's range.
 */
export function certificate(
  n: number,
  pairs: readonly ChainComparison[],
  delta: bigint,
  options: CertificateOptions = {},
): bigint[] {
  checkComparisons(pairs, n);
  if (delta <= 0n) throw new RangeError(`delta must be > 0, got ${delta}`);
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE_WAD;
  if (tolerance < 0n) throw new RangeError(`tolerance must be >= 0, got ${tolerance}`);
  const maxSteps = options.maxSteps ?? 50;
  const target = tolerance < POLISH_TARGET_WAD ? tolerance : POLISH_TARGET_WAD;
  const unit = (v: bigint) => Number(v) / 1e18;
  const deltaF = unit(delta);

  const floats = pairs.map(({ a, b, y }) => ({ a, b, y: unit(y) }));
  const fit = fitHuber(floats, n, deltaF);
  let x = zeroSum(fit.x.map(toWad));
  let best = x;
  let bestG = maxAbs(huberGradient(n, pairs, x, delta));
  const w = new Float64Array(pairs.length);
  const r = new Float64Array(pairs.length);
  const s = new Float64Array(pairs.length);
  for (let step = 0; step < maxSteps && bestG > target; step++) {
    const g = huberGradient(n, pairs, x, delta);
    pairs.forEach(({ a, b, y }, k) => {
      const rk = y - (x[b] - x[a]);
      r[k] = unit(rk);
      w[k] = rk <= delta && rk >= -delta ? 1 : 0;
    });
    // Newton: H d = -G / 1e18 with H = A^T W A + RIDGE I, the Hessian where no residual
    // crosses +-delta (a clipped residual has zero second derivative).
    const solved = solveSpd(
      normalMatrix(pairs, n, w, RIDGE),
      Float64Array.from(g, (v) => -unit(v)),
      n,
    );
    // The sum of G is only truncation noise (at most n wei), which H's 1e-6 eigenvalue along
    // (1, ..., 1) would blow up into a shift of ~1e6 wei per item: project the step on sum 0
    // before rounding, so only the rounding remainder (< n wei) lands on one item.
    const d = centre(Array.from(solved));
    pairs.forEach(({ a, b }, k) => {
      s[k] = d[b] - d[a];
    });
    const xd = d.reduce((acc, v, i) => acc + v * unit(x[i]), 0);
    const t = stepLength(r, s, xd, norm(d) ** 2, deltaF);
    x = zeroSum(x.map((v, i) => v + toWad(t * d[i])));
    const gNext = maxAbs(huberGradient(n, pairs, x, delta));
    if (gNext < bestG) {
      best = x;
      bestG = gNext;
    }
  }
  if (bestG > tolerance) {
    throw new RangeError(
      `certificate: max |gradient| ${bestG} is above the tolerance ${tolerance} after ` +
        `${maxSteps} Newton steps`,
    );
  }
  const far = best.findIndex((v) => v > MAX_LOGIT_WAD || v < -MAX_LOGIT_WAD);
  if (far !== -1) {
    throw new RangeError(`certificate: logit ${far} = ${best[far]} is beyond +-${MAX_LOGIT_WAD}`);
  }
  return best;
}
