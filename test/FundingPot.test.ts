/**
 * On-chain tests of FundingPot (contracts/deepfunding/FundingPot.sol) against the spec in
 * contracts/interfaces/IFundingPot.sol and the exact off-chain distribution of `distribute` in
 * src/graph.ts.
 *
 * Layout: deployment, funding and absorbing (with a fee-on-transfer token and a real quadratic
 * funding payout), beginSettlement, settleChildren (every bad input), claims, dust, the design's
 * appendix example, differential tests on random graphs, reentrancy, gas.
 */
import assert from "node:assert/strict";

import type { ContractReturnType } from "@nomicfoundation/hardhat-viem/types";
import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "mocha";
import {
  type Address,
  type Hash,
  type Hex,
  encodeFunctionData,
  getAddress,
  maxUint256,
  zeroAddress,
} from "viem";

import {
  MAX_FUNDED_CHILDREN,
  WAD,
  type SeedInput,
  type WeightedChild,
  distribute,
  nodeId,
  rankChildren,
} from "../src/graph.js";
import { balanceDeltas, expectTokenChanges } from "./helpers/balances.js";
import { syntheticAddress } from "./helpers/qfFixture.js";
import { Rng } from "./helpers/rng.js";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const publicClient = await viem.getPublicClient();

type Pot = ContractReturnType<"FundingPot">;

const ONE = 10n ** 18n;
const MINT = 10n ** 30n;
const Status = { Open: 0, Settling: 1, Settled: 2 } as const;
const MAX_SEEDS = 128;
const MAX_CHILDREN = 1024;

/** Names registered in `graphFixture`: a shared pool (children, and seeds that are children). */
const POOL_SIZE = 300;
const poolName = (i: number): string => `node-${i}`;
const seedName = (i: number): string => `seed-${i}`;
const SEED_NAMES = 12;

const tokens = (n: number | bigint): bigint => BigInt(n) * ONE;
const wad = (x: number): bigint => BigInt(Math.round(x * 1e6)) * 10n ** 12n;

// ------------------------------------------------------------------------------------------------
// Helpers and fixtures
// ------------------------------------------------------------------------------------------------

/** Waits for a transaction and checks it succeeded. */
async function mined(hash: Hash | Promise<Hash>) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  expect(receipt.status).to.equal("success");
  return receipt;
}

/** The payout address the fixtures register for a node name. */
const payoutOf = (name: string): Address =>
  syntheticAddress("fd", Number.parseInt(nodeId(name).slice(2, 10), 16));

/** Token, mock registry and pot; admin, settler, two funders and an outsider. */
async function potFixture() {
  const [admin, settler, alice, bob, outsider] = await viem.getWalletClients();
  const token = await viem.deployContract("TestToken", ["Pot Token", "POT", 18]);
  const registry = await viem.deployContract("MockNodeRegistry");
  const pot = await viem.deployContract("FundingPot", [
    token.address,
    registry.address,
    admin.account.address,
    settler.account.address,
  ]);
  for (const w of [admin, alice, bob, outsider]) {
    await token.write.mint([w.account.address, MINT]);
    await token.write.approve([pot.address, maxUint256], { account: w.account });
  }
  for (const name of ["A", "B", "C", "X", "Y", "Z"]) {
    await registry.write.setPayout([nodeId(name), payoutOf(name)]);
  }
  return { token, registry, pot, admin, settler, alice, bob, outsider };
}

type Fixture = Awaited<ReturnType<typeof potFixture>>;

/** `potFixture` plus payout addresses for the random graphs' names. */
async function graphFixture() {
  const f = await potFixture();
  const names = [
    ...Array.from({ length: POOL_SIZE }, (_, i) => poolName(i)),
    ...Array.from({ length: SEED_NAMES }, (_, i) => seedName(i)),
  ];
  for (const name of names) {
    await f.registry.write.setPayout([nodeId(name), payoutOf(name)]);
  }
  return f;
}

