/**
 * Dashboard page benchmark: the demo fleet (the sizes `shm demo` uses by
 * default) seeded into a fresh store, a real server process on it, a signed-in
 * session, then each page and admin API endpoint requested one after another
 * and timed from the client on loopback (p50, p95, max). Ends with the
 * JavaScript and CSS the pages load, raw and gzipped. Prints; asserts nothing.
 *
 *   deno task bench:pages [--instances 1500] [--runs 50] [--store postgres|embedded]
 */

import { parseArgs } from "node:util";
import { seedDemo } from "../server/demo/seed_demo.ts";
import type { StoreSetting } from "../server/config.ts";
import { openMigratedStore } from "../server/store/mod.ts";
import { startServer } from "../tests/support/server.ts";
import {
  type DisposableSetting,
  freshEmbeddedFolder,
  freshPostgresDatabase,
} from "../tests/support/store.ts";
import { nextPageLink, signInBench, unescapeHtml } from "./dashboard_client.ts";
import { percentile, timed } from "./timing.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    // The defaults of `shm demo` (server/cli/demo_command.ts) and of SHM_RAW_RETENTION_DAYS.
    instances: { type: "string", default: "1500" },
    days: { type: "string", default: "90" },
    apps: { type: "string", default: "3" },
    seed: { type: "string", default: "1" },
    runs: { type: "string", default: "50" },
    store: { type: "string", default: "postgres" },
  },
});
const INSTANCES = Number(values.instances);
const RUNS = Number(values.runs);
const RAW_RETENTION_DAYS = 14;
if (values.store !== "postgres" && values.store !== "embedded") {
  throw new Error(`--store must be postgres or embedded: "${values.store}"`);
}

await using fresh: DisposableSetting = values.store === "postgres"
  ? await freshPostgresDatabase()
  : await freshEmbeddedFolder();
const setting: StoreSetting = fresh.setting;

const seedStarted = performance.now();
const { db } = await openMigratedStore(setting);
let report;
try {
  report = await seedDemo(db, {
    instances: INSTANCES,
    days: Number(values.days),
    apps: Number(values.apps),
    seed: Number(values.seed),
    now: new Date(),
    rawRetentionDays: RAW_RETENTION_DAYS,
    activeDays: 30,
  });
} finally {
  await db.close();
}
const seedSeconds = (performance.now() - seedStarted) / 1000;

const USER = "bench";
const PASSWORD = "bench-password-1";
// The server logs one line per request, as in production.
await using server = await startServer({
  store: setting,
  env: {
    SHM_ADMIN_USER: USER,
    SHM_ADMIN_PASSWORD: PASSWORD,
    SHM_RAW_RETENTION_DAYS: String(RAW_RETENTION_DAYS),
  },
});

const client = await signInBench(server, { username: USER, password: PASSWORD });
const { pageHeaders, adminHeaders } = client;
const getText = (path: string, headers: Record<string, string>) => client.getText(path, headers);

// What to ask for: the first application, one of its versions, one instance, page 10's link.
const apps = JSON.parse(await getText("/api/v1/admin/applications", adminHeaders));
const appList: { slug: string }[] = Array.isArray(apps) ? apps : apps.applications;
const slug = appList[0]!.slug;
const instancesHtml = await getText(`/apps/${slug}/instances`, pageHeaders);
const version = /<select name="version">[\s\S]*?<option value="([^"]+)"/.exec(instancesHtml)?.[1];
const instanceId = /href="\/instances\/([0-9a-f-]+)"/.exec(instancesHtml)?.[1];
if (version === undefined || instanceId === undefined) {
  throw new Error("the instances page shows no version choice or no instance link");
}
let page10: string | null = `/apps/${slug}/instances`;
for (let page = 1; page < 10 && page10 !== null; page++) {
  page10 = nextPageLink(await getText(page10, pageHeaders));
}

