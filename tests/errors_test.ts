/**
 * The protocol's error surface (protocol.md "Errors"): one JSON error shape
 * for every status, 404/405 from the router, the health check, rate limits
 * with `Retry-After`, and the request log (issue 2 items 4 and 6).
 */

import assert from "node:assert/strict";
import {
  openTestApp,
  storedInstance,
  storeFingerprint,
  TEST_ADMIN_TOKEN,
  type TestApp,
} from "./support/app.ts";
import { jsonRequest, TestInstance, type WireRequest } from "./support/instance_client.ts";

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const INSTANCE_PATHS = ["/v1/register", "/v1/activate", "/v1/snapshot"];

/**
 * Checks the protocol's error shape: the status, a JSON content type, and a
 * body that is exactly `{"error":{"code","message"}}` with a snake_case code
 * and a non-empty message. Returns the message.
 */
async function assertError(
  response: Response,
  status: number,
  code: string,
  label = "",
): Promise<string> {
  const text = await response.text();
  assert.equal(response.status, status, `${label}: ${text}`);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/, label);
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body), ["error"], label);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message"], label);
  assert.equal(body.error.code, code, label);
  assert.match(body.error.code, /^[a-z]+(_[a-z]+)*$/, label);
  assert.equal(typeof body.error.message, "string", label);
  assert.ok(body.error.message.length > 0, label);
  return body.error.message;
}

/** Posts a wire request from `address`. */
function sendFrom(app: TestApp, request: WireRequest, address: string): Promise<Response> {
  return app.fetch(request.path, {
    method: "POST",
    headers: request.headers,
    body: request.body as Uint8Array<ArrayBuffer>,
    address,
  });
}

async function registered(app: TestApp, appName = "Test App"): Promise<TestInstance> {
  const instance = await TestInstance.create();
  assert.equal((await app.send(instance.registerRequest({ appName }))).status, 201);
  return instance;
}

// ---------------------------------------------------------------- the error shape

Deno.test("errors: every error status of the protocol comes as JSON {error:{code,message}}", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const stranger = await TestInstance.create();
  const impostor = await TestInstance.create(instance.instanceId);
  const snapshot = await instance.snapshotRequest({ n: 1 }, { timestamp: app.clock.now() });
  assert.equal((await app.send(snapshot)).status, 202);
  const unsigned = await instance.activateRequest();
  delete (unsigned.headers as Record<string, string>)["x-signature"];

  const cases: [string, () => Promise<Response>, number, string][] = [
    ["malformed JSON", () => app.send(jsonRequest("/v1/register", "{nope")), 400, "malformed_json"],
    ["missing field", () => app.send(jsonRequest("/v1/register", {})), 400, "invalid_field"],
    ["unsigned activate", () => app.send(unsigned), 401, "missing_signature"],
    ["admin without token", () => app.fetch("/api/v1/admin/stats"), 401, "unauthorized"],
    [
      "unknown instance",
      async () => app.send(await stranger.activateRequest()),
      403,
      "unknown_instance",
    ],
    ["unknown path", () => app.fetch("/v1/nothing"), 404, "not_found"],
    [
      "unknown application",
      () => app.fetch("/api/v1/admin/applications/nope", { headers: ADMIN }),
      404,
      "unknown_application",
    ],
    ["wrong method", () => app.fetch("/v1/snapshot"), 405, "method_not_allowed"],
    ["key conflict", () => app.send(impostor.registerRequest()), 409, "public_key_conflict"],
    ["replayed snapshot", () => app.send(snapshot), 409, "snapshot_not_newer"],
    [
      "body over 64 KiB",
      () => app.send(jsonRequest("/v1/register", { pad: "x".repeat(64 * 1024) })),
      413,
      "body_too_large",
    ],
  ];
  for (const [label, request, status, code] of cases) {
    await assertError(await request(), status, code, label);
  }
});

