/**
 * The jury section of the demo. Seven wallets are registered as jurors and stake tokens; three
 * evaluations run through commit and reveal:
 *   A. pairwise weights of six seed repositories, rated by a panel of five with the ratings of
 *      the Deep Funding trial (one panel member rates wildly); the Huber fit is done off-chain,
 *      its certificate checked on-chain, and the weights are reported to a vault condition;
 *   B. the originality of one seed, a direct score: the median of the panel, one of whom never
 *      reveals and loses the stake;
 *   C. a triangle check over three items where one juror's ratio is far off and gets rebuilt.
 */
import { keccak256, maxUint256, parseEther, stringToHex, type Address } from "viem";

import Markets from "../ignition/modules/Markets.js";
import { fitHuber, fitL2, madDelta, readJurorPairs, toWad } from "../src/huber.js";
import { shortName, DEFAULT_DATA_DIR, DATA_FILES } from "../src/graph.js";
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
import type { Connection, TokenContract } from "../src/qfChain.js";
import { formatTokens, printTable } from "../tasks/common.js";

export interface JuryReport {
  evaluations: number;
  comparisons: number;
  weights: { item: string; weight: string }[];
  originality: string;
  triangle: string[];
  slashed: string;
  paidToJurors: string;
  verifyGas: number;
}

const HOUR = 3_600;
const STAKE = parseEther("100");
const FEE = parseEther("60");

