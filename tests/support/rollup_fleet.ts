/**
 * A small fleet for the rollup tests, written through the real ingestion
 * write path, with a record of each instance's last state per day to compute
 * the expected rollups from (see rollup_reference.ts).
 */

import assert from "node:assert/strict";
import {
  addDays,
  daysBetween,
  expectedAppDays,
  type ExpectedMetric,
  expectedMetrics,
  expectedShares,
  type InstanceDayFact,
} from "./rollup_reference.ts";
import {
  appDayMetricRows,
  appDayRows,
  appDayShareRows,
  type Database,
  insertSnapshotsIfNewer,
  refreshRollups,
  registerInstance,
  ROLLUP_SCOPES,
  type RollupScope,
  sql,
  type TimedSnapshot,
} from "../../server/store/mod.ts";
export const NOW = new Date("2026-03-15T12:00:00Z");
export const TODAY = "2026-03-15";
export const START = "2026-02-10";
export const WINDOW = 7;
export const APPS = ["alpha", "beta", "gamma", "delta"] as const;
export type AppSlug = typeof APPS[number];

export type Metrics = Record<string, string | number | boolean>;

/** The day `n` days after the fleet's first day. */
export function d(n: number): string {
  return addDays(START, n);
}

export interface InstanceState {
  readonly app: AppSlug;
  version: string;
  osArch: string | null;
  deploymentMode: string | null;
  environment: string | null;
}

export interface PlannedSnapshot {
  readonly instanceId: string;
  readonly takenAt: string;
  readonly receivedAt: Date;
  readonly metrics: Metrics;
  readonly appVersion: string | null;
  readonly environment: string | null;
}

/**
 * Writes history through the ingestion write path and keeps, beside it, its
 * own model of what each instance's day should hold: the last snapshot of the
 * day, with metadata carried over when a snapshot does not send it.
 */
export class History {
  readonly #db: Database;
  readonly #instances = new Map<string, InstanceState>();
  readonly #facts = new Map<string, InstanceDayFact & { app: AppSlug }>();
  #pending: PlannedSnapshot[] = [];

  constructor(db: Database) {
    this.#db = db;
  }

  async instance(
    app: AppSlug,
    meta: Partial<Omit<InstanceState, "app">> = {},
  ): Promise<string> {
    const instanceId = crypto.randomUUID();
    const state: InstanceState = {
      app,
      version: meta.version ?? "1.0.0",
      osArch: meta.osArch ?? null,
      deploymentMode: meta.deploymentMode ?? null,
      environment: meta.environment ?? null,
    };
    const outcome = await registerInstance(this.#db, {
      instanceId,
      publicKey: new Uint8Array(32),
      appSlug: app,
      appName: app.toUpperCase(),
      appVersion: state.version,
      environment: state.environment,
      deploymentMode: state.deploymentMode,
      osArch: state.osArch,
    }, new Date(`${START}T00:00:00Z`));
    assert.equal(outcome, "created");
    this.#instances.set(instanceId, state);
    return instanceId;
  }

  /** Plans a snapshot taken at `time` on `day`, received a second later unless told. */
  snapshot(
    instanceId: string,
    at: { day: string; time?: string; receivedAt?: Date },
    metrics: Metrics,
    sent: { version?: string; environment?: string } = {},
  ): void {
    const takenAt = `${at.day}T${at.time ?? "10:00:00"}Z`;
    this.#pending.push({
      instanceId,
      takenAt,
      receivedAt: at.receivedAt ?? new Date(Date.parse(takenAt) + 1000),
      metrics,
      appVersion: sent.version ?? null,
      environment: sent.environment ?? null,
    });
  }

  /** Stores the planned snapshots in time order, in batches of distinct instances. */
  async write(): Promise<void> {
    const planned = this.#pending.sort((a, b) => a.takenAt < b.takenAt ? -1 : 1);
    this.#pending = [];
    let batch: PlannedSnapshot[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const timed: TimedSnapshot[] = batch.map((p) => ({
        record: {
          instanceId: p.instanceId,
          takenAt: p.takenAt,
          metrics: p.metrics,
          appVersion: p.appVersion,
          metadata: { environment: p.environment, deploymentMode: null, osArch: null },
        },
        now: p.receivedAt,
      }));
      const accepted = await insertSnapshotsIfNewer(this.#db, timed);
      assert.equal(accepted.size, batch.length, "every planned snapshot is newer");
      for (const p of batch) this.#remember(p);
      batch = [];
    };
    for (const p of planned) {
      if (batch.some((b) => b.instanceId === p.instanceId)) await flush();
      batch.push(p);
    }
    await flush();
  }

  #remember(p: PlannedSnapshot): void {
    const state = this.#instances.get(p.instanceId)!;
    if (p.appVersion !== null) state.version = p.appVersion;
    if (p.environment !== null) state.environment = p.environment;
    const day = p.takenAt.slice(0, 10);
    const key = `${p.instanceId}|${day}`;
    this.#facts.set(key, {
      app: state.app,
      instanceId: p.instanceId,
      day,
      version: state.version,
      osArch: state.osArch,
      deploymentMode: state.deploymentMode,
      environment: state.environment,
      metrics: p.metrics,
      snapshots: (this.#facts.get(key)?.snapshots ?? 0) + 1,
    });
  }

  facts(app: AppSlug): InstanceDayFact[] {
    return [...this.#facts.values()].filter((f) => f.app === app);
  }

  firstDay(app: AppSlug): string {
    return this.facts(app).map((f) => f.day).sort()[0]!;
  }

  async appId(app: AppSlug): Promise<number> {
    const [row] = await this.#db.query<{ id: number }>(
      sql`select id from applications where slug = ${app}`,
    );
    assert.ok(row, `application ${app} exists`);
    return row.id;
  }
}

