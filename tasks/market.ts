/**
 * Market tasks: `market:prices`, `market:buy`, `market:sell` (LMSR market maker) and
 * `market:split`, `market:merge`, `market:redeem` (conditional token vault). Amounts are in
 * tokens (18 decimals); addresses default to this network's Ignition deployment (module
 * "Markets").
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatUnits, keccak256, maxUint256, stringToHex, type Hex } from "viem";

import type { Connection } from "../src/qfChain.js";
import {
  UsageError,
  findDeployed,
  parseDecimal,
  parseAddress,
  parseUint,
  printTable,
  runTask,
} from "./common.js";

interface MarketArgs {
  market: string;
  outcome: string;
  amount: string;
  limit: string;
  maker: string;
}

interface VaultArgs {
  collateral: string;
  parent: string;
  condition: string;
  amount: string;
  slots: string;
  vault: string;
}

function tokens(value: string, name: string): bigint {
  const amount = parseDecimal(value, name, "a decimal number of tokens");
  if (amount === 0n) throw new UsageError(`--${name} must be above zero`);
  return amount;
}

function conditionId(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new UsageError(`--condition must be a 32-byte hex id, got "${value}"`);
  }
  return value as Hex;
}

async function maker(hre: HardhatRuntimeEnvironment, conn: Connection, address: string) {
  const at = await findDeployed(hre, conn, address, ["Markets#LMSRMarketMaker"]);
  return conn.viem.getContractAt("LMSRMarketMaker", at);
}

async function vault(hre: HardhatRuntimeEnvironment, conn: Connection, address: string) {
  const at = await findDeployed(hre, conn, address, ["Markets#ConditionalTokens"]);
  return conn.viem.getContractAt("ConditionalTokens", at);
}

async function marketOf(
  hre: HardhatRuntimeEnvironment,
  conn: Connection,
  args: Pick<MarketArgs, "market" | "maker">,
) {
  if (args.market === "") throw new UsageError("--market ID is required");
  const mm = await maker(hre, conn, args.maker);
  const id = parseUint(args.market, "market");
  const count = await mm.read.marketCount();
  if (id === 0n || id > count)
    throw new UsageError(`market ${id} does not exist (${count} markets)`);
  return { mm, id };
}

const fmt = (wad: bigint, digits = 4) => Number(formatUnits(wad, 18)).toFixed(digits);

export async function prices(
  args: Pick<MarketArgs, "market" | "maker">,
  hre: HardhatRuntimeEnvironment,
) {
  await runTask(async () => {
    const conn = await hre.network.create();
    const { mm, id } = await marketOf(hre, conn, args);
    const [outcomes, liquidity, closeTime] = await mm.read.marketInfo([id]);
    const spot = await mm.read.prices([id]);
    const twap = await mm.read.averagePrices([id]);
    const [loss, subsidy] = await mm.read.liabilities([id]);
    console.log(
      `market ${id}: ${outcomes} outcomes, b ${fmt(liquidity, 2)}, subsidy ${fmt(subsidy, 2)}, ` +
        `worst-case loss ${fmt(loss, 2)}, closes at ${closeTime}`,
    );
    printTable(
      ["outcome", "spot", "time-weighted"],
      spot.map((p, j) => [String(j), fmt(p, 6), fmt(twap[j], 6)]),
    );
  });
}

async function trade(args: MarketArgs, hre: HardhatRuntimeEnvironment, side: "buy" | "sell") {
  await runTask(async () => {
    const conn = await hre.network.create();
    const { mm, id } = await marketOf(hre, conn, args);
    if (args.outcome === "") throw new UsageError("--outcome J is required");
    const outcome = parseUint(args.outcome, "outcome");
    const [outcomes] = await mm.read.marketInfo([id]);
    if (outcome >= outcomes) throw new UsageError(`--outcome must be below ${outcomes}`);
    const amount = tokens(args.amount, "amount");
    const quoted = await mm.read.quote([id, outcome, side === "buy" ? amount : -amount]);
    const limit =
      args.limit !== ""
        ? tokens(args.limit, side === "buy" ? "max-cost" : "min-return")
        : side === "buy"
          ? maxUint256
          : 0n;
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 600);
    const publicClient = await conn.viem.getPublicClient();
    const wait = async (hash: Hex) => publicClient.waitForTransactionReceipt({ hash });
    // Approvals: the vault pulls collateral (allowance) on the maker's behalf (operator), and the
    // maker burns sold tokens or a parent position (operator).
    const [me] = await conn.viem.getWalletClients();
    const [, , , collateral, parent] = await mm.read.marketInfo([id]);
    const ct = await conn.viem.getContractAt("ConditionalTokens", await mm.read.VAULT());
    if (side === "buy" && parent === 0n) {
      const token = await conn.viem.getContractAt("TestToken", collateral);
      const needed = limit === maxUint256 ? quoted : limit;
      if ((await token.read.allowance([me.account.address, ct.address])) < needed) {
        await wait(await token.write.approve([ct.address, needed]));
      }
    }
    if (!(await ct.read.isApprovedForAll([me.account.address, mm.address]))) {
      await wait(await ct.write.setApprovalForAll([mm.address, true]));
    }
    const hash =
      side === "buy"
        ? await mm.write.buy([id, outcome, amount, limit, deadline])
        : await mm.write.sell([id, outcome, amount, limit, deadline]);
    await wait(hash);
    console.log(
      `${side === "buy" ? "bought" : "sold"} ${args.amount} of outcome ${outcome} in market ${id} ` +
        `for about ${fmt(quoted, 6)} (quoted before the trade)`,
    );
  });
}

export const buy = (args: MarketArgs, hre: HardhatRuntimeEnvironment) => trade(args, hre, "buy");
export const sell = (args: MarketArgs, hre: HardhatRuntimeEnvironment) => trade(args, hre, "sell");

async function vaultCall(
  args: VaultArgs,
  hre: HardhatRuntimeEnvironment,
  action: "split" | "merge" | "redeem",
) {
  await runTask(async () => {
    if (args.collateral === "") throw new UsageError("--collateral ADDRESS is required");
    if (args.condition === "") throw new UsageError("--condition ID is required");
    const collateral = parseAddress(args.collateral, "collateral");
    const parent = args.parent === "" ? 0n : BigInt(parseUint(args.parent, "parent"));
    const condition = conditionId(args.condition);
    const conn = await hre.network.create();
    const ct = await vault(hre, conn, args.vault);
    const n = await ct.read.outcomeSlotCount([condition]);
    if (n === 0n) throw new UsageError(`condition ${condition} is not prepared`);
    const publicClient = await conn.viem.getPublicClient();
    const wait = async (hash: Hex) => publicClient.waitForTransactionReceipt({ hash });
    if (action === "redeem") {
      if (!(await ct.read.isResolved([condition]))) {
        throw new UsageError(`condition ${condition} is not resolved yet`);
      }
      const slots =
        args.slots === ""
          ? Array.from({ length: Number(n) }, (_, j) => BigInt(j))
          : args.slots.split(",").map((x) => parseUint(x.trim(), "slots"));
      await wait(await ct.write.redeemPositions([collateral, parent, condition, slots]));
      console.log(`redeemed slots ${slots.join(",")} of ${condition}`);
      return;
    }
    const amount = tokens(args.amount, "amount");
    if (action === "split" && parent === 0n) {
      const token = await conn.viem.getContractAt("TestToken", collateral);
      const [me] = await conn.viem.getWalletClients();
      if ((await token.read.allowance([me.account.address, ct.address])) < amount) {
        await wait(await token.write.approve([ct.address, amount]));
      }
    }
    await wait(
      action === "split"
        ? await ct.write.splitPosition([collateral, parent, condition, amount])
        : await ct.write.mergePositions([collateral, parent, condition, amount]),
    );
    console.log(`${action === "split" ? "split" : "merged"} ${args.amount} on ${n} outcomes`);
  });
}

export const split = (args: VaultArgs, hre: HardhatRuntimeEnvironment) =>
  vaultCall(args, hre, "split");
export const merge = (args: VaultArgs, hre: HardhatRuntimeEnvironment) =>
  vaultCall(args, hre, "merge");
export const redeem = (args: VaultArgs, hre: HardhatRuntimeEnvironment) =>
  vaultCall(args, hre, "redeem");

interface SetupArgs {
  resolver: string;
  question: string;
  outcomes: string;
  condition: string;
  collateral: string;
  parent: string;
  subsidy: string;
  prices: string;
  hours: string;
  payouts: string;
  vault: string;
  maker: string;
}

const questionId = (text: string) => {
  if (text === "") throw new UsageError("--question TEXT is required");
  return keccak256(stringToHex(text));
};

/** `market:condition`: prepares a condition (the resolver is --resolver, default the sender). */
export async function condition(
  args: Pick<SetupArgs, "resolver" | "question" | "outcomes" | "vault">,
  hre: HardhatRuntimeEnvironment,
) {
  await runTask(async () => {
    const n = parseUint(args.outcomes, "outcomes");
    if (n < 2n || n > 256n) throw new UsageError("--outcomes must be between 2 and 256");
    const conn = await hre.network.create();
    const ct = await vault(hre, conn, args.vault);
    const [me] = await conn.viem.getWalletClients();
    const resolver =
      args.resolver === "" ? me.account.address : parseAddress(args.resolver, "resolver");
    const q = questionId(args.question);
    const id = await ct.read.getConditionId([resolver, q, n]);
    if ((await ct.read.outcomeSlotCount([id])) !== 0n)
      throw new UsageError(`condition ${id} exists`);
    const publicClient = await conn.viem.getPublicClient();
    await publicClient.waitForTransactionReceipt({
      hash: await ct.write.prepareCondition([resolver, q, n]),
    });
    console.log(`condition ${id}: ${n} outcomes, resolver ${resolver}`);
  });
}

