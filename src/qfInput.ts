/**
 * Parsing and validation of the quadratic funding checker's input file:
 *
 *   {
 *     "matchingBudget": "<wei>",
 *     "contributions": [{ "contributor": "<label>", "gap": "<label>", "amount": "<wei>" }, ...]
 *   }
 *
 * Wei amounts are decimal strings of digits (or non-negative safe JS integers). Anything else,
 * including unknown keys, is rejected with an InputError naming the offending field.
 */

import { readFileSync } from "node:fs";

import { type Contribution, RoundAccumulator } from "./qf.js";

/**
 * Largest amount the contract accepts: 2^120 - 1 wei. It bounds each contribution, the
 * matching budget and each gap's running total C_g.
 */
export const MAX_AMOUNT = (1n << 120n) - 1n;

/** Largest sum of ideal matches T the contract can store (it keeps T in 128 bits). */
export const MAX_TOTAL_IDEAL = (1n << 128n) - 1n;

/** A parsed and validated checker input. */
export interface QfInput {
  budget: bigint;
  contributions: Contribution[];
}

/**
 * A problem with the input file. `field` is the JSON path of the offending value (e.g.
 * `contributions[3].amount`), or "" when the problem is not tied to a field (unreadable file,
 * malformed JSON). The message reads `<source>: <field>: <detail>`.
 */
export class InputError extends Error {
  readonly source: string;
  readonly field: string;
  readonly detail: string;

  constructor(source: string, field: string, detail: string) {
    super(field === "" ? `${source}: ${detail}` : `${source}: ${field}: ${detail}`);
    this.name = "InputError";
    this.source = source;
    this.field = field;
    this.detail = detail;
  }
}

const TOP_KEYS = ["matchingBudget", "contributions"] as const;
const CONTRIBUTION_KEYS = ["contributor", "gap", "amount"] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

class Parser {
  constructor(private readonly source: string) {}

  fail(field: string, detail: string): never {
    throw new InputError(this.source, field, detail);
  }

  rejectUnknownKeys(obj: Record<string, unknown>, allowed: readonly string[], field: string): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        const where = field === "" ? "top level" : field;
        this.fail(
          where,
          `unknown key ${JSON.stringify(key)} (allowed keys: ${allowed.join(", ")})`,
        );
      }
    }
  }

  require(obj: Record<string, unknown>, key: string, field: string): unknown {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) {
      this.fail(field, "missing required field");
    }
    return obj[key];
  }

  wei(value: unknown, field: string, allowZero: boolean): bigint {
    const expected = "expected a decimal integer string of wei";
    let amount: bigint;
    if (typeof value === "string") {
      if (!/^[0-9]+$/.test(value)) {
        if (/^\s*-\s*[0-9]/.test(value)) {
          this.fail(field, `must not be negative, got ${JSON.stringify(value)}`);
        }
        this.fail(field, `${expected}, got ${JSON.stringify(value)}`);
      }
      amount = BigInt(value);
    } else if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) {
        this.fail(
          field,
          `${expected}, got the number ${value} (numbers must be safe integers; ` +
            `write large amounts as strings)`,
        );
      }
      if (value < 0) {
        this.fail(field, `must not be negative, got ${value}`);
      }
      amount = BigInt(value);
    } else {
      this.fail(field, `${expected}, got ${describe(value)}`);
    }
    if (!allowZero && amount === 0n) {
      this.fail(field, "must be greater than zero (zero-amount contributions are not allowed)");
    }
    if (amount > MAX_AMOUNT) {
      this.fail(field, `${amount} exceeds the contract's limit of 2^120 - 1 = ${MAX_AMOUNT} wei`);
    }
    return amount;
  }

  label(value: unknown, field: string): string {
    if (typeof value !== "string") {
      this.fail(field, `expected a non-empty string label, got ${describe(value)}`);
    }
    if (value.trim() === "") {
      this.fail(field, `must not be empty, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  contribution(value: unknown, index: number): Contribution {
    const field = `contributions[${index}]`;
    if (!isPlainObject(value)) {
      this.fail(field, `expected an object with contributor, gap, amount, got ${describe(value)}`);
    }
    this.rejectUnknownKeys(value, CONTRIBUTION_KEYS, field);
    const contributor = this.label(
      this.require(value, "contributor", `${field}.contributor`),
      `${field}.contributor`,
    );
    const gap = this.label(this.require(value, "gap", `${field}.gap`), `${field}.gap`);
    const amount = this.wei(
      this.require(value, "amount", `${field}.amount`),
      `${field}.amount`,
      false,
    );
    return { contributor, gap, amount };
  }

  input(text: string): QfInput {
    let root: unknown;
    try {
      // Tolerate a UTF-8 byte order mark written by some editors.
      root = JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.fail("", `invalid JSON: ${reason}`);
    }
    if (!isPlainObject(root)) {
      this.fail(
        "top level",
        `expected a JSON object with matchingBudget and contributions, got ${describe(root)}`,
      );
    }
    this.rejectUnknownKeys(root, TOP_KEYS, "");
    const budget = this.wei(
      this.require(root, "matchingBudget", "matchingBudget"),
      "matchingBudget",
      true,
    );
    const list = this.require(root, "contributions", "contributions");
    if (!Array.isArray(list)) {
      this.fail("contributions", `expected an array, got ${describe(list)}`);
    }
    const contributions = list.map((item: unknown, i: number) => this.contribution(item, i));
    this.checkContractLimits(contributions);
    return { budget, contributions };
  }

  /**
   * Replays the contributions through the contract's running sums and rejects the first one
   * the contract would refuse: a gap total C_g above 2^120 - 1 or a T above 2^128 - 1.
   */
  checkContractLimits(contributions: readonly Contribution[]): void {
    const acc = new RoundAccumulator();
    const direct = new Map<string, bigint>();
    contributions.forEach((c, i) => {
      const field = `contributions[${i}].amount`;
      const gapTotal = (direct.get(c.gap) ?? 0n) + c.amount;
      direct.set(c.gap, gapTotal);
      if (gapTotal > MAX_AMOUNT) {
        this.fail(
          field,
          `brings gap ${JSON.stringify(c.gap)} to a total of ${gapTotal} wei, which exceeds ` +
            `the contract's limit of 2^120 - 1 = ${MAX_AMOUNT} wei per gap`,
        );
      }
      acc.contribute(c.contributor, c.gap, c.amount);
      if (acc.totalIdeal > MAX_TOTAL_IDEAL) {
        this.fail(
          field,
          `brings the round's total ideal match T to ${acc.totalIdeal} wei, which exceeds ` +
            `the contract's limit of 2^128 - 1 = ${MAX_TOTAL_IDEAL} wei`,
        );
      }
    });
  }
}

/**
 * Parses and validates the checker's input. `source` (e.g. the file name) prefixes messages.
 * @throws InputError naming the offending field.
 */
export function parseQfInput(text: string, source = "input"): QfInput {
  return new Parser(source).input(text);
}

/**
 * Reads and parses an input file.
 * @throws InputError if the file is missing or unreadable, or its content is invalid.
 */
export function readQfInput(path: string): QfInput {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new InputError(path, "", "file not found");
    }
    if (code === "EISDIR") {
      throw new InputError(path, "", "is a directory, not an input file");
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(path, "", `cannot read file: ${reason}`);
  }
  return parseQfInput(text, path);
}
