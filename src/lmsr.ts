/**
 * Hanson's logarithmic market scoring rule (LMSR) with a constant-gas state, mirroring
 * `contracts/libraries/LMSRMath.sol` function by function: same names, same units (bigint wei
 * for quantities and the liquidity b, bigint 18-decimal fixed point for exponents, exp terms,
 * prices and logarithms), same rounding directions, margins, thresholds and errors.
 *
 *   C(q) = b ln sum_j exp(q_j / b)            cost function
 *   p_j  = exp(q_j / b) / sum_k exp(q_k / b)   prices
 *   state: q_j, an anchor m, S = sum_j e_j with e_j = exp((q_j - m) / b) (1e18 = 1.0)
 *
 * Unlike `src/qf.ts` this module is NOT bit-exact: PRBMath's exp and ln are not practical to
 * reproduce, so the transcendental steps run in double precision; every integer step (the
 * exponent quotient, S - eOld + eNew, margins, price quotients, thresholds) is exact.
 *
 * Tolerance against the contract (what `test/lmsr.test.ts` checks):
 *   - exp terms, re-anchored sums, prices: relative 1e-12, plus 2 wei of the exp terms (the
 *     contract's exp is exact to ~1 wei, so a price carries 2e18 / S wei of absolute slack);
 *   - costs, payouts, worst-case losses, liquidity: relative 1e-12, plus b / 1e16 + 2 wei (a
 *     tenth of the margin: the contract rounds the ratio S'/S to 1e-18 before its logarithm);
 *   - accumulators lnW: absolute 1e-12 (i.e. W itself to relative 1e-12);
 *   - price-seconds: relative 1e-12, plus 1e-16 of exp(q_j / b + lnW) (the contract subtracts
 *     two such exps, see its `priceSeconds`).
 */

/** 1.0 in 18-decimal fixed point (and one token in wei). */
export const WAD = 10n ** 18n;
/** Exp terms with an exponent below this are 0. */
export const MIN_EXPONENT = -41n * WAD;
/** Largest exponent `expTerm` accepts. */
export const MAX_EXPONENT = 100n * WAD;
/** A buy that would take its exponent above this moves the anchor first. */
export const REANCHOR_AT = 60n * WAD;
/** A sale that leaves S below this (0.1) moves the anchor down. */
export const MIN_SUM = 10n ** 17n;
/** Largest liquidity parameter b (1e18 tokens). */
export const MAX_LIQUIDITY = 10n ** 36n;
export const MIN_OUTCOMES = 2;
export const MAX_OUTCOMES = 256;
/** The trade margin is b / MARGIN_DIVISOR + 1 wei. */
export const MARGIN_DIVISOR = 10n ** 15n;
/** Starting prices must add up to 1e18 within this. */
export const PRICE_SUM_TOLERANCE = 10n ** 9n;
/** lnW of a zero integral. */
export const LN_ZERO = -(1n << 255n);
/** Relative tolerance of this module against the contract (see the module comment). */
export const RELATIVE_TOLERANCE = 1e-12;

const EXP_LIMIT = 130n * WAD;
const SMALL_SUM_LN = Math.log(1e18);

/** A revert of the contract library, named as in Solidity (e.g. "ExponentTooLarge"). */
export class LmsrMathError extends RangeError {
  readonly errorName: string;
  readonly args: readonly bigint[];

  constructor(errorName: string, ...args: bigint[]) {
    super(`LMSRMath.${errorName}(${args.join(", ")})`);
    this.name = "LmsrMathError";
    this.errorName = errorName;
    this.args = args;
  }
}

// ----------------------------------------------------------------------------------------------
// Conversions
// ----------------------------------------------------------------------------------------------

function toBig(value: number, round: (v: number) => number): bigint {
  if (!Number.isFinite(value)) {
    throw new RangeError(`lmsr: non-finite intermediate ${value}`);
  }
  return BigInt(round(value));
}

