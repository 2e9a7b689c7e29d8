import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "mocha";
import { getAddress, zeroAddress, type Address } from "viem";

import {
  certificate,
  fitHuber,
  huberGradient,
  madDelta,
  readJurorPairs,
  toWad,
} from "../src/huber.js";
import {
  advanceAndDraw,
  advanceToReveal,
  ballotCommitment,
  commitBallot,
  huberCertificate,
  newSalt,
  packPair,
  revealBallot,
  unpackPair,
  type Rating,
} from "../src/juryChain.js";
import { fundWallet, labelAddress } from "../src/qfChain.js";
import { Rng } from "./helpers/rng.js";
import { expectTokenChanges } from "./helpers/balances.js";
import {
  FEE,
  ONE,
  STAKE,
  Status,
  commitAndReveal,
  create,
  createJuryFixture,
  pairBallots,
  pairParams,
  question,
  scoreBallots,
  scoreParams,
} from "./helpers/juryFixture.js";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const { loadFixture, mine, time } = networkHelpers;
const juryFixture = createJuryFixture(connection);

const TRIANGLE: Rating[] = [
  { a: 0, b: 1, choice: 2, multiplier: 200 },
  { a: 0, b: 2, choice: 2, multiplier: 400 },
  { a: 1, b: 2, choice: 2, multiplier: 200 },
];

describe("Jury: registry and stakes", () => {
  it("addJuror / removeJuror: admin only, no duplicates, swap-and-pop removal", async () => {
    const { jury, jurors, outsider } = await loadFixture(juryFixture);
    expect((await jury.read.jurors()).length).to.equal(7);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.addJuror([jurors[0]]),
      jury,
      "JurorAlreadyRegistered",
      [getAddress(jurors[0])],
    );
    await viem.assertions.revertWithCustomError(
      jury.write.addJuror([zeroAddress]),
      jury,
      "ZeroAddress",
    );
    await viem.assertions.revertWithCustomError(
      jury.write.addJuror([outsider.account.address], { account: outsider.account }),
      jury,
      "AccessControlUnauthorizedAccount",
    );
    await viem.assertions.emitWithArgs(jury.write.removeJuror([jurors[0]]), jury, "JurorRemoved", [
      getAddress(jurors[0]),
    ]);
    expect(await jury.read.isJuror([jurors[0]])).to.equal(false);
    const left = await jury.read.jurors();
    expect(left.length).to.equal(6);
    expect(left[0]).to.equal(getAddress(jurors[6]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.removeJuror([jurors[0]]),
      jury,
      "JurorNotRegistered",
      [getAddress(jurors[0])],
    );
  });

  it("stake / unstake: moves tokens, rejects zero and locked stake", async () => {
    const { jury, token, jurors } = await loadFixture(juryFixture);
    const j = jurors[0];
    await viem.assertions.revertWithCustomError(
      jury.write.stake([0n], { account: j }),
      jury,
      "ZeroAmount",
    );
    await expectTokenChanges(token, () => jury.write.unstake([ONE], { account: j }), [
      { address: j, amount: ONE },
      { address: jury.address, amount: -ONE },
    ]);
    expect(await jury.read.stakeOf([j])).to.deep.equal([STAKE - ONE, 0n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.unstake([STAKE], { account: j }),
      jury,
      "InsufficientFreeStake",
      [STAKE - ONE, STAKE],
    );
    await viem.assertions.revertWithCustomError(
      jury.write.unstake([0n], { account: j }),
      jury,
      "ZeroAmount",
    );
  });

  it("stake / fundJury: reject a token that delivers less than asked", async () => {
    const [admin] = await viem.getWalletClients();
    const fot = await viem.deployContract("FeeOnTransferToken", [100n]);
    const jury = await viem.deployContract("Jury", [
      fot.address,
      zeroAddress,
      admin.account.address,
      admin.account.address,
    ]);
    await fot.write.mint([admin.account.address, 1_000n * ONE]);
    await fot.write.approve([jury.address, 1_000n * ONE]);
    await viem.assertions.revertWithCustomError(jury.write.stake([ONE]), jury, "DeliveredLess");
    await viem.assertions.revertWithCustomError(jury.write.fundJury([ONE]), jury, "DeliveredLess");
  });

  it("constructor: rejects a zero admin and a token without code", async () => {
    const [admin] = await viem.getWalletClients();
    const token = await viem.deployContract("TestToken", ["T", "T", 18]);
    const me = admin.account.address;
    await assert.rejects(
      viem.deployContract("Jury", [me, zeroAddress, me, zeroAddress]),
      /TokenHasNoCode/,
    );
    await assert.rejects(
      viem.deployContract("Jury", [token.address, zeroAddress, zeroAddress, zeroAddress]),
      /ZeroAddress/,
    );
  });
});

describe("Jury: creating evaluations", () => {
  it("createEvaluation: takes the fee, schedules the draw, emits", async () => {
    const { jury, token, admin } = await loadFixture(juryFixture);
    await jury.write.fundJury([5n * ONE]);
    const id = await jury.read.evaluationCount();
    await expectTokenChanges(
      token,
      () => jury.write.createEvaluation([scoreParams({ feeFromFund: 2n * ONE })]),
      [{ address: admin.account.address, amount: -FEE }],
    );
    const info = await jury.read.evaluation([id]);
    const block = await (await viem.getPublicClient()).getBlockNumber();
    expect(info.status).to.equal(Status.Pending);
    expect(info.drawBlock).to.equal(block + 1n);
    expect(info.creator).to.equal(getAddress(admin.account.address));
    expect(await jury.read.juryFund()).to.equal(3n * ONE);
  });

  it("createEvaluation: every bad parameter is named", async () => {
    const { jury, vault, outsider } = await loadFixture(juryFixture);
    const cases: [Parameters<typeof scoreParams>[0], string][] = [
      [{ items: 1 }, "items"],
      [{ panelSize: 0 }, "panelSize"],
      [{ panelSize: 65 }, "panelSize"],
      [{ commitDuration: 0 }, "commitDuration"],
      [{ revealDuration: 0 }, "revealDuration"],
      [{ revealDuration: 366 * 86_400 }, "revealDuration"],
      [{ triangle: true }, "triangle"],
      [{ questionId: question("unprepared") }, "questionId"],
    ];
    for (const [overrides, field] of cases) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        jury.write.createEvaluation([scoreParams(overrides)]),
        jury,
        "InvalidParams",
        [field],
      );
    }
    const pairCases: [number, Parameters<typeof pairParams>[1], string][] = [
      [1, {}, "items"],
      [257, {}, "items"],
      [4, { triangle: true }, "triangle"],
      [4, { deltaWad: 0n }, "deltaWad"],
      [4, { toleranceWad: 0n }, "toleranceWad"],
      [4, { toleranceWad: 10n ** 9n + 1n }, "toleranceWad"],
      [4, { toleranceWad: 8191n }, "toleranceWad"],
    ];
    for (const [items, overrides, field] of pairCases) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        jury.write.createEvaluation([pairParams(items, overrides)]),
        jury,
        "InvalidParams",
        [field],
      );
    }
    // A condition with the wrong slot count, or already resolved, is refused too.
    await vault.write.prepareCondition([jury.address, question("two"), 2n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.createEvaluation([pairParams(3, { questionId: question("two") })]),
      jury,
      "InvalidParams",
      ["questionId"],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.createEvaluation([scoreParams({ feeFromFund: 1n })]),
      jury,
      "InsufficientJuryFund",
      [0n, 1n],
    );
    await viem.assertions.revertWithCustomError(
      jury.write.createEvaluation([scoreParams()], { account: outsider.account }),
      jury,
      "AccessControlUnauthorizedAccount",
    );
  });

  it("cancelEvaluation: refunds the creator and the fund before the draw only", async () => {
    const { connection: conn, jury, token, admin } = await loadFixture(juryFixture);
    await jury.write.fundJury([ONE]);
    const id = await create(jury, scoreParams({ feeFromFund: ONE }));
    await viem.assertions.emitWithArgs(
      jury.write.cancelEvaluation([id]),
      jury,
      "EvaluationCancelled",
      [id],
    );
    expect(await jury.read.owed([admin.account.address])).to.equal(FEE);
    expect(await jury.read.juryFund()).to.equal(ONE);
    await expectTokenChanges(token, () => jury.write.withdraw([admin.account.address]), [
      { address: admin.account.address, amount: FEE },
    ]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.cancelEvaluation([id]),
      jury,
      "WrongStatus",
      [id, Status.Cancelled],
    );
    const drawn = await create(jury, scoreParams());
    await advanceAndDraw(conn, jury, drawn);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.cancelEvaluation([drawn]),
      jury,
      "WrongStatus",
      [drawn, Status.Drawn],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.cancelEvaluation([99n]),
      jury,
      "UnknownEvaluation",
      [99n],
    );
  });
});

