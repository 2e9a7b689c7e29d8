import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { keccak256, parseEther, stringToHex } from "viem";

import DeepFunding from "./DeepFunding.js";

/** The round configuration the module deploys unless parameters say otherwise. */
export const DEFAULT_ROUND_CONFIG = {
  /** One week of trading. */
  period: 7 * 24 * 3600,
  marketSubsidy: parseEther("100"),
  /** A seed or child never priced starts at 5% before normalisation. */
  baseRateWad: parseEther("0.05"),
  startOriginalityWad: parseEther("0.5"),
  sampleSize: 2,
  /** A time-weighted price 10 points away from its start triggers an evaluation. */
  volatilityWad: parseEther("0.1"),
  evaluationFee: parseEther("5"),
  juryFee: parseEther("1"),
  panelSize: 3,
  commitDuration: 24 * 3600,
  revealDuration: 24 * 3600,
  /** Huber delta 1.0 and gradient tolerance 1e-9. */
  deltaWad: parseEther("1"),
  toleranceWad: 10n ** 9n,
  minStake: 0n,
} as const;

const EVALUATOR_ROLE = keccak256(stringToHex("EVALUATOR_ROLE"));
const SETTLER_ROLE = keccak256(stringToHex("SETTLER_ROLE"));

/**
 * The recurring Deep Funding round on the DeepFunding module's graph and pot, with the local
 * jury's vault, market maker and jury. The deploying account (admin of all three) grants the
 * round contract the jury's EVALUATOR_ROLE and the graph's and pot's SETTLER_ROLE.
 *
 * Parameters (module id "DeepFundingRounds"): config (an object with the fields of
 * `DEFAULT_ROUND_CONFIG`; default that object).
 */
export default buildModule("DeepFundingRounds", (m) => {
  const { graph, pot, token, jury, vault, maker } = m.useModule(DeepFunding);
  const config = m.getParameter("config", DEFAULT_ROUND_CONFIG);
  const rounds = m.contract("DeepFundingRounds", [vault, maker, jury, graph, pot, config]);
  m.call(jury, "grantRole", [EVALUATOR_ROLE, rounds], { id: "GrantEvaluator" });
  m.call(graph, "grantRole", [SETTLER_ROLE, rounds], { id: "GrantGraphSettler" });
  m.call(pot, "grantRole", [SETTLER_ROLE, rounds], { id: "GrantPotSettler" });
  return { rounds, graph, pot, token, jury, vault, maker };
});
