/**
 * `qf:seed [--to ADDRESS] [--amount TOKENS] [--pool TOKENS] [--address QF]`: prepares a local or
 * test deployment for people to try: registers three sample gaps (if none exist), mints test
 * tokens to --to (default: every configured account) and funds the matching pool. Works only
 * with the TestToken, whose faucet is open.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { parseEther, type Address } from "viem";

import { UsageError, findQf, parseAddress, runTask } from "./common.js";

interface Args {
  to: string;
  amount: string;
  pool: string;
  address: string;
}

const SAMPLE_GAPS = [
  "gap-protein-folding-benchmarks",
  "gap-rare-disease-registry",
  "gap-replication-psychology",
];

function tokens(value: string, name: string): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(value)) {
    throw new UsageError(`--${name} must be a decimal number of tokens, got "${value}"`);
  }
  return parseEther(value);
}

export default async function qfSeed(args: Args, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    const amount = tokens(args.amount, "amount");
    const pool = tokens(args.pool, "pool");
    const conn = await hre.network.create();
    const qf = await findQf(hre, conn, args.address);
    const token = await conn.viem.getContractAt("TestToken", await qf.read.TOKEN());
    const publicClient = await conn.viem.getPublicClient();
    const wait = async (hash: `0x${string}`) => publicClient.waitForTransactionReceipt({ hash });
    const wallets = await conn.viem.getWalletClients();
    const [admin] = wallets;

    if ((await qf.read.gapCount()) === 0n) {
      for (const [i, label] of SAMPLE_GAPS.entries()) {
        await wait(
          await qf.write.registerGap([wallets[(i + 1) % wallets.length].account.address, label]),
        );
        console.log(`registered gap ${i + 1}: ${label}`);
      }
    }
    const recipients: Address[] =
      args.to === "" ? wallets.map((w) => w.account.address) : [parseAddress(args.to, "to")];
    for (const to of recipients) {
      await wait(await token.write.mint([to, amount]));
    }
    console.log(`minted ${args.amount} test tokens to ${recipients.length} address(es)`);
    if (pool > 0n) {
      await wait(await token.write.mint([admin.account.address, pool]));
      await wait(await token.write.approve([qf.address, pool]));
      await wait(await qf.write.fundPool([pool]));
      console.log(`funded the matching pool with ${args.pool} tokens`);
    }
    console.log(`token ${token.address}, quadratic funding ${qf.address}`);
  });
}
