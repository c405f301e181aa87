import assert from "node:assert/strict";
import { withFailures } from "./testing/fakes.ts";
import { json } from "./testing/fake_server.ts";
import { filesIn, paths, setup } from "./testing/reporter_setup.ts";

const IDENTITY_FILE = "test-app_shm_identity.json";

Deno.test("forget() erases the instance on the server, deletes the identity file, then sends nothing", async () => {
  await using s = await setup();
  const reporter = s.reporter();
  reporter.start();
  const sent = await reporter.sendNow();
  assert.equal(sent.ok, true);
  const identity = JSON.parse(await Deno.readTextFile(`${s.dataDir}/${IDENTITY_FILE}`));

  const result = await reporter.forget();
  assert.deepEqual(result, { ok: true, instanceId: identity.instanceId });
  assert.equal(reporter.running, false, "forget() stops the schedule");
  const erase = s.server.requests.find((r) => r.path === "/v1/erase");
  assert.ok(erase);
  assert.equal(erase.signatureValid, true);
  assert.equal(erase.headers.get("X-Instance-ID"), identity.instanceId);
  const body = JSON.parse(erase.body);
  assert.deepEqual(Object.keys(body), ["instance_id", "action", "timestamp"]);
  assert.equal(body.instance_id, identity.instanceId);
  assert.equal(body.action, "erase");
  assert.ok(Math.abs(Date.parse(body.timestamp) - Date.now()) < 60_000);
  assert.deepEqual(await filesIn(s.dataDir), [], "the identity file is gone");

  const before = s.server.requests.length;
  const after = await reporter.sendNow();
  assert.equal(after.ok, false);
  assert.equal(!after.ok && after.code, "disabled");
  assert.equal((await reporter.preview()).ok, false);
  reporter.start();
  await reporter.stop();
  assert.equal(s.server.requests.length, before, "nothing more is sent");
  assert.deepEqual(await filesIn(s.dataDir), [], "and no new identity is made");
});

Deno.test("forget() with no identity stored sends nothing and makes no file", async () => {
  await using s = await setup();
  const reporter = s.reporter();
  assert.deepEqual(await reporter.forget(), { ok: true, instanceId: undefined });
  assert.deepEqual(paths(s.server), []);
  assert.deepEqual(await filesIn(s.dataDir), []);
});

Deno.test("forget() keeps the identity file when the server cannot erase, so a later call can", async () => {
  await using s = await setup();
  const reporter = s.reporter();
  assert.equal((await reporter.sendNow()).ok, true);
  s.server.override((r) =>
    r.path === "/v1/erase" ? json(503, { error: { code: "x", message: "down" } }) : undefined
  );
  const failed = await reporter.forget();
  assert.equal(failed.ok, false);
  assert.equal(!failed.ok && failed.code, "server_unavailable");
  assert.equal(!failed.ok && failed.step, "erase");
  assert.deepEqual(await filesIn(s.dataDir), [IDENTITY_FILE]);

  s.server.override((r) =>
    r.path === "/v1/erase"
      ? json(403, { error: { code: "instance_revoked", message: "revoked" } })
      : undefined
  );
  const refused = await reporter.forget();
  assert.equal(refused.ok, false, "a 403 other than unknown_instance is a refusal");
  assert.deepEqual(await filesIn(s.dataDir), [IDENTITY_FILE]);

  s.server.override(undefined);
  const erased = await reporter.forget();
  assert.equal(erased.ok, true);
  assert.deepEqual(await filesIn(s.dataDir), []);
});

Deno.test("forget() of an instance the server no longer knows still deletes the identity file", async () => {
  await using s = await setup();
  const reporter = s.reporter();
  assert.equal((await reporter.sendNow()).ok, true);
  s.server.forget();
  const result = await reporter.forget();
  assert.equal(result.ok, true);
  assert.deepEqual(await filesIn(s.dataDir), []);
});

Deno.test("forget() with the server unreachable is a network_error and keeps the file", async () => {
  await using s = await setup();
  const first = s.reporter();
  assert.equal((await first.sendNow()).ok, true);
  const reporter = s.reporter({ serverUrl: "http://127.0.0.1:9" });
  const result = await reporter.forget();
  assert.equal(!result.ok && result.code, "network_error");
  assert.deepEqual(await filesIn(s.dataDir), [IDENTITY_FILE]);
});

Deno.test("forget() with DO_NOT_TRACK, the optOutEnv variable or in dry-run sends nothing and keeps the file", async () => {
  await using s = await setup();
  assert.equal((await s.reporter().sendNow()).ok, true);
  const requests = s.server.requests.length;
  const off = await s.reporter({}, { env: { DO_NOT_TRACK: "1" } }).forget();
  assert.equal(!off.ok && off.code, "disabled");
  const optedOut = await s.reporter({ optOutEnv: "MYAPP_NO_TELEMETRY" }, {
    env: { MYAPP_NO_TELEMETRY: "true" },
  }).forget();
  assert.equal(!optedOut.ok && optedOut.code, "disabled");
  assert.match(!optedOut.ok ? optedOut.message : "", /MYAPP_NO_TELEMETRY is set/);
  const dry = await s.reporter({}, { env: { SHM_TELEMETRY_DEBUG: "dry-run" } }).forget();
  assert.equal(!dry.ok && dry.code, "dry_run");
  assert.ok(s.logger.entries.some((e) => e.message.includes("POST /v1/erase")), "printed");
  assert.equal(s.server.requests.length, requests);
  assert.deepEqual(await filesIn(s.dataDir), [IDENTITY_FILE]);
});

Deno.test("forget() that cannot delete the file says so, and still sends nothing more", async () => {
  await using s = await setup();
  assert.equal((await s.reporter().sendNow()).ok, true);
  const reporter = s.reporter({}, {
    host: (host) =>
      withFailures(host, { remove: { ok: false, kind: "denied", message: "read-only" } }),
  });
  const result = await reporter.forget();
  assert.equal(!result.ok && result.code, "identity_unavailable");
  assert.match(!result.ok ? result.message : "", /erased instance .* delete it by hand/);
  const before = s.server.requests.length;
  assert.equal((await reporter.sendNow()).ok, false);
  assert.equal(s.server.requests.length, before);
});
