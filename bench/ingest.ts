/**
 * Ingestion benchmark, in the shape of issue 16, in one run: signed snapshots
 * per second through the HTTP API of a real server process on PostgreSQL
 * (2,000 registered instances, 64 keep-alive connections, pre-signed
 * snapshots with 5 metrics), next to the raw insert rate of the same
 * database (`pgbench -c16`, single-row INSERT into a (uuid, timestamptz,
 * jsonb) table), then the same signed load on the embedded store. Prints the
 * rates, p99, non-2xx answers and the ratio; asserts nothing.
 *
 *   deno task bench [--snapshots 20000] [--instances 2000] [--connections 64]
 *     [--pgbench-clients 16] [--pgbench-seconds 10] [--embedded-snapshots 6000]
 *     [--workers N] [--profile DIR] [--skip-embedded] [--why-unavailable]
 *
 * `--why-unavailable` runs the server's log at `debug`, where each 503 for a
 * database that was unavailable or slow says why, and prints those causes
 * with the warnings (the extra log lines cost the server some CPU).
 */

import postgres from "postgres";
import { parseArgs } from "node:util";
import process from "node:process";
import { httpSender, TestInstance } from "../tests/support/instance_client.ts";
import { startServer } from "../tests/support/server.ts";
import type { StoreSetting } from "../server/config.ts";
import { freshEmbeddedFolder, freshPostgresDatabase } from "../tests/support/store.ts";
import {
  type EncodedRequest,
  encodePost,
  type LoadRun,
  longestSilences,
  runLoad,
} from "./http_load.ts";
import { percentile, timed } from "./timing.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    snapshots: { type: "string", default: "20000" },
    instances: { type: "string", default: "2000" },
    connections: { type: "string", default: "64" },
    "pgbench-clients": { type: "string", default: "16" },
    "pgbench-seconds": { type: "string", default: "10" },
    "embedded-snapshots": { type: "string", default: "6000" },
    workers: { type: "string" },
    profile: { type: "string" },
    "skip-embedded": { type: "boolean", default: false },
    "why-unavailable": { type: "boolean", default: false },
  },
});
const SNAPSHOTS = Number(values.snapshots);
const INSTANCES = Number(values.instances);
const CONNECTIONS = Number(values.connections);
const PGBENCH_CLIENTS = Number(values["pgbench-clients"]);
const PGBENCH = "/usr/lib/postgresql/15/bin/pgbench";
const METRICS = { users: 1, storage_mb: 1.5, plan: "pro", "jobs.queued": 3, ok: true };

/** A signed load's figures, with the CPU each side used per snapshot (µs) where `/proc` tells it. */
interface SignedRun extends LoadRun {
  readonly cpuUsPerSnapshot: number | null;
  readonly databaseCpuUsPerSnapshot: number | null;
  readonly clientCpuUsPerSnapshot: number;
  /** The server's warnings and errors logged during the load, each with how often. */
  readonly serverWarnings: readonly string[];
  /** Snapshots per committed transaction of the database during the load (the batches' size). */
  readonly snapshotsPerCommit: number | null;
  /** Share of the machine's CPU time left idle during the load (0–1). */
  readonly machineIdle: number | null;
}

