/** POST /v1/erase, rule by rule (protocol.md "POST /v1/erase"). */

import assert from "node:assert/strict";
import { authenticateInstance, createIngestContext } from "../server/ingest/mod.ts";
import { setInstanceStatus, sql } from "../server/store/mod.ts";
import {
  countRows,
  openTestApp,
  storedInstance,
  storeFingerprint,
  type TestApp,
} from "./support/app.ts";
import { TestInstance } from "./support/instance_client.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;

async function registered(app: TestApp, instance?: TestInstance) {
  const registering = instance ?? await TestInstance.create();
  assert.equal((await app.send(registering.registerRequest())).status, 201);
  return registering;
}

async function sendSnapshot(app: TestApp, instance: TestInstance, metrics = { n: 1 }) {
  app.clock.advance(1000);
  const response = await app.send(
    await instance.snapshotRequest(metrics, { timestamp: app.clock.now() }),
  );
  assert.equal(response.status, 202);
}

function eraseRequest(instance: TestInstance, fields: Record<string, unknown> = {}, at?: Date) {
  return instance.signedRequest("/v1/erase", {
    instance_id: instance.instanceId,
    action: "erase",
    timestamp: (at ?? new Date()).toISOString(),
    ...fields,
  });
}

Deno.test("erase: every row of the instance goes in one answer 200, other instances stay", async () => {
  await using app = await openTestApp();
  const leaving = await registered(app);
  const staying = await registered(app);
  for (const instance of [leaving, staying]) await sendSnapshot(app, instance);
  // History on an older day too: its rollup must be computed again without the instance.
  app.clock.advance(3 * DAY);
  await sendSnapshot(app, leaving);
  await sendSnapshot(app, staying);
  await app.db.query(sql`delete from rollup_stale`);
  const response = await app.send(await eraseRequest(leaving, {}, app.clock.now()));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "erased" });
  assert.equal(await storedInstance(app.db, leaving.instanceId), undefined);
  for (const table of ["instance_days", "snapshots"] as const) {
    const [left] = await app.db.query<{ n: number }>({
      text: `select count(*)::int as n from ${table} where instance_id = $1::uuid`,
      params: [leaving.instanceId],
    });
    assert.equal(left?.n, 0, `${table} keeps nothing of the erased instance`);
  }
  assert.equal(await countRows(app.db, "instances"), 1);
  assert.equal(await countRows(app.db, "instance_days"), 2, "the other instance's two days");
  assert.equal(await countRows(app.db, "snapshots"), 2);
  const stale = await app.db.query<{ day: string }>(
    sql`select day::text from rollup_stale order by day`,
  );
  assert.deepEqual(stale.map((s) => s.day), ["2026-11-25", "2026-11-28"]);
  const again = await app.send(
    await eraseRequest(leaving, {}, new Date(app.clock.now().getTime() + 1000)),
  );
  assert.equal(again.status, 403, "an erased instance is unknown");
  assert.equal((await again.json()).error.code, "unknown_instance");
});

Deno.test("erase: the figures drop the instance at the next upkeep round", async () => {
  await using app = await openTestApp();
  const leaving = await registered(app);
  const staying = await registered(app);
  for (const instance of [leaving, staying]) await sendSnapshot(app, instance);
  await app.rollUp();
  const active = async () => {
    const [row] = await app.db.query<{ active: number }>(
      sql`select active::int as active from app_days order by day desc limit 1`,
    );
    return row?.active;
  };
  assert.equal(await active(), 2);
  assert.equal((await app.send(await eraseRequest(leaving, {}, app.clock.now()))).status, 200);
  await app.rollUp();
  assert.equal(await active(), 1);
});

Deno.test("erase: the same id may register again, as a new instance, with another key", async () => {
  await using app = await openTestApp();
  const first = await registered(app);
  await sendSnapshot(app, first);
  assert.equal((await app.send(await eraseRequest(first, {}, app.clock.now()))).status, 200);
  const reborn = await TestInstance.create(first.instanceId);
  const response = await app.send(reborn.registerRequest());
  assert.equal(response.status, 201, "registered as new");
  await sendSnapshot(app, reborn, { n: 2 });
  const row = await storedInstance(app.db, first.instanceId);
  assert.equal(row?.["public_key"], reborn.publicKeyHex);
  assert.deepEqual(row?.["metrics"], { n: 2 });
  app.clock.advance(1000);
  const old = await app.send(await first.snapshotRequest({ n: 3 }, { timestamp: app.clock.now() }));
  assert.equal(old.status, 403, "the erased key no longer signs for the id");
});