const byId = (a: SeedInput, b: SeedInput): number => {
  const x = BigInt(nodeId(a.node));
  const y = BigInt(nodeId(b.node));
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Seeds sorted by node id, as `beginSettlement` wants them. */
const sortSeeds = (seeds: readonly SeedInput[]): SeedInput[] => [...seeds].sort(byId);

/** Sends `beginSettlement` for seeds sorted by id (the transaction hash). */
function beginTx(f: Fixture, round: bigint, sorted: readonly SeedInput[]): Promise<Hash> {
  return f.pot.write.beginSettlement(
    [
      round,
      sorted.map((s) => nodeId(s.node)),
      sorted.map((s) => s.weight),
      sorted.map((s) => s.originality),
    ],
    { account: f.settler.account },
  );
}

const begin = (f: Fixture, round: bigint, sorted: readonly SeedInput[]) =>
  mined(beginTx(f, round, sorted));

/** The arguments of `settleChildren` for a seed's children, ranked by `rankChildren`. */
function childArgs(
  round: bigint,
  index: number,
  children: readonly WeightedChild<bigint>[],
): [bigint, bigint, Hex[], bigint[], bigint[]] {
  const weights = children.map((c) => c.weight);
  return [
    round,
    BigInt(index),
    children.map((c) => nodeId(c.child)),
    weights,
    rankChildren(weights).map(BigInt),
  ];
}

/** Sends `settleChildren` for one seed (the transaction hash). */
function settleTx(
  f: Fixture,
  round: bigint,
  index: number,
  children: readonly WeightedChild<bigint>[],
): Promise<Hash> {
  return f.pot.write.settleChildren(childArgs(round, index, children), {
    account: f.settler.account,
  });
}

const settleSeed = (
  f: Fixture,
  round: bigint,
  index: number,
  children: readonly WeightedChild<bigint>[],
) => mined(settleTx(f, round, index, children));

/** Funds `pot` into `round`, begins and settles every seed (in a shuffled order with `rng`). */
async function settleRound(
  f: Fixture,
  round: bigint,
  pot: bigint,
  seeds: readonly SeedInput[],
  rng?: Rng,
): Promise<SeedInput[]> {
  if (pot > 0n) await f.pot.write.fund([round, pot], { account: f.alice.account });
  const sorted = sortSeeds(seeds);
  await begin(f, round, sorted);
  const indices = sorted.map((_, i) => i);
  if (rng !== undefined) {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
  }
  for (const i of indices) await settleSeed(f, round, i, sorted[i].children);
  return sorted;
}

/**
 * The accounting identity: balance == totalAccounted == unsettled pots less their credits +
 * totalOwed + unrolled dust; and each round's credits never exceed its pot.
 */
async function checkAccounting(f: Fixture, rounds: readonly bigint[]) {
  let expected = await f.pot.read.totalOwed();
  for (const round of rounds) {
    const info = await f.pot.read.roundInfo([round]);
    expect(info.distributed <= info.pot, "distributed <= pot").to.equal(true);
    if (info.status === Status.Settled) {
      expect(info.distributed + info.dust).to.equal(info.pot);
      expected += await f.pot.read.dustOf([round]);
    } else {
      expected += info.pot - info.distributed;
    }
  }
  expect(await f.pot.read.totalAccounted()).to.equal(expected);
  expect(await f.token.read.balanceOf([f.pot.address])).to.equal(expected);
}

/** Two seeds with children, used by several tests: A (0.75, OS 0.4), B (0.25, OS 0.5). */
const SMALL: SeedInput[] = [
  {
    node: "A",
    weight: wad(0.75),
    originality: wad(0.4),
    children: [
      { child: "X", weight: wad(0.5) },
      { child: "Y", weight: wad(0.3) },
      { child: "B", weight: wad(0.2) },
    ],
  },
  {
    node: "B",
    weight: wad(0.25),
    originality: wad(0.5),
    children: [{ child: "X", weight: wad(1) }],
  },
];

// ------------------------------------------------------------------------------------------------
// Deployment
// ------------------------------------------------------------------------------------------------

describe("FundingPot: deployment", () => {
  it("constructor: sets the token, the registry and the roles", async () => {
    const { pot, token, registry, admin, settler, outsider } = await loadFixture(potFixture);
    expect(await pot.read.TOKEN()).to.equal(getAddress(token.address));
    expect(await pot.read.REGISTRY()).to.equal(getAddress(registry.address));
    const role = await pot.read.SETTLER_ROLE();
    expect(await pot.read.hasRole([await pot.read.DEFAULT_ADMIN_ROLE(), admin.account.address])).to
      .be.true;
    expect(await pot.read.hasRole([role, settler.account.address])).to.be.true;
    expect(await pot.read.hasRole([role, outsider.account.address])).to.be.false;
    expect(await pot.read.MAX_FUNDED_CHILDREN()).to.equal(BigInt(MAX_FUNDED_CHILDREN));
    expect(await pot.read.MAX_SEEDS()).to.equal(BigInt(MAX_SEEDS));
    expect(await pot.read.MAX_CHILDREN()).to.equal(BigInt(MAX_CHILDREN));
  });

  it("constructor: rejects a zero admin and a token or registry without code", async () => {
    const { token, registry, admin } = await loadFixture(potFixture);
    const me = admin.account.address;
    await assert.rejects(
      viem.deployContract("FundingPot", [token.address, registry.address, zeroAddress, me]),
      /ZeroAddress/,
    );
    await assert.rejects(
      viem.deployContract("FundingPot", [me, registry.address, me, me]),
      /NoCode/,
    );
    await assert.rejects(viem.deployContract("FundingPot", [token.address, me, me, me]), /NoCode/);
    // A zero settler is allowed: nobody holds the role yet.
    const pot = await viem.deployContract("FundingPot", [
      token.address,
      registry.address,
      me,
      zeroAddress,
    ]);
    expect(await pot.read.hasRole([await pot.read.SETTLER_ROLE(), zeroAddress])).to.be.false;
  });
});

// ------------------------------------------------------------------------------------------------
// Funding and absorbing
// ------------------------------------------------------------------------------------------------

describe("FundingPot: fund and absorb", () => {
  it("fund: pulls the tokens into the round's pot and emits", async () => {
    const f = await loadFixture(potFixture);
    await expectTokenChanges(
      f.token,
      () =>
        viem.assertions.emitWithArgs(
          f.pot.write.fund([7n, tokens(100)], { account: f.alice.account }),
          f.pot,
          "Funded",
          [7n, getAddress(f.alice.account.address), tokens(100)],
        ),
      [
        { address: f.alice.account.address, amount: -tokens(100) },
        { address: f.pot.address, amount: tokens(100) },
      ],
    );
    await f.pot.write.fund([7n, 5n], { account: f.bob.account });
    await f.pot.write.fund([8n, 1n], { account: f.bob.account });
    expect(await f.pot.read.potOf([7n])).to.equal(tokens(100) + 5n);
    expect(await f.pot.read.potOf([8n])).to.equal(1n);
    const info = await f.pot.read.roundInfo([7n]);
    expect(info.status).to.equal(Status.Open);
    expect(info.distributed).to.equal(0n);
    await checkAccounting(f, [7n, 8n]);
  });

  it("fund: rejects zero, a pot beyond 128 bits, and a round whose settlement began", async () => {
    const f = await loadFixture(potFixture);
    await viem.assertions.revertWithCustomError(
      f.pot.write.fund([1n, 0n], { account: f.alice.account }),
      f.pot,
      "ZeroAmount",
    );
    await f.token.write.mint([f.alice.account.address, 1n << 129n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.fund([1n, 1n << 128n], { account: f.alice.account }),
      f.pot,
      "SafeCastOverflowedUintDowncast",
      [128, 1n << 128n],
    );
    await settleRound(f, 1n, tokens(10), SMALL.slice(1));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.fund([1n, 1n], { account: f.alice.account }),
      f.pot,
      "WrongRoundStatus",
      [1n, Status.Settled],
    );
    await f.pot.write.fund([2n, tokens(10)], { account: f.alice.account });
    await begin(f, 2n, sortSeeds(SMALL));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.fund([2n, 1n], { account: f.alice.account }),
      f.pot,
      "WrongRoundStatus",
      [2n, Status.Settling],
    );
  });

  it("fund: rejects a fee-on-transfer token (DeliveredLess)", async () => {
    const { registry, admin } = await loadFixture(potFixture);
    const fot = await viem.deployContract("FeeOnTransferToken", [100n]); // 1%
    const me = admin.account.address;
    const pot = await viem.deployContract("FundingPot", [fot.address, registry.address, me, me]);
    await fot.write.mint([me, tokens(1000)]);
    await fot.write.approve([pot.address, maxUint256]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      pot.write.fund([1n, tokens(100)]),
      pot,
      "DeliveredLess",
      [tokens(100), tokens(99)],
    );
    // Without the fee the same token is fine.
    await fot.write.setFee([0n]);
    await pot.write.fund([1n, tokens(100)]);
    expect(await pot.read.potOf([1n])).to.equal(tokens(100));
  });

  it("absorb: credits tokens sent without a call to the round's pot, once", async () => {
    const f = await loadFixture(potFixture);
    await f.pot.write.fund([3n, tokens(10)], { account: f.alice.account });
    // A plain transfer, as a quadratic funding claim to a beneficiary makes it.
    await f.token.write.transfer([f.pot.address, tokens(42)], { account: f.bob.account });
    expect(await f.pot.read.potOf([3n])).to.equal(tokens(10));
    expect(await f.pot.read.totalAccounted()).to.equal(tokens(10));
    const { result } = await f.pot.simulate.absorb([3n], { account: f.outsider.account.address });
    expect(result).to.equal(tokens(42));
    await viem.assertions.emitWithArgs(
      f.pot.write.absorb([3n], { account: f.outsider.account }),
      f.pot,
      "Absorbed",
      [3n, getAddress(f.outsider.account.address), tokens(42)],
    );
    expect(await f.pot.read.potOf([3n])).to.equal(tokens(52));
    await checkAccounting(f, [3n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.absorb([3n]),
      f.pot,
      "NothingToAbsorb",
      [tokens(52), tokens(52)],
    );
  });

  it("absorb: never takes credited, owed or dust tokens; only what came in since", async () => {
    const f = await loadFixture(potFixture);
    // Round 1 settles with dust (a pot of 1001 wei over weights 1:1:1), part is claimed.
    const seeds: SeedInput[] = ["A", "B", "C"].map((node) => ({
      node,
      weight: 1n,
      originality: wad(0.3),
      children: [],
    }));
    await settleRound(f, 1n, 1001n, seeds);
    expect(await f.pot.read.dustOf([1n])).to.equal(2n);
    await f.pot.write.claim([nodeId("A")]);
    await f.pot.write.fund([2n, 500n], { account: f.alice.account });
    await viem.assertions.revertWithCustomError(f.pot.write.absorb([2n]), f.pot, "NothingToAbsorb");
    await f.token.write.transfer([f.pot.address, 77n], { account: f.bob.account });
    await f.pot.write.absorb([2n]);
    expect(await f.pot.read.potOf([2n])).to.equal(577n);
    await checkAccounting(f, [1n, 2n]);
  });

  it("absorb: rejects a round whose settlement began", async () => {
    const f = await loadFixture(potFixture);
    await f.pot.write.fund([1n, tokens(1)], { account: f.alice.account });
    await begin(f, 1n, sortSeeds(SMALL));
    await f.token.write.transfer([f.pot.address, 5n], { account: f.bob.account });
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.absorb([1n]),
      f.pot,
      "WrongRoundStatus",
      [1n, Status.Settling],
    );
    // The same tokens go to an open round instead.
    await f.pot.write.absorb([2n]);
    expect(await f.pot.read.potOf([2n])).to.equal(5n);
  });

  it("absorb: a quadratic funding gap whose beneficiary is the pot forwards its payout", async () => {
    const f = await loadFixture(potFixture);
    const me = f.admin.account.address;
    const period = 3_600n;
    const qf = await viem.deployContract("QuadraticFunding", [
      f.token.address,
      me,
      me,
      me,
      0n,
      period,
      86_400n,
      tokens(1_000),
    ]);
    await f.token.write.approve([qf.address, maxUint256]);
    await qf.write.fundPool([tokens(5_000)]);
    const gapId = await qf.simulate.registerGap([f.pot.address, "deep funding"]);
    await qf.write.registerGap([f.pot.address, "deep funding"]);
    for (const w of [f.alice, f.bob]) {
      await f.token.write.approve([qf.address, maxUint256], { account: w.account });
      await qf.write.contribute([gapId.result, tokens(4)], { account: w.account });
    }
    const qfRound = await qf.read.currentRound();
    await time.increase(period);
    await qf.write.finalize([qfRound]);
    // (2 + 2)^2 = 16 tokens: 8 direct plus a match of 8.
    await expectTokenChanges(f.token, () => qf.write.claim([qfRound, gapId.result]), [
      { address: f.pot.address, amount: tokens(16) },
    ]);
    await f.pot.write.absorb([9n], { account: f.outsider.account });
    expect(await f.pot.read.potOf([9n])).to.equal(tokens(16));
    await checkAccounting(f, [9n]);
  });
});

