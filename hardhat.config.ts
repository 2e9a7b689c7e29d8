import { createRequire } from "node:module";

import hardhatIgnitionViem from "@nomicfoundation/hardhat-ignition-viem";
import hardhatKeystore from "@nomicfoundation/hardhat-keystore";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatViemAssertions from "@nomicfoundation/hardhat-viem-assertions";
import { configVariable, defineConfig } from "hardhat/config";

import tasks from "./tasks/index.js";

// The compiler comes from the npm `solc` package (no download at build time). Hardhat does not
// check that the wasm build matches `SOLC_VERSION`, so package.json pins `solc` to exactly this.
const SOLC_VERSION = "0.8.28";
const require = createRequire(import.meta.url);
const soljson = require.resolve("solc/soljson.js");

const compiler = (runs: number) => ({
  version: SOLC_VERSION,
  path: soljson,
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs },
    viaIR: true,
  },
});

// Contracts are optimised for execution (runs 1e6). The jury would then exceed the 24,576-byte
// code limit, so it is optimised for fewer runs; its hot path, the Huber check, is a loop the
// optimiser treats the same either way.
const profile = () => ({
  compilers: [compiler(1_000_000)],
  overrides: {
    "contracts/jury/Jury.sol": compiler(200),
    "contracts/deepfunding/DeepFundingRounds.sol": compiler(200),
  },
});

export default defineConfig({
  plugins: [
    hardhatViem,
    hardhatMocha,
    hardhatNetworkHelpers,
    hardhatIgnitionViem,
    hardhatViemAssertions,
    hardhatKeystore,
  ],
  tasks,
  solidity: {
    profiles: {
      // Tests and coverage: fast builds, still with the optimizer so gas in tests is realistic.
      default: profile(),
      // Deployments and the benchmark.
      production: profile(),
    },
  },
  paths: {
    tests: { mocha: "./test", solidity: "./test" },
  },
  test: {
    mocha: { timeout: 600_000 },
    solidity: { fuzz: { runs: 256 } },
  },
  networks: {
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
  },
});
