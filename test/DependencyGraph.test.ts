/**
 * On-chain tests of DependencyGraph (contracts/deepfunding/DependencyGraph.sol) against the spec
 * in contracts/interfaces/IDependencyGraph.sol and the ranking of `rankChildren` in src/graph.ts.
 *
 * Layout: deployment, nodes, seeds, edges (with hostile tokens), settlements (bad orders, a
 * small settlement, one of 200 children with proposals on both sides of the cut, compared with
 * `rankChildren`), bonds (returned and withdrawn, slashed into the real Jury's fund), gas.
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
  toFunctionSelector,
  zeroAddress,
} from "viem";

import { MAX_FUNDED_CHILDREN, nodeId, rankChildren } from "../src/graph.js";
import { expectTokenChanges } from "./helpers/balances.js";
import { Rng } from "./helpers/rng.js";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const { loadFixture } = networkHelpers;
const publicClient = await viem.getPublicClient();

type Graph = ContractReturnType<"DependencyGraph">;

const ONE = 10n ** 18n;
const BOND = 10n * ONE;
const MINT = 100_000n * ONE;
const TARGET = nodeId("ethereum");
const MAX_CHILDREN = 256;
const MAX_SEEDS = 256;
const MAX_UINT88 = (1n << 88n) - 1n;

const EdgeStatus = { None: 0, Proposed: 1, Funded: 2, Dropped: 3 } as const;

/** Node ids for numbered children: "child-0", "child-1", ... */
const childId = (i: number): Hex => nodeId(`child-${i}`);
const SEED_A = nodeId("seed-a");
const SEED_B = nodeId("seed-b");
const LONER = nodeId("not-a-seed");

// ------------------------------------------------------------------------------------------------
// Helpers and fixtures
// ------------------------------------------------------------------------------------------------

/** Waits for a transaction and checks it succeeded. */
async function mined(hash: Hash | Promise<Hash>) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  expect(receipt.status).to.equal("success");
  return receipt;
}

/** A token, the real Jury on it, and a graph with two seeds and five registered children. */
async function graphFixture() {
  const [admin, registrar, settler, alice, bob, carol, outsider] = await viem.getWalletClients();
  const token = await viem.deployContract("TestToken", ["Bond Token", "BOND", 18]);
  const jury = await viem.deployContract("Jury", [
    token.address,
    zeroAddress,
    admin.account.address,
    admin.account.address,
  ]);
  const graph = await viem.deployContract("DependencyGraph", [
    TARGET,
    token.address,
    jury.address,
    BOND,
    admin.account.address,
    registrar.account.address,
    settler.account.address,
  ]);
  for (const w of [alice, bob, carol, outsider]) {
    await mined(token.write.mint([w.account.address, MINT]));
    await mined(token.write.approve([graph.address, maxUint256], { account: w.account }));
  }
  const asRegistrar = { account: registrar.account };
  for (const [id, name] of [
    [SEED_A, "seed-a"],
    [SEED_B, "seed-b"],
    [LONER, "not-a-seed"],
  ] as const) {
    await mined(graph.write.registerNode([id, labelPayout(name), name], asRegistrar));
  }
  for (let i = 0; i < 5; i++) {
    await mined(graph.write.registerNode([childId(i), labelPayout(`child-${i}`), ""], asRegistrar));
  }
  await mined(graph.write.addSeed([SEED_A], asRegistrar));
  await mined(graph.write.addSeed([SEED_B], asRegistrar));
  return { graph, token, jury, admin, registrar, settler, alice, bob, carol, outsider };
}

type Fixture = Awaited<ReturnType<typeof graphFixture>>;

/** The fixture plus children child-5 .. child-256 registered (257 children in all). */
async function manyNodesFixture() {
  const f = await graphFixture();
  for (let i = 5; i <= MAX_CHILDREN; i++) {
    await mined(
      f.graph.write.registerNode([childId(i), labelPayout(`child-${i}`), ""], {
        account: f.registrar.account,
      }),
    );
  }
  return f;
}

/** A deterministic payout address per name. */
function labelPayout(name: string): Address {
  return getAddress(`0x${nodeId(`payout:${name}`).slice(26)}`);
}

/**
 * Gives `parent` the children child-0 .. child-(n-1) in order: proposed (by alice, bob or carol
 * in turn) where `proposed(i)`, added by the registrar otherwise.
 */
async function addChildren(f: Fixture, parent: Hex, n: number, proposed: (i: number) => boolean) {
  const proposers = [f.alice, f.bob, f.carol];
  let p = 0;
  for (let i = 0; i < n; i++) {
    if (proposed(i)) {
      const who = proposers[p++ % proposers.length];
      await mined(f.graph.write.proposeEdge([parent, childId(i)], { account: who.account }));
    } else {
      await mined(f.graph.write.addEdge([parent, childId(i)], { account: f.registrar.account }));
    }
  }
}

async function settle(f: Fixture, parent: Hex, weights: bigint[], order?: number[]) {
  const ranking = (order ?? rankChildren(weights)).map(BigInt);
  const args = [parent, weights, ranking] as const;
  const { result } = await f.graph.simulate.settleEdges(args, {
    account: f.settler.account.address,
  });
  const receipt = await mined(f.graph.write.settleEdges(args, { account: f.settler.account }));
  return { returned: result[0], slashed: result[1], receipt };
}

async function statusOf(graph: Graph, parent: Hex, child: Hex): Promise<number> {
  return (await graph.read.edge([parent, child])).status;
}

// ------------------------------------------------------------------------------------------------
// Deployment
// ------------------------------------------------------------------------------------------------