// ------------------------------------------------------------------------------------------------
// beginSettlement
// ------------------------------------------------------------------------------------------------

describe("FundingPot: beginSettlement", () => {
  it("beginSettlement: freezes the pot, records shares and credits what each seed keeps", async () => {
    const f = await loadFixture(potFixture);
    const pot = tokens(1_000);
    await f.pot.write.fund([1n, pot], { account: f.alice.account });
    const sorted = sortSeeds(SMALL);
    await viem.assertions.emitWithArgs(beginTx(f, 1n, sorted), f.pot, "SettlementBegun", [
      1n,
      pot,
      2n,
      WAD,
    ]);
    const info = await f.pot.read.roundInfo([1n]);
    expect(info.status).to.equal(Status.Settling);
    expect(info.seedCount).to.equal(2n);
    expect(info.seedsLeft).to.equal(2n);
    const reference = distribute(pot, sorted);
    let kept = 0n;
    for (const [i, s] of sorted.entries()) {
      const seed = await f.pot.read.seedOf([1n, BigInt(i)]);
      const ref = reference.seeds[i];
      expect(seed).to.deep.equal({
        node: nodeId(s.node),
        share: ref.share,
        kept: ref.kept,
        passed: ref.passed,
        childrenSettled: false,
      });
      kept += ref.kept;
    }
    // A keeps 0.75 * 0.4 = 300, B keeps 0.25 * 0.5 = 125.
    expect(await f.pot.read.owed([nodeId("A")])).to.equal(tokens(300));
    expect(await f.pot.read.owed([nodeId("B")])).to.equal(tokens(125));
    expect(info.distributed).to.equal(kept);
    expect(await f.pot.read.totalOwed()).to.equal(kept);
    await checkAccounting(f, [1n]);
  });

  it("beginSettlement: emits SeedShared and Credited per seed", async () => {
    const f = await loadFixture(potFixture);
    await f.pot.write.fund([1n, 1000n], { account: f.alice.account });
    const sorted = sortSeeds(SMALL);
    const b = sorted.findIndex((s) => s.node === "B");
    await viem.assertions.emitWithArgs(beginTx(f, 1n, sorted), f.pot, "SeedShared", [
      1n,
      BigInt(b),
      nodeId("B"),
      250n,
      125n,
      125n,
    ]);
    const f2 = await loadFixture(potFixture);
    await f2.pot.write.fund([1n, 1000n], { account: f2.alice.account });
    await viem.assertions.emitWithArgs(beginTx(f2, 1n, sorted), f2.pot, "Credited", [
      1n,
      nodeId("A"),
      300n,
    ]);
  });

  it("beginSettlement: a zero pot settles to zero credits and zero dust", async () => {
    const f = await loadFixture(potFixture);
    await settleRound(f, 4n, 0n, SMALL);
    const info = await f.pot.read.roundInfo([4n]);
    expect(info.status).to.equal(Status.Settled);
    expect([info.pot, info.distributed, info.dust]).to.deep.equal([0n, 0n, 0n]);
    expect(await f.pot.read.totalOwed()).to.equal(0n);
  });

  it("beginSettlement: SETTLER_ROLE only", async () => {
    const f = await loadFixture(potFixture);
    await viem.assertions.revertWithCustomError(
      f.pot.write.beginSettlement([1n, [nodeId("A")], [1n], [0n]], {
        account: f.outsider.account,
      }),
      f.pot,
      "AccessControlUnauthorizedAccount",
    );
  });

  it("beginSettlement: rejects lengths that differ", async () => {
    const f = await loadFixture(potFixture);
    const as = { account: f.settler.account };
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.beginSettlement([1n, [nodeId("A")], [1n, 2n], [0n]], as),
      f.pot,
      "LengthMismatch",
      [1n, 2n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.beginSettlement([1n, [nodeId("A")], [1n], []], as),
      f.pot,
      "LengthMismatch",
      [1n, 0n],
    );
  });

  it("beginSettlement: seeds must be strictly increasing (no duplicates, no zero id)", async () => {
    const f = await loadFixture(potFixture);
    const as = { account: f.settler.account };
    const [lo, hi] = [nodeId("A"), nodeId("B")].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.beginSettlement([1n, [hi, lo], [1n, 1n], [0n, 0n]], as),
      f.pot,
      "SeedsNotIncreasing",
      [1n, lo],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.beginSettlement([1n, [lo, lo], [1n, 1n], [0n, 0n]], as),
      f.pot,
      "SeedsNotIncreasing",
      [1n, lo],
    );
    const zero = `0x${"00".repeat(32)}` as const;
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.beginSettlement([1n, [zero], [1n], [0n]], as),
      f.pot,
      "SeedsNotIncreasing",
      [0n, zero],
    );
  });

  it("beginSettlement: rejects originality above 1e18, a zero weight sum, too many seeds", async () => {
    const f = await loadFixture(potFixture);
    const as = { account: f.settler.account };
    const ids = sortSeeds(SMALL).map((s) => nodeId(s.node));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.beginSettlement([1n, ids, [1n, 1n], [WAD, WAD + 1n]], as),
      f.pot,
      "OriginalityTooHigh",
      [1n, WAD + 1n],
    );
    await viem.assertions.revertWithCustomError(
      f.pot.write.beginSettlement([1n, ids, [0n, 0n], [0n, 0n]], as),
      f.pot,
      "ZeroTotalWeight",
    );
    await viem.assertions.revertWithCustomError(
      f.pot.write.beginSettlement([1n, [], [], []], as),
      f.pot,
      "ZeroTotalWeight",
    );
    const many = Array.from(
      { length: MAX_SEEDS + 1 },
      (_, i) => `0x${(i + 1).toString(16).padStart(64, "0")}` as Hex,
    );
    const ones = many.map(() => 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.beginSettlement([1n, many, ones, ones], as),
      f.pot,
      "TooManySeeds",
      [BigInt(MAX_SEEDS + 1), BigInt(MAX_SEEDS)],
    );
    // Exactly MAX_SEEDS is fine.
    await f.pot.write.beginSettlement(
      [1n, many.slice(0, MAX_SEEDS), ones.slice(0, MAX_SEEDS), ones.slice(0, MAX_SEEDS)],
      as,
    );
    expect((await f.pot.read.roundInfo([1n])).seedCount).to.equal(BigInt(MAX_SEEDS));
  });

  it("beginSettlement: once per round", async () => {
    const f = await loadFixture(potFixture);
    await f.pot.write.fund([1n, 100n], { account: f.alice.account });
    const sorted = sortSeeds(SMALL);
    await begin(f, 1n, sorted);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.beginSettlement([1n, sorted.map((s) => nodeId(s.node)), [1n, 1n], [0n, 0n]], {
        account: f.settler.account,
      }),
      f.pot,
      "WrongRoundStatus",
      [1n, Status.Settling],
    );
  });
});