Deno.test("erase: a server process that cached the old key verifies the new one", async () => {
  await using app = await openTestApp();
  const first = await registered(app);
  // Another process's ingestion, with the first key in its cache.
  const other = createIngestContext(app.db, { now: () => app.clock.now(), snapshotBacklogMs: DAY });
  const signed = async (instance: TestInstance) => {
    const request = await instance.snapshotRequest({ n: 1 }, { timestamp: app.clock.now() });
    return authenticateInstance(other, {
      instanceId: request.headers["x-instance-id"] ?? null,
      signature: request.headers["x-signature"] ?? null,
    }, request.body);
  };
  assert.deepEqual(await signed(first), { instanceId: first.instanceId });
  assert.equal((await app.send(await eraseRequest(first, {}, app.clock.now()))).status, 200);
  const reborn = await TestInstance.create(first.instanceId);
  assert.equal((await app.send(reborn.registerRequest())).status, 201);
  assert.deepEqual(await signed(reborn), { instanceId: first.instanceId });
  await assert.rejects(() => signed(first), /not a valid Ed25519 signature/);
});

Deno.test("erase: a request outside 5 minutes of the server's clock is a 400, nothing removed", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  await sendSnapshot(app, instance);
  const before = await storeFingerprint(app.db);
  const now = app.clock.now().getTime();
  for (const offset of [-6 * MINUTE, 6 * MINUTE, -DAY]) {
    const response = await app.send(await eraseRequest(instance, {}, new Date(now + offset)));
    assert.equal(response.status, 400, `offset ${offset}`);
    const { error } = await response.json();
    assert.equal(error.code, "timestamp_out_of_window");
    assert.match(error.message, /replayed/);
  }
  assert.deepEqual(await storeFingerprint(app.db), before);
  const inWindow = await app.send(await eraseRequest(instance, {}, new Date(now + 4 * MINUTE)));
  assert.equal(inWindow.status, 200, "4 minutes ahead is within the window");
});

Deno.test("erase: each broken rule is refused before anything is removed", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const stranger = await registered(app);
  await sendSnapshot(app, instance);
  const before = await storeFingerprint(app.db);
  const now = app.clock.now();
  const cases: [
    string,
    Promise<import("./support/instance_client.ts").WireRequest>,
    number,
    string,
  ][] = [
    ["no timestamp", eraseRequest(instance, { timestamp: undefined }), 400, "invalid_field"],
    [
      "a timestamp that is no date",
      eraseRequest(instance, { timestamp: "yesterday" }),
      400,
      "invalid_field",
    ],
    ["another action", eraseRequest(instance, { action: "activate" }, now), 400, "invalid_field"],
    ["no action", eraseRequest(instance, { action: undefined }, now), 400, "invalid_field"],
    [
      "another instance's id",
      eraseRequest(instance, { instance_id: stranger.instanceId }, now),
      403,
      "instance_id_mismatch",
    ],
    [
      "an id that is no uuid",
      eraseRequest(instance, { instance_id: "x" }, now),
      400,
      "invalid_field",
    ],
    [
      "a body that is no JSON object",
      instance.signedRequest("/v1/erase", "[1]"),
      400,
      "invalid_body",
    ],
  ];
  for (const [what, request, status, code] of cases) {
    const response = await app.send(await request);
    assert.equal(response.status, status, what);
    assert.equal((await response.json()).error.code, code, what);
  }
  const unsigned = await eraseRequest(instance, {}, now);
  const response = await app.send({
    ...unsigned,
    headers: { "content-type": "application/json" },
  });
  assert.equal(response.status, 401);
  const forged = await eraseRequest(stranger, { instance_id: instance.instanceId }, now);
  const forgedResponse = await app.send({
    ...forged,
    headers: { ...forged.headers, "x-instance-id": instance.instanceId },
  });
  assert.equal(forgedResponse.status, 403, "signed by another key");
  assert.equal((await forgedResponse.json()).error.code, "bad_signature");
  assert.deepEqual(await storeFingerprint(app.db), before);
});

Deno.test("erase: a revoked instance is refused with 403 and its history stays", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  await sendSnapshot(app, instance);
  await setInstanceStatus(app.db, instance.instanceId, "revoked");
  const before = await storeFingerprint(app.db);
  const response = await app.send(await eraseRequest(instance, {}, app.clock.now()));
  assert.equal(response.status, 403);
  assert.equal((await response.json()).error.code, "instance_revoked");
  assert.deepEqual(await storeFingerprint(app.db), before);
});

Deno.test("erase: copies sent at once erase once; the rest are told the instance is unknown", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  await sendSnapshot(app, instance);
  const request = await eraseRequest(instance, {}, app.clock.now());
  const statuses = await Promise.all(
    [1, 2, 3, 4].map(() => app.send(request).then((r) => r.status)),
  );
  assert.deepEqual(statuses.sort(), [200, 403, 403, 403]);
  assert.equal(await countRows(app.db, "instances"), 0);
});
