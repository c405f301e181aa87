/**
 * Ingestion benchmark: signed snapshots per second through the HTTP API of a
 * real server process on PostgreSQL, next to a raw single-row INSERT loop on
 * the same database in the same run, with the same concurrency. Prints both
 * and their ratio; asserts nothing.
 *
 *   deno task bench [--snapshots 6000] [--instances 300] [--concurrency 16]
 */

import postgres from "postgres";
import { parseArgs } from "node:util";
import { httpSender, TestInstance, type WireRequest } from "../tests/support/instance_client.ts";
import { startServer } from "../tests/support/server.ts";
import { freshPostgresDatabase } from "../tests/support/store.ts";
import { percentile, timed } from "./timing.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    snapshots: { type: "string", default: "6000" },
    instances: { type: "string", default: "300" },
    concurrency: { type: "string", default: "16" },
  },
});
const SNAPSHOTS = Number(values.snapshots);
const INSTANCES = Number(values.instances);
const CONCURRENCY = Number(values.concurrency);

await using database = await freshPostgresDatabase();
if (database.setting.kind !== "postgres") throw new Error("the bench needs PostgreSQL");
// The server logs one line per request, as in production.
await using server = await startServer({ store: database.setting });
const send = httpSender(server.url);

// Identities, registrations and signatures are made before the clock starts:
// the client's own signing is not what is measured.
const instances = await Promise.all(Array.from({ length: INSTANCES }, () => TestInstance.create()));
for (const instance of instances) {
  const response = await send(instance.registerRequest({ appName: "Bench App" }));
  if (response.status !== 201) throw new Error(`register answered ${response.status}`);
}
const perInstance = Math.ceil(SNAPSHOTS / INSTANCES);
const start = Date.now() - 60 * 60_000;
const requests: WireRequest[] = [];
for (let round = 0; round < perInstance; round++) {
  for (const instance of instances) {
    if (requests.length >= SNAPSHOTS) break;
    requests.push(
      await instance.snapshotRequest(
        { users: round, storage_mb: round * 1.5, plan: "pro", "jobs.queued": 3, ok: true },
        { timestamp: new Date(start + round * 1000) },
      ),
    );
  }
}
// Snapshots of one instance must arrive in order; spread instances over workers.
let failures = 0;
const http = await timed(
  requests.map((request) => async () => {
    const response = await send(request);
    await response.body?.cancel();
    if (response.status !== 202) failures++;
  }),
  CONCURRENCY,
);

// The ceiling HTTP itself sets on this machine: the same requests' count of healthchecks.
const health = await timed(
  requests.map(() => async () => {
    const response = await fetch(`${server.url}/api/v1/healthcheck`);
    await response.body?.cancel();
  }),
  CONCURRENCY,
);

const sql = postgres(database.setting.url, { max: CONCURRENCY, onnotice: () => {} });
await sql`create table bench_raw (instance_id uuid not null, taken_at timestamptz not null, metrics jsonb not null)`;
const metrics = JSON.stringify({
  users: 1,
  storage_mb: 1.5,
  plan: "pro",
  "jobs.queued": 3,
  ok: true,
});
const rawInserts = () =>
  requests.map((_, i) => async () => {
    await sql`insert into bench_raw (instance_id, taken_at, metrics)
      values (${instances[i % INSTANCES]!.instanceId}::uuid, ${new Date(
      start + i,
    )}, ${metrics}::jsonb)`;
  });
// The raw INSERT loop proper (one connection, one row after the other), and the same
// inserts with as many connections as the HTTP run has clients.
const rawLoop = await timed(rawInserts(), 1);
const raw = await timed(rawInserts(), CONCURRENCY);
await sql.end();

const rate = (run: { wallMs: number }) => requests.length / (run.wallMs / 1000);
const row = (label: string, run: { wallMs: number; latencies: number[] }) => [
  label,
  rate(run).toFixed(0),
  percentile(run.latencies, 0.5).toFixed(2),
  percentile(run.latencies, 0.99).toFixed(2),
];
const rows = [
  ["path", "per second", "p50 ms", "p99 ms"],
  row("HTTP signed snapshot", http),
  row("HTTP healthcheck (no DB)", health),
  row("raw INSERT loop (1 conn)", rawLoop),
  row(`raw INSERT (${CONCURRENCY} conns)`, raw),
];
// deno-lint-ignore no-console
console.log(
  `\n${requests.length} snapshots, ${INSTANCES} instances, concurrency ${CONCURRENCY}, ` +
    `PostgreSQL, ${Deno.build.target}\n\n` +
    rows.map((r) => r.map((c, i) => i === 0 ? c.padEnd(24) : c.padStart(11)).join("")).join("\n") +
    `\n\nHTTP ingestion / raw INSERT loop: ${(rate(http) / rate(rawLoop) * 100).toFixed(0)} %` +
    `\nHTTP ingestion / raw INSERT at the same concurrency: ${
      (rate(http) / rate(raw) * 100).toFixed(0)
    } %` +
    (failures ? `\nWARNING: ${failures} snapshots were not answered 202` : ""),
);
