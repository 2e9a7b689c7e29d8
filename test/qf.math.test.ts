import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { after, before, describe, it } from "mocha";

import {
  type Contribution,
  RoundAccumulator,
  WAD,
  alphaWad,
  computeRound,
  floatCheck,
  idealMatch,
  isqrt,
  leverage,
  matchFor,
  sqrtScaled,
  toJson,
} from "../src/qf.js";
import {
  InputError,
  MAX_AMOUNT,
  MAX_TOTAL_IDEAL,
  parseQfInput,
  readQfInput,
} from "../src/qfInput.js";

import { Rng } from "./helpers/rng.js";

const tokens = (n: number | bigint): bigint => BigInt(n) * WAD;

function contributors(count: number, gap: string, amount: bigint, prefix = "c"): Contribution[] {
  return Array.from({ length: count }, (_, i) => ({ contributor: `${prefix}${i}`, gap, amount }));
}

/** A random round with skewed amounts (from 1 wei up to ~2^100 wei) and repeated pairs. */
function randomRound(rng: Rng, size: number, gapCount: number, people: number): Contribution[] {
  const out: Contribution[] = [];
  for (let i = 0; i < size; i++) {
    const kind = rng.int(4);
    let amount: bigint;
    if (kind === 0) amount = rng.range(1n, 1000n);
    else if (kind === 1) amount = rng.range(1n, tokens(1000));
    else if (kind === 2) amount = tokens(rng.int(50) + 1);
    else amount = rng.range(1n, 1n << BigInt(rng.int(100) + 1));
    out.push({ contributor: `p${rng.int(people)}`, gap: `g${rng.int(gapCount)}`, amount });
  }
  return out;
}

describe("qf math: isqrt", () => {
  it("returns known values", () => {
    const cases: [bigint, bigint][] = [
      [0n, 0n],
      [1n, 1n],
      [2n, 1n],
      [3n, 1n],
      [4n, 2n],
      [8n, 2n],
      [9n, 3n],
      [15n, 3n],
      [16n, 4n],
      [17n, 4n],
      [99n, 9n],
      [100n, 10n],
      [10n ** 36n, 10n ** 18n],
      [10n ** 36n - 1n, 10n ** 18n - 1n],
      [2n * 10n ** 36n, 1414213562373095048n],
      [(1n << 128n) ** 2n - 1n, (1n << 128n) - 1n],
      [(1n << 256n) - 1n, (1n << 128n) - 1n],
      [1n << 256n, 1n << 128n],
      [(1n << 1000n) + 12345n, 1n << 500n],
    ];
    for (const [n, r] of cases) {
      expect(isqrt(n), `isqrt(${n})`).to.equal(r);
    }
  });

  it("rejects negative input", () => {
    expect(() => isqrt(-1n)).to.throw(RangeError, /negative/);
    expect(() => sqrtScaled(-5n)).to.throw(RangeError, /negative/);
  });

  it("satisfies r^2 <= n < (r+1)^2 for thousands of random values up to 2^256", () => {
    const rng = new Rng(0x5eedn);
    for (let i = 0; i < 5000; i++) {
      const n = rng.bits(rng.int(256) + 1);
      const r = isqrt(n);
      expect(r * r <= n, `lower bound for ${n}`).to.equal(true);
      expect(n < (r + 1n) * (r + 1n), `upper bound for ${n}`).to.equal(true);
    }
  });

  it("is exact around perfect squares", () => {
    const rng = new Rng(42n);
    for (let i = 0; i < 2000; i++) {
      const r = rng.bits(rng.int(128) + 1) + 1n;
      expect(isqrt(r * r)).to.equal(r);
      expect(isqrt(r * r - 1n)).to.equal(r - 1n);
      expect(isqrt(r * r + 2n * r)).to.equal(r); // (r+1)^2 - 1
    }
  });

  it("sqrtScaled is floor(sqrt(amount * 1e18))", () => {
    expect(sqrtScaled(0n)).to.equal(0n);
    expect(sqrtScaled(1n)).to.equal(1000000000n);
    expect(sqrtScaled(2n)).to.equal(1414213562n);
    expect(sqrtScaled(WAD)).to.equal(WAD);
    expect(sqrtScaled(tokens(100))).to.equal(tokens(10));
    expect(sqrtScaled(tokens(2))).to.equal(1414213562373095048n);
    expect(sqrtScaled(tokens(10))).to.equal(3162277660168379331n);
  });
});