// ------------------------------------------------------------------------------------------------
// settleChildren
// ------------------------------------------------------------------------------------------------

describe("FundingPot: settleChildren", () => {
  /** Round 1 with a pot of 1,000 tokens, settlement begun with SMALL. */
  async function begunFixture() {
    const f = await potFixture();
    await f.pot.write.fund([1n, tokens(1_000)], { account: f.alice.account });
    const sorted = sortSeeds(SMALL);
    await begin(f, 1n, sorted);
    return { ...f, sorted, indexOf: (name: string) => sorted.findIndex((s) => s.node === name) };
  }

  it("settleChildren: credits each funded child floor(passed * w / SK); the last one settles", async () => {
    const f = await loadFixture(begunFixture);
    const a = f.indexOf("A");
    const b = f.indexOf("B");
    // A: share 750, keeps 300, passes 450: X 225, Y 135, B 90.
    await viem.assertions.emitWithArgs(
      settleTx(f, 1n, a, f.sorted[a].children),
      f.pot,
      "ChildrenSettled",
      [1n, BigInt(a), nodeId("A"), 3n, WAD, tokens(450)],
    );
    expect(await f.pot.read.owed([nodeId("X")])).to.equal(tokens(225));
    expect(await f.pot.read.owed([nodeId("Y")])).to.equal(tokens(135));
    expect(await f.pot.read.owed([nodeId("B")])).to.equal(tokens(125 + 90));
    expect((await f.pot.read.seedOf([1n, BigInt(a)])).childrenSettled).to.be.true;
    let info = await f.pot.read.roundInfo([1n]);
    expect(info.status).to.equal(Status.Settling);
    expect(info.seedsLeft).to.equal(1n);
    await checkAccounting(f, [1n]);
    // B: share 250, keeps 125, passes 125 to X.
    await viem.assertions.emitWithArgs(
      settleTx(f, 1n, b, f.sorted[b].children),
      f.pot,
      "RoundSettled",
      [1n, tokens(1_000), 0n],
    );
    expect(await f.pot.read.owed([nodeId("X")])).to.equal(tokens(350));
    info = await f.pot.read.roundInfo([1n]);
    expect(info.status).to.equal(Status.Settled);
    expect(info.seedsLeft).to.equal(0n);
    expect(info.distributed).to.equal(tokens(1_000));
    expect(await f.pot.read.totalOwed()).to.equal(tokens(1_000));
    await checkAccounting(f, [1n]);
  });

  it("settleChildren: emits Credited for every positive child credit", async () => {
    const f = await loadFixture(begunFixture);
    const a = f.indexOf("A");
    await viem.assertions.emitWithArgs(
      settleTx(f, 1n, a, f.sorted[a].children),
      f.pot,
      "Credited",
      [1n, nodeId("Y"), tokens(135)],
    );
  });

  it("settleChildren: SETTLER_ROLE only", async () => {
    const f = await loadFixture(begunFixture);
    await viem.assertions.revertWithCustomError(
      f.pot.write.settleChildren([1n, 0n, [], [], []], { account: f.outsider.account }),
      f.pot,
      "AccessControlUnauthorizedAccount",
    );
  });

  it("settleChildren: rejects a round that is not settling", async () => {
    const f = await loadFixture(begunFixture);
    const as = { account: f.settler.account };
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([2n, 0n, [], [], []], as),
      f.pot,
      "WrongRoundStatus",
      [2n, Status.Open],
    );
    await settleSeed(f, 1n, 0, []);
    await settleSeed(f, 1n, 1, []);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 0n, [], [], []], as),
      f.pot,
      "WrongRoundStatus",
      [1n, Status.Settled],
    );
  });

  it("settleChildren: rejects a seed out of range and a seed settled twice", async () => {
    const f = await loadFixture(begunFixture);
    const as = { account: f.settler.account };
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 2n, [], [], []], as),
      f.pot,
      "SeedOutOfRange",
      [1n, 2n, 2n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.read.seedOf([1n, 2n]),
      f.pot,
      "SeedOutOfRange",
      [1n, 2n, 2n],
    );
    const a = f.indexOf("A");
    await settleSeed(f, 1n, a, f.sorted[a].children);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren(childArgs(1n, a, f.sorted[a].children), as),
      f.pot,
      "SeedAlreadySettled",
      [1n, BigInt(a)],
    );
  });

  it("settleChildren: rejects lengths that differ and too many children", async () => {
    const f = await loadFixture(begunFixture);
    const as = { account: f.settler.account };
    const [x, y] = [nodeId("X"), nodeId("Y")];
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 0n, [x, y], [1n], [0n, 1n]], as),
      f.pot,
      "LengthMismatch",
      [2n, 1n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 0n, [x, y], [1n, 1n], [0n]], as),
      f.pot,
      "LengthMismatch",
      [2n, 1n],
    );
    const k = MAX_CHILDREN + 1;
    const ids = Array.from({ length: k }, (_, i) => nodeId(`many-${i}`));
    const zeros = ids.map(() => 0n);
    const order = ids.map((_, i) => BigInt(i));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 0n, ids, zeros, order], as),
      f.pot,
      "TooManyChildren",
      [BigInt(k), BigInt(MAX_CHILDREN)],
    );
  });

  it("settleChildren: rejects an order that is not a permutation", async () => {
    const f = await loadFixture(begunFixture);
    const as = { account: f.settler.account };
    const ids = ["X", "Y", "Z"].map(nodeId);
    const w = [3n, 2n, 1n];
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 0n, ids, w, [0n, 1n, 3n]], as),
      f.pot,
      "OrderNotPermutation",
      [2n, 3n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 0n, ids, [1n, 1n, 1n], [0n, 1n, 1n]], as),
      f.pot,
      "OrderNotPermutation",
      [2n, 1n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 0n, ids, w, [maxUint256, 1n, 2n]], as),
      f.pot,
      "OrderNotPermutation",
      [0n, maxUint256],
    );
  });

  it("settleChildren: rejects an order that is not heaviest first with ties to the lower index", async () => {
    const f = await loadFixture(begunFixture);
    const as = { account: f.settler.account };
    const ids = ["X", "Y", "Z"].map(nodeId);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 0n, ids, [1n, 3n, 2n], [0n, 1n, 2n]], as),
      f.pot,
      "OrderNotSorted",
      [1n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 0n, ids, [1n, 3n, 2n], [1n, 0n, 2n]], as),
      f.pot,
      "OrderNotSorted",
      [2n],
    );
    // Equal weights: the lower index ranks first.
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 0n, ids, [5n, 5n, 5n], [0n, 2n, 1n]], as),
      f.pot,
      "OrderNotSorted",
      [2n],
    );
    await f.pot.write.settleChildren([1n, 0n, ids, [5n, 5n, 5n], [0n, 1n, 2n]], as);
  });

  it("settleChildren: rejects a zero or repeated child id", async () => {
    const f = await loadFixture(begunFixture);
    const as = { account: f.settler.account };
    const zero = `0x${"00".repeat(32)}` as const;
    const [x, y] = [nodeId("X"), nodeId("Y")];
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 0n, [x, zero], [2n, 1n], [0n, 1n]], as),
      f.pot,
      "ZeroNode",
      [1n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.settleChildren([1n, 0n, [x, y, x], [3n, 2n, 1n], [0n, 1n, 2n]], as),
      f.pot,
      "DuplicateChild",
      [2n, x],
    );
    // A child id used by one seed may be used by the next call (marks do not leak).
    await f.pot.write.settleChildren([1n, 0n, [x, y], [2n, 1n], [0n, 1n]], as);
    await f.pot.write.settleChildren([1n, 1n, [x, y], [2n, 1n], [0n, 1n]], as);
  });

  it("settleChildren: no children, or only weightless ones: the seed keeps its whole share", async () => {
    const f = await loadFixture(begunFixture);
    const a = f.indexOf("A");
    const b = f.indexOf("B");
    await viem.assertions.emitWithArgs(
      f.pot.write.settleChildren([1n, BigInt(a), [], [], []], { account: f.settler.account }),
      f.pot,
      "ChildrenSettled",
      [1n, BigInt(a), nodeId("A"), 0n, 0n, tokens(450)],
    );
    expect(await f.pot.read.owed([nodeId("A")])).to.equal(tokens(750));
    const weightless = [
      { child: "X", weight: 0n },
      { child: "Y", weight: 0n },
    ];
    await settleSeed(f, 1n, b, weightless);
    expect(await f.pot.read.owed([nodeId("B")])).to.equal(tokens(250));
    expect(await f.pot.read.owed([nodeId("X")])).to.equal(0n);
    const ref = distribute(tokens(1_000), [
      { ...f.sorted[a], children: [] },
      { ...f.sorted[b], children: weightless },
    ]);
    expect(ref.payouts.get("A")).to.equal(tokens(750));
    expect(ref.payouts.get("B")).to.equal(tokens(250));
  });

  it("settleChildren: only the 128 heaviest children are funded, their weights divide", async () => {
    const f = await loadFixture(potFixture);
    await f.registry.write.setPayout([nodeId("seed-0"), payoutOf("seed-0")]);
    // 130 children; weights 1..130 in shuffled list order with one tie at the cut.
    const rng = new Rng(1n);
    const weights = Array.from({ length: 130 }, (_, i) => BigInt(i + 1) * 10n ** 15n);
    weights[2] = weights[1]; // 2e15 twice: ranks 128 and 129, a tie at the cut
    for (let i = weights.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [weights[i], weights[j]] = [weights[j], weights[i]];
    }
    const children = weights.map((weight, i) => ({ child: `c-${i}`, weight }));
    const seeds: SeedInput[] = [{ node: "seed-0", weight: WAD, originality: wad(0.1), children }];
    const pot = 10n ** 27n + 12_345n;
    await settleRound(f, 5n, pot, seeds);
    const ref = distribute(pot, seeds);
    expect(ref.dropped.length).to.equal(2);
    for (const c of children) {
      expect(await f.pot.read.owed([nodeId(c.child)])).to.equal(ref.payouts.get(c.child));
    }
    for (const d of ref.dropped) {
      expect(await f.pot.read.owed([nodeId(d.child)])).to.equal(0n);
    }
    const info = await f.pot.read.roundInfo([5n]);
    expect(info.dust).to.equal(ref.dust);
    expect(info.distributed).to.equal(ref.distributed);
  });
});

