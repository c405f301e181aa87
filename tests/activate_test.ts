/** POST /v1/activate and the signed-request rules shared by every signed endpoint. */

import assert from "node:assert/strict";
import { setInstanceStatus } from "../server/store/mod.ts";
import { openTestApp, storedInstance, storeFingerprint } from "./support/app.ts";
import { TestInstance } from "./support/instance_client.ts";

Deno.test("activate: a pending instance becomes active, answered 200, idempotent", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  await app.send(instance.registerRequest());
  for (let i = 0; i < 2; i++) {
    const response = await app.send(await instance.activateRequest());
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      status: "active",
      message: "Instance activated successfully",
    });
    assert.equal((await storedInstance(app.db, instance.instanceId))?.["status"], "active");
  }
});

Deno.test("activate: any JSON object is accepted as the body", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  await app.send(instance.registerRequest());
  const response = await app.send(await instance.signedRequest("/v1/activate", {}));
  assert.equal(response.status, 200);
});

Deno.test("activate: a body that is not a JSON object is a 400 and activates nothing", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  await app.send(instance.registerRequest());
  for (const body of ["[]", "not json", "1"]) {
    const response = await app.send(await instance.signedRequest("/v1/activate", body));
    assert.equal(response.status, 400, body);
  }
  assert.equal((await storedInstance(app.db, instance.instanceId))?.["status"], "pending");
});

Deno.test("signed endpoints: missing X-Instance-ID or X-Signature is a 401", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  await app.send(instance.registerRequest());
  for (const path of ["/v1/activate", "/v1/snapshot"]) {
    const signed = await instance.signedRequest(path, { action: "activate" });
    for (const drop of ["x-instance-id", "x-signature"]) {
      const headers = { ...signed.headers };
      delete headers[drop];
      const response = await app.send({ ...signed, headers });
      assert.equal(response.status, 401, `${path} without ${drop}`);
      const body = await response.json();
      assert.equal(body.error.code, "missing_signature");
      assert.match(body.error.message, new RegExp(drop, "i"));
    }
  }
});

Deno.test("signed endpoints: unknown instance, bad signature and foreign signature are 403", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  const stranger = await TestInstance.create();
  await app.send(instance.registerRequest());
  const before = await storeFingerprint(app.db);
  for (const path of ["/v1/activate", "/v1/snapshot"]) {
    const unknown = await app.send(await stranger.signedRequest(path, { action: "activate" }));
    assert.equal(unknown.status, 403);
    assert.equal((await unknown.json()).error.code, "unknown_instance");

    const signed = await instance.signedRequest(path, { action: "activate" });
    const cases: [string, string][] = [
      ["another key's signature", await stranger.sign(signed.body)],
      ["signature of another body", await instance.sign('{"action":"other"}')],
      ["not hex", "xyz"],
      ["too short", "ab".repeat(63)],
      ["all zero", "00".repeat(64)],
    ];
    for (const [label, signature] of cases) {
      const response = await app.send({
        ...signed,
        headers: { ...signed.headers, "x-signature": signature },
      });
      assert.equal(response.status, 403, `${path}: ${label}`);
      assert.equal((await response.json()).error.code, "bad_signature");
    }
    const badId = await app.send({
      ...signed,
      headers: { ...signed.headers, "x-instance-id": "not-a-uuid" },
    });
    assert.equal(badId.status, 403);
  }
  assert.deepEqual(await storeFingerprint(app.db), before);
});

Deno.test("signed endpoints: the signature covers the raw bytes, whitespace included", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  await app.send(instance.registerRequest());
  const raw = '{ "action" :  "activate" }\n';
  const signed = await instance.signedRequest("/v1/activate", raw);
  assert.equal((await app.send(signed)).status, 200);
  const reformatted = new TextEncoder().encode('{"action":"activate"}');
  const response = await app.send({ ...signed, body: reformatted });
  assert.equal(response.status, 403, "same JSON, other bytes: the signature no longer holds");
});

Deno.test("signed endpoints: a revoked instance is refused with 403 instance_revoked", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  await app.send(instance.registerRequest());
  await app.send(await instance.activateRequest());
  await setInstanceStatus(app.db, instance.instanceId, "revoked");
  const before = await storeFingerprint(app.db);
  for (
    const request of [
      await instance.activateRequest(),
      await instance.snapshotRequest({ a: 1 }, { timestamp: app.clock.now() }),
    ]
  ) {
    const response = await app.send(request);
    assert.equal(response.status, 403);
    assert.equal((await response.json()).error.code, "instance_revoked");
  }
  const reregister = await app.send(instance.registerRequest({ appVersion: "3.0.0" }));
  assert.equal(reregister.status, 200);
  assert.equal((await storedInstance(app.db, instance.instanceId))?.["status"], "revoked");
  const after = await storeFingerprint(app.db) as { snapshots: unknown[]; days: unknown[] };
  assert.deepEqual(after.snapshots, (before as typeof after).snapshots);
  assert.deepEqual(after.days, (before as typeof after).days);
});