describe("qf math: building blocks", () => {
  it("idealMatch floors the square and clamps at zero", () => {
    expect(idealMatch(tokens(10), tokens(10))).to.equal(tokens(90));
    // A single contributor never gets a positive ideal: floor(sqrt)^2 <= c * WAD.
    expect(idealMatch(sqrtScaled(tokens(10)), tokens(10))).to.equal(0n);
    expect(idealMatch(0n, 0n)).to.equal(0n);
    expect(idealMatch(3n * WAD, 5n * WAD)).to.equal(4n * WAD);
    expect(idealMatch(1n, 0n)).to.equal(0n); // 1 / 1e18 floors to 0
  });

  it("matchFor pays the ideal when funded and floors the scaled share otherwise", () => {
    expect(matchFor(7n, 10n, 10n)).to.equal(7n);
    expect(matchFor(7n, 10n, 100n)).to.equal(7n);
    expect(matchFor(7n, 10n, 9n)).to.equal(6n); // 63 / 10
    expect(matchFor(0n, 0n, 0n)).to.equal(0n);
    expect(matchFor(5n, 10n, 0n)).to.equal(0n);
  });

  it("alphaWad covers the three cases", () => {
    expect(alphaWad(0n, 0n)).to.equal(0n);
    expect(alphaWad(0n, tokens(5))).to.equal(0n);
    expect(alphaWad(5n, 5n)).to.equal(WAD);
    expect(alphaWad(5n, 500n)).to.equal(WAD);
    expect(alphaWad(10n, 5n)).to.equal(WAD / 2n);
    expect(alphaWad(3n, 1n)).to.equal(333333333333333333n);
    expect(alphaWad(10n, 0n)).to.equal(0n);
  });

  it("leverage formats payout / direct with two decimals", () => {
    expect(leverage(tokens(100), tokens(325))).to.equal("3.25x");
    expect(leverage(1n, 1n)).to.equal("1.00x");
    expect(leverage(3n, 10n)).to.equal("3.33x");
    expect(leverage(3n, 2n)).to.equal("0.67x"); // 0.666.. rounds half up
    expect(leverage(8n, 1n)).to.equal("0.13x"); // 0.125 rounds up
    expect(leverage(tokens(1), tokens(1) * 1234n)).to.equal("1234.00x");
    expect(leverage(0n, 0n)).to.equal("-");
    expect(leverage(0n, tokens(5))).to.equal("-");
    expect(() => leverage(-1n, 1n)).to.throw(RangeError);
  });
});

