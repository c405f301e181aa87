/**
 * `shm demo`: the generator's fleet (deterministic, obeying ingestion's
 * invariants, with roll-outs and churn), the same fleet read back through
 * the admin stats after seeding, and the command as a process.
 */

import assert from "node:assert/strict";
import {
  type DemoOptions,
  type GeneratedInstance,
  generateInstance,
  planFleet,
} from "../server/demo/demo_fleet.ts";
import { seedDemo } from "../server/demo/seed_demo.ts";
import { appSlug } from "../server/ingest/mod.ts";
import {
  applicationsOverview,
  dailyMetrics,
  fleetSummary,
  instancePage,
} from "../server/stats/mod.ts";
import {
  applicationsJson,
  dailyMetricsJson,
  fleetJson,
  instancePageJson,
} from "../server/http/admin_json.ts";
import { type Database, sql } from "../server/store/mod.ts";
import { runShm } from "./support/cli.ts";
import { startServer } from "./support/server.ts";
import { freshEmbeddedFolder, openTestDatabase } from "./support/store.ts";
import { copyEmbeddedTemplate } from "./support/store_templates.ts";

const DAY_MS = 86_400_000;
const NOW = new Date("2026-03-10T15:30:00Z");

function generateFleet(options: DemoOptions): GeneratedInstance[] {
  const plan = planFleet(options);
  return Array.from({ length: options.instances }, (_, i) => generateInstance(plan, i));
}

const SMALL: DemoOptions = { apps: 3, instances: 1_000, days: 30, seed: 42, now: NOW };

Deno.test("demo fleet: the same seed gives the same fleet, another seed another", () => {
  const plain = (fleet: GeneratedInstance[]) =>
    fleet.map((g) => ({ ...g.instance, days: g.days, raw: g.snapshotsSince(0) }));
  const options = { ...SMALL, instances: 200 };
  assert.deepEqual(plain(generateFleet(options)), plain(generateFleet(options)));
  const other = generateFleet({ ...options, seed: 43 });
  const ids = new Set(generateFleet(options).map((g) => g.instance.instanceId));
  assert.equal(other.filter((g) => ids.has(g.instance.instanceId)).length, 0);
});

