/** POST /v1/snapshot, rule by rule (protocol.md "POST /v1/snapshot"). */

import assert from "node:assert/strict";
import { sql } from "../server/store/mod.ts";
import { countRows, openTestApp, storedInstance, storeFingerprint } from "./support/app.ts";
import { TestInstance } from "./support/instance_client.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;

async function registered(app: Awaited<ReturnType<typeof openTestApp>>) {
  const instance = await TestInstance.create();
  assert.equal((await app.send(instance.registerRequest())).status, 201);
  return instance;
}

Deno.test("snapshot: a valid snapshot is answered 202 and stored as latest, history and raw", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const response = await app.send(
    await instance.snapshotRequest({ users: 12, plan: "pro", beta: true }, {
      timestamp: app.clock.now(),
    }),
  );
  assert.equal(response.status, 202);
  assert.deepEqual(await response.json(), { status: "ok", message: "Snapshot received" });
  const row = await storedInstance(app.db, instance.instanceId);
  assert.equal(row?.["status"], "active", "a pending instance that sends a snapshot is active");
  assert.deepEqual(row?.["metrics"], { users: 12, plan: "pro", beta: true });
  const [day] = await app.db.query<{ day: string; snapshots: number; metrics: unknown }>(
    sql`select day::text, snapshots, metrics from instance_days where instance_id = ${instance.instanceId}::uuid`,
  );
  assert.deepEqual(day, {
    day: "2026-11-25",
    snapshots: 1,
    metrics: { users: 12, plan: "pro", beta: true },
  });
  assert.equal(await countRows(app.db, "snapshots"), 1);
});

Deno.test("snapshot: a replayed, equal or older timestamp is a 409 and changes nothing", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const first = await instance.snapshotRequest({ n: 1 }, { timestamp: app.clock.now() });
  assert.equal((await app.send(first)).status, 202);
  const before = await storeFingerprint(app.db);
  const replay = await app.send(first);
  assert.equal(replay.status, 409);
  assert.equal((await replay.json()).error.code, "snapshot_not_newer");
  const same = await instance.snapshotRequest({ n: 2 }, { timestamp: app.clock.now() });
  assert.equal((await app.send(same)).status, 409);
  const older = await instance.snapshotRequest({ n: 3 }, {
    timestamp: new Date(app.clock.now().getTime() - 1),
  });
  assert.equal((await app.send(older)).status, 409);
  assert.deepEqual(await storeFingerprint(app.db), before);
});

Deno.test("snapshot: timestamps compare at microsecond precision and across offsets", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const send = async (timestamp: string) =>
    (await app.send(await instance.snapshotRequest({ n: 1 }, { timestamp }))).status;
  assert.equal(await send("2026-11-25T11:00:00.000001Z"), 202);
  assert.equal(await send("2026-11-25T11:00:00.000002Z"), 202);
  assert.equal(
    await send("2026-11-25T12:00:00.000002+01:00"),
    409,
    "the same instant, other offset",
  );
  assert.equal(await send("2026-11-25T07:00:00.5-04:30"), 202);
});

Deno.test("snapshot: the body's instance_id must be the signer's (403), nothing written", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const victim = await registered(app);
  const before = await storeFingerprint(app.db);
  const forged = await instance.signedRequest("/v1/snapshot", {
    instance_id: victim.instanceId,
    timestamp: app.clock.now().toISOString(),
    metrics: { users: 999 },
  });
  const response = await app.send(forged);
  assert.equal(response.status, 403);
  assert.equal((await response.json()).error.code, "instance_id_mismatch");
  assert.deepEqual(await storeFingerprint(app.db), before);
});

Deno.test("snapshot: the timestamp window is 5 minutes ahead and the backlog behind", async () => {
  await using app = await openTestApp({ settings: { SHM_SNAPSHOT_BACKLOG: "2d" } });
  const instance = await registered(app);
  const now = app.clock.now().getTime();
  const at = async (offsetMs: number) => {
    const request = await instance.snapshotRequest({ n: 1 }, {
      timestamp: new Date(now + offsetMs),
    });
    const response = await app.send(request);
    return { status: response.status, body: await response.json() };
  };
  const future = await at(5 * MINUTE + 1000);
  assert.equal(future.status, 400);
  assert.equal(future.body.error.code, "timestamp_out_of_window");
  assert.match(future.body.error.message, /in the future/);
  const old = await at(-2 * DAY - MINUTE);
  assert.equal(old.status, 400);
  assert.match(old.body.error.message, /in the past/);
  assert.equal(await countRows(app.db, "snapshots"), 0);
  assert.equal((await at(-2 * DAY + MINUTE)).status, 202, "inside the backlog");
  assert.equal((await at(4 * MINUTE)).status, 202, "a little ahead is clock skew");
});

Deno.test("snapshot: a malformed timestamp is a 400 naming the field", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  for (
    const timestamp of [
      "2026-11-25",
      "2026-11-25T12:00:00",
      "2026-02-30T12:00:00Z",
      "yesterday",
      "1764072000",
      "",
    ]
  ) {
    const response = await app.send(await instance.snapshotRequest({ n: 1 }, { timestamp }));
    assert.equal(response.status, 400, timestamp);
    assert.match((await response.json()).error.message, /"timestamp"/);
  }
  const missing = await instance.signedRequest("/v1/snapshot", {
    instance_id: instance.instanceId,
    metrics: {},
  });
  assert.equal((await app.send(missing)).status, 400);
  assert.equal(await countRows(app.db, "snapshots"), 0);
});