describe("qf math: hand examples", () => {
  it("one contributor of 100 tokens gets no match", () => {
    const r = computeRound([{ contributor: "alice", gap: "g", amount: tokens(100) }], tokens(1000));
    expect(r.gaps).to.have.length(1);
    const g = r.gaps[0];
    expect(g.contributors).to.equal(1);
    expect(g.direct).to.equal(tokens(100));
    expect(g.sumSqrt).to.equal(tokens(10));
    expect(g.idealMatch).to.equal(0n);
    expect(g.match).to.equal(0n);
    expect(g.payout).to.equal(tokens(100));
    expect(r.totalIdeal).to.equal(0n);
    expect(r.alpha).to.equal(0n);
    expect(r.matched).to.equal(0n);
    expect(r.unspent).to.equal(tokens(1000));
  });

  it("a single contributor never gets a match, whatever the amount", () => {
    const rng = new Rng(7n);
    for (let i = 0; i < 500; i++) {
      const amount = rng.range(1n, MAX_AMOUNT);
      const r = computeRound([{ contributor: "a", gap: "g", amount }], tokens(1));
      expect(r.gaps[0].idealMatch, `amount ${amount}`).to.equal(0n);
    }
  });

  it("ten contributors of 10 tokens: ideal is 900 tokens up to sqrt flooring", () => {
    const r = computeRound(contributors(10, "g", tokens(10)), tokens(10_000));
    const g = r.gaps[0];
    expect(g.contributors).to.equal(10);
    expect(g.direct).to.equal(tokens(100));
    expect(g.sumSqrt).to.equal(31622776601683793310n);
    // sqrt(10e36) is irrational, so the floored root makes the exact result 632 wei below
    // 900e18; this is what the contract computes.
    expect(g.idealMatch).to.equal(899999999999999999368n);
    expect(tokens(900) - g.idealMatch).to.equal(632n);
    expect(g.match).to.equal(g.idealMatch);
    expect(r.alpha).to.equal(WAD);
  });

  it("ten contributors of 9 tokens (exact roots) get exactly 810 tokens", () => {
    const r = computeRound(contributors(10, "g", tokens(9)), tokens(10_000));
    expect(r.gaps[0].sumSqrt).to.equal(tokens(30));
    expect(r.gaps[0].idealMatch).to.equal(tokens(810));
  });

  it("a hundred contributors of 1 token get exactly 9900 tokens", () => {
    const r = computeRound(contributors(100, "g", WAD), tokens(10_000));
    const g = r.gaps[0];
    expect(g.contributors).to.equal(100);
    expect(g.sumSqrt).to.equal(tokens(100));
    expect(g.idealMatch).to.equal(tokens(9900));
    expect(g.match).to.equal(tokens(9900));
    expect(g.payout).to.equal(tokens(10_000));
    expect(r.alpha).to.equal(WAD);
    expect(r.matched).to.equal(tokens(9900));
    expect(r.unspent).to.equal(tokens(100));
  });

  it("a budget below T scales every match by the same alpha", () => {
    const input = [...contributors(100, "wide", WAD, "a"), ...contributors(10, "narrow", WAD, "b")];
    // T = 9900 + 90 = 9990 tokens.
    const exact = computeRound(input, tokens(999));
    expect(exact.totalIdeal).to.equal(tokens(9990));
    expect(exact.alpha).to.equal(WAD / 10n);
    expect(exact.gaps.map((g) => g.match)).to.deep.equal([tokens(990), tokens(9)]);
    expect(exact.matched).to.equal(tokens(999));
    expect(exact.unspent).to.equal(0n);

    const r = computeRound(input, tokens(1000));
    expect(r.alpha).to.equal(100100100100100100n);
    expect(r.gaps[0].match).to.equal(990990990990990990990n);
    expect(r.gaps[1].match).to.equal(9009009009009009009n);
    expect(r.matched).to.equal(tokens(1000) - 1n);
    expect(r.unspent).to.equal(1n); // rounding dust
  });

  it("scaled rounds never overspend and lose less than one wei per gap", () => {
    const rng = new Rng(99n);
    for (let round = 0; round < 40; round++) {
      const data = randomRound(rng, 200, rng.int(30) + 1, 60);
      const T = computeRound(data, 0n).totalIdeal;
      if (T < 2n) continue;
      const budget = rng.range(1n, T - 1n);
      const r = computeRound(data, budget);
      expect(r.alpha).to.equal((budget * WAD) / T);
      expect(r.alpha < WAD).to.equal(true);
      expect(r.matched <= budget).to.equal(true);
      expect(r.unspent).to.equal(budget - r.matched);
      expect(r.unspent < BigInt(r.gaps.length + 1)).to.equal(true);
      for (const g of r.gaps) {
        expect(g.match).to.equal((g.idealMatch * budget) / T);
        expect(g.match <= g.idealMatch).to.equal(true);
        expect(g.payout).to.equal(g.direct + g.match);
      }
    }
  });

  it("splitting one contributor's gift into several entries changes nothing", () => {
    const others = contributors(5, "g", tokens(3), "o");
    const whole = computeRound(
      [...others, { contributor: "alice", gap: "g", amount: tokens(30) }],
      tokens(50),
    );
    const split = computeRound(
      [
        { contributor: "alice", gap: "g", amount: tokens(10) },
        ...others.slice(0, 2),
        { contributor: "alice", gap: "g", amount: tokens(5) },
        ...others.slice(2),
        { contributor: "alice", gap: "g", amount: tokens(15) },
      ],
      tokens(50),
    );
    expect(split).to.deep.equal(whole);
    expect(split.gaps[0].contributors).to.equal(6);

    // Treating the pieces as separate people would have inflated the match (sybil effect).
    const sybil = computeRound(
      [
        ...others,
        { contributor: "alice1", gap: "g", amount: tokens(10) },
        { contributor: "alice2", gap: "g", amount: tokens(5) },
        { contributor: "alice3", gap: "g", amount: tokens(15) },
      ],
      tokens(50),
    );
    expect(sybil.gaps[0].idealMatch > whole.gaps[0].idealMatch).to.equal(true);
  });

  it("the same contributor in different gaps counts separately per gap", () => {
    const r = computeRound(
      [
        { contributor: "a", gap: "x", amount: WAD },
        { contributor: "a", gap: "y", amount: WAD },
        { contributor: "b", gap: "x", amount: WAD },
      ],
      tokens(100),
    );
    expect(r.gaps.map((g) => g.gap)).to.deep.equal(["x", "y"]);
    expect(r.gaps.map((g) => g.contributors)).to.deep.equal([2, 1]);
    expect(r.gaps.map((g) => g.idealMatch)).to.deep.equal([tokens(2), 0n]);
  });

  it("lists gaps in order of first appearance", () => {
    const r = computeRound(
      [
        { contributor: "a", gap: "zeta", amount: 1n },
        { contributor: "a", gap: "alpha", amount: 1n },
        { contributor: "b", gap: "zeta", amount: 1n },
        { contributor: "a", gap: "mid", amount: 1n },
      ],
      0n,
    );
    expect(r.gaps.map((g) => g.gap)).to.deep.equal(["zeta", "alpha", "mid"]);
  });

  it("handles an empty round and a zero budget", () => {
    const empty = computeRound([], tokens(5));
    expect(empty).to.deep.equal({
      alpha: 0n,
      totalIdeal: 0n,
      budget: tokens(5),
      matched: 0n,
      unspent: tokens(5),
      gaps: [],
    });
    const broke = computeRound(contributors(4, "g", WAD), 0n);
    expect(broke.totalIdeal).to.equal(tokens(12));
    expect(broke.alpha).to.equal(0n);
    expect(broke.gaps[0].match).to.equal(0n);
    expect(broke.gaps[0].payout).to.equal(tokens(4));
    expect(broke.unspent).to.equal(0n);
  });

  it("rejects zero and negative amounts and negative budgets", () => {
    expect(() => computeRound([{ contributor: "a", gap: "g", amount: 0n }], 1n)).to.throw(
      RangeError,
      /contributions\[0\].*zero/,
    );
    expect(() =>
      computeRound(
        [
          { contributor: "a", gap: "g", amount: 1n },
          { contributor: "a", gap: "g", amount: -1n },
        ],
        1n,
      ),
    ).to.throw(RangeError, /contributions\[1\]/);
    expect(() => computeRound([], -1n)).to.throw(RangeError, /budget/);
    expect(() => new RoundAccumulator().contribute("a", "g", 0n)).to.throw(RangeError, /zero/);
    expect(() => new RoundAccumulator().result(-1n)).to.throw(RangeError, /budget/);
  });
});