// ------------------------------------------------------------------------------------------------
// Claims
// ------------------------------------------------------------------------------------------------

describe("FundingPot: claim", () => {
  async function settledFixture() {
    const f = await potFixture();
    await settleRound(f, 1n, tokens(1_000), SMALL);
    return f;
  }

  it("claim: pays everything owed to the registry's payout address (anyone may call)", async () => {
    const f = await loadFixture(settledFixture);
    const x = nodeId("X");
    await expectTokenChanges(
      f.token,
      () =>
        viem.assertions.emitWithArgs(
          f.pot.write.claim([x], { account: f.outsider.account }),
          f.pot,
          "Claimed",
          [x, payoutOf("X"), tokens(350)],
        ),
      [
        { address: payoutOf("X"), amount: tokens(350) },
        { address: f.pot.address, amount: -tokens(350) },
        { address: f.outsider.account.address, amount: 0n },
      ],
    );
    expect(await f.pot.read.owed([x])).to.equal(0n);
    expect(await f.pot.read.totalOwed()).to.equal(tokens(650));
    await checkAccounting(f, [1n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.claim([x]),
      f.pot,
      "NothingOwed",
      [x],
    );
  });

  it("claim: reverts for a node owed nothing", async () => {
    const f = await loadFixture(settledFixture);
    const z = nodeId("Z");
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.claim([z]),
      f.pot,
      "NothingOwed",
      [z],
    );
  });

  it("claim: the payout address is read at claim time", async () => {
    const f = await loadFixture(settledFixture);
    const y = nodeId("Y");
    const moved = syntheticAddress("beef", 1);
    await f.registry.write.setPayout([y, moved]);
    await expectTokenChanges(f.token, () => f.pot.write.claim([y]), [
      { address: moved, amount: tokens(135) },
      { address: payoutOf("Y"), amount: 0n },
    ]);
  });

  it("claim: an unknown node reverts with the registry's error; a zero payout is refused", async () => {
    const f = await loadFixture(potFixture);
    const seeds: SeedInput[] = [
      {
        node: "unregistered",
        weight: 1n,
        originality: WAD,
        children: [],
      },
    ];
    await settleRound(f, 1n, 100n, seeds);
    const id = nodeId("unregistered");
    expect(await f.pot.read.owed([id])).to.equal(100n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.claim([id]),
      f.registry,
      "UnknownNode",
      [id],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.claimMany([[id]]),
      f.registry,
      "UnknownNode",
      [id],
    );
    await f.registry.write.setAnswerZero([true]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.claim([id]),
      f.pot,
      "NoPayoutAddress",
      [id],
    );
    // Registered later: the credit is still there.
    await f.registry.write.setPayout([id, payoutOf("unregistered")]);
    await expectTokenChanges(f.token, () => f.pot.write.claim([id]), [
      { address: payoutOf("unregistered"), amount: 100n },
    ]);
  });

  it("claimMany: pays each node, skips nodes owed nothing and repeats, returns the total", async () => {
    const f = await loadFixture(settledFixture);
    const list = ["A", "X", "Z", "A", "B", "Y"].map(nodeId);
    const { result } = await f.pot.simulate.claimMany([list], {
      account: f.outsider.account.address,
    });
    expect(result).to.equal(tokens(1_000));
    await expectTokenChanges(f.token, () => f.pot.write.claimMany([list]), [
      { address: payoutOf("A"), amount: tokens(300) },
      { address: payoutOf("B"), amount: tokens(215) },
      { address: payoutOf("X"), amount: tokens(350) },
      { address: payoutOf("Y"), amount: tokens(135) },
      { address: f.pot.address, amount: -tokens(1_000) },
    ]);
    expect(await f.pot.read.totalOwed()).to.equal(0n);
    const again = await f.pot.simulate.claimMany([list]);
    expect(again.result).to.equal(0n);
    await checkAccounting(f, [1n]);
  });

  it("claim: credits from several rounds sum into one claim", async () => {
    const f = await loadFixture(settledFixture);
    await settleRound(f, 2n, tokens(100), SMALL);
    // X: 350 from round 1, 35 from round 2.
    expect(await f.pot.read.owed([nodeId("X")])).to.equal(tokens(385));
    await expectTokenChanges(f.token, () => f.pot.write.claim([nodeId("X")]), [
      { address: payoutOf("X"), amount: tokens(385) },
    ]);
  });

  it("claim: a token hook cannot re-enter absorb (or claim) during the payout", async () => {
    const { registry, admin } = await loadFixture(potFixture);
    const me = admin.account.address;
    const hook = await viem.deployContract("ReentrantToken");
    const pot = await viem.deployContract("FundingPot", [hook.address, registry.address, me, me]);
    await hook.write.mint([me, tokens(10)]);
    await hook.write.approve([pot.address, maxUint256]);
    await pot.write.fund([1n, tokens(10)]);
    await pot.write.beginSettlement([1n, [nodeId("A")], [1n], [WAD]]);
    await pot.write.settleChildren([1n, 0n, [], [], []]);
    await hook.write.arm([
      pot.address,
      encodeFunctionData({ abi: pot.abi, functionName: "absorb", args: [2n] }),
    ]);
    await pot.write.claim([nodeId("A")]);
    expect(await hook.read.hookCalls()).to.equal(1n);
    expect(await hook.read.lastHookSucceeded()).to.equal(false);
    expect(await pot.read.potOf([2n])).to.equal(0n);
    expect(await hook.read.balanceOf([payoutOf("A")])).to.equal(tokens(10));
  });
});