const floorBig = (value: number): bigint => toBig(value, Math.floor);
const ceilBig = (value: number): bigint => toBig(value, Math.ceil);
const roundBig = (value: number): bigint => toBig(value, Math.round);

/** An 18-decimal fixed-point bigint as a double. */
export function fromWad(x: bigint): number {
  return Number(x) / 1e18;
}

/** A double as an 18-decimal fixed-point bigint (rounded to nearest). */
export function toWad(x: number): bigint {
  return roundBig(x * 1e18);
}

function checkLiquidity(b: bigint): void {
  if (b <= 0n || b > MAX_LIQUIDITY) throw new LmsrMathError("BadLiquidity", b);
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < MIN_OUTCOMES || n > MAX_OUTCOMES) {
    throw new LmsrMathError("BadOutcomeCount", BigInt(n));
  }
}

/** x / b in 18-decimal fixed point, rounded toward zero (exactly the contract's quotient). */
function divByB(x: bigint, b: bigint): bigint {
  return (x * WAD) / b;
}

// ----------------------------------------------------------------------------------------------
// Library mirror
// ----------------------------------------------------------------------------------------------

/** b / 1e15 + 1 wei: added to every cost and taken from every payout. */
export function marginOf(b: bigint): bigint {
  return b / MARGIN_DIVISOR + 1n;
}

/** exp((q - anchor) / b) in WAD; 0 below MIN_EXPONENT; throws ExponentTooLarge above MAX. */
export function expTerm(q: bigint, anchor: bigint, b: bigint): bigint {
  checkLiquidity(b);
  const x = divByB(q - anchor, b);
  if (x < MIN_EXPONENT) return 0n;
  if (x > MAX_EXPONENT) throw new LmsrMathError("ExponentTooLarge", x);
  return floorBig(Math.exp(fromWad(x)) * 1e18);
}

/** Shift of the anchor needed before q_j becomes qNew: 0 unless the exponent would pass 60. */
export function anchorShift(qNew: bigint, anchor: bigint, b: bigint): bigint {
  checkLiquidity(b);
  const diff = qNew - anchor;
  return divByB(diff, b) > REANCHOR_AT ? diff : 0n;
}

/** ceil(b ln(newS / S)) + marginOf(b), newS = S - eOld + eNew (eNew >= eOld). */
export function buyCost(
  S: bigint,
  eOld: bigint,
  eNew: bigint,
  b: bigint,
): { cost: bigint; newS: bigint } {
  checkLiquidity(b);
  if (S === 0n) throw new LmsrMathError("SumTooSmall", S, 0n);
  if (eNew < eOld) throw new LmsrMathError("WrongDirection", eOld, eNew);
  const increase = eNew - eOld;
  const lnRatio = Math.log1p(Number(increase) / Number(S));
  return { cost: ceilBig(Number(b) * lnRatio) + marginOf(b), newS: S + increase };
}

/** max(0, floor(b ln(S / newS)) - marginOf(b)), newS = S - eOld + eNew (eNew <= eOld). */
export function sellReturn(
  S: bigint,
  eOld: bigint,
  eNew: bigint,
  b: bigint,
): { payout: bigint; newS: bigint } {
  checkLiquidity(b);
  if (eNew > eOld) throw new LmsrMathError("WrongDirection", eOld, eNew);
  const decrease = eOld - eNew;
  if (decrease >= S) throw new LmsrMathError("SumTooSmall", S, decrease);
  // ln(S / newS): through log1p while newS / S is near 1, directly otherwise.
  const kept = Number(S - decrease) / Number(S);
  const lnRatio = kept < 0.5 ? -Math.log(kept) : -Math.log1p(-Number(decrease) / Number(S));
  const gross = floorBig(Number(b) * lnRatio);
  const margin = marginOf(b);
  return { payout: gross > margin ? gross - margin : 0n, newS: S - decrease };
}

