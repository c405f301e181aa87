import assert from "node:assert/strict";
import type { SHMOptions } from "./options.ts";
import { withFailures } from "./testing/fakes.ts";
import { json } from "./testing/fake_server.ts";
import { filesIn, paths, setup } from "./testing/reporter_setup.ts";

Deno.test("sendNow() registers, activates and sends a signed snapshot with custom and system metrics", async () => {
  await using s = await setup();
  const reporter = s.reporter({ environment: "staging" });
  reporter.setProvider(() => Promise.resolve({ users_count: 7, storage: { backend: "s3" } }));
  const result = await reporter.sendNow();

  const identity = JSON.parse(await Deno.readTextFile(`${s.dataDir}/test-app_shm_identity.json`));
  assert.deepEqual(result, { ok: true, status: 202, instanceId: identity.instanceId, dropped: [] });
  assert.deepEqual(paths(s.server), ["/v1/register", "/v1/activate", "/v1/snapshot"]);
  for (const request of s.server.requests) {
    assert.equal(request.signatureValid, true, request.path);
    assert.equal(request.headers.get("X-Instance-ID"), identity.instanceId);
    assert.equal(request.headers.get("Content-Type"), "application/json");
  }
  const [register] = s.server.bodies("/v1/register");
  assert.deepEqual(register, {
    instance_id: identity.instanceId,
    public_key: identity.publicKey,
    app_name: "Test App",
    app_version: "1.2.3",
    environment: "staging",
    deployment_mode: register!.deployment_mode,
    os_arch: `${Deno.build.os}/${Deno.build.arch === "x86_64" ? "x64" : "arm64"}`,
  });
  assert.match(String(register!.deployment_mode), /^(standalone|docker|kubernetes)$/);
  assert.deepEqual(s.server.bodies("/v1/activate"), [{ action: "activate" }]);

  const [snapshot] = s.server.bodies("/v1/snapshot");
  assert.equal(snapshot!.instance_id, identity.instanceId);
  assert.equal(snapshot!.app_version, "1.2.3");
  assert.equal(snapshot!.environment, "staging");
  assert.equal(new Date(String(snapshot!.timestamp)).toISOString(), snapshot!.timestamp);
  const metrics = snapshot!.metrics as Record<string, unknown>;
  assert.equal(metrics.users_count, 7);
  assert.deepEqual(metrics.storage, { backend: "s3" });
  assert.equal(metrics.sys_runtime, "deno");
  assert.equal(metrics.sys_runtime_version, Deno.version.deno);
  assert.equal(metrics.app_uptime_h, 2);
});

Deno.test("a second sendNow() only snapshots, with a strictly later timestamp even if the clock stands still", async () => {
  await using s = await setup();
  const reporter = s.reporter({}, { now: () => Date.parse("2026-03-01T12:00:00.000Z") });
  assert.equal((await reporter.sendNow()).ok, true);
  assert.equal((await reporter.sendNow()).ok, true);
  const [sendA, sendB] = await Promise.all([reporter.sendNow(), reporter.sendNow()]);
  assert.equal(sendA.ok && sendB.ok, true);
  assert.deepEqual(paths(s.server).slice(2), Array(4).fill("/v1/snapshot"));
  assert.deepEqual(s.server.bodies("/v1/snapshot").map((b) => b.timestamp), [
    "2026-03-01T12:00:00.000Z",
    "2026-03-01T12:00:00.001Z",
    "2026-03-01T12:00:00.002Z",
    "2026-03-01T12:00:00.003Z",
  ]);
});

Deno.test("preview() returns exactly the JSON the next send carries, and sends nothing", async () => {
  await using s = await setup();
  const reporter = s.reporter({ collectSystemMetrics: false }, {
    now: () => Date.parse("2026-03-01T12:00:00.000Z"),
  });
  reporter.setProvider(() => ({ notes: 3, plan: "free" }));
  const preview = await reporter.preview();
  assert.ok(preview.ok);
  assert.equal(s.server.requests.length, 0);
  assert.deepEqual(JSON.parse(preview.json), preview.payload);
  assert.deepEqual(preview.payload.metrics, { notes: 3, plan: "free" });

  assert.equal((await reporter.sendNow()).ok, true);
  const sent = s.server.requests.find((r) => r.path === "/v1/snapshot");
  assert.equal(sent?.body, preview.json);
});

Deno.test("SHM_COLLECT_SYSTEM_METRICS=false sends custom metrics only, and no os or deployment facts", async () => {
  for (const value of ["false", "0", "FALSE"]) {
    await using s = await setup();
    const reporter = s.reporter({}, { env: { SHM_COLLECT_SYSTEM_METRICS: value } });
    reporter.setProvider(() => ({ users_count: 1 }));
    assert.equal((await reporter.sendNow()).ok, true);
    const [register] = s.server.bodies("/v1/register");
    const [snapshot] = s.server.bodies("/v1/snapshot");
    assert.deepEqual(snapshot!.metrics, { users_count: 1 }, value);
    assert.equal("os_arch" in register!, false);
    assert.equal("deployment_mode" in snapshot!, false);
  }
});

