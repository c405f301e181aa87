/**
 * One accept loop of the server: the request handler over a store, served on
 * the configured address under the configured connection rules. The main
 * thread runs one; each HTTP worker (`http_worker.ts`) runs another.
 */

import type { Config } from "../config.ts";
import { type ConnectionRules, createHandler, serveConnections } from "../http/mod.ts";
import type { ConnectionServer } from "../http/serve_connections.ts";
import type { Logger } from "../log.ts";
import { checkStoreAnswers, type Database, openReadRouting } from "../store/mod.ts";
import { openKeyChannel } from "./key_channel.ts";
import { openLastKnownChannel } from "./last_known_channel.ts";

/** Largest request body of any route; each route may allow less (instance endpoints: 64 KiB). */
const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/** What {@linkcode serveHttp} needs. */
export interface HttpLoopOptions {
  readonly config: Config;
  readonly db: Database;
  readonly log: Logger;
  /** The one-time setup token, shared by every loop; null when there is none. */
  readonly setupToken: string | null;
  /** The port to listen on: the configured one for the first loop, the one it got for the others. */
  readonly port: number;
  /** Whether the port is shared with the server's other accept loops. */
  readonly reusePort: boolean;
  /**
   * The name the server's accept loops share their last known badge figures
   * on (see `last_known_channel.ts`), and, with `-keys` after it, the
   * instances' keys (`key_channel.ts`); null with one loop.
   */
  readonly figureChannel: string | null;
}

/**
 * Listens and serves every route. Throws when the address cannot be bound
 * (or, with `reusePort`, when this Deno cannot share a port).
 */
export function serveHttp(options: HttpLoopOptions): ConnectionServer {
  const { config, db, log, setupToken } = options;
  const share = options.figureChannel === null
    ? undefined
    : openLastKnownChannel(options.figureChannel);
  const keys = options.figureChannel === null
    ? undefined
    : openKeyChannel(`${options.figureChannel}-keys`);
  const reads = openReadRouting(config.store, db, (source) => {
    if (source.kind === "standby") {
      log.info("reading figures from the read replica", { lag_ms: Math.round(source.lagMs) });
    } else {
      log.warn("reading figures from the primary", { reason: source.reason });
    }
  });
  const closeAll = async () => {
    share?.close();
    keys?.close();
    await reads?.close();
  };
  let server: ConnectionServer;
  try {
    server = serveConnections({
      hostname: config.host,
      port: options.port,
      reusePort: options.reusePort,
      rules: connectionRules(config),
      log,
      handler: createHandler({
        config,
        db,
        log,
        setupToken,
        ...(share === undefined ? {} : { lastKnownShare: share }),
        ...(keys === undefined ? {} : { keyShare: keys }),
        ...(reads === null ? {} : { readDb: reads }),
      }),
    });
  } catch (error) {
    void closeAll();
    throw error;
  }
  if (share === undefined && reads === null) return server;
  return {
    addr: server.addr,
    finished: server.finished.finally(closeAll),
    async shutdown(graceMs) {
      await server.shutdown(graceMs);
      await closeAll();
    },
  };
}

/**
 * The connection rules of `config`. Each accept loop applies them to the
 * connections it holds: with several workers, `maxConnections` and the cap
 * per address are shares of the settings (rounded up), so that the server
 * as a whole stays near them.
 */
export function connectionRules(config: Config): ConnectionRules {
  const share = (limit: number) => limit === 0 ? 0 : Math.ceil(limit / config.workers);
  return {
    headerTimeoutMs: config.headerTimeoutMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    maxBodyBytes: MAX_REQUEST_BODY_BYTES,
    maxConnections: share(config.maxConnections),
    // Behind a reverse proxy every connection comes from the proxy.
    maxConnectionsPerAddress: config.trustProxy ? 0 : share(config.maxConnectionsPerAddress),
  };
}

/**
 * Opens the connections of `db`'s pool before its loop listens (PostgreSQL;
 * nothing to do for the embedded store), each answering a trivial query: a
 * burst of requests on a cold pool would open them all at once, and on a
 * loaded machine some would not be ready within the connect timeout. Throws
 * `StoreUnavailableError` when the database does not answer.
 */
export async function openPoolConnections(db: Database, config: Config): Promise<void> {
  if (db.kind !== "postgres" || config.store.kind !== "postgres") return;
  const connections = config.store.poolSize ?? 10;
  await Promise.all(Array.from({ length: connections }, () => checkStoreAnswers(db)));
}
