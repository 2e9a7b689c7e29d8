/**
 * On-chain tests of the conditional token vault (contracts/markets/ConditionalTokens.sol)
 * against its specification in contracts/interfaces/IConditionalTokens.sol.
 *
 * Layout: ids and metadata, every function's happy path and every revert path with its custom
 * error, split/merge round trips at n = 2, 128 and 256, a two-level nested market resolved and
 * redeemed down to the collateral with exact amounts, rounding in the vault's favour, and hostile
 * collateral (fee-on-transfer, no code, re-entrant hooks).
 */
import type { ContractReturnType } from "@nomicfoundation/hardhat-viem/types";
import { expect } from "chai";
import { network } from "hardhat";
import { describe, it } from "mocha";
import {
  type Address,
  type Hash,
  type Hex,
  encodeAbiParameters,
  encodeFunctionData,
  keccak256,
  maxUint256,
  parseEventLogs,
  toFunctionSelector,
  toHex,
  zeroAddress,
} from "viem";

import { balanceDeltas } from "./helpers/balances.js";

const { viem, networkHelpers } = await network.create();
const { loadFixture } = networkHelpers;
const publicClient = await viem.getPublicClient();

type Vault = ContractReturnType<"ConditionalTokens">;

const ONE = 10n ** 18n;
const MINT = 1_000_000n * ONE;
const BASE_URI = "https://deepfunding.example/ct/";
const MAX_240 = (1n << 240n) - 1n;

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

/** keccak256(abi.encode(resolver, questionId, outcomeSlotCount)), computed off-chain. */
function conditionIdOf(resolver: Address, questionId: Hex, n: bigint | number): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "bytes32" }, { type: "uint256" }],
      [resolver, questionId, BigInt(n)],
    ),
  );
}

/** uint256(keccak256(abi.encode(collateral, parent, conditionId, slot))), computed off-chain. */
function positionIdOf(collateral: Address, parent: bigint, conditionId: Hex, slot: number): bigint {
  return BigInt(
    keccak256(
      encodeAbiParameters(
        [{ type: "address" }, { type: "uint256" }, { type: "bytes32" }, { type: "uint256" }],
        [collateral, parent, conditionId, BigInt(slot)],
      ),
    ),
  );
}

/** The ids of slots 0..n-1 under one parent. */
function positionIdsOf(collateral: Address, parent: bigint, conditionId: Hex, n: number): bigint[] {
  return Array.from({ length: n }, (_, j) => positionIdOf(collateral, parent, conditionId, j));
}

/** A question id from a label. */
function question(label: string): Hex {
  return keccak256(toHex(label));
}

async function mined(hash: Hash | Promise<Hash>) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  expect(receipt.status).to.equal("success");
  return receipt;
}

async function balancesOf(ct: Vault, account: Address, ids: readonly bigint[]): Promise<bigint[]> {
  const accounts = ids.map(() => account);
  return [...(await ct.read.balanceOfBatch([accounts, [...ids]]))];
}

/** 64 lowercase hex digits without 0x. */
function hex64(id: bigint): string {
  return id.toString(16).padStart(64, "0");
}

// ------------------------------------------------------------------------------------------------
// Fixture
// ------------------------------------------------------------------------------------------------

