/**
 * Today's and yesterday's rollups are kept from the instance-days changed
 * since the last round (`recent_day.ts`); these properties drive random
 * fleets through rounds and check after every round that the stored rows of
 * both days are exactly those `rollUpDay` computes from every row.
 */

import assert from "node:assert/strict";
import { fc } from "../../../tests/support/dev_deps.ts";
import { openTestDatabase } from "../../../tests/support/store.ts";
import { type Database, sql } from "../drivers/database.ts";
import { eraseInstance, registerInstance } from "../instances.ts";
import { insertSnapshotsIfNewer } from "../snapshots.ts";
import { refreshRollups, rollUpDay } from "./rollups.ts";

const START = Date.parse("2026-05-01T20:00:00Z");
const APPS = ["one", "two"] as const;
const ENVIRONMENTS = [null, "production", "ci", " Staging "] as const;
const EXCLUSIONS = [["ci"], [], ["staging", "ci"]] as const;

type Step =
  | { kind: "register"; app: number; count: number; version: string; environment: number }
  | {
    kind: "snapshots";
    /** Which instances send one: those whose index modulo `every` is `offset`. */
    every: number;
    offset: number;
    hoursLate: number;
    version: string | null;
    environment: number | null;
    metrics: Record<string, string | number | boolean>;
  }
  | { kind: "wait"; minutes: number }
  | { kind: "erase"; instance: number }
  | { kind: "exclude"; app: number; exclusion: number }
  | { kind: "round" };

const metricsArb = fc.record({
  n: fc.integer({ min: -3, max: 40 }),
  // subnormal floats included: the rollups take them as 0 (float_values.ts)
  f: fc.oneof(
    fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(5e-324, -5e-324, 2.5e-310, 1e-300, 1.7976931348623157e308, -1e308),
  ),
  q: fc.integer({ min: -20, max: 20 }).map((n) => n / 4),
  s: fc.constantFrom("a", "b", "c", "d"),
  b: fc.boolean(),
}, { requiredKeys: [] });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("register" as const),
      app: fc.integer({ min: 0, max: APPS.length - 1 }),
      count: fc.integer({ min: 1, max: 6 }),
      version: fc.constantFrom("1.0.0", "1.1.0", "2.0.0"),
      environment: fc.integer({ min: 0, max: ENVIRONMENTS.length - 1 }),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("snapshots" as const),
      every: fc.integer({ min: 1, max: 4 }),
      offset: fc.integer({ min: 0, max: 3 }),
      hoursLate: fc.oneof(
        { weight: 6, arbitrary: fc.constant(0) },
        { weight: 2, arbitrary: fc.integer({ min: 1, max: 30 }) },
      ),
      version: fc.option(fc.constantFrom("1.0.0", "1.1.0", "2.0.0", "3.0.0"), { freq: 3 }),
      environment: fc.option(fc.integer({ min: 0, max: ENVIRONMENTS.length - 1 }), { freq: 3 }),
      metrics: metricsArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("wait" as const),
      minutes: fc.oneof(
        fc.integer({ min: 1, max: 180 }),
        fc.integer({ min: 600, max: 1440 }),
        fc.integer({ min: 3 * 1440, max: 5 * 1440 }),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("erase" as const), instance: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("exclude" as const),
      app: fc.integer({ min: 0, max: APPS.length - 1 }),
      exclusion: fc.integer({ min: 0, max: EXCLUSIONS.length - 1 }),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: "round" as const }) },
);

/** A fleet on a fresh store and a clock. */
class Run {
  readonly db: Database;
  readonly windowDays: number;
  now = START;
  readonly instances: string[] = [];
  readonly log: string[] = [];

  constructor(db: Database, windowDays: number) {
    this.db = db;
    this.windowDays = windowDays;
  }

  async apply(step: Step): Promise<void> {
    this.log.push(JSON.stringify(step));
    const at = new Date(this.now);
    switch (step.kind) {
      case "register":
        for (let i = 0; i < step.count; i++) {
          const instanceId = crypto.randomUUID();
          await registerInstance(this.db, {
            instanceId,
            publicKey: new Uint8Array(32),
            appSlug: APPS[step.app]!,
            appName: APPS[step.app]!,
            appVersion: step.version,
            environment: ENVIRONMENTS[(step.environment + i) % ENVIRONMENTS.length]!,
            deploymentMode: null,
            osArch: i % 2 === 0 ? "linux/amd64" : null,
          }, at);
          this.instances.push(instanceId);
        }
        return;
      case "snapshots": {
        const takenAt = new Date(this.now - step.hoursLate * 3_600_000).toISOString();
        const batch = this.instances.filter((_, i) => i % step.every === step.offset % step.every)
          .map((instanceId, i) => ({
            record: {
              instanceId,
              takenAt,
              metrics: { ...step.metrics, ...(i % 3 === 0 ? { i } : {}) },
              appVersion: step.version,
              metadata: {
                environment: step.environment === null
                  ? null
                  : ENVIRONMENTS[(step.environment + i) % ENVIRONMENTS.length]!,
                deploymentMode: null,
                osArch: null,
              },
            },
            now: at,
          }));
        if (batch.length > 0) await insertSnapshotsIfNewer(this.db, batch);
        this.now += 1000;
        return;
      }
      case "wait":
        this.now += step.minutes * 60_000;
        return;
      case "erase": {
        const instanceId = this.instances[step.instance % Math.max(1, this.instances.length)];
        if (instanceId !== undefined) {
          await eraseInstance(this.db, instanceId, { includeRevoked: true });
        }
        return;
      }
      case "exclude":
        await this.db.query(sql`
          update applications set excluded_environments = ${[...EXCLUSIONS[step.exclusion]!]},
            updated_at = ${at}
          where slug = ${APPS[step.app]!}`);
        return;
      case "round": {
        const report = await refreshRollups(this.db, { now: at, windowDays: this.windowDays });
        assert.equal(report.ran, true);
        await this.assertRecentDaysAsComputedFully(at);
        this.now += 1000;
        return;
      }
    }
  }

