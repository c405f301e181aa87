/**
 * Badge benchmark: badges per second through the HTTP API of a real server
 * process on PostgreSQL, next to the healthcheck in the same run with the
 * same concurrency, against one application with a large fleet. The fleet is
 * loaded through the store's own write functions (`registerInstance`, then a
 * snapshot each through `SnapshotWriter`, which also makes them active), so
 * rows, indexes and statistics are what production has; the server's upkeep
 * then summarises it, and badges read the summary. Prints figures; asserts
 * nothing.
 *
 *   deno task bench:badges [--instances 20000] [--requests 4000] [--concurrency 16]
 */

import { parseArgs } from "node:util";
import { SnapshotWriter } from "../server/ingest/mod.ts";
import { openMigratedStore, registerInstance, type SnapshotOutcome } from "../server/store/mod.ts";
import { startServer, waitForRollup } from "../tests/support/server.ts";
import { freshPostgresDatabase } from "../tests/support/store.ts";
import { percentile, timed } from "./timing.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    instances: { type: "string", default: "20000" },
    requests: { type: "string", default: "4000" },
    concurrency: { type: "string", default: "16" },
  },
});
const INSTANCES = Number(values.instances);
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);

await using database = await freshPostgresDatabase();
if (database.setting.kind !== "postgres") throw new Error("the bench needs PostgreSQL");

// The fleet: one application, INSTANCES instances, each registered and with one snapshot
// (five metrics), seen within the last hour; a second, small application beside it.
const loadStarted = performance.now();
const { db } = await openMigratedStore(database.setting);
const now = new Date();
const writer = new SnapshotWriter(db, { maxBatch: 500, maxConcurrent: 4 });
const versions = ["1.0.0", "1.1.0", "1.2.0", "2.0.0"];
let loaded = 0;
const outcomes: Record<string, number> = {};
await timed(
  Array.from({ length: INSTANCES }, (_, i) => async () => {
    const instanceId = crypto.randomUUID();
    const appVersion = versions[i % versions.length] ?? "1.0.0";
    const small = i % 100 === 0;
    await registerInstance(db, {
      instanceId,
      publicKey: crypto.getRandomValues(new Uint8Array(32)),
      appSlug: small ? "small-app" : "bench-app",
      appName: small ? "Small App" : "Bench App",
      appVersion,
      environment: "production",
      deploymentMode: "docker",
      osArch: "linux/amd64",
    }, now);
    const outcome: SnapshotOutcome = await writer.write({
      instanceId,
      takenAt: new Date(now.getTime() - (i % 3600) * 1000).toISOString(),
      metrics: {
        users: i % 250,
        storage_mb: (i % 97) * 1.5,
        plan: "pro",
        "jobs.queued": 3,
        ok: true,
      },
      appVersion: null,
      metadata: { environment: null, deploymentMode: null, osArch: null },
    }, now);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    loaded++;
  }),
  32,
);
await db.query({ text: "analyze", params: [] });
await db.close();
const loadSeconds = (performance.now() - loadStarted) / 1000;

const badgePaths = [
  "/badge/bench-app/instances",
  "/badge/bench-app/version",
  "/badge/bench-app/metric/users",
  "/badge/bench-app/metric/storage_mb?agg=avg",
  "/badge/bench-app/combined?metric=users",
  "/badge/bench-app/instances.json",
];
let unexpected = 0;

/** Times the healthcheck and the badges on a server started with `env`; returns table rows. */
async function measure(env: Record<string, string>): Promise<string[][]> {
  // The server logs one line per request, as in production.
  await using server = await startServer({ store: database.setting, env });
  // Badges read the applications' summaries: wait for the upkeep's first round to write them.
  await waitForRollup(server);
  const get = (path: string) => async () => {
    const response = await fetch(`${server.url}${path}`);
    await response.body?.cancel();
    if (response.status !== 200) unexpected++;
  };
  // Warm both paths (connections, JIT) before measuring.
  await timed(Array.from({ length: 200 }, (_, i) => get(badgePaths[i % badgePaths.length]!)), 4);
  await timed(Array.from({ length: 200 }, () => get("/api/v1/healthcheck")), 4);
  const runs = [
    ["HTTP healthcheck (no DB)", Array.from({ length: REQUESTS }, () => "/api/v1/healthcheck")],
    [
      "badges, mixed",
      Array.from({ length: REQUESTS }, (_, i) => badgePaths[i % badgePaths.length]!),
    ],
    ...badgePaths.map((path) => [
      `  ${path.slice("/badge/bench-app/".length)}`,
      Array(Math.ceil(REQUESTS / 4)).fill(path),
    ]),
  ] as [string, string[]][];
  const rows: string[][] = [];
  for (const [label, paths] of runs) {
    const run = await timed(paths.map(get), CONCURRENCY);
    rows.push([
      label,
      (paths.length / (run.wallMs / 1000)).toFixed(0),
      percentile(run.latencies, 0.5).toFixed(2),
      percentile(run.latencies, 0.99).toFixed(2),
    ]);
  }
  return rows;
}

// Every badge read from the store (a cold badge), then with the default reuse of 60 s.
const header = ["request", "per second", "p50 ms", "p99 ms"];
const cold = await measure({ SHM_BADGE_CACHE_SECONDS: "0" });
const warm = await measure({});
const table = (rows: string[][]) =>
  [header, ...rows].map((r) => r.map((c, i) => i === 0 ? c.padEnd(34) : c.padStart(11)).join(""))
    .join("\n");

// deno-lint-ignore no-console
console.log(
  `\nfleet: ${loaded} instances loaded through registerInstance + SnapshotWriter in ` +
    `${loadSeconds.toFixed(1)} s (${JSON.stringify(outcomes)}); ` +
    `bench-app holds ${loaded - Math.ceil(loaded / 100)} of them\n` +
    `${REQUESTS} requests per run, concurrency ${CONCURRENCY}, PostgreSQL, ${Deno.build.target}\n\n` +
    `store read on every badge (SHM_BADGE_CACHE_SECONDS=0):\n${table(cold)}\n\n` +
    `default (SHM_BADGE_CACHE_SECONDS=60):\n${table(warm)}` +
    (unexpected ? `\nWARNING: ${unexpected} requests were not answered 200` : ""),
);
