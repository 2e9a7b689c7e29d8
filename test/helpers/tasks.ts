import hre from "hardhat";

/**
 * Runs a Hardhat task in-process, silencing its output. Returns the exit code it set (resetting
 * it so mocha is unaffected) and what it printed to stderr.
 */
export async function runTaskQuietly(
  name: string,
  args: Record<string, unknown>,
): Promise<{ code: number; stderr: string }> {
  const saved = process.exitCode;
  process.exitCode = undefined;
  const log = console.log;
  const error = console.error;
  const errors: string[] = [];
  console.log = () => {};
  console.error = (...parts: unknown[]) => errors.push(parts.join(" "));
  try {
    await hre.tasks.getTask(name).run(args);
    return { code: Number(process.exitCode ?? 0), stderr: errors.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
    process.exitCode = saved;
  }
}

/** The exit code of `runTaskQuietly`. */
export async function runTask(name: string, args: Record<string, unknown>): Promise<number> {
  return (await runTaskQuietly(name, args)).code;
}