Deno.test("errors: wrong methods on the instance endpoints are 405 with Allow: POST, nothing stored", async () => {
  await using app = await openTestApp();
  const instance = await TestInstance.create();
  const register = instance.registerRequest();
  const before = await storeFingerprint(app.db);
  for (const path of INSTANCE_PATHS) {
    for (const method of ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const withBody = !["GET", "OPTIONS"].includes(method);
      const response = await app.fetch(path, {
        method,
        headers: register.headers,
        ...(withBody ? { body: register.body as Uint8Array<ArrayBuffer> } : {}),
      });
      assert.equal(response.headers.get("allow"), "POST", `${method} ${path}`);
      const message = await assertError(response, 405, "method_not_allowed", `${method} ${path}`);
      assert.match(message, new RegExp(method));
    }
  }
  assert.deepEqual(
    await storeFingerprint(app.db),
    before,
    "a PUT of a register body stores nothing",
  );
});

Deno.test("errors: wrong methods on read endpoints are 405 with an Allow that names GET", async () => {
  await using app = await openTestApp();
  for (
    const path of [
      "/api/v1/healthcheck",
      "/api/v1/admin/stats",
      "/api/v1/admin/instances",
      "/api/v1/admin/applications/some-app",
    ]
  ) {
    for (const method of ["POST", "DELETE"]) {
      const response = await app.fetch(path, { method, headers: ADMIN, body: "{}" });
      const allow = (response.headers.get("allow") ?? "").split(/,\s*/);
      assert.ok(allow.includes("GET"), `${method} ${path}: Allow ${allow}`);
      assert.ok(!allow.includes(method), `${method} ${path}: Allow ${allow}`);
      await assertError(response, 405, "method_not_allowed", `${method} ${path}`);
    }
  }
});

Deno.test("errors: unknown paths are 404 not_found in the JSON shape", async () => {
  await using app = await openTestApp();
  for (
    const path of [
      "/nothing",
      "/v1",
      "/v1/registe",
      "/v1/register/extra",
      "/v2/register",
      "/api/v1/admin",
      "/api/v1/admin/unknown",
      "/api/v1/admin/applications/a/b",
      "/%E0%A4%A",
    ]
  ) {
    for (const method of ["GET", "POST"]) {
      const response = await app.fetch(path, { method, headers: ADMIN });
      await assertError(response, 404, "not_found", `${method} ${path}`);
    }
  }
});

Deno.test("healthcheck: GET /api/v1/healthcheck answers {status: ok} without auth", async () => {
  await using app = await openTestApp({ settings: { SHM_ADMIN_TOKEN: "" } });
  const response = await app.fetch("/api/v1/healthcheck");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(await response.json(), { status: "ok" });
});

// ---------------------------------------------------------------- no 500, whatever the input

Deno.test("errors: a snapshot timestamp with an offset beyond ±15:59 is read, not a 500", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  // RFC 3339 offsets run to ±23:59; each stands for an instant inside the accepted window.
  const cases: [string, string][] = [
    ["2026-11-26T10:59:00+23:00", "2026-11-25T11:59:00.000Z"],
    ["2026-11-24T19:30:00-16:30", "2026-11-25T12:00:00.000Z"],
  ];
  for (const [timestamp, instant] of cases) {
    const response = await app.send(await instance.snapshotRequest({ n: 1 }, { timestamp }));
    assert.equal(response.status, 202, `${timestamp}: ${await response.text()}`);
    const row = await storedInstance(app.db, instance.instanceId);
    assert.equal((row?.["last_snapshot_at"] as Date).toISOString(), instant, timestamp);
  }
});