describe("Jury: drawing panels", () => {
  it("drawPanel: too early, then a panel of distinct eligible jurors with locked stakes", async () => {
    const { connection: conn, jury, jurors } = await loadFixture(juryFixture);
    const id = await create(jury, scoreParams({ panelSize: 5 }));
    const { drawBlock } = await jury.read.evaluation([id]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.drawPanel([id]),
      jury,
      "DrawTooEarly",
      [id, drawBlock],
    );
    const panel = await advanceAndDraw(conn, jury, id);
    expect(new Set(panel).size).to.equal(5);
    for (const p of panel) {
      expect(jurors.map((j) => getAddress(j))).to.include(p);
      expect(await jury.read.stakeOf([p])).to.deep.equal([STAKE, STAKE / 2n]);
    }
    const info = await jury.read.evaluation([id]);
    expect(info.status).to.equal(Status.Drawn);
    expect(info.revealEnd - info.commitEnd).to.equal(3_600n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.drawPanel([id]),
      jury,
      "WrongStatus",
      [id, Status.Drawn],
    );
  });

  it("drawPanel: the panel depends on the draw block's hash", async () => {
    const { connection: conn, jury } = await loadFixture(juryFixture);
    const panels = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const id = await create(jury, scoreParams({ panelSize: 3, minStake: 0n }));
      await mine(i + 1);
      panels.add((await advanceAndDraw(conn, jury, id)).join());
    }
    expect(panels.size).to.be.greaterThan(1);
  });

  it("drawPanel: skips jurors staked below the minimum; locks what is free; NotEnoughJurors", async () => {
    const { connection: conn, jury, jurors } = await loadFixture(juryFixture);
    for (const j of jurors.slice(0, 4)) await jury.write.unstake([STAKE], { account: j });
    const staked = jurors.slice(4).map((j) => getAddress(j));
    const ids = [];
    for (let k = 0; k < 3; k++) ids.push(await create(jury, scoreParams({ panelSize: 3 })));
    for (const id of ids) {
      const panel = await advanceAndDraw(conn, jury, id);
      expect([...panel].sort()).to.deep.equal([...staked].sort());
    }
    // Two panels lock half of each stake each; the third finds nothing free to lock.
    for (const j of staked) expect(await jury.read.stakeOf([j])).to.deep.equal([STAKE, STAKE]);
    for (const j of staked) expect((await jury.read.ballotOf([ids[2], j]))[0]).to.equal(1);
    const fourth = await create(jury, scoreParams({ panelSize: 4 }));
    await mine(2);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.drawPanel([fourth]),
      jury,
      "NotEnoughJurors",
      [3n, 4n],
    );
  });

  it("drawPanel: eligibility is as of the draw block; later stakes, unstakes and joins do not count", async () => {
    const { connection: conn, jury, jurors, outsider } = await loadFixture(juryFixture);
    const id = await create(jury, scoreParams({ panelSize: 7 }));
    await mine(3); // past the draw block: its hash, the seed, is now known
    await jury.write.unstake([STAKE], { account: jurors[0] });
    await jury.write.addJuror([outsider.account.address]);
    await jury.write.stake([STAKE], { account: outsider.account });
    const panel = await advanceAndDraw(conn, jury, id);
    // The juror who left after the draw block is still drawn (with nothing left to lock), and
    // the one who joined after it is not.
    expect(panel).to.include(getAddress(jurors[0]));
    expect(panel).to.not.include(getAddress(outsider.account.address));
    expect(await jury.read.stakeOf([jurors[0]])).to.deep.equal([0n, 0n]);
    const late = await create(jury, scoreParams({ panelSize: 8, minStake: 0n }));
    await mine(2);
    await jury.write.drawPanel([late]);
    expect((await jury.read.panelOf([late])).length).to.equal(8);
  });

  it("drawPanel: a draw block older than 256 blocks is rescheduled, then drawn", async () => {
    const { jury } = await loadFixture(juryFixture);
    const id = await create(jury, scoreParams());
    await mine(300);
    await viem.assertions.emit(jury.write.drawPanel([id]), jury, "DrawRescheduled");
    expect((await jury.read.evaluation([id])).status).to.equal(Status.Pending);
    await mine(1);
    await jury.write.drawPanel([id]);
    expect((await jury.read.panelOf([id])).length).to.equal(3);
  });
});

