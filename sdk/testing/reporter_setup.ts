/**
 * A reporter wired to a fake server, timers driven by hand, a chosen
 * environment and a recording logger, for the reporter's tests; everything
 * is cleaned up on dispose.
 *
 * @module
 */

import { createDenoHost } from "../deno_host.ts";
import type { Host } from "../host.ts";
import type { SHMOptions } from "../options.ts";
import { Reporter } from "../reporter.ts";
import type { Runtime } from "../runtime.ts";
import { ManualTimers, RecordingLogger, withEnv } from "./fakes.ts";
import type { FakeServer } from "./fake_server.ts";
import { startFakeServer } from "./fake_server.ts";

/** The report interval every test reporter gets unless told otherwise. */
export const INTERVAL = 60_000;

/** The world of one reporter test. */
export interface Setup extends AsyncDisposable {
  readonly server: FakeServer;
  readonly dataDir: string;
  readonly timers: ManualTimers;
  readonly logger: RecordingLogger;
  /** A reporter of "Test App" 1.2.3 on the fake server; `world` changes its surroundings. */
  reporter(
    options?: Partial<SHMOptions>,
    world?: { env?: Record<string, string>; host?: (host: Host) => Host; now?: () => number },
  ): Reporter;
}

/** Starts a fake server and makes a temporary data directory. */
export async function setup(): Promise<Setup> {
  const server = startFakeServer();
  const dataDir = await Deno.makeTempDir({ prefix: "shm_reporter_test_" });
  const timers = new ManualTimers();
  const logger = new RecordingLogger();
  const reporters: Reporter[] = [];
  return {
    server,
    dataDir,
    timers,
    logger,
    reporter(options = {}, world = {}) {
      const base = withEnv(createDenoHost(), world.env ?? {});
      const runtime: Runtime = {
        host: world.host?.(base) ?? base,
        timers,
        fetch: (url, init) => fetch(url, init),
        now: world.now ?? (() => Date.now()),
        random: () => 0.5,
        uptimeMs: () => 2.5 * 3_600_000,
      };
      const reporter = new Reporter({
        serverUrl: server.url,
        appName: "Test App",
        appVersion: "1.2.3",
        dataDir,
        reportIntervalMs: INTERVAL,
        logger,
        ...options,
      }, runtime);
      reporters.push(reporter);
      return reporter;
    },
    async [Symbol.asyncDispose]() {
      for (const reporter of reporters) await reporter.stop();
      await server[Symbol.asyncDispose]();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** The names in `dir`. */
export async function filesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names;
}

/** The paths the fake server was asked for, in order. */
export function paths(server: FakeServer): string[] {
  return server.requests.map((r) => r.path);
}