// ------------------------------------------------------------------------------------------------
// Dust
// ------------------------------------------------------------------------------------------------

describe("FundingPot: dust", () => {
  /** Round 1 settled with dust: 1001 wei over two seeds of weight 1 with children 1:1:1. */
  async function dustFixture() {
    const f = await potFixture();
    const seeds: SeedInput[] = ["A", "B"].map((node) => ({
      node,
      weight: 1n,
      originality: wad(0.3),
      children: ["X", "Y", "Z"].map((child) => ({ child, weight: 1n })),
    }));
    await settleRound(f, 1n, 1001n, seeds);
    const ref = distribute(1001n, seeds);
    return { ...f, ref };
  }

  it("dust: pot - credited once settled, equal to the reference, and accounted", async () => {
    const f = await loadFixture(dustFixture);
    const info = await f.pot.read.roundInfo([1n]);
    expect(f.ref.dust > 0n).to.equal(true);
    expect(info.dust).to.equal(f.ref.dust);
    expect(await f.pot.read.dustOf([1n])).to.equal(f.ref.dust);
    expect(info.distributed).to.equal(f.ref.distributed);
    expect(info.dustRolled).to.equal(false);
    await checkAccounting(f, [1n]);
  });

  it("rollDust: moves the dust into an open round's pot, once", async () => {
    const f = await loadFixture(dustFixture);
    const dust = f.ref.dust;
    await f.pot.write.fund([2n, 10n], { account: f.alice.account });
    await viem.assertions.emitWithArgs(f.pot.write.rollDust([1n, 2n]), f.pot, "DustRolled", [
      1n,
      2n,
      dust,
    ]);
    expect(await f.pot.read.potOf([2n])).to.equal(10n + dust);
    expect(await f.pot.read.dustOf([1n])).to.equal(0n);
    const info = await f.pot.read.roundInfo([1n]);
    expect(info.dust).to.equal(dust); // the round's own record stays
    expect(info.dustRolled).to.equal(true);
    await checkAccounting(f, [1n, 2n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.rollDust([1n, 3n]),
      f.pot,
      "NoDust",
      [1n],
    );
    // The rolled dust is distributed with round 2.
    await begin(f, 2n, sortSeeds(SMALL.slice(1)));
    await settleSeed(f, 2n, 0, SMALL[1].children);
    expect((await f.pot.read.roundInfo([2n])).distributed).to.equal(10n + dust);
    await checkAccounting(f, [1n, 2n]);
  });

  it("rollDust: admin only; from a settled round with dust; into an open round", async () => {
    const f = await loadFixture(dustFixture);
    await viem.assertions.revertWithCustomError(
      f.pot.write.rollDust([1n, 2n], { account: f.settler.account }),
      f.pot,
      "AccessControlUnauthorizedAccount",
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.rollDust([2n, 3n]),
      f.pot,
      "WrongRoundStatus",
      [2n, Status.Open],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.rollDust([1n, 1n]),
      f.pot,
      "WrongRoundStatus",
      [1n, Status.Settled],
    );
    await f.pot.write.fund([2n, tokens(1)], { account: f.alice.account });
    await begin(f, 2n, sortSeeds(SMALL));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.rollDust([1n, 2n]),
      f.pot,
      "WrongRoundStatus",
      [2n, Status.Settling],
    );
    // A round settled without dust has nothing to roll.
    await settleRound(f, 3n, tokens(1), SMALL);
    expect(await f.pot.read.dustOf([3n])).to.equal(0n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.pot.write.rollDust([3n, 4n]),
      f.pot,
      "NoDust",
      [3n],
    );
  });
});

