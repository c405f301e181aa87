/**
 * The `shm` command: `serve` (the default), `migrate`, `version`, `--help`.
 * This is the entry point of `deno task start` and of the compiled executable.
 */

import { parseArgs } from "node:util";
import { ConfigError, readConfig, type SettingFlags, SETTINGS } from "./config.ts";
import { createLogger, type Logger } from "./log.ts";
import { startServer } from "./serve.ts";
import { localHealthcheckUrl, probeHealth } from "./cli/healthcheck.ts";
import { importCommand } from "./cli/import_command.ts";
import { MIGRATIONS, migrationStatus, openStore, runMigrations } from "./store/mod.ts";
import { VERSION } from "./version.ts";

const COMMANDS = ["serve", "migrate", "version", "healthcheck", "import-shm", "help"] as const;

/** Runs the command line `args`; resolves with the process exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...Object.fromEntries(
          Object.values(SETTINGS).map((s) => [
            s.flag,
            { type: "boolean" in s ? "boolean" as const : "string" as const },
          ]),
        ),
        help: { type: "boolean", short: "h" },
        status: { type: "boolean" },
      },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    writeLine(`shm: ${message.split("\n")[0]} (see shm --help)`);
    return 2;
  }
  const command = parsed.positionals[0] ?? "serve";
  if (parsed.values.help || command === "help") {
    writeLine(usage());
    return 0;
  }
  const operands = command === "import-shm" ? 1 : 0;
  if (
    !(COMMANDS as readonly string[]).includes(command) ||
    parsed.positionals.length > 1 + operands
  ) {
    writeLine(`shm: unknown command "${parsed.positionals.join(" ")}" (see shm --help)`);
    return 2;
  }
  if (command === "version") {
    writeLine(`shm ${VERSION} (deno ${Deno.version.deno}, ${Deno.build.target})`);
    return 0;
  }

  const flags: SettingFlags = {};
  for (const [name, spec] of Object.entries(SETTINGS)) {
    const value = (parsed.values as Record<string, string | boolean | undefined>)[spec.flag];
    if (value !== undefined) flags[name as keyof typeof SETTINGS] = value as string | boolean;
  }
  let config;
  try {
    config = readConfig(flags, (name) => Deno.env.get(name));
  } catch (error) {
    if (error instanceof ConfigError) {
      writeLine(`shm: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (command === "healthcheck") {
    const probe = await probeHealth(localHealthcheckUrl(config));
    writeLine(`shm healthcheck: ${probe.detail}`);
    return probe.healthy ? 0 : 1;
  }
  const log = createLogger(config.logLevel);
  try {
    if (command === "import-shm") {
      return await importCommand(parsed.positionals[1], config, { log, print: writeLine });
    }
    if (command === "migrate") {
      return await migrate(config.store, log, Boolean(parsed.values.status));
    }
    return await serve(config, log);
  } catch (error) {
    log.error("cannot start", { error: error instanceof Error ? error.message : String(error) });
    return 1;
  }
}

async function serve(config: Parameters<typeof startServer>[0], log: Logger): Promise<number> {
  const server = await startServer(config, log);
  const stop = () => void server.stop();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  await server.stop();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}

async function migrate(
  store: Parameters<typeof openStore>[0],
  log: Logger,
  statusOnly: boolean,
): Promise<number> {
  const db = await openStore(store);
  try {
    if (statusOnly) {
      for (const m of await migrationStatus(db, MIGRATIONS)) {
        writeLine(`${m.name}\t${m.appliedAt ? `applied ${m.appliedAt.toISOString()}` : "pending"}`);
      }
    } else {
      const applied = await runMigrations(db, MIGRATIONS);
      log.info("migrated", { applied });
    }
    return 0;
  } finally {
    await db.close();
  }
}

function usage(): string {
  const lines = [
    `shm ${VERSION}: self-hosted metrics server`,
    "",
    "Usage: shm [command] [flags]",
    "",
    "Commands:",
    "  serve            run the server (default)",
    "  migrate          apply pending schema migrations and exit (--status: list them)",
    "  version          print the version",
    "  import-shm URL   import the original SHM server's database at URL (postgres://…)",
    "  healthcheck      exit 0 if the server on --host/--port answers its healthcheck, else 1",
    "",
    "Settings (flag, environment variable, default):",
  ];
  for (const spec of Object.values(SETTINGS)) {
    lines.push(
      `  --${spec.flag.padEnd(20)} ${spec.env.join(", ").padEnd(24)} ${spec.fallback ?? "(none)"}`,
      `  ${"".padEnd(22)} ${spec.help}`,
    );
  }
  return lines.join("\n");
}

function writeLine(line: string): void {
  // deno-lint-ignore no-console
  console.log(line);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
