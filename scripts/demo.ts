/**
 * The demonstration: `npm run demo [-- --report FILE.json]`.
 *
 * On the in-process chain it deploys with Ignition, registers knowledge gaps, has dozens of
 * wallets contribute in realistic patterns over two rounds (broad support, a single whale, a
 * gift split over many transactions next to the same gift in one, a batch, a permit), funds the
 * matching pool, runs the keeper, claims every payout, cancels a third round and refunds it, and
 * prints a table per round. Then it rebuilds every round from the chain's events alone and
 * checks that the off-chain module agrees with the contract to the wei. The markets, jury and
 * Deep Funding sections follow (see demoMarkets.ts, demoJury.ts, demoDeepFunding.ts); the last
 * runs a whole Deep Funding round, funded by quadratic funding, on its own chain.
 */
import { writeFile } from "node:fs/promises";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { parseEther } from "viem";

import LocalQuadraticFunding from "../ignition/modules/LocalQuadraticFunding.js";
import { computeRound, leverage, type Contribution, type RoundResult } from "../src/qf.js";
import {
  compareRounds,
  contributedEvents,
  finalizeEndedRounds,
  fundWallet,
  labelAddress,
  readRound,
  registerGaps,
  signPermit,
  type Connection,
  type Wallet,
  type QfContract,
  type TokenContract,
} from "../src/qfChain.js";
import { prng } from "./prng.js";
import { formatTokens, printTable, runTask } from "../tasks/common.js";
import { deepFundingSection } from "./demoDeepFunding.js";
import { jurySection } from "./demoJury.js";
import { marketsSection } from "./demoMarkets.js";

interface Args {
  report: string;
}

const PERIOD = 6n * 3600n;
const GRACE = 7n * 24n * 3600n;
const ROUND_BUDGET = parseEther("3000");

const GAPS = [
  "gap-protein-folding-benchmarks",
  "gap-rare-disease-registry",
  "gap-climate-model-intercomparison",
  "gap-open-peer-review-tools",
  "gap-replication-psychology",
  "gap-ocean-microplastics-data",
] as const;