/**
 * S * exp(-shift / b), rounded up: the running sum after the anchor moves by `shift` (the
 * contract rounds up so that a later sale of a dominant term cannot expose a shortfall).
 */
export function reanchor(S: bigint, shift: bigint, b: bigint): bigint {
  checkLiquidity(b);
  if (shift === 0n || S === 0n) return S;
  if (shift < 0n) {
    const up = divByB(-shift, b);
    if (up > MAX_EXPONENT) throw new LmsrMathError("ExponentTooLarge", up);
    return ceilBig(Number(S) * Math.exp(fromWad(up)));
  }
  return ceilBig(Number(S) * Math.exp(-fromWad(divByB(shift, b))));
}

/** The downward anchor move after a sale leaves S below MIN_SUM: b ln(S / 1e18) (< 0), else 0. */
export function lowSumShift(S: bigint, b: bigint): bigint {
  checkLiquidity(b);
  if (S >= MIN_SUM || S === 0n) return 0n;
  return -floorBig(Number(b) * (SMALL_SUM_LN - Math.log(Number(S))));
}

/** Spot price e / S in WAD, rounded down (exact, as on chain). */
export function priceOf(e: bigint, S: bigint): bigint {
  if (S === 0n) throw new LmsrMathError("SumTooSmall", S, 0n);
  return (e * WAD) / S;
}

/** Starting quantities q_j = b ln p_j (magnitude rounded down) and S = sum of their exp terms. */
export function initialState(pricesWad: readonly bigint[], b: bigint): { q: bigint[]; S: bigint } {
  checkCount(pricesWad.length);
  checkLiquidity(b);
  let sum = 0n;
  for (const p of pricesWad) {
    if (p <= 0n || p > WAD) throw new LmsrMathError("BadPrices");
    sum += p;
  }
  if (sum > WAD + PRICE_SUM_TOLERANCE || sum + PRICE_SUM_TOLERANCE < WAD) {
    throw new LmsrMathError("BadPrices");
  }
  const q = pricesWad.map((p) => -floorBig(Number(b) * -Math.log(fromWad(p))));
  const S = q.reduce((acc, qj) => acc + expTerm(qj, 0n, b), 0n);
  return { q, S };
}

/** The uniform starting state: every q_j = 0, S = n * 1e18. */
export function uniformState(n: number): { q: bigint[]; S: bigint } {
  checkCount(n);
  return { q: Array.from({ length: n }, () => 0n), S: BigInt(n) * WAD };
}

function lnInversePrice(minPriceWad: bigint): number {
  if (minPriceWad <= 0n || minPriceWad > WAD / 2n) throw new LmsrMathError("BadPrices");
  return -Math.log(fromWad(minPriceWad));
}

function lossFor(b: bigint, lnInv: number): bigint {
  return ceilBig(Number(b) * lnInv) + marginOf(b);
}

/** ceil(b ln(1e18 / minPrice)) + marginOf(b): the subsidy that covers every outcome. */
export function worstCaseLoss(b: bigint, minPriceWad: bigint): bigint {
  checkLiquidity(b);
  return lossFor(b, lnInversePrice(minPriceWad));
}

/** The largest b whose worstCaseLoss is at most `subsidy` (0 if none), capped at MAX_LIQUIDITY. */
export function liquidityFor(subsidy: bigint, minPriceWad: bigint): bigint {
  const lnInv = lnInversePrice(minPriceWad);
  if (subsidy < 2n) return 0n;
  if (subsidy >= lossFor(MAX_LIQUIDITY, lnInv)) return MAX_LIQUIDITY;
  // loss(b) is about b (L + 1e-15) + 1: estimate, then bisect on loss(b) <= subsidy within a
  // bracket wide enough for the double rounding.
  const estimate = Number(subsidy - 1n) / (lnInv + 1e-15);
  let lo = floorBig(estimate * (1 - 1e-9));
  let hi = ceilBig(estimate * (1 + 1e-9)) + 4n;
  if (lo < 0n) lo = 0n;
  if (hi > MAX_LIQUIDITY) hi = MAX_LIQUIDITY;
  if (lo > 0n && lossFor(lo, lnInv) > subsidy) lo = 0n;
  // Invariant: loss(lo) <= subsidy (or lo = 0), and the answer is in [lo, hi].
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n;
    if (lossFor(mid, lnInv) <= subsidy) lo = mid;
    else hi = mid - 1n;
  }
  return lo;
}

