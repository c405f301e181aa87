/**
 * Real server processes for tests: the program started as the executable
 * would be (`server/main.ts serve`, the permission flags of the `compile`
 * task), from a temporary working directory, on port 0.
 */

import type { StoreSetting } from "../../server/config.ts";
import { type DisposableSetting, freshStoreSetting } from "./store.ts";

const REPO = new URL("../../", import.meta.url).pathname;

/** The `--allow-*` flags of the `compile` task in deno.json: what the executable gets. */
export async function compilePermissionFlags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${REPO}deno.json`));
  const task: string = config.tasks.compile;
  return task.split(/\s+/).filter((word) => word.startsWith("--allow-"));
}

/** Options of a test server. */
export interface TestServerOptions {
  /** The store; by default a fresh one of this run's kind, removed on dispose. */
  store?: StoreSetting;
  /**
   * Without `store`, what the fresh store holds. "migrated" (the default): a
   * copy of the migrated template, the store of a server started before, so
   * the start skips seconds of initialising and migrating. "empty": a first
   * start's store, which the server initialises and migrates itself; tests of
   * what a first start does or says ask for it.
   */
  freshStore?: "migrated" | "empty";
  /** Extra environment variables (settings). */
  env?: Record<string, string>;
  /** Extra command-line arguments. */
  args?: string[];
  /** The folder holding `deno.json` and `server/main.ts`; by default this checkout. */
  root?: string;
  /** A command the server is started through, e.g. `["prlimit", "--nofile=256:256", "--"]`. */
  launcher?: readonly string[];
  /** Extra flags for `deno run`, e.g. `["--cpu-prof"]` (benches). */
  denoFlags?: readonly string[];
}

/** A running server process. */
export interface TestServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly adminToken: string;
  readonly store: StoreSetting;
  /** The process id of the server (of the launcher, when there is one). */
  readonly pid: number;
  /** Every line the process printed so far, parsed where it was JSON. */
  readonly lines: Record<string, unknown>[];
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** Settings every test server gets unless a test overrides them. */
const TEST_DEFAULTS: Record<string, string> = {
  SHM_HOST: "127.0.0.1",
  PORT: "0",
  SHM_LOG_LEVEL: "info",
  SHM_RATE_LIMIT_IP: "0",
  SHM_RATE_LIMIT_INSTANCE: "0",
  // Summaries and rollups at most a second old, so that a test waits little for them.
  SHM_ROLLUP_INTERVAL: "1s",
  // A loaded test machine can take longer than the 1.5 s default to answer; the outage test sets
  // the defaults back to hold the limits they are for.
  SHM_DB_QUERY_TIMEOUT: "15s",
  // One accept loop: each more loads the whole server again, which on a loaded test machine costs
  // seconds per server. The tests of several loops (workers, outage, executable) ask for them.
  SHM_WORKERS: "1",
};

/** Environment variables a test server must not inherit from the machine. */
const SETTING_VARIABLE = /^(SHM_|DATABASE_URL$|PORT$)/;

/**
 * Starts a server process and waits until it listens. Throws with the
 * process output if it exits first or does not listen within a minute.
 */
export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const owned: DisposableSetting | null = options.store
    ? null
    : await freshStoreSetting({ migrated: (options.freshStore ?? "migrated") === "migrated" });
  const store = options.store ?? owned!.setting;
  const adminToken = `test-admin-token-${crypto.randomUUID()}`;
  const workDir = await Deno.makeTempDir({ prefix: "shm-cwd-" });
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(Deno.env.toObject())) {
    if (!SETTING_VARIABLE.test(name)) env[name] = value;
  }
  Object.assign(env, TEST_DEFAULTS, { SHM_ADMIN_TOKEN: adminToken }, options.env);
  if (store.kind === "postgres") env["SHM_DATABASE_URL"] = store.url;
  else env["SHM_DATA_DIR"] = store.dataDir;

  const root = options.root ?? REPO;
  const [program, ...launcherArgs] = [...(options.launcher ?? []), Deno.execPath()];
  const child = new Deno.Command(program!, {
    args: [
      ...launcherArgs,
      "run",
      `--config=${root}deno.json`,
      ...(options.denoFlags ?? []),
      ...await compilePermissionFlags(),
      `${root}server/main.ts`,
      "serve",
      ...(options.args ?? []),
    ],
    cwd: workDir,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  const lines: Record<string, unknown>[] = [];
  let resolveListening: (port: number) => void = () => {};
  const listening = new Promise<number>((resolve) => resolveListening = resolve);
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let buffered = "";
    // A TextDecoder rather than TextDecoderStream: the DOM typings the dashboard's Preact brings
    // into the same type check disagree with Deno's on TextDecoderStream.
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      buffered += decoder.decode(chunk, { stream: true });
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text);
        } catch {
          line = { text };
        }
        lines.push(line);
        if (line["msg"] === "listening") resolveListening(Number(line["port"]));
      }
    }
  };
  const output = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const exited = child.status.then(async (status) => {
    await output;
    return status.code;
  });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const port = await Promise.race([
    listening,
    exited.then((code) => {
      throw new Error(`server exited with ${code} before listening:\n${printable(lines)}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`server did not listen within 60 s:\n${printable(lines)}`)),
        60_000,
      );
    }),
  ]).catch(async (error) => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await exited;
    await owned?.[Symbol.asyncDispose]();
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
    throw error;
  }).finally(() => clearTimeout(timer));

  let stopped: Promise<number> | null = null;
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    stopped ??= (async () => {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      return await exited;
    })();
    return stopped;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    adminToken,
    store,
    pid: child.pid,
    lines,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
      await owned?.[Symbol.asyncDispose]();
      await Deno.remove(workDir, { recursive: true }).catch(() => {});
    },
  };
}

/** Calls an admin endpoint of `server` and returns its JSON body, failing on a non-200. */
export async function adminGet(server: TestServer, path: string): Promise<unknown> {
  const response = await fetch(new URL(path, server.url), {
    headers: { authorization: `Bearer ${server.adminToken}` },
  });
  const body = await response.json();
  if (response.status !== 200) {
    throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body;
}

/**
 * Waits until the server's upkeep has finished a round of summaries that
 * started after this call, so that they hold everything written before it.
 */
export async function waitForRollup(server: TestServer): Promise<void> {
  const since = Date.now();
  for (let i = 0; i < 300; i++) {
    const stats = await adminGet(server, "/api/v1/admin/stats") as { computed_at: string | null };
    if (stats.computed_at !== null && Date.parse(stats.computed_at) > since) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the upkeep finished no round within 30 s");
}

function printable(lines: Record<string, unknown>[]): string {
  return lines.map((line) => JSON.stringify(line)).join("\n");
}
