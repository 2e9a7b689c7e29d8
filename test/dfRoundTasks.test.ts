/**
 * Deep Funding round tasks: argument errors of `df:round`, `df:evaluate` and `df:keeper` (one
 * line, exit code 1, nothing sent), and the chain work behind them (`roundStatus`,
 * `requestEvaluation`, `runKeeper`) on a round deployed by the DeepFundingRounds module.
 */
import assert from "node:assert/strict";

import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "mocha";

import { UsageError } from "../tasks/common.js";
import { parseFamily, requestEvaluation, roundStatus } from "../tasks/dfRounds.js";
import { FAMILY, readRound, runKeeper } from "../src/rounds.js";
import { deployRounds, id } from "./helpers/roundsFixture.js";
import { runTaskQuietly as runTask } from "./helpers/tasks.js";

/** Asserts that `promise` fails with a UsageError whose message matches `message`. */
async function rejectsUsage(promise: Promise<unknown>, message: RegExp) {
  await assert.rejects(promise, (e: unknown) => e instanceof UsageError && message.test(e.message));
}

const NO_CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("df round tasks", () => {
  it("bad arguments exit 1 with one line, before any transaction", async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["df:round", { round: "x" }, /--round must be a whole number/],
      ["df:round", { rounds: "nope" }, /--rounds must be an address/],
      ["df:round", { rounds: NO_CONTRACT }, /no contract at/],
      ["df:round", {}, /no Ignition deployment|has none of|no contract at/],
      ["df:evaluate", { seed: "1" }, /--family originality\|dependency is required/],
      ["df:evaluate", { family: "weights", seed: "1" }, /--family must be originality or/],
      ["df:evaluate", { family: "originality" }, /--seed INDEX\|URL\|0xID is required/],
      [
        "df:evaluate",
        { family: "originality", seed: "1", account: "x" },
        /--rounds|no Ignition|--account/,
      ],
      ["df:keeper", { batch: "0" }, /--batch must be 1 to 256/],
      ["df:keeper", { batch: "x" }, /--batch must be a whole number/],
      ["df:keeper", { watch: -1 }, /--watch must be 0 or a number of seconds/],
      ["df:keeper", { rounds: NO_CONTRACT }, /no contract at/],
      ["df:budget", {}, /--amount TOKENS is required/],
      ["df:budget", { amount: "-1" }, /--amount must be a positive number of tokens/],
      ["df:budget", { amount: "0" }, /--amount must be a positive number of tokens/],
      ["df:budget", { amount: "5", rounds: NO_CONTRACT }, /no contract at/],
    ];
    for (const [name, args, message] of cases) {
      const { code, stderr } = await runTask(
        name,
        name === "df:keeper" ? { batch: "10", watch: 0, ...args } : args,
      );
      expect(code, `${name} ${JSON.stringify(args)}`).to.equal(1);
      expect(stderr, `${name} ${JSON.stringify(args)}`).to.match(message);
      expect(stderr.split("\n").length).to.equal(1);
    }
  });

  it("parseFamily: accepts the two families in any case, rejects the rest", () => {
    expect(parseFamily("Originality")).to.equal("Originality");
    expect(parseFamily("DEPENDENCY")).to.equal("Dependency");
    expect(() => parseFamily("weights")).to.throw(UsageError, /originality or dependency/);
  });

  it("requestEvaluation: clear errors that send nothing, then a paid request", async () => {
    const conn = await network.create();
    const f = await deployRounds(conn);
    const trader = f.wallets[1];
    const rounds = f.rounds;
    const balance = () => f.token.read.balanceOf([trader.account.address]);

    await rejectsUsage(
      requestEvaluation(conn, rounds, "Originality", "0", trader),
      /no round has been opened yet/,
    );
    await runKeeper(conn, rounds, f.pot, { batch: 10 });
    const before = await balance();
    const fails: [Parameters<typeof requestEvaluation>[2], string, RegExp][] = [
      ["Originality", "3", /--seed 3: round 1 has 3 seeds/],
      ["Originality", "https://github.com/not/a-seed", /is not a seed of round 1/],
      ["Dependency", "2", /seed 2 has no dependency market in round 1 \(fewer than two children\)/],
    ];
    for (const [family, seed, message] of fails) {
      await rejectsUsage(requestEvaluation(conn, rounds, family, seed, trader), message);
    }
    expect(await balance()).to.equal(before);

    const fee = (await rounds.read.config()).evaluationFee;
    // By id: the seed s1 is index 1.
    const paid = await requestEvaluation(conn, rounds, "Dependency", id("s1"), trader);
    expect(paid).to.deep.equal({ round: 1n, seedIndex: 1, fee });
    expect(await balance()).to.equal(before - fee);
    expect(await rounds.read.requestFee([1n, FAMILY.Dependency, 1n])).to.equal(fee);
    await rejectsUsage(
      requestEvaluation(conn, rounds, "Dependency", "1", trader),
      /already paid for/,
    );

    const state = (await readRound(rounds))!;
    await conn.networkHelpers.time.increaseTo(state.closeTime);
    await rejectsUsage(
      requestEvaluation(conn, rounds, "Originality", "0", trader),
      /trading closed/,
    );
  });

  it("roundStatus: every market with prices, and the evaluations the round opened", async () => {
    const conn = await network.create();
    const f = await deployRounds(conn);
    expect(await roundStatus(conn, f.rounds)).to.equal(undefined);
    await runKeeper(conn, f.rounds, f.pot, { batch: 2 });
    let status = (await roundStatus(conn, f.rounds))!;
    // W_0, three originality markets, and dependency markets for s0 (3 children) and s1 (2).
    expect(status.markets.map((m) => [m.family, m.outcomes.length])).to.deep.equal([
      ["Seed weights", 3],
      ["Originality", 2],
      ["Dependency", 3],
      ["Originality", 2],
      ["Dependency", 2],
      ["Originality", 2],
    ]);
    expect(status.markets[2].outcomes).to.deep.equal(["a", "b", "c"]);
    for (const m of status.markets) {
      const sum = m.spot.reduce((a, b) => a + b, 0n);
      expect(sum > 10n ** 18n - 10n ** 9n && sum < 10n ** 18n + 10n ** 9n, String(sum)).to.equal(
        true,
      );
    }
    expect(status.state.phase).to.equal("Trading");
    expect(status.evaluations).to.deep.equal([]);

    await conn.networkHelpers.time.increaseTo(status.state.closeTime);
    await runKeeper(conn, f.rounds, f.pot, { openNext: false });
    await conn.networkHelpers.mine();
    const run = await runKeeper(conn, f.rounds, f.pot, { openNext: false });
    expect(run.steps.map((s) => s.action)).to.include.members(["select", "evaluate"]);
    status = (await roundStatus(conn, f.rounds, 1n))!;
    expect(status.state.phase).to.equal("Settled");
    expect(status.evaluations[0]).to.include({ family: "Seed weights", status: "Pending" });
    expect(status.evaluations.length).to.equal(Number(status.state.evaluations));
    const evaluated = status.markets.filter((m) => m.evaluated).length;
    expect(status.evaluations.length).to.equal(evaluated);
  });
});