export async function jurySection(
  conn: Connection,
  token: TokenContract,
  wallets: readonly Address[],
): Promise<JuryReport> {
  console.log("\n== Jury: commit-reveal evaluations with an on-chain optimality check ==");
  const { vault } = await conn.ignition.deploy(Markets, { displayUi: false });
  const [admin] = await conn.viem.getWalletClients();
  const me = admin.account.address;
  const jury = await conn.viem.deployContract("Jury", [token.address, vault.address, me, me]);
  const publicClient = await conn.viem.getPublicClient();
  const jurors = wallets.slice(0, 7);
  for (const j of jurors) {
    await token.write.approve([jury.address, maxUint256], { account: j });
    await jury.write.addJuror([j]);
    await jury.write.stake([STAKE], { account: j });
  }
  await token.write.mint([me, parseEther("1000")]);
  await token.write.approve([jury.address, maxUint256]);
  console.log(`jury ${jury.address}: 7 jurors staking ${formatTokens(STAKE)} each`);

  const base = {
    triangle: false,
    commitDuration: HOUR,
    revealDuration: HOUR,
    deltaWad: 0n,
    toleranceWad: 0n,
    minStake: STAKE / 2n,
    fee: FEE,
    feeFromFund: 0n,
  };
  const create = async (
    params: typeof base & {
      kind: number;
      items: number;
      panelSize: number;
      questionId: `0x${string}`;
    },
  ) => {
    const id = await jury.read.evaluationCount();
    await jury.write.createEvaluation([params]);
    return id;
  };
  const ballotsFor = (id: bigint, entries: [Address, Rating[] | bigint][]): Ballot[] =>
    entries.map(([juror, v]) => ({
      jury: jury.address,
      evaluationId: id,
      juror,
      salt: newSalt(),
      ...(typeof v === "bigint" ? { scoreWad: v } : { pairs: v }),
    }));

  // ---------------------------------------------------------------- A: pairwise weights
  const trial = readJurorPairs(`${DEFAULT_DATA_DIR}/${DATA_FILES.jurorPairs}`);
  const counts = new Map<number, number>();
  for (const p of trial.pairs) for (const i of [p.a, p.b]) counts.set(i, (counts.get(i) ?? 0) + 1);
  const chosen = [...counts.entries()]
    .sort((x, y) => y[1] - x[1] || x[0] - y[0])
    .slice(0, 6)
    .map(([i]) => i);
  const local = new Map(chosen.map((item, k) => [item, k]));
  const rows = trial.pairs.filter((p) => local.has(p.a) && local.has(p.b));
  const names = chosen.map((i) => shortName(trial.items[i]));
  const questionA = keccak256(stringToHex("demo: weights of six seeds"));
  await vault.write.prepareCondition([jury.address, questionA, BigInt(chosen.length)]);
  const delta = madDelta(rows.map((r) => r.y));
  const idA = await create({
    ...base,
    kind: 0,
    items: chosen.length,
    panelSize: 5,
    deltaWad: toWad(delta),
    toleranceWad: 10n ** 9n,
    questionId: questionA,
  });
  const panelA = await advanceAndDraw(conn, jury, idA);
  const shares: Rating[][] = panelA.map(() => []);
  rows.forEach((r, k) => {
    shares[k % 4].push({
      a: local.get(r.a)!,
      b: local.get(r.b)!,
      choice: r.choice,
      multiplier: r.multiplierHundredths,
    });
  });
  // The fifth juror turns five neighbouring pairs round, by the largest multiplier (999).
  for (let a = 0; a + 1 < chosen.length; a++) {
    const agreed = rows.filter(
      (r) =>
        (local.get(r.a) === a && local.get(r.b) === a + 1) ||
        (local.get(r.a) === a + 1 && local.get(r.b) === a),
    );
    const towardB = agreed.reduce((s, r) => s + (local.get(r.a) === a ? r.y : -r.y), 0);
    shares[4].push({ a, b: a + 1, choice: towardB >= 0 ? 1 : 2, multiplier: 99_900 });
  }
  const ballotsA = ballotsFor(
    idA,
    panelA.map((j, i) => [j, shares[i]]),
  );
  for (const b of ballotsA) await commitBallot(jury, b);
  await advanceToReveal(conn, jury, idA);
  for (const b of ballotsA) await revealBallot(jury, b);
  await advanceToReveal(conn, jury, idA, true);
  const started = performance.now();
  const { packed, logits, pairs } = await huberCertificate(conn, jury, idA);
  const fitMs = performance.now() - started;
  const receipt = await publicClient.waitForTransactionReceipt({
    hash: await jury.write.submitHuber([idA, packed, logits]),
  });
  const weights = await jury.read.resultOf([idA]);
  const floatPairs = pairs.map((p) => ({ a: p.a, b: p.b, y: Number(p.y) / 1e18 }));
  const l2 = fitL2(floatPairs, chosen.length);
  const honest = fitHuber(
    rows.map((r) => ({ a: local.get(r.a)!, b: local.get(r.b)!, y: r.y })),
    chosen.length,
    delta,
  );
  console.log(
    `\nA. weights of six seeds: ${pairs.length} comparisons from 5 jurors (one turns 5 pairs round by 999x); ` +
      `delta ${delta.toFixed(3)} (mad rule); fit ${fitMs.toFixed(0)} ms off-chain, ` +
      `certificate checked on-chain for ${receipt.gasUsed.toLocaleString("en-US")} gas`,
  );
  printTable(
    ["seed", "huber (on-chain)", "least squares", "honest jurors only"],
    names.map((n, i) => [
      n,
      formatTokens(weights[i], 18, 4),
      l2.weights[i].toFixed(4),
      honest.weights[i].toFixed(4),
    ]),
  );
  const conditionA = await vault.read.getConditionId([
    jury.address,
    questionA,
    BigInt(chosen.length),
  ]);
  console.log(`vault condition resolved: ${await vault.read.isResolved([conditionA])}`);

  // ---------------------------------------------------------------- B: originality score
  const questionB = keccak256(stringToHex(`demo: originality of ${names[0]}`));
  await vault.write.prepareCondition([jury.address, questionB, 2n]);
  const idB = await create({ ...base, kind: 1, items: 0, panelSize: 4, questionId: questionB });
  const panelB = await advanceAndDraw(conn, jury, idB);
  const scores = [parseEther("0.35"), parseEther("0.42"), parseEther("0.95"), parseEther("0.40")];
  const ballotsB = ballotsFor(
    idB,
    panelB.map((j, i) => [j, scores[i]]),
  );
  for (const b of ballotsB) await commitBallot(jury, b);
  await advanceToReveal(conn, jury, idB);
  for (const b of ballotsB.slice(0, 3)) await revealBallot(jury, b);
  await advanceToReveal(conn, jury, idB, true);
  await jury.write.resolveScore([idB]);
  const [originality] = await jury.read.resultOf([idB]);
  console.log(
    `\nB. originality of ${names[0]}: scores 0.35, 0.42, 0.95 revealed (a fourth juror never ` +
      `revealed and lost ${formatTokens(STAKE / 2n)}); median ${formatTokens(originality, 18, 2)}`,
  );

  // ---------------------------------------------------------------- C: triangle check
  const idC = await create({
    ...base,
    kind: 0,
    items: 3,
    triangle: true,
    panelSize: 3,
    questionId: `0x${"0".repeat(64)}`,
  });
  const panelC = await advanceAndDraw(conn, jury, idC);
  const consistent: Rating[] = [
    { a: 0, b: 1, choice: 2, multiplier: 200 },
    { a: 0, b: 2, choice: 2, multiplier: 600 },
    { a: 1, b: 2, choice: 2, multiplier: 300 },
  ];
  const off: Rating[] = [
    consistent[0],
    { a: 0, b: 2, choice: 1, multiplier: 4_000 },
    consistent[2],
  ];
  const ballotsC = ballotsFor(idC, [
    [panelC[0], consistent],
    [panelC[1], consistent],
    [panelC[2], off],
  ]);
  for (const b of ballotsC) await commitBallot(jury, b);
  await advanceToReveal(conn, jury, idC);
  for (const b of ballotsC) await revealBallot(jury, b);
  await advanceToReveal(conn, jury, idC, true);
  await jury.write.resolveTriangle([idC]);
  const tri = await jury.read.resultOf([idC]);
  console.log(
    `\nC. triangle: two jurors say 1 : 2 : 6, one says C is 40x below A; that ratio is rebuilt ` +
      `from the juror's other two: weights ${tri.map((w) => formatTokens(w, 18, 4)).join(" : ")}`,
  );

  // ---------------------------------------------------------------- pay
  let paid = 0n;
  const payRows: string[][] = [];
  for (const j of jurors) {
    const owed = await jury.read.owed([j]);
    const [staked] = await jury.read.stakeOf([j]);
    if (owed > 0n) await jury.write.withdraw([j], { account: j });
    paid += owed;
    payRows.push([j.slice(0, 10), formatTokens(owed), formatTokens(staked)]);
  }
  console.log(`\njuror pay (fees of ${formatTokens(FEE)} per evaluation plus lost stakes):`);
  printTable(["juror", "paid", "stake left"], payRows);
  return {
    evaluations: 3,
    comparisons: pairs.length,
    weights: names.map((item, i) => ({ item, weight: weights[i].toString() })),
    originality: originality.toString(),
    triangle: tri.map((w) => w.toString()),
    slashed: (STAKE / 2n).toString(),
    paidToJurors: paid.toString(),
    verifyGas: Number(receipt.gasUsed),
  };
}
