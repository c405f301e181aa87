/**
 * The upkeep round keeps its figures from what changed since the round
 * before; these properties drive random histories (snapshots of a few
 * instances over days, version, environment and metric changes, late
 * snapshots, time passing beyond the active window, revokes, erasures,
 * excluded environments changed, rounds in between) and check after every
 * round that what is stored equals the figures computed from the whole
 * history again.
 */

import assert from "node:assert/strict";
import { fc } from "./support/dev_deps.ts";
import { openTestDatabase } from "./support/store.ts";
import { addDays, type InstanceDayFact } from "./support/rollup_reference.ts";
import { assertScopeMatches, rounded } from "./support/rollup_fleet.ts";
import { expectedSummary } from "./support/summary_reference.ts";
import {
  changeInstanceStatus,
  type Database,
  eraseInstance,
  findSummaryFigures,
  insertSnapshotsIfNewer,
  registerInstance,
  ROLLUP_SCOPES,
  sql,
} from "../server/store/mod.ts";
import { runRollupRound } from "../server/upkeep/mod.ts";

const START = Date.parse("2026-05-01T06:00:00Z");
const APPS = ["one", "two"] as const;
const ENVIRONMENTS = [null, "production", "ci", " Staging "] as const;
const EXCLUSIONS = [["ci"], [], ["staging", "ci"]] as const;

/** One thing that happens to the fleet, or a round of the upkeep. */
type Step =
  | { kind: "register"; app: number; version: string; environment: number }
  | {
    kind: "snapshot";
    instance: number;
    /** Taken this many hours before it arrives (a late snapshot when large). */
    hoursLate: number;
    version: string | null;
    environment: number | null;
    metrics: Record<string, string | number | boolean>;
  }
  | { kind: "wait"; minutes: number }
  | { kind: "revoke" | "restore" | "erase"; instance: number }
  | { kind: "exclude"; app: number; exclusion: number }
  | { kind: "round" };

const metricsArb = fc.record({
  n: fc.integer({ min: -3, max: 40 }),
  // quarters: sums exact in a float as in a numeric
  f: fc.integer({ min: -20, max: 20 }).map((n) => n / 4),
  s: fc.constantFrom("a", "b", "c"),
  b: fc.boolean(),
}, { requiredKeys: [] });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("register" as const),
      app: fc.integer({ min: 0, max: APPS.length - 1 }),
      version: fc.constantFrom("1.0.0", "1.1.0", "2.0.0"),
      environment: fc.integer({ min: 0, max: ENVIRONMENTS.length - 1 }),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("snapshot" as const),
      instance: fc.nat(),
      hoursLate: fc.oneof(
        { weight: 6, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 80 }) },
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
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 600, max: 2 * 1440 }),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom("revoke" as const, "restore" as const, "erase" as const),
      instance: fc.nat(),
    }),
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

/** A fleet on a fresh store, a clock, and what the steps made. */
class Run {
  readonly db: Database;
  readonly windowDays: number;
  now = START;
  readonly instances: string[] = [];
  readonly log: string[] = [];

  constructor(db: Database, windowDays = 3) {
    this.db = db;
    this.windowDays = windowDays;
  }