  /** Yesterday's and today's rows equal those rollUpDay computes from every row. */
  async assertRecentDaysAsComputedFully(now: Date): Promise<void> {
    const today = now.toISOString().slice(0, 10);
    const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
    // An application left with no history keeps its rollups (as upkeep_incremental_test.ts has it).
    const apps = await this.db.query<{ id: number }>(sql`
      select id from applications a
      where exists (select 1 from instance_days d where d.app_id = a.id)`);
    for (const { id } of apps) {
      for (const day of [yesterday, today]) {
        const kept = await dayRows(this.db, id, day);
        // a day before the application's first has no rollup
        if ((kept[0] as unknown[]).length === 0) continue;
        await rollUpDay(this.db, { appId: id, day, windowDays: this.windowDays, now });
        const computed = await dayRows(this.db, id, day);
        try {
          assert.deepEqual(kept, computed);
        } catch (error) {
          throw new Error(`app ${id}, ${day} differs after:\n${this.log.join("\n")}\n${error}`);
        }
      }
    }
  }
}

/** One application's stored rows of one day, in a fixed order, without computed_at. */
async function dayRows(db: Database, appId: number, day: string): Promise<unknown[]> {
  const days = await db.query(sql`
    select scope, window_days, excluded_environments, reporting, active, new, returned, gone,
      snapshots::text as snapshots
    from app_days where app_id = ${appId} and day = ${day}::date order by scope`);
  const shares = await db.query(sql`
    select scope, field, value, instances from app_day_shares
    where app_id = ${appId} and day = ${day}::date
    order by scope, field, value collate "C" nulls first`);
  const metrics = await db.query(sql`
    select scope, metric, instances, numbers, sum, min, max, p50, p90, p99
    from app_day_metrics where app_id = ${appId} and day = ${day}::date
    order by scope, metric collate "C"`);
  return [days, shares, metrics];
}

for (const windowDays of [3, 2]) {
  Deno.test(`refreshRollups() keeps today's and yesterday's rollups equal to rollUpDay's from every row (a ${windowDays}-day window)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 15, maxLength: 70 }),
        async (steps) => {
          await using store = await openTestDatabase();
          const run = new Run(store.db, windowDays);
          for (const step of [...steps, { kind: "round" as const }]) await run.apply(step);
        },
      ),
      { numRuns: 10 },
    );
  });
}

Deno.test("refreshRollups() counts again only the instance-days changed since the last round", async () => {
  await using store = await openTestDatabase();
  const run = new Run(store.db, 7);
  await run.apply({ kind: "register", app: 0, count: 4, version: "1.0.0", environment: 1 });
  const snapshots = (offset: number, n: number, every = 2): Step => ({
    kind: "snapshots",
    every,
    offset,
    hoursLate: 0,
    version: null,
    environment: null,
    metrics: { n },
  });
  await run.apply(snapshots(0, 1));
  await run.apply(snapshots(1, 2));
  await run.apply({ kind: "round" });
  // A row changed behind the upkeep's back (no snapshot, so no last_seen moved) is not read
  // again; a snapshot from another instance is.
  await store.db.query(sql`
    update instance_days set app_version = '9.9.9' where instance_id = ${run.instances[0]!}::uuid`);
  await run.apply({ kind: "wait", minutes: 10 });
  await run.apply(snapshots(1, 5, 4));
  await run.apply({ kind: "wait", minutes: 1 });
  const now = new Date(run.now);
  await refreshRollups(store.db, { now, windowDays: 7 });
  const versions = await store.db.query<{ value: string; instances: number }>(sql`
    select value, instances from app_day_shares
    where scope = 'all' and field = 'version' order by value`);
  assert.deepEqual(versions, [{ value: "1.0.0", instances: 4 }]);
  const [metric] = await store.db.query<{ sum: number; max: number }>(sql`
    select sum, max from app_day_metrics where scope = 'all' and metric = 'n'`);
  assert.deepEqual(metric, { sum: 1 + 1 + 5 + 2, max: 5 });
});
