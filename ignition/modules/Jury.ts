import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { keccak256, stringToHex } from "viem";

import Markets from "./Markets.js";

/** The jury's role for whoever creates evaluations (an operator, or a Deep Funding round). */
export const EVALUATOR_ROLE = keccak256(stringToHex("EVALUATOR_ROLE"));

/**
 * The jury, reporting to the vault of the Markets module.
 *
 * Parameters (module id "Jury"): token (the ERC-20 of stakes and fees; required), admin (the
 * juror registry; default: the deploying account) and evaluator (EVALUATOR_ROLE; default: the
 * deploying account).
 */
export default buildModule("Jury", (m) => {
  const { vault, maker } = m.useModule(Markets);
  const deployer = m.getAccount(0);
  const jury = m.contract("Jury", [
    m.getParameter<string>("token"),
    vault,
    m.getParameter("admin", deployer),
    m.getParameter("evaluator", deployer),
  ]);
  return { jury, vault, maker };
});
