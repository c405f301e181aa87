/** Running the server: store, upkeep, HTTP, and a clean stop on SIGINT/SIGTERM. */

import { ensureFirstAccount, randomToken } from "./auth/mod.ts";
import { type Config, describeConfig } from "./config.ts";
import { createHandler, errorResponse } from "./http/mod.ts";
import type { Logger } from "./log.ts";
import { openMigratedStore } from "./store/mod.ts";
import { startUpkeep } from "./upkeep.ts";
import { VERSION } from "./version.ts";

/** How long a stopping server waits for requests in flight. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Counts requests in flight, and waits for them to end once draining starts. */
class InFlight {
  #count = 0;
  #idle: (() => void) | null = null;
  draining = false;

  async track(response: Promise<Response>): Promise<Response> {
    this.#count++;
    try {
      return await response;
    } finally {
      this.#count--;
      if (this.#count === 0) this.#idle?.();
    }
  }

  /** Refuses new requests from now on and resolves when none is left, or after `graceMs`. */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    if (this.#count === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#idle = resolve),
      new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs)),
    ]);
    clearTimeout(timer);
  }
}

/** A running server. */
export interface RunningServer {
  /** The URL it answers on. */
  readonly url: string;
  readonly port: number;
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
  const requests = new InFlight();
  const server = Deno.serve({
    port: config.port,
    hostname: config.host,
    onListen: () => {},
  }, (request, info) => {
    if (requests.draining) {
      return errorResponse(503, "shutting_down", "The server is stopping: retry in a moment", {
        connection: "close",
        "retry-after": "5",
      });
    }
    return requests.track(handler(request, info));
  });
  const addr = server.addr as Deno.NetAddr;
  const shownHost = ["0.0.0.0", "::"].includes(addr.hostname) ? "localhost" : addr.hostname;
  const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${addr.port}`;
  // Before "listening", so whoever waits for that line has seen the link.
  if (setupToken !== null) {
    log.warn(
      "no dashboard account yet: open the setup link to create one, or set SHM_ADMIN_PASSWORD",
      { setup_url: `${url}/setup?token=${setupToken}` },
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
      // Deno's shutdown() cuts request bodies still arriving, so let those finish first.
      await requests.drain(SHUTDOWN_GRACE_MS);
      await server.shutdown();
      await upkeep.stop();
      await db.close();
      log.info("stopped");
    })();
    return stopping;
  };
  return {
    url,
    port: addr.port,
    stop,
    finished: server.finished.then(() => stopping ?? undefined),
  };
}