describe("qf math: incremental accumulator", () => {
  it("equals computeRound on random rounds with budgets above and below T", () => {
    const rng = new Rng(0xacc0n);
    let scaledRounds = 0;
    for (let round = 0; round < 25; round++) {
      const data = randomRound(rng, 300, rng.int(40) + 2, rng.int(80) + 5);
      const acc = new RoundAccumulator();
      let checkpoint = 0;
      for (const c of data) {
        acc.contribute(c.contributor, c.gap, c.amount);
        checkpoint++;
        // Running T must match a from-scratch recomputation at intermediate points too.
        if (checkpoint % 97 === 0) {
          expect(acc.totalIdeal).to.equal(computeRound(data.slice(0, checkpoint), 0n).totalIdeal);
        }
      }
      const T = computeRound(data, 0n).totalIdeal;
      expect(acc.totalIdeal).to.equal(T);
      const budgets = [0n, 1n, T / 3n, T > 0n ? T - 1n : 0n, T, T + 1n, T * 10n + 7n];
      budgets.push(rng.range(0n, T * 2n + 1n));
      for (const budget of budgets) {
        const expected = computeRound(data, budget);
        expect(acc.result(budget), `round ${round}, budget ${budget}`).to.deep.equal(expected);
        if (budget < T) scaledRounds++;
      }
    }
    expect(scaledRounds).to.be.greaterThan(50);
  });

  it("is order independent for the final result", () => {
    const rng = new Rng(5n);
    const data = randomRound(rng, 200, 10, 30);
    const reversed = [...data].reverse();
    const a = computeRound(data, tokens(100));
    const b = computeRound(reversed, tokens(100));
    const byGap = (r: typeof a) => Object.fromEntries(r.gaps.map((g) => [g.gap, g]));
    expect(byGap(b)).to.deep.equal(byGap(a));
    expect(b.totalIdeal).to.equal(a.totalIdeal);
    expect(b.matched).to.equal(a.matched);
  });
});

