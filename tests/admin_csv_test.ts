/** The admin API's CSV answers: `?format=csv` on the instance list and the daily metrics. */

import assert from "node:assert/strict";
import { sql } from "../server/store/mod.ts";
import { openTestApp, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import { TestInstance } from "./support/instance_client.ts";

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

async function csvGet(app: TestApp, path: string) {
  const response = await app.fetch(path, { headers: ADMIN });
  assert.equal(response.status, 200, path);
  assert.equal(response.headers.get("content-type"), "text/csv; charset=utf-8");
  const text = await response.text();
  assert.ok(text.endsWith("\r\n"), "every record ends with CRLF");
  return { disposition: response.headers.get("content-disposition"), text };
}

/** Splits CSV text that holds no quoted line break into records of raw fields. */
function records(text: string): string[] {
  return text.split("\r\n").slice(0, -1);
}

async function registered(app: TestApp, appName: string, metrics: Record<string, unknown>) {
  const instance = await TestInstance.create();
  const registration = await app.send(instance.registerRequest({ appName }));
  assert.equal(registration.status, 201);
  const snapshot = await app.send(
    await instance.snapshotRequest(metrics, { timestamp: app.clock.now() }),
  );
  assert.equal(snapshot.status, 202);
  return instance;
}

Deno.test("admin instances CSV: every instance across pages, the JSON's fields, formulas defused", async () => {
  await using app = await openTestApp();
  const hostile = await registered(app, "Csv App", { note: '=HYPERLINK("http://evil")', n: -3 });
  // More than one page of the JSON API (500), so the CSV has to follow the cursor; written in
  // one statement, as registering them one by one would take long.
  const more = await app.db.query<{ id: string }>(sql`
    insert into instances (instance_id, app_id, public_key, status, app_version, first_seen,
      last_seen)
    select gen_random_uuid(), i.app_id, i.public_key, 'pending', '0.9.0',
      i.first_seen - n * interval '1 second', i.first_seen - n * interval '1 second'
    from instances i, generate_series(1, 510) as n
    returning instance_id::text as id`);
  const ids = [hostile.instanceId, ...more.map((row) => row.id)];
  const { disposition, text } = await csvGet(app, "/api/v1/admin/instances?format=csv&app=csv-app");
  assert.equal(disposition, 'attachment; filename="instances-csv-app.csv"');
  const lines = records(text);
  assert.equal(
    lines[0],
    "instance_id,app_slug,app_version,status,environment,deployment_mode,os_arch,first_seen," +
      "last_seen,last_snapshot_at,metrics",
  );
  assert.equal(lines.length, 1 + ids.length);
  assert.deepEqual(new Set(lines.slice(1).map((l) => l.slice(0, 36))), new Set(ids));
  const row = lines.find((l) => l.startsWith(hostile.instanceId));
  assert.ok(row);
  assert.match(row, /,csv-app,1\.0\.0,active,production,standalone,linux\/amd64,/);
  // The metrics JSON is one quoted field; the hostile value stays text inside it.
  assert.ok(row.endsWith('"{""n"":-3,""note"":""=HYPERLINK(\\""http://evil\\"")""}"'), row);

  const limited = records((await csvGet(app, "/api/v1/admin/instances?format=csv&limit=7")).text);
  assert.equal(limited.length, 8, "limit caps the CSV when given");
});

Deno.test("admin instances CSV: a bad format, limit or status is a 400 before anything is read", async () => {
  await using app = await openTestApp();
  for (
    const query of [
      "format=xml",
      "format=CSV",
      "format=csv&limit=0",
      "format=csv&limit=abc",
      "format=csv&status=gone",
    ]
  ) {
    const response = await app.fetch(`/api/v1/admin/instances?${query}`, { headers: ADMIN });
    assert.equal(response.status, 400, query);
    assert.equal((await response.json()).error.code, "invalid_parameter", query);
  }
  const unknown = await app.fetch("/api/v1/admin/instances?format=csv&app=nope", {
    headers: ADMIN,
  });
  assert.equal(unknown.status, 404);
  const unauthenticated = await app.fetch("/api/v1/admin/instances?format=csv");
  assert.equal(unauthenticated.status, 401);
});

Deno.test("admin metrics CSV: one record per day and metric, the same figures as the JSON", async () => {
  await using app = await openTestApp();
  await registered(app, "Series", { users: 4, load: 0.5 });
  await registered(app, "Series", { users: 6 });
  await app.rollUp();
  const json = await (await app.fetch("/api/v1/admin/metrics/series?days=2", { headers: ADMIN }))
    .json();
  const { disposition, text } = await csvGet(app, "/api/v1/admin/metrics/series?days=2&format=csv");
  assert.equal(disposition, 'attachment; filename="metrics-series.csv"');
  const lines = records(text);
  assert.equal(lines[0], "day,active_instances,metric,instances,sum,avg,min,max,p50,p90,p99");
  const [yesterday, today] = json.series;
  assert.equal(lines[1], `${yesterday.day},0,,,,,,,,,`, "a day without metrics has one record");
  const users = today.metrics.users;
  assert.equal(
    lines.find((l) => l.startsWith(`${today.day},2,users,`)),
    [
      today.day,
      2,
      "users",
      users.instances,
      users.sum,
      users.avg,
      users.min,
      users.max,
      users.p50,
      users.p90,
      users.p99,
    ].join(","),
  );
  assert.equal(users.sum, 10);
  assert.ok(lines.some((l) => l.startsWith(`${today.day},2,load,1,0.5,`)));
  assert.equal(lines.length, 4);
});