export default async function demo(args: Args, hre: HardhatRuntimeEnvironment) {
  await runTask(async () => {
    await hre.tasks.getTask("build").run({ quiet: true, noTests: true });
    const conn = await hre.network.create();
    const [admin, sponsor, permitUser] = await conn.viem.getWalletClients();

    console.log("== Deploying with Ignition (LocalQuadraticFunding) ==");
    const { token, qf } = await conn.ignition.deploy(LocalQuadraticFunding, {
      parameters: {
        LocalQuadraticFunding: { period: PERIOD, grace: GRACE, roundBudget: ROUND_BUDGET },
      },
      displayUi: false,
    });
    console.log(`token ${token.address}\nquadratic funding ${qf.address}`);
    console.log(`rounds of ${PERIOD / 3600n} h, budget ${formatTokens(ROUND_BUDGET)} per round\n`);

    const gapIds = await registerGaps(qf, GAPS);
    const id = (label: (typeof GAPS)[number]) => gapIds.get(label)!;

    // The sponsor funds the pool with enough for about three rounds.
    await token.write.mint([sponsor.account.address, parseEther("10000")]);
    await token.write.approve([qf.address, parseEther("10000")], { account: sponsor.account });
    await qf.write.fundPool([parseEther("9000")], { account: sponsor.account });

    const wallets: `0x${string}`[] = [];
    for (let i = 0; i < 48; i++) {
      const address = labelAddress(`demo-wallet-${i}`);
      await fundWallet(conn, token, qf, address, parseEther("5000"));
      wallets.push(address);
    }
    const rand = prng(2018);
    const give = async (wallet: `0x${string}`, gap: bigint, tokens: number) =>
      qf.write.contribute([gap, parseEther(String(tokens))], { account: wallet });

    // ---------------------------------------------------------------- round 0
    console.log("== Round 0: broad support, a whale, a split gift, a batch, a permit ==");
    for (let i = 0; i < 32; i++) {
      await give(wallets[i], id("gap-protein-folding-benchmarks"), 5 + Math.floor(rand() * 20));
    }
    await give(wallets[32], id("gap-rare-disease-registry"), 2000);
    for (let i = 0; i < 10; i++)
      await give(wallets[33], id("gap-climate-model-intercomparison"), 20);
    await give(wallets[34], id("gap-open-peer-review-tools"), 200);
    await give(wallets[35], id("gap-open-peer-review-tools"), 15);
    await give(wallets[36], id("gap-climate-model-intercomparison"), 15);
    for (let i = 37; i < 47; i++) {
      await qf.write.contributeBatch(
        [
          [id("gap-replication-psychology"), id("gap-ocean-microplastics-data")],
          [parseEther("40"), parseEther(String(10 + i))],
        ],
        { account: wallets[i] },
      );
    }
    await contributeWithPermit(
      conn,
      token,
      qf,
      permitUser,
      id("gap-ocean-microplastics-data"),
      "25",
    );
    console.log(`${(await qf.read.roundInfo([0n])).contributions} contributions\n`);

    await conn.networkHelpers.time.increase(PERIOD);

    // ---------------------------------------------------------------- round 1
    console.log("== Round 1: a quieter round the budget fully covers ==");
    for (let i = 0; i < 12; i++) {
      await give(wallets[i], id("gap-rare-disease-registry"), 2 + Math.floor(rand() * 8));
    }
    for (let i = 12; i < 20; i++) await give(wallets[i], id("gap-replication-psychology"), 3);
    await give(wallets[47], id("gap-protein-folding-benchmarks"), 500);
    console.log(`${(await qf.read.roundInfo([1n])).contributions} contributions\n`);
    await conn.networkHelpers.time.increase(PERIOD);

    // ---------------------------------------------------------------- round 2 (cancelled)
    await give(wallets[5], id("gap-ocean-microplastics-data"), 30);
    await give(wallets[6], id("gap-ocean-microplastics-data"), 30);
    await qf.write.cancelRound([2n]);
    const refunded = await refundAll(conn, qf, 2n);
    console.log(
      `== Round 2: cancelled by the admin; ${formatTokens(refunded)} refunded in full ==\n`,
    );
    await conn.networkHelpers.time.increase(PERIOD);

    console.log("== Keeper ==");
    const finalized = await finalizeEndedRounds(conn, qf, 0n, (line) => console.log(line));
    console.log();

    const results: RoundResult[] = [];
    let claimed = 0n;
    for (const { round } of finalized) {
      for (const gapId of gapIds.values()) {
        const g = await qf.read.gapRoundInfo([round, gapId]);
        if (g.direct === 0n) continue;
        await qf.write.claim([round, gapId], { account: admin.account });
        claimed += g.direct + g.matchAmount;
      }
      const result = await readRound(
        conn,
        qf,
        round,
        fundedGaps(gapIds, await fundedIds(conn, qf, round)),
      );
      results.push(result);
      printRound(round, result);
    }

    console.log("== Off-chain check from the chain's events ==");
    let disagreements = 0;
    for (const [i, { round }] of finalized.entries()) {
      const contributions = await eventsAsContributions(conn, qf, round, gapIds);
      const offchain = computeRound(contributions, results[i].budget);
      const problems = compareRounds(offchain, results[i]);
      disagreements += problems.length;
      console.log(
        problems.length === 0
          ? `round ${round}: ${contributions.length} contributions, off-chain = on-chain to the wei`
          : `round ${round}: ${problems.length} DISAGREEMENTS\n  ${problems.join("\n  ")}`,
      );
    }
    const split = results[0].gaps.filter(
      (g) => g.gap.includes("climate") || g.gap.includes("peer"),
    );
    if (split.length === 2 && split[0].match === split[1].match) {
      console.log(
        "a gift of 200 split into ten transactions matched exactly like one gift of 200: " +
          `${split[0].match} wei each`,
      );
    }

    // After the grace period the rounds' rounding dust goes back to the pool.
    await conn.networkHelpers.time.increase(GRACE);
    let dust = 0n;
    for (const { round } of finalized) {
      const info = await qf.read.roundInfo([round]);
      dust += info.reserved - info.matchPaid;
      await qf.write.sweepRound([round]);
    }
    const pool = await qf.read.matchingPool();
    const balance = await token.read.balanceOf([qf.address]);
    console.log(
      `\npaid to beneficiaries ${formatTokens(claimed)}; ${dust} wei of dust swept back;`,
    );
    console.log(
      `pool left ${formatTokens(pool)}; contract holds ${formatTokens(balance)}` +
        (balance === pool ? " (exactly the pool: nothing else is owed)" : " (MISMATCH)"),
    );
    if (balance !== pool) process.exitCode = 1;
    if (disagreements > 0) {
      process.exitCode = 1;
      console.error("the off-chain checker disagrees with the chain");
    }

    const markets = await marketsSection(conn, token, wallets);
    const jury = await jurySection(conn, token, wallets.slice(40));
    const deepFunding = await deepFundingSection(hre);
    if (!deepFunding.agreesOffchain) {
      process.exitCode = 1;
      console.error("the Deep Funding checker disagrees with the pot's claims");
    }

    if (args.report !== "") {
      const matched = results.reduce((sum, r) => sum + r.matched, 0n);
      const report = {
        qf: {
          matched: matched.toString(),
          rounds: results.map((r, i) => ({
            round: Number(finalized[i].round),
            budget: r.budget.toString(),
            totalIdeal: r.totalIdeal.toString(),
            alpha: r.alpha.toString(),
            matched: r.matched.toString(),
            gaps: r.gaps.map((g) => ({
              gap: g.gap,
              contributors: g.contributors,
              direct: g.direct.toString(),
              match: g.match.toString(),
              payout: g.payout.toString(),
            })),
          })),
          claimed: claimed.toString(),
          refunded: refunded.toString(),
          poolLeft: pool.toString(),
          agreesOffchain: disagreements === 0,
        },
        markets,
        jury,
        deepFunding,
      };
      await writeFile(args.report, JSON.stringify(report, null, 2) + "\n");
      console.log(`wrote ${args.report}`);
    }
  });
}

