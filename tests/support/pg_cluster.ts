/**
 * A private PostgreSQL 15 cluster for tests that stop, start or freeze their
 * database: made with `initdb` in a temporary folder, run by `pg_ctl` as the
 * `postgres` OS account on a free port, and removed on dispose. It never
 * touches the machine's shared cluster (127.0.0.1:5432): every command names
 * this cluster's own data folder, and only its own processes are signalled.
 */

import postgres from "postgres";

/** Where Debian and Ubuntu put PostgreSQL 15's programs. */
const PG_BIN = Deno.env.get("SHM_TEST_PG_BIN") ?? "/usr/lib/postgresql/15/bin";

/** The OS account that owns and runs the cluster (PostgreSQL refuses to run as root). */
const PG_USER = "postgres";

/** How `pg_ctl stop` ends the server: `immediate` is a crash, `fast` rolls back and disconnects. */
export type StopMode = "immediate" | "fast" | "smart";

/** A running private cluster. */
export interface PgCluster extends AsyncDisposable {
  /** Its TCP port on 127.0.0.1. */
  readonly port: number;
  /** The URL of its `postgres` database, as the superuser `postgres` (trust auth, no password). */
  readonly url: string;
  /** The URL of database `name` on this cluster. */
  databaseUrl(name: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server with `pg_ctl stop -m mode` and waits until it has stopped. */
  stop(mode: StopMode): Promise<void>;
  /** Starts the server again on the same port and waits until it accepts connections. */
  start(): Promise<void>;
  /**
   * Stops (SIGSTOP) every process of the cluster: connections are accepted
   * by the kernel but nothing is ever answered, as with a hung server or a
   * network black hole. {@linkcode PgCluster.thaw} resumes them.
   */
  freeze(): Promise<void>;
  /** Resumes the processes that {@linkcode PgCluster.freeze} stopped. */
  thaw(): Promise<void>;
  /**
   * Polls `select 1` until it answers (each try bounded by `tryMs`) and
   * returns the `performance.now()` of the first answer. Throws after `timeoutMs`.
   */
  waitUntilAnswering(options?: { timeoutMs?: number; tryMs?: number }): Promise<number>;
}

/**
 * Says why a private cluster cannot be made on this machine (no PostgreSQL 15
 * programs, no `postgres` account, not root), or null when it can.
 */
export async function pgClusterUnavailableReason(): Promise<string | null> {
  try {
    await Deno.stat(`${PG_BIN}/initdb`);
    await Deno.stat(`${PG_BIN}/pg_ctl`);
  } catch {
    return `PostgreSQL 15 programs not found in ${PG_BIN} (set SHM_TEST_PG_BIN)`;
  }
  if (Deno.uid() !== 0) return "not running as root, so initdb cannot run as the postgres account";
  const account = await run(["id", "-u", PG_USER]).catch(() => null);
  if (account === null) return `no "${PG_USER}" OS account`;
  return null;
}

/**
 * Makes and starts a private cluster: `initdb` (trust auth, UTF-8, C locale)
 * in a new temporary folder owned by the `postgres` account, then
 * `pg_ctl start` on a free port of 127.0.0.1 with `fsync=off` (a test's data
 * need not survive a machine crash; commits still survive a server crash).
 * With `standbyOf`, the cluster is instead a streaming standby of that one:
 * `pg_basebackup -R` from it, then started the same way (read-only, replaying
 * what the primary writes).
 */
export async function startPgCluster(options: { standbyOf?: PgCluster } = {}): Promise<PgCluster> {
  const root = await Deno.makeTempDir({ prefix: "shm-pg-" });
  const dataDir = `${root}/data`;
  const logFile = `${root}/server.log`;
  let port = 0;
  let frozen: number[] = [];
  const asPostgres = (args: string[]) => run(["runuser", "-u", PG_USER, "--", ...args]);
  const pgCtl = (args: string[]) => asPostgres([`${PG_BIN}/pg_ctl`, "-D", dataDir, ...args]);
  const start = async () => {
    await pgCtl([
      "-l",
      logFile,
      "-w",
      "-t",
      "60",
      "-o",
      [
        `-p ${port}`,
        "-c listen_addresses=127.0.0.1",
        `-c unix_socket_directories=${root}`,
        "-c fsync=off",
        "-c full_page_writes=off",
        "-c max_connections=200",
      ].join(" "),
      "start",
    ]);
  };
  const cleanUp = async () => {
    if (frozen.length > 0) signal(frozen, "SIGCONT");
    await pgCtl(["-m", "immediate", "-w", "stop"]).catch(() => {});
    await Deno.remove(root, { recursive: true }).catch(() => {});
  };

  try {
    await run(["chown", `${PG_USER}:${PG_USER}`, root]);
    if (options.standbyOf !== undefined) {
      await asPostgres([
        `${PG_BIN}/pg_basebackup`,
        "-h",
        "127.0.0.1",
        "-p",
        String(options.standbyOf.port),
        "-U",
        "postgres",
        "-D",
        dataDir,
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        "--no-sync",
      ]);
    } else {
      await asPostgres([
        `${PG_BIN}/initdb`,
        "-D",
        dataDir,
        "-A",
        "trust",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
      ]);
    }
    // A port free now may be taken before the server binds it: try a few.
    for (let attempt = 1;; attempt++) {
      port = freePort();
      try {
        await start();
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  } catch (error) {
    const log = await Deno.readTextFile(logFile).catch(() => "");
    await cleanUp();
    throw new Error(`Cannot start a private PostgreSQL cluster: ${message(error)}\n${log}`);
  }

  const databaseUrl = (name: string) => `postgres://postgres@127.0.0.1:${port}/${name}`;
  return {
    port,
    url: databaseUrl("postgres"),
    databaseUrl,
    async createDatabase(name: string): Promise<string> {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
        throw new Error(`Cannot create database as its name is not a plain identifier: ${name}`);
      }
      const admin = postgres(databaseUrl("postgres"), {
        max: 1,
        fetch_types: false,
        onnotice: () => {},
      });
      try {
        await admin.unsafe(`create database ${name}`);
      } finally {
        await admin.end({ timeout: 1 });
      }
      return databaseUrl(name);
    },
    async stop(mode: StopMode): Promise<void> {
      await pgCtl(["-m", mode, "-w", "-t", "60", "stop"]);
    },
    start,
    async freeze(): Promise<void> {
      // The postmaster first, so that it forks no backend after its children are listed (a
      // backend forked between a listing and the signals would go on answering).
      const postmaster = await postmasterPid(dataDir);
      signal([postmaster], "SIGSTOP");
      frozen = [postmaster];
      for (let round = 0; round < 2; round++) {
        const children = (await childPids(postmaster)).filter((pid) => !frozen.includes(pid));
        signal(children, "SIGSTOP");
        frozen.push(...children);
      }
    },
    thaw(): Promise<void> {
      signal(frozen, "SIGCONT");
      frozen = [];
      return Promise.resolve();
    },
    async waitUntilAnswering(options = {}): Promise<number> {
      const deadline = performance.now() + (options.timeoutMs ?? 30_000);
      const tryMs = options.tryMs ?? 250;
      for (;;) {
        // No array types fetch: postgres.js drops that promise, and a probe cut during it
        // would be an unhandled rejection (porsager/postgres#1192).
        const probe = postgres(databaseUrl("postgres"), {
          max: 1,
          connect_timeout: tryMs / 1000,
          fetch_types: false,
          onnotice: () => {},
        });
        try {
          await withTimeout(probe`select 1`, tryMs);
          return performance.now();
        } catch (error) {
          if (performance.now() > deadline) {
            throw new Error(`The private cluster did not answer: ${message(error)}`);
          }
        } finally {
          void probe.end({ timeout: 0 }).catch(() => {});
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    [Symbol.asyncDispose]: cleanUp,
  };
}

/** The postmaster's pid: the first line of `postmaster.pid`. */
async function postmasterPid(dataDir: string): Promise<number> {
  const pidFile = await Deno.readTextFile(`${dataDir}/postmaster.pid`);
  const postmaster = Number(pidFile.split("\n")[0]);
  if (!Number.isSafeInteger(postmaster) || postmaster <= 1) {
    throw new Error(`Cannot read the postmaster pid in ${dataDir}: ${pidFile.slice(0, 40)}`);
  }
  return postmaster;
}

/** The processes the postmaster started (backends and helpers). */
async function childPids(postmaster: number): Promise<number[]> {
  const children = await run(["pgrep", "-P", String(postmaster)]).catch(() => "");
  return children.split("\n").filter(Boolean).map(Number);
}

function signal(pids: number[], name: Deno.Signal): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, name);
    } catch { /* already gone */ }
  }
}

/** A TCP port that was free a moment ago. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Runs a program to its end; resolves with its standard output, throws with its output on failure. */
async function run(args: string[]): Promise<string> {
  const [program, ...rest] = args as [string, ...string[]];
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args: rest,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) {
    throw new Error(
      `${args.join(" ")} exited with ${code}: ${decoder.decode(stderr)}${decoder.decode(stdout)}`,
    );
  }
  return decoder.decode(stdout);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