/** The instances of the fleet whose stories the tests check by hand. */
export interface Fleet {
  readonly history: History;
  /** Reports days 0..10 only; the stale test sends it a late snapshot. */
  readonly late: string;
  /** Reports days 8 and 15 only. */
  readonly edgeIn: string;
}

/**
 * Three applications over 2026-02-10..2026-03-15 (day 0..33). In alpha: a
 * steady instance with a version change inside day 15 and a pause on days
 * 24..26 (no alpha instance at all reports then), instances that stop and
 * come back within the window and after it, one at exactly the window's edge
 * on each side, and 35 instances on day 28 with 30 distinct versions. Beta
 * has the percentile fixture on day 30; gamma only old history; delta one
 * instance on day 25, one day more than the window before yesterday, so that
 * its gone count of yesterday is still recent.
 */
export async function writeFleet(db: Database): Promise<Fleet> {
  const history = new History(db);
  const steady = await history.instance("alpha", {
    osArch: "linux/amd64",
    deploymentMode: "docker",
    environment: "production",
  });
  for (const n of [...range(0, 23), ...range(27, 33)]) {
    const metrics = { users: n * 3, plan: n < 10 ? "free" : "pro", tls: n % 2 === 0, size: n };
    history.snapshot(steady, { day: d(n), time: "08:00:00" }, metrics);
    if (n % 2 === 0) {
      history.snapshot(steady, { day: d(n), time: "20:00:00" }, { users: n * 3 + 1 });
    }
  }
  history.snapshot(steady, { day: d(15), time: "20:00:00" }, { users: 99, plan: "pro" }, {
    version: "1.1.0",
  });
  // Away for days 6..8, less than the window: back on day 9 without "returning".
  const pausing = await history.instance("alpha");
  for (const n of [...range(0, 5), ...range(9, 15)]) {
    history.snapshot(pausing, { day: d(n) }, { plan: "free", size: "big", users: 5 });
  }
  history.snapshot(pausing, { day: d(12), time: "11:00:00" }, { size: "big" }, {
    environment: "staging",
  });
  // Away for days 5..17 and 19..32: returning on day 18 and on day 33 (today).
  const wanderer = await history.instance("alpha", { osArch: "linux/arm64", version: "0.9.0" });
  for (const n of [2, 3, 4, 18, 33]) {
    history.snapshot(wanderer, { day: d(n), time: "09:00:00" }, { size: 7, tls: true, users: 2 });
  }
  // Silent for exactly the window (days 9..15): gone on day 15, returning on day 16.
  const edgeOut = await history.instance("alpha");
  for (const n of [8, 16]) history.snapshot(edgeOut, { day: d(n) }, { users: 11 });
  // Silent for one day less (days 9..14): neither gone nor returning.
  const edgeIn = await history.instance("alpha");
  for (const n of [8, 15]) history.snapshot(edgeIn, { day: d(n) }, { users: 13, plan: "pro" });
  const late = await history.instance("alpha", { version: "0.8.0" });
  for (const n of range(0, 10)) history.snapshot(late, { day: d(n) }, { users: 1, plan: "team" });
  // 35 instances, 30 versions: v01..v05 twice, v06..v30 once; the same for a string metric.
  for (let i = 0; i < 35; i++) {
    const label = String(i < 10 ? Math.floor(i / 2) + 1 : i - 4).padStart(2, "0");
    const id = await history.instance("alpha", { version: `v${label}` });
    history.snapshot(id, { day: d(28) }, { region: `r${label}`, tls: i % 3 === 0 });
  }
  const fixture = [10, 20, 30, 40, 50];
  for (const [i, latency] of fixture.entries()) {
    const id = await history.instance("beta", {
      version: i === 4 ? "2.1.0" : "2.0.0",
      deploymentMode: "binary",
    });
    for (const n of range(20, 33)) {
      const metrics = { latency: n === 30 ? latency : (i + 1) * n + 0.25, ok: i < 3 };
      history.snapshot(id, { day: d(n), time: "07:30:00" }, metrics);
    }
  }
  for (let i = 0; i < 2; i++) {
    const id = await history.instance("gamma");
    for (const n of range(0, 2)) history.snapshot(id, { day: d(n) }, { x: i });
  }
  history.snapshot(await history.instance("delta"), { day: d(33 - 1 - WINDOW) }, { x: 1 });
  await history.write();
  return { history, late, edgeIn };
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** How many days the first refresh of the fleet computes: each app's first day to today. */
export function fleetDays(history: History): number {
  return APPS.reduce((sum, app) => sum + daysBetween(history.firstDay(app), TODAY).length, 0);
}

/** A number kept to 12 significant digits, so that float rounding in the last bits compares equal. */
export function rounded(value: number | null): number | null {
  return value === null ? null : Number(value.toPrecision(12));
}

export function shareKey(s: { day: string; field: string; value: string | null }): string {
  return `${s.day}|${s.field}|${s.value === null ? "\u{10FFFF}null" : `=${s.value}`}`;
}

export function byShareKey<T extends { day: string; field: string; value: string | null }>(
  rows: readonly T[],
): T[] {
  return [...rows].sort((a, b) => shareKey(a) < shareKey(b) ? -1 : 1);
}

/**
 * Asserts that every stored rollup row of `app` (days, shares, metrics)
 * equals the reference computed from the fleet's own facts, for each day from
 * the app's first day to today, and no row besides.
 */
export async function assertRollupsMatch(
  db: Database,
  history: History,
  app: AppSlug,
  options: { windowDays: number; today?: string; excluded?: readonly string[] },
): Promise<void> {
  const { windowDays, today = TODAY, excluded = [] } = options;
  const appId = await history.appId(app);
  const fromDay = history.firstDay(app);
  for (const scope of ROLLUP_SCOPES) {
    // The counted scope is the history without the days an instance reported an excluded
    // environment (trimmed, without case); the all scope is the whole history.
    const facts = history.facts(app).filter((fact) =>
      scope === "all" || fact.environment === null ||
      !excluded.includes(fact.environment.trim().toLowerCase())
    );
    await assertScopeMatches(db, { appId, scope, facts, fromDay, today, windowDays, app });
  }
}

/**
 * Asserts that the stored rollup rows of one application in one scope (days,
 * shares, metrics) equal the reference computed from `facts` (that scope's
 * instance-days) for each day from `fromDay` to `today`, and no row besides.
 */
export async function assertScopeMatches(
  db: Database,
  options: {
    appId: number;
    scope: RollupScope;
    facts: InstanceDayFact[];
    fromDay: string;
    today: string;
    windowDays: number;
    app: AppSlug;
  },
): Promise<void> {
  const { appId, scope, facts, fromDay, today, windowDays } = options;
  const app = `${options.app} (${scope})`;
  const range = { appId, scope, fromDay: "2000-01-01", toDay: "2100-01-01" };
  const stored = await appDayRows(db, range);
  assert.deepEqual(
    stored.map(({ computedAt: _, ...counts }) => counts),
    expectedAppDays(facts, { fromDay, toDay: today, windowDays }),
    `${app}: day counts`,
  );
  const days = daysBetween(fromDay, today);
  assert.deepEqual(
    byShareKey(await appDayShareRows(db, range)),
    byShareKey(days.flatMap((day) => expectedShares(facts, day))),
    `${app}: shares`,
  );
  const roundMetric = (row: ExpectedMetric): ExpectedMetric => ({
    ...row,
    sum: rounded(row.sum),
    min: rounded(row.min),
    max: rounded(row.max),
    p50: rounded(row.p50),
    p90: rounded(row.p90),
    p99: rounded(row.p99),
  });
  const metricKey = (m: { day: string; metric: string }) => `${m.day}|${m.metric}`;
  const sortMetrics = <T extends { day: string; metric: string }>(rows: T[]) =>
    rows.sort((a, b) => metricKey(a) < metricKey(b) ? -1 : 1);
  assert.deepEqual(
    sortMetrics((await appDayMetricRows(db, range)).map(roundMetric)),
    sortMetrics(days.flatMap((day) => expectedMetrics(facts, day)).map(roundMetric)),
    `${app}: metrics`,
  );
}

export async function assertFleetMatches(db: Database, history: History, windowDays: number) {
  for (const app of APPS) await assertRollupsMatch(db, history, app, { windowDays });
  // Nothing stored beyond the apps' days: no rows leak to another app or day.
  const [count] = await db.query<{ n: number }>(sql`select count(*)::int as n from app_days`);
  assert.equal(count?.n, fleetDays(history) * ROLLUP_SCOPES.length);
}

export async function refreshedFleet(db: Database): Promise<Fleet> {
  const fleet = await writeFleet(db);
  const report = await refreshRollups(db, { now: NOW, windowDays: WINDOW });
  assert.deepEqual(report, { ran: true, daysComputed: fleetDays(fleet.history) });
  return fleet;
}

export async function alphaDay(db: Database, history: History, day: string) {
  const appId = await history.appId("alpha");
  const [row] = await appDayRows(db, { appId, scope: "all", fromDay: day, toDay: day });
  assert.ok(row, `alpha has a rollup on ${day}`);
  const { computedAt: _, day: __, windowDays: ___, ...counts } = row;
  return counts;
}
