/**
 * The server's request handler in-process, on a fresh store, with a clock the
 * test moves: most protocol tests run here (fast, no sockets).
 */

import { type Config, readConfig } from "../../server/config.ts";
import { type AppHandler, createHandler } from "../../server/http/mod.ts";
import { createLogger, type LogLevel } from "../../server/log.ts";
import { type Database, sql } from "../../server/store/mod.ts";
import { runRollupRound } from "../../server/upkeep/mod.ts";
import type { Send, WireRequest } from "./instance_client.ts";
import { openTestDatabase } from "./store.ts";

/** A clock that only moves when the test says so. */
export class FakeClock {
  #ms: number;
  constructor(start: Date | string = "2026-11-25T12:00:00Z") {
    this.#ms = new Date(start).getTime();
  }
  now = (): Date => new Date(this.#ms);
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#ms += ms;
  }
}

/** A handler under test with its store and clock. */
export interface TestApp extends AsyncDisposable {
  readonly db: Database;
  readonly clock: FakeClock;
  readonly config: Config;
  readonly handler: AppHandler;
  /** Log lines the handler wrote. */
  readonly logs: { level: LogLevel; line: Record<string, unknown> }[];
  /** Posts a wire request to the handler. */
  readonly send: Send;
  /** Sends any request to the handler, from `address`. */
  fetch(path: string, init?: RequestInit & { address?: string }): Promise<Response>;
  /**
   * Runs one round of the server's rollup upkeep (summaries, hours, days, the public pages'
   * figures) as of the test clock.
   */
  rollUp(): Promise<void>;
}

/** The admin token every test app accepts. */
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789";

/** Opens a test app; `settings` are environment-style overrides (e.g. `SHM_RATE_LIMIT_IP`). */
export async function openTestApp(
  options: { settings?: Record<string, string>; clock?: FakeClock } = {},
): Promise<TestApp> {
  const store = await openTestDatabase();
  const clock = options.clock ?? new FakeClock();
  const settings: Record<string, string> = {
    SHM_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    SHM_RATE_LIMIT_IP: "0",
    SHM_RATE_LIMIT_INSTANCE: "0",
    // Tests read a badge right after changing the data; the cache has tests of its own.
    SHM_BADGE_CACHE_SECONDS: "0",
    // A loaded test machine can take longer than the 1.5 s default to answer a statement.
    SHM_DB_QUERY_TIMEOUT: "15s",
    ...options.settings,
  };
  const config = readConfig({}, (name) => settings[name]);
  const logs: TestApp["logs"] = [];
  const log = createLogger("debug", (line, level) => logs.push({ level, line: JSON.parse(line) }));
  const handler = createHandler({ config, db: store.db, log, now: clock.now });
  const fetchApp = (path: string, init: RequestInit & { address?: string } = {}) =>
    handler(new Request(new URL(path, "http://shm.test"), init), {
      remoteAddr: { hostname: init.address ?? "192.0.2.1" },
    });
  return {
    db: store.db,
    clock,
    config,
    handler,
    logs,
    send: (request: WireRequest) =>
      fetchApp(request.path, {
        method: "POST",
        headers: request.headers,
        body: request.body as Uint8Array<ArrayBuffer>,
      }),
    fetch: fetchApp,
    rollUp: async () => {
      const report = await runRollupRound(store.db, {
        now: clock.now(),
        windowDays: config.activeDays,
        publicPages: { minInstances: config.badgeMinInstances },
      });
      if (!report.ran) throw new Error("the rollup upkeep did not run");
    },
    [Symbol.asyncDispose]: () => store[Symbol.asyncDispose](),
  };
}

/** Everything stored, as one comparable value: a refused request must leave it unchanged. */
export async function storeFingerprint(db: Database): Promise<unknown> {
  return {
    applications: await db.query(sql`select slug, name from applications order by slug`),
    instances: await db.query(sql`
      select instance_id::text, app_id, encode(public_key, 'hex') as key, status, app_version,
        environment, deployment_mode, os_arch, first_seen, last_seen, last_snapshot_at, metrics
      from instances order by instance_id`),
    days: await db.query(sql`select * from instance_days order by instance_id, day`),
    snapshots: await db.query(sql`select * from snapshots order by instance_id, taken_at`),
    staleRollups: await db.query(sql`select * from rollup_stale order by app_id, day`),
  };
}

/** Reads one instance's stored row, or undefined. */
export async function storedInstance(
  db: Database,
  instanceId: string,
): Promise<Record<string, unknown> | undefined> {
  const [row] = await db.query<Record<string, unknown>>(sql`
    select i.status, i.app_version, i.environment, i.deployment_mode, i.os_arch, i.metrics,
      i.first_seen, i.last_seen, i.last_snapshot_at, encode(i.public_key, 'hex') as public_key,
      a.slug as app_slug, a.name as app_name
    from instances i join applications a on a.id = i.app_id
    where i.instance_id = ${instanceId}::uuid`);
  return row;
}

/** Counts rows of a table (tests only). */
export async function countRows(
  db: Database,
  table: "applications" | "instances" | "instance_days" | "snapshots",
): Promise<number> {
  const [row] = await db.query<{ n: number }>({
    text: `select count(*)::int as n from ${table}`,
    params: [],
  });
  return row?.n ?? 0;
}
