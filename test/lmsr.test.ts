import { expect } from "chai";
import { network } from "hardhat";
import { before, describe, it } from "mocha";

import {
  LN_ZERO,
  LmsrMathError,
  MAX_LIQUIDITY,
  MIN_SUM,
  type MarketState,
  TwapTracker,
  WAD,
  accrue,
  anchorShift,
  averagePrices,
  buyCost,
  cost,
  createMarket,
  expTerm,
  fromWad,
  initialState,
  liquidityFor,
  logAddExp,
  lowSumShift,
  marginOf,
  priceOf,
  priceSeconds,
  prices,
  quoteBuy,
  quoteSell,
  reanchor,
  sellReturn,
  spotPrices,
  twap,
  uniformState,
  worstCaseLoss,
} from "../src/lmsr.js";

import { Rng } from "./helpers/rng.js";

const { viem } = await network.create();

const REL = 1e-12;
const tokens = (n: number | bigint): bigint => BigInt(n) * WAD;
const absBig = (x: bigint): bigint => (x < 0n ? -x : x);
const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** |actual - expected| <= max(|actual|, |expected|) * rel + abs. */
function expectClose(actual: bigint, expected: bigint, what: string, abs = 0n, rel = REL): void {
  const scale = maxBig(absBig(actual), absBig(expected));
  const allowed = BigInt(Math.ceil(Number(scale) * rel)) + abs;
  const diff = absBig(actual - expected);
  expect(diff <= allowed, `${what}: ${actual} vs ${expected} (diff ${diff} > ${allowed})`).to.equal(
    true,
  );
}

/** The cost tolerance: relative 1e-12 plus a tenth of the margin. */
const costSlack = (b: bigint): bigint => b / 10n ** 16n + 2n;

/** 2 wei of the exp terms, as price slack: 2e18 / S (+ 2). */
const priceSlack = (S: bigint): bigint => (2n * WAD) / S + 2n;

/** A WAD exponent in [lo, hi] (whole units) turned into a quantity relative to `anchor`. */
function qAt(rng: Rng, anchor: bigint, b: bigint, lo: number, hi: number): bigint {
  const x = rng.range(BigInt(lo) * WAD, BigInt(hi) * WAD);
  return anchor + (x * b) / WAD;
}

function randomB(rng: Rng): bigint {
  return rng.range(10n ** 6n, 10n ** BigInt(rng.int(30) + 7));
}

// ------------------------------------------------------------------------------------------------
// Unit checks of the TypeScript module
// ------------------------------------------------------------------------------------------------

