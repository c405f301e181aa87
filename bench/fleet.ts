/**
 * Fleet-scale benchmark: a demo fleet of 100,000 instances × 90 days seeded
 * into its own PostgreSQL database (kept between runs and reused when it holds
 * the same fleet), a real server process on it, then every admin API
 * endpoint, every dashboard page, every badge and the public page requested `--runs` times one
 * after another (p50, p95, max, from the client on loopback), and live
 * ingestion measured at fleet size next to the same ingestion on an empty
 * database in the same run. Prints a table and the bytes stored per
 * instance-day; asserts nothing.
 *
 *   deno task bench:fleet [--instances 100000] [--days 90] [--apps 3] [--runs 50] [--reseed]
 *     [--database shm_bench_fleet] [--seed-only] [--round-only [--arrivals 0.04]]
 *
 * `--seed-only` seeds the database (or finds it seeded) and stops: a long seed
 * can run ahead of the measurement, which reuses it. `--round-only` times
 * upkeep rounds on it and stops: one round to catch up, then rounds after
 * `--arrivals` (a share of the fleet, each instance one new snapshot) have
 * arrived, each part of each round timed.
 */

import postgres from "postgres";
import { parseArgs } from "node:util";
import { seedDemo } from "../server/demo/seed_demo.ts";
import {
  type Database,
  insertSnapshotsIfNewer,
  openMigratedStore,
  sql,
} from "../server/store/mod.ts";
import { runRollupRound } from "../server/upkeep/mod.ts";
import { refreshPublicPages } from "../server/stats/mod.ts";
import { httpSender, TestInstance, type WireRequest } from "../tests/support/instance_client.ts";
import { startServer, type TestServer } from "../tests/support/server.ts";
import { freshPostgresDatabase, TEST_PG_ADMIN_URL } from "../tests/support/store.ts";
import { nextPageLink, signInBench } from "./dashboard_client.ts";
import { percentile, timed } from "./timing.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    instances: { type: "string", default: "100000" },
    days: { type: "string", default: "90" },
    apps: { type: "string", default: "3" },
    seed: { type: "string", default: "1" },
    runs: { type: "string", default: "50" },
    database: { type: "string", default: "shm_bench_fleet" },
    reseed: { type: "boolean", default: false },
    "seed-only": { type: "boolean", default: false },
    "round-only": { type: "boolean", default: false },
    arrivals: { type: "string", default: "0.04" },
    "live-snapshots": { type: "string", default: "3000" },
  },
});
const FLEET = {
  instances: Number(values.instances),
  days: Number(values.days),
  apps: Number(values.apps),
  seed: Number(values.seed),
};
const RUNS = Number(values.runs);
const LIVE_SNAPSHOTS = Number(values["live-snapshots"]);
const LIVE_INSTANCES = 200;
const CONCURRENCY = 16;
const USER = "bench";
const PASSWORD = "bench-password-1";
const ACTIVE_DAYS = 30;
const RAW_RETENTION_DAYS = 14;
/** k of the server, and of the public page figures the bench stores as the upkeep would. */
const MIN_INSTANCES = 3;
if (!/^[a-z_][a-z0-9_]*$/.test(values.database)) {
  throw new Error(`--database must be a plain PostgreSQL name: "${values.database}"`);
}

function log(line: string) {
  // deno-lint-ignore no-console
  console.log(line);
}

// ---------------------------------------------------------------- the fleet's database

const databaseUrl = new URL(TEST_PG_ADMIN_URL);
databaseUrl.pathname = `/${values.database}`;
const setting = { kind: "postgres" as const, url: databaseUrl.toString() };
const marker = JSON.stringify(FLEET);

/** Whether the database exists and holds the fleet asked for (recorded by an earlier run). */
async function holdsFleet(): Promise<boolean> {
  const admin = postgres(TEST_PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    const [found] = await admin`select 1 from pg_database where datname = ${values.database}`;
    if (found === undefined) return false;
  } finally {
    await admin.end();
  }
  const db = postgres(setting.url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await db`
      select fleet from bench_fleet where fleet = ${marker} and complete`.catch(() => []);
    return row !== undefined;
  } finally {
    await db.end();
  }
}

