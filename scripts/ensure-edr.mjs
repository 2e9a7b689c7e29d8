// Post-install check: Hardhat 3 needs Node 22.13+ and the native EDR binary.
//
// On a machine whose system Node is older, npm skips EDR's platform package (it declares
// node >= 22), so Hardhat cannot load. The `node` devDependency ships a Node 22 binary and npm
// scripts put node_modules/.bin first on PATH, so this script already runs under Node 22 here.
// If EDR still cannot be imported, we run npm's install once more under this Node, which then
// installs the platform package recorded in the lockfile.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function edrLoads() {
  try {
    require("@nomicfoundation/edr");
    return true;
  } catch {
    return false;
  }
}

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  console.error(
    `ensure-edr: running under Node ${process.versions.node}; Hardhat 3 needs 22.13+. ` +
      "Run npm scripts (npm test, npm run demo) so that node_modules/.bin/node is used.",
  );
}

if (process.env.ENSURE_EDR_RETRY === "1" || edrLoads()) {
  process.exit(0);
}

const npmCli = process.env.npm_execpath;
if (!npmCli) {
  console.error("ensure-edr: @nomicfoundation/edr does not load and npm_execpath is unset.");
  process.exit(1);
}
console.log(`ensure-edr: installing EDR's platform binary under Node ${process.versions.node}`);
const result = spawnSync(process.execPath, [npmCli, "install", "--no-audit", "--no-fund"], {
  stdio: "inherit",
  env: { ...process.env, ENSURE_EDR_RETRY: "1" },
});
if (result.status !== 0 || !edrLoads()) {
  console.error("ensure-edr: @nomicfoundation/edr still does not load after a second install.");
  process.exit(1);
}
