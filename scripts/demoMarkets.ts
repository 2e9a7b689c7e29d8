/**
 * The markets section of the demo: the conditional token vault and the LMSR market maker.
 *
 * Three conditions mirror Deep Funding's families: A "which of four seeds are evaluated"
 * (4 slots, priced in collateral by nobody here: traders split it), B "originality of seed 0"
 * (UP/DOWN, a market priced in A's slot-0 position, i.e. conditional on seed 0 being evaluated),
 * and C "weights of seed 0's 128 children" (a 128-outcome market in collateral). Traders trade,
 * time passes, the resolver reports, everybody redeems, and the table shows that trades cost the
 * same gas for 2 outcomes and for 128.
 */
import { keccak256, maxUint256, parseEther, stringToHex, type Address } from "viem";

import Markets from "../ignition/modules/Markets.js";
import type { Connection, TokenContract } from "../src/qfChain.js";
import { formatTokens, printTable } from "../tasks/common.js";

export interface MarketsReport {
  marketsTraded: number;
  trades: number;
  gasPerTrade: Record<string, number>;
  redeemed: string;
}

export async function marketsSection(
  conn: Connection,
  token: TokenContract,
  traders: readonly Address[],
): Promise<MarketsReport> {
  const { vault, maker } = await conn.ignition.deploy(Markets, { displayUi: false });
  const publicClient = await conn.viem.getPublicClient();
  const [admin, resolver] = await conn.viem.getWalletClients();
  const gasOf = async (hash: Promise<`0x${string}`>) =>
    Number((await publicClient.waitForTransactionReceipt({ hash: await hash })).gasUsed);
  const everyone: Address[] = [admin.account.address, ...traders];
  for (const who of everyone) {
    await token.write.approve([vault.address, maxUint256], { account: who });
    await vault.write.setApprovalForAll([maker.address, true], { account: who });
  }
  await token.write.mint([admin.account.address, parseEther("10000")]);

  const prepare = async (label: string, n: bigint) => {
    const questionId = keccak256(stringToHex(label));
    await vault.write.prepareCondition([resolver.account.address, questionId, n]);
    return {
      questionId,
      id: await vault.read.getConditionId([resolver.account.address, questionId, n]),
    };
  };
  const A = await prepare("which seeds are evaluated", 4n);
  const B = await prepare("originality of seed 0", 2n);
  const C = await prepare("weights of seed 0's children", 128n);
  const A0 = await vault.read.getPositionId([token.address, 0n, A.id, 0n]);

  // The creator splits collateral on A to fund B's market in A0 units; C is in collateral.
  await vault.write.splitPosition([token.address, 0n, A.id, parseEther("300")]);
  const close = BigInt(await conn.networkHelpers.time.latest()) + 6n * 3600n;
  await maker.write.createMarket([token.address, A0, B.id, parseEther("100"), [], close]);
  const mB = await maker.read.marketCount();
  await maker.write.createMarket([token.address, 0n, C.id, parseEther("500"), [], close]);
  const mC = await maker.read.marketCount();

  console.log("== Markets: conditional token vault and LMSR market maker ==");
  const deadline = close;
  const gas: Record<string, number[]> = {};
  const record = (key: string, value: number) => (gas[key] ??= []).push(value);
  let trades = 0;
  for (const [i, who] of traders.slice(0, 8).entries()) {
    // Each trader takes a position conditional on seed 0 being evaluated.
    await vault.write.splitPosition([token.address, 0n, A.id, parseEther("60")], { account: who });
    const side = i % 3 === 2 ? 1n : 0n; // most think seed 0 is original (UP)
    record(
      "n=2 buy",
      await gasOf(
        maker.write.buy([mB, side, parseEther("25"), maxUint256, deadline], { account: who }),
      ),
    );
    const child = BigInt((i * 37) % 128);
    record(
      "n=128 buy",
      await gasOf(
        maker.write.buy([mC, child, parseEther("15"), maxUint256, deadline], { account: who }),
      ),
    );
    trades += 2;
    await conn.networkHelpers.time.increase(1200);
  }
  for (const [i, who] of traders.slice(0, 3).entries()) {
    const side = i % 3 === 2 ? 1n : 0n;
    record(
      "n=2 sell",
      await gasOf(maker.write.sell([mB, side, parseEther("10"), 0n, deadline], { account: who })),
    );
    const child = BigInt((i * 37) % 128);
    record(
      "n=128 sell",
      await gasOf(maker.write.sell([mC, child, parseEther("5"), 0n, deadline], { account: who })),
    );
    trades += 2;
  }
  await conn.networkHelpers.time.increaseTo(close);

  const spotB = await maker.read.prices([mB]);
  const avgB = await maker.read.averagePrices([mB]);
  const spotC = await maker.read.prices([mC]);
  const avgC = await maker.read.averagePrices([mC]);
  const top = [...spotC.keys()].sort((x, y) => (spotC[y] > spotC[x] ? 1 : -1)).slice(0, 4);
  printTable(
    ["market", "outcome", "spot", "time-weighted"],
    [
      ...["UP", "DOWN"].map((name, j) => [
        "B (n=2)",
        name,
        formatTokens(spotB[j], 18, 4),
        formatTokens(avgB[j], 18, 4),
      ]),
      ...top.map((j) => [
        "C (n=128)",
        `child ${j}`,
        formatTokens(spotC[j], 18, 4),
        formatTokens(avgC[j], 18, 4),
      ]),
    ],
  );
  const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
  const gasPerTrade = Object.fromEntries(Object.entries(gas).map(([k, v]) => [k, mean(v)]));
  console.log(
    `gas per trade (mean): ` +
      Object.entries(gasPerTrade)
        .map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`)
        .join(", ") +
      " (each C buy here opens a fresh outcome, a one-off slot write; `npm run bench` compares" +
      " like with like)",
  );

  // Resolution: seed 0 evaluated; originality 0.3; children paid by their rank in C's prices.
  await vault.write.reportPayouts([A.questionId, [1n, 0n, 0n, 0n]], { account: resolver.account });
  await vault.write.reportPayouts([B.questionId, [30n, 70n]], { account: resolver.account });
  const payoutsC = Array.from({ length: 128 }, (_, j) =>
    top.includes(j) ? BigInt(4 - top.indexOf(j)) : 0n,
  );
  await vault.write.reportPayouts([C.questionId, payoutsC], { account: resolver.account });

  const before = await Promise.all(traders.slice(0, 8).map((t) => token.read.balanceOf([t])));
  for (const who of traders.slice(0, 8)) {
    await vault.write.redeemPositions([token.address, A0, B.id, [0n, 1n]], { account: who });
    await vault.write.redeemPositions([token.address, 0n, A.id, [0n, 1n, 2n, 3n]], {
      account: who,
    });
    const held = await Promise.all(
      top.map(async (j) =>
        vault.read.balanceOf([
          who,
          await vault.read.getPositionId([token.address, 0n, C.id, BigInt(j)]),
        ]),
      ),
    );
    const slots = top.filter((_, k) => held[k] > 0n).map(BigInt);
    if (slots.length > 0)
      await vault.write.redeemPositions([token.address, 0n, C.id, slots], { account: who });
  }
  const after = await Promise.all(traders.slice(0, 8).map((t) => token.read.balanceOf([t])));
  const redeemed = after.reduce((s, a, i) => s + a - before[i], 0n);
  const backingC = await maker.read.liabilities([mC]);
  console.log(
    `resolved: A = seed 0 evaluated, B = originality 0.3, C = four children paid; ` +
      `traders redeemed ${formatTokens(redeemed)} collateral; market C's loss bound ` +
      `${formatTokens(backingC[0])} for a subsidy of ${formatTokens(backingC[1])}\n`,
  );
  return { marketsTraded: 2, trades, gasPerTrade, redeemed: redeemed.toString() };
}