/** A signed load on a fresh server of `store`: registrations first, then the timed snapshots. */
async function signedLoad(
  store: StoreSetting,
  snapshots: number,
): Promise<SignedRun> {
  // The server's defaults where the test support sets its own: a loop per core, not one, and
  // the upkeep's pacing (rounds at most every 15 s, not every second: the tests' 1 s has
  // PostgreSQL recompute the day's rollups under the load many times a minute). The tests'
  // longer query timeout stays, so that a busy machine slows the bench rather than failing it.
  const env: Record<string, string> = {
    SHM_WORKERS: values.workers ?? "cores",
    SHM_ROLLUP_INTERVAL: "5m",
    ...(values["why-unavailable"] ? { SHM_LOG_LEVEL: "debug" } : {}),
  };
  // The server logs one line per request, as in production.
  await using server = await startServer({
    store,
    env,
    ...(values.profile === undefined
      ? {}
      : { denoFlags: ["--cpu-prof", `--cpu-prof-dir=${values.profile}`] }),
  });
  const send = httpSender(server.url);
  // Identities, registrations and signatures are made before the clock starts:
  // the client's own signing is not what is measured.
  const instances = await Promise.all(
    Array.from({ length: INSTANCES }, () => TestInstance.create()),
  );
  await timed(
    instances.map((instance) => async () => {
      const response = await send(instance.registerRequest({ appName: "Bench App" }));
      await response.body?.cancel();
      if (response.status !== 201) throw new Error(`register answered ${response.status}`);
    }),
    16,
  );
  const start = Date.now() - 60 * 60_000;
  const host = `127.0.0.1:${server.port}`;
  const requests: EncodedRequest[] = [];
  // Round after round over every instance: an instance's snapshots go in order, thousands of
  // requests apart, so that however the connections are spread none overtakes its predecessor.
  for (let round = 0; requests.length < snapshots; round++) {
    for (const instance of instances) {
      if (requests.length >= snapshots) break;
      const wire = await instance.snapshotRequest(
        { ...METRICS, users: round },
        { timestamp: new Date(start + round * 1000) },
      );
      requests.push(encodePost(host, wire.path, wire.headers, wire.body));
    }
  }
  const cpuBefore = await processCpuMs(server.pid);
  const machineBefore = await machineCpu();
  const databaseBefore = store.kind === "postgres"
    ? await postgresCpuMs(databaseName(store.url))
    : null;
  const commitsBefore = await databaseCommits(store);
  const linesBefore = server.lines.length;
  const clientBefore = process.cpuUsage();
  const run = await runLoad({ hostname: "127.0.0.1", port: server.port }, requests, CONNECTIONS);
  const client = process.cpuUsage(clientBefore);
  const serverWarnings = new Map<string, number>();
  for (const line of server.lines.slice(linesBefore)) {
    const unavailable = line["level"] === "debug" && line["msg"] === "store unavailable";
    if (line["level"] !== "warn" && line["level"] !== "error" && !unavailable) continue;
    const what = String(line["msg"]) +
      (line["error"] === undefined ? "" : `: ${String(line["error"])}`);
    serverWarnings.set(what.slice(0, 300), (serverWarnings.get(what.slice(0, 300)) ?? 0) + 1);
  }
  const commitsAfter = await databaseCommits(store);
  const databaseAfter = store.kind === "postgres"
    ? await postgresCpuMs(databaseName(store.url))
    : null;
  const machineAfter = await machineCpu();
  const cpuAfter = await processCpuMs(server.pid);
  const perSnapshot = (ms: number | null) => ms === null ? null : ms * 1000 / requests.length;
  return {
    ...run,
    cpuUsPerSnapshot: perSnapshot(
      cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
    ),
    databaseCpuUsPerSnapshot: perSnapshot(
      databaseBefore === null || databaseAfter === null ? null : databaseAfter - databaseBefore,
    ),
    clientCpuUsPerSnapshot: (client.user + client.system) / requests.length,
    serverWarnings: [...serverWarnings].map(([what, count]) => `${count} × ${what}`),
    snapshotsPerCommit: commitsBefore === null || commitsAfter === null
      ? null
      : requests.length / Math.max(1, commitsAfter - commitsBefore),
    machineIdle: machineBefore === null || machineAfter === null
      ? null
      : (machineAfter.idle - machineBefore.idle) / (machineAfter.total - machineBefore.total),
  };
}

/**
 * CPU time of the PostgreSQL backends connected to `database` (their process
 * title names it), from `/proc`: the statements' work, not the WAL writer's or
 * the checkpointer's, which the machine's other databases share.
 */
async function postgresCpuMs(database: string): Promise<number | null> {
  try {
    let total = 0;
    for await (const entry of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const title = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
      if (!title.startsWith("postgres: ") || !title.includes(` ${database} `)) continue;
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => null);
      if (stat === null) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(fields[11]) + Number(fields[12])) * 10;
    }
    return total;
  } catch {
    return null;
  }
}

/** Transactions committed so far in the database of a PostgreSQL `store` (null for another store). */
async function databaseCommits(store: StoreSetting): Promise<number | null> {
  if (store.kind !== "postgres") return null;
  const sql = postgres(store.url, { max: 1, onnotice: () => {} });
  try {
    // The statistics are read in a snapshot of their own: clear it so the figure is current.
    await sql`select pg_stat_clear_snapshot()`;
    const [row] = await sql<{ commits: string }[]>`
      select xact_commit::text as commits from pg_stat_database where datname = current_database()`;
    return row === undefined ? null : Number(row.commits);
  } finally {
    await sql.end();
  }
}

/** The database a PostgreSQL URL names. */
function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** The machine's CPU time so far, in all and idle (clock ticks, from `/proc/stat`). */
async function machineCpu(): Promise<{ total: number; idle: number } | null> {
  try {
    const line = (await Deno.readTextFile("/proc/stat")).split("\n")[0] ?? "";
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are the idle time.
    return {
      total: ticks.slice(0, 8).reduce((sum, n) => sum + n, 0),
      idle: (ticks[3] ?? 0) + (ticks[4] ?? 0),
    };
  } catch {
    return null;
  }
}

