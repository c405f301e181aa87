/**
 * One-shot `shm` commands as real processes: the program started as the
 * executable would be (the `compile` task's permission flags), from a
 * temporary working directory, with only the settings the test gives.
 */

import { compilePermissionFlags } from "./server.ts";

const REPO = new URL("../../", import.meta.url).pathname;

/**
 * Runs `shm <args>` with `env` as its only settings; resolves with its exit
 * code, its standard output and error, and both together (`text`).
 */
export async function runShm(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; text: string; stdout: string; stderr: string }> {
  const cwd = await Deno.makeTempDir({ prefix: "shm-cli-" });
  try {
    const inherited: Record<string, string> = {};
    for (const [name, value] of Object.entries(Deno.env.toObject())) {
      if (!/^(SHM_|DATABASE_URL$|PORT$)/.test(name)) inherited[name] = value;
    }
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--config=${REPO}deno.json`,
        ...await compilePermissionFlags(),
        `${REPO}server/main.ts`,
        ...args,
      ],
      cwd,
      env: { ...inherited, SHM_LOG_LEVEL: "warn", ...env },
      clearEnv: true,
      stdin: "null",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    return { code: output.code, text: stdout + stderr, stdout, stderr };
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}