describe("DependencyGraph: deployment", () => {
  it("constructor: stores the target, token, jury, bond and roles", async () => {
    const { graph, token, jury, admin, registrar, settler } = await loadFixture(graphFixture);
    expect(await graph.read.target()).to.equal(TARGET);
    expect(await graph.read.token()).to.equal(getAddress(token.address));
    expect(await graph.read.jury()).to.equal(getAddress(jury.address));
    expect(await graph.read.edgeBond()).to.equal(BOND);
    expect(await graph.read.MAX_SEEDS()).to.equal(BigInt(MAX_SEEDS));
    expect(await graph.read.MAX_CHILDREN()).to.equal(BigInt(MAX_CHILDREN));
    expect(await graph.read.MAX_FUNDED_CHILDREN()).to.equal(BigInt(MAX_FUNDED_CHILDREN));
    const roles: [Hex, Address][] = [
      [await graph.read.DEFAULT_ADMIN_ROLE(), admin.account.address],
      [await graph.read.REGISTRAR_ROLE(), registrar.account.address],
      [await graph.read.SETTLER_ROLE(), settler.account.address],
    ];
    for (const [role, holder] of roles) {
      expect(await graph.read.hasRole([role, holder])).to.equal(true);
    }
    expect(await graph.read.hasRole([roles[1][0], admin.account.address])).to.equal(false);
  });

  it("constructor: rejects a zero target or admin, code-less token or jury, a foreign jury, bad bonds", async () => {
    const { token, jury, admin } = await loadFixture(graphFixture);
    const me = admin.account.address;
    const other = await viem.deployContract("TestToken", ["Other", "OTH", 18]);
    const deploy = (args: {
      target?: Hex;
      token?: Address;
      jury?: Address;
      bond?: bigint;
      admin?: Address;
    }) =>
      viem.deployContract("DependencyGraph", [
        args.target ?? TARGET,
        args.token ?? token.address,
        args.jury ?? jury.address,
        args.bond ?? BOND,
        args.admin ?? me,
        zeroAddress,
        zeroAddress,
      ]);
    await assert.rejects(deploy({ target: `0x${"0".repeat(64)}` }), /ZeroId/);
    await assert.rejects(deploy({ admin: zeroAddress }), /ZeroAddress/);
    await assert.rejects(deploy({ token: me }), /TokenHasNoCode/);
    await assert.rejects(deploy({ jury: me }), /JuryHasNoCode/);
    await assert.rejects(deploy({ token: other.address }), /JuryTokenMismatch/);
    await assert.rejects(deploy({ bond: 0n }), /InvalidBond/);
    await assert.rejects(deploy({ bond: MAX_UINT88 + 1n }), /InvalidBond/);
    // The largest bond and no registrar or settler are fine.
    const g = await deploy({ bond: MAX_UINT88 });
    expect(await g.read.edgeBond()).to.equal(MAX_UINT88);
    expect(await g.read.hasRole([await g.read.REGISTRAR_ROLE(), zeroAddress])).to.equal(false);
  });
});

// ------------------------------------------------------------------------------------------------
// Nodes
// ------------------------------------------------------------------------------------------------

describe("DependencyGraph: nodes", () => {
  it("registerNode: registrar only, emits, shows in nodeInfo, nodeCount and payoutOf", async () => {
    const { graph, registrar, outsider } = await loadFixture(graphFixture);
    expect(await graph.read.nodeCount()).to.equal(8n);
    const id = nodeId("https://github.com/ethereum/go-ethereum");
    const payout = labelPayout("geth");
    await viem.assertions.revertWithCustomErrorWithArgs(
      graph.write.registerNode([id, payout, "geth"], { account: outsider.account }),
      graph,
      "AccessControlUnauthorizedAccount",
      [getAddress(outsider.account.address), await graph.read.REGISTRAR_ROLE()],
    );
    await viem.assertions.emitWithArgs(
      graph.write.registerNode([id, payout, "geth"], { account: registrar.account }),
      graph,
      "NodeRegistered",
      [id, payout, "geth"],
    );
    expect(await graph.read.nodeInfo([id])).to.deep.equal([payout, "geth", true]);
    expect(await graph.read.payoutOf([id])).to.equal(payout);
    expect(await graph.read.nodeCount()).to.equal(9n);
  });

  it("registerNode: rejects a zero id, a zero payout and a duplicate", async () => {
    const { graph, registrar } = await loadFixture(graphFixture);
    const as = { account: registrar.account };
    await viem.assertions.revertWithCustomError(
      graph.write.registerNode([`0x${"0".repeat(64)}`, labelPayout("x"), ""], as),
      graph,
      "ZeroId",
    );
    await viem.assertions.revertWithCustomError(
      graph.write.registerNode([nodeId("x"), zeroAddress, ""], as),
      graph,
      "ZeroAddress",
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      graph.write.registerNode([SEED_A, labelPayout("x"), ""], as),
      graph,
      "NodeAlreadyRegistered",
      [SEED_A],
    );
  });

  it("payoutOf / nodeInfo: an unknown node reverts / reads as unregistered", async () => {
    const { graph } = await loadFixture(graphFixture);
    const unknown = nodeId("unknown");
    await viem.assertions.revertWithCustomErrorWithArgs(
      graph.read.payoutOf([unknown]),
      graph,
      "UnknownNode",
      [unknown],
    );
    expect(await graph.read.nodeInfo([unknown])).to.deep.equal([zeroAddress, "", false]);
  });

  it("setPayout: by the registrar or the current payout only; not to zero; known nodes only", async () => {
    const { graph, registrar, alice, outsider } = await loadFixture(graphFixture);
    const old = labelPayout("child-0");
    const id = childId(0);
    // The registrar hands the node to alice.
    await viem.assertions.emitWithArgs(
      graph.write.setPayout([id, alice.account.address], { account: registrar.account }),
      graph,
      "PayoutChanged",
      [id, old, getAddress(alice.account.address)],
    );
    // Alice (the current payout) moves it on; then she no longer can.
    const next = labelPayout("next");
    await mined(graph.write.setPayout([id, next], { account: alice.account }));
    expect(await graph.read.payoutOf([id])).to.equal(next);
    await viem.assertions.revertWithCustomErrorWithArgs(
      graph.write.setPayout([id, alice.account.address], { account: alice.account }),
      graph,
      "NotPayoutOrRegistrar",
      [id, getAddress(alice.account.address)],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      graph.write.setPayout([id, outsider.account.address], { account: outsider.account }),
      graph,
      "NotPayoutOrRegistrar",
      [id, getAddress(outsider.account.address)],
    );
    await viem.assertions.revertWithCustomError(
      graph.write.setPayout([id, zeroAddress], { account: registrar.account }),
      graph,
      "ZeroAddress",
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      graph.write.setPayout([nodeId("unknown"), next], { account: registrar.account }),
      graph,
      "UnknownNode",
      [nodeId("unknown")],
    );
    expect((await graph.read.nodeInfo([id]))[0]).to.equal(next);
  });
});