/** CPU time (user and system, every thread) a process used so far, where /proc tells it. */
async function processCpuMs(pid: number): Promise<number | null> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime, fields 14 and 15 of the line, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Single-row INSERTs per second by pgbench (or postgres.js when pgbench is missing). */
async function rawInsertRate(url: string): Promise<{ rate: number; tool: string }> {
  const sql = postgres(url, { max: PGBENCH_CLIENTS, onnotice: () => {} });
  await sql`create table bench_raw (instance_id uuid not null, taken_at timestamptz not null,
    metrics jsonb not null)`;
  const metrics = JSON.stringify(METRICS);
  try {
    if (await Deno.stat(PGBENCH).then(() => true, () => false)) {
      await sql.end();
      const script = await Deno.makeTempFile({ suffix: ".sql" });
      await Deno.writeTextFile(
        script,
        `insert into bench_raw (instance_id, taken_at, metrics) ` +
          `values (gen_random_uuid(), now(), '${metrics}'::jsonb);\n`,
      );
      const output = await new Deno.Command(PGBENCH, {
        args: [
          "-n",
          `-c${PGBENCH_CLIENTS}`,
          "-j2",
          `-T${values["pgbench-seconds"]}`,
          `-f${script}`,
          url,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      await Deno.remove(script);
      const text = new TextDecoder().decode(output.stdout);
      const tps = /tps = ([\d.]+)/.exec(text);
      if (!output.success || tps === null) {
        throw new Error(`pgbench failed:\n${text}${new TextDecoder().decode(output.stderr)}`);
      }
      return { rate: Number(tps[1]), tool: `pgbench -c${PGBENCH_CLIENTS}` };
    }
    const count = 20_000;
    const run = await timed(
      Array.from({ length: count }, () => async () => {
        await sql`insert into bench_raw (instance_id, taken_at, metrics)
          values (${crypto.randomUUID()}::uuid, now(), ${metrics}::jsonb)`;
      }),
      PGBENCH_CLIENTS,
    );
    await sql.end();
    return {
      rate: count / (run.wallMs / 1000),
      tool: `postgres.js loop, ${PGBENCH_CLIENTS} connections (no pgbench at ${PGBENCH})`,
    };
  } catch (error) {
    await sql.end().catch(() => {});
    throw error;
  }
}

function describe(label: string, run: SignedRun): string {
  const count = run.latencies.length;
  const non2xx = [...run.statuses].filter(([status]) => status < 200 || status > 299);
  return `${label.padEnd(28)}${(count / (run.wallMs / 1000)).toFixed(0).padStart(8)}/s` +
    `   p50 ${percentile(run.latencies, 0.5).toFixed(1)} ms` +
    `   p90 ${percentile(run.latencies, 0.9).toFixed(1)} ms` +
    `   p99 ${percentile(run.latencies, 0.99).toFixed(1)} ms` +
    `   max ${run.latencies.at(-1)?.toFixed(0)} ms` +
    `   non-2xx ${non2xx.reduce((sum, [, n]) => sum + n, 0)}` +
    (non2xx.length > 0 ? ` (${non2xx.map(([s, n]) => `${s}: ${n}`).join(", ")})` : "") +
    (run.cpuUsPerSnapshot === null
      ? ""
      : `   server CPU ${run.cpuUsPerSnapshot.toFixed(0)} µs/snapshot`) +
    (run.databaseCpuUsPerSnapshot === null
      ? ""
      : `\n${"".padEnd(28)}PostgreSQL backends' CPU ${
        run.databaseCpuUsPerSnapshot.toFixed(0)
      } µs/snapshot`) +
    `   client CPU ${run.clientCpuUsPerSnapshot.toFixed(0)} µs/snapshot` +
    (run.snapshotsPerCommit === null
      ? ""
      : `   ${run.snapshotsPerCommit.toFixed(1)} snapshots/commit`) +
    (run.machineIdle === null ? "" : `   machine idle ${(run.machineIdle * 100).toFixed(0)} %`) +
    `   load ${Deno.loadavg()[0]?.toFixed(1)}` +
    `\n${"".padEnd(28)}longest silences ${
      longestSilences(run, 5).map((ms) => ms.toFixed(0)).join(", ")
    } ms` +
    run.serverWarnings.map((line) => `\n${"".padEnd(28)}server logged ${line}`).join("");
}

const rate = (run: LoadRun) => run.latencies.length / (run.wallMs / 1000);

await using database = await freshPostgresDatabase();
if (database.setting.kind !== "postgres") throw new Error("the bench needs PostgreSQL");
const signed = await signedLoad(database.setting, SNAPSHOTS);
const raw = await rawInsertRate(database.setting.url);
let embedded: Awaited<ReturnType<typeof signedLoad>> | null = null;
if (!values["skip-embedded"]) {
  await using folder = await freshEmbeddedFolder();
  embedded = await signedLoad(folder.setting, Number(values["embedded-snapshots"]));
}

// deno-lint-ignore no-console
console.log(
  `\n${SNAPSHOTS} signed snapshots (5 metrics), ${INSTANCES} instances, ${CONNECTIONS} ` +
    `connections, workers ${values.workers ?? "default"}, ${Deno.build.target}, ` +
    `${navigator.hardwareConcurrency} cores\n\n` +
    describe("signed snapshots, PostgreSQL", signed) + "\n" +
    (embedded === null ? "" : describe("signed snapshots, embedded", embedded) + "\n") +
    `${"raw INSERT".padEnd(28)}${raw.rate.toFixed(0).padStart(8)}/s   (${raw.tool})\n\n` +
    `signed snapshots / raw INSERT: ${(rate(signed) / raw.rate * 100).toFixed(1)} %`,
);