const targets: { label: string; path: string; headers: Record<string, string> }[] = [
  { label: "/", path: "/", headers: pageHeaders },
  ...["24h", "7d", "30d", "90d", "1y"].map((period) => ({
    label: `/apps/{slug}?period=${period}`,
    path: `/apps/${slug}?period=${period}`,
    headers: pageHeaders,
  })),
  { label: "/apps/{slug}/instances", path: `/apps/${slug}/instances`, headers: pageHeaders },
  {
    label: "  …?version={v}",
    path: `/apps/${slug}/instances?version=${encodeURIComponent(version)}`,
    headers: pageHeaders,
  },
  ...(page10 === null
    ? []
    : [{ label: "  …page 10 (cursor)", path: page10, headers: pageHeaders }]),
  { label: "/instances/{id}", path: `/instances/${instanceId}`, headers: pageHeaders },
  { label: "/settings", path: "/settings", headers: pageHeaders },
  { label: "API admin/stats", path: "/api/v1/admin/stats", headers: adminHeaders },
  { label: "API admin/applications", path: "/api/v1/admin/applications", headers: adminHeaders },
  {
    label: "API admin/applications/{slug}",
    path: `/api/v1/admin/applications/${slug}`,
    headers: adminHeaders,
  },
  {
    label: "API admin/instances?app=",
    path: `/api/v1/admin/instances?app=${slug}`,
    headers: adminHeaders,
  },
  {
    label: "API admin/metrics/{slug}?days=90",
    path: `/api/v1/admin/metrics/${slug}?days=90`,
    headers: adminHeaders,
  },
];

const rows: string[][] = [["request", "p50 ms", "p95 ms", "max ms", "KB"]];
for (const target of targets) {
  let bytes = 0;
  // One untimed request first: the first query of a kind plans and warms caches.
  bytes = (await getText(target.path, target.headers)).length;
  const run = await timed(
    Array.from({ length: RUNS }, () => async () => {
      bytes = (await getText(target.path, target.headers)).length;
    }),
    1,
  );
  rows.push([
    target.label,
    percentile(run.latencies, 0.5).toFixed(1),
    percentile(run.latencies, 0.95).toFixed(1),
    run.latencies[run.latencies.length - 1]!.toFixed(1),
    (bytes / 1024).toFixed(1),
  ]);
}

// The scripts and stylesheets the pages link to, as the browser would fetch them.
const assetPaths = new Set<string>();
for (const path of ["/", `/apps/${slug}`, `/apps/${slug}/instances`, "/settings"]) {
  const html = await getText(path, pageHeaders);
  for (const match of html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="(\/[^"]+)"/g)) {
    const url = unescapeHtml(match[1]!);
    if (/\.(js|css)(\?|$)/.test(url)) assetPaths.add(url);
  }
}
async function gzippedSize(bytes: Uint8Array<ArrayBuffer>): Promise<number> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}
const assetRows: string[][] = [["asset", "raw KB", "gzip KB"]];
let raw = 0;
let gzipped = 0;
for (const path of [...assetPaths].sort()) {
  const response = await fetch(`${server.url}${path}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
  const gz = await gzippedSize(bytes);
  raw += bytes.byteLength;
  gzipped += gz;
  assetRows.push([path, (bytes.byteLength / 1024).toFixed(1), (gz / 1024).toFixed(1)]);
}
assetRows.push(["total", (raw / 1024).toFixed(1), (gzipped / 1024).toFixed(1)]);

const table = (cells: string[][], first: number) =>
  cells.map((r) => r.map((c, i) => i === 0 ? c.padEnd(first) : c.padStart(9)).join("")).join(
    "\n",
  );
// deno-lint-ignore no-console
console.log(
  `\n${report.applications} applications, ${report.instances} instances, ${report.days} ` +
    `instance-days, ${report.snapshots} raw snapshots on ${setting.kind} (seeded in ` +
    `${seedSeconds.toFixed(1)} s), ${RUNS} sequential runs each, ${Deno.build.target}\n\n` +
    table(rows, 34) + "\n\n" + table(assetRows, 34) +
    (page10 === null ? "\n\nWARNING: fewer than 10 instance pages; page 10 not timed" : ""),
);
