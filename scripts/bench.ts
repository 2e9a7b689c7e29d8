/**
 * Gas benchmark: `npm run bench -- [--out FILE.json]`.
 *
 * Runs on the in-process chain with the production build profile (optimizer on) and reports the
 * total gas of single transactions (21,000 base included) as a flat JSON object. Each figure is
 * measured in the state its name describes; see README "Benchmark" for the definitions.
 */
import { writeFile } from "node:fs/promises";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { keccak256, maxUint256, parseEther, stringToHex, zeroAddress, type Hash } from "viem";

import { DATA_FILES, DEFAULT_DATA_DIR } from "../src/graph.js";
import { fitHuber, madDelta, readJurorPairs } from "../src/huber.js";
import type { Connection as ChainConnection } from "../src/qfChain.js";
import {
  advanceAndDraw,
  advanceToReveal,
  commitBallot,
  huberCertificate,
  newSalt,
  revealBallot,
  type Ballot,
  type Rating,
} from "../src/juryChain.js";
import { benchDeepFunding } from "./benchDeepFunding.js";
import { prng } from "./prng.js";

interface BenchArgs {
  out: string;
}

export default async function bench(args: BenchArgs, hre: HardhatRuntimeEnvironment) {
  await hre.tasks.getTask("build").run({ quiet: true, noTests: true });
  const conn = await hre.network.create();
  const { viem, networkHelpers } = conn;
  const publicClient = await viem.getPublicClient();
  const [admin, alice, bob, carol, payee1, payee2] = await viem.getWalletClients();
  const results: Record<string, number> = {};
  const gasOf = async (hash: Promise<Hash>) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    if (receipt.status !== "success") throw new Error("benchmark transaction reverted");
    return Number(receipt.gasUsed);
  };

  const deploy = async () => {
    const token = await viem.deployContract("TestToken", ["Bench", "BEN", 18]);
    const qf = await viem.deployContract("QuadraticFunding", [
      token.address,
      admin.account.address,
      admin.account.address,
      admin.account.address,
      0n,
      6n * 3600n,
      30n * 86400n,
      parseEther("1000000"),
    ]);
    for (const w of [admin, alice, bob, carol]) {
      await token.write.mint([w.account.address, parseEther("1000000")]);
      await token.write.approve([qf.address, maxUint256], { account: w.account });
    }
    await qf.write.fundPool([parseEther("100000")]);
    return { token, qf };
  };

  // erc20.transferFrom: the token leg of a contribution, alone (both balances nonzero).
  {
    const { token } = await deploy();
    await token.write.approve([admin.account.address, maxUint256], { account: alice.account });
    results["erc20.transferFrom"] = await gasOf(
      token.write.transferFrom([alice.account.address, bob.account.address, parseEther("1")]),
    );
  }

  // Contributions and claim in one round with a few gaps.
  {
    const { token, qf } = await deploy();
    await qf.write.registerGap([payee1.account.address, "gap-1"]);
    await qf.write.registerGap([payee2.account.address, "gap-2"]);
    await qf.write.contribute([1n, parseEther("5")], { account: alice.account });
    results["qf.contribute.newGap"] = await gasOf(
      qf.write.contribute([2n, parseEther("5")], { account: alice.account }),
    );
    results["qf.contribute.first"] = await gasOf(
      qf.write.contribute([1n, parseEther("3")], { account: bob.account }),
    );
    results["qf.contribute.repeat"] = await gasOf(
      qf.write.contribute([1n, parseEther("2")], { account: bob.account }),
    );
    await qf.write.contribute([2n, parseEther("7")], { account: carol.account });
    await networkHelpers.time.increase(6 * 3600);
    results["qf.finalize.gaps=2"] = await gasOf(qf.write.finalize([0n]));
    // The beneficiary of gap 1 already holds the token (a realistic repeat payee).
    await token.write.mint([payee1.account.address, 1n]);
    results["qf.claim"] = await gasOf(qf.write.claim([0n, 1n], { account: carol.account }));
    results["qf.claim.freshBeneficiary"] = await gasOf(
      qf.write.claim([0n, 2n], { account: carol.account }),
    );
  }

  // A claim in a round whose budget is short of T (alpha < 1): the match needs T as well.
  {
    const { token, qf } = await deploy();
    await qf.write.setRoundBudget([parseEther("1")]);
    await qf.write.registerGap([payee1.account.address, "gap-1"]);
    await qf.write.contribute([1n, parseEther("5")], { account: alice.account });
    await qf.write.contribute([1n, parseEther("3")], { account: bob.account });
    await networkHelpers.time.increase(6 * 3600);
    await qf.write.finalize([0n]);
    await token.write.mint([payee1.account.address, 1n]);
    results["qf.claim.alphaBelowOne"] = await gasOf(
      qf.write.claim([0n, 1n], { account: carol.account }),
    );
  }

  // Finalize with 1 and with 1000 funded gaps.
  for (const gaps of [1, 1000]) {
    const { qf } = await deploy();
    const ids: bigint[] = [];
    for (let i = 0; i < gaps; i++) {
      await qf.write.registerGap([payee1.account.address, `gap-${i}`]);
      ids.push(BigInt(i + 1));
    }
    for (let i = 0; i < gaps; i += 200) {
      const chunk = ids.slice(i, i + 200);
      await qf.write.contributeBatch([chunk, chunk.map(() => parseEther("1"))], {
        account: alice.account,
      });
      await qf.write.contributeBatch([chunk, chunk.map(() => parseEther("2"))], {
        account: bob.account,
      });
    }
    await networkHelpers.time.increase(6 * 3600);
    results[`qf.finalize.gaps=${gaps}`] = await gasOf(qf.write.finalize([0n]));
  }

  await benchMarkets(viem, networkHelpers, results, gasOf);
  const notes = await benchJury(conn, results, gasOf);
  notes.push(...(await benchDeepFunding(conn, results, gasOf)));

  printTable(results);
  for (const note of notes) console.log(note);
  if (args.out !== "") {
    await writeFile(args.out, JSON.stringify(results, null, 2) + "\n");
    console.log(`wrote ${args.out}`);
  }
}

