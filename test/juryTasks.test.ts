import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";
import { describe, it } from "mocha";

import { BallotError, ballotToJson, newSalt, readBallot } from "../src/juryChain.js";
import { UsageError } from "../tasks/common.js";
import { readRatings } from "../tasks/jury.js";
import { runTaskQuietly as runTask } from "./helpers/tasks.js";

const dir = mkdtempSync(path.join(tmpdir(), "jury-tasks-"));

function file(name: string, body: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, body);
  return f;
}

describe("jury tasks", () => {
  it("readRatings: reads item indices, choices and two-decimal multipliers", () => {
    const f = file("ok.csv", "a,b,choice,multiplier\n0,1,2,3.5\n2, 0, 1, 999\n");
    expect(readRatings(f, 3)).to.deep.equal([
      { a: 0, b: 1, choice: 2, multiplier: 350 },
      { a: 2, b: 0, choice: 1, multiplier: 99_900 },
    ]);
  });

  const bad: [string, string, RegExp][] = [
    ["header", "x,y,choice,multiplier\n0,1,2,3\n", /line 1: expected the header/],
    ["empty", "a,b,choice,multiplier\n", /no comparisons/],
    ["fields", "a,b,choice,multiplier\n0,1,2\n", /line 2: expected 4 fields/],
    ["item", "a,b,choice,multiplier\n0,3,2,3\n", /line 2: b must be an item index below 3/],
    ["same", "a,b,choice,multiplier\n1,1,2,3\n", /line 2: a and b are the same item/],
    ["choice", "a,b,choice,multiplier\n0,1,0,3\n", /line 2: choice must be 1 or 2/],
    ["multiplier", "a,b,choice,multiplier\n0,1,1,1000\n", /line 2: multiplier must be 1 to 999/],
    ["decimals", "a,b,choice,multiplier\n0,1,1,1.234\n", /line 2: multiplier must be 1 to 999/],
  ];
  for (const [what, body, message] of bad) {
    it(`readRatings: rejects a bad ${what} with the line`, () => {
      expect(() => readRatings(file(`${what}.csv`, body), 3))
        .to.throw(UsageError)
        .with.property("message")
        .that.matches(message);
    });
  }

  it("readBallot: round-trips a ballot and names the bad field", () => {
    const ballot = {
      jury: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const,
      evaluationId: 4n,
      juror: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const,
      salt: newSalt(),
      pairs: [{ a: 0, b: 1, choice: 2, multiplier: 150 }],
    };
    expect(readBallot(file("ballot.json", ballotToJson(ballot)))).to.deep.equal(ballot);
    const score = { ...ballot, pairs: undefined, scoreWad: 5n };
    expect(readBallot(file("score.json", ballotToJson(score))).scoreWad).to.equal(5n);
    const broken = JSON.parse(ballotToJson(ballot));
    broken.salt = "0x12";
    expect(() => readBallot(file("broken.json", JSON.stringify(broken)))).to.throw(
      BallotError,
      /salt: expected 32 bytes of hex/,
    );
    expect(() => readBallot(file("nojson.json", "{"))).to.throw(BallotError, /not JSON/);
    expect(() => readBallot(path.join(dir, "missing.json"))).to.throw(BallotError, /no such/);
  });

  it("jury tasks: bad arguments exit 1 with one line, before any transaction", async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["jury:commit", { evaluation: "" }, /--evaluation ID is required/],
      ["jury:commit", { evaluation: "0", pairs: "x.csv", score: "0.5" }, /exactly one of/],
      ["jury:reveal", { ballot: "" }, /--ballot FILE.json is required/],
      ["jury:reveal", { ballot: path.join(dir, "missing.json") }, /no such ballot file/],
      ["jury:submit", { evaluation: "" }, /--evaluation ID is required/],
      ["jury:create", { kind: "ranking" }, /--kind must be pairwise or score/],
      ["jury:create", { kind: "pairwise", items: "300" }, /--items must be 2 to 256/],
      ["jury:juror", { add: "", remove: "" }, /exactly one of --add/],
      ["jury:stake", { amount: "" }, /--amount TOKENS is required/],
      ["jury:stake", { amount: "1.5e3" }, /--amount must be a decimal number/],
      ["jury:status", { address: "0x5FbDB2315678afecb367f032d93F642f64180aa3" }, /no contract at/],
    ];
    for (const [name, args, message] of cases) {
      const { code, stderr } = await runTask(name, args);
      expect(code, `${name} ${JSON.stringify(args)}`).to.equal(1);
      expect(stderr).to.match(message);
      expect(stderr.split("\n").length).to.equal(1);
    }
    expect(existsSync(path.join(dir, "missing.json"))).to.equal(false);
  });
});