  async apply(step: Step): Promise<void> {
    this.log.push(JSON.stringify(step));
    const at = new Date(this.now);
    const pick = (n: number) => this.instances[n % Math.max(1, this.instances.length)];
    switch (step.kind) {
      case "register": {
        const instanceId = crypto.randomUUID();
        await registerInstance(this.db, {
          instanceId,
          publicKey: new Uint8Array(32),
          appSlug: APPS[step.app]!,
          appName: APPS[step.app]!,
          appVersion: step.version,
          environment: ENVIRONMENTS[step.environment]!,
          deploymentMode: null,
          osArch: step.app === 0 ? "linux/amd64" : null,
        }, at);
        this.instances.push(instanceId);
        return;
      }
      case "snapshot": {
        const instanceId = pick(step.instance);
        if (instanceId === undefined) return;
        const takenAt = new Date(this.now - step.hoursLate * 3_600_000).toISOString();
        await insertSnapshotsIfNewer(this.db, [{
          record: {
            instanceId,
            takenAt,
            metrics: step.metrics,
            appVersion: step.version,
            metadata: {
              environment: step.environment === null ? null : ENVIRONMENTS[step.environment]!,
              deploymentMode: null,
              osArch: null,
            },
          },
          now: at,
        }]);
        // The next snapshot is a second later at least, as a server's clock moves.
        this.now += 1000;
        return;
      }
      case "wait":
        this.now += step.minutes * 60_000;
        return;
      case "revoke":
      case "restore": {
        const instanceId = pick(step.instance);
        if (instanceId !== undefined) await changeInstanceStatus(this.db, instanceId, step.kind);
        return;
      }
      case "erase": {
        const instanceId = pick(step.instance);
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
        const report = await runRollupRound(this.db, { now: at, windowDays: this.windowDays });
        assert.equal(report.ran, true);
        await this.assertAsComputedFully();
        await this.assertSummariesAsComputedFully(at);
        this.now += 1000;
        return;
      }
    }
  }

  /** Every application's summary, in both scopes, equals the one computed from its instances. */
  async assertSummariesAsComputedFully(now: Date): Promise<void> {
    const apps = await this.db.query<{ id: number; slug: string; excluded: string[] }>(sql`
      select id, slug, excluded_environments as excluded from applications order by id`);
    for (const app of apps) {
      for (const scope of ROLLUP_SCOPES) {
        const { computedAt: _, ...stored } = await findSummaryFigures(this.db, app.id, { scope });
        const expected = await expectedSummary(this.db, {
          appId: app.id,
          scope,
          excluded: app.excluded,
          now,
          windowDays: this.windowDays,
        });
        const rounding = (figures: typeof expected) => ({
          ...figures,
          metrics: Object.fromEntries(
            Object.entries(figures.metrics).map(([key, m]) => [key, {
              instances: m.instances,
              sum: rounded(m.sum),
              avg: rounded(m.avg),
              min: rounded(m.min),
              max: rounded(m.max),
            }]),
          ),
        });
        try {
          assert.deepEqual(rounding(stored), rounding(expected));
        } catch (error) {
          throw new Error(
            `${app.slug} (${scope}) summary differs after: ${this.log.join("\n")}\n${
              String(error)
            }`,
          );
        }
      }
    }
  }

  /** Every application's rollups equal the reference computed from its whole history. */
  async assertAsComputedFully(): Promise<void> {
    const today = new Date(this.now).toISOString().slice(0, 10);
    const apps = await this.db.query<{ id: number; slug: string; excluded: string[] }>(sql`
      select id, slug, excluded_environments as excluded from applications order by id`);
    for (const app of apps) {
      const rows = await this.db.query<InstanceDayFact>(sql`
        select instance_id::text as "instanceId", day::text as day, app_version as version,
          os_arch as "osArch", deployment_mode as "deploymentMode", environment, metrics,
          snapshots
        from instance_days where app_id = ${app.id}`);
      if (rows.length === 0) continue;
      const fromDay = rows.map((r) => r.day).sort()[0]!;
      for (const scope of ROLLUP_SCOPES) {
        const facts = rows.filter((fact) =>
          scope === "all" || fact.environment === null ||
          !app.excluded.includes(fact.environment.trim().toLowerCase())
        );
        await assertScopeMatches(this.db, {
          appId: app.id,
          scope,
          facts,
          fromDay,
          today: today < fromDay ? fromDay : today,
          windowDays: this.windowDays,
          app: "alpha",
        }).catch((error: unknown) => {
          throw new Error(
            `${app.slug} (${scope}) differs after: ${this.log.join("\n")}\n${String(error)}`,
          );
        });
      }
    }
  }
}