function printTable(results: Record<string, number>) {
  const width = Math.max(...Object.keys(results).map((k) => k.length));
  console.log(`${"entry".padEnd(width)}  ${"gas".padStart(9)}`);
  for (const [key, gas] of Object.entries(results)) {
    console.log(`${key.padEnd(width)}  ${gas.toLocaleString("en-US").padStart(9)}`);
  }
}

type Connection = Awaited<ReturnType<HardhatRuntimeEnvironment["network"]["create"]>>;

/**
 * The vault and the market maker. Every figure is for a holder who already has a balance of the
 * ids involved and, for trades, an outcome that has traded before (the steady state); the first
 * touch of a new balance costs about 17,000 gas more per id.
 */
async function benchMarkets(
  viem: Connection["viem"],
  networkHelpers: Connection["networkHelpers"],
  results: Record<string, number>,
  gasOf: (hash: Promise<Hash>) => Promise<number>,
) {
  const [admin, alice, bob, resolver] = await viem.getWalletClients();
  const token = await viem.deployContract("TestToken", ["Collateral", "COL", 18]);
  const vault = await viem.deployContract("ConditionalTokens", ["https://example.org/positions/"]);
  const maker = await viem.deployContract("LMSRMarketMaker", [vault.address]);
  await vault.write.grantRole([await vault.read.ISSUER_ROLE(), maker.address]);
  for (const w of [admin, alice, bob]) {
    await token.write.mint([w.account.address, parseEther("1000000")]);
    await token.write.approve([vault.address, maxUint256], { account: w.account });
    await vault.write.setApprovalForAll([maker.address, true], { account: w.account });
  }
  const deadline = BigInt(await networkHelpers.time.latest()) + 10n ** 9n;
  for (const n of [2n, 128n]) {
    const questionId = keccak256(stringToHex(`bench-${n}`));
    await vault.write.prepareCondition([resolver.account.address, questionId, n]);
    const conditionId = await vault.read.getConditionId([resolver.account.address, questionId, n]);
    const split = () =>
      vault.write.splitPosition([token.address, 0n, conditionId, parseEther("1")], {
        account: alice.account,
      });
    await split();
    results[`vault.split.n=${n}`] = await gasOf(split());
    if (n === 2n) {
      results["vault.merge.n=2"] = await gasOf(
        vault.write.mergePositions([token.address, 0n, conditionId, parseEther("1")], {
          account: alice.account,
        }),
      );
    }

    await maker.write.createMarket([
      token.address,
      0n,
      conditionId,
      parseEther("1000"),
      [],
      deadline,
    ]);
    const marketId = await maker.read.marketCount();
    const buy = () =>
      maker.write.buy([marketId, 1n, parseEther("2"), maxUint256, deadline], {
        account: bob.account,
      });
    await buy();
    await networkHelpers.time.increase(60);
    results[`lmsr.buy.n=${n}`] = await gasOf(buy());
    await networkHelpers.time.increase(60);
    results[`lmsr.sell.n=${n}`] = await gasOf(
      maker.write.sell([marketId, 1n, parseEther("1"), 0n, deadline], { account: bob.account }),
    );
    if (n === 2n) {
      await vault.write.reportPayouts([questionId, [1n, 3n]], { account: resolver.account });
      results["vault.redeem"] = await gasOf(
        vault.write.redeemPositions([token.address, 0n, conditionId, [0n, 1n]], {
          account: alice.account,
        }),
      );
    }
  }
}

