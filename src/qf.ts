/**
 * Exact off-chain quadratic funding (CLR) math.
 *
 * Everything here works on `bigint` wei amounts and reproduces, bit for bit, the integer
 * arithmetic of the on-chain round contract:
 *
 *   sqrtScaled(c)  = floor(sqrt(c * 1e18))              (PRBMath UD60x18 `sqrt` of a wei amount)
 *   S_g            = sum over contributors i of sqrtScaled(c_i)   (c_i = cumulative gift to gap g)
 *   C_g            = sum over contributors i of c_i
 *   ideal_g        = max(0, floor(S_g^2 / 1e18) - C_g)
 *   T              = sum over gaps of ideal_g
 *   match_g        = ideal_g                        if T <= budget
 *                  = floor(ideal_g * budget / T)    otherwise
 *
 * The only floating-point code is `floatCheck`, a deliberately approximate cross-check used by
 * the tests.
 */

/** 1.0 in 18-decimal fixed point (and one token in wei). */
export const WAD = 10n ** 18n;

/** One contribution of `amount` wei from `contributor` to knowledge gap `gap`. */
export interface Contribution {
  contributor: string;
  gap: string;
  amount: bigint;
}

/** Per-gap outcome of a round. */
export interface GapResult {
  gap: string;
  /** Distinct contributors with a cumulative amount above zero. */
  contributors: number;
  /** C_g: sum of all direct contributions, in wei. */
  direct: bigint;
  /** S_g: sum over contributors of sqrtScaled(cumulative amount). */
  sumSqrt: bigint;
  /** Unscaled CLR match: max(0, floor(S_g^2 / WAD) - C_g). */
  idealMatch: bigint;
  /** Match actually paid out of the budget. */
  match: bigint;
  /** direct + match. */
  payout: bigint;
}

/** Outcome of a whole round. */
export interface RoundResult {
  /** Scaling factor applied to ideal matches, in WAD (WAD = 1.0, i.e. fully funded). */
  alpha: bigint;
  /** T: sum of ideal matches over all gaps. */
  totalIdeal: bigint;
  budget: bigint;
  /** Sum of the matches paid. */
  matched: bigint;
  /** budget - matched (includes rounding dust). */
  unspent: bigint;
  gaps: GapResult[];
}

/** Machine-readable form of a RoundResult, as printed by the checker. */
export interface RoundJson {
  alpha: string;
  totalIdeal: string;
  matched: string;
  unspent: string;
  gaps: GapJson[];
}

export interface GapJson {
  gap: string;
  contributors: number;
  direct: string;
  sumSqrt: string;
  idealMatch: string;
  match: string;
  payout: string;
}

/** Number of bits needed to write `n` (n > 0) in binary. */
function bitLength(n: bigint): number {
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex.slice(0, 1), 16)));
}

/**
 * Integer square root: the largest r with r * r <= n. Exact for every size of `n`.
 * @throws RangeError if `n` is negative.
 */
export function isqrt(n: bigint): bigint {
  if (n < 0n) {
    throw new RangeError(`isqrt: negative input ${n}`);
  }
  if (n < 2n) {
    return n;
  }
  // Start from a power of two that is certainly >= sqrt(n): 2^ceil(bits/2).
  // From an over-estimate, Newton's iteration decreases monotonically to floor(sqrt(n)).
  let x = 1n << BigInt((bitLength(n) + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) {
      return x;
    }
    x = y;
  }
}

/** floor(sqrt(amount * WAD)): the UD60x18 square root of a wei amount. */
export function sqrtScaled(amount: bigint): bigint {
  if (amount < 0n) {
    throw new RangeError(`sqrtScaled: negative amount ${amount}`);
  }
  return isqrt(amount * WAD);
}

/** max(0, floor(sumSqrt^2 / WAD) - direct). */
export function idealMatch(sumSqrt: bigint, direct: bigint): bigint {
  const squared = (sumSqrt * sumSqrt) / WAD;
  return squared > direct ? squared - direct : 0n;
}

/** The match paid to a gap: its ideal if the budget covers T, otherwise scaled down (floored). */
export function matchFor(ideal: bigint, totalIdeal: bigint, budget: bigint): bigint {
  if (totalIdeal <= budget) {
    return ideal;
  }
  return (ideal * budget) / totalIdeal;
}