describe("Jury: commit and reveal", () => {
  it("commit: panel only, once, before the commit window closes", async () => {
    const { connection: conn, jury, outsider } = await loadFixture(juryFixture);
    const id = await create(jury, scoreParams());
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.commit([id, newSalt()]),
      jury,
      "WrongStatus",
      [id, Status.Pending],
    );
    const panel = await advanceAndDraw(conn, jury, id);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.commit([id, newSalt()], { account: outsider.account }),
      jury,
      "NotOnPanel",
      [id, getAddress(outsider.account.address)],
    );
    await jury.write.commit([id, newSalt()], { account: panel[0] });
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.commit([id, newSalt()], { account: panel[0] }),
      jury,
      "AlreadyCommitted",
      [id, panel[0]],
    );
    const { commitEnd } = await jury.read.evaluation([id]);
    await time.increaseTo(commitEnd);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.commit([id, newSalt()], { account: panel[1] }),
      jury,
      "CommitClosed",
      [id, commitEnd],
    );
  });

  it("revealScore: window, commitment, range and double reveals", async () => {
    const { connection: conn, jury } = await loadFixture(juryFixture);
    const id = await create(jury, scoreParams());
    const panel = await advanceAndDraw(conn, jury, id);
    const [good, tooBig, never] = scoreBallots(jury, id, [
      [panel[0], ONE / 3n],
      [panel[1], ONE + 1n],
      [panel[2], 5n],
    ]);
    await commitBallot(jury, good);
    await commitBallot(jury, tooBig);
    const { commitEnd, revealEnd } = await jury.read.evaluation([id]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      revealBallot(jury, good),
      jury,
      "RevealNotOpen",
      [id, commitEnd],
    );
    await advanceToReveal(conn, jury, id);
    await viem.assertions.revertWithCustomErrorWithArgs(
      revealBallot(jury, never),
      jury,
      "NotCommitted",
      [id, panel[2]],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      revealBallot(jury, { ...good, scoreWad: ONE / 2n }),
      jury,
      "CommitmentMismatch",
      [id, panel[0]],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      revealBallot(jury, { ...good, salt: newSalt() }),
      jury,
      "CommitmentMismatch",
      [id, panel[0]],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      revealBallot(jury, tooBig),
      jury,
      "ScoreOutOfRange",
      [ONE + 1n],
    );
    await viem.assertions.revertWithCustomError(
      jury.write.revealPairs([id, TRIANGLE, good.salt], { account: panel[0] }),
      jury,
      "WrongKind",
    );
    await viem.assertions.emitWithArgs(revealBallot(jury, good), jury, "ScoreRevealed", [
      id,
      panel[0],
      ONE / 3n,
    ]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      revealBallot(jury, good),
      jury,
      "AlreadyRevealed",
      [id, panel[0]],
    );
    await time.increaseTo(revealEnd);
    await viem.assertions.revertWithCustomErrorWithArgs(
      revealBallot(jury, good),
      jury,
      "RevealClosed",
      [id, revealEnd],
    );
  });

  it("revealPairs: each malformed comparison is named", async () => {
    const { connection: conn, jury } = await loadFixture(juryFixture);
    const id = await create(jury, pairParams(4, { panelSize: 7 }));
    const panel = await advanceAndDraw(conn, jury, id);
    const ok: Rating = { a: 0, b: 1, choice: 1, multiplier: 150 };
    type RevealError = "EmptyReveal" | "UnknownItem" | "SameItem" | "BadChoice" | "BadMultiplier";
    const cases: [Rating[], RevealError, bigint[]][] = [
      [[], "EmptyReveal", []],
      [[ok, { a: 4, b: 1, choice: 1, multiplier: 150 }], "UnknownItem", [1n, 4n, 4n]],
      [[{ a: 2, b: 2, choice: 1, multiplier: 150 }], "SameItem", [0n, 2n]],
      [[{ a: 0, b: 1, choice: 3, multiplier: 150 }], "BadChoice", [0n, 3n]],
      [[{ a: 0, b: 1, choice: 0, multiplier: 150 }], "BadChoice", [0n, 0n]],
      [[{ a: 0, b: 1, choice: 1, multiplier: 99 }], "BadMultiplier", [0n, 99n]],
      [[{ a: 0, b: 1, choice: 2, multiplier: 99_901 }], "BadMultiplier", [0n, 99_901n]],
    ];
    const ballots = pairBallots(
      jury,
      id,
      cases.map(([pairs], i) => [panel[i], pairs]),
    );
    for (const b of ballots) await commitBallot(jury, b);
    await advanceToReveal(conn, jury, id);
    for (const [i, [, error, args]] of cases.entries()) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        revealBallot(jury, ballots[i]),
        jury,
        error,
        [...args] as [bigint, bigint],
      );
    }
    const tooMany = Array.from({ length: 257 }, () => ok);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.revealPairs([id, tooMany, newSalt()], { account: panel[0] }),
      jury,
      "TooManyComparisons",
      [257n, 256n],
    );
  });

  it("revealPairs: a triangle evaluation needs the three pairs once each", async () => {
    const { connection: conn, jury } = await loadFixture(juryFixture);
    const id = await create(jury, pairParams(3, { triangle: true }));
    const panel = await advanceAndDraw(conn, jury, id);
    const ballots = pairBallots(jury, id, [
      [panel[0], TRIANGLE.slice(0, 2)],
      [panel[1], [TRIANGLE[0], TRIANGLE[0], TRIANGLE[1]]],
      [panel[2], [TRIANGLE[2], TRIANGLE[0], { a: 2, b: 0, choice: 1, multiplier: 400 }]],
    ]);
    for (const b of ballots) await commitBallot(jury, b);
    await advanceToReveal(conn, jury, id);
    for (const b of ballots.slice(0, 2)) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        revealBallot(jury, b),
        jury,
        "TriangleIncomplete",
        [id, b.juror],
      );
    }
    await revealBallot(jury, ballots[2]);
    expect((await jury.read.evaluation([id])).comparisonCount).to.equal(3);
  });
});

