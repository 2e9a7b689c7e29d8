/**
 * The keeper: `npx hardhat qf:keeper [--network NAME] [--address QF] [--from ROUND] [--watch N]`
 * (or `npm run keeper -- ...`). Finalizes every ended round with contributions that is not yet
 * finalized. The sending account needs KEEPER_ROLE. With --watch it repeats every N seconds.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { finalizeEndedRounds } from "../src/qfChain.js";
import { UsageError, findQf, parseUint, runTask } from "../tasks/common.js";

interface Args {
  address: string;
  from: string;
  watch: number;
}

export default async function keeper(args: Args, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    const from = parseUint(args.from, "from");
    if (args.watch < 0) throw new UsageError("--watch must be 0 or a number of seconds");
    const conn = await hre.network.create();
    const qf = await findQf(hre, conn, args.address);
    const [sender] = await conn.viem.getWalletClients();
    const keeperRole = await qf.read.KEEPER_ROLE();
    if (!(await qf.read.hasRole([keeperRole, sender.account.address]))) {
      throw new UsageError(`${sender.account.address} does not hold KEEPER_ROLE on ${qf.address}`);
    }
    const log = (line: string) => console.log(`[${new Date().toISOString()}] ${line}`);
    for (;;) {
      const done = await finalizeEndedRounds(conn, qf, from, log);
      if (done.length === 0) log("no ended round waiting to be finalized");
      if (args.watch === 0) return;
      await new Promise((resolve) => setTimeout(resolve, args.watch * 1000));
    }
  });
}