/** ln(exp(a) + exp(b)) in WAD, LN_ZERO standing for ln 0. */
export function logAddExp(a: bigint, b: bigint): bigint {
  if (a === LN_ZERO) return b;
  if (b === LN_ZERO) return a;
  const [hi, lo] = a >= b ? [a, b] : [b, a];
  const d = lo - hi;
  if (d < MIN_EXPONENT) return hi;
  return hi + roundBig(Math.log1p(Math.exp(fromWad(d))) * 1e18);
}

/** lnW after `dt` more seconds at the state (S, anchor): logAddExp(lnW, ln dt - ln S - anchor/b). */
export function accrue(lnW: bigint, dt: bigint, S: bigint, anchor: bigint, b: bigint): bigint {
  if (dt === 0n) return lnW;
  checkLiquidity(b);
  if (dt < 0n || dt >= 1n << 64n) throw new LmsrMathError("BadDuration", dt);
  if (S === 0n) throw new LmsrMathError("SumTooSmall", S, 0n);
  const logs = Math.log(Number(dt)) - (Math.log(Number(S)) - SMALL_SUM_LN);
  return logAddExp(lnW, toWad(logs) - divByB(anchor, b));
}

/** Price-seconds (WAD price times seconds) of an outcome held at qj between two accumulators. */
export function priceSeconds(qj: bigint, b: bigint, lnWNow: bigint, lnWLast: bigint): bigint {
  if (lnWNow === LN_ZERO) return 0n;
  if (lnWLast > lnWNow) throw new LmsrMathError("TwapOutOfOrder", lnWLast, lnWNow);
  checkLiquidity(b);
  const xNow = divByB(qj, b) + lnWNow;
  if (lnWLast === LN_ZERO) {
    if (xNow > EXP_LIMIT) throw new LmsrMathError("ExponentTooLarge", xNow);
    return floorBig(Math.exp(fromWad(xNow)) * 1e18);
  }
  // exp(xNow) (1 - exp(d)) with d = lnWLast - lnWNow <= 0, taken in the log domain.
  const y = fromWad(xNow) + Math.log(-Math.expm1(fromWad(lnWLast - lnWNow)));
  if (xNow > EXP_LIMIT && y > fromWad(EXP_LIMIT)) {
    throw new LmsrMathError("ExponentTooLarge", toWad(y));
  }
  return floorBig(Math.exp(y) * 1e18);
}

// ----------------------------------------------------------------------------------------------
// Helpers: prices and costs from quantities, a market's state, quotes, time-weighted prices
// ----------------------------------------------------------------------------------------------

function softmax(exponents: readonly number[]): number[] {
  const top = Math.max(...exponents);
  const terms = exponents.map((x) => Math.exp(x - top));
  const sum = terms.reduce((a, t) => a + t, 0);
  return terms.map((t) => t / sum);
}

/**
 * Prices exp(q_j / b) / sum_k exp(q_k / b) straight from the quantities (no anchor). With
 * bigints: q and b in wei, prices in WAD rounded down. With numbers: plain floats.
 */
