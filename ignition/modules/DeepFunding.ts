import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { keccak256, stringToHex } from "viem";

import LocalJury from "./LocalJury.js";

/** The default target of the graph: keccak256("ethereum"). */
export const DEFAULT_TARGET = keccak256(stringToHex("ethereum"));

/** The default bond of an edge proposal: 10 tokens. */
export const DEFAULT_EDGE_BOND = 10n * 10n ** 18n;

/**
 * Deep Funding on the local jury: the dependency graph of one target (bonds in the jury's test
 * token, slashed bonds to the jury fund) and the funding pot that pays the graph's nodes.
 *
 * Parameters (module id "DeepFunding"): target (bytes32; default keccak256("ethereum")),
 * edgeBond (token units; default 10e18), admin, registrar and settler (the graph's and the pot's
 * roles; default: the deploying account).
 */
export default buildModule("DeepFunding", (m) => {
  const { token, jury, vault, maker } = m.useModule(LocalJury);
  const deployer = m.getAccount(0);
  const admin = m.getParameter("admin", deployer);
  const settler = m.getParameter("settler", deployer);
  const graph = m.contract("DependencyGraph", [
    m.getParameter<string>("target", DEFAULT_TARGET),
    token,
    jury,
    m.getParameter("edgeBond", DEFAULT_EDGE_BOND),
    admin,
    m.getParameter("registrar", deployer),
    settler,
  ]);
  const pot = m.contract("FundingPot", [token, graph, admin, settler]);
  return { graph, pot, token, jury, vault, maker };
});
