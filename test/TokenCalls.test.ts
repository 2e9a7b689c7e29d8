import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "mocha";
import { maxUint256 } from "viem";

const { viem, networkHelpers } = await network.create();

/** QuadraticFunding over a token whose transfers return nothing (and revert on failure). */
async function noReturnFixture() {
  const [admin, alice, bob, payee] = await viem.getWalletClients();
  const token = await viem.deployContract("NoReturnToken", []);
  const a = admin.account.address;
  const qf = await viem.deployContract("QuadraticFunding", [
    token.address,
    a,
    a,
    a,
    0n,
    3600n,
    86400n,
    10n ** 12n,
  ]);
  await qf.write.registerGap([payee.account.address, "gap"]);
  for (const w of [admin, alice, bob]) {
    await token.write.mint([w.account.address, 10n ** 12n]);
    await token.write.approve([qf.address, maxUint256], { account: w.account });
  }
  await qf.write.fundPool([10n ** 9n]);
  return { token, qf, alice, bob, payee };
}

describe("TokenCalls", () => {
  it("contribute and claim: work with a token whose transfers return nothing", async () => {
    const { token, qf, alice, bob, payee } = await networkHelpers.loadFixture(noReturnFixture);
    await qf.write.contribute([1n, 4_000_000n], { account: alice.account });
    await qf.write.contribute([1n, 9_000_000n], { account: bob.account });
    expect(await token.read.balanceOf([qf.address])).to.equal(10n ** 9n + 13_000_000n);
    await networkHelpers.time.increase(3600);
    await qf.write.finalize([0n]);
    const info = await qf.read.gapRoundInfo([0n, 1n]);
    // (sqrt 4 + sqrt 9)^2 - 13 = 12 (in millionths), within the budget.
    expect(info.matchAmount).to.equal(12_000_000n);
    await qf.write.claim([0n, 1n]);
    expect(await token.read.balanceOf([payee.account.address])).to.equal(25_000_000n);
  });

  it("contribute: a reverting transfer of such a token passes its own error on", async () => {
    const { token, qf, alice } = await networkHelpers.loadFixture(noReturnFixture);
    await token.write.approve([qf.address, 0n], { account: alice.account });
    await viem.assertions.revertWithCustomError(
      qf.write.contribute([1n, 5n], { account: alice.account }),
      token,
      "Insufficient",
    );
  });

  it("refund: pays back in a cancelled round with such a token", async () => {
    const { token, qf, alice } = await networkHelpers.loadFixture(noReturnFixture);
    const before = await token.read.balanceOf([alice.account.address]);
    await qf.write.contribute([1n, 7_000_000n], { account: alice.account });
    await qf.write.cancelRound([0n]);
    await qf.write.refund([0n, 1n], { account: alice.account });
    expect(await token.read.balanceOf([alice.account.address])).to.equal(before);
  });

  it("constructor: reverts with BadConfig when the token address has no code", async () => {
    const [admin, somebody] = await viem.getWalletClients();
    const a = admin.account.address;
    let failure = "";
    try {
      await viem.deployContract("QuadraticFunding", [
        somebody.account.address,
        a,
        a,
        a,
        0n,
        3600n,
        86400n,
        0n,
      ]);
    } catch (error) {
      failure = `${(error as Error).message} ${(error as { details?: string }).details ?? ""}`;
    }
    expect(failure).to.contain("BadConfig");
  });
});