describe("Jury: results and pay", () => {
  it("resolveScore: median of three, payouts (o, 1 - o), fee shared, vault resolved", async () => {
    const { connection: conn, jury, vault } = await loadFixture(juryFixture);
    const q = question("originality of seed 0");
    await vault.write.prepareCondition([jury.address, q, 2n]);
    const id = await create(jury, scoreParams({ questionId: q }));
    const scores = [ONE / 5n, (ONE * 9n) / 10n, ONE / 2n];
    const { panel } = await commitAndReveal(conn, jury, id, (p) =>
      scoreBallots(
        jury,
        id,
        p.map((j, i) => [j, scores[i]] as [Address, bigint]),
      ),
    );
    await viem.assertions.emitWithArgs(jury.write.resolveScore([id]), jury, "EvaluationResolved", [
      id,
      [ONE / 2n, ONE / 2n],
      [],
      FEE / 3n,
    ]);
    expect(await jury.read.resultOf([id])).to.deep.equal([ONE / 2n, ONE / 2n]);
    const conditionId = await vault.read.getConditionId([jury.address, q, 2n]);
    expect(await vault.read.isResolved([conditionId])).to.equal(true);
    expect(await vault.read.payoutNumerator([conditionId, 0n])).to.equal(ONE / 2n);
    for (const p of panel) {
      expect(await jury.read.owed([p])).to.equal(FEE / 3n);
      expect(await jury.read.stakeOf([p])).to.deep.equal([STAKE, 0n]);
    }
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.resolveScore([id]),
      jury,
      "WrongStatus",
      [id, Status.Resolved],
    );
  });

  it("resolveScore: even count takes the mean of the middle two; non-revealers are slashed", async () => {
    const { connection: conn, jury, token } = await loadFixture(juryFixture);
    const id = await create(jury, scoreParams({ panelSize: 5 }));
    const panel = await advanceAndDraw(conn, jury, id);
    const scores = [0n, ONE, ONE / 4n, ONE / 2n];
    const ballots = scoreBallots(
      jury,
      id,
      panel.slice(0, 4).map((j, i) => [j, scores[i]] as [Address, bigint]),
    );
    for (const b of ballots) await commitBallot(jury, b);
    await advanceToReveal(conn, jury, id);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.resolveScore([id]),
      jury,
      "RevealStillOpen",
      [id, (await jury.read.evaluation([id])).revealEnd],
    );
    for (const b of ballots) await revealBallot(jury, b);
    await advanceToReveal(conn, jury, id, true);
    await viem.assertions.emitWithArgs(jury.write.resolveScore([id]), jury, "StakeSlashed", [
      id,
      panel[4],
      STAKE / 2n,
    ]);
    expect(await jury.read.resultOf([id])).to.deep.equal([(3n * ONE) / 8n, (5n * ONE) / 8n]);
    // Fee 30 plus the slashed 50, shared by four: 20 each.
    expect(await jury.read.owed([panel[0]])).to.equal(20n * ONE);
    expect(await jury.read.owed([panel[4]])).to.equal(0n);
    expect(await jury.read.stakeOf([panel[4]])).to.deep.equal([STAKE / 2n, 0n]);
    await expectTokenChanges(token, () => jury.write.withdraw([panel[0]], { account: panel[0] }), [
      { address: panel[0], amount: 20n * ONE },
    ]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.withdraw([panel[0]], { account: panel[0] }),
      jury,
      "NothingOwed",
      [panel[0]],
    );
    await viem.assertions.revertWithCustomError(
      jury.write.withdraw([zeroAddress], { account: panel[1] }),
      jury,
      "ZeroAddress",
    );
  });

  it("resolveTriangle: a juror's wild ratio is rebuilt; consistent jurors give their logits", async () => {
    const { connection: conn, jury } = await loadFixture(juryFixture);
    const id = await create(jury, pairParams(3, { triangle: true }));
    const wild: Rating[] = [
      TRIANGLE[0],
      { a: 0, b: 2, choice: 1, multiplier: 50_000 },
      TRIANGLE[2],
    ];
    await commitAndReveal(conn, jury, id, (p) =>
      pairBallots(jury, id, [
        [p[0], TRIANGLE],
        [p[1], TRIANGLE],
        [p[2], wild],
      ]),
    );
    await viem.assertions.revertWithCustomError(jury.write.resolveScore([id]), jury, "WrongKind");
    await jury.write.resolveTriangle([id]);
    const w = await jury.read.resultOf([id]);
    expect(w.reduce((s, v) => s + v, 0n)).to.equal(ONE);
    // Weights 1 : 2 : 4.
    const expected = [1 / 7, 2 / 7, 4 / 7];
    for (let i = 0; i < 3; i++) expect(Number(w[i]) / 1e18).to.be.closeTo(expected[i], 1e-12);
  });

  it("failEvaluation: nobody revealed: stakes to the fund, fee back to the creator", async () => {
    const { connection: conn, jury, admin } = await loadFixture(juryFixture);
    await jury.write.fundJury([ONE]);
    const id = await create(jury, scoreParams({ feeFromFund: ONE }));
    const panel = await advanceAndDraw(conn, jury, id);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.failEvaluation([id]),
      jury,
      "RevealStillOpen",
      [id, (await jury.read.evaluation([id])).revealEnd],
    );
    await advanceToReveal(conn, jury, id, true);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.resolveScore([id]),
      jury,
      "NoReveals",
      [id],
    );
    await jury.write.failEvaluation([id]);
    expect(await jury.read.juryFund()).to.equal(ONE + 3n * (STAKE / 2n));
    expect(await jury.read.owed([admin.account.address])).to.equal(FEE);
    for (const p of panel) expect(await jury.read.stakeOf([p])).to.deep.equal([STAKE / 2n, 0n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.failEvaluation([id]),
      jury,
      "WrongStatus",
      [id, Status.Failed],
    );
  });

  it("failEvaluation: refused once someone revealed", async () => {
    const { connection: conn, jury } = await loadFixture(juryFixture);
    const id = await create(jury, scoreParams());
    await commitAndReveal(conn, jury, id, (p) => scoreBallots(jury, id, [[p[0], ONE]]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.failEvaluation([id]),
      jury,
      "HasReveals",
      [id, 1n],
    );
  });

  it("pairsCommitment: binds the jury, the evaluation, the juror, the values and the salt", async () => {
    const { jury, jurors } = await loadFixture(juryFixture);
    const base = {
      jury: jury.address,
      evaluationId: 0n,
      juror: jurors[0],
      salt: newSalt(),
      pairs: TRIANGLE,
    };
    const h = await ballotCommitment(jury, base);
    const variants = [
      { ...base, evaluationId: 1n },
      { ...base, juror: jurors[1] },
      { ...base, salt: newSalt() },
      { ...base, pairs: [{ ...TRIANGLE[0], multiplier: 201 }, TRIANGLE[1], TRIANGLE[2]] },
    ];
    for (const v of variants) expect(await ballotCommitment(jury, v)).to.not.equal(h);
  });
});