// ------------------------------------------------------------------------------------------------
// The design's appendix example
// ------------------------------------------------------------------------------------------------

describe("FundingPot: the appendix example", () => {
  it("originality 0.4 and KNOWN -> Swiss 0.05 give Swiss 0.6 * 0.05 = 0.03 of the pot", async () => {
    const f = await loadFixture(potFixture);
    for (const name of ["Cypherpunk", "Swiss", "Other"]) {
      await f.registry.write.setPayout([nodeId(name), payoutOf(name)]);
    }
    const seeds: SeedInput[] = [
      {
        node: "Cypherpunk",
        weight: WAD,
        originality: wad(0.4),
        children: [
          { child: "Swiss", weight: wad(0.05) },
          { child: "Other", weight: wad(0.95) },
        ],
      },
    ];
    await settleRound(f, 1n, tokens(1_000), seeds);
    expect(await f.pot.read.owed([nodeId("Swiss")])).to.equal(tokens(30));
    expect(await f.pot.read.owed([nodeId("Cypherpunk")])).to.equal(tokens(400));
    expect(await f.pot.read.owed([nodeId("Other")])).to.equal(tokens(570));
    expect((await f.pot.read.roundInfo([1n])).dust).to.equal(0n);
    await expectTokenChanges(
      f.token,
      () => f.pot.write.claimMany([["Swiss", "Cypherpunk", "Other"].map(nodeId)]),
      [
        { address: payoutOf("Swiss"), amount: tokens(30) },
        { address: payoutOf("Cypherpunk"), amount: tokens(400) },
        { address: payoutOf("Other"), amount: tokens(570) },
      ],
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Differential: random graphs against `distribute`
// ------------------------------------------------------------------------------------------------

/** A weight in one of several regimes: zeros, ties, tiny values, full range, huge values. */
function randomWeight(rng: Rng, regime: number): bigint {
  switch (regime) {
    case 0:
      return rng.range(0n, WAD);
    case 1:
      return [0n, 1n, WAD / 4n, WAD / 2n, WAD][rng.int(5)];
    case 2:
      return 0n;
    case 3:
      return rng.range(0n, 10n);
    default:
      return rng.int(4) === 0 ? 0n : rng.range(1n, 10n ** 36n);
  }
}

/** A random target: 1-12 seeds, 0-150 children each from a shared pool, pot up to 1e27. */
function randomGraph(rng: Rng): { pot: bigint; seeds: SeedInput[] } {
  const seedCount = 1 + rng.int(12);
  const seedNames = new Set<string>();
  while (seedNames.size < seedCount) {
    // Some seeds are pool nodes, so that a seed may be another seed's child.
    seedNames.add(rng.int(3) === 0 ? poolName(rng.int(POOL_SIZE)) : seedName(rng.int(SEED_NAMES)));
  }
  const seedWeightRegime = rng.int(5);
  const seeds = [...seedNames].map((node): SeedInput => {
    const pick = rng.int(8);
    // Mostly 0-150; a few tiny lists, and often more than MAX_FUNDED_CHILDREN.
    const k = pick === 0 ? rng.int(4) : pick <= 2 ? 129 + rng.int(22) : rng.int(151);
    const children = new Set<string>();
    // Sometimes a small pool, so that many names are shared; sometimes the whole pool.
    const span = k <= 40 && rng.int(2) === 0 ? 40 : POOL_SIZE;
    while (children.size < k) {
      const r = rng.int(60);
      children.add(
        r === 0 ? node : r === 1 ? [...seedNames][rng.int(seedCount)] : poolName(rng.int(span)),
      );
      if (children.size >= span) break;
    }
    const regime = rng.int(5);
    const originality = [0n, WAD, rng.range(0n, WAD), rng.range(0n, WAD)][rng.int(4)];
    return {
      node,
      weight: randomWeight(rng, seedWeightRegime),
      originality,
      children: [...children].map((child) => ({ child, weight: randomWeight(rng, regime) })),
    };
  });
  if (seeds.every((s) => s.weight === 0n)) seeds[rng.int(seeds.length)].weight = 1n;
  const pot = [rng.range(0n, 10n ** 27n), rng.range(0n, 10n ** 6n), 10n ** 27n][rng.int(3)];
  return { pot, seeds };
}

describe("FundingPot: differential against distribute()", () => {
  for (let c = 0; c < 12; c++) {
    it(`random graphs #${c}: credits, dust and claims equal distribute() to the wei`, async () => {
      const f = await loadFixture(graphFixture);
      const rng = new Rng(0xd15c0n + BigInt(c));
      const rounds = rng.int(3) === 0 ? 2 : 1;
      const expected = new Map<Hex, bigint>();
      const nameOf = new Map<Hex, string>();
      const roundIds: bigint[] = [];
      for (let r = 0; r < rounds; r++) {
        const { pot, seeds } = randomGraph(rng);
        const round = rng.bits(256);
        roundIds.push(round);
        const ref = distribute(pot, seeds);
        await settleRound(f, round, pot, seeds, rng);
        const info = await f.pot.read.roundInfo([round]);
        expect(info.status).to.equal(Status.Settled);
        expect(info.pot).to.equal(pot);
        expect(info.distributed).to.equal(ref.distributed);
        expect(info.dust).to.equal(ref.dust);
        for (const [name, amount] of ref.payouts) {
          const id = nodeId(name);
          nameOf.set(id, name);
          expected.set(id, (expected.get(id) ?? 0n) + amount);
        }
        await checkAccounting(f, roundIds);
      }
      for (const [id, amount] of expected) {
        expect(await f.pot.read.owed([id]), nameOf.get(id)).to.equal(amount);
      }
      const total = [...expected.values()].reduce((s, x) => s + x, 0n);
      expect(await f.pot.read.totalOwed()).to.equal(total);

      // Claims move exactly the credits to the payout addresses.
      const ids = [...expected.keys()];
      const addresses = ids.map((id) => payoutOf(nameOf.get(id)!));
      const deltas = await balanceDeltas(f.token, addresses, async () => {
        for (let i = 0; i < ids.length; i += 80) {
          await mined(f.pot.write.claimMany([ids.slice(i, i + 80)]));
        }
      });
      expect(deltas).to.deep.equal(ids.map((id) => expected.get(id)));
      expect(await f.pot.read.totalOwed()).to.equal(0n);
      await checkAccounting(f, roundIds);
    });
  }
});

// ------------------------------------------------------------------------------------------------
// Gas
// ------------------------------------------------------------------------------------------------

describe("FundingPot: gas", () => {
  it("beginSettlement (10 seeds), settleChildren (3 and 128 children), claim", async () => {
    const f = await loadFixture(graphFixture);
    const rng = new Rng(42n);
    const seeds: SeedInput[] = Array.from({ length: 10 }, (_, i) => ({
      node: seedName(i),
      weight: rng.range(1n, WAD),
      originality: rng.range(0n, WAD),
      children: [],
    }));
    await f.pot.write.fund([1n, 10n ** 24n], { account: f.alice.account });
    const sorted = sortSeeds(seeds);
    const beginReceipt = await begin(f, 1n, sorted);
    const three = Array.from({ length: 3 }, (_, i) => ({
      child: poolName(i),
      weight: rng.range(1n, WAD),
    }));
    const small = await settleSeed(f, 1n, 0, three);
    const many = Array.from({ length: 128 }, (_, i) => ({
      child: poolName(10 + i),
      weight: rng.range(1n, WAD),
    }));
    const big = await settleSeed(f, 1n, 1, many);
    // 150 children, 22 dropped, none credited before (fresh storage).
    const more = Array.from({ length: 150 }, (_, i) => ({
      child: poolName(140 + i),
      weight: rng.range(1n, WAD),
    }));
    const big150 = await settleSeed(f, 1n, 2, more);
    const claim = await mined(f.pot.write.claim([nodeId(poolName(10))]));
    console.log(
      `      gas: beginSettlement 10 seeds ${beginReceipt.gasUsed}, settleChildren k=3 ` +
        `${small.gasUsed}, k=128 ${big.gasUsed}, k=150 ${big150.gasUsed}, claim ${claim.gasUsed}`,
    );
    expect(beginReceipt.gasUsed < 1_000_000n).to.equal(true);
    expect(small.gasUsed < 200_000n).to.equal(true);
    expect(big.gasUsed < 4_000_000n).to.equal(true);
    expect(claim.gasUsed < 80_000n).to.equal(true);
  });

  it("worst cases stay below the EIP-7825 transaction gas cap (2^24)", async () => {
    const f = await loadFixture(potFixture);
    const rng = new Rng(43n);
    const cap = 1n << 24n;
    // MAX_SEEDS seeds, each credited for the first time.
    const seeds: SeedInput[] = Array.from({ length: MAX_SEEDS }, (_, i) => ({
      node: `worst-seed-${i}`,
      weight: rng.range(1n, WAD),
      originality: rng.range(1n, WAD),
      children: [],
    }));
    await f.pot.write.fund([1n, 10n ** 27n], { account: f.alice.account });
    const beginReceipt = await begin(f, 1n, sortSeeds(seeds));
    // MAX_CHILDREN children, the 128 funded ones credited for the first time.
    const children = Array.from({ length: MAX_CHILDREN }, (_, i) => ({
      child: `worst-child-${i}`,
      weight: rng.range(0n, WAD),
    }));
    const settle = await settleSeed(f, 1n, 0, children);
    console.log(
      `      gas: beginSettlement ${MAX_SEEDS} seeds ${beginReceipt.gasUsed}, ` +
        `settleChildren k=${MAX_CHILDREN} ${settle.gasUsed}`,
    );
    expect(beginReceipt.gasUsed < cap).to.equal(true);
    expect(settle.gasUsed < cap).to.equal(true);
  });
});