Deno.test("errors: a snapshot timestamp on a leap second (:60) is read, not a 500", async () => {
  await using app = await openTestApp();
  const instance = await registered(app);
  const response = await app.send(
    await instance.snapshotRequest({ n: 1 }, { timestamp: "2026-11-25T11:58:60Z" }),
  );
  assert.equal(response.status, 202, await response.text());
  const row = await storedInstance(app.db, instance.instanceId);
  assert.equal((row?.["last_snapshot_at"] as Date).toISOString(), "2026-11-25T11:59:00.000Z");
});

// ---------------------------------------------------------------- rate limits

/** Reads a 429: the shape, the code, and a Retry-After of whole seconds from 1 to `max`. */
async function assertRateLimited(response: Response, max: number, label: string): Promise<void> {
  const retryAfter = response.headers.get("retry-after") ?? "";
  await assertError(response, 429, "rate_limited", label);
  assert.match(retryAfter, /^\d+$/, `${label}: Retry-After "${retryAfter}"`);
  const seconds = Number(retryAfter);
  assert.ok(seconds >= 1 && seconds <= max, `${label}: Retry-After ${seconds}`);
}

Deno.test("rate limit: the 4th request from one address in a minute is a 429 with Retry-After", async () => {
  await using app = await openTestApp({ settings: { SHM_RATE_LIMIT_IP: "3" } });
  const attacker = "198.51.100.7";
  const neighbour = "203.0.113.9";
  const instance = await TestInstance.create();
  // The budget is shared by the three instance endpoints, whatever each answers.
  assert.equal((await sendFrom(app, instance.registerRequest(), attacker)).status, 201);
  assert.equal((await sendFrom(app, await instance.activateRequest(), attacker)).status, 200);
  const snapshot = await instance.snapshotRequest({ n: 1 }, { timestamp: app.clock.now() });
  assert.equal((await sendFrom(app, snapshot, attacker)).status, 202);

  const before = await storeFingerprint(app.db);
  const newcomer = await TestInstance.create();
  for (const request of [newcomer.registerRequest(), await instance.activateRequest()]) {
    const response = await sendFrom(app, request, attacker);
    // 3 per minute: the next token is at most 20 s away.
    await assertRateLimited(response, 20, `${request.path} from ${attacker}`);
  }
  const later = await instance.snapshotRequest({ n: 2 }, {
    timestamp: new Date(app.clock.now().getTime() + 1000),
  });
  await assertRateLimited(await sendFrom(app, later, attacker), 20, "snapshot");
  assert.deepEqual(await storeFingerprint(app.db), before, "a refused request leaves no trace");

  assert.equal(
    (await sendFrom(app, newcomer.registerRequest(), neighbour)).status,
    201,
    "another address has its own budget",
  );
  assert.equal((await sendFrom(app, later, neighbour)).status, 202);
});

Deno.test("rate limit: an instance's own budget is spent only by requests it really signed", async () => {
  await using app = await openTestApp({
    settings: { SHM_RATE_LIMIT_IP: "0", SHM_RATE_LIMIT_INSTANCE: "3" },
  });
  const victim = await registered(app);
  const bystander = await registered(app);
  const attacker = await TestInstance.create();

  // Twenty forged requests naming the victim: each is refused as forged, none spends its budget.
  const genuine = await victim.activateRequest();
  const forgeries: string[] = [
    await attacker.sign(genuine.body),
    "00".repeat(64),
    "not hex at all",
    await victim.sign('{"action":"other"}'),
  ];
  for (let i = 0; i < 20; i++) {
    const signature = forgeries[i % forgeries.length] ?? "";
    const response = await app.send({
      ...genuine,
      headers: { ...genuine.headers, "x-signature": signature },
    });
    await assertError(response, 403, "bad_signature", `forgery ${i}`);
  }
  for (let i = 0; i < 3; i++) {
    const response = await app.send(await victim.activateRequest());
    assert.equal(response.status, 200, `genuine request ${i + 1} of 3`);
  }
  const before = await storeFingerprint(app.db);
  const fourth = await victim.snapshotRequest({ n: 1 }, { timestamp: app.clock.now() });
  // 3 per minute: the next token is at most 20 s away.
  await assertRateLimited(await app.send(fourth), 20, "4th genuine request");
  assert.deepEqual(await storeFingerprint(app.db), before, "the refused snapshot left no trace");

  assert.equal(
    (await app.send(await bystander.activateRequest())).status,
    200,
    "another instance has its own budget",
  );
});