export function prices(q: readonly bigint[], b: bigint): bigint[];
export function prices(q: readonly number[], b: number): number[];
export function prices(
  q: readonly bigint[] | readonly number[],
  b: bigint | number,
): bigint[] | number[] {
  if (typeof b === "number") {
    return softmax((q as readonly number[]).map((qj) => qj / b));
  }
  checkLiquidity(b);
  const qs = q as readonly bigint[];
  const top = qs.reduce((m, qj) => (qj > m ? qj : m), qs[0]);
  // Terms relative to the largest (which is 1e18), then exact quotients: the sum is <= 1e18.
  const terms = qs.map((qj) => floorBig(Math.exp(fromWad(divByB(qj - top, b))) * 1e18));
  const sum = terms.reduce((a, e) => a + e, 0n);
  return terms.map((e) => (e * WAD) / sum);
}

/**
 * The cost function C(q) = b ln sum_j exp(q_j / b). With bigints (wei) it is rounded up; with
 * numbers, a float.
 */
export function cost(q: readonly bigint[], b: bigint): bigint;
export function cost(q: readonly number[], b: number): number;
export function cost(
  q: readonly bigint[] | readonly number[],
  b: bigint | number,
): bigint | number {
  if (typeof b === "number") {
    const qs = q as readonly number[];
    const top = Math.max(...qs);
    return top + b * Math.log(qs.reduce((a, qj) => a + Math.exp((qj - top) / b), 0));
  }
  checkLiquidity(b);
  const qs = q as readonly bigint[];
  const top = qs.reduce((m, qj) => (qj > m ? qj : m), qs[0]);
  const sum = qs.reduce((a, qj) => a + Math.exp(fromWad(divByB(qj - top, b))), 0);
  return top + ceilBig(Number(b) * Math.log(sum));
}

/** The constant-gas state of one market. */
export interface MarketState {
  /** Liquidity parameter, wei. */
  b: bigint;
  /** Anchor m, wei. */
  anchor: bigint;
  /** Running sum of exp((q_j - m) / b), WAD. */
  S: bigint;
  /** Net quantity sold of each outcome, wei. */
  q: bigint[];
}

/** A market at the given starting prices (WAD), or at uniform prices when `pricesWad` is omitted. */
export function createMarket(b: bigint, nOrPrices: number | readonly bigint[]): MarketState {
  checkLiquidity(b);
  const start =
    typeof nOrPrices === "number" ? uniformState(nOrPrices) : initialState(nOrPrices, b);
  return { b, anchor: 0n, S: start.S, q: start.q };
}

/** Spot prices e_j / S of a market (WAD, rounded down, as the contract reports them). */
export function spotPrices(state: MarketState): bigint[] {
  return state.q.map((qj) => priceOf(expTerm(qj, state.anchor, state.b), state.S));
}

export interface BuyQuote {
  cost: bigint;
  /** The market after the trade (the input is left unchanged). */
  state: MarketState;
  /** How far the anchor moved after the trade (>= 0; 0 if it did not). */
  shift: bigint;
}

export interface SellQuote {
  payout: bigint;
  state: MarketState;
  /** How far the anchor moved after the sale (<= 0; 0 if it did not). */
  shift: bigint;
}

function checkTrade(state: MarketState, j: number, amount: bigint): void {
  if (!Number.isInteger(j) || j < 0 || j >= state.q.length) {
    throw new RangeError(`lmsr: no outcome ${j}`);
  }
  if (amount <= 0n) throw new RangeError(`lmsr: amount must be > 0, got ${amount}`);
}

/**
 * Buying `amount` of outcome j: the cost is `buyCost` of the outcome's exp term before and after,
 * in the current frame (throws ExponentTooLarge if the new exponent passes MAX_EXPONENT: split
 * such a buy); then, if the new exponent passes REANCHOR_AT, the anchor moves to the new q_j
 * (`anchorShift`, `reanchor`).
 */
export function quoteBuy(state: MarketState, j: number, amount: bigint): BuyQuote {
  checkTrade(state, j, amount);
  const { b, anchor } = state;
  const qNew = state.q[j] + amount;
  const { cost: price, newS } = buyCost(
    state.S,
    expTerm(state.q[j], anchor, b),
    expTerm(qNew, anchor, b),
    b,
  );
  const shift = anchorShift(qNew, anchor, b);
  const q = state.q.slice();
  q[j] = qNew;
  return {
    cost: price,
    state: { b, anchor: anchor + shift, S: reanchor(newS, shift, b), q },
    shift,
  };
}

