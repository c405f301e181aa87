/**
 * The main thread's side of the HTTP workers: starts them on the port of its
 * own accept loop, writes their log text, stops them, and tells when one
 * fails. A worker that fails after start is not restarted: the server stops
 * (`serve.ts`), every other loop draining first, and exits with code 1, for
 * its supervisor (systemd, Docker) to start it again whole.
 */

import type { Config } from "../config.ts";
import type { LineSink } from "../log.ts";
import { HTTP_WORKER_MODULE, type WorkerOrder, type WorkerReport } from "./http_worker.ts";

/** The running HTTP workers. */
export interface HttpWorkers {
  /** How many run. */
  readonly count: number;
  /** Resolves with what happened when a worker fails after it started (never, if none does). */
  readonly failure: Promise<string>;
  /**
   * Asks every worker to stop accepting and finish its requests within
   * `graceMs`, and resolves once all have stopped (a worker that does not
   * answer within the grace and 5 s more is ended). Safe to call twice.
   */
  stop(graceMs: number): Promise<void>;
}

/** What {@linkcode startHttpWorkers} needs. */
export interface HttpWorkersOptions {
  /** Workers to start (0: none). */
  readonly count: number;
  readonly config: Config;
  readonly setupToken: string | null;
  /** The port the main thread's loop listens on, with `reusePort`. */
  readonly port: number;
  /** The channel on which every loop shares its last known badge figures. */
  readonly figureChannel: string | null;
  /** Where the workers' log text goes. */
  readonly output: LineSink;
  /** The worker's module; by default `http_worker.ts` (tests give others). */
  readonly module?: string | URL;
}

/** Extra time a stopping worker gets beyond the grace before it is ended. */
const STOP_MARGIN_MS = 5_000;

/**
 * Starts `count` HTTP workers and resolves once each listens. Rejects, with
 * every worker ended, when one cannot start (its store or its port).
 */
export async function startHttpWorkers(options: HttpWorkersOptions): Promise<HttpWorkers> {
  const workers: Worker[] = [];
  const stopped = new Map<Worker, () => void>();
  const ended = new Set<Worker>();
  let reportFailure: (what: string) => void = () => {};
  const failure = new Promise<string>((resolve) => reportFailure = resolve);
  let stopping = false;
  const starts: Promise<void>[] = [];
  for (let index = 1; index <= options.count; index++) {
    const worker = new Worker(options.module ?? HTTP_WORKER_MODULE, {
      type: "module",
      name: `shm-http-${index}`,
    });
    workers.push(worker);
    starts.push(
      new Promise<void>((resolve, reject) => {
        let listening = false;
        worker.onmessage = (event: MessageEvent<WorkerReport>) => {
          const report = event.data;
          if (report.kind === "log") {
            if (report.stream === "err") options.output.err(report.text);
            else options.output.out(report.text);
          } else if (report.kind === "listening") {
            listening = true;
            resolve();
          } else if (report.kind === "start_failed") {
            reject(new Error(`HTTP worker ${index} cannot start: ${report.message}`));
          } else {
            stopped.get(worker)?.();
          }
        };
        worker.onerror = (event) => {
          // Handled here: the main thread keeps running and stops the server in order.
          event.preventDefault();
          worker.terminate();
          ended.add(worker);
          stopped.get(worker)?.();
          const what = `HTTP worker ${index} failed: ${event.message}`;
          if (!listening) reject(new Error(what));
          else if (!stopping) reportFailure(what);
        };
      }),
    );
    worker.postMessage(
      {
        kind: "start",
        config: options.config,
        setupToken: options.setupToken,
        port: options.port,
        figureChannel: options.figureChannel,
        index,
      } satisfies WorkerOrder,
    );
  }
  try {
    await Promise.all(starts);
  } catch (error) {
    for (const worker of workers) worker.terminate();
    throw error;
  }

  let stoppingAll: Promise<void> | null = null;
  const stop = (graceMs: number) =>
    stoppingAll ??= (async () => {
      stopping = true;
      await Promise.all(workers.map((worker) => {
        if (ended.has(worker)) return;
        const done = new Promise<void>((resolve) => stopped.set(worker, resolve));
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs + STOP_MARGIN_MS);
        });
        worker.postMessage({ kind: "stop", graceMs } satisfies WorkerOrder);
        return Promise.race([done, late]).then(() => {
          clearTimeout(timer);
          worker.terminate();
        });
      }));
    })();
  return { count: workers.length, failure, stop };
}