function printRound(round: bigint, r: RoundResult) {
  console.log(
    `== Round ${round}: budget ${formatTokens(r.budget)}, T ${formatTokens(r.totalIdeal)}, ` +
      `alpha ${formatTokens(r.alpha, 18, 4)}, matched ${formatTokens(r.matched)} ==`,
  );
  printTable(
    ["gap", "contributors", "direct", "ideal", "match", "payout", "leverage"],
    r.gaps.map((g) => [
      g.gap,
      String(g.contributors),
      formatTokens(g.direct),
      formatTokens(g.idealMatch),
      formatTokens(g.match),
      formatTokens(g.payout),
      leverage(g.direct, g.payout),
    ]),
  );
  console.log();
}

async function fundedIds(conn: Connection, qf: QfContract, round: bigint) {
  return new Set((await contributedEvents(conn, qf, round)).map((e) => e.gapId));
}

function fundedGaps(all: ReadonlyMap<string, bigint>, funded: ReadonlySet<bigint>) {
  return new Map([...all].filter(([, gapId]) => funded.has(gapId)));
}

/** The round's contributions rebuilt from events only, labelled like the gaps were registered. */
async function eventsAsContributions(
  conn: Connection,
  qf: QfContract,
  round: bigint,
  gapIds: ReadonlyMap<string, bigint>,
): Promise<Contribution[]> {
  const labels = new Map([...gapIds].map(([label, gapId]) => [gapId, label]));
  return (await contributedEvents(conn, qf, round)).map((e) => ({
    contributor: e.contributor.toLowerCase(),
    gap: labels.get(e.gapId) ?? String(e.gapId),
    amount: e.amount,
  }));
}

/** Every contributor of a cancelled round takes their refund; returns the total refunded. */
async function refundAll(conn: Connection, qf: QfContract, round: bigint) {
  let total = 0n;
  const seen = new Set<string>();
  for (const e of await contributedEvents(conn, qf, round)) {
    const key = `${e.contributor}:${e.gapId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const [amount] = await qf.read.contributionOf([round, e.gapId, e.contributor]);
    await qf.write.refund([round, e.gapId], { account: e.contributor });
    total += amount;
  }
  return total;
}

async function contributeWithPermit(
  conn: Connection,
  token: TokenContract,
  qf: QfContract,
  wallet: Wallet,
  gapId: bigint,
  tokens: string,
) {
  const amount = parseEther(tokens);
  await token.write.mint([wallet.account.address, amount]);
  const deadline = BigInt((await conn.networkHelpers.time.latest()) + 3600);
  const { v, r, s } = await signPermit(wallet, token, qf.address, amount, deadline);
  await qf.write.contributeWithPermit([gapId, amount, deadline, v, r, s], {
    account: wallet.account,
  });
}