/**
 * Selling `amount` of outcome j back: `sellReturn` of its exp term before and after; if that
 * leaves S below MIN_SUM the anchor then moves down (`lowSumShift`, `reanchor`).
 */
export function quoteSell(state: MarketState, j: number, amount: bigint): SellQuote {
  checkTrade(state, j, amount);
  const { b } = state;
  const qNew = state.q[j] - amount;
  const { payout, newS } = sellReturn(
    state.S,
    expTerm(state.q[j], state.anchor, b),
    expTerm(qNew, state.anchor, b),
    b,
  );
  const shift = lowSumShift(newS, b);
  const q = state.q.slice();
  q[j] = qNew;
  return {
    payout,
    state: { b, anchor: state.anchor + shift, S: reanchor(newS, shift, b), q },
    shift,
  };
}

/** Time-weighted average price (WAD) from accumulated price-seconds over `duration` seconds. */
export function twap(priceSecondsTotal: bigint, duration: bigint): bigint {
  if (duration <= 0n) throw new RangeError(`lmsr: duration must be > 0, got ${duration}`);
  return priceSecondsTotal / duration;
}

/** Reference average of piecewise-constant prices: sum_k p(k) dt_k / sum_k dt_k, per outcome. */
export function averagePrices(
  segments: readonly { prices: readonly bigint[]; dt: bigint }[],
): bigint[] {
  if (segments.length === 0) throw new RangeError("lmsr: no segments");
  const total = segments.reduce((a, s) => a + s.dt, 0n);
  return segments[0].prices.map(
    (_, j) => segments.reduce((a, s) => a + s.prices[j] * s.dt, 0n) / total,
  );
}

/**
 * The on-chain TWAP bookkeeping, O(1) per trade: one accumulator lnW = ln integral(dt / S_abs)
 * and, per outcome, lnW at its last settlement and its settled price-seconds. Call `advance`
 * before every change of the market's state (with the state about to change) and `settle(j)`
 * before q_j changes.
 */
export class TwapTracker {
  lnW: bigint = LN_ZERO;
  lastTime: bigint;
  readonly openedAt: bigint;
  readonly lnWLast: bigint[];
  readonly settled: bigint[];

  constructor(n: number, openedAt: bigint) {
    checkCount(n);
    this.openedAt = openedAt;
    this.lastTime = openedAt;
    this.lnWLast = Array.from({ length: n }, () => LN_ZERO);
    this.settled = Array.from({ length: n }, () => 0n);
  }

  /** Accrues the time since the last call at the state that held during it. */
  advance(state: MarketState, now: bigint): void {
    if (now < this.lastTime) throw new RangeError(`lmsr: time went back to ${now}`);
    this.lnW = accrue(this.lnW, now - this.lastTime, state.S, state.anchor, state.b);
    this.lastTime = now;
  }

  /** Folds outcome j's price-seconds since its last settlement in (call after `advance`). */
  settle(state: MarketState, j: number): void {
    this.settled[j] += priceSeconds(state.q[j], state.b, this.lnW, this.lnWLast[j]);
    this.lnWLast[j] = this.lnW;
  }

  /** Outcome j's price-seconds since the opening, up to `now` (read-only). */
  priceSecondsOf(state: MarketState, j: number, now: bigint): bigint {
    const lnW = accrue(this.lnW, now - this.lastTime, state.S, state.anchor, state.b);
    return this.settled[j] + priceSeconds(state.q[j], state.b, lnW, this.lnWLast[j]);
  }

  /** Outcome j's time-weighted average price since the opening (WAD). */
  twap(state: MarketState, j: number, now: bigint): bigint {
    return twap(this.priceSecondsOf(state, j, now), now - this.openedAt);
  }
}
