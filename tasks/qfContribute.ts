/**
 * `qf:contribute --gap ID --amount TOKENS [--permit] [--from ADDRESS] [--address QF]`: contribute
 * to a gap in the open round (the seed's --qf-contribute). Without --permit it approves exactly
 * the missing allowance first; with --permit it signs an EIP-2612 permit and sends one
 * transaction.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { getAddress, parseUnits, type Address } from "viem";

import { signPermit } from "../src/qfChain.js";

import { UsageError, findQf, formatTokens, parseAddress, parseUint, runTask } from "./common.js";

interface Args {
  gap: string;
  amount: string;
  permit: boolean;
  from: string;
  address: string;
}

export default async function qfContribute(args: Args, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    if (args.gap === "") throw new UsageError("--gap ID is required");
    if (args.amount === "") throw new UsageError("--amount TOKENS is required");
    const gapId = parseUint(args.gap, "gap");
    const conn = await hre.network.create();
    const qf = await findQf(hre, conn, args.address);
    const publicClient = await conn.viem.getPublicClient();
    const wallets = await conn.viem.getWalletClients();
    const from: Address = getAddress(
      args.from === "" ? wallets[0].account.address : parseAddress(args.from, "from"),
    );
    const wallet = wallets.find((w) => getAddress(w.account.address) === from);
    if (!wallet) throw new UsageError(`--from ${from} is not an account of this network's config`);

    const token = await conn.viem.getContractAt("TestToken", await qf.read.TOKEN());
    const decimals = await token.read.decimals();
    if (!/^\d+(\.\d+)?$/.test(args.amount)) {
      throw new UsageError(
        `--amount must be a positive decimal number of tokens, got "${args.amount}"`,
      );
    }
    const fraction = args.amount.split(".")[1] ?? "";
    if (fraction.length > decimals) {
      throw new UsageError(`--amount has more than ${decimals} decimals: "${args.amount}"`);
    }
    const amount = parseUnits(args.amount, decimals);
    if (amount === 0n) throw new UsageError("--amount must be above zero");
    const [beneficiary, closed] = await qf.read.gap([gapId]);
    if (beneficiary === "0x0000000000000000000000000000000000000000") {
      throw new UsageError(
        `gap ${gapId} is not registered (there are ${await qf.read.gapCount()})`,
      );
    }
    if (closed) throw new UsageError(`gap ${gapId} is closed to contributions`);
    const balance = await token.read.balanceOf([from]);
    if (balance < amount) {
      throw new UsageError(
        `${from} holds ${formatTokens(balance, decimals)} tokens, less than ${args.amount}`,
      );
    }

    const wait = async (hash: `0x${string}`) => publicClient.waitForTransactionReceipt({ hash });
    if (args.permit) {
      const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
      const { v, r, s } = await signPermit(wallet, token, qf.address, amount, deadline);
      await wait(
        await qf.write.contributeWithPermit([gapId, amount, deadline, v, r, s], {
          account: wallet.account,
        }),
      );
    } else {
      const allowance = await token.read.allowance([from, qf.address]);
      if (allowance < amount) {
        await wait(await token.write.approve([qf.address, amount], { account: wallet.account }));
      }
      await wait(await qf.write.contribute([gapId, amount], { account: wallet.account }));
    }
    const round = await qf.read.currentRound();
    const [cumulative] = await qf.read.contributionOf([round, gapId, from]);
    const info = await qf.read.gapRoundInfo([round, gapId]);
    console.log(`contributed ${args.amount} to gap ${gapId} in round ${round} from ${from}`);
    console.log(`  your total for this gap this round: ${formatTokens(cumulative, decimals)}`);
    console.log(
      `  gap now: direct ${formatTokens(info.direct, decimals)}, ideal match ` +
        `${formatTokens(info.idealMatch, decimals)}, projected match ` +
        `${formatTokens(info.matchAmount, decimals)}`,
    );
  });
}
