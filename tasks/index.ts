/** Task definitions. Each action lives in its own file and is loaded only when it runs. */
import { task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

const address = {
  name: "address" as const,
  description: "QuadraticFunding address (default: this network's Ignition deployment)",
  defaultValue: "",
};

const makerOption = {
  name: "maker" as const,
  description: "LMSRMarketMaker address (default: this network's Ignition deployment)",
  defaultValue: "",
};
function marketTasks() {
  const trade = (name: "buy" | "sell", limit: string) =>
    task(`market:${name}`, `${name === "buy" ? "Buy" : "Sell"} an exact amount of one outcome`)
      .addOption({ name: "market", description: "Market id", defaultValue: "" })
      .addOption({ name: "outcome", description: "Outcome index", defaultValue: "" })
      .addOption({ name: "amount", description: "Outcome tokens", defaultValue: "" })
      .addOption({ name: "limit", description: limit, defaultValue: "" })
      .addOption(makerOption)
      .setAction(() => import(`./market-${name}.js`))
      .build();
  const vault = (name: "split" | "merge" | "redeem", description: string) =>
    task(`market:${name}`, description)
      .addOption({ name: "collateral", description: "Collateral ERC-20", defaultValue: "" })
      .addOption({
        name: "parent",
        description: "Parent position id (0: collateral)",
        defaultValue: "",
      })
      .addOption({ name: "condition", description: "Condition id (0x + 64 hex)", defaultValue: "" })
      .addOption({ name: "amount", description: "Amount in tokens", defaultValue: "" })
      .addOption({
        name: "slots",
        description: "Slots to redeem, e.g. 0,2 (default all)",
        defaultValue: "",
      })
      .addOption({ name: "vault", description: "ConditionalTokens address", defaultValue: "" })
      .setAction(() => import(`./market-${name}.js`))
      .build();
  return [
    task("market:prices", "Spot and time-weighted prices of a market's outcomes")
      .addOption({ name: "market", description: "Market id", defaultValue: "" })
      .addOption(makerOption)
      .setAction(() => import("./market-prices.js"))
      .build(),
    trade("buy", "Maximum cost in tokens (slippage bound)"),
    trade("sell", "Minimum return in tokens (slippage bound)"),
    vault("split", "Split a position (or collateral) into a full set of outcome tokens"),
    vault("merge", "Merge a full set of outcome tokens back into its parent"),
    vault("redeem", "Redeem resolved outcome tokens into their parent"),
    task("market:condition", "Prepare a condition in the vault")
      .addOption({
        name: "question",
        description: "Question text (hashed into the id)",
        defaultValue: "",
      })
      .addOption({
        name: "outcomes",
        description: "Number of outcomes (2..256)",
        defaultValue: "2",
      })
      .addOption({
        name: "resolver",
        description: "Resolver (default: the sender)",
        defaultValue: "",
      })
      .addOption({ name: "vault", description: "ConditionalTokens address", defaultValue: "" })
      .setAction(() => import("./market-condition.js"))
      .build(),
    task("market:create", "Create an LMSR market over a condition")
      .addOption({ name: "condition", description: "Condition id", defaultValue: "" })
      .addOption({ name: "collateral", description: "Collateral ERC-20", defaultValue: "" })
      .addOption({
        name: "parent",
        description: "Parent position id (0: collateral)",
        defaultValue: "",
      })
      .addOption({
        name: "subsidy",
        description: "Subsidy in tokens (bounds the loss)",
        defaultValue: "100",
      })
      .addOption({
        name: "prices",
        description: "Starting prices, e.g. 0.7,0.3 (default uniform)",
        defaultValue: "",
      })
      .addOption({ name: "hours", description: "Trading window in hours", defaultValue: "6" })
      .addOption(makerOption)
      .setAction(() => import("./market-create.js"))
      .build(),
    task("market:report", "Report a condition's payouts (the sender is its resolver)")
      .addOption({ name: "question", description: "Question text", defaultValue: "" })
      .addOption({ name: "payouts", description: "Payout vector, e.g. 1,0", defaultValue: "" })
      .addOption({ name: "vault", description: "ConditionalTokens address", defaultValue: "" })
      .setAction(() => import("./market-report.js"))
      .build(),
  ];
}

const juryOption = {
  name: "address" as const,
  description: "Jury address (default: this network's Ignition deployment)",
  defaultValue: "",
};

function juryTasks() {
  const evaluation = {
    name: "evaluation" as const,
    description: "Evaluation id",
    defaultValue: "",
  };
  return [
    task("jury:create", "Create an evaluation (needs EVALUATOR_ROLE)")
      .addOption({ name: "kind", description: "pairwise or score", defaultValue: "score" })
      .addOption({ name: "items", description: "Items (pairwise)", defaultValue: "0" })
      .addFlag({ name: "triangle", description: "Aggregate by the triangle check (3 items)" })
      .addOption({ name: "panel", description: "Jurors on the panel", defaultValue: "3" })
      .addOption({ name: "commitHours", description: "Commit window", defaultValue: "24" })
      .addOption({ name: "revealHours", description: "Reveal window", defaultValue: "24" })
      .addOption({ name: "delta", description: "Huber delta (pairwise)", defaultValue: "1" })
      .addOption({
        name: "tolerance",
        description: "Largest accepted gradient per item",
        defaultValue: "0.000000001",
      })
      .addOption({ name: "minStake", description: "Stake a juror needs", defaultValue: "0" })
      .addOption({ name: "fee", description: "Fee in tokens for the jurors", defaultValue: "0" })
      .addOption({
        name: "feeFromFund",
        description: "Fee taken from the jury fund",
        defaultValue: "0",
      })
      .addOption({
        name: "question",
        description: "Vault question text to report to (empty: none)",
        defaultValue: "",
      })
      .addOption(juryOption)
      .setAction(() => import("./jury-create.js"))
      .build(),
    task("jury:juror", "Add or remove a juror (needs the admin role)")
      .addOption({ name: "add", description: "Address to add", defaultValue: "" })
      .addOption({ name: "remove", description: "Address to remove", defaultValue: "" })
      .addOption(juryOption)
      .setAction(() => import("./jury-juror.js"))
      .build(),
    task("jury:stake", "Stake (or with --unstake, withdraw free) jury tokens")
      .addOption({ name: "amount", description: "Tokens", defaultValue: "" })
      .addFlag({ name: "unstake", description: "Withdraw instead" })
      .addOption({
        name: "account",
        description: "Index of the sending account",
        defaultValue: "0",
      })
      .addOption(juryOption)
      .setAction(() => import("./jury-stake.js"))
      .build(),
    task("jury:commit", "Commit ratings or a score; the salt is saved in a ballot file")
      .addOption(evaluation)
      .addOption({
        name: "pairs",
        description: "CSV a,b,choice,multiplier (item indices)",
        defaultValue: "",
      })
      .addOption({ name: "score", description: "Score in [0, 1]", defaultValue: "" })
      .addOption({
        name: "ballot",
        description: "Ballot file to write (default ballot-ID-JUROR.json)",
        defaultValue: "",
      })
      .addOption({
        name: "account",
        description: "Index of the sending account",
        defaultValue: "0",
      })
      .addOption(juryOption)
      .setAction(() => import("./jury-commit.js"))
      .build(),
    task("jury:reveal", "Reveal a committed ballot")
      .addOption({ name: "ballot", description: "Ballot file from jury:commit", defaultValue: "" })
      .addOption({
        name: "account",
        description: "Index of the sending account",
        defaultValue: "0",
      })
      .addOption(juryOption)
      .setAction(() => import("./jury-reveal.js"))
      .build(),
    task(
      "jury:submit",
      "Draw a panel, or resolve an evaluation (fits and submits Huber certificates)",
    )
      .addOption(evaluation)
      .addOption(juryOption)
      .setAction(() => import("./jury-submit.js"))
      .build(),
    task("jury:status", "Evaluations, panels, ballots and results")
      .addOption(evaluation)
      .addOption(juryOption)
      .setAction(() => import("./jury-status.js"))
      .build(),
  ];
}

function dfTasks() {
  const graphOption = {
    name: "graph" as const,
    description: "DependencyGraph address (default: this network's Ignition deployment)",
    defaultValue: "",
  };
  const account = {
    name: "account" as const,
    description: "Index of the sending account",
    defaultValue: "0",
  };
  const roundsOption = {
    name: "rounds" as const,
    description: "DeepFundingRounds address (default: this network's Ignition deployment)",
    defaultValue: "",
  };
  return [
    task("df:import", "Register the Deep Funding data's nodes, seeds and edges (idempotent)")
      .addOption({
        name: "seeds",
        description: "Seed list JSON (default: data/deepfunding/seed_repos_v2.json)",
        defaultValue: "",
      })
      .addOption({
        name: "weights",
        description:
          "Dependency weights CSV (default: data/deepfunding/dependency_weights_eval.csv)",
        defaultValue: "",
      })
      .addOption({
        name: "limitSeeds",
        description: "Import only the first N seeds (default: all)",
        defaultValue: "",
      })
      .addOption({
        name: "payout",
        description: "Payout address of every new node (default: a placeholder per node)",
        defaultValue: "",
      })
      .addOption(account)
      .addOption(graphOption)
      .setAction(() => import("./df-import.js"))
      .build(),
    task("df:propose", "Propose an edge from a seed to a node, with the bond")
      .addOption({ name: "parent", description: "Parent seed (URL or 0xID)", defaultValue: "" })
      .addOption({ name: "child", description: "Child node (URL or 0xID)", defaultValue: "" })
      .addOption(account)
      .addOption(graphOption)
      .setAction(() => import("./df-propose.js"))
      .build(),
    task("df:claim", "Pay what the funding pot owes a node (or, with --all, every node)")
      .addOption({ name: "node", description: "Node (URL or 0xID)", defaultValue: "" })
      .addFlag({ name: "all", description: "Claim for every node owed something" })
      .addOption(account)
      .addOption({
        name: "pot",
        description: "FundingPot address (default: this network's Ignition deployment)",
        defaultValue: "",
      })
      .addOption({
        name: "graph",
        description: "DependencyGraph address (default: the pot's registry)",
        defaultValue: "",
      })
      .setAction(() => import("./df-claim.js"))
      .build(),
    task("df:round", "Show a Deep Funding round: phase, markets, prices, evaluations")
      .addOption({
        name: "round",
        description: "Round (default: the current one)",
        defaultValue: "",
      })
      .addOption(roundsOption)
      .setAction(() => import("./df-round.js"))
      .build(),
    task("df:evaluate", "Pay the fee to have a market of the current round evaluated")
      .addOption({
        name: "family",
        description: "originality or dependency",
        defaultValue: "",
      })
      .addOption({ name: "seed", description: "Seed (index, URL or 0xID)", defaultValue: "" })
      .addOption(account)
      .addOption(roundsOption)
      .setAction(() => import("./df-evaluate.js"))
      .build(),
    task("df:budget", "Add tokens to the Deep Funding rounds' budget (subsidies, jury fees)")
      .addOption({ name: "amount", description: "Tokens (decimal)", defaultValue: "" })
      .addFlag({ name: "mint", description: "Mint them first (test token's open faucet)" })
      .addOption(account)
      .addOption(roundsOption)
      .setAction(() => import("./df-budget.js"))
      .build(),
    task("df:keeper", "Drive Deep Funding rounds: open, batches, close, selection, settlement")
      .addOption({ name: "batch", description: "Seeds per batch", defaultValue: "10" })
      .addOption({
        name: "watch",
        description: "Keep running, checking every N seconds (0: run once)",
        type: ArgumentType.INT,
        defaultValue: 0,
      })
      .addFlag({ name: "noOpen", description: "Do not open the next round" })
      .addOption(roundsOption)
      .setAction(() => import("./df-keeper.js"))
      .build(),
  ];
}

export default [
  task("qf:contribute", "Contribute tokens to a gap in the open round")
    .addOption({ name: "gap", description: "Gap id", defaultValue: "" })
    .addOption({ name: "amount", description: "Amount in tokens, e.g. 12.5", defaultValue: "" })
    .addFlag({ name: "permit", description: "Sign an EIP-2612 permit instead of approving" })
    .addOption({ name: "from", description: "Sender (default: first account)", defaultValue: "" })
    .addOption(address)
    .setAction(() => import("./qfContribute.js"))
    .build(),

  task("qf:stats", "Show one gap, or all gaps of a round, as a table or JSON")
    .addOption({ name: "gap", description: "Gap id (default: all gaps)", defaultValue: "" })
    .addOption({ name: "round", description: "Round (default: the open round)", defaultValue: "" })
    .addFlag({ name: "json", description: "Print JSON instead of a table" })
    .addOption(address)
    .setAction(() => import("./qfStats.js"))
    .build(),

  task("qf:match", "Finalize an ended round (needs KEEPER_ROLE)")
    .addOption({
      name: "round",
      description: "Round (default: the last ended one)",
      defaultValue: "",
    })
    .addOption(address)
    .setAction(() => import("./qfMatch.js"))
    .build(),

  task("qf:claim", "Pay a finalized round's gap (or all its gaps) to the beneficiaries")
    .addOption({ name: "round", description: "Round", defaultValue: "" })
    .addOption({ name: "gap", description: "Gap id (default: every funded gap)", defaultValue: "" })
    .addOption(address)
    .setAction(() => import("./qfClaim.js"))
    .build(),

  task("qf:keeper", "Finalize every ended round that has contributions and is not finalized")
    .addOption({ name: "from", description: "First round to look at", defaultValue: "0" })
    .addOption({
      name: "watch",
      description: "Keep running, checking every N seconds (0: run once)",
      type: ArgumentType.INT,
      defaultValue: 0,
    })
    .addOption(address)
    .setAction(() => import("../scripts/keeper.js"))
    .build(),

  task("qf:check", "Compute a round off-chain (and optionally replay it on-chain) and compare")
    .addOption({ name: "input", description: "Input JSON file", defaultValue: "" })
    .addOption({ name: "out", description: "Output JSON file", defaultValue: "" })
    .addFlag({ name: "onchain", description: "Replay on the in-process chain and compare" })
    .setAction(() => import("./qfCheck.js"))
    .build(),

  task("jury:aggregate", "Fit juror pairwise ratings (Deep Funding CSV) by Huber or least squares")
    .addOption({ name: "input", description: "Juror pairs CSV file", defaultValue: "" })
    .addOption({ name: "loss", description: "huber or l2", defaultValue: "huber" })
    .addOption({
      name: "delta",
      description: 'Huber delta: a positive number or "mad"',
      defaultValue: "mad",
    })
    .addOption({ name: "out", description: "Output JSON file", defaultValue: "" })
    .setAction(() => import("./juryAggregate.js"))
    .build(),

  task("qf:seed", "Register sample gaps, mint test tokens and fund the pool (test token only)")
    .addOption({ name: "to", description: "Recipient (default: every account)", defaultValue: "" })
    .addOption({ name: "amount", description: "Test tokens to mint each", defaultValue: "1000" })
    .addOption({ name: "pool", description: "Tokens to put in the pool", defaultValue: "10000" })
    .addOption(address)
    .setAction(() => import("./qfSeed.js"))
    .build(),

  ...marketTasks(),
  ...juryTasks(),
  ...dfTasks(),

  task("demo", "Run the end-to-end demonstration on the in-process chain")
    .addOption({ name: "report", description: "Also write a JSON report here", defaultValue: "" })
    .setAction(() => import("../scripts/demo.js"))
    .build(),

  task("bench", "Measure the gas of the contracts' main operations")
    .addOption({
      name: "out",
      description: "Write the figures to this JSON file",
      defaultValue: "",
    })
    .setAction(() => import("../scripts/bench.js"))
    .build(),
];
