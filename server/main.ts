/**
 * The `shm` command: `serve` (the default) and the operator commands listed by
 * `shm --help`. This is the entry point of `deno task start` and of the
 * compiled executable.
 */

import { parseArgs } from "node:util";
import { ConfigError, readConfig, type SettingFlags, SETTINGS } from "./config.ts";
import { bufferedConsoleWriter, createLogger, type LineBuffer, type Logger } from "./log.ts";
import { startServer } from "./serve.ts";
import { localHealthcheckUrl, probeHealth } from "./cli/healthcheck.ts";
import { importCommand } from "./cli/import_command.ts";
import { demoCommand } from "./cli/demo_command.ts";
import { backupCommand } from "./cli/backup_command.ts";
import { exportCommand } from "./cli/export_command.ts";
import { userCommand } from "./cli/user_command.ts";
import { progressWriter } from "./cli/progress.ts";
import { unknownFlagMessage } from "./cli/unknown_flag.ts";
import { portTakenMessage } from "./cli/port_check.ts";
import { startBanner } from "./cli/start_banner.ts";
import { MIGRATIONS, migrationStatus, openStore, runMigrations } from "./store/mod.ts";
import { VERSION } from "./version.ts";
import { buildDescription } from "./build_info.ts";

const COMMANDS = [
  "serve",
  "migrate",
  "version",
  "healthcheck",
  "import-shm",
  "backup",
  "restore",
  "export",
  "import",
  "demo",
  "user",
  "help",
] as const;

/** Flags that belong to one command (or a few); any other command refuses them. */
const COMMAND_FLAGS: Record<string, readonly string[]> = {
  status: ["migrate"],
  ready: ["healthcheck"],
  force: ["restore", "demo"],
  instances: ["demo"],
  days: ["demo"],
  apps: ["demo"],
  seed: ["demo"],
  role: ["user"],
};

/** Commands that take one operand (a URL or a file). */
const WITH_OPERAND = new Set(["import-shm", "backup", "restore", "export", "import"]);

