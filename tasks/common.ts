/** Helpers shared by the tasks: argument checks, clear errors, finding the deployment. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { getAddress, isAddress, parseUnits, type Address } from "viem";

import type { Connection, QfContract } from "../src/qfChain.js";
import { InputError } from "../src/qfInput.js";

/** A problem with what the user asked for: printed as one line, never with a stack trace. */
export class UsageError extends Error {}

/**
 * Runs a task body, turning UsageError (and other known input errors) into a one-line message
 * and a non-zero exit code.
 */
export async function runTask(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof UsageError || error instanceof InputError) {
      console.error(`error: ${error.message}`);
      process.exitCode = 1;
      return;
    }
    const reason = revertReason(error);
    if (reason !== undefined) {
      console.error(`error: the transaction reverted: ${reason}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

/** The custom error name and arguments of a reverted contract call, if that is what failed. */
export function revertReason(error: unknown): string | undefined {
  let e: unknown = error;
  while (e instanceof Error) {
    const data = (e as { data?: { errorName?: string; args?: readonly unknown[] } }).data;
    if (data?.errorName) {
      const args = (data.args ?? []).map((a) => String(a)).join(", ");
      return `${data.errorName}(${args})`;
    }
    // An error the ABI at hand does not declare: the node still names it in the message.
    const named = /reverted with (custom error '[^']*'|reason string '[^']*')/.exec(e.message);
    if (named) return named[1];
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function parseUint(value: string, name: string): bigint {
  if (!/^\d+$/.test(value))
    throw new UsageError(`--${name} must be a whole number, got "${value}"`);
  return BigInt(value);
}

/**
 * A non-negative decimal with at most 18 decimals, as a 1e18 fixed-point integer (tokens of 18
 * decimals, or a fraction). `what` names the kind of number in the error.
 */
export function parseDecimal(value: string, name: string, what = "a decimal number"): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(value)) {
    throw new UsageError(`--${name} must be ${what}, got "${value}"`);
  }
  return parseUnits(value, 18);
}

export function parseAddress(value: string, name: string): Address {
  if (!isAddress(value)) throw new UsageError(`--${name} must be an address, got "${value}"`);
  return getAddress(value);
}

/**
 * The address of a deployed contract: the --address option if given, else the address Ignition
 * recorded for this chain under one of `keys` (e.g. "LocalQuadraticFunding#QuadraticFunding").
 * Checks that code is there.
 */
export async function findDeployed(
  hre: HardhatRuntimeEnvironment,
  conn: Connection,
  addressOption: string,
  keys: readonly string[],
): Promise<Address> {
  let address: Address;
  if (addressOption !== "") {
    address = parseAddress(addressOption, "address");
  } else {
    const chainId = await (await conn.viem.getPublicClient()).getChainId();
    const file = path.join(
      hre.config.paths.root,
      "ignition",
      "deployments",
      `chain-${chainId}`,
      "deployed_addresses.json",
    );
    if (!existsSync(file)) {
      throw new UsageError(
        `no Ignition deployment for chain ${chainId} (${file}); deploy first or pass --address`,
      );
    }
    const recorded = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
    const found = keys.map((k) => recorded[k]).find((a) => a !== undefined);
    if (!found) throw new UsageError(`${file} has none of ${keys.join(", ")}; pass --address`);
    address = getAddress(found);
  }
  const code = await (await conn.viem.getPublicClient()).getCode({ address });
  if (!code || code === "0x") {
    throw new UsageError(`no contract at ${address} on network ${conn.networkName}`);
  }
  return address;
}

/** The QuadraticFunding contract (see `findDeployed`). */
export async function findQf(
  hre: HardhatRuntimeEnvironment,
  conn: Connection,
  addressOption: string,
): Promise<QfContract> {
  const address = await findDeployed(hre, conn, addressOption, [
    "LocalQuadraticFunding#QuadraticFunding",
    "QuadraticFunding#QuadraticFunding",
  ]);
  return conn.viem.getContractAt("QuadraticFunding", address);
}

/** Formats wei as tokens with up to `shown` decimals. */
export function formatTokens(wei: bigint, decimals = 18, shown = 2): string {
  const negative = wei < 0n;
  const abs = negative ? -wei : wei;
  const unit = 10n ** BigInt(decimals);
  const whole = abs / unit;
  const frac = ((abs % unit) * 10n ** BigInt(shown)) / unit;
  const text = `${whole.toLocaleString("en-US")}${shown > 0 ? "." + frac.toString().padStart(shown, "0") : ""}`;
  return negative ? `-${text}` : text;
}

/** Prints rows as an aligned text table; numeric-looking cells are right-aligned. */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = (s: string) => /^-?[\d,.]+x?$|^-$/.test(s);
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i > 0 && numeric(c) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ");
  console.log(line(headers));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}
