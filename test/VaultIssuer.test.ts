import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "mocha";
import { getAddress, keccak256, maxUint256, parseEther, stringToHex } from "viem";

const { viem, networkHelpers } = await network.create();

/** A vault with one 3-slot condition and an issuer account (standing in for a market maker). */
async function issuerFixture() {
  const [admin, issuer, holder, resolver, outsider] = await viem.getWalletClients();
  const token = await viem.deployContract("TestToken", ["C", "C", 18]);
  const vault = await viem.deployContract("ConditionalTokens", ["uri/"]);
  await vault.write.grantRole([await vault.read.ISSUER_ROLE(), issuer.account.address]);
  const questionId = keccak256(stringToHex("q"));
  await vault.write.prepareCondition([resolver.account.address, questionId, 3n]);
  const conditionId = await vault.read.getConditionId([resolver.account.address, questionId, 3n]);
  for (const w of [issuer, holder]) {
    await token.write.mint([w.account.address, parseEther("1000")]);
    await token.write.approve([vault.address, maxUint256], { account: w.account });
  }
  const slot = async (j: bigint) => vault.read.getPositionId([token.address, 0n, conditionId, j]);
  return { admin, issuer, holder, resolver, outsider, token, vault, conditionId, questionId, slot };
}

describe("ConditionalTokens issuers", () => {
  it("issue: takes the deposit from a consenting payer, mints one slot, records the backing", async () => {
    const { issuer, holder, token, vault, conditionId, slot } =
      await networkHelpers.loadFixture(issuerFixture);
    await vault.write.setApprovalForAll([issuer.account.address, true], {
      account: holder.account,
    });
    await viem.assertions.emitWithArgs(
      vault.write.issue(
        [
          holder.account.address,
          holder.account.address,
          token.address,
          0n,
          conditionId,
          1n,
          parseEther("5"),
          parseEther("3"),
        ],
        { account: issuer.account },
      ),
      vault,
      "Issued",
      [
        getAddress(issuer.account.address),
        getAddress(holder.account.address),
        conditionId,
        1n,
        parseEther("5"),
        parseEther("3"),
      ],
    );
    expect(await vault.read.balanceOf([holder.account.address, await slot(1n)])).to.equal(
      parseEther("5"),
    );
    expect(await vault.read.balanceOf([holder.account.address, await slot(0n)])).to.equal(0n);
    expect(await token.read.balanceOf([vault.address])).to.equal(parseEther("3"));
    expect(
      await vault.read.backingOf([issuer.account.address, token.address, 0n, conditionId]),
    ).to.equal(parseEther("3"));
  });

  it("issue: reverts for an account without ISSUER_ROLE", async () => {
    const { outsider, token, vault, conditionId } = await networkHelpers.loadFixture(issuerFixture);
    await viem.assertions.revertWithCustomError(
      vault.write.issue(
        [
          outsider.account.address,
          outsider.account.address,
          token.address,
          0n,
          conditionId,
          0n,
          1n,
          0n,
        ],
        { account: outsider.account },
      ),
      vault,
      "AccessControlUnauthorizedAccount",
    );
  });

  it("issue: reverts when the payer has not approved the issuer as operator", async () => {
    const { issuer, holder, token, vault, conditionId } =
      await networkHelpers.loadFixture(issuerFixture);
    await viem.assertions.revertWithCustomErrorWithArgs(
      vault.write.issue(
        [
          holder.account.address,
          holder.account.address,
          token.address,
          0n,
          conditionId,
          0n,
          1n,
          1n,
        ],
        { account: issuer.account },
      ),
      vault,
      "ERC1155MissingApprovalForAll",
      [getAddress(issuer.account.address), getAddress(holder.account.address)],
    );
  });

  it("issue: reverts on a resolved condition and on a slot out of range", async () => {
    const { issuer, resolver, token, vault, conditionId, questionId } =
      await networkHelpers.loadFixture(issuerFixture);
    const me = issuer.account.address;
    await viem.assertions.revertWithCustomErrorWithArgs(
      vault.write.issue([me, me, token.address, 0n, conditionId, 3n, 1n, 0n], {
        account: issuer.account,
      }),
      vault,
      "InvalidSlot",
      [3n, 3n],
    );
    await vault.write.reportPayouts([questionId, [1n, 0n, 0n]], { account: resolver.account });
    await viem.assertions.revertWithCustomErrorWithArgs(
      vault.write.issue([me, me, token.address, 0n, conditionId, 0n, 1n, 0n], {
        account: issuer.account,
      }),
      vault,
      "ConditionAlreadyResolved",
      [conditionId],
    );
  });

  it("retire: burns a consenting holder's tokens and pays out of the issuer's backing only", async () => {
    const { issuer, holder, token, vault, conditionId, slot } =
      await networkHelpers.loadFixture(issuerFixture);
    const me = issuer.account.address;
    const h = holder.account.address;
    await vault.write.issue(
      [me, h, token.address, 0n, conditionId, 2n, parseEther("4"), parseEther("2")],
      {
        account: issuer.account,
      },
    );
    // Without the holder's approval the issuer cannot burn.
    await viem.assertions.revertWithCustomError(
      vault.write.retire([h, token.address, 0n, conditionId, 2n, parseEther("1"), 0n, h], {
        account: issuer.account,
      }),
      vault,
      "ERC1155MissingApprovalForAll",
    );
    await vault.write.setApprovalForAll([me, true], { account: holder.account });
    // Paying more than the backing reverts.
    await viem.assertions.revertWithCustomErrorWithArgs(
      vault.write.retire(
        [h, token.address, 0n, conditionId, 2n, parseEther("1"), parseEther("2") + 1n, h],
        {
          account: issuer.account,
        },
      ),
      vault,
      "BackingExceeded",
      [parseEther("2") + 1n, parseEther("2")],
    );
    const before = await token.read.balanceOf([h]);
    await vault.write.retire(
      [h, token.address, 0n, conditionId, 2n, parseEther("1"), parseEther("1.5"), h],
      {
        account: issuer.account,
      },
    );
    expect(await vault.read.balanceOf([h, await slot(2n)])).to.equal(parseEther("3"));
    expect((await token.read.balanceOf([h])) - before).to.equal(parseEther("1.5"));
    expect(await vault.read.backingOf([me, token.address, 0n, conditionId])).to.equal(
      parseEther("0.5"),
    );
  });

  it("retire: with amount 0 withdraws backing, even after resolution", async () => {
    const { issuer, resolver, token, vault, conditionId, questionId } =
      await networkHelpers.loadFixture(issuerFixture);
    const me = issuer.account.address;
    await vault.write.issue([me, me, token.address, 0n, conditionId, 0n, 0n, parseEther("7")], {
      account: issuer.account,
    });
    await vault.write.reportPayouts([questionId, [0n, 1n, 0n]], { account: resolver.account });
    const before = await token.read.balanceOf([me]);
    await vault.write.retire([me, token.address, 0n, conditionId, 0n, 0n, parseEther("7"), me], {
      account: issuer.account,
    });
    expect((await token.read.balanceOf([me])) - before).to.equal(parseEther("7"));
    expect(await vault.read.backingOf([me, token.address, 0n, conditionId])).to.equal(0n);
  });
});