Deno.test("snapshot: nested metrics are flattened and unusable values dropped and listed", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const response = await app.send(
    await instance.snapshotRequest({
      db: { size_mb: 12.5, engine: { name: "pg" } },
      tags: ["a", "b"],
      motd: "x".repeat(257),
      "bad key!": 1,
      gone: null,
      ok: 1,
    }, { timestamp: app.clock.now() }),
  );
  assert.equal(response.status, 202);
  const body = await response.json();
  assert.equal(body.status, "ok");
  assert.equal(body.message, "Snapshot received");
  assert.deepEqual(body.dropped.map((d: string) => d.split(":")[0]), [
    "tags",
    "motd",
    "bad key!",
  ]);
  const row = await storedInstance(app.db, instance.instanceId);
  assert.deepEqual(row?.["metrics"], { "db.size_mb": 12.5, "db.engine.name": "pg", ok: 1 });
});

Deno.test("snapshot: a structure that breaks the rules is refused whole with 400", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const tooMany = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, i]));
  const cases: [unknown, string][] = [
    [[1, 2], "invalid_metrics"],
    ["text", "invalid_metrics"],
    [null, "invalid_metrics"],
    [undefined, "invalid_metrics"],
    [{ a: { b: { c: { d: { e: 1 } } } } }, "metrics_too_deep"],
    [tooMany, "too_many_metrics"],
  ];
  for (const [metrics, code] of cases) {
    const response = await app.send(
      await instance.snapshotRequest(metrics as Record<string, unknown>, {
        timestamp: app.clock.now(),
      }),
    );
    assert.equal(response.status, 400, code);
    assert.equal((await response.json()).error.code, code);
  }
  assert.equal(await countRows(app.db, "snapshots"), 0);
  const exactly256 = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`k${i}`, i]));
  const fits = await app.send(
    await instance.snapshotRequest(exactly256, { timestamp: app.clock.now() }),
  );
  assert.equal(fits.status, 202);
});

Deno.test("snapshot: signed metadata updates the instance (protocol extension)", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const response = await app.send(
    await instance.snapshotRequest({ n: 1 }, {
      timestamp: app.clock.now(),
      extra: { app_version: "1.1.0", environment: "staging", os_arch: "darwin/arm64" },
    }),
  );
  assert.equal(response.status, 202);
  const row = await storedInstance(app.db, instance.instanceId);
  assert.equal(row?.["app_version"], "1.1.0");
  assert.equal(row?.["environment"], "staging");
  assert.equal(row?.["os_arch"], "darwin/arm64");
  assert.equal(row?.["deployment_mode"], "standalone", "not sent: kept");
  const bad = await app.send(
    await instance.snapshotRequest({ n: 1 }, {
      timestamp: new Date(app.clock.now().getTime() + 1000),
      extra: { app_version: "v".repeat(51) },
    }),
  );
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error.message, /"app_version"/);
});

Deno.test("snapshot: one history row per instance per day keeps the day's last metrics", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const start = app.clock.now().getTime();
  const times = [start - DAY - 3 * 3600_000, start - 3600_000, start - 60_000];
  for (const [i, t] of times.entries()) {
    const response = await app.send(
      await instance.snapshotRequest({ n: i }, { timestamp: new Date(t) }),
    );
    assert.equal(response.status, 202);
  }
  const days = await app.db.query<{ day: string; snapshots: number; metrics: unknown }>(
    sql`select day::text, snapshots, metrics from instance_days
        where instance_id = ${instance.instanceId}::uuid order by day`,
  );
  assert.deepEqual(days, [
    { day: "2026-11-24", snapshots: 1, metrics: { n: 0 } },
    { day: "2026-11-25", snapshots: 2, metrics: { n: 2 } },
  ]);
  assert.equal(await countRows(app.db, "snapshots"), 3);
});

Deno.test("snapshot: two copies sent at once are stored exactly once", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const request = await instance.snapshotRequest({ n: 1 }, { timestamp: app.clock.now() });
  const statuses = (await Promise.all(Array.from({ length: 8 }, () => app.send(request))))
    .map((r) => r.status).sort();
  assert.deepEqual(statuses, [202, 409, 409, 409, 409, 409, 409, 409]);
  assert.equal(await countRows(app.db, "snapshots"), 1);
});

Deno.test("snapshot: a body over 64 KiB is a 413 and nothing is stored", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const big = {
    blob: "x".repeat(200),
    ...Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`k${i}`, "y".repeat(256)])),
  };
  const request = await instance.snapshotRequest(big, { timestamp: app.clock.now() });
  assert.ok(request.body.byteLength > 64 * 1024);
  const response = await app.send(request);
  assert.equal(response.status, 413);
  assert.equal((await response.json()).error.code, "body_too_large");
  assert.equal(await countRows(app.db, "snapshots"), 0);
});
