import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import Markets from "./Markets.js";

/**
 * A local or testnet jury with its own test token (open faucet), reporting to the vault of the
 * Markets module; the deploying account administers the registry and creates evaluations. Used by
 * the demo and the tests.
 */
export default buildModule("LocalJury", (m) => {
  const { vault, maker } = m.useModule(Markets);
  const deployer = m.getAccount(0);
  const token = m.contract("TestToken", ["Jury Test Token", "JURY", 18], { id: "JuryToken" });
  const jury = m.contract("Jury", [token, vault, deployer, deployer]);
  return { jury, token, vault, maker };
});
