/** Running the server: store, upkeep, HTTP accept loops, and a clean stop on SIGINT/SIGTERM. */

import { ensureFirstAccount, randomToken } from "./accounts/mod.ts";
import { type Config, describeConfig } from "./config.ts";
import type { ConnectionServer } from "./http/serve_connections.ts";
import { type LineSink, type Logger, standardOutput } from "./log.ts";
import { openMigratedStore } from "./store/mod.ts";
import { startUpkeep } from "./upkeep/mod.ts";
import { VERSION } from "./version.ts";
import {
  type HttpWorkers,
  openPoolConnections,
  serveHttp,
  startHttpWorkers,
} from "./workers/mod.ts";

/** How long a stopping server waits for requests in flight. */
const SHUTDOWN_GRACE_MS = 10_000;

/** A running server. */
export interface RunningServer {
  /** The URL it answers on. */
  readonly url: string;
  readonly port: number;
  /** The one-time link that creates the first account, while none exists (else null). */
  readonly setupUrl: string | null;
  /** Stops accepting, finishes requests in flight, closes the store. Safe to call twice. */
  stop(): Promise<void>;
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
  /** Whether it stopped because an HTTP worker failed (the process should exit with 1). */
  readonly failed: boolean;
}

/** Where the log text of HTTP workers goes; by default this process's stdout and stderr. */
export interface ServerOutput {
  readonly output?: LineSink;
}

/**
 * Opens and migrates the store, starts the upkeep timer and serves HTTP on
 * the configured address: in the main thread, and with PostgreSQL in
 * `config.workers - 1` HTTP workers on the same port. Throws when the store
 * cannot be opened or the address bound. Should a worker fail later, the
 * server stops, every loop draining, with `failed` set.
 */
export async function startServer(
  config: Config,
  log: Logger,
  options: ServerOutput = {},
): Promise<RunningServer> {
  log.info("starting", { version: VERSION, ...describeConfig(config) });
  const { db, applied } = await openMigratedStore(config.store);
  if (applied.length > 0) log.info("migrated", { applied });
  const account = await ensureFirstAccount(db, {
    username: config.adminUser,
    password: config.adminPassword,
    now: new Date(),
  });
  if (account === "created") log.info("first account created", { username: config.adminUser });
  // With no account and no password, a one-time link (printed once listening) creates it; not
  // when local sign-in is off: the first admin is then whoever signs in in the admin group.
  const setupToken = account === "no_password" && config.localLogin ? randomToken() : null;
  if (account === "no_password" && !config.localLogin) {
    log.info(
      "no dashboard account yet: local sign-in is off, so accounts are made at their first " +
        "OpenID Connect sign-in (admins from SHM_OIDC_ADMIN_GROUP)",
    );
  }
  const upkeep = await startUpkeep(db, config, log);

  // The server's own channel name: another server in this process does not hear its loops.
  const figureChannel = config.workers > 1 ? `shm-badge-figures-${crypto.randomUUID()}` : null;
  const loop = { config, db, log, setupToken, port: config.port, figureChannel };
  if (config.workers > 1) await openPoolConnections(db, config);
  let server: ConnectionServer;
  let workerCount = config.workers - 1;
  try {
    server = serveHttp({ ...loop, reusePort: workerCount > 0 });
  } catch (error) {
    if (workerCount === 0 || error instanceof Deno.errors.AddrInUse) throw error;
    // Sharing a port needs `unstable: ["net"]` (deno.json, and compiled into the executable).
    log.warn("cannot share the port between accept loops: serving with one", {
      workers: config.workers,
      error: error instanceof Error ? error.message : String(error),
    });
    workerCount = 0;
    server = serveHttp({ ...loop, reusePort: false });
  }
  let workers: HttpWorkers | null = null;
  if (workerCount > 0) {
    try {
      workers = await startHttpWorkers({
        count: workerCount,
        config,
        setupToken,
        port: server.addr.port,
        figureChannel,
        output: options.output ?? standardOutput(),
      });
    } catch (error) {
      await server.shutdown(0);
      await upkeep.stop();
      await db.close();
      throw error;
    }
  }
  const addr = server.addr;
  const shownHost = ["0.0.0.0", "::"].includes(addr.hostname) ? "localhost" : addr.hostname;
  const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${addr.port}`;
  // Built from the address users open when it is known: behind a proxy the listen address is not.
  const setupUrl = setupToken === null
    ? null
    : `${config.publicUrl ?? url}/setup?token=${setupToken}`;
  // Before "listening", so whoever waits for that line has seen the link.
  if (setupUrl !== null) {
    log.warn(
      "no dashboard account yet: open the setup link to create one, or set SHM_ADMIN_PASSWORD",
      { setup_url: setupUrl },
    );
  }
  log.info("listening", {
    url,
    port: addr.port,
    data: config.store.kind === "embedded" ? config.store.dataDir : "postgres",
    workers: 1 + workerCount,
  });

  let failed = false;
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      // New requests get 503 while those in flight finish, bodies still arriving included, in
      // every accept loop at once.
      await Promise.all([server.shutdown(SHUTDOWN_GRACE_MS), workers?.stop(SHUTDOWN_GRACE_MS)]);
      await upkeep.stop();
      await db.close();
      log.info("stopped");
    })();
    return stopping;
  };
  void workers?.failure.then((what) => {
    failed = true;
    log.error("an HTTP worker failed: stopping the server", { error: what });
    void stop();
  });
  return {
    url,
    port: addr.port,
    setupUrl,
    stop,
    finished: server.finished.then(() => stopping ?? undefined),
    get failed() {
      return failed;
    },
  };
}
