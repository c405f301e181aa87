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
import { assertScopeMatches } from "./support/rollup_fleet.ts";
import {
  changeInstanceStatus,
  type Database,
  eraseInstance,
  insertSnapshotsIfNewer,
  registerInstance,
  ROLLUP_SCOPES,
  sql,
} from "../server/store/mod.ts";
import { runRollupRound } from "../server/upkeep/mod.ts";

const WINDOW = 3;
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
  f: fc.double({ min: -5, max: 5, noNaN: true, noDefaultInfinity: true }),
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
  now = START;
  readonly instances: string[] = [];
  readonly log: string[] = [];

  constructor(db: Database) {
    this.db = db;
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
        const report = await runRollupRound(this.db, { now: at, windowDays: WINDOW });
        assert.equal(report.ran, true);
        await this.assertAsComputedFully();
        this.now += 1000;
        return;
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
          windowDays: WINDOW,
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

Deno.test("runRollupRound() keeps every daily rollup equal to the one computed from the whole history", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(stepArb, { minLength: 10, maxLength: 60 }),
      async (steps) => {
        await using store = await openTestDatabase();
        const run = new Run(store.db);
        for (const step of [...steps, { kind: "round" as const }]) await run.apply(step);
      },
    ),
    { numRuns: 12 },
  );
});

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
