/** Running the server: store, upkeep, HTTP, and a clean stop on SIGINT/SIGTERM. */

import { ensureFirstAccount, randomToken } from "./accounts/mod.ts";
import { type Config, describeConfig } from "./config.ts";
import { createHandler, serveConnections } from "./http/mod.ts";
import type { ConnectionRules } from "./http/mod.ts";
import type { Logger } from "./log.ts";
import { openMigratedStore } from "./store/mod.ts";
import { startUpkeep } from "./upkeep/mod.ts";
import { VERSION } from "./version.ts";

/** How long a stopping server waits for requests in flight. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Largest request body of any route; each route may allow less (instance endpoints: 64 KiB). */
const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

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
}

/**
 * Opens and migrates the store, starts the upkeep timer and serves HTTP on
 * the configured address. Throws when the store cannot be opened.
 */
export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  log.info("starting", { version: VERSION, ...describeConfig(config) });
  const { db, applied } = await openMigratedStore(config.store);
  if (applied.length > 0) log.info("migrated", { applied });
  const account = await ensureFirstAccount(db, {
    username: config.adminUser,
    password: config.adminPassword,
    now: new Date(),
  });
  if (account === "created") log.info("first account created", { username: config.adminUser });
  // With no account and no password, a one-time link (printed once listening) creates it.
  const setupToken = account === "no_password" ? randomToken() : null;
  const upkeep = await startUpkeep(db, config, log);

  const handler = createHandler({ config, db, log, setupToken });
  const server = serveConnections({
    hostname: config.host,
    port: config.port,
    rules: connectionRules(config),
    log,
    handler,
  });
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
  });

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      // New requests get 503 while those in flight finish, bodies still arriving included.
      await server.shutdown(SHUTDOWN_GRACE_MS);
      await upkeep.stop();
      await db.close();
      log.info("stopped");
    })();
    return stopping;
  };
  return {
    url,
    port: addr.port,
    setupUrl,
    stop,
    finished: server.finished.then(() => stopping ?? undefined),
  };
}

/** The connection rules of `config`. */
function connectionRules(config: Config): ConnectionRules {
  return {
    headerTimeoutMs: config.headerTimeoutMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    maxBodyBytes: MAX_REQUEST_BODY_BYTES,
    maxConnections: config.maxConnections,
    // Behind a reverse proxy every connection comes from the proxy.
    maxConnectionsPerAddress: config.trustProxy ? 0 : config.maxConnectionsPerAddress,
  };
}
