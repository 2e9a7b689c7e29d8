/**
 * Deep Funding tasks: argument errors of `df:import`, `df:propose` and `df:claim` (one line,
 * exit code 1, nothing sent), and the chain work on contracts deployed by the DeepFunding
 * Ignition module: importing the real data (twice), proposing an edge with a bond, claiming.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "mocha";
import { parseEther, type Hex } from "viem";

import DeepFundingModule, { DEFAULT_EDGE_BOND } from "../ignition/modules/DeepFunding.js";
import {
  DATA_FILES,
  DEFAULT_DATA_DIR,
  WAD,
  graphStats,
  nodeId,
  readDependencyWeights,
  readSeedList,
} from "../src/graph.js";
import { UsageError } from "../tasks/common.js";
import {
  claimNodes,
  importGraph,
  parseNode,
  placeholderPayout,
  planImport,
  proposeEdge,
  registeredNodes,
} from "../tasks/deepfunding.js";
import { runTaskQuietly as runTask } from "./helpers/tasks.js";

const dir = mkdtempSync(path.join(tmpdir(), "df-tasks-"));

function file(name: string, body: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, body);
  return f;
}

const NO_CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function realData() {
  return {
    seeds: readSeedList(path.join(DEFAULT_DATA_DIR, DATA_FILES.seeds)),
    dependencies: readDependencyWeights(path.join(DEFAULT_DATA_DIR, DATA_FILES.weights)),
  };
}

async function deployFixture() {
  const conn = await network.create();
  const deployed = await conn.ignition.deploy(DeepFundingModule, { displayUi: false });
  const wallets = await conn.viem.getWalletClients();
  return { conn, ...deployed, wallets };
}

describe("df tasks", () => {
  it("df tasks: bad arguments exit 1 with one line, before any transaction", async () => {
    const badJson = file("bad.json", "{");
    const badCsv = file("bad.csv", "repo_url,dep_url,user_weight\na,b,2\n");
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["df:import", { seeds: path.join(dir, "missing.json") }, /--seeds: no such file/],
      ["df:import", { weights: path.join(dir, "missing.csv") }, /--weights: no such file/],
      ["df:import", { seeds: badJson }, /bad\.json: invalid JSON/],
      ["df:import", { weights: badCsv }, /bad\.csv: line 2: user_weight: must be in \[0, 1\]/],
      ["df:import", { limitSeeds: "0" }, /--limit-seeds must be a positive whole number/],
      ["df:import", { limitSeeds: "x" }, /--limit-seeds must be a positive whole number/],
      ["df:import", { payout: "0x12" }, /--payout must be an address/],
      ["df:import", { graph: "nope" }, /--graph must be an address/],
      ["df:import", { graph: NO_CONTRACT }, /no contract at/],
      ["df:propose", { child: "https://github.com/a/b" }, /--parent URL\|0xID is required/],
      ["df:propose", { parent: "https://github.com/a/b" }, /--child URL\|0xID is required/],
      ["df:propose", { parent: "0x12", child: "x" }, /--parent must be a URL or a 32-byte id/],
      ["df:propose", { parent: "a", child: "b", account: "-1" }, /--graph|no Ignition|--account/],
      ["df:claim", {}, /exactly one of --node URL\|0xID and --all/],
      ["df:claim", { node: "a", all: true }, /exactly one of/],
      ["df:claim", { all: true, pot: "0x1" }, /--pot must be an address/],
      ["df:claim", { all: true, pot: NO_CONTRACT }, /no contract at/],
    ];
    for (const [name, args, message] of cases) {
      const { code, stderr } = await runTask(name, args);
      expect(code, `${name} ${JSON.stringify(args)}`).to.equal(1);
      expect(stderr, `${name} ${JSON.stringify(args)}`).to.match(message);
      expect(stderr.split("\n").length).to.equal(1);
    }
  });

  it("parseNode: takes a 32-byte id as it is and hashes a name", () => {
    const id = nodeId("https://github.com/ethereum/eips");
    expect(parseNode(id, "node").id).to.equal(id);
    expect(parseNode("https://github.com/Ethereum/EIPs", "node")).to.deep.equal({
      id,
      label: "Ethereum/EIPs",
    });
    expect(() => parseNode("0xabc", "node")).to.throw(UsageError, /32-byte id/);
  });

  it("planImport: seeds, the edges under them, and the other nodes of the weights file", () => {
    const data = realData();
    const stats = graphStats(data.dependencies);
    const plan = planImport(data);
    const seedKeys = new Set(data.seeds.map((s) => s.toLowerCase()));
    const underSeeds = [...data.dependencies.parents].filter(([p]) =>
      seedKeys.has(p.toLowerCase()),
    );
    const edgesUnderSeeds = underSeeds.reduce((n, [, list]) => n + list.length, 0);
    expect(plan.seeds).to.have.length(data.seeds.length);
    expect(plan.edges).to.have.length(edgesUnderSeeds);
    expect(plan.edges.length + plan.skipped.length).to.equal(stats.edges);
    const all = new Set([...seedKeys]);
    for (const [p, list] of data.dependencies.parents) {
      all.add(p.toLowerCase());
      for (const { child } of list) all.add(child.toLowerCase());
    }
    expect(plan.nodes).to.have.length(all.size);

    const limited = planImport(data, 2);
    expect(limited.seeds).to.deep.equal(data.seeds.slice(0, 2));
    for (const { parent } of limited.edges) {
      expect(limited.seeds.map((s) => s.toLowerCase())).to.include(parent.toLowerCase());
    }
  });

  it("importGraph: imports the real data once; a second run adds nothing", async function () {
    this.timeout(300_000);
    const { conn, graph } = await deployFixture();
    const data = realData();
    const plan = planImport(data);
    const first = await importGraph(conn, graph, data);
    expect(first).to.deep.equal({
      nodes: { added: plan.nodes.length, present: 0 },
      seeds: { added: data.seeds.length, present: 0 },
      edges: { added: plan.edges.length, present: 0, skipped: plan.skipped.length },
    });
    expect(await graph.read.nodeCount()).to.equal(BigInt(plan.nodes.length));
    expect(await graph.read.seeds()).to.deep.equal(data.seeds.map((s) => nodeId(s)));
    let children = 0n;
    for (const seed of data.seeds) children += await graph.read.childCount([nodeId(seed)]);
    expect(children).to.equal(BigInt(plan.edges.length));
    const seed = data.seeds[0];
    const [payout, metadata, registered] = await graph.read.nodeInfo([nodeId(seed)]);
    expect([payout, metadata, registered]).to.deep.equal([
      placeholderPayout(nodeId(seed)),
      seed,
      true,
    ]);

    const second = await importGraph(conn, graph, data);
    expect(second).to.deep.equal({
      nodes: { added: 0, present: plan.nodes.length },
      seeds: { added: 0, present: data.seeds.length },
      edges: { added: 0, present: plan.edges.length, skipped: plan.skipped.length },
    });
    expect(await graph.read.nodeCount()).to.equal(BigInt(plan.nodes.length));
  });

  it("proposeEdge and claimNodes: a bonded proposal, then claims after a settlement", async function () {
    this.timeout(120_000);
    const { conn, graph, pot, token, wallets } = await deployFixture();
    const [seedA, seedB, other] = [
      "https://github.com/a/seed-a",
      "https://github.com/b/seed-b",
      "https://github.com/c/other",
    ];
    const proposer = wallets[1];
    const summary = await importGraph(
      conn,
      graph,
      {
        seeds: [seedA, seedB],
        dependencies: {
          source: "test",
          header: "repo_url,dep_url,user_weight",
          parents: new Map([[seedA, [{ parent: seedA, child: other, weight: 1, line: 2 }]]]),
        },
      },
      { payout: proposer.account.address },
    );
    expect(summary.edges.added).to.equal(1);

    const node = (name: string) => ({ id: nodeId(name), label: name });
    await token.write.mint([proposer.account.address, parseEther("100")]);
    const bond = await proposeEdge(conn, graph, node(seedB), node(other), proposer);
    expect(bond).to.equal(DEFAULT_EDGE_BOND);
    expect(await graph.read.bondsHeld()).to.equal(DEFAULT_EDGE_BOND);
    expect((await graph.read.edge([nodeId(seedB), nodeId(other)])).status).to.equal(1);
    const refused: [
      Parameters<typeof proposeEdge>[2],
      Parameters<typeof proposeEdge>[3],
      RegExp,
    ][] = [
      [node(seedB), node("https://github.com/x/unknown"), /unknown node/],
      [node(other), node(seedA), /is not a seed/],
      [node(seedB), node(other), /already live \(Proposed\)/],
      [node(seedA), node(other), /already live \(Funded\)/],
    ];
    for (const [parent, child, message] of refused) {
      const error = await proposeEdge(conn, graph, parent, child, proposer).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(UsageError);
      expect((error as Error).message).to.match(message);
    }
    expect(await graph.read.bondsHeld()).to.equal(DEFAULT_EDGE_BOND);

    // A round in which both seeds keep everything (originality 1).
    const [admin] = wallets;
    const potAmount = parseEther("30");
    await token.write.mint([admin.account.address, potAmount]);
    await token.write.approve([pot.address, potAmount]);
    await pot.write.fund([1n, potAmount]);
    const ids = [nodeId(seedA), nodeId(seedB)].sort() as Hex[];
    await pot.write.beginSettlement([1n, ids, [2n * WAD, WAD], [WAD, WAD]]);
    const owedA = await pot.read.owed([nodeId(seedA)]);
    const owedB = await pot.read.owed([nodeId(seedB)]);
    expect(owedA + owedB).to.equal(potAmount);

    const before = await token.read.balanceOf([proposer.account.address]);
    const one = await claimNodes(conn, pot, graph, [nodeId(seedA)], admin);
    expect(one.map((c) => c.amount)).to.deep.equal([owedA]);
    const all = await claimNodes(conn, pot, graph, await registeredNodes(graph), admin);
    expect(all.map((c) => [c.node, c.amount])).to.deep.equal([[nodeId(seedB), owedB]]);
    expect(await claimNodes(conn, pot, graph, await registeredNodes(graph), admin)).to.deep.equal(
      [],
    );
    expect(await token.read.balanceOf([proposer.account.address])).to.equal(before + potAmount);
    expect(await pot.read.totalOwed()).to.equal(0n);
  });
});
