/**
 * `jury:aggregate --input PAIRS.csv --loss huber|l2 [--delta NUMBER|mad] --out OUT.json`: fits
 * juror pairwise ratings (Deep Funding CSV format) with src/huber.ts and writes
 *
 *   {"loss", "delta", "items": [{"item", "logit", "weight"}], "objective", "skipped"}
 *
 * items sorted by weight, largest first; delta is null for l2; the objective leaves out the
 * ridge term. OUT is written only once the fit has succeeded.
 */
import { writeFile } from "node:fs/promises";

import {
  type Aggregate,
  type Loss,
  aggregate,
  aggregateJson,
  readJurorPairs,
} from "../src/huber.js";
import { UsageError, printTable, runTask } from "./common.js";

interface Args {
  input: string;
  loss: string;
  delta: string;
  out: string;
}

/** Rows of the summary table. */
const SHOWN = 10;

function parseDelta(value: string): number | "mad" {
  if (value === "mad") return "mad";
  const number = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(number) || number <= 0) {
    throw new UsageError(`--delta must be a positive number or "mad", got "${value}"`);
  }
  return number;
}

export default async function juryAggregate(args: Args) {
  await runTask(async () => {
    if (args.input === "") throw new UsageError("--input PAIRS.csv is required");
    if (args.out === "") throw new UsageError("--out OUT.json is required");
    if (args.loss !== "huber" && args.loss !== "l2") {
      throw new UsageError(`--loss must be "huber" or "l2", got "${args.loss}"`);
    }
    const loss: Loss = args.loss;
    const delta = parseDelta(args.delta);
    if (loss === "l2" && delta !== "mad") console.error("note: --delta is ignored with --loss l2");

    const data = readJurorPairs(args.input);
    const started = performance.now();
    let result: Aggregate;
    try {
      result = aggregate(data, loss, delta);
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(`${args.input}: ${error.message}`);
      throw error;
    }
    const ms = performance.now() - started;

    try {
      await writeFile(args.out, JSON.stringify(aggregateJson(result), null, 2) + "\n");
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new UsageError(`cannot write ${args.out}: ${reason}`);
    }

    printTable(
      ["#", "item", "logit", "weight"],
      result.items
        .slice(0, SHOWN)
        .map((r, i) => [String(i + 1), r.item, r.logit.toFixed(4), r.weight.toFixed(4)]),
    );
    if (result.items.length > SHOWN) console.log(`... ${result.items.length - SHOWN} more`);
    const deltaText =
      result.delta === null
        ? "none (l2)"
        : `${result.delta.toFixed(6)}${delta === "mad" ? " (mad)" : ""}`;
    console.log(
      `loss ${loss}, delta ${deltaText}, ${data.pairs.length} comparisons of ` +
        `${data.items.length} items, skipped ${result.skipped}, ${result.iterations} ` +
        `iteration${result.iterations === 1 ? "" : "s"}${result.converged ? "" : " (NOT converged)"}, ` +
        `objective ${result.objective.toFixed(6)}, fit ${ms.toFixed(1)} ms; wrote ${args.out}`,
    );
  });
}