for (
  const [name, env, options] of [
    ["DO_NOT_TRACK=1", { DO_NOT_TRACK: "1" }, {}],
    ["DO_NOT_TRACK=true", { DO_NOT_TRACK: "true" }, {}],
    ["DO_NOT_TRACK=TRUE", { DO_NOT_TRACK: "TRUE" }, {}],
    ["enabled: false", {}, { enabled: false }],
    [
      "optOutEnv MYAPP_NO_TELEMETRY=1",
      { MYAPP_NO_TELEMETRY: "1" },
      { optOutEnv: "MYAPP_NO_TELEMETRY" },
    ],
    [
      "optOutEnv MYAPP_NO_TELEMETRY=True",
      { MYAPP_NO_TELEMETRY: "True" },
      { optOutEnv: "MYAPP_NO_TELEMETRY" },
    ],
  ] as const
) {
  Deno.test(`${name}: no request, no file, no timer`, async () => {
    await using s = await setup();
    const reporter = s.reporter(options, { env });
    reporter.setProvider(() => ({ users_count: 1 }));
    const controller = reporter.start();
    const result = await reporter.sendNow();
    const preview = await reporter.preview();
    await Promise.resolve();
    assert.equal(result.ok === false && result.code, "disabled");
    assert.equal(preview.ok === false && preview.code, "disabled");
    assert.equal(controller.signal.aborted, false);
    assert.equal(s.server.requests.length, 0);
    assert.deepEqual(await filesIn(s.dataDir), []);
    assert.equal(s.timers.pending.size, 0);
    assert.deepEqual(s.logger.find("warn", ""), []);
    assert.deepEqual(s.logger.find("info", "Telemetry:"), [], "no notice");
  });
}

Deno.test("optOutEnv=0 or false leaves telemetry on", async () => {
  for (const value of ["0", "false", ""]) {
    await using s = await setup();
    const reporter = s.reporter({ optOutEnv: "MYAPP_NO_TELEMETRY" }, {
      env: { MYAPP_NO_TELEMETRY: value },
    });
    assert.equal((await reporter.sendNow()).ok, true, value);
  }
});

Deno.test('on CI the instance registers and reports environment "ci", unless the application set one', async () => {
  for (
    const [env, options, expected] of [
      [{ GITHUB_ACTIONS: "true" }, {}, "ci"],
      [{ CI: "1" }, {}, "ci"],
      [{ CI: "true" }, { environment: "staging" }, "staging"],
      [{ CI: "false" }, {}, undefined],
    ] as const
  ) {
    await using s = await setup();
    const result = await s.reporter(options, { env }).sendNow();
    assert.equal(result.ok, true);
    const [register] = s.server.bodies("/v1/register");
    const [snapshot] = s.server.bodies("/v1/snapshot");
    assert.equal(register!.environment, expected, JSON.stringify(env));
    assert.equal(snapshot!.environment, expected, JSON.stringify(env));
  }
});

Deno.test("DO_NOT_TRACK=0 or false leaves telemetry on", async () => {
  for (const value of ["0", "false", ""]) {
    await using s = await setup();
    const result = await s.reporter({}, { env: { DO_NOT_TRACK: value } }).sendNow();
    assert.equal(result.ok, true, value);
  }
});

Deno.test("an environment that may not be read turns telemetry off with a warning", async () => {
  await using s = await setup();
  const reporter = s.reporter({}, { host: (h) => withFailures(h, { envUnreadable: true }) });
  const result = await reporter.sendNow();
  assert.equal(result.ok === false && result.code, "disabled");
  assert.equal(s.server.requests.length, 0);
  assert.equal(s.logger.find("warn", "DO_NOT_TRACK may not be read").length, 1);
});

Deno.test("wrong options turn telemetry off with a warning instead of throwing", async () => {
  const cases: [Partial<SHMOptions>, RegExp][] = [
    [{ serverUrl: "not a url" }, /serverUrl is not a URL/],
    [{ serverUrl: "ftp://example.com" }, /http or https/],
    [{ appName: "" }, /appName must be a non-empty string/],
    [{ appName: 42 as unknown as string }, /appName must be/],
    [{ appVersion: "x".repeat(51) }, /appVersion is longer than 50/],
    [{ reportIntervalMs: Number.NaN }, /reportIntervalMs must be a positive number/],
    [{ optOutEnv: "MYAPP NO TELEMETRY" }, /optOutEnv must be the name of an environment variable/],
    [{ notice: "off" as unknown as boolean }, /notice must be true or false/],
  ];
  for (const [options, message] of cases) {
    await using s = await setup();
    const reporter = s.reporter(options);
    reporter.start();
    const result = await reporter.sendNow();
    assert.equal(result.ok === false && result.code, "disabled");
    assert.match(result.ok ? "" : result.message, message);
    assert.equal(s.logger.find("warn", "Telemetry is off").length, 1);
    assert.equal(s.server.requests.length, 0);
  }
});