describe("lmsr math: TypeScript module", () => {
  const b = tokens(100);

  it("expTerm: known values, the cut-off below -41 and the revert above 100", () => {
    expect(expTerm(0n, 0n, b)).to.equal(WAD);
    expectClose(expTerm(tokens(100), 0n, b), 2718281828459045235n, "e");
    expectClose(expTerm(tokens(350), tokens(50), b), 20085536923187667740n, "e^3 anchored");
    expect(expTerm(tokens(-4101), 0n, b)).to.equal(0n);
    expect(expTerm(tokens(-4099), 0n, b) > 0n).to.equal(true);
    expect(() => expTerm(tokens(10001), 0n, b)).to.throw(LmsrMathError, /ExponentTooLarge/);
    expect(() => expTerm(0n, 0n, 0n)).to.throw(LmsrMathError, /BadLiquidity/);
    expect(() => expTerm(0n, 0n, MAX_LIQUIDITY + 1n)).to.throw(LmsrMathError, /BadLiquidity/);
  });

  it("buyCost / sellReturn: b ln(newS/S) with the margin, and no round-trip profit", () => {
    const e1 = expTerm(b, 0n, b);
    const { cost: c, newS } = buyCost(2n * WAD, WAD, e1, b);
    expect(newS).to.equal(WAD + e1);
    // 100 ln((1 + e) / 2) = 62.011450695827752463...
    expectClose(c, 62011450695827752463n + marginOf(b), "cost", costSlack(b));
    const { payout, newS: back } = sellReturn(newS, e1, WAD, b);
    expect(back).to.equal(2n * WAD);
    expect(payout + 2n * marginOf(b) <= c + 2n).to.equal(true);
    expect(marginOf(b)).to.equal(100001n);
    expect(() => buyCost(3n, 2n, 1n, b)).to.throw(LmsrMathError, /WrongDirection/);
    expect(() => sellReturn(3n, 1n, 2n, b)).to.throw(LmsrMathError, /WrongDirection/);
    expect(() => sellReturn(WAD, WAD, 0n, b)).to.throw(LmsrMathError, /SumTooSmall/);
    // A sale worth less than the margin pays nothing.
    expect(sellReturn(WAD, 10n, 9n, b).payout).to.equal(0n);
  });

  it("prices and cost: softmax and the cost function, for numbers and bigints", () => {
    const p = prices([0, Math.log(2), Math.log(5)], 1);
    expect(p[0]).to.be.closeTo(1 / 8, 1e-15);
    expect(p[1]).to.be.closeTo(2 / 8, 1e-15);
    expect(p[2]).to.be.closeTo(5 / 8, 1e-15);
    expect(cost([0, 0], 10)).to.be.closeTo(10 * Math.log(2), 1e-12);
    // The gradient of C is the price vector (central difference).
    const q = [3.5, -1.25, 0.75];
    const h = 1e-5;
    for (let j = 0; j < 3; j++) {
      const up = q.slice();
      const down = q.slice();
      up[j] += h;
      down[j] -= h;
      expect((cost(up, 2) - cost(down, 2)) / (2 * h)).to.be.closeTo(prices(q, 2)[j], 1e-9);
    }
    const big = prices([0n, tokens(69), -tokens(1000)], b);
    expect(big.reduce((a, x) => a + x, 0n) <= WAD, "prices add up to at most 1").to.equal(true);
    expectClose(big[1], 665956827464544600n, "p1", 1000n, 1e-9); // e^0.69 / (1 + e^0.69 + e^-10)
    expectClose(cost([0n, 0n], b), 69314718055994530942n, "b ln 2");
  });

  it("a market: quotes match differences of the cost function, and prices sum to 1", () => {
    const rng = new Rng(0x1357n);
    let m = createMarket(b, 4);
    let paid = 0n;
    let trades = 0n;
    for (let i = 0; i < 50; i++) {
      const j = rng.int(4);
      const amount = rng.range(1n, tokens(150));
      if (rng.int(3) === 0 && m.q[j] - amount > -tokens(2000)) {
        const quote = quoteSell(m, j, amount);
        paid -= quote.payout;
        m = quote.state;
      } else {
        const quote = quoteBuy(m, j, amount);
        paid += quote.cost;
        m = quote.state;
      }
      trades += 1n;
      const sum = spotPrices(m).reduce((a, x) => a + x, 0n);
      expect(sum <= WAD + 4n && sum + 4n >= WAD, `prices sum ${sum}`).to.equal(true);
    }
    // Net takings = C(q_end) - C(0) plus at most one margin (and rounding) per trade.
    const delta = cost(m.q, b) - cost([0n, 0n, 0n, 0n], b);
    expect(paid >= delta - 2n, `paid ${paid} < delta ${delta}`).to.equal(true);
    expect(paid <= delta + trades * (marginOf(b) + 4n) + costSlack(b) * trades).to.equal(true);
    // The spot prices are the prices of the quantities.
    const direct = prices(m.q, b);
    const spot = spotPrices(m);
    for (let j = 0; j < 4; j++) expectClose(spot[j], direct[j], `price ${j}`, priceSlack(m.S));
  });

  it("quoteBuy moves the anchor past exponent 60 and keeps the prices", () => {
    let m = createMarket(b, 2);
    m = quoteBuy(m, 0, tokens(5900)).state; // exponent 59: no move
    expect(m.anchor).to.equal(0n);
    const before = prices(m.q, b);
    const quote = quoteBuy(m, 1, tokens(6100));
    expect(quote.shift).to.equal(tokens(6100));
    expect(quote.state.anchor).to.equal(tokens(6100));
    // The cost is priced in the new frame: same as from the cost function.
    const expected = cost(quote.state.q, b) - cost(m.q, b) + marginOf(b);
    expectClose(quote.cost, expected, "cost across the move", costSlack(b));
    expect(before[0] > WAD / 2n).to.equal(true);
    expect(anchorShift(tokens(6000), 0n, b)).to.equal(0n);
  });

  it("quoteSell moves the anchor down when S falls below MIN_SUM", () => {
    let m = createMarket(b, 2);
    m = quoteBuy(m, 0, tokens(6100)).state; // anchor moves to 6100 tokens, S ~ 1
    const quote = quoteSell(m, 0, tokens(1000)); // exponent -10: S ~ e^-10 < 0.1
    expect(quote.shift < 0n).to.equal(true);
    expectClose(quote.state.S, WAD, "S back near 1", 0n, 1e-12 + 1e-15);
    expect(lowSumShift(MIN_SUM, b)).to.equal(0n);
    expectClose(lowSumShift(MIN_SUM / 10n, b), -((b * 4605170185988091368n) / WAD), "b ln 0.01");
  });

  it("initialState, uniformState, worstCaseLoss and liquidityFor", () => {
    const { q, S } = initialState([WAD / 2n, (3n * WAD) / 10n, WAD / 5n], b);
    expectClose(S, WAD, "S", 4n);
    expectClose(q[0], -69314718055994530942n, "b ln 1/2", 2n);
    expectClose(priceOf(expTerm(q[2], 0n, b), S), WAD / 5n, "p2", 10n);
    expect(() => initialState([WAD / 2n, WAD / 2n + 2n * 10n ** 9n], b)).to.throw(/BadPrices/);
    expect(() => initialState([WAD, 0n], b)).to.throw(/BadPrices/);
    expect(() => initialState([WAD], b)).to.throw(/BadOutcomeCount/);
    expect(uniformState(5)).to.deep.equal({ q: [0n, 0n, 0n, 0n, 0n], S: 5n * WAD });
    // b ln 4 + margin.
    expectClose(worstCaseLoss(b, WAD / 4n), 138629436111989061884n + marginOf(b), "b ln 4", 2n);
    expect(() => worstCaseLoss(b, WAD / 2n + 1n)).to.throw(/BadPrices/);
    for (const subsidy of [2n, 1000n, tokens(1), 123456789012345678901234n]) {
      const got = liquidityFor(subsidy, WAD / 3n);
      if (got > 0n) expect(worstCaseLoss(got, WAD / 3n) <= subsidy).to.equal(true);
      expect(worstCaseLoss(got + 1n, WAD / 3n) > subsidy).to.equal(true);
    }
    expect(liquidityFor(1n, WAD / 3n)).to.equal(0n);
    expect(liquidityFor(10n ** 60n, WAD / 3n)).to.equal(MAX_LIQUIDITY);
  });

  it("reanchor keeps every price (1e-15 relative)", () => {
    const rng = new Rng(0xa11cen);
    for (let t = 0; t < 200; t++) {
      const bb = randomB(rng);
      const anchor = rng.range(-(10n ** 40n), 10n ** 40n);
      const n = rng.int(20) + 2;
      const q = Array.from({ length: n }, () => qAt(rng, anchor, bb, -20, 60));
      const S = q.reduce((a, qj) => a + expTerm(qj, anchor, bb), 0n);
      const top = q.reduce((m, x) => (x > m ? x : m), q[0]);
      const shift = top - anchor;
      const S2 = reanchor(S, shift, bb);
      for (const qj of q) {
        const p = priceOf(expTerm(qj, anchor, bb), S);
        const p2 = priceOf(expTerm(qj, anchor + shift, bb), S2);
        expectClose(p2, p, "price", priceSlack(S2), 1e-15 + REL);
      }
    }
  });

  it("logAddExp and accrue", () => {
    expect(logAddExp(LN_ZERO, LN_ZERO)).to.equal(LN_ZERO);
    expect(logAddExp(LN_ZERO, 5n)).to.equal(5n);
    expectClose(
      logAddExp(tokens(7), tokens(7)),
      tokens(7) + 693147180559945309n,
      "ln 2",
      0n,
      1e-15,
    );
    expect(logAddExp(0n, -tokens(50))).to.equal(0n);
    // Ten minutes at S = 2, anchor = b ln 3: W = 600 / 6 = 100.
    const lnW = accrue(LN_ZERO, 600n, 2n * WAD, 109861228866810969139n, b);
    expectClose(lnW, 4605170185988091368n, "ln 100", 10n ** 6n, 0);
    expect(accrue(lnW, 0n, 2n * WAD, 0n, b)).to.equal(lnW);
    expect(() => accrue(lnW, 1n << 64n, WAD, 0n, b)).to.throw(/BadDuration/);
    expect(() => priceSeconds(0n, b, 1n, 2n)).to.throw(/TwapOutOfOrder/);
    expect(priceSeconds(0n, b, LN_ZERO, LN_ZERO)).to.equal(0n);
  });

  it("TwapTracker: piecewise-constant prices, across a re-anchor, within 1e-9", () => {
    const rng = new Rng(0x7a7an);
    for (let round = 0; round < 20; round++) {
      const n = rng.int(5) + 2;
      let m = createMarket(b, n);
      const t = new TwapTracker(n, 1_000n);
      const segments: { prices: bigint[]; dt: bigint }[] = [];
      let now = 1_000n;
      // A burst at the opening (the price level starts high), then trades after each hold.
      for (let j = 0; j < n; j++) {
        t.settle(m, j);
        m = quoteBuy(m, j, rng.range(tokens(5500), tokens(5990))).state;
      }
      for (let k = 0; k < 6; k++) {
        const dt = rng.range(3_600n, 30n * 86_400n);
        segments.push({ prices: spotPrices(m), dt });
        now += dt;
        t.advance(m, now);
        let j = rng.int(n);
        if (k === 2 && m.anchor === 0n) {
          // Take the leading outcome just past exponent 60: the anchor moves.
          j = m.q.indexOf(m.q.reduce((a, x) => (x > a ? x : a)));
          t.settle(m, j);
          const quote = quoteBuy(m, j, tokens(6050) - m.q[j] + rng.range(0n, b));
          expect(quote.shift > 0n).to.equal(true);
          m = quote.state;
          continue;
        }
        t.settle(m, j);
        if (rng.int(2) === 0) m = quoteBuy(m, j, rng.range(1n, 2n * b)).state;
        else m = quoteSell(m, j, rng.range(1n, 2n * b)).state;
      }
      const expected = averagePrices(segments);
      for (let j = 0; j < n; j++) {
        expectClose(t.twap(m, j, now), expected[j], `twap ${j}`, BigInt(segments.length), 1e-9);
      }
      expect(twap(t.priceSecondsOf(m, 0, now), now - 1_000n)).to.equal(t.twap(m, 0, now));
    }
  });
});