/** The vault, a collateral token and funded, approving wallets; one binary condition. */
async function ctFixture() {
  const [deployer, resolver, alice, bob, carol, outsider] = await viem.getWalletClients();
  const ct = await viem.deployContract("ConditionalTokens", [BASE_URI]);
  const token = await viem.deployContract("TestToken", ["Collateral", "COL", 18]);
  for (const w of [alice, bob, carol]) {
    await token.write.mint([w.account.address, MINT]);
    await token.write.approve([ct.address, maxUint256], { account: w.account });
  }
  const binaryQuestion = question("binary");
  await mined(ct.write.prepareCondition([resolver.account.address, binaryQuestion, 2n]));
  const binary = conditionIdOf(resolver.account.address, binaryQuestion, 2);
  return { ct, token, deployer, resolver, alice, bob, carol, outsider, binary, binaryQuestion };
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

describe("ConditionalTokens", () => {
  // ----------------------------------------------------------------------------------------------
  describe("ids and metadata", () => {
    it("getConditionId: keccak256(abi.encode(resolver, questionId, n))", async () => {
      const { ct, resolver, outsider } = await loadFixture(ctFixture);
      const q = question("which seeds are evaluated");
      for (const n of [2n, 5n, 256n]) {
        expect(await ct.read.getConditionId([resolver.account.address, q, n])).to.equal(
          conditionIdOf(resolver.account.address, q, n),
        );
      }
      // Resolver, question and slot count each change the id.
      const base = await ct.read.getConditionId([resolver.account.address, q, 2n]);
      expect(await ct.read.getConditionId([outsider.account.address, q, 2n])).to.not.equal(base);
      expect(
        await ct.read.getConditionId([resolver.account.address, question("x"), 2n]),
      ).to.not.equal(base);
      expect(await ct.read.getConditionId([resolver.account.address, q, 3n])).to.not.equal(base);
    });

    it("getPositionId: uint256(keccak256(abi.encode(collateral, parent, conditionId, slot)))", async () => {
      const { ct, token, binary } = await loadFixture(ctFixture);
      const root = positionIdOf(token.address, 0n, binary, 1);
      expect(await ct.read.getPositionId([token.address, 0n, binary, 1n])).to.equal(root);
      expect(await ct.read.getPositionId([token.address, root, binary, 0n])).to.equal(
        positionIdOf(token.address, root, binary, 0),
      );
      // Pure: works for unprepared conditions and any slot.
      const unknown = question("unknown");
      expect(await ct.read.getPositionId([token.address, 7n, unknown, 300n])).to.equal(
        positionIdOf(token.address, 7n, unknown, 300),
      );
    });

    it("uri: base URI followed by the id as 64 lowercase hex digits, without 0x", async () => {
      const { ct, token, binary } = await loadFixture(ctFixture);
      expect(await ct.read.uri([0n])).to.equal(BASE_URI + "0".repeat(64));
      expect(await ct.read.uri([1n])).to.equal(BASE_URI + "0".repeat(63) + "1");
      expect(await ct.read.uri([0xabcdefn])).to.equal(BASE_URI + "0".repeat(58) + "abcdef");
      expect(await ct.read.uri([maxUint256])).to.equal(BASE_URI + "f".repeat(64));
      const id = positionIdOf(token.address, 0n, binary, 0);
      const u = await ct.read.uri([id]);
      expect(u).to.equal(BASE_URI + hex64(id));
      expect(u.slice(BASE_URI.length)).to.match(/^[0-9a-f]{64}$/);
    });

    it("uri: an empty base URI gives the bare hex id", async () => {
      const bare = await viem.deployContract("ConditionalTokens", [""]);
      expect(await bare.read.uri([255n])).to.equal("0".repeat(62) + "ff");
    });

    it("supportsInterface: ERC-165, ERC-1155, its metadata extension and IConditionalTokens", async () => {
      const { ct } = await loadFixture(ctFixture);
      const own = [
        "prepareCondition(address,bytes32,uint256)",
        "reportPayouts(bytes32,uint256[])",
        "splitPosition(address,uint256,bytes32,uint256)",
        "mergePositions(address,uint256,bytes32,uint256)",
        "redeemPositions(address,uint256,bytes32,uint256[])",
        "getConditionId(address,bytes32,uint256)",
        "getPositionId(address,uint256,bytes32,uint256)",
        "outcomeSlotCount(bytes32)",
        "payoutNumerator(bytes32,uint256)",
        "payoutDenominator(bytes32)",
        "isResolved(bytes32)",
        "uri(uint256)",
        "issue(address,address,address,uint256,bytes32,uint256,uint256,uint256)",
        "retire(address,address,uint256,bytes32,uint256,uint256,uint256,address)",
        "backingOf(address,address,uint256,bytes32)",
      ];
      const interfaceId = toHex(
        own
          .map((s) => Number.parseInt(toFunctionSelector(s).slice(2), 16))
          .reduce((a, b) => (a ^ b) >>> 0),
        { size: 4 },
      );
      for (const id of ["0x01ffc9a7", "0xd9b67a26", "0x0e89341c", interfaceId] as const) {
        expect(await ct.read.supportsInterface([id]), id).to.equal(true);
      }
      expect(await ct.read.supportsInterface(["0xffffffff"])).to.equal(false);
      expect(await ct.read.supportsInterface(["0x12345678"])).to.equal(false);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("prepareCondition", () => {
    it("stores the slot count, emits ConditionPrepared and returns the id; anyone may call it", async () => {
      const { ct, resolver, outsider } = await loadFixture(ctFixture);
      const q = question("weights of T's seeds");
      const expected = conditionIdOf(resolver.account.address, q, 5);
      const { result } = await ct.simulate.prepareCondition([resolver.account.address, q, 5n], {
        account: outsider.account.address,
      });
      expect(result).to.equal(expected);
      await viem.assertions.emitWithArgs(
        ct.write.prepareCondition([resolver.account.address, q, 5n], { account: outsider.account }),
        ct,
        "ConditionPrepared",
        [expected, resolver.account.address, q, 5n],
      );
      expect(await ct.read.outcomeSlotCount([expected])).to.equal(5n);
      expect(await ct.read.payoutDenominator([expected])).to.equal(0n);
      expect(await ct.read.isResolved([expected])).to.equal(false);
      for (let j = 0n; j < 5n; j++) {
        expect(await ct.read.payoutNumerator([expected, j])).to.equal(0n);
      }
    });

    it("accepts 2 and 256 slots; the same question with another count or resolver is another condition", async () => {
      const { ct, resolver, outsider } = await loadFixture(ctFixture);
      const q = question("bounds");
      const r = resolver.account.address;
      await mined(ct.write.prepareCondition([r, q, 2n]));
      await mined(ct.write.prepareCondition([r, q, 256n]));
      await mined(ct.write.prepareCondition([outsider.account.address, q, 2n]));
      expect(await ct.read.outcomeSlotCount([conditionIdOf(r, q, 2)])).to.equal(2n);
      expect(await ct.read.outcomeSlotCount([conditionIdOf(r, q, 256)])).to.equal(256n);
      expect(
        await ct.read.outcomeSlotCount([conditionIdOf(outsider.account.address, q, 2)]),
      ).to.equal(2n);
      expect(await ct.read.outcomeSlotCount([conditionIdOf(r, q, 3)])).to.equal(0n);
    });

    it("reverts with BadOutcomeSlotCount for 0, 1, 257 and 2^256 - 1 slots", async () => {
      const { ct, resolver } = await loadFixture(ctFixture);
      for (const n of [0n, 1n, 257n, maxUint256]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          ct.write.prepareCondition([resolver.account.address, question("bad"), n]),
          ct,
          "BadOutcomeSlotCount",
          [n],
        );
      }
    });

    it("reverts with ConditionAlreadyPrepared the second time", async () => {
      const { ct, resolver, binary, binaryQuestion, outsider } = await loadFixture(ctFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.prepareCondition([resolver.account.address, binaryQuestion, 2n], {
          account: outsider.account,
        }),
        ct,
        "ConditionAlreadyPrepared",
        [binary],
      );
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("splitPosition", () => {
    it("pulls collateral and mints a full set; emits PositionSplit", async () => {
      const { ct, token, alice, binary } = await loadFixture(ctFixture);
      const a = alice.account.address;
      const ids = positionIdsOf(token.address, 0n, binary, 2);
      const deltas = await balanceDeltas(token, [a, ct.address], async () => {
        await viem.assertions.emitWithArgs(
          ct.write.splitPosition([token.address, 0n, binary, 7n * ONE], { account: alice.account }),
          ct,
          "PositionSplit",
          [a, token.address, 0n, binary, 7n * ONE],
        );
      });
      expect(deltas).to.deep.equal([-7n * ONE, 7n * ONE]);
      expect(await balancesOf(ct, a, ids)).to.deep.equal([7n * ONE, 7n * ONE]);
    });

    it("emits one TransferBatch mint of the n ids in slot order", async () => {
      const { ct, token, alice, binary } = await loadFixture(ctFixture);
      const receipt = await mined(
        ct.write.splitPosition([token.address, 0n, binary, 3n], { account: alice.account }),
      );
      const logs = parseEventLogs({ abi: ct.abi, logs: receipt.logs, eventName: "TransferBatch" });
      expect(logs).to.have.length(1);
      expect(logs[0].args.from).to.equal(zeroAddress);
      expect(logs[0].args.to?.toLowerCase()).to.equal(alice.account.address.toLowerCase());
      expect(logs[0].args.ids).to.deep.equal(positionIdsOf(token.address, 0n, binary, 2));
      expect(logs[0].args.values).to.deep.equal([3n, 3n]);
    });

    it("from a position: burns the parent and mints the children under it", async () => {
      const { ct, token, alice, resolver, binary } = await loadFixture(ctFixture);
      const a = alice.account.address;
      const q = question("inner");
      await mined(ct.write.prepareCondition([resolver.account.address, q, 3n]));
      const inner = conditionIdOf(resolver.account.address, q, 3);
      const parent = positionIdOf(token.address, 0n, binary, 1);
      await mined(
        ct.write.splitPosition([token.address, 0n, binary, 10n], { account: alice.account }),
      );
      const vaultBefore = await token.read.balanceOf([ct.address]);
      await viem.assertions.emitWithArgs(
        ct.write.splitPosition([token.address, parent, inner, 4n], { account: alice.account }),
        ct,
        "PositionSplit",
        [a, token.address, parent, inner, 4n],
      );
      expect(await ct.read.balanceOf([a, parent])).to.equal(6n);
      expect(await balancesOf(ct, a, positionIdsOf(token.address, parent, inner, 3))).to.deep.equal(
        [4n, 4n, 4n],
      );
      // Nested splits do not touch the collateral.
      expect(await token.read.balanceOf([ct.address])).to.equal(vaultBefore);
    });

    it("is allowed after the condition resolved (a full set still redeems to its amount)", async () => {
      const { ct, token, alice, resolver, binary, binaryQuestion } = await loadFixture(ctFixture);
      await mined(
        ct.write.reportPayouts([binaryQuestion, [1n, 3n]], { account: resolver.account }),
      );
      await mined(
        ct.write.splitPosition([token.address, 0n, binary, 9n], { account: alice.account }),
      );
      const [delta] = await balanceDeltas(token, [alice.account.address], () =>
        mined(
          ct.write.redeemPositions([token.address, 0n, binary, [0n, 1n]], {
            account: alice.account,
          }),
        ),
      );
      expect(delta).to.equal(9n);
    });

    it("reverts with ZeroAmount", async () => {
      const { ct, token, alice, binary } = await loadFixture(ctFixture);
      await viem.assertions.revertWithCustomError(
        ct.write.splitPosition([token.address, 0n, binary, 0n], { account: alice.account }),
        ct,
        "ZeroAmount",
      );
    });

    it("reverts with ConditionNotPrepared", async () => {
      const { ct, token, alice } = await loadFixture(ctFixture);
      const unknown = question("never prepared");
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.splitPosition([token.address, 0n, unknown, 1n], { account: alice.account }),
        ct,
        "ConditionNotPrepared",
        [unknown],
      );
    });

    it("passes the token's own error on when the allowance or balance is short", async () => {
      const { ct, token, outsider, binary } = await loadFixture(ctFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.splitPosition([token.address, 0n, binary, 5n], { account: outsider.account }),
        token,
        "ERC20InsufficientAllowance",
        [ct.address, 0n, 5n],
      );
    });

    it("reverts with ERC1155InsufficientBalance when the parent position is short", async () => {
      const { ct, token, alice, binary } = await loadFixture(ctFixture);
      const parent = positionIdOf(token.address, 0n, binary, 0);
      await mined(
        ct.write.splitPosition([token.address, 0n, binary, 3n], { account: alice.account }),
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.splitPosition([token.address, parent, binary, 4n], { account: alice.account }),
        ct,
        "ERC1155InsufficientBalance",
        [alice.account.address, 3n, 4n, parent],
      );
    });

    it("reverts with CollateralDeliveredLess for a fee-on-transfer collateral", async () => {
      const { ct, alice, binary } = await loadFixture(ctFixture);
      const fee = await viem.deployContract("FeeOnTransferToken", [100n]); // 1 %
      await fee.write.mint([alice.account.address, 10_000n]);
      await fee.write.approve([ct.address, maxUint256], { account: alice.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.splitPosition([fee.address, 0n, binary, 1_000n], { account: alice.account }),
        ct,
        "CollateralDeliveredLess",
        [1_000n, 990n],
      );
      // Without the fee the same token works.
      await fee.write.setFee([0n]);
      await mined(
        ct.write.splitPosition([fee.address, 0n, binary, 1_000n], { account: alice.account }),
      );
      expect(await fee.read.balanceOf([ct.address])).to.equal(1_000n);
    });

    it("reverts with SafeERC20FailedOperation for a collateral without code or returning false", async () => {
      const { ct, alice, outsider, binary } = await loadFixture(ctFixture);
      const noCode = outsider.account.address;
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.splitPosition([noCode, 0n, binary, 1n], { account: alice.account }),
        ct,
        "SafeERC20FailedOperation",
        [noCode],
      );
      const falsy = await viem.deployContract("FalseReturningToken", []);
      await falsy.write.mint([alice.account.address, 10n]);
      // No allowance: transferFrom returns false.
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.splitPosition([falsy.address, 0n, binary, 1n], { account: alice.account }),
        ct,
        "SafeERC20FailedOperation",
        [falsy.address],
      );
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("mergePositions", () => {
    for (const n of [2, 128]) {
      it(`split then merge at n = ${n}: balances and collateral return exactly`, async () => {
        const { ct, token, alice, resolver } = await loadFixture(ctFixture);
        const a = alice.account.address;
        const q = question(`round trip ${n}`);
        await mined(ct.write.prepareCondition([resolver.account.address, q, BigInt(n)]));
        const c = conditionIdOf(resolver.account.address, q, n);
        const ids = positionIdsOf(token.address, 0n, c, n);
        const amount = 123_456_789n;
        const before = await token.read.balanceOf([a]);
        await mined(
          ct.write.splitPosition([token.address, 0n, c, amount], { account: alice.account }),
        );
        expect(await balancesOf(ct, a, ids)).to.deep.equal(ids.map(() => amount));
        expect(await token.read.balanceOf([ct.address])).to.equal(amount);
        // Merge in two parts.
        await mined(
          ct.write.mergePositions([token.address, 0n, c, 56_789n], { account: alice.account }),
        );
        await viem.assertions.emitWithArgs(
          ct.write.mergePositions([token.address, 0n, c, amount - 56_789n], {
            account: alice.account,
          }),
          ct,
          "PositionsMerged",
          [a, token.address, 0n, c, amount - 56_789n],
        );
        expect(await balancesOf(ct, a, ids)).to.deep.equal(ids.map(() => 0n));
        expect(await token.read.balanceOf([a])).to.equal(before);
        expect(await token.read.balanceOf([ct.address])).to.equal(0n);
      });
    }

    it("split and merge work at the maximum of 256 slots", async () => {
      const { ct, token, alice, resolver } = await loadFixture(ctFixture);
      const q = question("max");
      await mined(ct.write.prepareCondition([resolver.account.address, q, 256n]));
      const c = conditionIdOf(resolver.account.address, q, 256);
      await mined(ct.write.splitPosition([token.address, 0n, c, 5n], { account: alice.account }));
      const last = positionIdOf(token.address, 0n, c, 255);
      expect(await ct.read.balanceOf([alice.account.address, last])).to.equal(5n);
      await mined(ct.write.mergePositions([token.address, 0n, c, 5n], { account: alice.account }));
      expect(await ct.read.balanceOf([alice.account.address, last])).to.equal(0n);
      expect(await token.read.balanceOf([ct.address])).to.equal(0n);
    });

    it("nested: merging mints the parent position back", async () => {
      const { ct, token, alice, resolver, binary } = await loadFixture(ctFixture);
      const a = alice.account.address;
      const q = question("inner");
      await mined(ct.write.prepareCondition([resolver.account.address, q, 2n]));
      const inner = conditionIdOf(resolver.account.address, q, 2);
      const parent = positionIdOf(token.address, 0n, binary, 0);
      await mined(
        ct.write.splitPosition([token.address, 0n, binary, 10n], { account: alice.account }),
      );
      await mined(
        ct.write.splitPosition([token.address, parent, inner, 10n], { account: alice.account }),
      );
      expect(await ct.read.balanceOf([a, parent])).to.equal(0n);
      await viem.assertions.emitWithArgs(
        ct.write.mergePositions([token.address, parent, inner, 6n], { account: alice.account }),
        ct,
        "PositionsMerged",
        [a, token.address, parent, inner, 6n],
      );
      expect(await ct.read.balanceOf([a, parent])).to.equal(6n);
      expect(await balancesOf(ct, a, positionIdsOf(token.address, parent, inner, 2))).to.deep.equal(
        [4n, 4n],
      );
    });

    it("positions are ERC-1155 tokens: whoever holds a full set can merge it", async () => {
      const { ct, token, alice, bob, binary } = await loadFixture(ctFixture);
      const [id0, id1] = positionIdsOf(token.address, 0n, binary, 2);
      await mined(
        ct.write.splitPosition([token.address, 0n, binary, 8n], { account: alice.account }),
      );
      await mined(
        ct.write.safeBatchTransferFrom(
          [alice.account.address, bob.account.address, [id0, id1], [8n, 8n], "0x"],
          {
            account: alice.account,
          },
        ),
      );
      const [delta] = await balanceDeltas(token, [bob.account.address], () =>
        mined(ct.write.mergePositions([token.address, 0n, binary, 8n], { account: bob.account })),
      );
      expect(delta).to.equal(8n);
    });

    it("reverts with ERC1155InsufficientBalance when the set is incomplete", async () => {
      const { ct, token, alice, bob, binary } = await loadFixture(ctFixture);
      const [, id1] = positionIdsOf(token.address, 0n, binary, 2);
      await mined(
        ct.write.splitPosition([token.address, 0n, binary, 8n], { account: alice.account }),
      );
      await mined(
        ct.write.safeTransferFrom([alice.account.address, bob.account.address, id1, 1n, "0x"], {
          account: alice.account,
        }),
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.mergePositions([token.address, 0n, binary, 8n], { account: alice.account }),
        ct,
        "ERC1155InsufficientBalance",
        [alice.account.address, 7n, 8n, id1],
      );
      // 7 still merges.
      await mined(
        ct.write.mergePositions([token.address, 0n, binary, 7n], { account: alice.account }),
      );
    });

    it("reverts with ZeroAmount and ConditionNotPrepared", async () => {
      const { ct, token, alice, binary } = await loadFixture(ctFixture);
      await viem.assertions.revertWithCustomError(
        ct.write.mergePositions([token.address, 0n, binary, 0n], { account: alice.account }),
        ct,
        "ZeroAmount",
      );
      const unknown = question("never prepared");
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.mergePositions([token.address, 0n, unknown, 1n], { account: alice.account }),
        ct,
        "ConditionNotPrepared",
        [unknown],
      );
    });

    it("works after resolution", async () => {
      const { ct, token, alice, resolver, binary, binaryQuestion } = await loadFixture(ctFixture);
      await mined(
        ct.write.splitPosition([token.address, 0n, binary, 4n], { account: alice.account }),
      );
      await mined(
        ct.write.reportPayouts([binaryQuestion, [0n, 1n]], { account: resolver.account }),
      );
      const [delta] = await balanceDeltas(token, [alice.account.address], () =>
        mined(ct.write.mergePositions([token.address, 0n, binary, 4n], { account: alice.account })),
      );
      expect(delta).to.equal(4n);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("reportPayouts", () => {
    it("records numerators and their sum, emits ConditionResolved", async () => {
      const { ct, resolver, binary, binaryQuestion } = await loadFixture(ctFixture);
      await viem.assertions.emitWithArgs(
        ct.write.reportPayouts([binaryQuestion, [3n, 7n]], { account: resolver.account }),
        ct,
        "ConditionResolved",
        [binary, resolver.account.address, binaryQuestion, [3n, 7n]],
      );
      expect(await ct.read.isResolved([binary])).to.equal(true);
      expect(await ct.read.payoutNumerator([binary, 0n])).to.equal(3n);
      expect(await ct.read.payoutNumerator([binary, 1n])).to.equal(7n);
      expect(await ct.read.payoutDenominator([binary])).to.equal(10n);
      expect(await ct.read.outcomeSlotCount([binary])).to.equal(2n);
    });

    it("accepts zeros in some slots and a sum of exactly 2^240 - 1", async () => {
      const { ct, resolver } = await loadFixture(ctFixture);
      const q = question("big");
      await mined(ct.write.prepareCondition([resolver.account.address, q, 3n]));
      const c = conditionIdOf(resolver.account.address, q, 3);
      await mined(
        ct.write.reportPayouts([q, [MAX_240 - 5n, 0n, 5n]], { account: resolver.account }),
      );
      expect(await ct.read.payoutDenominator([c])).to.equal(MAX_240);
      expect(await ct.read.payoutNumerator([c, 1n])).to.equal(0n);
    });

    it("a non-resolver addresses a different condition id: ConditionNotPrepared", async () => {
      const { ct, outsider, binary, binaryQuestion } = await loadFixture(ctFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.reportPayouts([binaryQuestion, [1n, 0n]], { account: outsider.account }),
        ct,
        "ConditionNotPrepared",
        [conditionIdOf(outsider.account.address, binaryQuestion, 2)],
      );
      expect(await ct.read.isResolved([binary])).to.equal(false);
    });

    it("a payout vector of the wrong length addresses a different condition id: ConditionNotPrepared", async () => {
      const { ct, resolver, binaryQuestion } = await loadFixture(ctFixture);
      for (const payouts of [[], [1n], [1n, 1n, 1n]]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          ct.write.reportPayouts([binaryQuestion, payouts], { account: resolver.account }),
          ct,
          "ConditionNotPrepared",
          [conditionIdOf(resolver.account.address, binaryQuestion, payouts.length)],
        );
      }
    });

    it("reverts with ConditionAlreadyResolved on a second report", async () => {
      const { ct, resolver, binary, binaryQuestion } = await loadFixture(ctFixture);
      await mined(
        ct.write.reportPayouts([binaryQuestion, [1n, 0n]], { account: resolver.account }),
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.reportPayouts([binaryQuestion, [0n, 1n]], { account: resolver.account }),
        ct,
        "ConditionAlreadyResolved",
        [binary],
      );
      expect(await ct.read.payoutNumerator([binary, 0n])).to.equal(1n);
      expect(await ct.read.payoutNumerator([binary, 1n])).to.equal(0n);
    });

    it("reverts with AllZeroPayouts", async () => {
      const { ct, resolver, binary, binaryQuestion } = await loadFixture(ctFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.reportPayouts([binaryQuestion, [0n, 0n]], { account: resolver.account }),
        ct,
        "AllZeroPayouts",
        [binary],
      );
    });

    it("reverts with PayoutSumTooLarge at 2^240 and when the sum would overflow 2^256", async () => {
      const { ct, resolver, binary, binaryQuestion } = await loadFixture(ctFixture);
      for (const payouts of [
        [MAX_240, 1n],
        [1n << 240n, 0n],
        [maxUint256, maxUint256],
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          ct.write.reportPayouts([binaryQuestion, payouts], { account: resolver.account }),
          ct,
          "PayoutSumTooLarge",
          [binary],
        );
      }
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("redeemPositions", () => {
    it("burns whole balances and pays floor(sum b_j p_j / D): payouts [1, 2], odd balances", async () => {
      const { ct, token, alice, bob, resolver, binary, binaryQuestion } =
        await loadFixture(ctFixture);
      const a = alice.account.address;
      const [id0, id1] = positionIdsOf(token.address, 0n, binary, 2);
      await mined(
        ct.write.splitPosition([token.address, 0n, binary, 7n], { account: alice.account }),
      );
      // Alice keeps 7 of slot 0 and 4 of slot 1; Bob gets 3 of slot 1.
      await mined(
        ct.write.safeTransferFrom([a, bob.account.address, id1, 3n, "0x"], {
          account: alice.account,
        }),
      );
      await mined(
        ct.write.reportPayouts([binaryQuestion, [1n, 2n]], { account: resolver.account }),
      );

      // Alice: (7 * 1 + 4 * 2) / 3 = 15 / 3 = 5 exactly.
      const { result } = await ct.simulate.redeemPositions([token.address, 0n, binary, [0n, 1n]], {
        account: alice.account.address,
      });
      expect(result).to.equal(5n);
      const [deltaA] = await balanceDeltas(token, [a], async () => {
        await viem.assertions.emitWithArgs(
          ct.write.redeemPositions([token.address, 0n, binary, [1n, 0n]], {
            account: alice.account,
          }),
          ct,
          "PayoutRedeemed",
          [a, token.address, 0n, binary, [1n, 0n], 5n],
        );
      });
      expect(deltaA).to.equal(5n);
      expect(await balancesOf(ct, a, [id0, id1])).to.deep.equal([0n, 0n]);

      // Bob: 3 * 2 / 3 = 2 exactly; the vault had 7 = 5 + 2.
      const [deltaB] = await balanceDeltas(token, [bob.account.address], () =>
        mined(
          ct.write.redeemPositions([token.address, 0n, binary, [1n]], { account: bob.account }),
        ),
      );
      expect(deltaB).to.equal(2n);
      expect(await token.read.balanceOf([ct.address])).to.equal(0n);
    });

    it("rounds down once over the whole sum, in the vault's favour", async () => {
      const { ct, token, alice, bob, carol, resolver, binary, binaryQuestion } =
        await loadFixture(ctFixture);
      const [id0, id1] = positionIdsOf(token.address, 0n, binary, 2);
      await mined(
        ct.write.splitPosition([token.address, 0n, binary, 5n], { account: alice.account }),
      );
      const a = alice.account.address;
      // Alice: 5 of slot 0, 3 of slot 1. Bob: 1 of slot 1. Carol: 1 of slot 1.
      await mined(
        ct.write.safeTransferFrom([a, bob.account.address, id1, 1n, "0x"], {
          account: alice.account,
        }),
      );
      await mined(
        ct.write.safeTransferFrom([a, carol.account.address, id1, 1n, "0x"], {
          account: alice.account,
        }),
      );
      await mined(
        ct.write.reportPayouts([binaryQuestion, [1n, 2n]], { account: resolver.account }),
      );
      // Alice: slot 0 alone would be floor(5/3) = 1 and slot 1 alone floor(6/3) = 2: 3 in two
      // calls. In one call: floor((5 + 6) / 3) = 3 (11 / 3 = 3.67, one floor).
      const [deltaA] = await balanceDeltas(token, [a], () =>
        mined(
          ct.write.redeemPositions([token.address, 0n, binary, [0n, 1n]], {
            account: alice.account,
          }),
        ),
      );
      expect(deltaA).to.equal(3n);
      // Bob and Carol: floor(2 / 3) = 0 each, positions burned anyway.
      for (const w of [bob, carol]) {
        const [d] = await balanceDeltas(token, [w.account.address], async () => {
          await viem.assertions.emitWithArgs(
            ct.write.redeemPositions([token.address, 0n, binary, [1n]], { account: w.account }),
            ct,
            "PayoutRedeemed",
            [w.account.address, token.address, 0n, binary, [1n], 0n],
          );
        });
        expect(d).to.equal(0n);
        expect(await ct.read.balanceOf([w.account.address, id1])).to.equal(0n);
      }
      // Total owed was 5/3 + 10/3 = 5; paid 3; dust 2 stays in the vault.
      expect(await token.read.balanceOf([ct.address])).to.equal(2n);
      expect(await ct.read.balanceOf([a, id0])).to.equal(0n);
    });

    it("one floor over the sum with large balances and payouts near 2^240 (no overflow)", async () => {
      const { ct, token, alice, resolver } = await loadFixture(ctFixture);
      const q = question("large");
      await mined(ct.write.prepareCondition([resolver.account.address, q, 3n]));
      const c = conditionIdOf(resolver.account.address, q, 3);
      const amount = 999_999n * ONE + 1n;
      await mined(
        ct.write.splitPosition([token.address, 0n, c, amount], { account: alice.account }),
      );
      const payouts = [MAX_240 / 3n, MAX_240 / 3n - 1n, MAX_240 / 3n - 17n];
      const den = payouts.reduce((x, y) => x + y);
      await mined(ct.write.reportPayouts([q, payouts], { account: resolver.account }));
      const expected = (amount * payouts[0] + amount * payouts[2]) / den;
      const [delta] = await balanceDeltas(token, [alice.account.address], () =>
        mined(
          ct.write.redeemPositions([token.address, 0n, c, [2n, 0n]], { account: alice.account }),
        ),
      );
      expect(delta).to.equal(expected);
      // The remaining slot pays the rest but for the floors.
      const [delta1] = await balanceDeltas(token, [alice.account.address], () =>
        mined(ct.write.redeemPositions([token.address, 0n, c, [1n]], { account: alice.account })),
      );
      expect(delta1).to.equal((amount * payouts[1]) / den);
      const left = await token.read.balanceOf([ct.address]);
      expect(left <= 2n).to.equal(true);
      expect(left).to.equal(amount - expected - delta1);
    });

    it("a zero payout still burns the positions; an empty slot list and a second redemption pay 0", async () => {
      const { ct, token, alice, resolver, binary, binaryQuestion } = await loadFixture(ctFixture);
      const a = alice.account.address;
      const [id0, id1] = positionIdsOf(token.address, 0n, binary, 2);
      await mined(
        ct.write.splitPosition([token.address, 0n, binary, 6n], { account: alice.account }),
      );
      await mined(
        ct.write.reportPayouts([binaryQuestion, [0n, 1n]], { account: resolver.account }),
      );
      const [d0] = await balanceDeltas(token, [a], () =>
        mined(
          ct.write.redeemPositions([token.address, 0n, binary, [0n]], { account: alice.account }),
        ),
      );
      expect(d0).to.equal(0n);
      expect(await balancesOf(ct, a, [id0, id1])).to.deep.equal([0n, 6n]);
      await viem.assertions.emitWithArgs(
        ct.write.redeemPositions([token.address, 0n, binary, []], { account: alice.account }),
        ct,
        "PayoutRedeemed",
        [a, token.address, 0n, binary, [], 0n],
      );
      const [d1] = await balanceDeltas(token, [a], () =>
        mined(
          ct.write.redeemPositions([token.address, 0n, binary, [1n]], { account: alice.account }),
        ),
      );
      expect(d1).to.equal(6n);
      const { result } = await ct.simulate.redeemPositions([token.address, 0n, binary, [1n, 0n]], {
        account: alice.account.address,
      });
      expect(result).to.equal(0n);
    });

    it("reverts with ConditionNotResolved before resolution and for an unprepared condition", async () => {
      const { ct, token, alice, binary } = await loadFixture(ctFixture);
      await mined(
        ct.write.splitPosition([token.address, 0n, binary, 6n], { account: alice.account }),
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.redeemPositions([token.address, 0n, binary, [0n]], { account: alice.account }),
        ct,
        "ConditionNotResolved",
        [binary],
      );
      const unknown = question("never prepared");
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.redeemPositions([token.address, 0n, unknown, [0n]], { account: alice.account }),
        ct,
        "ConditionNotResolved",
        [unknown],
      );
    });

    it("reverts with InvalidSlot and DuplicateSlot", async () => {
      const { ct, token, alice, resolver, binary, binaryQuestion } = await loadFixture(ctFixture);
      await mined(
        ct.write.reportPayouts([binaryQuestion, [1n, 1n]], { account: resolver.account }),
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.redeemPositions([token.address, 0n, binary, [0n, 2n]], { account: alice.account }),
        ct,
        "InvalidSlot",
        [2n, 2n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.redeemPositions([token.address, 0n, binary, [maxUint256]], {
          account: alice.account,
        }),
        ct,
        "InvalidSlot",
        [maxUint256, 2n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.redeemPositions([token.address, 0n, binary, [1n, 0n, 1n]], {
          account: alice.account,
        }),
        ct,
        "DuplicateSlot",
        [1n],
      );
    });

    it("slot 255 of a 256-slot condition redeems (the duplicate bitmap covers every slot)", async () => {
      const { ct, token, alice, resolver } = await loadFixture(ctFixture);
      const q = question("wide");
      await mined(ct.write.prepareCondition([resolver.account.address, q, 256n]));
      const c = conditionIdOf(resolver.account.address, q, 256);
      await mined(ct.write.splitPosition([token.address, 0n, c, 512n], { account: alice.account }));
      const payouts = Array.from({ length: 256 }, (_, j) => (j === 255 ? 3n : j === 0 ? 1n : 0n));
      await mined(ct.write.reportPayouts([q, payouts], { account: resolver.account }));
      const [d] = await balanceDeltas(token, [alice.account.address], () =>
        mined(
          ct.write.redeemPositions([token.address, 0n, c, [255n, 0n]], { account: alice.account }),
        ),
      );
      expect(d).to.equal(512n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.redeemPositions([token.address, 0n, c, [255n, 255n]], { account: alice.account }),
        ct,
        "DuplicateSlot",
        [255n],
      );
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("nested markets (two levels)", () => {
    /**
     * Condition A, "which seeds are evaluated", 3 seeds. Condition B, UP/DOWN of seed 1's
     * originality, nested under A's slot 1. Condition C, UP/DOWN of seed 2's originality,
     * nested under A's slot 2 (seed 2 is not evaluated, so C never resolves).
     */
    async function nestedFixture() {
      const base = await ctFixture();
      const { ct, resolver, deployer } = base;
      const qa = question("which seeds are evaluated");
      const qb = question("originality of seed 1");
      const qc = question("originality of seed 2");
      await mined(ct.write.prepareCondition([resolver.account.address, qa, 3n]));
      // The originality markets have their own resolver (the jury), here the deployer.
      await mined(ct.write.prepareCondition([deployer.account.address, qb, 2n]));
      await mined(ct.write.prepareCondition([deployer.account.address, qc, 2n]));
      return {
        ...base,
        qa,
        qb,
        qc,
        condA: conditionIdOf(resolver.account.address, qa, 3),
        condB: conditionIdOf(deployer.account.address, qb, 2),
        condC: conditionIdOf(deployer.account.address, qc, 2),
      };
    }

    it("split collateral on A, split A's slot 1 on B, resolve both, redeem B into A1 and A into collateral", async () => {
      const { ct, token, alice, bob, resolver, deployer, qa, qb, condA, condB } =
        await loadFixture(nestedFixture);
      const a = alice.account.address;
      const b = bob.account.address;
      const A = positionIdsOf(token.address, 0n, condA, 3);
      const B = positionIdsOf(token.address, A[1], condB, 2);

      await mined(
        ct.write.splitPosition([token.address, 0n, condA, 100n], { account: alice.account }),
      );
      await mined(
        ct.write.splitPosition([token.address, A[1], condB, 60n], { account: alice.account }),
      );
      expect(await balancesOf(ct, a, A)).to.deep.equal([100n, 40n, 100n]);
      expect(await balancesOf(ct, a, B)).to.deep.equal([60n, 60n]);
      // Bob buys the DOWN side.
      await mined(ct.write.safeTransferFrom([a, b, B[1], 60n, "0x"], { account: alice.account }));

      // Seeds 0 and 1 are evaluated (A1 redeems 1/2); seed 1's originality is 0.3.
      await mined(ct.write.reportPayouts([qa, [1n, 1n, 0n]], { account: resolver.account }));
      await mined(ct.write.reportPayouts([qb, [3n, 7n]], { account: deployer.account }));

      // Inner redemptions mint the parent position A1, not collateral.
      const vaultBefore = await token.read.balanceOf([ct.address]);
      await viem.assertions.emitWithArgs(
        ct.write.redeemPositions([token.address, A[1], condB, [0n]], { account: alice.account }),
        ct,
        "PayoutRedeemed",
        [a, token.address, A[1], condB, [0n], 18n],
      );
      await mined(
        ct.write.redeemPositions([token.address, A[1], condB, [1n]], { account: bob.account }),
      );
      expect(await ct.read.balanceOf([a, A[1]])).to.equal(40n + 18n);
      expect(await ct.read.balanceOf([b, A[1]])).to.equal(42n);
      expect(await token.read.balanceOf([ct.address])).to.equal(vaultBefore);

      // Outer redemptions pay collateral: Alice floor((100 + 58) / 2) = 79, Bob 42 / 2 = 21.
      const deltas = await balanceDeltas(token, [a, b, ct.address], async () => {
        await mined(
          ct.write.redeemPositions([token.address, 0n, condA, [0n, 1n, 2n]], {
            account: alice.account,
          }),
        );
        await mined(
          ct.write.redeemPositions([token.address, 0n, condA, [1n]], { account: bob.account }),
        );
      });
      expect(deltas).to.deep.equal([79n, 21n, -100n]);
      expect(await token.read.balanceOf([ct.address])).to.equal(0n);
      expect(await balancesOf(ct, a, [...A, ...B])).to.deep.equal([0n, 0n, 0n, 0n, 0n]);
    });

    it("a market under an unevaluated seed never resolves: only merging back, and the parent redeems 0", async () => {
      const { ct, token, alice, resolver, qa, condA, condC } = await loadFixture(nestedFixture);
      const a = alice.account.address;
      const A = positionIdsOf(token.address, 0n, condA, 3);
      await mined(
        ct.write.splitPosition([token.address, 0n, condA, 50n], { account: alice.account }),
      );
      await mined(
        ct.write.splitPosition([token.address, A[2], condC, 50n], { account: alice.account }),
      );
      await mined(ct.write.reportPayouts([qa, [1n, 1n, 0n]], { account: resolver.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        ct.write.redeemPositions([token.address, A[2], condC, [0n, 1n]], {
          account: alice.account,
        }),
        ct,
        "ConditionNotResolved",
        [condC],
      );
      await mined(
        ct.write.mergePositions([token.address, A[2], condC, 50n], { account: alice.account }),
      );
      expect(await ct.read.balanceOf([a, A[2]])).to.equal(50n);
      const { result } = await ct.simulate.redeemPositions([token.address, 0n, condA, [2n]], {
        account: alice.account.address,
      });
      expect(result).to.equal(0n);
      const [d] = await balanceDeltas(token, [a], () =>
        mined(
          ct.write.redeemPositions([token.address, 0n, condA, [0n, 1n]], {
            account: alice.account,
          }),
        ),
      );
      expect(d).to.equal(50n);
    });

    it("nesting to three levels: ids chain through parents and merges unwind to collateral", async () => {
      const { ct, token, alice, condA, condB, condC } = await loadFixture(nestedFixture);
      const a = alice.account.address;
      const p1 = positionIdOf(token.address, 0n, condA, 0);
      const p2 = positionIdOf(token.address, p1, condB, 1);
      const p3 = positionIdOf(token.address, p2, condC, 0);
      expect(await ct.read.getPositionId([token.address, p2, condC, 0n])).to.equal(p3);
      const before = await token.read.balanceOf([a]);
      await mined(
        ct.write.splitPosition([token.address, 0n, condA, 9n], { account: alice.account }),
      );
      await mined(
        ct.write.splitPosition([token.address, p1, condB, 9n], { account: alice.account }),
      );
      await mined(
        ct.write.splitPosition([token.address, p2, condC, 9n], { account: alice.account }),
      );
      expect(await ct.read.balanceOf([a, p3])).to.equal(9n);
      await mined(
        ct.write.mergePositions([token.address, p2, condC, 9n], { account: alice.account }),
      );
      await mined(
        ct.write.mergePositions([token.address, p1, condB, 9n], { account: alice.account }),
      );
      await mined(
        ct.write.mergePositions([token.address, 0n, condA, 9n], { account: alice.account }),
      );
      expect(await token.read.balanceOf([a])).to.equal(before);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe("re-entrancy", () => {
    it("a collateral hook cannot re-enter split, merge or redeem", async () => {
      const { ct, alice, resolver, binary, binaryQuestion } = await loadFixture(ctFixture);
      const hook = await viem.deployContract("ReentrantToken", []);
      await hook.write.mint([alice.account.address, 1_000n]);
      await hook.write.approve([ct.address, maxUint256], { account: alice.account });
      const guard = toFunctionSelector("ReentrancyGuardReentrantCall()");

      const attempts: Hex[] = [
        encodeFunctionData({
          abi: ct.abi,
          functionName: "splitPosition",
          args: [hook.address, 0n, binary, 1n],
        }),
        encodeFunctionData({
          abi: ct.abi,
          functionName: "mergePositions",
          args: [hook.address, 0n, binary, 1n],
        }),
      ];
      // During the pull of a split.
      for (const data of attempts) {
        await hook.write.arm([ct.address, data]);
        await mined(
          ct.write.splitPosition([hook.address, 0n, binary, 10n], { account: alice.account }),
        );
        expect(await hook.read.lastHookSucceeded()).to.equal(false);
        expect(await hook.read.lastHookResult()).to.equal(guard);
      }
      // During the payout of a merge.
      await hook.write.arm([ct.address, attempts[0]]);
      await mined(
        ct.write.mergePositions([hook.address, 0n, binary, 5n], { account: alice.account }),
      );
      expect(await hook.read.lastHookSucceeded()).to.equal(false);
      expect(await hook.read.lastHookResult()).to.equal(guard);
      // During the payout of a redemption.
      await mined(
        ct.write.reportPayouts([binaryQuestion, [1n, 1n]], { account: resolver.account }),
      );
      await hook.write.arm([
        ct.address,
        encodeFunctionData({
          abi: ct.abi,
          functionName: "redeemPositions",
          args: [hook.address, 0n, binary, [0n, 1n]],
        }),
      ]);
      await mined(
        ct.write.redeemPositions([hook.address, 0n, binary, [0n, 1n]], { account: alice.account }),
      );
      expect(await hook.read.lastHookSucceeded()).to.equal(false);
      expect(await hook.read.lastHookResult()).to.equal(guard);
      expect(await hook.read.hookCalls()).to.equal(4n);
      // Everything balanced out: 20 split, 5 merged, 15 redeemed.
      expect(await hook.read.balanceOf([ct.address])).to.equal(0n);
      expect(await hook.read.balanceOf([alice.account.address])).to.equal(1_000n);
    });
  });
});