/** Scaling factor in WAD: 0 if T = 0, WAD if 0 < T <= budget, else floor(budget * WAD / T). */
export function alphaWad(totalIdeal: bigint, budget: bigint): bigint {
  if (totalIdeal === 0n) {
    return 0n;
  }
  if (totalIdeal <= budget) {
    return WAD;
  }
  return (budget * WAD) / totalIdeal;
}

function checkBudget(budget: bigint): void {
  if (budget < 0n) {
    throw new RangeError(`budget must be >= 0, got ${budget}`);
  }
}

function checkAmount(amount: bigint, where: string): void {
  if (amount < 0n) {
    throw new RangeError(`${where}: amount must be > 0, got ${amount}`);
  }
  if (amount === 0n) {
    throw new RangeError(`${where}: zero-amount contribution`);
  }
}

/** Running state of one gap. */
interface GapState {
  direct: bigint;
  sumSqrt: bigint;
  ideal: bigint;
  /** contributor -> cumulative amount */
  amounts: Map<string, bigint>;
}

/**
 * Mirrors the contract's bookkeeping: each contribution updates the contributor's cumulative
 * amount, S_g by the difference of square roots, C_g by the amount and T by the change of the
 * gap's ideal match. `result(budget)` then derives matches exactly as `computeRound` does.
 */
export class RoundAccumulator {
  readonly #gaps = new Map<string, GapState>();
  #totalIdeal = 0n;
  #count = 0;

  /** Current T (sum of the gaps' current ideal matches). */
  get totalIdeal(): bigint {
    return this.#totalIdeal;
  }

  contribute(contributor: string, gap: string, amount: bigint): void {
    checkAmount(amount, `contribution #${this.#count}`);
    this.#count += 1;

    let state = this.#gaps.get(gap);
    if (state === undefined) {
      state = { direct: 0n, sumSqrt: 0n, ideal: 0n, amounts: new Map() };
      this.#gaps.set(gap, state);
    }
    const before = state.amounts.get(contributor) ?? 0n;
    const after = before + amount;
    state.amounts.set(contributor, after);

    state.sumSqrt += sqrtScaled(after) - sqrtScaled(before);
    state.direct += amount;
    const ideal = idealMatch(state.sumSqrt, state.direct);
    this.#totalIdeal += ideal - state.ideal;
    state.ideal = ideal;
  }

  result(budget: bigint): RoundResult {
    checkBudget(budget);
    const partial = [...this.#gaps].map(([gap, state]) => ({
      gap,
      contributors: state.amounts.size,
      direct: state.direct,
      sumSqrt: state.sumSqrt,
      idealMatch: state.ideal,
    }));
    return finishRound(partial, this.#totalIdeal, budget);
  }
}

/**
 * Computes a whole round from scratch. Repeated (contributor, gap) pairs are summed before
 * the square root is taken; gaps are listed in order of first appearance.
 * @throws RangeError on a zero or negative amount, or a negative budget.
 */
export function computeRound(contributions: readonly Contribution[], budget: bigint): RoundResult {
  checkBudget(budget);

  // gap -> contributor -> cumulative amount (Map keeps insertion order).
  const byGap = new Map<string, Map<string, bigint>>();
  contributions.forEach((c, i) => {
    checkAmount(c.amount, `contributions[${i}]`);
    let perContributor = byGap.get(c.gap);
    if (perContributor === undefined) {
      perContributor = new Map();
      byGap.set(c.gap, perContributor);
    }
    perContributor.set(c.contributor, (perContributor.get(c.contributor) ?? 0n) + c.amount);
  });

  const partial: Omit<GapResult, "match" | "payout">[] = [];
  let totalIdeal = 0n;
  for (const [gap, perContributor] of byGap) {
    let direct = 0n;
    let sumSqrt = 0n;
    for (const amount of perContributor.values()) {
      direct += amount;
      sumSqrt += sqrtScaled(amount);
    }
    const ideal = idealMatch(sumSqrt, direct);
    totalIdeal += ideal;
    partial.push({ gap, contributors: perContributor.size, direct, sumSqrt, idealMatch: ideal });
  }

  return finishRound(partial, totalIdeal, budget);
}