Deno.test("after a 403 from a server that forgot the instance, it registers again and goes on", async () => {
  await using s = await setup();
  const reporter = s.reporter();
  assert.equal((await reporter.sendNow()).ok, true);
  s.server.forget();
  const result = await reporter.sendNow();
  assert.equal(result.ok, true);
  assert.deepEqual(paths(s.server).slice(3), [
    "/v1/snapshot",
    "/v1/register",
    "/v1/activate",
    "/v1/snapshot",
  ]);
});

Deno.test("a server that keeps answering 403 gets one new registration, not a loop", async () => {
  await using s = await setup();
  const reporter = s.reporter();
  assert.equal((await reporter.sendNow()).ok, true);
  s.server.override((r) =>
    r.path === "/v1/snapshot"
      ? json(403, { error: { code: "revoked", message: "revoked" } })
      : undefined
  );
  const result = await reporter.sendNow();
  assert.equal(result.ok === false && result.code, "unknown_instance");
  assert.deepEqual(paths(s.server).slice(3), [
    "/v1/snapshot",
    "/v1/register",
    "/v1/activate",
    "/v1/snapshot",
  ]);
});

Deno.test("dropped metrics are returned and warned about once", async () => {
  await using s = await setup();
  s.server.override((r) =>
    r.path === "/v1/snapshot"
      ? json(202, { status: "ok", message: "Snapshot received", dropped: ["tags: array"] })
      : undefined
  );
  const reporter = s.reporter();
  const first = await reporter.sendNow();
  await reporter.sendNow();
  assert.deepEqual(first.ok && first.dropped, ["tags: array"]);
  assert.equal(s.logger.find("warn", "tags: array").length, 1);
});

Deno.test("a provider that throws, rejects or returns a non-object never stops the snapshot", async () => {
  const providers: [string, () => never | Promise<never> | unknown][] = [
    ["throws", () => {
      throw new Error("database is down");
    }],
    ["rejects", () => Promise.reject(new Error("database is down"))],
    ["returns an array", () => [1, 2]],
    ["returns a BigInt", () => ({ big: 10n })],
  ];
  for (const [what, provider] of providers) {
    await using s = await setup();
    const reporter = s.reporter();
    reporter.setProvider(provider as () => Record<string, unknown>);
    assert.equal((await reporter.sendNow()).ok, true, what);
    assert.equal((await reporter.sendNow()).ok, true, what);
    for (const snapshot of s.server.bodies("/v1/snapshot")) {
      const metrics = snapshot.metrics as Record<string, unknown>;
      assert.equal(metrics.sys_runtime, "deno", what);
      assert.equal("big" in metrics || "0" in metrics, false, what);
    }
    assert.equal(s.logger.find("warn", "metrics provider").length, 1, what);
  }
});

Deno.test("a provider that never answers is given up after providerTimeoutMs", async () => {
  await using s = await setup();
  const reporter = s.reporter({ providerTimeoutMs: 1_234 });
  reporter.setProvider(() => new Promise(() => {}));
  const sending = reporter.sendNow();
  s.timers.fire((await s.timers.next((ms) => ms === 1_234)).ms);
  const result = await sending;
  assert.equal(result.ok, true);
  const [snapshot] = s.server.bodies("/v1/snapshot");
  assert.equal((snapshot!.metrics as Record<string, unknown>).sys_runtime, "deno");
  assert.equal(s.logger.find("warn", "did not answer within 1234 ms").length, 1);
});

Deno.test("SHM_TELEMETRY_DEBUG=1 prints each body before sending it", async () => {
  await using s = await setup();
  const reporter = s.reporter({}, { env: { SHM_TELEMETRY_DEBUG: "1" } });
  assert.equal((await reporter.sendNow()).ok, true);
  for (const request of s.server.requests) {
    assert.equal(s.logger.find("info", `Sending POST ${request.path} ${request.body}`).length, 1);
  }
});

Deno.test("SHM_TELEMETRY_DEBUG=dry-run prints the bodies instead of sending them", async () => {
  await using s = await setup();
  const reporter = s.reporter({}, { env: { SHM_TELEMETRY_DEBUG: "dry-run" } });
  reporter.setProvider(() => ({ users_count: 5 }));
  const result = await reporter.sendNow();
  assert.equal(result.ok === false && result.code, "dry_run");
  assert.equal(s.server.requests.length, 0);
  const printed = s.logger.find("info", "Would send POST /v1/snapshot ");
  assert.equal(printed.length, 1);
  const body = JSON.parse(printed[0]!.slice("Would send POST /v1/snapshot ".length));
  assert.equal(body.metrics.users_count, 5);
});

Deno.test("a logger that throws does not reach the application", async () => {
  await using s = await setup();
  const throwing = () => {
    throw new Error("logger broke");
  };
  const reporter = s.reporter({
    serverUrl: "nope",
    logger: { debug: throwing, info: throwing, warn: throwing, error: throwing },
  });
  reporter.start();
  assert.equal((await reporter.sendNow()).ok, false);
});