// ------------------------------------------------------------------------------------------------
// Huber certificates
// ------------------------------------------------------------------------------------------------

/** Random ratings of `items` items by `jurors` jurors around true logits; the last juror wild. */
function randomRatings(rng: Rng, items: number, jurors: number, each: number): Rating[][] {
  const truth = Array.from({ length: items }, () => rng.float() * 4 - 2);
  return Array.from({ length: jurors }, (_, j) =>
    Array.from({ length: each }, () => {
      const a = rng.int(items);
      const b = (a + 1 + rng.int(items - 1)) % items;
      const noise = j === jurors - 1 ? rng.float() * 8 - 4 : (rng.float() - 0.5) * 0.6;
      const y = truth[b] - truth[a] + noise;
      const m = Math.min(99_900, Math.max(100, Math.round(Math.exp(Math.abs(y)) * 100)));
      return { a, b, choice: y >= 0 ? 2 : 1, multiplier: m };
    }),
  );
}

describe("Jury: Huber certificates", () => {
  it("submitHuber: accepts the TypeScript optimum, weights sum to one unit, vault resolved", async () => {
    const { connection: conn, jury, vault } = await loadFixture(juryFixture);
    const q = question("weights of T's seeds");
    const items = 6;
    await vault.write.prepareCondition([jury.address, q, BigInt(items)]);
    const id = await create(jury, pairParams(items, { panelSize: 5, questionId: q }));
    const ratings = randomRatings(new Rng(41n), items, 5, 10);
    await commitAndReveal(conn, jury, id, (p) =>
      pairBallots(
        jury,
        id,
        p.map((j, i) => [j, ratings[i]] as [Address, Rating[]]),
      ),
    );
    const { packed, logits, pairs } = await huberCertificate(conn, jury, id);
    expect(pairs.length).to.equal(50);
    // The chain's y are ln(multiplier) to within a few wei.
    const flat = ratings.flat();
    for (const [k, p] of pairs.entries()) {
      const m = flat[k].multiplier / 100;
      expect(Number(p.y) / 1e18).to.be.closeTo(
        (flat[k].choice === 1 ? -1 : 1) * Math.log(m),
        1e-15,
      );
    }
    const tx = jury.write.submitHuber([id, packed, logits]);
    await viem.assertions.emit(tx, jury, "EvaluationResolved");
    const w = await jury.read.resultOf([id]);
    expect(w.reduce((s, v) => s + v, 0n)).to.equal(ONE);
    const fit = fitHuber(
      pairs.map((p) => ({ a: p.a, b: p.b, y: Number(p.y) / 1e18 })),
      items,
      1,
    );
    for (let i = 0; i < items; i++) expect(Number(w[i]) / 1e18).to.be.closeTo(fit.weights[i], 1e-7);
    const conditionId = await vault.read.getConditionId([jury.address, q, BigInt(items)]);
    for (let i = 0; i < items; i++) {
      expect(await vault.read.payoutNumerator([conditionId, BigInt(i)])).to.equal(w[i]);
    }
  });

  it("submitHuber: rejects tampered comparisons, bad logits and a perturbed optimum", async () => {
    const { connection: conn, jury } = await loadFixture(juryFixture);
    const items = 5;
    const id = await create(jury, pairParams(items, { panelSize: 4 }));
    const ratings = randomRatings(new Rng(7n), items, 4, 8);
    await commitAndReveal(
      conn,
      jury,
      id,
      (p) =>
        pairBallots(
          jury,
          id,
          p.map((j, i) => [j, ratings[i]] as [Address, Rating[]]),
        ),
      { closeReveal: false },
    );
    const { packed, logits } = await huberCertificate(conn, jury, id);
    const { revealEnd } = await jury.read.evaluation([id]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.submitHuber([id, packed, logits]),
      jury,
      "RevealStillOpen",
      [id, revealEnd],
    );
    await advanceToReveal(conn, jury, id, true);
    const tampered = [...packed];
    tampered[3] = packPair(0, 1, unpackPair(packed[3]).y + 1n);
    for (const words of [packed.slice(1), tampered]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        jury.write.submitHuber([id, words, logits]),
        jury,
        "ComparisonsMismatch",
        [id],
      );
    }
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.submitHuber([id, packed, logits.slice(1)]),
      jury,
      "WrongLogitCount",
      [4n, 5n],
    );
    const moved = [...logits];
    moved[2] += 10n ** 10n;
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.submitHuber([id, packed, moved]),
      jury,
      "LogitSumNotZero",
      [10n ** 10n],
    );
    const far = [10n ** 24n + 1n, -(10n ** 24n + 1n), 0n, 0n, 0n];
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.submitHuber([id, packed, far]),
      jury,
      "LogitOutOfRange",
      [0n, 10n ** 24n + 1n],
    );
    // Moved by 4x the tolerance and re-centred: item 2's gradient leaves the tolerance.
    const shifted = [...logits];
    shifted[2] += 4n * 10n ** 9n;
    shifted[0] -= 4n * 10n ** 9n;
    await viem.assertions.revertWithCustomError(
      jury.write.submitHuber([id, packed, shifted]),
      jury,
      "NotOptimal",
    );
    await jury.write.submitHuber([id, packed, logits]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.submitHuber([id, packed, logits]),
      jury,
      "WrongStatus",
      [id, Status.Resolved],
    );
  });

  it("huberGradient: equals the TypeScript mirror bit for bit; perturbed optima fail", async () => {
    const { jury } = await loadFixture(juryFixture);
    const rng = new Rng(2024n);
    const tolerance = 10n ** 9n;
    for (let trial = 0; trial < 12; trial++) {
      const items = 2 + rng.int(30);
      const m = 1 + rng.int(120);
      const delta = toWad(0.2 + rng.float() * 2);
      const pairs = Array.from({ length: m }, () => {
        const a = rng.int(items);
        const b = (a + 1 + rng.int(items - 1)) % items;
        return { a, b, y: toWad((rng.float() - 0.5) * 10) };
      });
      const packed = pairs.map((p) => packPair(p.a, p.b, p.y));
      const x = certificate(items, pairs, delta, { tolerance });
      const onchain = await jury.read.huberGradient([BigInt(items), packed, x, delta]);
      expect([...onchain]).to.deep.equal(huberGradient(items, pairs, x, delta));
      for (const g of onchain) expect((g < 0n ? -g : g) <= tolerance).to.equal(true);
      // Move each logit by 2x the tolerance (re-centred on another item): an item that has an
      // unclipped residual, or the ridge alone beyond tolerance / 1e-6, must then fail.
      for (let i = 0; i < items; i++) {
        const y = [...x];
        const eps = 2n * tolerance;
        y[i] += eps;
        y[(i + 1) % items] -= eps;
        const g = await jury.read.huberGradient([BigInt(items), packed, y, delta]);
        const worst = g.reduce((w, v) => ((v < 0n ? -v : v) > w ? (v < 0n ? -v : v) : w), 0n);
        const free = pairs.some((p, k) => {
          if (p.a !== i && p.b !== i) return false;
          const r = p.y - (x[p.b] - x[p.a]);
          return (r < 0n ? -r : r) < delta - 4n * tolerance && k >= 0;
        });
        if (free) expect(worst > tolerance, `trial ${trial} item ${i}`).to.equal(true);
      }
    }
  });

  it("submitHuber: the trial's 593 comparisons by 38 jurors give the published weights", async () => {
    const { connection: conn, jury, token, admin } = await loadFixture(juryFixture);
    const data = readJurorPairs(
      fileURLToPath(new URL("../data/deepfunding/juror_pairs_trial.csv", import.meta.url)),
    );
    const byJuror = new Map<string, Rating[]>();
    for (const p of data.pairs) {
      const list = byJuror.get(p.juror) ?? [];
      list.push({ a: p.a, b: p.b, choice: p.choice, multiplier: p.multiplierHundredths });
      byJuror.set(p.juror, list);
    }
    for (const j of await jury.read.jurors()) await jury.write.removeJuror([j]);
    const addresses = [...byJuror.keys()].map((name) => labelAddress(`juror:${name}`));
    for (const a of addresses) {
      await fundWallet(conn, token, jury, a, 0n);
      await jury.write.addJuror([a]);
    }
    const delta = madDelta(data.pairs.map((p) => p.y));
    const id = await create(
      jury,
      pairParams(data.items.length, {
        panelSize: byJuror.size,
        minStake: 0n,
        deltaWad: toWad(delta),
      }),
    );
    const lists = [...byJuror.values()];
    await commitAndReveal(conn, jury, id, () =>
      pairBallots(
        jury,
        id,
        addresses.map((a, i) => [a, lists[i]] as [Address, Rating[]]),
      ),
    );
    const { packed, logits } = await huberCertificate(conn, jury, id);
    expect(packed.length).to.equal(data.pairs.length);
    const hash = await jury.write.submitHuber([id, packed, logits], { account: admin.account });
    const receipt = await (await viem.getPublicClient()).waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
    const w = await jury.read.resultOf([id]);
    const weight = (repo: string) => Number(w[data.items.indexOf(repo)]) / 1e18;
    expect(weight("https://github.com/ethereum/eips")).to.be.closeTo(0.2242, 5e-4);
    expect(weight("https://github.com/ethereum/go-ethereum")).to.be.closeTo(0.1238, 5e-4);
  });
});

