/**
 * Fixtures for the QuadraticFunding tests.
 *
 * `createQfFixture(connection)` returns the named fixture `qfFixture` for `loadFixture`: the
 * Ignition module `LocalQuadraticFunding` (TestToken + QuadraticFunding) with a known period,
 * grace period and budget, separate admin / keeper / registrar wallets, a few registered gaps
 * with distinct beneficiaries, contributor wallets that hold and have approved tokens, and a
 * funded matching pool.
 *
 * `createCrowdFixture(connection)` returns `crowdFixture`: the same deployment plus many
 * impersonated contributor addresses (minted and approved) and more gaps, for the large hand
 * examples and the differential tests.
 */
import type { NetworkConnection } from "hardhat/types/network";
import { type Address, getAddress, maxUint256 } from "viem";

import LocalQuadraticFundingModule from "../../ignition/modules/LocalQuadraticFunding.js";

/** One token (18 decimals). */
export const ONE = 10n ** 18n;
/** Round length used by the fixtures. */
export const PERIOD = 3_600n;
/** Grace period used by the fixtures. */
export const GRACE = 86_400n;
/** Configured per-round budget: 1,000 tokens. */
export const BUDGET = 1_000n * ONE;
/** Initial matching pool: 5,000 tokens (more than the budget). */
export const POOL = 5_000n * ONE;
/** Tokens minted to every contributor. */
export const MINT = 1_000_000n * ONE;
/** Gaps registered by `qfFixture`. */
export const GAP_COUNT = 4;
/** Round statuses as the ABI returns them. */
export const Status = { Open: 0, Finalized: 1, Cancelled: 2, Swept: 3 } as const;

/** A deterministic address `prefix` followed by the index (no precompiles, no code). */
export function syntheticAddress(prefix: string, index: number): Address {
  return getAddress(`0x${prefix}${index.toString(16).padStart(40 - prefix.length, "0")}`);
}

async function deployBase(connection: NetworkConnection) {
  const { viem, ignition } = connection;
  const wallets = await viem.getWalletClients();
  const [admin, keeper, registrar] = wallets;
  const { token, qf } = await ignition.deploy(LocalQuadraticFundingModule, {
    parameters: {
      LocalQuadraticFunding: {
        admin: admin.account.address,
        keeper: keeper.account.address,
        registrar: registrar.account.address,
        period: PERIOD,
        grace: GRACE,
        roundBudget: BUDGET,
      },
    },
  });
  const start = await qf.read.START();
  // The admin funds the pool.
  await token.write.mint([admin.account.address, MINT], { account: admin.account });
  await token.write.approve([qf.address, maxUint256], { account: admin.account });
  await qf.write.fundPool([POOL], { account: admin.account });
  return { token, qf, wallets, admin, keeper, registrar, start };
}

/** Returns the named fixture `qfFixture` bound to `connection`. Create it once per file. */
export function createQfFixture(connection: NetworkConnection) {
  return async function qfFixture() {
    const base = await deployBase(connection);
    const { token, qf, wallets, registrar } = base;
    // wallets[3..12]: ten contributors, minted and approved.
    const contributors = wallets.slice(3, 13);
    // wallets[13..16]: the beneficiaries of gaps 1..4.
    const beneficiaries = wallets.slice(13, 13 + GAP_COUNT);
    // wallets[17]: holds no role and no tokens.
    const outsider = wallets[17];
    // wallets[18]: holds tokens but has approved nothing (for permits).
    const permitSigner = wallets[18];
    // wallets[19]: a spare address, used as a new beneficiary.
    const spare = wallets[19];

    const gapIds: bigint[] = [];
    for (let i = 0; i < GAP_COUNT; i++) {
      await qf.write.registerGap([beneficiaries[i].account.address, `gap-${i + 1}`], {
        account: registrar.account,
      });
      gapIds.push(BigInt(i + 1));
    }
    for (const c of contributors) {
      await token.write.mint([c.account.address, MINT]);
      await token.write.approve([qf.address, maxUint256], { account: c.account });
    }
    await token.write.mint([permitSigner.account.address, MINT]);

    return { ...base, contributors, beneficiaries, outsider, permitSigner, spare, gapIds };
  };
}

/** Impersonated contributors created by `crowdFixture`. */
export const CROWD_SIZE = 100;
/** Gaps registered by `crowdFixture`. */
export const CROWD_GAPS = 32;

/** Returns the named fixture `crowdFixture` bound to `connection`. Create it once per file. */
export function createCrowdFixture(connection: NetworkConnection) {
  return async function crowdFixture() {
    const { networkHelpers } = connection;
    const base = await deployBase(connection);
    const { token, qf, registrar } = base;

    const beneficiaries: Address[] = [];
    for (let i = 0; i < CROWD_GAPS; i++) {
      const beneficiary = syntheticAddress("be", i + 1);
      beneficiaries.push(beneficiary);
      await qf.write.registerGap([beneficiary, `crowd-gap-${i + 1}`], {
        account: registrar.account,
      });
    }
    const crowd: Address[] = [];
    for (let i = 0; i < CROWD_SIZE; i++) {
      const address = syntheticAddress("c0ffee", i + 1);
      crowd.push(address);
      await networkHelpers.impersonateAccount(address);
      await networkHelpers.setBalance(address, 10n ** 20n);
      await token.write.mint([address, MINT]);
      await token.write.approve([qf.address, maxUint256], { account: address });
    }
    const gapIds = beneficiaries.map((_, i) => BigInt(i + 1));
    return { ...base, beneficiaries, crowd, gapIds };
  };
}
