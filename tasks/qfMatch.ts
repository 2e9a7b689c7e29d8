/** `qf:match [--round R]`: finalize one ended round (the seed's --qf-match). Needs KEEPER_ROLE. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { alphaWad } from "../src/qf.js";
import { ROUND_STATUS } from "../src/qfChain.js";
import { UsageError, findQf, formatTokens, parseUint, runTask } from "./common.js";

interface Args {
  round: string;
  address: string;
}

export default async function qfMatch(args: Args, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    const conn = await hre.network.create();
    const qf = await findQf(hre, conn, args.address);
    const current = await qf.read.currentRound();
    if (args.round === "" && current === 0n) throw new UsageError("no round has ended yet");
    const round = args.round === "" ? current - 1n : parseUint(args.round, "round");
    if (round >= current) {
      const info = await qf.read.roundInfo([round]);
      throw new UsageError(`round ${round} has not ended (it ends at ${info.end})`);
    }
    const before = await qf.read.roundInfo([round]);
    if (ROUND_STATUS[before.status] !== "Open") {
      throw new UsageError(`round ${round} is ${ROUND_STATUS[before.status]}, not open`);
    }
    const publicClient = await conn.viem.getPublicClient();
    await publicClient.waitForTransactionReceipt({ hash: await qf.write.finalize([round]) });
    const info = await qf.read.roundInfo([round]);
    console.log(`round ${round} finalized`);
    console.log(`  gaps funded   ${info.gapsFunded}`);
    console.log(`  contributions ${info.contributions}`);
    console.log(`  total ideal   ${formatTokens(info.totalIdeal)} (${info.totalIdeal} wei)`);
    console.log(`  budget        ${formatTokens(info.budget)} (${info.budget} wei)`);
    console.log(`  reserved      ${formatTokens(info.reserved)} (${info.reserved} wei)`);
    console.log(`  alpha         ${alphaWad(info.totalIdeal, info.budget)} / 1e18`);
  });
}
