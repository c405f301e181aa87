/**
 * Instances of the original SHM SDKs never send `deployment_mode`; their
 * `sys_mode` metric says it, and the server takes it from there while the
 * instance has none of its own.
 */

import assert from "node:assert/strict";
import { MIGRATIONS } from "../migrations/mod.ts";
import { sql } from "../server/store/mod.ts";
import { openTestApp, storedInstance } from "./support/app.ts";
import { TestInstance } from "./support/instance_client.ts";

type TestApp = Awaited<ReturnType<typeof openTestApp>>;

async function registered(app: TestApp, extra: Record<string, unknown>) {
  const instance = await TestInstance.create();
  assert.equal((await app.send(instance.registerRequest({ extra }))).status, 201);
  return instance;
}

async function sendMetrics(
  app: TestApp,
  instance: TestInstance,
  metrics: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  app.clock.advance(1000);
  const response = await app.send(
    await instance.snapshotRequest(metrics, { timestamp: app.clock.now(), extra }),
  );
  assert.equal(response.status, 202);
}

Deno.test("original SDK: sys_mode gives the deployment mode of an instance that sent none", async () => {
  await using app = await openTestApp();
  const instance = await registered(app, { deployment_mode: undefined });
  assert.equal((await storedInstance(app.db, instance.instanceId))?.["deployment_mode"], null);
  await sendMetrics(app, instance, { sys_mode: "docker", sys_node_version: "v20.11.0" });
  assert.equal((await storedInstance(app.db, instance.instanceId))?.["deployment_mode"], "docker");
  const [day] = await app.db.query<{ deployment_mode: string | null }>(
    sql`select deployment_mode from instance_days where instance_id = ${instance.instanceId}::uuid`,
  );
  assert.equal(day?.deployment_mode, "docker", "the day's history row says it too");
  await sendMetrics(app, instance, { sys_mode: "kubernetes" });
  assert.equal(
    (await storedInstance(app.db, instance.instanceId))?.["deployment_mode"],
    "docker",
    "taken once: a later sys_mode does not overwrite the stored mode",
  );
});

Deno.test("original SDK: a registered or sent deployment_mode wins over sys_mode", async () => {
  await using app = await openTestApp();
  const instance = await registered(app, { deployment_mode: "standalone" });
  await sendMetrics(app, instance, { sys_mode: "docker" });
  assert.equal(
    (await storedInstance(app.db, instance.instanceId))?.["deployment_mode"],
    "standalone",
  );
  const other = await registered(app, { deployment_mode: undefined });
  await sendMetrics(app, other, { sys_mode: "docker" }, { deployment_mode: "kubernetes" });
  assert.equal((await storedInstance(app.db, other.instanceId))?.["deployment_mode"], "kubernetes");
});

Deno.test("original SDK: an unusable sys_mode is kept as a metric and never becomes the mode", async () => {
  await using app = await openTestApp();
  for (const sysMode of [42, true, "", "   ", "d".repeat(51), "dock\u0007er"]) {
    const instance = await registered(app, { deployment_mode: undefined });
    await sendMetrics(app, instance, { sys_mode: sysMode, n: 1 });
    const row = await storedInstance(app.db, instance.instanceId);
    assert.equal(row?.["deployment_mode"], null, `sys_mode ${JSON.stringify(sysMode)}`);
  }
  const padded = await registered(app, { deployment_mode: undefined });
  await sendMetrics(app, padded, { sys_mode: "  docker " });
  assert.equal((await storedInstance(app.db, padded.instanceId))?.["deployment_mode"], "docker");
});

Deno.test("migration 0006 fills in the mode of instances stored before, and marks their days", async () => {
  await using app = await openTestApp();
  const instance = await registered(app, { deployment_mode: undefined });
  await sendMetrics(app, instance, { sys_mode: "docker" });
  const bad = await registered(app, { deployment_mode: undefined });
  await sendMetrics(app, bad, { sys_mode: "dock\u202eer" });
  // As stored by a server before this change.
  await app.db.query(sql`update instances set deployment_mode = null`);
  await app.db.query(sql`update instance_days set deployment_mode = null`);
  await app.db.query(sql`delete from rollup_stale`);
  const migration = MIGRATIONS.find((m) => m.name === "0006_reported_deployment_mode.sql");
  assert.ok(migration);
  await app.db.execScript(migration.sql);
  assert.equal((await storedInstance(app.db, instance.instanceId))?.["deployment_mode"], "docker");
  assert.equal((await storedInstance(app.db, bad.instanceId))?.["deployment_mode"], null);
  const days = await app.db.query<{ instance_id: string; deployment_mode: string | null }>(
    sql`select instance_id::text, deployment_mode from instance_days order by deployment_mode`,
  );
  assert.deepEqual(
    days.map((d) => [d.instance_id, d.deployment_mode]),
    [[instance.instanceId, "docker"], [bad.instanceId, null]],
  );
  const stale = await app.db.query<{ day: string }>(sql`select day::text from rollup_stale`);
  assert.deepEqual(stale, [{ day: "2026-11-25" }], "the day's rollup is computed again");
});
