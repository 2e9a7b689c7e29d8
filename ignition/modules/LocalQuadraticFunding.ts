import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { deployQuadraticFunding } from "./QuadraticFunding.js";

/**
 * A local or testnet deployment with its own EIP-2612 test token (open faucet), used by the demo,
 * the tests and the README's browser-wallet walkthrough.
 *
 * Parameters (module id "LocalQuadraticFunding"): tokenName, tokenSymbol, tokenDecimals, admin,
 * keeper, registrar, start, period, grace, roundBudget (as in the QuadraticFunding module).
 */
export default buildModule("LocalQuadraticFunding", (m) => {
  const token = m.contract("TestToken", [
    m.getParameter("tokenName", "Gap Funding Test Token"),
    m.getParameter("tokenSymbol", "GAP"),
    m.getParameter("tokenDecimals", 18),
  ]);
  const qf = deployQuadraticFunding(m, token);
  return { token, qf };
});
