import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { keccak256, stringToHex } from "viem";

/** The vault's role for market makers. */
export const ISSUER_ROLE = keccak256(stringToHex("ISSUER_ROLE"));

/**
 * The conditional token vault and the LMSR market maker, with the maker made an issuer of the
 * vault. Parameters (module id "Markets"): baseUri, the prefix of every position's metadata URI.
 * The deploying account administers the vault's issuer role.
 */
export default buildModule("Markets", (m) => {
  const vault = m.contract("ConditionalTokens", [
    m.getParameter("baseUri", "https://example.org/positions/"),
  ]);
  const maker = m.contract("LMSRMarketMaker", [vault]);
  m.call(vault, "grantRole", [ISSUER_ROLE, maker]);
  return { vault, maker };
});