// ------------------------------------------------------------------------------------------------
// Seeds
// ------------------------------------------------------------------------------------------------

describe("DependencyGraph: seeds", () => {
  it("addSeed / removeSeed: registrar only, known nodes, no duplicates, removal keeps the order", async () => {
    const { graph, registrar, outsider } = await loadFixture(graphFixture);
    const as = { account: registrar.account };
    expect(await graph.read.seeds()).to.deep.equal([SEED_A, SEED_B]);
    await viem.assertions.revertWithCustomError(
      graph.write.addSeed([LONER], { account: outsider.account }),
      graph,
      "AccessControlUnauthorizedAccount",
    );
    await viem.assertions.revertWithCustomError(
      graph.write.removeSeed([SEED_A], { account: outsider.account }),
      graph,
      "AccessControlUnauthorizedAccount",
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      graph.write.addSeed([nodeId("unknown")], as),
      graph,
      "UnknownNode",
      [nodeId("unknown")],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      graph.write.addSeed([SEED_A], as),
      graph,
      "AlreadySeed",
      [SEED_A],
    );
    await viem.assertions.emitWithArgs(graph.write.addSeed([LONER], as), graph, "SeedAdded", [
      LONER,
    ]);
    await mined(graph.write.addSeed([childId(0)], as));
    expect(await graph.read.seeds()).to.deep.equal([SEED_A, SEED_B, LONER, childId(0)]);
    await viem.assertions.emitWithArgs(graph.write.removeSeed([SEED_B], as), graph, "SeedRemoved", [
      SEED_B,
    ]);
    expect(await graph.read.seeds()).to.deep.equal([SEED_A, LONER, childId(0)]);
    expect(await graph.read.isSeed([SEED_B])).to.equal(false);
    expect(await graph.read.isSeed([LONER])).to.equal(true);
    await viem.assertions.revertWithCustomErrorWithArgs(
      graph.write.removeSeed([SEED_B], as),
      graph,
      "NotASeed",
      [SEED_B],
    );
    // The moved seeds' positions were updated: removing the last and the first still works.
    await mined(graph.write.removeSeed([childId(0)], as));
    await mined(graph.write.removeSeed([SEED_A], as));
    expect(await graph.read.seeds()).to.deep.equal([LONER]);
    await mined(graph.write.addSeed([SEED_A], as));
    expect(await graph.read.seeds()).to.deep.equal([LONER, SEED_A]);
  });

  it("addSeed: at most 256 seeds", async () => {
    const f = await loadFixture(manyNodesFixture);
    const as = { account: f.registrar.account };
    for (let i = 0; i < MAX_SEEDS - 2; i++) await mined(f.graph.write.addSeed([childId(i)], as));
    expect((await f.graph.read.seeds()).length).to.equal(MAX_SEEDS);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.graph.write.addSeed([childId(MAX_SEEDS)], as),
      f.graph,
      "TooManySeeds",
      [BigInt(MAX_SEEDS)],
    );
    await mined(f.graph.write.removeSeed([childId(7)], as));
    await mined(f.graph.write.addSeed([childId(MAX_SEEDS)], as));
    const list = await f.graph.read.seeds();
    expect(list[list.length - 1]).to.equal(childId(MAX_SEEDS));
    expect(list).to.not.include(childId(7));
  });
});

// ------------------------------------------------------------------------------------------------
// Edges
// ------------------------------------------------------------------------------------------------

