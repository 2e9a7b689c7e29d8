import { task } from "hardhat/config";

const bench = task("bench", "Measure the gas of the contracts' main operations")
  .addOption({ name: "out", description: "Write the figures to this JSON file", defaultValue: "" })
  .setAction(() => import("../scripts/bench.js"))
  .build();

export default [bench];