for (const windowDays of [3, 1]) {
  Deno.test(`runRollupRound() keeps every summary and daily rollup equal to those computed from everything stored (a ${windowDays}-day window)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 10, maxLength: 60 }),
        async (steps) => {
          await using store = await openTestDatabase();
          const run = new Run(store.db, windowDays);
          for (const step of [...steps, { kind: "round" as const }]) await run.apply(step);
        },
      ),
      { numRuns: 8 },
    );
  });
}

// A late snapshot's day before yesterday is marked; yesterday's arrives without a mark.
Deno.test("runRollupRound() follows a snapshot of yesterday that arrives today, unmarked", async () => {
  await using store = await openTestDatabase();
  const run = new Run(store.db);
  const steps: Step[] = [
    { kind: "register", app: 0, version: "1.0.0", environment: 0 },
    { kind: "register", app: 0, version: "1.0.0", environment: 0 },
    { kind: "snapshot", instance: 0, hoursLate: 0, version: null, environment: null, metrics: {} },
    { kind: "round" },
    { kind: "wait", minutes: 1440 },
    { kind: "round" },
    // Taken 20 hours ago, yesterday: yesterday's reporting count goes from 1 to 2.
    {
      kind: "snapshot",
      instance: 1,
      hoursLate: 20,
      version: null,
      environment: null,
      metrics: { n: 1 },
    },
    { kind: "wait", minutes: 30 },
    { kind: "round" },
  ];
  for (const step of steps) await run.apply(step);
  const [row] = await store.db.query<{ reporting: number }>(sql`
    select reporting from app_days
    where scope = 'all' and day = ${addDays(new Date(START).toISOString().slice(0, 10), 0)}::date`);
  assert.equal(row?.reporting, 2);
});

Deno.test("runRollupRound() takes an instance out of the active figures when its last sign of life leaves the window between two rounds", async () => {
  await using store = await openTestDatabase();
  const run = new Run(store.db, 1);
  const steps: Step[] = [
    { kind: "register", app: 0, version: "1.0.0", environment: 1 },
    { kind: "snapshot", instance: 0, hoursLate: 0, version: null, environment: null, metrics: {} },
    { kind: "wait", minutes: 720 },
    { kind: "round" },
    { kind: "wait", minutes: 900 },
    { kind: "round" },
  ];
  for (const step of steps) await run.apply(step);
  const [app] = await store.db.query<{ id: number }>(sql`select id from applications`);
  const figures = await findSummaryFigures(store.db, app!.id, { scope: "all" });
  assert.equal(figures.instances, 1);
  assert.equal(figures.active, 0, "seen 27 hours ago, with a window of a day");
});

Deno.test("runRollupRound() twice at once counts each change once", async () => {
  await using store = await openTestDatabase();
  const run = new Run(store.db);
  const snapshot = (instance: number, n: number): Step => ({
    kind: "snapshot",
    instance,
    hoursLate: 0,
    version: n % 2 === 0 ? "2.0.0" : null,
    environment: null,
    metrics: { n, f: n / 4 },
  });
  await run.apply({ kind: "register", app: 0, version: "1.0.0", environment: 1 });
  await run.apply({ kind: "register", app: 0, version: "1.0.0", environment: 2 });
  await run.apply({ kind: "register", app: 1, version: "1.0.0", environment: 0 });
  for (const step of [snapshot(0, 1), snapshot(1, 2), snapshot(2, 3)]) await run.apply(step);
  await run.apply({ kind: "round" });
  for (let i = 0; i < 3; i++) {
    for (const step of [snapshot(0, 10 + i), snapshot(1, 20 + i), snapshot(2, 30 + i)]) {
      await run.apply(step);
    }
    await run.apply({ kind: "wait", minutes: 1 });
    const now = new Date(run.now);
    const reports = await Promise.all([
      runRollupRound(store.db, { now, windowDays: run.windowDays }),
      runRollupRound(store.db, { now, windowDays: run.windowDays }),
    ]);
    assert.ok(reports.some((r) => r.summaries > 0));
    await run.assertSummariesAsComputedFully(now);
  }
});
