import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre, { network } from "hardhat";
import { describe, it } from "mocha";
import { parseEther } from "viem";

import LocalQuadraticFunding from "../ignition/modules/LocalQuadraticFunding.js";
import { computeRound, toJson } from "../src/qf.js";
import {
  compareRounds,
  finalizeEndedRounds,
  fundWallet,
  labelAddress,
  registerGaps,
} from "../src/qfChain.js";
import { runTask } from "./helpers/tasks.js";

const dir = mkdtempSync(path.join(tmpdir(), "qf-tasks-"));

function writeInput(name: string, body: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof body === "string" ? body : JSON.stringify(body));
  return file;
}

/** A round with broad support, a whale and a repeated pair; T is about 14,900 tokens. */
function sampleRound(budget: bigint) {
  const contributions: { contributor: string; gap: string; amount: string }[] = [];
  for (let i = 0; i < 40; i++) {
    contributions.push({
      contributor: `c${i}`,
      gap: "broad",
      amount: String(parseEther(String(3 + (i % 7)))),
    });
  }
  contributions.push({ contributor: "whale", gap: "whale-gap", amount: String(parseEther("900")) });
  contributions.push({ contributor: "c1", gap: "whale-gap", amount: String(parseEther("4")) });
  contributions.push({ contributor: "c1", gap: "whale-gap", amount: "12345678901234567" });
  return { matchingBudget: String(budget), contributions };
}

describe("qf:check", () => {
  it("qf:check: writes the off-chain result in the documented shape", async () => {
    const input = sampleRound(parseEther("1000"));
    const file = writeInput("offchain.json", input);
    const out = path.join(dir, "offchain.out.json");
    expect(await runTask("qf:check", { input: file, out, onchain: false })).to.equal(0);
    const written = JSON.parse(readFileSync(out, "utf8"));
    const expected = toJson(
      computeRound(
        input.contributions.map((c) => ({ ...c, amount: BigInt(c.amount) })),
        BigInt(input.matchingBudget),
      ),
    );
    expect(written).to.deep.equal(expected);
    expect(Object.keys(written)).to.deep.equal([
      "alpha",
      "totalIdeal",
      "matched",
      "unspent",
      "gaps",
    ]);
    expect(written.gaps.map((g: { gap: string }) => g.gap)).to.deep.equal(["broad", "whale-gap"]);
    expect(written.gaps[1].contributors).to.equal(2);
    // The budget is below T: alpha < 1 and the whole budget but the dust is matched.
    expect(BigInt(written.alpha) < 10n ** 18n).to.equal(true);
    expect(BigInt(written.unspent) < 2n).to.equal(true);
  });

  for (const budget of [parseEther("1000"), parseEther("100000"), 0n]) {
    it(`qf:check: --onchain agrees with the off-chain figures (budget ${budget})`, async () => {
      const file = writeInput(`onchain-${budget}.json`, sampleRound(budget));
      const out = path.join(dir, `onchain-${budget}.out.json`);
      expect(await runTask("qf:check", { input: file, out, onchain: true })).to.equal(0);
      const offOut = path.join(dir, `onchain-${budget}.off.json`);
      expect(await runTask("qf:check", { input: file, out: offOut, onchain: false })).to.equal(0);
      expect(JSON.parse(readFileSync(out, "utf8"))).to.deep.equal(
        JSON.parse(readFileSync(offOut, "utf8")),
      );
    });
  }

  const bad: [string, string | object][] = [
    ["not JSON", "{"],
    [
      "a fractional amount",
      { matchingBudget: "1", contributions: [{ contributor: "a", gap: "g", amount: "1.5" }] },
    ],
    ["a missing budget", { contributions: [] }],
    [
      "an empty gap label",
      { matchingBudget: "1", contributions: [{ contributor: "a", gap: "", amount: "1" }] },
    ],
  ];
  for (const [what, body] of bad) {
    it(`qf:check: rejects ${what} with exit code 1 and writes nothing`, async () => {
      const file = writeInput(`bad-${what.replace(/\W/g, "")}.json`, body);
      const out = path.join(dir, `bad-${what.replace(/\W/g, "")}.out.json`);
      expect(await runTask("qf:check", { input: file, out, onchain: false })).to.equal(1);
      expect(existsSync(out)).to.equal(false);
    });
  }

  it("qf:check: requires --input and --out", async () => {
    expect(await runTask("qf:check", { input: "", out: "x.json", onchain: false })).to.equal(1);
    expect(await runTask("qf:check", { input: "in.json", out: "", onchain: false })).to.equal(1);
  });
});

describe("compareRounds", () => {
  it("compareRounds: reports a single wei of difference", () => {
    const contributions = [
      { contributor: "a", gap: "g", amount: 10n ** 18n },
      { contributor: "b", gap: "g", amount: 2n * 10n ** 18n },
    ];
    const a = computeRound(contributions, 10n ** 18n);
    expect(compareRounds(a, a)).to.deep.equal([]);
    const b = structuredClone(a);
    b.gaps[0].match += 1n;
    const problems = compareRounds(a, b);
    expect(problems).to.have.length(1);
    expect(problems[0]).to.contain("gap g match");
  });
});

describe("keeper", () => {
  it("finalizeEndedRounds: finalizes ended rounds with contributions, oldest first, once", async () => {
    const conn = await network.create();
    const { token, qf } = await conn.ignition.deploy(LocalQuadraticFunding, {
      parameters: { LocalQuadraticFunding: { period: 3600n, roundBudget: parseEther("50") } },
      displayUi: false,
    });
    const gaps = await registerGaps(qf, ["g1", "g2"]);
    const alice = labelAddress("alice");
    const bob = labelAddress("bob");
    await fundWallet(conn, token, qf, alice, parseEther("100"));
    await fundWallet(conn, token, qf, bob, parseEther("100"));
    const [admin] = await conn.viem.getWalletClients();
    await token.write.mint([admin.account.address, parseEther("60")]);
    await token.write.approve([qf.address, parseEther("60")]);
    await qf.write.fundPool([parseEther("60")]);

    // Round 0 funded, round 1 empty, round 2 funded, round 3 open.
    await qf.write.contribute([gaps.get("g1")!, parseEther("4")], { account: alice });
    await qf.write.contribute([gaps.get("g1")!, parseEther("9")], { account: bob });
    await conn.networkHelpers.time.increase(7200);
    await qf.write.contribute([gaps.get("g2")!, parseEther("1")], { account: alice });
    await qf.write.contribute([gaps.get("g2")!, parseEther("1")], { account: bob });
    await conn.networkHelpers.time.increase(3600);
    await qf.write.contribute([gaps.get("g2")!, parseEther("1")], { account: bob });
    expect(await qf.read.currentRound()).to.equal(3n);

    const done = await finalizeEndedRounds(conn, qf, 0n);
    expect(done.map((d) => d.round)).to.deep.equal([0n, 2n]);
    // Round 0: ideal (2 + 3)^2 - 13 = 12 tokens, within the 50-token budget.
    expect(done[0].totalIdeal).to.equal(parseEther("12"));
    expect(done[0].alphaWad).to.equal(10n ** 18n);
    expect((await qf.read.roundInfo([1n])).status).to.equal(0);
    expect((await qf.read.roundInfo([3n])).status).to.equal(0);
    // Budget left for round 2: 60 - 12 = 48, capped by the configured 50.
    expect(done[1].budget).to.equal(parseEther("48"));
    expect(await finalizeEndedRounds(conn, qf, 0n)).to.deep.equal([]);
  });
});