describe("DependencyGraph: edges", () => {
  it("addEdge: registrar only, Funded without a bond, emits; a self-edge is allowed", async () => {
    const { graph, registrar, outsider } = await loadFixture(graphFixture);
    const as = { account: registrar.account };
    await viem.assertions.revertWithCustomError(
      graph.write.addEdge([SEED_A, childId(0)], { account: outsider.account }),
      graph,
      "AccessControlUnauthorizedAccount",
    );
    await viem.assertions.emitWithArgs(
      graph.write.addEdge([SEED_A, childId(0)], as),
      graph,
      "EdgeAdded",
      [SEED_A, childId(0)],
    );
    await mined(graph.write.addEdge([SEED_A, SEED_A], as)); // hardhat -> hardhat in the data
    expect(await graph.read.edge([SEED_A, childId(0)])).to.deep.equal({
      status: EdgeStatus.Funded,
      proposer: zeroAddress,
      bond: 0n,
    });
    expect(await graph.read.children([SEED_A])).to.deep.equal([
      [childId(0), SEED_A],
      [EdgeStatus.Funded, EdgeStatus.Funded],
    ]);
    expect(await graph.read.childCount([SEED_A])).to.equal(2n);
    expect(await graph.read.bondsHeld()).to.equal(0n);
  });

  it("addEdge / proposeEdge: unknown nodes, a parent that is not a seed, a live edge", async () => {
    const { graph, registrar, alice } = await loadFixture(graphFixture);
    const unknown = nodeId("unknown");
    const calls = [
      (p: Hex, c: Hex) => graph.write.addEdge([p, c], { account: registrar.account }),
      (p: Hex, c: Hex) => graph.write.proposeEdge([p, c], { account: alice.account }),
    ];
    for (const call of calls) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        call(unknown, childId(0)),
        graph,
        "UnknownNode",
        [unknown],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        call(SEED_A, unknown),
        graph,
        "UnknownNode",
        [unknown],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        call(LONER, childId(0)),
        graph,
        "NotASeed",
        [LONER],
      );
    }
    await mined(graph.write.addEdge([SEED_A, childId(0)], { account: registrar.account }));
    await mined(graph.write.proposeEdge([SEED_A, childId(1)], { account: alice.account }));
    for (const call of calls) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        call(SEED_A, childId(0)),
        graph,
        "EdgeAlreadyLive",
        [SEED_A, childId(0), EdgeStatus.Funded],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        call(SEED_A, childId(1)),
        graph,
        "EdgeAlreadyLive",
        [SEED_A, childId(1), EdgeStatus.Proposed],
      );
    }
    // The same child under another seed is another edge.
    await mined(graph.write.proposeEdge([SEED_B, childId(1)], { account: alice.account }));
  });

  it("proposeEdge: pulls the bond, records the proposer, emits", async () => {
    const { graph, token, alice } = await loadFixture(graphFixture);
    const who = getAddress(alice.account.address);
    await expectTokenChanges(
      token,
      () =>
        viem.assertions.emitWithArgs(
          graph.write.proposeEdge([SEED_A, childId(2)], { account: alice.account }),
          graph,
          "EdgeProposed",
          [SEED_A, childId(2), who, BOND],
        ),
      [
        { address: who, amount: -BOND },
        { address: graph.address, amount: BOND },
      ],
    );
    expect(await graph.read.edge([SEED_A, childId(2)])).to.deep.equal({
      status: EdgeStatus.Proposed,
      proposer: who,
      bond: BOND,
    });
    expect(await graph.read.children([SEED_A])).to.deep.equal([
      [childId(2)],
      [EdgeStatus.Proposed],
    ]);
    expect(await graph.read.bondsHeld()).to.equal(BOND);
    expect(await graph.read.owed([who])).to.equal(0n);
  });

  it("proposeEdge: reverts without allowance or balance", async () => {
    const { graph, token, alice, registrar } = await loadFixture(graphFixture);
    await mined(token.write.approve([graph.address, BOND - 1n], { account: alice.account }));
    await viem.assertions.revertWithCustomError(
      graph.write.proposeEdge([SEED_A, childId(0)], { account: alice.account }),
      token,
      "ERC20InsufficientAllowance",
    );
    // The registrar holds no tokens.
    await mined(token.write.approve([graph.address, maxUint256], { account: registrar.account }));
    await viem.assertions.revertWithCustomError(
      graph.write.proposeEdge([SEED_A, childId(0)], { account: registrar.account }),
      token,
      "ERC20InsufficientBalance",
    );
  });

  it("addEdge / proposeEdge: at most 256 live children per parent", async () => {
    const f = await loadFixture(manyNodesFixture);
    await addChildren(f, SEED_A, MAX_CHILDREN, (i) => i % 50 === 0 || i === MAX_CHILDREN - 1);
    expect(await f.graph.read.childCount([SEED_A])).to.equal(BigInt(MAX_CHILDREN));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.graph.write.addEdge([SEED_A, childId(MAX_CHILDREN)], { account: f.registrar.account }),
      f.graph,
      "TooManyChildren",
      [SEED_A, BigInt(MAX_CHILDREN)],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.graph.write.proposeEdge([SEED_A, childId(MAX_CHILDREN)], { account: f.alice.account }),
      f.graph,
      "TooManyChildren",
      [SEED_A, BigInt(MAX_CHILDREN)],
    );
    // The last proposal sits at position 255, the top bit of the proposal bitmap.
    const [, statuses] = await f.graph.read.children([SEED_A]);
    expect(statuses.filter((s) => s === EdgeStatus.Proposed).length).to.equal(7);
    expect(statuses[MAX_CHILDREN - 1]).to.equal(EdgeStatus.Proposed);
    expect(await f.graph.read.bondsHeld()).to.equal(7n * BOND);
  });

  it("proposeEdge: rejects a fee-on-transfer token (DeliveredLess)", async () => {
    const [admin, , , alice] = await viem.getWalletClients();
    const me = admin.account.address;
    const fot = await viem.deployContract("FeeOnTransferToken", [100n]);
    const jury = await viem.deployContract("Jury", [fot.address, zeroAddress, me, me]);
    const graph = await viem.deployContract("DependencyGraph", [
      TARGET,
      fot.address,
      jury.address,
      BOND,
      me,
      me,
      me,
    ]);
    await mined(graph.write.registerNode([SEED_A, me, ""]));
    await mined(graph.write.registerNode([childId(0), me, ""]));
    await mined(graph.write.addSeed([SEED_A]));
    await mined(fot.write.mint([alice.account.address, MINT]));
    await mined(fot.write.approve([graph.address, maxUint256], { account: alice.account }));
    await viem.assertions.revertWithCustomErrorWithArgs(
      graph.write.proposeEdge([SEED_A, childId(0)], { account: alice.account }),
      graph,
      "DeliveredLess",
      [BOND, BOND - BOND / 100n],
    );
    // Without the fee the same proposal goes through.
    await mined(fot.write.setFee([0n]));
    await mined(graph.write.proposeEdge([SEED_A, childId(0)], { account: alice.account }));
    expect(await graph.read.bondsHeld()).to.equal(BOND);
  });

  it("proposeEdge / withdrawBond: a token hook cannot re-enter", async () => {
    const [admin, , , alice] = await viem.getWalletClients();
    const me = admin.account.address;
    const hook = await viem.deployContract("ReentrantToken", []);
    const jury = await viem.deployContract("Jury", [hook.address, zeroAddress, me, me]);
    const graph = await viem.deployContract("DependencyGraph", [
      TARGET,
      hook.address,
      jury.address,
      BOND,
      me,
      me,
      me,
    ]);
    for (let i = 0; i < 3; i++) await mined(graph.write.registerNode([childId(i), me, ""]));
    await mined(graph.write.addSeed([childId(0)]));
    await mined(hook.write.mint([alice.account.address, MINT]));
    await mined(hook.write.approve([graph.address, maxUint256], { account: alice.account }));
    const guard = toFunctionSelector("ReentrancyGuardReentrantCall()");
    const reenter = (fn: "proposeEdge" | "withdrawBond") =>
      fn === "proposeEdge"
        ? encodeFunctionData({
            abi: graph.abi,
            functionName: "proposeEdge",
            args: [childId(0), childId(2)],
          })
        : encodeFunctionData({ abi: graph.abi, functionName: "withdrawBond", args: [me] });
    await mined(hook.write.arm([graph.address, reenter("proposeEdge")]));
    await mined(graph.write.proposeEdge([childId(0), childId(1)], { account: alice.account }));
    expect(await hook.read.lastHookSucceeded()).to.equal(false);
    expect(await hook.read.lastHookResult()).to.equal(guard);
    // Fund the edge (bond owed to alice), then re-enter during her withdrawal.
    await mined(graph.write.settleEdges([childId(0), [1n], [0n]]));
    await mined(hook.write.arm([graph.address, reenter("withdrawBond")]));
    await mined(graph.write.withdrawBond([alice.account.address], { account: alice.account }));
    expect(await hook.read.lastHookSucceeded()).to.equal(false);
    expect(await hook.read.lastHookResult()).to.equal(guard);
    expect(await hook.read.balanceOf([graph.address])).to.equal(0n);
  });
});