describe("Jury: remaining guards", () => {
  it("resolve paths refuse the wrong kind, and reveals refuse outsiders", async () => {
    const { connection: conn, jury, outsider } = await loadFixture(juryFixture);
    const tri = await create(jury, pairParams(3, { triangle: true }));
    await commitAndReveal(conn, jury, tri, (p) => pairBallots(jury, tri, [[p[0], TRIANGLE]]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.submitHuber([tri, [], [0n, 0n, 0n]]),
      jury,
      "WrongKind",
      [tri],
    );
    const huber = await create(jury, pairParams(3));
    await commitAndReveal(conn, jury, huber, (p) => pairBallots(jury, huber, [[p[0], TRIANGLE]]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.resolveTriangle([huber]),
      jury,
      "WrongKind",
      [huber],
    );
    const score = await create(jury, scoreParams());
    await commitAndReveal(conn, jury, score, (p) => scoreBallots(jury, score, [[p[0], ONE]]));
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.submitHuber([score, [], []]),
      jury,
      "WrongKind",
      [score],
    );
    const open = await create(jury, scoreParams());
    await advanceAndDraw(conn, jury, open);
    await advanceToReveal(conn, jury, open);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.revealScore([open, ONE, newSalt()], { account: outsider.account }),
      jury,
      "NotOnPanel",
      [open, getAddress(outsider.account.address)],
    );
  });

  it("huberGradient (view): checks lengths, delta, items and logit range", async () => {
    const { jury } = await loadFixture(juryFixture);
    const word = packPair(0, 2, 10n ** 18n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.read.huberGradient([2n, [word], [0n], ONE]),
      jury,
      "WrongLogitCount",
      [1n, 2n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.read.huberGradient([2n, [word], [0n, 0n], 1n << 128n]),
      jury,
      "InvalidParams",
      ["deltaWad"],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.read.huberGradient([2n, [word], [0n, 0n], ONE]),
      jury,
      "ItemOutOfRange",
      [0n, 2n, 2n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.read.huberGradient([3n, [word], [10n ** 24n + 1n, 0n, 0n], ONE]),
      jury,
      "LogitTooLarge",
      [0n, 10n ** 24n + 1n],
    );
    // One comparison, residual 1 inside delta: item 0 gets +1, item 2 gets -1.
    expect(await jury.read.huberGradient([3n, [word], [0n, 0n, 0n], 2n * ONE])).to.deep.equal([
      ONE,
      0n,
      -ONE,
    ]);
  });

  it("addJuror: at most MAX_JURORS", async () => {
    const { jury } = await loadFixture(juryFixture);
    const max = Number(await jury.read.MAX_JURORS());
    const have = (await jury.read.jurors()).length;
    for (let i = have; i < max; i++) {
      await jury.write.addJuror([labelAddress(`filler-${i}`)]);
    }
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.addJuror([labelAddress("one-too-many")]),
      jury,
      "TooManyJurors",
      [BigInt(max)],
    );
  });
});

describe("Jury: review fixes", () => {
  it("createEvaluation: one evaluation per vault question", async () => {
    const { jury, vault } = await loadFixture(juryFixture);
    const q = question("asked once");
    await vault.write.prepareCondition([jury.address, q, 2n]);
    await create(jury, scoreParams({ questionId: q }));
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.createEvaluation([scoreParams({ questionId: q })]),
      jury,
      "InvalidParams",
      ["questionId"],
    );
  });

  it("cancelEvaluation: refused once the seed is known, unless the panel cannot be drawn", async () => {
    const { jury, jurors } = await loadFixture(juryFixture);
    const id = await create(jury, scoreParams());
    await mine(2);
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.cancelEvaluation([id]),
      jury,
      "SeedKnown",
      [id],
    );
    // Too few jurors at the draw block: the evaluation could never be drawn, so it may go.
    for (const j of jurors.slice(2)) await jury.write.unstake([STAKE], { account: j });
    const stuck = await create(jury, scoreParams());
    await mine(2);
    await jury.write.cancelEvaluation([stuck]);
    expect((await jury.read.evaluation([stuck])).status).to.equal(Status.Cancelled);
  });

  it("failEvaluation: an evaluation nobody resolves fails after the grace period", async () => {
    const { connection: conn, jury, admin } = await loadFixture(juryFixture);
    const id = await create(jury, pairParams(3, { panelSize: 3 }));
    const { panel } = await commitAndReveal(conn, jury, id, (p) =>
      pairBallots(jury, id, [[p[0], TRIANGLE]]),
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      jury.write.failEvaluation([id]),
      jury,
      "HasReveals",
      [id, 1n],
    );
    await time.increase(30 * 86_400);
    await jury.write.failEvaluation([id]);
    // The revealer's stake is released, the two silent jurors lose theirs, the fee goes back.
    expect(await jury.read.stakeOf([panel[0]])).to.deep.equal([STAKE, 0n]);
    expect(await jury.read.stakeOf([panel[1]])).to.deep.equal([STAKE / 2n, 0n]);
    expect(await jury.read.juryFund()).to.equal(STAKE);
    expect(await jury.read.owed([admin.account.address])).to.equal(FEE);
  });

  it("revealPairs: at most MAX_COMPARISONS in an evaluation", async () => {
    const { connection: conn, jury, token } = await loadFixture(juryFixture);
    for (const j of await jury.read.jurors()) await jury.write.removeJuror([j]);
    const many = Array.from({ length: 17 }, (_, i) => labelAddress(`bulk-${i}`));
    for (const a of many) {
      await fundWallet(conn, token, jury, a, 0n);
      await jury.write.addJuror([a]);
    }
    const id = await create(jury, pairParams(20, { panelSize: 17, minStake: 0n }));
    const full: Rating[] = Array.from({ length: 256 }, (_, k) => ({
      a: k % 20,
      b: (k + 1) % 20,
      choice: 1 + (k % 2),
      multiplier: 150,
    }));
    const panel = await advanceAndDraw(conn, jury, id);
    const ballots = pairBallots(
      jury,
      id,
      panel.map((j) => [j, full] as [Address, Rating[]]),
    );
    for (const b of ballots) await commitBallot(jury, b);
    await advanceToReveal(conn, jury, id);
    for (const b of ballots.slice(0, 16)) await revealBallot(jury, b);
    await viem.assertions.revertWithCustomErrorWithArgs(
      revealBallot(jury, ballots[16]),
      jury,
      "TooManyComparisons",
      [4352n, 4096n],
    );
  });
});