describe("qf math: floating-point cross-check", () => {
  it("exact matches are within 1e-9 (relative) of the float CLR formula for large amounts", () => {
    const rng = new Rng(0xf10a7n);
    for (let round = 0; round < 20; round++) {
      const data: Contribution[] = [];
      for (let i = 0; i < 150; i++) {
        data.push({
          contributor: `p${rng.int(40)}`,
          gap: `g${rng.int(8)}`,
          amount: rng.range(WAD, tokens(10_000)),
        });
      }
      const exactT = computeRound(data, 0n).totalIdeal;
      for (const budget of [exactT * 2n, exactT / 3n]) {
        const exact = computeRound(data, budget);
        const approx = floatCheck(data, budget);
        expect(approx.gaps.map((g) => g.gap)).to.deep.equal(exact.gaps.map((g) => g.gap));
        expect(Math.abs(approx.alpha - Number(exact.alpha) / 1e18)).to.be.lessThan(1e-12);
        const scale = Number(exact.totalIdeal);
        expect(Math.abs(approx.totalIdeal - scale)).to.be.lessThan(scale * 1e-9);
        exact.gaps.forEach((g, i) => {
          const f = approx.gaps[i];
          const tol = 1e-9 * (Number(g.direct) + Number(g.idealMatch)) + 1;
          expect(Math.abs(f.ideal - Number(g.idealMatch)), `ideal ${g.gap}`).to.be.lessThan(tol);
          expect(Math.abs(f.match - Number(g.match)), `match ${g.gap}`).to.be.lessThan(tol);
        });
      }
    }
  });
});

describe("qf math: toJson", () => {
  it("has exactly the checker's shape and key order", () => {
    const r = computeRound(
      [...contributors(3, "first", WAD), { contributor: "z", gap: "second", amount: 5n }],
      tokens(1),
    );
    const j = toJson(r);
    expect(Object.keys(j)).to.deep.equal(["alpha", "totalIdeal", "matched", "unspent", "gaps"]);
    expect(j).to.not.have.property("budget");
    expect(j.gaps).to.have.length(2);
    for (const g of j.gaps) {
      expect(Object.keys(g)).to.deep.equal([
        "gap",
        "contributors",
        "direct",
        "sumSqrt",
        "idealMatch",
        "match",
        "payout",
      ]);
    }
    expect(j.gaps[0]).to.deep.equal({
      gap: "first",
      contributors: 3,
      direct: "3000000000000000000",
      sumSqrt: "3000000000000000000",
      idealMatch: "6000000000000000000",
      match: "1000000000000000000",
      payout: "4000000000000000000",
    });
    expect(j.gaps[1].contributors).to.be.a("number");
    expect(j.alpha).to.equal((WAD / 6n).toString());
    expect(j.totalIdeal).to.equal("6000000000000000000");
    expect(j.matched).to.equal("1000000000000000000");
    expect(j.unspent).to.equal("0");
    // Serialises without a bigint error and round-trips.
    expect(JSON.parse(JSON.stringify(j))).to.deep.equal(j);
  });
});

