import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { ArgumentType, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";

/** Six hours, the default round length. */
export const DEFAULT_PERIOD_SECONDS = 6n * 60n * 60n;
/** Thirty days after finalize before unclaimed payouts can be swept back to the pool. */
export const DEFAULT_GRACE_SECONDS = 30n * 24n * 60n * 60n;

/**
 * Deploys QuadraticFunding for an existing ERC-20.
 *
 * Parameters (module id "QuadraticFunding"):
 * - token (required): the escrowed ERC-20's address;
 * - admin, keeper, registrar: role holders (default: the deploying account);
 * - start: first second of round 0 (0: the deployment block's time);
 * - period: round length in seconds (default 6 h); grace: sweep grace period in seconds;
 * - roundBudget: per-round matching budget in token wei (default 0).
 */
/** The QuadraticFunding deployment shared by this module and the local one. */
export function deployQuadraticFunding(m: IgnitionModuleBuilder, token: ArgumentType) {
  const deployer = m.getAccount(0);
  return m.contract("QuadraticFunding", [
    token,
    m.getParameter("admin", deployer),
    m.getParameter("keeper", deployer),
    m.getParameter("registrar", deployer),
    m.getParameter("start", 0n),
    m.getParameter("period", DEFAULT_PERIOD_SECONDS),
    m.getParameter("grace", DEFAULT_GRACE_SECONDS),
    m.getParameter("roundBudget", 0n),
  ]);
}

export default buildModule("QuadraticFunding", (m) => {
  const qf = deployQuadraticFunding(m, m.getParameter<string>("token"));
  return { qf };
});