/** `market:create`: a market over a condition's outcomes, funded with --subsidy tokens. */
export async function create(
  args: Pick<
    SetupArgs,
    "condition" | "collateral" | "parent" | "subsidy" | "prices" | "hours" | "maker"
  >,
  hre: HardhatRuntimeEnvironment,
) {
  await runTask(async () => {
    if (args.collateral === "") throw new UsageError("--collateral ADDRESS is required");
    if (args.condition === "") throw new UsageError("--condition ID is required");
    const collateral = parseAddress(args.collateral, "collateral");
    const cond = conditionId(args.condition);
    const parent = args.parent === "" ? 0n : parseUint(args.parent, "parent");
    const subsidy = tokens(args.subsidy, "subsidy");
    const hours = parseUint(args.hours, "hours");
    const startPrices =
      args.prices === "" ? [] : args.prices.split(",").map((p) => tokens(p.trim(), "prices"));
    const conn = await hre.network.create();
    const mm = await maker(hre, conn, args.maker);
    const ct = await conn.viem.getContractAt("ConditionalTokens", await mm.read.VAULT());
    const n = await ct.read.outcomeSlotCount([cond]);
    if (n === 0n) throw new UsageError(`condition ${cond} is not prepared`);
    if (startPrices.length !== 0 && BigInt(startPrices.length) !== n) {
      throw new UsageError(`--prices needs ${n} values`);
    }
    const publicClient = await conn.viem.getPublicClient();
    const wait = async (hash: Hex) => publicClient.waitForTransactionReceipt({ hash });
    const [me] = await conn.viem.getWalletClients();
    // The vault takes the subsidy from the sender on the maker's behalf: it needs the maker as
    // the sender's operator, and an allowance for collateral.
    if (parent === 0n) {
      const token = await conn.viem.getContractAt("TestToken", collateral);
      if ((await token.read.allowance([me.account.address, ct.address])) < subsidy) {
        await wait(await token.write.approve([ct.address, subsidy]));
      }
    }
    if (!(await ct.read.isApprovedForAll([me.account.address, mm.address]))) {
      await wait(await ct.write.setApprovalForAll([mm.address, true]));
    }
    const now = (await publicClient.getBlock()).timestamp;
    await wait(
      await mm.write.createMarket([
        collateral,
        parent,
        cond,
        subsidy,
        startPrices,
        now + hours * 3600n,
      ]),
    );
    const id = await mm.read.marketCount();
    const [, b] = await mm.read.marketInfo([id]);
    console.log(`market ${id}: ${n} outcomes, b ${fmt(b, 2)}, closes in ${hours} h`);
  });
}

/** `market:report`: the resolver (the sender) reports a condition's payout vector. */
export async function report(
  args: Pick<SetupArgs, "question" | "payouts" | "vault">,
  hre: HardhatRuntimeEnvironment,
) {
  await runTask(async () => {
    if (args.payouts === "") throw new UsageError("--payouts 1,0,... is required");
    const payouts = args.payouts.split(",").map((x) => parseUint(x.trim(), "payouts"));
    const conn = await hre.network.create();
    const ct = await vault(hre, conn, args.vault);
    const [me] = await conn.viem.getWalletClients();
    const q = questionId(args.question);
    const id = await ct.read.getConditionId([me.account.address, q, BigInt(payouts.length)]);
    if ((await ct.read.outcomeSlotCount([id])) === 0n) {
      throw new UsageError(
        `no condition with resolver ${me.account.address}, this question and ${payouts.length} outcomes`,
      );
    }
    const publicClient = await conn.viem.getPublicClient();
    await publicClient.waitForTransactionReceipt({
      hash: await ct.write.reportPayouts([q, payouts]),
    });
    console.log(`reported [${payouts.join(", ")}] for condition ${id}`);
  });
}