/** Applies the budget to per-gap ideals: matches, payouts and the round's totals. */
function finishRound(
  partial: readonly Omit<GapResult, "match" | "payout">[],
  totalIdeal: bigint,
  budget: bigint,
): RoundResult {
  let matched = 0n;
  const gaps: GapResult[] = partial.map((g) => {
    const match = matchFor(g.idealMatch, totalIdeal, budget);
    matched += match;
    return { ...g, match, payout: g.direct + match };
  });
  return {
    alpha: alphaWad(totalIdeal, budget),
    totalIdeal,
    budget,
    matched,
    unspent: budget - matched,
    gaps,
  };
}

/** The checker's JSON output: amounts as decimal strings, keys in a fixed order. */
export function toJson(result: RoundResult): RoundJson {
  return {
    alpha: result.alpha.toString(),
    totalIdeal: result.totalIdeal.toString(),
    matched: result.matched.toString(),
    unspent: result.unspent.toString(),
    gaps: result.gaps.map((g) => ({
      gap: g.gap,
      contributors: g.contributors,
      direct: g.direct.toString(),
      sumSqrt: g.sumSqrt.toString(),
      idealMatch: g.idealMatch.toString(),
      match: g.match.toString(),
      payout: g.payout.toString(),
    })),
  };
}

/**
 * payout / direct as a display string with two decimals, e.g. "3.25x" (rounded half up,
 * integer arithmetic only). "-" when nothing was contributed directly.
 */
export function leverage(direct: bigint, payout: bigint): string {
  if (direct < 0n || payout < 0n) {
    throw new RangeError(`leverage: negative input (direct ${direct}, payout ${payout})`);
  }
  if (direct === 0n) {
    return "-";
  }
  const hundredths = (payout * 200n + direct) / (2n * direct);
  const whole = hundredths / 100n;
  const frac = (hundredths % 100n).toString().padStart(2, "0");
  return `${whole}.${frac}x`;
}

/** Approximate per-gap figures from `floatCheck` (wei, as JS numbers). */
export interface FloatGap {
  gap: string;
  ideal: number;
  match: number;
}

export interface FloatRound {
  /** Scaling factor as a plain number (1 = fully funded, 0 if T = 0). */
  alpha: number;
  totalIdeal: number;
  gaps: FloatGap[];
}

/**
 * FLOATING-POINT CROSS-CHECK ONLY — never use for payouts.
 * Textbook CLR with JS numbers: ideal_g = (sum_i sqrt(c_i))^2 - sum_i c_i, scaled by
 * min(1, budget / T). Amounts are converted to tokens (wei / 1e18) to keep magnitudes sane,
 * and results are converted back to wei. Tests use it to show the exact module agrees with the
 * formula up to float error.
 */
export function floatCheck(contributions: readonly Contribution[], budget: bigint): FloatRound {
  const toTokens = (wei: bigint): number => Number(wei) / 1e18;
  const byGap = new Map<string, Map<string, number>>();
  for (const c of contributions) {
    let perContributor = byGap.get(c.gap);
    if (perContributor === undefined) {
      perContributor = new Map();
      byGap.set(c.gap, perContributor);
    }
    perContributor.set(
      c.contributor,
      (perContributor.get(c.contributor) ?? 0) + toTokens(c.amount),
    );
  }
  const ideals: { gap: string; ideal: number }[] = [];
  let total = 0;
  for (const [gap, perContributor] of byGap) {
    let sumSqrt = 0;
    let direct = 0;
    for (const amount of perContributor.values()) {
      sumSqrt += Math.sqrt(amount);
      direct += amount;
    }
    const ideal = Math.max(0, sumSqrt * sumSqrt - direct);
    total += ideal;
    ideals.push({ gap, ideal });
  }
  const budgetTokens = toTokens(budget);
  const alpha = total === 0 ? 0 : Math.min(1, budgetTokens / total);
  return {
    alpha,
    totalIdeal: total * 1e18,
    gaps: ideals.map(({ gap, ideal }) => ({
      gap,
      ideal: ideal * 1e18,
      match: ideal * alpha * 1e18,
    })),
  };
}