let seedSeconds: number | null = null;
if (values.reseed || !await holdsFleet()) {
  const admin = postgres(TEST_PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${values.database} with (force)`);
  await admin.unsafe(`create database ${values.database}`);
  await admin.end();
  log(`seeding ${marker} into ${values.database} …`);
  const started = performance.now();
  const { db } = await openMigratedStore(setting);
  let shown = "";
  try {
    await seedDemo(db, {
      ...FLEET,
      now: new Date(),
      rawRetentionDays: RAW_RETENTION_DAYS,
      activeDays: ACTIVE_DAYS,
      // The database is the bench's own and empty: the history's indexes are built after the load.
      deferIndexes: true,
      onProgress: (progress) => {
        const line = progress.stage === "history"
          ? `history ${Math.floor((progress.instancesDone / progress.instances) * 10) * 10}%`
          : `rollups ${Math.floor((progress.daysDone / progress.days) * 10) * 10}%`;
        if (line !== shown) {
          log(`  ${line} after ${((performance.now() - started) / 1000).toFixed(0)} s`);
        }
        shown = line;
      },
    });
  } finally {
    await db.close();
  }
  seedSeconds = (performance.now() - started) / 1000;
  const sql = postgres(setting.url, { max: 1, onnotice: () => {} });
  await sql`create table bench_fleet (fleet text not null, complete boolean not null)`;
  await sql`insert into bench_fleet values (${marker}, true)`;
  await sql.unsafe("vacuum analyze");
  await sql.end();
} else {
  log(`reusing ${values.database} (${marker}); --reseed seeds it again`);
}
if (values["round-only"]) {
  await timeRounds();
  Deno.exit(0);
}

if (values["seed-only"]) {
  log(
    seedSeconds === null
      ? "seeded before; nothing to do"
      : `seeded in ${seedSeconds.toFixed(0)} s (history and rollups, then vacuum analyze)`,
  );
  Deno.exit(0);
}

// The applications earlier runs' live ingestion made are removed, so that every run sees the fleet.
await (async () => {
  const sql = postgres(setting.url, { max: 1, onnotice: () => {} });
  try {
    await sql.begin(async (tx) => {
      const live = await tx<{ id: number }[]>`
        select id from applications where slug like 'bench-live-%'`;
      const ids = live.map((row) => row.id);
      for (
        const table of [
          "snapshots",
          "instance_days",
          "app_days",
          "app_day_shares",
          "app_day_metrics",
          "app_hours",
          "app_summaries",
          "rollup_stale",
          "instances",
        ]
      ) {
        await tx`delete from ${tx(table)} where app_id = any(${ids}::int[])`;
      }
      await tx`delete from applications where id = any(${ids}::int[])`;
    });
  } finally {
    await sql.end();
  }
})();

const sizes = await (async () => {
  const sql = postgres(setting.url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<
      { rows: number; bytes: number; rollupBytes: number; appDays: number; database: number }[]
    >`
      select (select count(*) from instance_days)::float8 as rows,
        pg_total_relation_size('instance_days')::float8 as bytes,
        (pg_total_relation_size('app_days') + pg_total_relation_size('app_day_shares')
          + pg_total_relation_size('app_day_metrics'))::float8 as "rollupBytes",
        (select count(*) from app_days)::float8 as "appDays",
        pg_database_size(current_database())::float8 as database`;
    return row!;
  } finally {
    await sql.end();
  }
})();

// ---------------------------------------------------------------- reads

const serverStarted = new Date();
const server = await startServer({
  store: setting,
  env: {
    SHM_ADMIN_USER: USER,
    SHM_ADMIN_PASSWORD: PASSWORD,
    SHM_ACTIVE_DAYS: String(ACTIVE_DAYS),
    SHM_RAW_RETENTION_DAYS: String(RAW_RETENTION_DAYS),
    // Every badge reads the store: the cold path is what is measured.
    SHM_BADGE_CACHE_SECONDS: "0",
    SHM_BADGE_MIN_INSTANCES: String(MIN_INSTANCES),
  },
});
await waitForRollupRound(server, serverStarted);
const client = await signInBench(server, { username: USER, password: PASSWORD });
const admin = client.adminHeaders;

const apps: { slug: string; instances: { active: number } }[] =
  JSON.parse(await client.getText("/api/v1/admin/applications", admin)).applications;
const slug = [...apps].sort((a, b) => b.instances.active - a.instances.active)[0]!.slug;
const metrics = JSON.parse(await client.getText(`/api/v1/admin/metrics/${slug}?days=2`, admin));
const metric = Object.keys(metrics.series.at(-1).metrics)[0] ?? "none";
const detail = JSON.parse(await client.getText(`/api/v1/admin/applications/${slug}`, admin));
// The most common version, so that the filtered list has a hundred pages and more.
const version: string | undefined = detail.active_instances_by.app_version[0]?.value;
const instancesHtml = await client.getText(`/apps/${slug}/instances`);
const instanceId = /href="\/instances\/([0-9a-f-]+)"/.exec(instancesHtml)?.[1];
if (version === undefined || instanceId === undefined) {
  throw new Error("the instances page shows no version choice or no instance link");
}
const filtered = `/apps/${slug}/instances?version=${encodeURIComponent(version)}`;
let page100: string | null = filtered;
for (let page = 1; page < 100 && page100 !== null; page++) {
  page100 = nextPageLink(await client.getText(page100));
}

// The public page on, showing the metric: it is public, so it is timed without a session.
const publicOn = await fetch(`${server.url}/api/v1/admin/applications/${slug}/settings`, {
  method: "PUT",
  headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
  body: JSON.stringify({ public_page: true, public_metrics: [metric] }),
});
if (publicOn.status !== 200) throw new Error(`cannot turn the public page on: ${publicOn.status}`);
await publicOn.body?.cancel();

const page = (label: string, path: string) => ({ label, path, headers: client.pageHeaders });
const api = (label: string, path: string) => ({ label, path, headers: admin });
const badge = (label: string, path: string) => ({ label, path, headers: {} });
const targets = [
  page("page /", "/"),
  ...["24h", "7d", "30d", "90d", "1y"].map((period) =>
    page(`page /apps/{slug}?period=${period}`, `/apps/${slug}?period=${period}`)
  ),
  page("page /apps/{slug}/instances", `/apps/${slug}/instances`),
  page("  …?version={v}", filtered),
  ...(page100 === null ? [] : [page("  …?version={v}, page 100", page100)]),
  page("page /instances/{id}", `/instances/${instanceId}`),
  page("page /apps/{slug}/settings", `/apps/${slug}/settings`),
  page("page /settings", "/settings"),
  api("API admin/stats", "/api/v1/admin/stats"),
  api("API admin/applications", "/api/v1/admin/applications"),
  api("API admin/applications/{slug}", `/api/v1/admin/applications/${slug}`),
  api("API admin/instances?app=", `/api/v1/admin/instances?app=${slug}`),
  api("API admin/metrics/{slug}?days=30", `/api/v1/admin/metrics/${slug}?days=30`),
  api("API admin/metrics/{slug}?days=366", `/api/v1/admin/metrics/${slug}?days=366`),
  badge("badge instances", `/badge/${slug}/instances`),
  badge("badge version", `/badge/${slug}/version`),
  badge("badge metric (sum)", `/badge/${slug}/metric/${metric}`),
  badge("badge metric (avg)", `/badge/${slug}/metric/${metric}?agg=avg`),
  badge("badge combined", `/badge/${slug}/combined?metric=${metric}`),
  badge("badge instances.json", `/badge/${slug}/instances.json`),
  // Just turned on: no stored figures yet, so each request computes them from the rollups.
  badge("public page /p/{slug}, from rollups", `/p/${slug}`),
  badge("public page .json, from rollups", `/p/${slug}.json`),
  // As after the server's next rollup round (stored here at once rather than waiting for it).
  { ...badge("public page /p/{slug}, stored", `/p/${slug}`), prepare: storePublicPages },
  badge("public page .json, stored", `/p/${slug}.json`),
];

/** Stores the public page figures as the upkeep does at the end of a round. */
async function storePublicPages(): Promise<void> {
  const { db } = await openMigratedStore(setting);
  try {
    await refreshPublicPages({ db, now: () => new Date(), minInstances: MIN_INSTANCES });
  } finally {
    await db.close();
  }
}

const rows: string[][] = [["request", "p50 ms", "p95 ms", "max ms", "KB"]];
for (const target of targets) {
  if ("prepare" in target) await target.prepare();
  // One untimed request first: the first query of a kind plans and warms caches.
  let bytes = (await client.getText(target.path, target.headers)).length;
  const run = await timed(
    Array.from({ length: RUNS }, () => async () => {
      bytes = (await client.getText(target.path, target.headers)).length;
    }),
    1,
  );
  rows.push([
    target.label,
    percentile(run.latencies, 0.5).toFixed(1),
    percentile(run.latencies, 0.95).toFixed(1),
    run.latencies.at(-1)!.toFixed(1),
    (bytes / 1024).toFixed(1),
  ]);
}

// ---------------------------------------------------------------- live ingestion

/** Signed snapshots per second into `target`, from fresh instances of a new application. */
async function ingestionRate(target: TestServer, readWhileSending: boolean) {
  const send = httpSender(target.url);
  const instances = await Promise.all(
    Array.from({ length: LIVE_INSTANCES }, () => TestInstance.create()),
  );
  const appName = `Bench Live ${crypto.randomUUID().slice(0, 8)}`;
  for (const instance of instances) {
    const response = await send(instance.registerRequest({ appName }));
    if (response.status !== 201) throw new Error(`register answered ${response.status}`);
  }
  const start = Date.now() - 60 * 60_000;
  const requests: WireRequest[] = [];
  for (let round = 0; requests.length < LIVE_SNAPSHOTS; round++) {
    for (const instance of instances) {
      if (requests.length >= LIVE_SNAPSHOTS) break;
      requests.push(
        await instance.snapshotRequest(
          { users: round, storage_mb: round * 1.5, plan: "pro", ok: true },
          { timestamp: new Date(start + round * 1000) },
        ),
      );
    }
  }
  let reading = readWhileSending;
  let reads = 0;
  const reader = (async () => {
    while (reading) {
      const target = targets[reads++ % targets.length]!;
      await client.getText(target.path, target.headers);
    }
  })();
  let failures = 0;
  const run = await timed(
    requests.map((request) => async () => {
      const response = await send(request);
      await response.body?.cancel();
      if (response.status !== 202) failures++;
    }),
    CONCURRENCY,
  );
  reading = false;
  await reader;
  if (failures > 0) throw new Error(`${failures} snapshots were refused`);
  return { perSecond: (requests.length / run.wallMs) * 1000, run, reads };
}

// The two servers take turns, twice each, so that a slow moment of the machine falls on both.
await using empty = await freshPostgresDatabase();
await using emptyServer = await startServer({ store: empty.setting });
const emptyRuns = [];
const fleetRuns = [];
for (let turn = 0; turn < 2; turn++) {
  emptyRuns.push(await ingestionRate(emptyServer, false));
  fleetRuns.push(await ingestionRate(server, false));
}
const atFleetReading = await ingestionRate(server, true);
await server[Symbol.asyncDispose]();
const emptyRate = merged(emptyRuns);
const atFleet = merged(fleetRuns);

/** Runs' rates averaged and their latencies pooled. */
function merged(runs: Awaited<ReturnType<typeof ingestionRate>>[]) {
  return {
    perSecond: runs.reduce((sum, r) => sum + r.perSecond, 0) / runs.length,
    run: {
      wallMs: runs.reduce((sum, r) => sum + r.run.wallMs, 0),
      latencies: runs.flatMap((r) => r.run.latencies).sort((a, b) => a - b),
    },
    reads: 0,
  };
}

// One upkeep round on the fleet, as the server runs it every so often: summaries, hours, days.
const round = await (async () => {
  const { db } = await openMigratedStore(setting);
  try {
    const started = performance.now();
    const report = await runRollupRound(db, { now: new Date(), windowDays: ACTIVE_DAYS });
    return { ms: performance.now() - started, report };
  } finally {
    await db.close();
  }
})();

// ---------------------------------------------------------------- report

const table = (cells: string[][], first: number) =>
  cells.map((r) => r.map((c, i) => i === 0 ? c.padEnd(first) : c.padStart(9)).join(""))
    .join("\n");
const rate = (label: string, r: Awaited<ReturnType<typeof ingestionRate>>) => [
  label,
  r.perSecond.toFixed(0),
  percentile(r.run.latencies, 0.5).toFixed(1),
  percentile(r.run.latencies, 0.95).toFixed(1),
];
const cpu = navigator.hardwareConcurrency;
log(
  `\nfleet: ${FLEET.instances.toLocaleString("en-US")} instances × ${FLEET.days} days in ` +
    `${FLEET.apps} applications, PostgreSQL, ${Deno.build.target}, ${cpu} CPUs` +
    (seedSeconds === null ? " (database reused)" : `, seeded in ${seedSeconds.toFixed(0)} s`) +
    `\n${RUNS} sequential runs per request; badges read the store on every request ` +
    `(SHM_BADGE_CACHE_SECONDS=0); largest application: ${slug}, metric: ${metric}\n\n` +
    table(rows, 40) + "\n\n" +
    table([
      ["live ingestion (16 clients)", "snap/s", "p50 ms", "p95 ms"],
      rate("empty database (2 runs)", emptyRate),
      rate("at fleet size (2 runs, between them)", atFleet),
      rate("at fleet size, pages read meanwhile", atFleetReading),
    ], 40) +
    `\n\nat fleet size / empty: ${(atFleet.perSecond / emptyRate.perSecond * 100).toFixed(0)} % ` +
    `(${atFleetReading.reads} page and badge reads during the last run)\n` +
    `one upkeep round at fleet size: ${
      (round.ms / 1000).toFixed(1)
    } s (${round.report.summaries} ` +
    `summaries, ${round.report.hoursCounted} app-hours, ${round.report.daysComputed} app-days)\n\n` +
    `instance_days: ${sizes.rows.toLocaleString("en-US")} rows, ` +
    `${(sizes.bytes / sizes.rows).toFixed(0)} bytes per instance-day (table, indexes, TOAST)\n` +
    `daily rollups: ${sizes.appDays.toLocaleString("en-US")} app-days, ` +
    `${(sizes.rollupBytes / 1024 / 1024).toFixed(1)} MB; database ` +
    `${(sizes.database / 1024 / 1024 / 1024).toFixed(2)} GB` +
    (page100 === null ? "\nWARNING: the filtered list has fewer than 100 pages" : ""),
);

/** Waits until the server's first rollup round has ended (its log says so, or the rows do). */
async function waitForRollupRound(target: TestServer, since: Date): Promise<void> {
  const sql = postgres(setting.url, { max: 1, onnotice: () => {} });
  try {
    for (let i = 0; i < 600; i++) {
      const [row] = await sql<{ done: boolean }[]>`
        select coalesce(max(computed_at) >= ${since}, false) as done from app_days`;
      if (row?.done) {
        // The round computes the applications one after another; give the last a moment.
        await new Promise((resolve) => setTimeout(resolve, 2000));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    throw new Error(`no rollup round within 10 minutes: ${JSON.stringify(target.lines.slice(-5))}`);
  } finally {
    await sql.end();
  }
}

/**
 * `--round-only`: upkeep rounds on the seeded fleet, each part timed: one to
 * catch up with the clock, then two, each after `--arrivals` of the fleet
 * sent one snapshot (written by ingestion's statement, in batches of 200).
 */
async function timeRounds(): Promise<void> {
  const { db } = await openMigratedStore(setting);
  try {
    const share = Number(values.arrivals);
    const round = async (label: string) => {
      const started = performance.now();
      const report = await runRollupRound(db, {
        now: new Date(),
        windowDays: ACTIVE_DAYS,
        publicPages: { minInstances: MIN_INSTANCES },
      });
      const part = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      log(
        `${label}: ${part(performance.now() - started)} (summaries ${part(report.ms.summaries)}, ` +
          `hours ${part(report.ms.hours)}, days ${part(report.ms.days)}, public pages ` +
          `${part(report.ms.publicPages)}; ${report.summaries} summaries, ` +
          `${report.hoursCounted} app-hours, ${report.daysComputed} app-days)`,
      );
    };
    await round("round 1 (catching up)");
    for (const n of [2, 3]) {
      const sent = await sendArrivals(db, Math.round(FLEET.instances * share));
      await round(`round ${n} (after ${sent.toLocaleString("en-US")} snapshots)`);
    }
  } finally {
    await db.close();
  }
}

/** Stores one snapshot now from each of `count` random instances of the fleet; returns how many. */
async function sendArrivals(db: Database, count: number): Promise<number> {
  const picked = await db.query<{ id: string; metrics: Record<string, string | number | boolean> }>(
    sql`select instance_id::text as id, metrics from instances
      where status = 'active' order by random() limit ${count}`,
  );
  let stored = 0;
  for (let i = 0; i < picked.length; i += 200) {
    const now = new Date();
    const batch = picked.slice(i, i + 200).map(({ id, metrics }) => ({
      record: {
        instanceId: id,
        takenAt: now.toISOString(),
        metrics: Object.fromEntries(
          Object.entries(metrics).map(([k, v]) => [k, typeof v === "number" ? v + 1 : v]),
        ),
        appVersion: null,
        metadata: { environment: null, deploymentMode: null, osArch: null },
      },
      now,
    }));
    stored += (await insertSnapshotsIfNewer(db, batch)).size;
  }
  return stored;
}
