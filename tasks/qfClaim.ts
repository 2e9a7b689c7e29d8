/**
 * `qf:claim --round R [--gap ID] [--address QF]`: pays a finalized round's gap (or every unpaid
 * gap of the round) to its recorded beneficiary. Anyone may send it; the tokens always go to the
 * beneficiary.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ROUND_STATUS, contributedEvents } from "../src/qfChain.js";
import { UsageError, findQf, formatTokens, parseUint, runTask } from "./common.js";

interface Args {
  round: string;
  gap: string;
  address: string;
}

export default async function qfClaim(args: Args, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    if (args.round === "") throw new UsageError("--round R is required");
    const round = parseUint(args.round, "round");
    const conn = await hre.network.create();
    const qf = await findQf(hre, conn, args.address);
    const info = await qf.read.roundInfo([round]);
    if (ROUND_STATUS[info.status] !== "Finalized") {
      throw new UsageError(`round ${round} is ${ROUND_STATUS[info.status]}; claims need Finalized`);
    }
    const gaps =
      args.gap !== ""
        ? [parseUint(args.gap, "gap")]
        : [...new Set((await contributedEvents(conn, qf, round)).map((e) => e.gapId))];
    const publicClient = await conn.viem.getPublicClient();
    let paid = 0;
    for (const gapId of gaps) {
      const g = await qf.read.gapRoundInfo([round, gapId]);
      if (g.direct === 0n) throw new UsageError(`gap ${gapId} received nothing in round ${round}`);
      if (g.settled) {
        console.log(`gap ${gapId}: already paid`);
        continue;
      }
      await publicClient.waitForTransactionReceipt({ hash: await qf.write.claim([round, gapId]) });
      paid++;
      console.log(
        `gap ${gapId}: paid ${formatTokens(g.direct + g.matchAmount)} ` +
          `(direct ${formatTokens(g.direct)} + match ${formatTokens(g.matchAmount)}) to ${g.beneficiary}`,
      );
    }
    console.log(`${paid} payout(s) sent`);
  });
}