Deno.test("demo fleet: every instance obeys ingestion's invariants", () => {
  const plan = planFleet(SMALL);
  const fleet = generateFleet(SMALL);
  assert.equal(new Set(plan.apps.map((a) => a.slug)).size, SMALL.apps);
  for (const app of plan.apps) assert.equal(app.slug, appSlug(app.name));
  assert.equal(new Set(fleet.map((g) => g.instance.instanceId)).size, SMALL.instances);
  const rawSince = Date.UTC(2026, 2, 9);
  for (const { instance, days, snapshotsSince } of fleet) {
    const what = instance.instanceId;
    assert.match(what, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(instance.publicKey.length, 32, what);
    assert.ok(instance.firstSeen <= instance.lastSeen && instance.lastSeen <= NOW, what);
    assert.equal(new Set(days.map((d) => d.day)).size, days.length, `one row a day: ${what}`);
    for (const [i, day] of days.entries()) {
      assert.equal(day.lastAt.toISOString().slice(0, 10), day.day, what);
      assert.ok(day.lastAt <= NOW && day.snapshots >= 1, what);
      assert.ok(i === 0 || days[i - 1]!.day < day.day, `days in order: ${what}`);
      assert.equal(day.instanceId, instance.instanceId);
    }
    const last = days.at(-1);
    if (last === undefined) {
      assert.equal(instance.status, "pending", what);
      assert.equal(instance.lastSnapshotAt, null);
      assert.deepEqual(instance.metrics, {});
      continue;
    }
    assert.notEqual(instance.status, "pending", what);
    assert.deepEqual(instance.metrics, last.metrics, what);
    assert.equal(instance.appVersion, last.appVersion, what);
    assert.deepEqual(instance.lastSnapshotAt, last.lastAt, what);
    assert.ok(instance.lastSeen >= last.lastAt, what);
    assert.ok(instance.firstSeen <= days[0]!.lastAt, what);
    // Raw snapshots replay each recent day, ending on the day's row.
    const raw = snapshotsSince(rawSince);
    for (const day of days.filter((d) => d.lastAt.getTime() >= rawSince)) {
      const ofDay = raw.filter((s) => s.takenAt.toISOString().slice(0, 10) === day.day);
      assert.equal(ofDay.length, day.snapshots, what);
      assert.deepEqual(ofDay.at(-1)?.takenAt, day.lastAt);
      assert.deepEqual(ofDay.at(-1)?.metrics, day.metrics);
      for (const s of ofDay) assert.ok(s.receivedAt >= s.takenAt && s.receivedAt <= NOW);
    }
  }
  const statuses = new Set(fleet.map((g) => g.instance.status));
  assert.deepEqual([...statuses].sort(), ["active", "pending", "revoked"]);
  const platforms = new Set(fleet.map((g) => g.instance.osArch));
  for (const p of ["linux/amd64", "linux/arm64", "darwin/arm64", "windows/amd64"]) {
    assert.ok(platforms.has(p), p);
  }
  const modes = new Set(fleet.map((g) => g.instance.deploymentMode));
  for (const m of ["docker", "kubernetes", "standalone"]) assert.ok(modes.has(m), m);
  const values = fleet.flatMap((g) => Object.entries(g.instance.metrics));
  assert.ok(values.some(([, v]) => typeof v === "number"));
  assert.ok(values.some(([, v]) => typeof v === "string"));
  assert.ok(values.some(([, v]) => typeof v === "boolean"));
  assert.ok(values.some(([key]) => key === "db.size_mb"));
});

Deno.test("demo fleet: metrics change from day to day", () => {
  const fleet = generateFleet({ ...SMALL, instances: 100 });
  const changing = fleet.filter((g) =>
    g.days.length > 5 &&
    new Set(g.days.map((d) => JSON.stringify(d.metrics))).size > g.days.length / 2
  );
  assert.ok(changing.length > 50, `${changing.length} of 100`);
});

Deno.test("demo fleet: each release is adopted along the days, never rolled back", () => {
  const options = { ...SMALL, days: 90, instances: 1_500 };
  const plan = planFleet(options);
  const fleet = generateFleet(options);
  for (const [appIndex, app] of plan.apps.entries()) {
    const ofApp = fleet.filter((g) => g.instance.appIndex === appIndex);
    const newest = app.versions.at(-1)!;
    const share = (day: number) => {
      const date = new Date(plan.firstDayMs + day * DAY_MS).toISOString().slice(0, 10);
      const rows = ofApp.flatMap((g) => g.days.filter((d) => d.day === date));
      return rows.filter((d) => d.appVersion === newest).length / rows.length;
    };
    const released = app.releaseDays.at(-1)!;
    assert.ok(released > 0 && released < options.days - 1, `${app.slug} ${released}`);
    assert.ok(share(released - 1) < share(options.days - 1), app.slug);
    // The previous release spreads along an S-curve: little at first, most later.
    const previous = app.versions.at(-2)!;
    const previousDay = app.releaseDays.at(-2)!;
    const reached = (day: number) => {
      const date = new Date(plan.firstDayMs + day * DAY_MS).toISOString().slice(0, 10);
      const rows = ofApp.flatMap((g) => g.days.filter((d) => d.day === date));
      const at = app.versions.indexOf(previous);
      return rows.filter((d) => app.versions.indexOf(d.appVersion) >= at).length / rows.length;
    };
    const early = reached(previousDay + 1);
    const later = reached(Math.min(previousDay + 30, options.days - 1));
    assert.ok(early < 0.5 && later > early + 0.3 && later > 0.6, `${app.slug}: ${early} ${later}`);
    for (const g of ofApp) {
      const order = g.days.map((d) => app.versions.indexOf(d.appVersion));
      assert.deepEqual(order, [...order].sort((a, b) => a - b), g.instance.instanceId);
    }
  }
});

Deno.test("demo fleet: instances join, stop reporting, and some come back", () => {
  const fleet = generateFleet(SMALL);
  const lastDay = NOW.toISOString().slice(0, 10);
  const firstDay = new Date(NOW.getTime() - 29 * DAY_MS).toISOString().slice(0, 10);
  const reporting = fleet.filter((g) => g.days.length > 0);
  const stopped = reporting.filter((g) => g.days.at(-1)!.day < lastDay);
  const joined = reporting.filter((g) => g.days[0]!.day > firstDay);
  const cameBack = reporting.filter((g) =>
    g.days.some((d, i) => i > 0 && Date.parse(d.day) - Date.parse(g.days[i - 1]!.day) > 3 * DAY_MS)
  );
  assert.ok(stopped.length > 50, `stopped: ${stopped.length}`);
  assert.ok(joined.length > 100, `joined: ${joined.length}`);
  assert.ok(cameBack.length > 5, `came back: ${cameBack.length}`);
});

Deno.test("seedDemo(): the stats read back the numbers of the generated fleet", async () => {
  await using store = await openTestDatabase();
  const options: DemoOptions = { apps: 2, instances: 120, days: 20, seed: 7, now: NOW };
  const report = await seedDemo(store.db, { ...options, rawRetentionDays: 14, activeDays: 7 });
  const plan = planFleet(options);
  const fleet = generateFleet(options);
  const ctx = { db: store.db, now: () => NOW, activeDays: 7 };
  const since = NOW.getTime() - 7 * DAY_MS;
  const active = (g: GeneratedInstance) =>
    g.instance.status === "active" && g.instance.lastSeen.getTime() >= since;
  const count = (status: string) => fleet.filter((g) => g.instance.status === status).length;

  assert.equal(report.instances, 120);
  assert.equal(report.days, fleet.reduce((n, g) => n + g.days.length, 0));
  assert.ok(report.snapshots > 0);
  assert.equal(report.rollupDays, 2 * 20, "every day of both applications rolled up");
  // Read back as the admin API writes them (server/http/admin_json.ts).
  assert.deepEqual(fleetJson(await fleetSummary(ctx)), {
    applications: 2,
    instances: {
      total: 120,
      active: fleet.filter(active).length,
      pending: count("pending"),
      revoked: count("revoked"),
    },
    active_window_days: 7,
    computed_at: NOW.toISOString(),
  });

  const overview = applicationsJson(await applicationsOverview(ctx));
  assert.deepEqual(
    overview.applications.map((a) => [a.slug, a.name, a.instances.total, a.instances.active]),
    plan.apps.map((app, k) => {
      const ofApp = fleet.filter((g) => g.instance.appIndex === k);
      return [app.slug, app.name, ofApp.length, ofApp.filter(active).length];
    }).sort((a, b) => String(a[0]) < String(b[0]) ? -1 : 1),
  );

  // Each instance's stored latest state is the generated one, its last day's.
  const listed = await instancePage(ctx, { limit: 200 });
  assert.equal(listed.kind, "page");
  if (listed.kind !== "page") return;
  const page = instancePageJson(listed);
  assert.equal(page.instances.length, 120);
  const stored = new Map(page.instances.map((i) => [i.instance_id, i]));
  for (const { instance } of fleet) {
    assert.deepEqual(stored.get(instance.instanceId), {
      instance_id: instance.instanceId,
      app_slug: plan.apps[instance.appIndex]!.slug,
      app_version: instance.appVersion,
      status: instance.status,
      environment: instance.environment,
      deployment_mode: instance.deploymentMode,
      os_arch: instance.osArch,
      first_seen: instance.firstSeen.toISOString(),
      last_seen: instance.lastSeen.toISOString(),
      last_snapshot_at: instance.lastSnapshotAt?.toISOString() ?? null,
      metrics: instance.metrics,
    });
  }

  for (const [k, app] of plan.apps.entries()) {
    const metrics = await dailyMetrics(ctx, app.slug, 20);
    assert.equal(metrics.kind, "found", app.slug);
    if (metrics.kind !== "found") return;
    const series = dailyMetricsJson(metrics).series;
    const rows = fleet.filter((g) => g.instance.appIndex === k).flatMap((g) => g.days);
    assert.equal(series.reduce((n, d) => n + d.active_instances, 0), rows.length);
    for (const day of series) {
      const ofDay = rows.filter((d) => d.day === day.day);
      assert.equal(day.active_instances, ofDay.length, `${app.slug} ${day.day}`);
      const sums: Record<string, { sum: number; instances: number }> = {};
      for (const row of ofDay) {
        for (const [key, value] of Object.entries(row.metrics)) {
          if (typeof value !== "number") continue;
          sums[key] ??= { sum: 0, instances: 0 };
          sums[key].sum += value;
          sums[key].instances++;
        }
      }
      assert.deepEqual(Object.keys(day.metrics).sort(), Object.keys(sums).sort());
      for (const [key, expected] of Object.entries(sums)) {
        const got = day.metrics[key]!;
        assert.equal(got.instances, expected.instances, key);
        assert.ok(Math.abs(got.sum - expected.sum) <= 1e-9 * Math.abs(expected.sum), key);
      }
    }
  }
});

Deno.test("seedDemo() with deferIndexes: the same rows and rollups, the history's indexes built again, refused over history", async () => {
  const options: DemoOptions = { apps: 2, instances: 150, days: 12, seed: 3, now: NOW };
  const seedOptions = { ...options, rawRetentionDays: 14, activeDays: 7 };
  const contents = async (db: Database) => ({
    days: await db.query(sql`
      select app_id, day::text, instance_id::text, app_version, environment, deployment_mode,
        os_arch, metrics::text, snapshots, last_at::text
      from instance_days order by app_id, day, instance_id`),
    rollups: await db.query(sql`
      select app_id, day::text, scope, active, reporting, new, returned, gone, snapshots
      from app_days order by app_id, day, scope`),
    shares: await db.query(sql`
      select app_id, day::text, scope, field, value, instances
      from app_day_shares order by app_id, day, scope, field, value`),
    indexes: await db.query(sql`
      select indexname, indexdef from pg_indexes
      where tablename = 'instance_days' order by indexname`),
  });
  const plain = await (async () => {
    await using store = await openTestDatabase();
    await seedDemo(store.db, seedOptions);
    return await contents(store.db);
  })();
  await using store = await openTestDatabase();
  const report = await seedDemo(store.db, { ...seedOptions, deferIndexes: true });
  const deferred = await contents(store.db);
  assert.equal(report.days, generateFleet(options).reduce((n, g) => n + g.days.length, 0));
  assert.ok(deferred.days.length > 500, `history rows: ${deferred.days.length}`);
  assert.deepEqual(deferred, plain);
  assert.deepEqual(deferred.indexes.map((row) => (row as { indexname: string }).indexname), [
    "instance_days_instance",
    "instance_days_pkey",
  ]);
  // A second seed over that history keeps the indexes and writes nothing.
  await assert.rejects(
    seedDemo(store.db, { ...seedOptions, seed: 4, deferIndexes: true }),
    /instance_days holds rows/,
  );
  assert.deepEqual(await contents(store.db), plain);
});

function runDemoCli(dataDir: string, args: string[]) {
  return runShm(["demo", ...args], { SHM_DATA_DIR: dataDir });
}

Deno.test("process: shm demo seeds an empty store once, then refuses without --force", async () => {
  const dir = await Deno.makeTempDir({ prefix: "shm-demo-" });
  try {
    // A store with no data, migrated as a server leaves it (seconds faster than a first start);
    // the demo on a folder never opened is the README's block, run by tests/readme_test.ts.
    await copyEmbeddedTemplate(`${dir}/data`);
    const bad = await runDemoCli(`${dir}/data`, ["--instances", "many"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stdout, /--instances must be a whole number .*"many"/);

    const first = await runDemoCli(`${dir}/data`, [
      "--instances",
      "40",
      "--days",
      "5",
      "--apps",
      "2",
    ]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /^demo: 2 applications, 40 instances, \d+ instance-days/m);
    assert.match(first.stderr, /seeding: 100% · 40 of 40 instances/);

    const again = await runDemoCli(`${dir}/data`, ["--instances", "40"]);
    assert.equal(again.code, 1);
    assert.equal(
      again.stdout.trim(),
      "shm: the store already holds 40 instances; shm demo --force adds the demo fleet to them",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("process: shm demo while a server runs on the embedded store says to stop the server first", async () => {
  await using folder = await freshEmbeddedFolder({ migrated: true });
  const dataDir = folder.setting.kind === "embedded" ? folder.setting.dataDir : "";
  await using _server = await startServer({ store: folder.setting });
  const run = await runDemoCli(dataDir, ["--instances", "10"]);
  assert.equal(run.code, 1, run.text);
  assert.equal(
    run.stdout.trim(),
    `shm: cannot fill the embedded store in ${dataDir} while another process (most likely ` +
      "the server: shm serve, deno task start) has it open: stop the server first and run the " +
      "demo again, or fill a PostgreSQL database with --database-url",
  );
});