// ---------------------------------------------------------------- the request log

Deno.test("request log: one line per request with method, path, status, ms and the instance id", async () => {
  await using app = await openTestApp();
  const address = "198.51.100.23";
  const marker = "secret-body-marker-7f3a9c";
  const instance = await TestInstance.create();
  const register = instance.registerRequest({ appName: `App ${marker}` });
  const snapshot = await instance.snapshotRequest({ note: marker, n: 1 }, {
    timestamp: app.clock.now(),
  });
  const forged = await instance.signedRequest("/v1/activate", { marker });
  forged.headers["x-signature"] = "00".repeat(64);
  const steps: [string, () => Promise<Response>, Record<string, unknown>][] = [
    ["register", () => sendFrom(app, register, address), {
      method: "POST",
      path: "/v1/register",
      status: 201,
      instance_id: instance.instanceId,
    }],
    ["activate", async () => sendFrom(app, await instance.activateRequest(), address), {
      method: "POST",
      path: "/v1/activate",
      status: 200,
      instance_id: instance.instanceId,
    }],
    ["snapshot", () => sendFrom(app, snapshot, address), {
      method: "POST",
      path: "/v1/snapshot",
      status: 202,
      instance_id: instance.instanceId,
    }],
    [
      "malformed",
      () => sendFrom(app, jsonRequest("/v1/register", `{"app_name":"${marker}`), address),
      {
        method: "POST",
        path: "/v1/register",
        status: 400,
      },
    ],
    ["unknown path", () => app.fetch("/nothing-here", { address }), {
      method: "GET",
      path: "/nothing-here",
      status: 404,
    }],
    ["admin", () => app.fetch("/api/v1/admin/instances?limit=5", { address, headers: ADMIN }), {
      method: "GET",
      path: "/api/v1/admin/instances",
      status: 200,
    }],
  ];
  for (const [label, step, expected] of steps) {
    const count = app.logs.length;
    const response = await step();
    await response.body?.cancel();
    assert.equal(response.status, expected["status"], label);
    const lines = app.logs.slice(count).filter((entry) => entry.line["msg"] === "request");
    assert.equal(lines.length, 1, `${label}: one request line`);
    const { level, line } = lines[0]!;
    assert.equal(level, "info", label);
    const { time, level: lineLevel, msg, ms, ...fields } = line;
    assert.equal(typeof time, "string", label);
    assert.equal(lineLevel, "info", label);
    assert.equal(msg, "request");
    assert.equal(typeof ms, "number", label);
    assert.ok((ms as number) >= 0, label);
    assert.deepEqual(fields, expected, label);
  }

  // A forged request: logged, but never as the instance it pretends to be.
  const count = app.logs.length;
  assert.equal((await sendFrom(app, forged, address)).status, 403);
  const [forgedLine] = app.logs.slice(count).filter((entry) => entry.line["msg"] === "request");
  assert.equal(forgedLine?.line["status"], 403);
  assert.ok(
    forgedLine?.line["instance_id"] === undefined,
    "an unproven instance id is not logged as known",
  );

  const everything = JSON.stringify(app.logs);
  assert.ok(!everything.includes(address), "the client address is never logged");
  assert.ok(!everything.includes(marker), "no body content is logged");
  assert.ok(!everything.includes(instance.publicKeyHex), "no public key is logged");
  assert.ok(!everything.includes(snapshot.headers["x-signature"]!), "no signature is logged");
  assert.ok(!everything.includes(TEST_ADMIN_TOKEN), "the admin token is never logged");
});