// ------------------------------------------------------------------------------------------------
// Settlements
// ------------------------------------------------------------------------------------------------

describe("DependencyGraph: settleEdges", () => {
  /** Weights 3, 1, 3, 2, 0 (ONE each): the ranking is 0, 2, 3, 1, 4. */
  const W5 = [3n, 1n, 3n, 2n, 0n].map((w) => w * ONE);

  it("settleEdges: settler only; at most one weight per child, one order entry per weight", async () => {
    const f = await loadFixture(graphFixture);
    await addChildren(f, SEED_A, 5, (i) => i % 2 === 0);
    expect(rankChildren(W5)).to.deep.equal([0, 2, 3, 1, 4]);
    const good = [0n, 2n, 3n, 1n, 4n];
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.graph.write.settleEdges([SEED_A, W5, good], { account: f.registrar.account }),
      f.graph,
      "AccessControlUnauthorizedAccount",
      [getAddress(f.registrar.account.address), await f.graph.read.SETTLER_ROLE()],
    );
    const as = { account: f.settler.account };
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.graph.write.settleEdges([SEED_A, [...W5, ONE], [...good, 5n]], as),
      f.graph,
      "WeightsLengthMismatch",
      [6n, 5n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.graph.write.settleEdges([SEED_A, W5.slice(0, 4), good], as),
      f.graph,
      "OrderLengthMismatch",
      [5n, 4n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.graph.write.settleEdges([SEED_A, W5, [...good, 5n]], as),
      f.graph,
      "OrderLengthMismatch",
      [6n, 5n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.graph.write.settleEdges([SEED_A, W5, good.slice(0, 4)], as),
      f.graph,
      "OrderLengthMismatch",
      [4n, 5n],
    );
  });

  it("settleEdges: rejects an order that is not the ranking (range, permutation, sort, ties)", async () => {
    const f = await loadFixture(graphFixture);
    await addChildren(f, SEED_A, 5, (i) => i % 2 === 0);
    const as = { account: f.settler.account };
    type OrderError =
      | "OrderIndexOutOfRange"
      | "OrderNotPermutation"
      | "OrderNotSorted"
      | "OrderTieBroken";
    const cases: [bigint[], OrderError, [bigint, bigint] | [bigint, bigint, bigint]][] = [
      [[0n, 2n, 3n, 1n, 5n], "OrderIndexOutOfRange", [4n, 5n, 5n]],
      [[0n, 2n, 3n, 1n, 1n], "OrderNotPermutation", [4n, 1n]],
      [[0n, 0n, 2n, 3n, 1n], "OrderNotPermutation", [1n, 0n]],
      [[0n, 2n, 1n, 3n, 4n], "OrderNotSorted", [3n, ONE, 2n * ONE]],
      [[4n, 0n, 2n, 3n, 1n], "OrderNotSorted", [1n, 0n, 3n * ONE]],
      [[2n, 0n, 3n, 1n, 4n], "OrderTieBroken", [1n, 2n, 0n]],
    ];
    for (const [order, error, args] of cases) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.graph.write.settleEdges([SEED_A, W5, order], as),
        f.graph,
        error,
        args,
      );
    }
    // Equal weights: only the index order is accepted.
    const flat = [ONE, ONE, ONE, ONE, ONE];
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.graph.write.settleEdges([SEED_A, flat, [0n, 1n, 2n, 4n, 3n]], as),
      f.graph,
      "OrderTieBroken",
      [4n, 4n, 3n],
    );
    await mined(f.graph.write.settleEdges([SEED_A, flat, [0n, 1n, 2n, 3n, 4n]], as));
  });

  it("settleEdges: at most 128 children: all kept in place, proposals funded and owed back", async () => {
    const f = await loadFixture(graphFixture);
    await addChildren(f, SEED_A, 5, (i) => i % 2 === 0); // 0: alice, 2: bob, 4: carol
    const fundBefore = await f.jury.read.juryFund();
    const { returned, slashed, receipt } = await settle(f, SEED_A, W5);
    expect([returned, slashed]).to.deep.equal([3n, 0n]);
    expect(await f.graph.read.children([SEED_A])).to.deep.equal([
      [0, 1, 2, 3, 4].map(childId),
      [0, 1, 2, 3, 4].map(() => EdgeStatus.Funded),
    ]);
    for (const w of [f.alice, f.bob, f.carol]) {
      expect(await f.graph.read.owed([w.account.address])).to.equal(BOND);
    }
    expect(await f.graph.read.edge([SEED_A, childId(2)])).to.deep.equal({
      status: EdgeStatus.Funded,
      proposer: getAddress(f.bob.account.address),
      bond: 0n,
    });
    expect(await f.graph.read.bondsHeld()).to.equal(3n * BOND);
    expect(await f.jury.read.juryFund()).to.equal(fundBefore);
    // One EdgeFunded per proposal and the summary.
    const logs = await publicClient.getContractEvents({
      address: f.graph.address,
      abi: f.graph.abi,
      eventName: "EdgeFunded",
      fromBlock: receipt.blockNumber,
      toBlock: receipt.blockNumber,
    });
    expect(logs.map((l) => l.args.child)).to.deep.equal([childId(0), childId(2), childId(4)]);
    // Settling again changes nothing (everything is Funded now).
    await viem.assertions.emitWithArgs(
      f.graph.write.settleEdges([SEED_A, W5, [0n, 2n, 3n, 1n, 4n]], { account: f.settler.account }),
      f.graph,
      "EdgesSettled",
      [SEED_A, 5n, 0n, 0n, 0n, 0n],
    );
  });

  it("settleEdges: a parent without children settles to nothing", async () => {
    const f = await loadFixture(graphFixture);
    const { returned, slashed } = await settle(f, SEED_B, []);
    expect([returned, slashed]).to.deep.equal([0n, 0n]);
    // Any id may be settled, even one that is not a node.
    await settle(f, nodeId("nothing"), []);
  });

  it("settleEdges: 200 children with proposals on both sides of the cut match rankChildren", async () => {
    const f = await loadFixture(manyNodesFixture);
    const k = 200;
    const proposed = (i: number) => i % 3 === 1 || i >= 190;
    await addChildren(f, SEED_A, k, proposed);
    const rng = new Rng(0x5eedn);
    // Few distinct values, so that many weights tie; the last ten children weigh 0.
    const weights = Array.from({ length: k }, (_, i) =>
      i >= 190 ? 0n : rng.range(0n, 30n) * 10n ** 15n,
    );
    const order = rankChildren(weights);
    const funded = order.slice(0, MAX_FUNDED_CHILDREN);
    const dropped = order.slice(MAX_FUNDED_CHILDREN);
    const proposedFunded = funded.filter(proposed);
    const proposedDropped = dropped.filter(proposed);
    expect(proposedFunded.length).to.be.greaterThan(10);
    expect(proposedDropped.length).to.be.greaterThan(10);
    // A tie straddles the cut, so the index rule decides who stays.
    expect(weights[order[MAX_FUNDED_CHILDREN - 1]]).to.equal(weights[order[MAX_FUNDED_CHILDREN]]);

    const proposerOf = new Map<number, Address>();
    const proposers = [f.alice, f.bob, f.carol].map((w) => getAddress(w.account.address));
    Array.from({ length: k }, (_, i) => i)
      .filter(proposed)
      .forEach((i, n) => proposerOf.set(i, proposers[n % 3]));
    const owedBond = new Map<Address, bigint>(proposers.map((p) => [p, 0n]));
    for (const i of proposedFunded)
      owedBond.set(proposerOf.get(i)!, owedBond.get(proposerOf.get(i)!)! + BOND);

    const fundBefore = await f.jury.read.juryFund();
    const heldBefore = await f.graph.read.bondsHeld();
    const slashedAmount = BigInt(proposedDropped.length) * BOND;
    const juryBalanceBefore = await f.token.read.balanceOf([f.jury.address]);
    const { returned, slashed, receipt } = await settle(f, SEED_A, weights);
    expect(returned).to.equal(BigInt(proposedFunded.length));
    expect(slashed).to.equal(BigInt(proposedDropped.length));

    // Survivors keep their relative order (stable compaction).
    const survivors = [...funded].sort((a, b) => a - b);
    const [ids, statuses] = await f.graph.read.children([SEED_A]);
    expect(ids).to.deep.equal(survivors.map(childId));
    expect(statuses.every((s) => s === EdgeStatus.Funded)).to.equal(true);
    for (const i of dropped) {
      const e = await f.graph.read.edge([SEED_A, childId(i)]);
      expect(e.status).to.equal(EdgeStatus.Dropped);
      expect(e.bond).to.equal(0n);
    }
    // Bonds: the funded proposals' are owed back, the dropped ones' are in the jury fund.
    for (const p of proposers) expect(await f.graph.read.owed([p])).to.equal(owedBond.get(p));
    expect(await f.jury.read.juryFund()).to.equal(fundBefore + slashedAmount);
    expect(await f.token.read.balanceOf([f.jury.address])).to.equal(
      juryBalanceBefore + slashedAmount,
    );
    expect(await f.graph.read.bondsSlashed()).to.equal(slashedAmount);
    expect(await f.graph.read.bondsHeld()).to.equal(heldBefore - slashedAmount);
    expect(await f.token.read.balanceOf([f.graph.address])).to.equal(
      await f.graph.read.bondsHeld(),
    );
    expect(await f.token.read.allowance([f.graph.address, f.jury.address])).to.equal(0n);

    // Events: one EdgeDropped per dropped child (in index order) with its slashed bond.
    const droppedLogs = await publicClient.getContractEvents({
      address: f.graph.address,
      abi: f.graph.abi,
      eventName: "EdgeDropped",
      fromBlock: receipt.blockNumber,
      toBlock: receipt.blockNumber,
    });
    expect(droppedLogs.map((l) => [l.args.child, l.args.slashedBond])).to.deep.equal(
      [...dropped].sort((a, b) => a - b).map((i) => [childId(i), proposed(i) ? BOND : 0n]),
    );
    const summary = await publicClient.getContractEvents({
      address: f.graph.address,
      abi: f.graph.abi,
      eventName: "EdgesSettled",
      fromBlock: receipt.blockNumber,
      toBlock: receipt.blockNumber,
    });
    expect(summary[0].args).to.deep.equal({
      parent: SEED_A,
      kept: BigInt(MAX_FUNDED_CHILDREN),
      dropped: BigInt(k - MAX_FUNDED_CHILDREN),
      returned,
      slashed,
      slashedAmount,
    });

    // Withdrawals move the owed bonds; then nothing is owed.
    for (const p of proposers) {
      const amount = owedBond.get(p)!;
      await expectTokenChanges(
        f.token,
        () =>
          viem.assertions.emitWithArgs(
            f.graph.write.withdrawBond([p], { account: p }),
            f.graph,
            "BondWithdrawn",
            [p, p, amount],
          ),
        [
          { address: p, amount },
          { address: f.graph.address, amount: -amount },
        ],
      );
      expect(await f.graph.read.owed([p])).to.equal(0n);
    }
    expect(await f.graph.read.bondsHeld()).to.equal(0n);
    expect(await f.token.read.balanceOf([f.graph.address])).to.equal(0n);

    // A dropped edge is not live: it may be proposed again, and lands at the end.
    const again = dropped[0];
    await mined(f.graph.write.proposeEdge([SEED_A, childId(again)], { account: f.bob.account }));
    const [after] = await f.graph.read.children([SEED_A]);
    expect(after.length).to.equal(MAX_FUNDED_CHILDREN + 1);
    expect(after[MAX_FUNDED_CHILDREN]).to.equal(childId(again));
    expect(await statusOf(f.graph, SEED_A, childId(again))).to.equal(EdgeStatus.Proposed);
  });

  it("settleEdges: the cut falls on equal weights by index; funded edges beyond it are just dropped", async () => {
    const f = await loadFixture(manyNodesFixture);
    const k = 130;
    // All equal: children 128 and 129 (one proposed, one added) fall below the cut.
    await addChildren(f, SEED_A, k, (i) => i === 129 || i === 3);
    const weights = Array.from({ length: k }, () => ONE);
    const fundBefore = await f.jury.read.juryFund();
    const { returned, slashed } = await settle(f, SEED_A, weights);
    expect([returned, slashed]).to.deep.equal([1n, 1n]);
    expect(await statusOf(f.graph, SEED_A, childId(128))).to.equal(EdgeStatus.Dropped);
    expect(await statusOf(f.graph, SEED_A, childId(129))).to.equal(EdgeStatus.Dropped);
    expect(await statusOf(f.graph, SEED_A, childId(3))).to.equal(EdgeStatus.Funded);
    expect(await f.jury.read.juryFund()).to.equal(fundBefore + BOND);
    expect((await f.graph.read.children([SEED_A]))[0]).to.deep.equal(
      Array.from({ length: 128 }, (_, i) => childId(i)),
    );
    // The registrar may add a dropped edge back (Funded, no bond).
    await mined(f.graph.write.addEdge([SEED_A, childId(129)], { account: f.registrar.account }));
    expect(await f.graph.read.edge([SEED_A, childId(129)])).to.deep.equal({
      status: EdgeStatus.Funded,
      proposer: zeroAddress,
      bond: 0n,
    });
  });

  it("settleEdges: settles the first m children only; later ones keep their status, bond and place", async () => {
    const f = await loadFixture(manyNodesFixture);
    // 129 children fixed by a round (child-5 proposed), then two more proposed and one added.
    await addChildren(f, SEED_A, 132, (i) => i === 5 || i === 129 || i === 131);
    const m = 129;
    // The round's weights: child-0 is the lightest, so it is the one dropped.
    const weights = Array.from({ length: m }, (_, i) => (i === 0 ? 1n : ONE));
    const fundBefore = await f.jury.read.juryFund();
    const heldBefore = await f.graph.read.bondsHeld();
    const { returned, slashed } = await settle(f, SEED_A, weights);
    expect([returned, slashed]).to.deep.equal([1n, 0n]);
    expect(await statusOf(f.graph, SEED_A, childId(0))).to.equal(EdgeStatus.Dropped);
    expect(await statusOf(f.graph, SEED_A, childId(5))).to.equal(EdgeStatus.Funded);
    // The later children were not settled: still live, in order, with their statuses and bonds.
    const [ids, statuses] = await f.graph.read.children([SEED_A]);
    expect(ids).to.deep.equal(Array.from({ length: 131 }, (_, i) => childId(i + 1)));
    expect(statuses.slice(-3)).to.deep.equal([
      EdgeStatus.Proposed,
      EdgeStatus.Funded,
      EdgeStatus.Proposed,
    ]);
    expect((await f.graph.read.edge([SEED_A, childId(129)])).bond).to.equal(BOND);
    expect(await f.graph.read.bondsHeld()).to.equal(heldBefore);
    expect(await f.jury.read.juryFund()).to.equal(fundBefore);
    // A later settlement of everything sees the moved proposals: child-129 and child-131 (now at
    // positions 128 and 130) are ranked last and dropped, their bonds slashed.
    const all = Array.from({ length: 131 }, (_, i) => (i >= 128 ? 0n : ONE));
    const second = await settle(f, SEED_A, all);
    expect([second.returned, second.slashed]).to.deep.equal([0n, 2n]);
    expect(await statusOf(f.graph, SEED_A, childId(129))).to.equal(EdgeStatus.Dropped);
    expect(await statusOf(f.graph, SEED_A, childId(131))).to.equal(EdgeStatus.Dropped);
    expect(await f.jury.read.juryFund()).to.equal(fundBefore + 2n * BOND);
    expect(await f.graph.read.bondsHeld()).to.equal(heldBefore - 2n * BOND);
  });

  it("settleEdges: a removed seed's children can still be settled; no new edges under it", async () => {
    const f = await loadFixture(graphFixture);
    await addChildren(f, SEED_B, 3, () => true);
    await mined(f.graph.write.removeSeed([SEED_B], { account: f.registrar.account }));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.graph.write.proposeEdge([SEED_B, childId(4)], { account: f.alice.account }),
      f.graph,
      "NotASeed",
      [SEED_B],
    );
    expect((await f.graph.read.children([SEED_B]))[0].length).to.equal(3);
    const { returned } = await settle(f, SEED_B, [ONE, ONE, ONE]);
    expect(returned).to.equal(3n);
    // Re-adding the seed brings its children back.
    await mined(f.graph.write.addSeed([SEED_B], { account: f.registrar.account }));
    expect((await f.graph.read.children([SEED_B]))[1]).to.deep.equal([
      EdgeStatus.Funded,
      EdgeStatus.Funded,
      EdgeStatus.Funded,
    ]);
  });

  it("withdrawBond: nothing owed and a zero recipient revert; pays to another address", async () => {
    const f = await loadFixture(graphFixture);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.graph.write.withdrawBond([f.alice.account.address], { account: f.alice.account }),
      f.graph,
      "NothingOwed",
      [getAddress(f.alice.account.address)],
    );
    await addChildren(f, SEED_A, 1, () => true);
    // Proposed but not yet settled: still nothing owed.
    await viem.assertions.revertWithCustomError(
      f.graph.write.withdrawBond([f.alice.account.address], { account: f.alice.account }),
      f.graph,
      "NothingOwed",
    );
    await settle(f, SEED_A, [0n]);
    await viem.assertions.revertWithCustomError(
      f.graph.write.withdrawBond([zeroAddress], { account: f.alice.account }),
      f.graph,
      "ZeroAddress",
    );
    const to = f.outsider.account.address;
    await expectTokenChanges(
      f.token,
      () => f.graph.write.withdrawBond([to], { account: f.alice.account }),
      [
        { address: to, amount: BOND },
        { address: f.alice.account.address, amount: 0n },
      ],
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Gas
// ------------------------------------------------------------------------------------------------

describe("DependencyGraph: gas", () => {
  it("proposeEdge; settleEdges at k = 10, k = 200 (one third proposed), k = 256 (all proposed)", async () => {
    const f = await loadFixture(manyNodesFixture);
    // A proposal to a parent that already has children, by a proposer who proposed before.
    await addChildren(f, SEED_A, 9, (i) => i % 3 === 1);
    const propose = await mined(
      f.graph.write.proposeEdge([SEED_A, childId(9)], { account: f.alice.account }),
    );
    const small = await settle(
      f,
      SEED_A,
      Array.from({ length: 10 }, (_, i) => BigInt(i) * ONE),
    );
    await addChildren(f, SEED_B, 200, (i) => i % 3 === 1);
    const rng = new Rng(7n);
    const big = await settle(
      f,
      SEED_B,
      Array.from({ length: 200 }, () => rng.range(0n, 1000n) * 10n ** 15n),
    );
    // The worst case: 256 children, all proposed, 128 slashed.
    await mined(f.graph.write.addSeed([LONER], { account: f.registrar.account }));
    await addChildren(f, LONER, MAX_CHILDREN, () => true);
    const full = await settle(
      f,
      LONER,
      Array.from({ length: MAX_CHILDREN }, () => rng.range(0n, 1000n) * 10n ** 15n),
    );
    console.log(
      `      gas: proposeEdge ${propose.gasUsed}, settleEdges k=10 ${small.receipt.gasUsed}, ` +
        `k=200 ${big.receipt.gasUsed} (${big.returned} returned, ${big.slashed} slashed), ` +
        `k=256 all proposed ${full.receipt.gasUsed}`,
    );
    expect([full.returned, full.slashed]).to.deep.equal([128n, 128n]);
    expect(propose.gasUsed < 200_000n).to.equal(true);
    expect(small.receipt.gasUsed < 300_000n).to.equal(true);
    expect(big.receipt.gasUsed < 3_000_000n).to.equal(true);
    expect(full.receipt.gasUsed < 5_000_000n).to.equal(true);
  });
});
