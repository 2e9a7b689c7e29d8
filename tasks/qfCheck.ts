/**
 * `qf:check --input FILE.json --out OUT.json [--onchain]`: the round checker.
 *
 * Off-chain it computes the round with src/qf.ts. With --onchain it also deploys the contracts on
 * the in-process chain, replays every contribution from one funded wallet per contributor label,
 * funds the pool with the budget, finalizes, reads the figures back and reports any disagreement
 * (exit code 1 if there is one). OUT then holds the on-chain figures.
 */
import { writeFile } from "node:fs/promises";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import LocalQuadraticFunding from "../ignition/modules/LocalQuadraticFunding.js";
import { computeRound, toJson, type RoundResult } from "../src/qf.js";
import { readQfInput } from "../src/qfInput.js";
import { compareRounds, readRound, replayRound } from "../src/qfChain.js";
import { UsageError, runTask } from "./common.js";

interface Args {
  input: string;
  out: string;
  onchain: boolean;
}

/** A year: the replay must stay inside one round however many transactions it sends. */
const REPLAY_PERIOD = 365n * 24n * 3600n;

export default async function qfCheck(args: Args, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    if (args.input === "") throw new UsageError("--input FILE.json is required");
    if (args.out === "") throw new UsageError("--out OUT.json is required");
    const input = readQfInput(args.input);
    const offchain = computeRound(input.contributions, input.budget);
    let result: RoundResult = offchain;

    if (args.onchain) {
      await hre.tasks.getTask("build").run({ quiet: true, noTests: true });
      const conn = await hre.network.create();
      const { token, qf } = await conn.ignition.deploy(LocalQuadraticFunding, {
        parameters: { LocalQuadraticFunding: { period: REPLAY_PERIOD } },
        displayUi: false,
      });
      const total = input.contributions.length;
      const started = Date.now();
      const { gapIds, round } = await replayRound(
        conn,
        token,
        qf,
        input.contributions,
        input.budget,
        {
          onProgress: (done) => {
            if (done % 100 === 0 || done === total) {
              process.stderr.write(`\rreplayed ${done}/${total} contributions`);
            }
          },
        },
      );
      process.stderr.write(`\n`);
      result = await readRound(conn, qf, round, gapIds);
      const problems = compareRounds(offchain, result);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (problems.length === 0) {
        console.log(
          `on-chain and off-chain agree to the wei: ${gapIds.size} gaps, ${total} contributions ` +
            `(${seconds} s)`,
        );
      } else {
        console.error(`on-chain and off-chain DISAGREE (${problems.length}):`);
        for (const p of problems) console.error(`  ${p}`);
        process.exitCode = 1;
      }
    }

    await writeFile(args.out, JSON.stringify(toJson(result), null, 2) + "\n");
    console.log(
      `alpha ${result.alpha}, total ideal ${result.totalIdeal}, matched ${result.matched}, ` +
        `unspent ${result.unspent}; wrote ${args.out}`,
    );
  });
}
