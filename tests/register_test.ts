/** POST /v1/register, rule by rule (protocol.md "POST /v1/register"). */

import assert from "node:assert/strict";
import { openTestApp, storedInstance, storeFingerprint } from "./support/app.ts";
import { jsonRequest, TestInstance } from "./support/instance_client.ts";
import { openTestDatabase } from "./support/store.ts";
import { ClientError } from "../server/errors.ts";
import type { Database } from "../server/store/mod.ts";
import {
  acceptRegistration,
  authenticateInstance,
  createIngestContext,
} from "../server/ingest/mod.ts";

Deno.test("register: a new instance is stored as pending and answered 201", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  const response = await app.send(instance.registerRequest({ appName: "Crème Brûlée Server" }));
  assert.equal(response.status, 201);
  assert.deepEqual(await response.json(), { status: "ok", message: "Registered" });
  const row = await storedInstance(app.db, instance.instanceId);
  assert.equal(row?.["status"], "pending");
  assert.equal(row?.["app_slug"], "creme-brulee-server");
  assert.equal(row?.["app_name"], "Crème Brûlée Server");
  assert.equal(row?.["public_key"], instance.publicKeyHex);
  assert.equal(row?.["os_arch"], "linux/amd64");
});

Deno.test("register: the same instance and key again answers 200 and updates metadata only", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  assert.equal((await app.send(instance.registerRequest())).status, 201);
  assert.equal((await app.send(await instance.activateRequest())).status, 200);
  const before = await storedInstance(app.db, instance.instanceId);
  app.clock.advance(60_000);
  const again = await app.send(instance.registerRequest({
    appVersion: "2.0.0",
    extra: { environment: "staging", os_arch: "linux/arm64", deployment_mode: "docker" },
  }));
  assert.equal(again.status, 200);
  assert.deepEqual(await again.json(), { status: "ok", message: "Registered" });
  const after = await storedInstance(app.db, instance.instanceId);
  assert.equal(after?.["app_version"], "2.0.0");
  assert.equal(after?.["environment"], "staging");
  assert.equal(after?.["os_arch"], "linux/arm64");
  assert.equal(after?.["deployment_mode"], "docker");
  assert.equal(after?.["status"], "active", "status is never touched by a re-register");
  assert.deepEqual(after?.["first_seen"], before?.["first_seen"]);
  assert.equal(after?.["public_key"], before?.["public_key"]);
});

Deno.test("register: a known instance with another key answers 409 and nothing changes", async () => {
  await using app = await openTestApp();
  const original = await TestInstance.create();
  assert.equal((await app.send(original.registerRequest())).status, 201);
  const before = await storeFingerprint(app.db);
  const impostor = await TestInstance.create(original.instanceId);
  const response = await app.send(
    impostor.registerRequest({ appName: "Another App", appVersion: "9.9.9" }),
  );
  assert.equal(response.status, 409);
  const body = await response.json();
  assert.equal(body.error.code, "public_key_conflict");
  assert.match(body.error.message, new RegExp(original.instanceId));
  assert.deepEqual(await storeFingerprint(app.db), before, "no app, no metadata, no key changed");
});

Deno.test("register: a valid proof-of-possession signature is accepted", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  const request = instance.registerRequest();
  const response = await app.send({
    ...request,
    headers: { ...request.headers, "x-signature": await instance.sign(request.body) },
  });
  assert.equal(response.status, 201);
});

Deno.test("register: a signature by another key is refused with 403 and nothing is stored", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  const other = await TestInstance.create();
  const request = instance.registerRequest();
  for (
    const signature of [await other.sign(request.body), "zz", "00".repeat(64), "ab".repeat(65)]
  ) {
    const response = await app.send({
      ...request,
      headers: { ...request.headers, "x-signature": signature },
    });
    assert.equal(response.status, 403, `signature ${signature.slice(0, 10)}`);
    assert.equal((await response.json()).error.code, "bad_signature");
  }
  assert.equal(await storedInstance(app.db, instance.instanceId), undefined);
});

Deno.test("register: the instance id is compared and stored in lowercase", async () => {
  await using app = await openTestApp();
  const id = crypto.randomUUID();
  const instance = await TestInstance.create(id.toUpperCase());
  assert.equal((await app.send(instance.registerRequest())).status, 201);
  const lower = await TestInstance.create(id);
  const conflict = await app.send(lower.registerRequest());
  assert.equal(conflict.status, 409, "same id in another case is the same instance");
  assert.ok(await storedInstance(app.db, id));
});

