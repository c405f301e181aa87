/**
 * Retention (issue #13) with the fake clock: per-day history older than
 * SHM_HISTORY_RETENTION_DAYS and instances not seen for
 * SHM_INSTANCE_RETENTION_DAYS are removed by the upkeep in bounded batches;
 * the rollups of removed days stay, and nothing gone is marked stale.
 */

import assert from "node:assert/strict";
import { sql } from "../server/store/mod.ts";
import { enforceRetention } from "../server/upkeep/mod.ts";
import { countRows, openTestApp, storedInstance, type TestApp } from "./support/app.ts";
import { feedInstance } from "./support/dashboard.ts";
import type { TestInstance } from "./support/instance_client.ts";

const DAY = 86_400_000;

async function snapshot(app: TestApp, instance: TestInstance) {
  app.clock.advance(1000);
  const response = await app.send(
    await instance.snapshotRequest({ users: 1 }, { timestamp: app.clock.now() }),
  );
  assert.equal(response.status, 202);
}

async function days(app: TestApp, table: "instance_days" | "rollup_stale" | "app_days") {
  const rows = await app.db.query<{ day: string }>({
    text: `select day::text as day from ${table} order by day`,
    params: [],
  });
  return rows.map((row) => row.day);
}

Deno.test("retention: history older than the window goes, the rollups of its days stay, nothing gone is marked stale", async () => {
  await using app = await openTestApp();
  const instance = await feedInstance(app, { appName: "Kept App", version: "1.0.0" });
  for (let i = 0; i < 4; i++) {
    app.clock.advance(DAY);
    await snapshot(app, instance);
  }
  await app.rollUp();
  assert.deepEqual(await days(app, "instance_days"), [
    "2026-11-25",
    "2026-11-26",
    "2026-11-27",
    "2026-11-28",
    "2026-11-29",
  ]);
  const rollupsBefore = await days(app, "app_days");
  // A stale mark on a day that is about to go must go with it.
  await app.db.query(sql`
    insert into rollup_stale (app_id, day) select app_id, day from instance_days
    where day in ('2026-11-25', '2026-11-28')`);
  // Today is 2026-11-29: two days kept before it.
  const report = await enforceRetention(app.db, {
    now: app.clock.now(),
    historyDays: 2,
    instanceDays: 400,
    batchSize: 1,
  });
  assert.deepEqual(report, { ran: true, instancesRemoved: 0, historyRowsRemoved: 2 });
  assert.deepEqual(await days(app, "instance_days"), ["2026-11-27", "2026-11-28", "2026-11-29"]);
  assert.deepEqual(await days(app, "rollup_stale"), ["2026-11-28"]);
  assert.deepEqual(await days(app, "app_days"), rollupsBefore, "the rollups stay");
  assert.equal((await storedInstance(app.db, instance.instanceId))?.["status"], "active");
  // Nothing more to remove: a second round removes nothing.
  const again = await enforceRetention(app.db, {
    now: app.clock.now(),
    historyDays: 2,
    instanceDays: 400,
  });
  assert.deepEqual(again, { ran: true, instancesRemoved: 0, historyRowsRemoved: 0 });
});

Deno.test("retention: instances not seen for the window go with every row, in batches; the kept days of their history are marked", async () => {
  await using app = await openTestApp();
  const idle = [
    await feedInstance(app, { appName: "Kept App", version: "1.0.0" }),
    await feedInstance(app, { appName: "Kept App", version: "1.0.0" }),
    await feedInstance(app, { appName: "Kept App", version: "1.0.0" }),
  ];
  app.clock.advance(10 * DAY);
  const seen = await feedInstance(app, { appName: "Kept App", version: "1.0.0" });
  await app.db.query(sql`delete from rollup_stale`);
  const report = await enforceRetention(app.db, {
    now: app.clock.now(),
    historyDays: 400,
    instanceDays: 5,
    batchSize: 2,
  });
  assert.deepEqual(report, { ran: true, instancesRemoved: 3, historyRowsRemoved: 0 });
  for (const instance of idle) {
    assert.equal(await storedInstance(app.db, instance.instanceId), undefined);
  }
  assert.ok(await storedInstance(app.db, seen.instanceId));
  assert.equal(await countRows(app.db, "instances"), 1);
  assert.equal(await countRows(app.db, "instance_days"), 1);
  assert.equal(await countRows(app.db, "snapshots"), 1);
  // The removed instances' day is within the history window: its rollup is computed again.
  assert.deepEqual(await days(app, "rollup_stale"), ["2026-11-25"]);
  const response = await app.send(
    await idle[0]!.snapshotRequest({ users: 1 }, { timestamp: app.clock.now() }),
  );
  assert.equal(response.status, 403, "a removed instance is unknown");
});

Deno.test("retention: an instance whose whole history is past the history window marks nothing", async () => {
  await using app = await openTestApp();
  const idle = await feedInstance(app, { appName: "Kept App", version: "1.0.0" });
  app.clock.advance(10 * DAY);
  await feedInstance(app, { appName: "Kept App", version: "1.0.0" });
  await app.db.query(sql`delete from rollup_stale`);
  const report = await enforceRetention(app.db, {
    now: app.clock.now(),
    historyDays: 3,
    instanceDays: 5,
  });
  assert.deepEqual(report, { ran: true, instancesRemoved: 1, historyRowsRemoved: 0 });
  assert.equal(await storedInstance(app.db, idle.instanceId), undefined);
  assert.deepEqual(await days(app, "rollup_stale"), []);
});