// ------------------------------------------------------------------------------------------------
// Differential: the contract (through LMSRMathHarness) against the TypeScript module
// ------------------------------------------------------------------------------------------------

describe("lmsr math: contract vs TypeScript", () => {
  type Harness = Awaited<ReturnType<typeof viem.deployContract<"LMSRMathHarness">>>;
  let h: Harness;

  before(async () => {
    h = await viem.deployContract("LMSRMathHarness");
  });

  it("expTerm and anchorShift (300 random inputs)", async () => {
    const rng = new Rng(1n);
    for (let i = 0; i < 300; i++) {
      const b = randomB(rng);
      const anchor = rng.range(-(10n ** 40n), 10n ** 40n);
      const q = qAt(rng, anchor, b, -45, 100);
      expectClose(await h.read.expTerm([q, anchor, b]), expTerm(q, anchor, b), "expTerm", 2n);
      expect(await h.read.anchorShift([q, anchor, b])).to.equal(anchorShift(q, anchor, b));
    }
  });

  it("buyCost and sellReturn (300 random inputs)", async () => {
    const rng = new Rng(2n);
    for (let i = 0; i < 300; i++) {
      const b = rng.range(1n, 10n ** BigInt(rng.int(36) + 1));
      const S = rng.range(10n ** 12n, 10n ** BigInt(rng.int(50) + 13));
      const eOld = rng.range(0n, S);
      const kind = rng.int(3);
      const top = S * 10n ** 26n > 10n ** 76n ? 10n ** 76n : S * 10n ** 26n; // up to e^60 S
      const delta = kind === 0 ? rng.range(0n, 1000n) : rng.range(0n, kind === 1 ? S : top);
      const eNew = eOld + delta;
      const [cost1, newS1] = await h.read.buyCost([S, eOld, eNew, b]);
      const buy = buyCost(S, eOld, eNew, b);
      expect(newS1).to.equal(buy.newS);
      expectClose(cost1, buy.cost, "buyCost", costSlack(b));
      const [payout1, back1] = await h.read.sellReturn([newS1, eNew, eOld, b]);
      const sell = sellReturn(newS1, eNew, eOld, b);
      expect(back1).to.equal(sell.newS);
      expectClose(payout1, sell.payout, "sellReturn", costSlack(b));
    }
  });

  it("reanchor, lowSumShift and priceOf (200 random inputs)", async () => {
    const rng = new Rng(3n);
    for (let i = 0; i < 200; i++) {
      const b = randomB(rng);
      // Up by up to 200 b, or down by up to 40 b from a sum below 1e40 (so that it fits).
      const down = rng.int(3) === 0;
      const S = rng.range(WAD, down ? 10n ** 40n : 10n ** 63n);
      const shift = down
        ? -(rng.range(0n, 40n * WAD) * b) / WAD
        : (rng.range(0n, 200n * WAD) * b) / WAD;
      expectClose(await h.read.reanchor([S, shift, b]), reanchor(S, shift, b), "reanchor", 2n);
      const small = rng.range(1n, MIN_SUM);
      expectClose(await h.read.lowSumShift([small, b]), lowSumShift(small, b), "lowSum", 2n);
      const e = rng.range(0n, S);
      expect(await h.read.priceOf([e, S])).to.equal(priceOf(e, S));
    }
  });

  it("initialState, worstCaseLoss and liquidityFor (60 random inputs)", async () => {
    const rng = new Rng(4n);
    for (let i = 0; i < 60; i++) {
      const b = randomB(rng);
      const n = rng.int(30) + 2;
      const weights = Array.from({ length: n }, () => rng.range(1n, 1000n));
      const total = weights.reduce((a, w) => a + w, 0n);
      const p = weights.map((w) => (w * WAD) / total);
      p[0] += WAD - p.reduce((a, x) => a + x, 0n);
      const [q1, S1] = await h.read.initialState([p, b]);
      const mirror = initialState(p, b);
      q1.forEach((qj, j) => expectClose(qj, mirror.q[j], `q${j}`, 2n));
      expectClose(S1, mirror.S, "S", 2n * BigInt(n));
      const minPrice = rng.range(1n, WAD / 2n);
      expectClose(
        await h.read.worstCaseLoss([b, minPrice]),
        worstCaseLoss(b, minPrice),
        "worstCaseLoss",
        costSlack(b),
      );
      const subsidy = rng.range(0n, 10n ** BigInt(rng.int(38) + 1));
      const b1 = await h.read.liquidityFor([subsidy, minPrice]);
      expectClose(b1, liquidityFor(subsidy, minPrice), "liquidityFor", 4n);
    }
  });

  it("logAddExp, accrue and priceSeconds (200 random inputs)", async () => {
    const rng = new Rng(5n);
    for (let i = 0; i < 200; i++) {
      const a = rng.range(-50n * WAD, 50n * WAD);
      const c = rng.int(5) === 0 ? LN_ZERO : a + rng.range(-45n * WAD, 45n * WAD);
      expectClose(await h.read.logAddExp([a, c]), logAddExp(a, c), "logAddExp", 10n ** 6n, 0);

      const b = randomB(rng);
      const dt = rng.range(0n, 10n ** 8n);
      const S = rng.range(10n ** 12n, 10n ** 60n);
      const anchor = rng.range(-(10n ** 3n) * b, 10n ** 3n * b);
      const lnW = rng.int(4) === 0 ? LN_ZERO : rng.range(-100n * WAD, 100n * WAD);
      expectClose(
        await h.read.accrue([lnW, dt, S, anchor, b]),
        accrue(lnW, dt, S, anchor, b),
        "accrue",
        10n ** 6n,
        0,
      );

      const lnWNow = rng.range(-50n * WAD, 50n * WAD);
      const lnWLast = rng.int(4) === 0 ? LN_ZERO : lnWNow - rng.range(0n, 20n * WAD);
      const qj = (rng.range(-60n * WAD, 60n * WAD) * b) / WAD;
      const xNow = (qj * WAD) / b + lnWNow;
      if (xNow > 120n * WAD) continue;
      const slack = BigInt(Math.ceil(Math.exp(fromWad(xNow)) * 1e18 * 1e-16)) + 2n;
      expectClose(
        await h.read.priceSeconds([qj, b, lnWNow, lnWLast]),
        priceSeconds(qj, b, lnWNow, lnWLast),
        "priceSeconds",
        slack,
      );
    }
  });

  /** One market driven step by step through the harness, with the same policy as quoteBuy/Sell. */
  async function chainBuy(m: MarketState, j: number, amount: bigint) {
    const qNew = m.q[j] + amount;
    const shift = await h.read.anchorShift([qNew, m.anchor, m.b]);
    const anchor = m.anchor + shift;
    const S = await h.read.reanchor([m.S, shift, m.b]);
    const eOld = await h.read.expTerm([m.q[j], anchor, m.b]);
    const eNew = await h.read.expTerm([qNew, anchor, m.b]);
    const [paid, newS] = await h.read.buyCost([S, eOld, eNew, m.b]);
    const q = m.q.slice();
    q[j] = qNew;
    return { cost: paid, state: { b: m.b, anchor, S: newS, q } };
  }

  async function chainSell(m: MarketState, j: number, amount: bigint) {
    const qNew = m.q[j] - amount;
    const eOld = await h.read.expTerm([m.q[j], m.anchor, m.b]);
    const eNew = await h.read.expTerm([qNew, m.anchor, m.b]);
    const [payout, newS] = await h.read.sellReturn([m.S, eOld, eNew, m.b]);
    const shift = await h.read.lowSumShift([newS, m.b]);
    const q = m.q.slice();
    q[j] = qNew;
    const S = await h.read.reanchor([newS, shift, m.b]);
    return { payout, state: { b: m.b, anchor: m.anchor + shift, S, q } };
  }

  for (const n of [2, 5, 64]) {
    it(`a market of ${n} outcomes: costs, sums, prices and TWAPs agree along 60 trades`, async () => {
      const rng = new Rng(BigInt(100 + n));
      const b = tokens(rng.range(10n, 10_000n));
      let chain: MarketState = createMarket(b, n);
      let ts: MarketState = createMarket(b, n);
      const t = new TwapTracker(n, 0n);
      let lnW = LN_ZERO;
      const lnWLast: bigint[] = Array.from({ length: n }, () => LN_ZERO);
      const settled: bigint[] = Array.from({ length: n }, () => 0n);
      const slack: bigint[] = Array.from({ length: n }, () => 2n);
      let now = 0n;
      const settleBoth = async (j: number) => {
        const ps = await h.read.priceSeconds([chain.q[j], b, lnW, lnWLast[j]]);
        settled[j] += ps;
        lnWLast[j] = lnW;
        t.settle(ts, j);
        const x = fromWad((chain.q[j] * WAD) / b + lnW);
        slack[j] += BigInt(Math.ceil(Math.exp(x) * 1e18 * 1e-16 + fromWad(ps) * 1e18 * REL));
      };
      // An opening burst so that the price level starts where it will stay (see the notes on
      // the TWAP precision in LMSRMath.priceSeconds).
      for (let j = 0; j < n; j++) {
        const amount = rng.range(tokens(1), 50n * b);
        chain = (await chainBuy(chain, j, amount)).state;
        ts = quoteBuy(ts, j, amount).state;
      }
      for (let i = 0; i < 60; i++) {
        const dt = rng.range(60n, 86_400n);
        now += dt;
        lnW = await h.read.accrue([lnW, dt, chain.S, chain.anchor, b]);
        t.advance(ts, now);
        expectClose(lnW, t.lnW, "lnW", 10n ** 6n, 0);
        const j = rng.int(n);
        await settleBoth(j);
        const amount = rng.range(1n, (b * BigInt(rng.int(3) + 1)) / 2n);
        if (rng.int(3) === 0 && chain.q[j] - chain.anchor - amount > -30n * b) {
          const c = await chainSell(chain, j, amount);
          const m = quoteSell(ts, j, amount);
          expectClose(c.payout, m.payout, `payout ${i}`, costSlack(b));
          chain = c.state;
          ts = m.state;
        } else {
          const c = await chainBuy(chain, j, amount);
          const m = quoteBuy(ts, j, amount);
          expectClose(c.cost, m.cost, `cost ${i}`, costSlack(b));
          chain = c.state;
          ts = m.state;
        }
        expect(chain.anchor).to.equal(ts.anchor);
        expectClose(chain.S, ts.S, `S ${i}`, 2n * BigInt(n));
      }
      const chainPrices = await Promise.all(
        chain.q.map(async (qj) =>
          h.read.priceOf([await h.read.expTerm([qj, chain.anchor, b]), chain.S]),
        ),
      );
      const tsPrices = spotPrices(ts);
      chainPrices.forEach((p, j) => expectClose(p, tsPrices[j], `price ${j}`, priceSlack(chain.S)));
      for (let j = 0; j < n; j++) {
        await settleBoth(j);
        expectClose(settled[j], t.settled[j], `price-seconds ${j}`, slack[j]);
      }
      const total = settled.reduce((a, x) => a + x, 0n);
      expectClose(total, now * WAD, "prices add up to 1 over time", 0n, 1e-9);
    });
  }

  it("TWAP precision after a rise of the price level (the limit of one running integral)", async () => {
    // A week at uniform prices, then both outcomes bought up by `rise` b (prices 0.56 / 0.44),
    // then another week. W is dominated by the first week, and lnW has a resolution of 1e-18,
    // so the second week's share of W is only known to ~1e-18 e^rise: fine up to a rise of
    // ~15 b (1e-9 relative), lost beyond ~40 b. Settling more often does not help.
    const b = tokens(1000);
    const week = 7n * 86_400n;
    const report: string[] = [];
    for (const rise of [0n, 10n, 15n, 20n, 25n, 30n, 40n]) {
      let m = createMarket(b, 2);
      const p0 = spotPrices(m);
      const lnW1 = await h.read.accrue([LN_ZERO, week, m.S, m.anchor, b]);
      const settled = [0n, 0n];
      for (const j of [0, 1]) {
        settled[j] += await h.read.priceSeconds([m.q[j], b, lnW1, LN_ZERO]);
        m = quoteBuy(m, j, rise * b + (j === 0 ? b / 2n : 1n)).state;
      }
      const p1 = spotPrices(m);
      const lnW2 = await h.read.accrue([lnW1, week, m.S, m.anchor, b]);
      const got = settled[0] + (await h.read.priceSeconds([m.q[0], b, lnW2, lnW1]));
      const expected = (p0[0] + p1[0]) * week;
      const rel = Math.abs(Number(got - expected)) / Number(expected);
      report.push(`${rise}b: ${rel.toExponential(1)}`);
      if (rise <= 15n) expect(rel < 1e-9, `rise ${rise}: ${rel}`).to.equal(true);
    }
    console.log(`      TWAP relative error after a level rise of: ${report.join(", ")}`);
  });

  it("reverts carry the library's errors", async () => {
    const rejects = async (call: Promise<unknown>, name: string) => {
      let message = "no revert";
      try {
        await call;
      } catch (error) {
        message = String(error);
      }
      expect(message, name).to.include(name);
    };
    await rejects(h.read.expTerm([tokens(101), 0n, WAD]), "ExponentTooLarge");
    await rejects(h.read.buyCost([WAD, 0n, WAD, 0n]), "BadLiquidity");
    await rejects(h.read.initialState([[WAD / 2n, WAD / 3n], WAD]), "BadPrices");
    await rejects(h.read.uniformState([257n]), "BadOutcomeCount");
    await rejects(h.read.sellReturn([WAD, WAD, 0n, WAD]), "SumTooSmall");
    await rejects(h.read.buyCost([WAD, 2n, 1n, WAD]), "WrongDirection");
  });

  it("gas of buyCost and sellReturn (typical calls)", async () => {
    const b = tokens(1000);
    const S = 3n * WAD;
    const eOld = WAD;
    const eNew = expTerm(tokens(150), 0n, b); // buy 150 tokens of one of 3 outcomes
    const [c1, , buyGas] = await h.read.buyCostGas([S, eOld, eNew, b]);
    const [, , sellGas] = await h.read.sellReturnGas([S - eOld + eNew, eNew, eOld, b]);
    const [, expGas] = await h.read.expTermGas([tokens(150), 0n, b]);
    const [, , tradeGas] = await h.read.buyTradeGas([S, 0n, 0n, tokens(150), b]);
    const [lnW1, accrueGas] = await h.read.accrueGas([LN_ZERO, 3600n, S, 0n, b]);
    const [lnW2] = await h.read.accrueGas([lnW1, 7200n, S, 0n, b]);
    const [, psGas] = await h.read.priceSecondsGas([0n, b, lnW2, lnW1]);
    const publicClient = await viem.getPublicClient();
    const buyTx = await h.write.recordBuy([S, eOld, eNew, b]);
    const buyReceipt = await publicClient.waitForTransactionReceipt({ hash: buyTx });
    const sellTx = await h.write.recordSell([S - eOld + eNew, eNew, eOld, b]);
    const sellReceipt = await publicClient.waitForTransactionReceipt({ hash: sellTx });
    console.log(
      `      gas (library call, gasleft): buyCost ${buyGas}, sellReturn ${sellGas}, ` +
        `expTerm ${expGas}, whole buy (2 expTerm + buyCost) ${tradeGas}, ` +
        `accrue ${accrueGas}, priceSeconds ${psGas}\n` +
        `      gas (tx receipts, incl. 21000 + calldata + 2 SSTORE): recordBuy ` +
        `${buyReceipt.gasUsed}, recordSell ${sellReceipt.gasUsed}`,
    );
    expect(c1 > 0n).to.equal(true);
    // Regression guards: the math of a trade stays cheap and independent of n.
    expect(buyGas < 10_000n, `buyCost gas ${buyGas}`).to.equal(true);
    expect(sellGas < 10_000n, `sellReturn gas ${sellGas}`).to.equal(true);
  });
});