Deno.test("register: each missing or malformed field is a 400 naming the field, nothing stored", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  const valid = {
    instance_id: instance.instanceId,
    public_key: instance.publicKeyHex,
    app_name: "App",
    app_version: "1.0",
  };
  const cases: [string, Record<string, unknown>][] = [
    ["instance_id", { instance_id: undefined }],
    ["instance_id", { instance_id: "not-a-uuid" }],
    ["instance_id", { instance_id: 42 }],
    ["public_key", { public_key: undefined }],
    ["public_key", { public_key: "abcd" }],
    ["public_key", { public_key: "g".repeat(64) }],
    ["app_name", { app_name: undefined }],
    ["app_name", { app_name: "" }],
    ["app_name", { app_name: "   " }],
    ["app_name", { app_name: "x".repeat(101) }],
    ["app_name", { app_name: "bad\u0000name" }],
    ["app_name", { app_name: "bad\ud800name" }],
    ["app_version", { app_version: undefined }],
    ["app_version", { app_version: "1".repeat(51) }],
    ["app_version", { app_version: 1.0 }],
    ["environment", { environment: 7 }],
    ["deployment_mode", { deployment_mode: "d".repeat(51) }],
    ["os_arch", { os_arch: ["linux"] }],
  ];
  const before = await storeFingerprint(app.db);
  for (const [field, change] of cases) {
    const response = await app.send(jsonRequest("/v1/register", { ...valid, ...change }));
    assert.equal(response.status, 400, `${field} ${JSON.stringify(change)}`);
    const body = await response.json();
    assert.equal(body.error.code, "invalid_field");
    assert.ok(body.error.message.includes(`"${field}"`), body.error.message);
  }
  assert.deepEqual(await storeFingerprint(app.db), before);
});

Deno.test("register: limits are inclusive (100-character name, 50-character version)", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  const response = await app.send(instance.registerRequest({
    appName: "é".repeat(100),
    appVersion: "v".repeat(50),
    extra: { environment: "e".repeat(50), os_arch: null, deployment_mode: "" },
  }));
  assert.equal(response.status, 201);
  const row = await storedInstance(app.db, instance.instanceId);
  assert.equal(row?.["app_slug"], "e".repeat(100));
  assert.equal(row?.["os_arch"], null);
});

Deno.test("register: malformed bodies are 400 with the code that says why", async () => {
  await using app = await openTestApp();
  const cases: [Uint8Array | string, string][] = [
    ["{not json", "malformed_json"],
    ["", "malformed_json"],
    ["[1,2]", "invalid_body"],
    ["null", "invalid_body"],
    ['"text"', "invalid_body"],
    [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), "malformed_json"],
  ];
  for (const [body, code] of cases) {
    const response = await app.send({
      path: "/v1/register",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? new TextEncoder().encode(body) : body,
    });
    assert.equal(response.status, 400, String(body));
    assert.equal((await response.json()).error.code, code);
  }
});

Deno.test("register: the stored key is cached, so the instance's first signed request reads no key; a refused key is not", async () => {
  await using store = await openTestDatabase();
  const ingest = createIngestContext(store.db, {
    now: () => new Date(),
    snapshotBacklogMs: 86_400_000,
  });
  const instance = await TestInstance.create();
  const register = instance.registerRequest();
  await acceptRegistration(ingest, register.body, null);
  const cached = ingest.keys.cached(instance.instanceId);
  assert.ok(cached !== undefined, "the registered key is cached");
  const snapshot = await instance.snapshotRequest({ users: 1 });
  const reads: string[] = [];
  const watched: Database = {
    ...store.db,
    query: (query) => (reads.push(query.text), store.db.query(query)),
  };
  await authenticateInstance({ ...ingest, db: watched }, {
    instanceId: instance.instanceId,
    signature: snapshot.headers["x-signature"] ?? null,
  }, snapshot.body);
  assert.deepEqual(reads, [], "verified with the cached key, no statement");
  // Another key for the same id is refused (409) and leaves the cached key as it was.
  const impostor = await TestInstance.create();
  const conflicting = JSON.parse(new TextDecoder().decode(register.body));
  conflicting.public_key = impostor.publicKeyHex;
  await assert.rejects(
    acceptRegistration(ingest, new TextEncoder().encode(JSON.stringify(conflicting)), null),
    (error) => error instanceof ClientError && error.status === 409,
  );
  assert.equal(ingest.keys.cached(instance.instanceId), cached);
});