/** Runs the command line `args`; resolves with the process exit code. */
export async function main(args: string[]): Promise<number> {
  const options = {
    ...Object.fromEntries(
      Object.values(SETTINGS).map((s) => [
        s.flag,
        { type: "boolean" in s ? "boolean" as const : "string" as const },
      ]),
    ),
    help: { type: "boolean", short: "h" },
    status: { type: "boolean" },
    ready: { type: "boolean" },
    force: { type: "boolean" },
    instances: { type: "string" },
    days: { type: "string" },
    apps: { type: "string" },
    seed: { type: "string" },
    role: { type: "string" },
  } as const;
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /^Unknown option '([^']*)'/.exec(message);
    writeLine(
      unknown?.[1] !== undefined
        ? unknownFlagMessage(unknown[1], Object.keys(options))
        : `shm: ${message.split("\n")[0]} (see shm --help)`,
    );
    return 2;
  }
  const command = parsed.positionals[0] ?? "serve";
  if (parsed.values.help || command === "help") {
    writeLine(usage());
    return 0;
  }
  const operands = command === "user" ? 2 : WITH_OPERAND.has(command) ? 1 : 0;
  if (
    !(COMMANDS as readonly string[]).includes(command) ||
    parsed.positionals.length > 1 + operands
  ) {
    writeLine(`shm: unknown command "${parsed.positionals.join(" ")}" (see shm --help)`);
    return 2;
  }
  for (const [flag, commands] of Object.entries(COMMAND_FLAGS)) {
    if (
      (parsed.values as Record<string, unknown>)[flag] !== undefined && !commands.includes(command)
    ) {
      writeLine(`shm: --${flag} is an option of ${commands.join(" and ")}, not of ${command}`);
      return 2;
    }
  }
  if (command === "version") {
    writeLine(buildDescription(VERSION));
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
    const kind = parsed.values.ready ? "ready" : "live";
    const probe = await probeHealth(localHealthcheckUrl(config, kind), { probe: kind });
    writeLine(`shm healthcheck: ${probe.detail}`);
    return probe.healthy ? 0 : 1;
  }
  // The server's log lines are gathered and written a few milliseconds at a time; the other
  // commands print and log in turn, and write each line at once so that they stay in order.
  if (command === "serve") serveLog = bufferedConsoleWriter();
  const log = createLogger(config.logLevel, serveLog?.write);
  try {
    if (command === "export" || command === "import") {
      return await exportCommand(command, parsed.positionals[1], {
        store: config.store,
        print: writeLine,
      });
    }
    if (command === "backup" || command === "restore") {
      return await backupCommand(command, parsed.positionals[1], {
        store: config.store,
        force: Boolean(parsed.values.force),
        print: writeLine,
      });
    }
    if (command === "user") {
      return await userCommand(parsed.positionals.slice(1), {
        ...(parsed.values.role === undefined ? {} : { role: parsed.values.role }),
        store: config.store,
        now: new Date(),
        print: writeLine,
      });
    }
    if (command === "import-shm") {
      return await importCommand(parsed.positionals[1], config, { log, print: writeLine });
    }
    if (command === "demo") {
      return await demoCommand(parsed.values, config, {
        log,
        print: writeLine,
        progress: writeProgress,
      });
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
  // Before the store opens and migrates (seconds), so that a taken port is said at once.
  const taken = portTakenMessage(config.host, config.port);
  if (taken !== null) {
    writeLine(taken);
    return 1;
  }
  const server = await startServer(config, log, serveLog === null ? {} : { output: serveLog });
  if (Deno.stdout.isTerminal()) {
    writeLine(startBanner({
      version: VERSION,
      url: server.url,
      publicUrl: config.publicUrl,
      setupUrl: server.setupUrl,
      store: config.store,
    }));
  }
  const stop = () => void server.stop();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  await server.stop();
  serveLog?.flush();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return server.failed ? 1 : 0;
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
    "  backup FILE      write a backup of the embedded store to FILE (server stopped)",
    "  restore FILE     restore the embedded store from FILE (--force: replace a store with data)",
    "  export FILE      write every application, instance and its history to FILE (JSON lines)",
    "  import FILE      read an export into this store (either store kind; running twice adds nothing)",
    "  demo             fill the store with a demo fleet (--instances 1500 --days 90 --apps 3",
    "                   --seed 1; --force: even when the store holds instances)",
    "  user add NAME [--role admin|viewer]",
    "                   add a dashboard account (password on standard input; default admin)",
    "  user passwd NAME set an account's password (standard input) and end its sessions",
    "  user list        list the dashboard accounts with their roles",
    "  healthcheck      exit 0 if the server on --host/--port answers its healthcheck, else 1",
    "                   (--ready: if it answers /api/v1/readyz, its database answering)",
    "",
    "Settings (flag, environment variable, default):",
  ];
  for (const spec of Object.values(SETTINGS)) {
    lines.push(
      `  --${spec.flag.padEnd(20)} ${spec.env.join(", ").padEnd(24)} ${spec.fallback ?? "(none)"}`,
      ...wrapWords(spec.help.replaceAll("`", ""), 76).map((line) => `  ${"".padEnd(22)} ${line}`),
    );
  }
  return lines.join("\n");
}

/** Splits `text` into lines of at most `width` characters, at spaces (a longer word stays whole). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** Shows a progress line on stderr: rewritten in place on a terminal, else one line each time. */
const writeProgress = progressWriter(
  Deno.stderr.isTerminal(),
  (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
);

/** The server's buffered log, once `serve` runs: flushed before anything else is printed. */
let serveLog: LineBuffer | null = null;

function writeLine(line: string): void {
  serveLog?.flush();
  // deno-lint-ignore no-console
  console.log(line);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