/**
 * The jury. `jury.commit` and `jury.reveal.pairs=10` are one panel member's transactions;
 * `jury.verify.pairs=N` is `submitHuber` over N comparisons by a panel of three on 20 items
 * (hash chain, optimality check, softmax, the jurors' pay; no vault report). Also times the
 * TypeScript fit of the 593 trial comparisons (printed only).
 */
async function benchJury(
  conn: ChainConnection,
  results: Record<string, number>,
  gasOf: (hash: Promise<Hash>) => Promise<number>,
): Promise<string[]> {
  const { viem } = conn;
  const [admin, alice, bob, carol] = await viem.getWalletClients();
  const me = admin.account.address;
  const token = await viem.deployContract("TestToken", ["Bench", "BEN", 18]);
  const jury = await viem.deployContract("Jury", [token.address, zeroAddress, me, me]);
  const panel = [alice, bob, carol].map((w) => w.account.address);
  for (const j of panel) await jury.write.addJuror([j]);
  const rng = prng(7);
  const ratings = (count: number, items: number): Rating[] =>
    Array.from({ length: count }, () => {
      const a = Math.floor(rng() * items);
      const b = (a + 1 + Math.floor(rng() * (items - 1))) % items;
      return { a, b, choice: rng() < 0.5 ? 1 : 2, multiplier: 100 + Math.floor(rng() * 900) };
    });
  const evaluation = async (items: number, split: number[]) => {
    const id = await jury.read.evaluationCount();
    await jury.write.createEvaluation([
      {
        kind: 0,
        items,
        triangle: false,
        panelSize: 3,
        commitDuration: 3600,
        revealDuration: 3600,
        deltaWad: 10n ** 18n,
        toleranceWad: 10n ** 9n,
        minStake: 0n,
        fee: 0n,
        feeFromFund: 0n,
        questionId: `0x${"0".repeat(64)}`,
      },
    ]);
    const drawn = await advanceAndDraw(conn, jury, id);
    const ballots: Ballot[] = drawn.map((juror, i) => ({
      jury: jury.address,
      evaluationId: id,
      juror,
      salt: newSalt(),
      pairs: ratings(split[i], items),
    }));
    return { id, ballots };
  };

  {
    const { id, ballots } = await evaluation(20, [10, 10, 10]);
    results["jury.commit"] = await gasOf(commitBallot(jury, ballots[0]));
    for (const b of ballots.slice(1)) await commitBallot(jury, b);
    await advanceToReveal(conn, jury, id);
    await revealBallot(jury, ballots[0]);
    results["jury.reveal.pairs=10"] = await gasOf(revealBallot(jury, ballots[1]));
  }
  for (const total of [100, 600]) {
    const third = Math.floor(total / 3);
    const { id, ballots } = await evaluation(20, [total - 2 * third, third, third]);
    for (const b of ballots) await commitBallot(jury, b);
    await advanceToReveal(conn, jury, id);
    for (const b of ballots) await revealBallot(jury, b);
    await advanceToReveal(conn, jury, id, true);
    const { packed, logits } = await huberCertificate(conn, jury, id);
    results[`jury.verify.pairs=${total}`] = await gasOf(
      jury.write.submitHuber([id, packed, logits]),
    );
  }

  const trial = readJurorPairs(`${DEFAULT_DATA_DIR}/${DATA_FILES.jurorPairs}`);
  const delta = madDelta(trial.pairs.map((p) => p.y));
  fitHuber(trial.pairs, trial.items.length, delta); // warm-up
  const runs = 20;
  const started = performance.now();
  for (let i = 0; i < runs; i++) fitHuber(trial.pairs, trial.items.length, delta);
  const fitMs = (performance.now() - started) / runs;
  const perComparison = (results["jury.verify.pairs=600"] - results["jury.verify.pairs=100"]) / 500;
  return [
    `jury.verify: ${Math.round(perComparison).toLocaleString("en-US")} gas per comparison ` +
      `(from 100 to 600 comparisons)`,
    `huber fit of the ${trial.pairs.length} trial comparisons (TypeScript, mean of ${runs} ` +
      `runs): ${fitMs.toFixed(1)} ms`,
  ];
}