describe("qf input: parseQfInput", () => {
  const good = (over: Record<string, unknown> = {}): string =>
    JSON.stringify({
      matchingBudget: "1000000000000000000000",
      contributions: [
        { contributor: "alice", gap: "gap-1", amount: "5000000000000000000" },
        { contributor: "bob", gap: "gap-1", amount: 42 },
      ],
      ...over,
    });

  const withContribution = (c: unknown, index = 1): string => {
    // `index` valid entries followed by the one under test.
    const list: unknown[] = Array.from({ length: index }, (_, i) => ({
      contributor: `ok${i}`,
      gap: "g",
      amount: "1",
    }));
    list.push(c);
    return JSON.stringify({ matchingBudget: "10", contributions: list });
  };

  const rejects = (text: string, pattern: RegExp): void => {
    let caught: unknown;
    try {
      parseQfInput(text, "round.json");
    } catch (error) {
      caught = error;
    }
    expect(caught, `expected ${text} to be rejected`).to.be.instanceOf(InputError);
    expect((caught as InputError).message).to.match(pattern);
    expect((caught as InputError).message.startsWith("round.json: ")).to.equal(true);
  };

  it("accepts a good file (string and number amounts)", () => {
    const parsed = parseQfInput(good());
    expect(parsed).to.deep.equal({
      budget: tokens(1000),
      contributions: [
        { contributor: "alice", gap: "gap-1", amount: tokens(5) },
        { contributor: "bob", gap: "gap-1", amount: 42n },
      ],
    });
  });

  it("accepts a zero budget, an empty list, a BOM and the maximum amount", () => {
    expect(parseQfInput(good({ matchingBudget: "0" })).budget).to.equal(0n);
    expect(parseQfInput(good({ matchingBudget: 0 })).budget).to.equal(0n);
    expect(parseQfInput(good({ contributions: [] })).contributions).to.deep.equal([]);
    expect(parseQfInput("\uFEFF" + good()).budget).to.equal(tokens(1000));
    const max = parseQfInput(
      withContribution({ contributor: "a", gap: "max", amount: MAX_AMOUNT.toString() }),
    );
    expect(max.contributions[1].amount).to.equal((1n << 120n) - 1n);
    expect(
      parseQfInput(withContribution({ contributor: "a", gap: "g", amount: "007" })).contributions[1]
        .amount,
    ).to.equal(7n);
  });

  it("rejects invalid JSON with the parser's message", () => {
    rejects("{ not json", /round\.json: invalid JSON: .+/);
    rejects("", /invalid JSON/);
    rejects('{"matchingBudget": "1",}', /invalid JSON/);
  });

  it("rejects a non-object top level", () => {
    rejects("[]", /top level: expected a JSON object.*got an array/);
    rejects("null", /top level: .*got null/);
    rejects('"hello"', /top level: .*got "hello"/);
    rejects("12", /top level: .*got number 12/);
  });

  it("rejects missing or mistyped top-level fields", () => {
    rejects(JSON.stringify({ contributions: [] }), /matchingBudget: missing required field/);
    rejects(JSON.stringify({ matchingBudget: "1" }), /contributions: missing required field/);
    rejects(good({ contributions: { a: 1 } }), /contributions: expected an array, got an object/);
    rejects(good({ contributions: "x" }), /contributions: expected an array/);
    rejects(
      good({ matchingBudget: null }),
      /matchingBudget: expected a decimal integer string of wei, got null/,
    );
    rejects(
      good({ matchingBudget: "abc" }),
      /matchingBudget: expected a decimal integer string of wei, got "abc"/,
    );
    rejects(good({ matchingBudget: "-1" }), /matchingBudget: must not be negative/);
  });

  it("rejects unknown keys at the top level and in contributions", () => {
    rejects(good({ matchingBudgt: "1" }), /top level: unknown key "matchingBudgt"/);
    rejects(
      withContribution({ contributor: "a", gap: "g", amount: "1", amout: "2" }),
      /contributions\[1\]: unknown key "amout" \(allowed keys: contributor, gap, amount\)/,
    );
  });

  it("rejects malformed contributions", () => {
    rejects(withContribution("alice"), /contributions\[1\]: expected an object.*got "alice"/);
    rejects(withContribution(null), /contributions\[1\]: expected an object.*got null/);
    rejects(withContribution([1, 2]), /contributions\[1\]: expected an object.*got an array/);
    rejects(
      withContribution({ gap: "g", amount: "1" }),
      /contributions\[1\]\.contributor: missing required field/,
    );
    rejects(
      withContribution({ contributor: "a", amount: "1" }),
      /contributions\[1\]\.gap: missing required field/,
    );
    rejects(
      withContribution({ contributor: "a", gap: "g" }),
      /contributions\[1\]\.amount: missing required field/,
    );
  });

  it("rejects empty or non-string labels", () => {
    rejects(
      withContribution({ contributor: "", gap: "g", amount: "1" }),
      /contributions\[1\]\.contributor: must not be empty/,
    );
    rejects(
      withContribution({ contributor: "   ", gap: "g", amount: "1" }),
      /contributions\[1\]\.contributor: must not be empty/,
    );
    rejects(
      withContribution({ contributor: "a", gap: "", amount: "1" }),
      /contributions\[1\]\.gap: must not be empty/,
    );
    rejects(
      withContribution({ contributor: "a", gap: 7, amount: "1" }),
      /contributions\[1\]\.gap: expected a non-empty string label, got number 7/,
    );
    rejects(
      withContribution({ contributor: null, gap: "g", amount: "1" }),
      /contributions\[1\]\.contributor: expected a non-empty string label, got null/,
    );
  });

  it("rejects every kind of bad amount, naming the field", () => {
    const bad: [unknown, RegExp][] = [
      ["1.5", /expected a decimal integer string of wei, got "1\.5"/],
      ["1e18", /expected a decimal integer string of wei, got "1e18"/],
      ["0x10", /expected a decimal integer string of wei, got "0x10"/],
      ["+5", /expected a decimal integer string of wei, got "\+5"/],
      ["-5", /must not be negative, got "-5"/],
      [" 5", /expected a decimal integer string of wei, got " 5"/],
      ["5 ", /expected a decimal integer string of wei, got "5 "/],
      ["", /expected a decimal integer string of wei, got ""/],
      ["1_000", /expected a decimal integer string of wei/],
      [
        1.5,
        /expected a decimal integer string of wei, got the number 1\.5 \(numbers must be safe integers/,
      ],
      [-1, /must not be negative, got -1/],
      [2 ** 53, /expected a decimal integer string of wei, got the number 9007199254740992/],
      [1e21, /expected a decimal integer string of wei, got the number 1e\+21/],
      [true, /expected a decimal integer string of wei, got boolean true/],
      [{ wei: "1" }, /expected a decimal integer string of wei, got an object/],
      ["0", /must be greater than zero/],
      [0, /must be greater than zero/],
      [
        (1n << 120n).toString(),
        /1329227995784915872903807060280344576 exceeds the contract's limit of 2\^120 - 1 = 1329227995784915872903807060280344575 wei/,
      ],
    ];
    for (const [amount, pattern] of bad) {
      rejects(
        withContribution({ contributor: "a", gap: "g", amount }, 3),
        new RegExp(`contributions\\[3\\]\\.amount: ${pattern.source}`),
      );
    }
    rejects(
      good({ matchingBudget: (1n << 120n).toString() }),
      /matchingBudget: .*exceeds the contract's limit of 2\^120 - 1/,
    );
    rejects(
      good({ matchingBudget: "1.5" }),
      /matchingBudget: expected a decimal integer string of wei, got "1\.5"/,
    );
  });

  it("rejects inputs the contract would refuse as a whole (gap total, T)", () => {
    const half = (MAX_AMOUNT + 1n) / 2n; // 2^119
    const twoHalves = JSON.stringify({
      matchingBudget: "0",
      contributions: [
        { contributor: "a", gap: "other", amount: "1" },
        { contributor: "a", gap: "big", amount: half.toString() },
        { contributor: "b", gap: "big", amount: (half - 1n).toString() },
        { contributor: "c", gap: "big", amount: "1" },
      ],
    });
    rejects(
      twoHalves,
      /contributions\[3\]\.amount: brings gap "big" to a total of 1329227995784915872903807060280344576 wei, which exceeds the contract's limit of 2\^120 - 1/,
    );
    // Exactly at the limit is fine.
    const atLimit = JSON.parse(twoHalves) as { contributions: unknown[] };
    atLimit.contributions.pop();
    expect(parseQfInput(JSON.stringify(atLimit)).contributions).to.have.length(3);

    // 300 equal contributors filling one gap to the limit: T ~ 299 * 2^120 > 2^128.
    const each = MAX_AMOUNT / 300n;
    const many = JSON.stringify({
      matchingBudget: "1",
      contributions: Array.from({ length: 300 }, (_, i) => ({
        contributor: `p${i}`,
        gap: "g",
        amount: each.toString(),
      })),
    });
    let caught: unknown;
    try {
      parseQfInput(many);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(InputError);
    const message = (caught as InputError).message;
    expect(message).to.match(
      /^input: contributions\[(\d+)\]\.amount: brings the round's total ideal match T to \d+ wei, which exceeds the contract's limit of 2\^128 - 1/,
    );
    // The first offending entry is the one where the running T first crosses the limit.
    const index = Number(/contributions\[(\d+)\]/.exec(message)?.[1]);
    const acc = new RoundAccumulator();
    for (let i = 0; i < index; i++) acc.contribute(`p${i}`, "g", each);
    expect(acc.totalIdeal <= MAX_TOTAL_IDEAL).to.equal(true);
    acc.contribute(`p${index}`, "g", each);
    expect(acc.totalIdeal > MAX_TOTAL_IDEAL).to.equal(true);
  });

  it("uses 'input' as the default source", () => {
    expect(() => parseQfInput("[]")).to.throw(InputError, /^input: top level: /);
  });
});

describe("qf input: readQfInput", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "qf-input-"));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads and parses a file", () => {
    const path = join(dir, "round.json");
    writeFileSync(
      path,
      JSON.stringify({
        matchingBudget: "100",
        contributions: [{ contributor: "a", gap: "g", amount: "3" }],
      }),
    );
    expect(readQfInput(path)).to.deep.equal({
      budget: 100n,
      contributions: [{ contributor: "a", gap: "g", amount: 3n }],
    });
  });

  it("reports a missing file clearly", () => {
    const path = join(dir, "nope.json");
    expect(() => readQfInput(path)).to.throw(InputError, /nope\.json: file not found/);
  });

  it("reports a directory clearly", () => {
    expect(() => readQfInput(dir)).to.throw(InputError, /is a directory/);
  });

  it("prefixes content errors with the file path", () => {
    const path = join(dir, "bad.json");
    writeFileSync(
      path,
      JSON.stringify({
        matchingBudget: "1",
        contributions: [{ contributor: "a", gap: "g", amount: "0" }],
      }),
    );
    expect(() => readQfInput(path)).to.throw(
      InputError,
      /bad\.json: contributions\[0\]\.amount: must be greater than zero/,
    );
  });
});
