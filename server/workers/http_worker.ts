/**
 * An HTTP worker: a web Worker running one more accept loop of the server on
 * its port, with its own database pool, for a core of its own. The main
 * thread starts it (`worker_pool.ts`), and it answers with messages: its log
 * text, that it listens, that it stopped. The upkeep runs in the main thread
 * only.
 *
 * Imported by the main thread only for its address, so that the module is in
 * the program's graph (and in what `deno compile` embeds); it runs only as a
 * worker's main module.
 */

import type { Config } from "../config.ts";
import { createLogger, LineBuffer } from "../log.ts";
import { openStore } from "../store/mod.ts";
import { openPoolConnections, serveHttp } from "./http_loop.ts";

/** The address of this module, for `new Worker()`. */
export const HTTP_WORKER_MODULE: string = import.meta.url;

/** What the main thread tells a worker. */
export type WorkerOrder =
  | {
    readonly kind: "start";
    readonly config: Config;
    readonly setupToken: string | null;
    /** The port the main thread's loop got, shared by every loop. */
    readonly port: number;
    /** The worker's number, from 1 (the main thread's loop is 0). */
    readonly index: number;
    /** The channel on which every loop shares its last known badge figures. */
    readonly figureChannel: string | null;
  }
  | { readonly kind: "stop"; readonly graceMs: number };

/** What a worker tells the main thread. */
export type WorkerReport =
  | { readonly kind: "log"; readonly stream: "out" | "err"; readonly text: string }
  | { readonly kind: "listening" }
  | { readonly kind: "start_failed"; readonly message: string }
  | { readonly kind: "stopped" };

/** The parts of a worker's global scope used here. */
interface WorkerScope {
  postMessage(report: WorkerReport): void;
  onmessage: ((event: MessageEvent<WorkerOrder>) => void) | null;
  close(): void;
}

/** Serves as a worker: starts on the first order, drains and stops on the second. */
function runAsWorker(scope: WorkerScope): void {
  let stop: ((graceMs: number) => Promise<void>) | null = null;
  scope.onmessage = (event) => {
    const order = event.data;
    if (order.kind === "start") {
      start(scope, order).then((stopper) => stop = stopper, (error) => {
        scope.postMessage({
          kind: "start_failed",
          message: error instanceof Error ? error.message : String(error),
        });
      });
    } else if (stop !== null) {
      void stop(order.graceMs).then(() => {
        scope.postMessage({ kind: "stopped" });
        scope.close();
      });
    } else {
      scope.postMessage({ kind: "stopped" });
      scope.close();
    }
  };
}

async function start(
  scope: WorkerScope,
  order: Extract<WorkerOrder, { kind: "start" }>,
): Promise<(graceMs: number) => Promise<void>> {
  const { config } = order;
  // Log text goes to the main thread, which writes it: one writer on stdout, lines never mixed.
  const lines = new LineBuffer({
    out: (text) => scope.postMessage({ kind: "log", stream: "out", text }),
    err: (text) => scope.postMessage({ kind: "log", stream: "err", text }),
  });
  const log = createLogger(config.logLevel, lines.write);
  const db = await openStore(config.store);
  // The main thread logs its own pool's outages (the upkeep); each worker's pool has its own.
  db.onAvailabilityChange((change) => {
    if (change.available) {
      log.info("store available again", {
        unavailable_ms: change.unavailableMs,
        refused: change.refused,
        worker: order.index,
      });
    } else {
      log.warn("store unavailable: answering 503 until it is back", {
        cause: change.cause,
        worker: order.index,
      });
    }
  });
  let server;
  try {
    await openPoolConnections(db, config);
    server = serveHttp({
      config,
      db,
      log,
      setupToken: order.setupToken,
      port: order.port,
      reusePort: true,
      figureChannel: order.figureChannel,
    });
  } catch (error) {
    await db.close();
    throw error;
  }
  lines.flush();
  scope.postMessage({ kind: "listening" });
  return async (graceMs) => {
    await server.shutdown(graceMs);
    await db.close();
    lines.flush();
  };
}

if (import.meta.main) runAsWorker(globalThis as unknown as WorkerScope);
