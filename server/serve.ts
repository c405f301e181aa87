/** Running the server: store, upkeep, HTTP, and a clean stop on SIGINT/SIGTERM. */

import { type Config, describeConfig } from "./config.ts";
import { createHandler } from "./http/mod.ts";
import type { Logger } from "./log.ts";
import { type Database, maintainSnapshots, openMigratedStore } from "./store/mod.ts";
import { VERSION } from "./version.ts";

/** How often the raw snapshot upkeep runs. */
const MAINTENANCE_INTERVAL_MS = 60 * 60_000;

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
  const upkeep = await startUpkeep(db, config, log);

  const server = Deno.serve({
    port: config.port,
    hostname: config.host,
    onListen: () => {},
  }, createHandler({ config, db, log }));
  const addr = server.addr as Deno.NetAddr;
  const shownHost = ["0.0.0.0", "::"].includes(addr.hostname) ? "localhost" : addr.hostname;
  const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${addr.port}`;
  log.info("listening", {
    url,
    port: addr.port,
    data: config.store.kind === "embedded" ? config.store.dataDir : "postgres",
  });

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      clearInterval(upkeep);
      await server.shutdown();
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

/** Runs the upkeep once now (so today's partition exists before the first request), then hourly. */
async function startUpkeep(
  db: Database,
  config: Config,
  log: Logger,
): Promise<ReturnType<typeof setInterval>> {
  const run = async () => {
    try {
      const report = await maintainSnapshots(db, {
        today: new Date(),
        retentionDays: config.rawRetentionDays,
      });
      if (
        report.partitionsCreated.length || report.partitionsDropped.length ||
        report.strayRowsDeleted
      ) {
        log.info("snapshot upkeep", { ...report });
      }
    } catch (error) {
      log.warn("snapshot upkeep failed; will retry", { error });
    }
  };
  await run();
  const timer = setInterval(run, MAINTENANCE_INTERVAL_MS);
  Deno.unrefTimer(Number(timer));
  return timer;
}
