/**
 * `qf:stats [--gap ID] [--round R] [--json] [--address QF]` (the seed's --qf-stats):
 * without --gap, every gap funded in a round (default: the open round) with the round's totals;
 * with --gap, that gap in every round that funded it.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { leverage } from "../src/qf.js";
import {
  ROUND_STATUS,
  contributedEvents,
  contributorCounts,
  type Connection,
  type QfContract,
} from "../src/qfChain.js";
import { UsageError, findQf, formatTokens, parseUint, printTable, runTask } from "./common.js";

interface Args {
  gap: string;
  round: string;
  json: boolean;
  address: string;
}

interface GapRow {
  round: bigint;
  gap: bigint;
  beneficiary: string;
  contributors: number;
  direct: bigint;
  sumSqrt: bigint;
  idealMatch: bigint;
  match: bigint;
  payout: bigint;
  final: boolean;
  claimed: boolean;
}

export default async function qfStats(args: Args, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    const conn = await hre.network.create();
    const qf = await findQf(hre, conn, args.address);
    if (args.gap !== "") {
      await gapStats(conn, qf, parseUint(args.gap, "gap"), args.json);
    } else {
      const round =
        args.round === "" ? await qf.read.currentRound() : parseUint(args.round, "round");
      await roundStats(conn, qf, round, args.json);
    }
  });
}

async function gapRows(conn: Connection, qf: QfContract, round: bigint, only?: bigint) {
  const counts = contributorCounts(await contributedEvents(conn, qf, round));
  const info = await qf.read.roundInfo([round]);
  const final = ROUND_STATUS[info.status] === "Finalized" || ROUND_STATUS[info.status] === "Swept";
  const ids = [...counts.keys()].filter((id) => only === undefined || id === only);
  const rows: GapRow[] = [];
  for (const id of ids.sort((a, b) => (a < b ? -1 : 1))) {
    const g = await qf.read.gapRoundInfo([round, id]);
    const contributors = counts.get(id) ?? 0;
    rows.push({
      round,
      gap: id,
      beneficiary: g.beneficiary,
      contributors,
      direct: g.direct,
      sumSqrt: g.sumSqrt,
      idealMatch: g.idealMatch,
      match: g.matchAmount,
      payout: g.direct + g.matchAmount,
      final,
      claimed: g.settled,
    });
  }
  return { info, rows };
}

const json = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);

function table(rows: GapRow[], first: "gap" | "round") {
  printTable(
    [first, "contributors", "direct", "ideal", "match", "payout", "leverage", "status"],
    rows.map((r) => [
      String(first === "gap" ? r.gap : r.round),
      String(r.contributors),
      formatTokens(r.direct),
      formatTokens(r.idealMatch),
      formatTokens(r.match),
      formatTokens(r.payout),
      leverage(r.direct, r.payout),
      r.claimed ? "paid" : r.final ? "claimable" : "projected",
    ]),
  );
}

async function roundStats(conn: Connection, qf: QfContract, round: bigint, asJson: boolean) {
  const current = await qf.read.currentRound();
  if (round > current) throw new UsageError(`round ${round} has not started (current: ${current})`);
  const { info, rows } = await gapRows(conn, qf, round);
  const pool = await qf.read.matchingPool();
  if (asJson) {
    console.log(
      json({ round, ...info, status: ROUND_STATUS[info.status], matchingPool: pool, gaps: rows }),
    );
    return;
  }
  const open = ROUND_STATUS[info.status] === "Open";
  const budget = open
    ? `budget ${formatTokens(await qf.read.roundBudget())} (taken at finalize, pool permitting)`
    : `budget ${formatTokens(info.budget)}, alpha ${formatTokens(info.alphaWad, 18, 4)}`;
  console.log(
    `round ${round} (${ROUND_STATUS[info.status]}): ${info.contributions} contributions to ` +
      `${info.gapsFunded} gaps; T ${formatTokens(info.totalIdeal)}, ${budget}; pool ` +
      `${formatTokens(pool)}`,
  );
  if (rows.length === 0) console.log("no contributions in this round");
  else table(rows, "gap");
}

async function gapStats(conn: Connection, qf: QfContract, gapId: bigint, asJson: boolean) {
  const [beneficiary, closed, , funded] = await qf.read.gap([gapId]);
  if (beneficiary === "0x0000000000000000000000000000000000000000") {
    throw new UsageError(`gap ${gapId} is not registered`);
  }
  const publicClient = await conn.viem.getPublicClient();
  const logs = await publicClient.getContractEvents({
    address: qf.address,
    abi: qf.abi,
    eventName: "Contributed",
    args: { gapId },
    fromBlock: 0n,
    strict: true,
  });
  const rounds = [...new Set(logs.map((l) => l.args.round))];
  const rows: GapRow[] = [];
  for (const round of rounds) rows.push(...(await gapRows(conn, qf, round, gapId)).rows);
  if (asJson) {
    console.log(json({ gap: gapId, beneficiary, closed, funded, rounds: rows }));
    return;
  }
  console.log(`gap ${gapId}: beneficiary ${beneficiary}${closed ? " (closed)" : ""}`);
  if (rows.length === 0) console.log("never funded");
  else table(rows, "round");
}
