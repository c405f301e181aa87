import assert from "node:assert/strict";
import { withFailures } from "./testing/fakes.ts";
import { json, startFakeServer } from "./testing/fake_server.ts";
import { INTERVAL, paths, setup } from "./testing/reporter_setup.ts";
import { REQUEST_TIMEOUT_MS } from "./transport.ts";

Deno.test("start() sends at once in the background, then once per interval, until stop()", async () => {
  await using s = await setup();
  const reporter = s.reporter();
  const controller = reporter.start();
  assert.equal(s.server.requests.length, 0);
  assert.equal(reporter.start(), controller);

  await s.timers.next((ms) => ms === INTERVAL);
  assert.deepEqual(paths(s.server), ["/v1/register", "/v1/activate", "/v1/snapshot"]);
  s.timers.fire(INTERVAL);
  await s.timers.next((ms) => ms === INTERVAL);
  assert.equal(s.server.bodies("/v1/snapshot").length, 2);
  assert.deepEqual(s.timers.delays(), [INTERVAL]);

  await reporter.stop();
  assert.equal(s.timers.pending.size, 0);
  assert.equal(controller.signal.aborted, true);
  assert.equal(reporter.running, false);
});

Deno.test("abort() on the controller start() returned stops the schedule", async () => {
  await using s = await setup();
  const reporter = s.reporter();
  const controller = reporter.start();
  await s.timers.next((ms) => ms === INTERVAL);
  controller.abort();
  await Promise.resolve();
  assert.equal(s.timers.pending.size, 0);
  assert.equal(reporter.running, false);
});

Deno.test("503 and 429 back off exponentially, honour Retry-After, and never wait past the interval", async () => {
  await using s = await setup();
  let answer: Response | undefined = json(503, { error: { code: "unavailable", message: "db" } });
  s.server.override((r) => r.path === "/v1/snapshot" ? answer?.clone() : undefined);
  const reporter = s.reporter({ reportIntervalMs: 10 * INTERVAL });
  reporter.start();

  const nextDelay = async () => {
    const timer = await s.timers.next((ms) => ms !== REQUEST_TIMEOUT_MS);
    s.timers.fire(timer.ms);
    return timer.ms;
  };
  assert.equal(await nextDelay(), 22_500); // random 0.5 of [15 s, 30 s]
  assert.equal(await nextDelay(), 45_000);
  answer = json(429, { error: { code: "rate_limited", message: "slow" } }, {
    "Retry-After": "200",
  });
  assert.equal(await nextDelay(), 200_000); // Retry-After beats the 90 s of the backoff
  answer = json(429, {}, { "Retry-After": "86400" });
  assert.equal(await nextDelay(), 10 * INTERVAL); // a day asked, the interval given
  answer = undefined;
  // Success: back to the plain interval.
  assert.equal((await s.timers.next((ms) => ms !== REQUEST_TIMEOUT_MS)).ms, 10 * INTERVAL);
  assert.equal(s.server.bodies("/v1/snapshot").length, 5);
  await reporter.stop();
  // One warning per distinct problem, not one per retry.
  assert.deepEqual(s.logger.find("warn", "will retry"), [
    "The server is unavailable (snapshot: 503, unavailable: db); will retry",
    "The server asks to slow down (snapshot: 429, rate_limited: slow); will retry",
    "The server asks to slow down (snapshot: 429); will retry",
  ]);
});

Deno.test("a network failure is retried with backoff and reported as network_error", async () => {
  await using s = await setup();
  const closed = startFakeServer();
  const url = closed.url;
  await closed[Symbol.asyncDispose]();
  const reporter = s.reporter({ serverUrl: url });
  const result = await reporter.sendNow();
  assert.equal(result.ok === false && result.code, "network_error");
  assert.equal(result.ok === false && result.step, "register");
  reporter.start();
  assert.equal((await s.timers.next((ms) => ms !== REQUEST_TIMEOUT_MS)).ms, 22_500);
  assert.equal(s.logger.find("warn", "Cannot reach the server").length, 1);
});

Deno.test("a 400 on snapshot is logged once and not retried before the next interval", async () => {
  await using s = await setup();
  s.server.override((r) =>
    r.path === "/v1/snapshot"
      ? json(400, { error: { code: "bad_metrics", message: "metrics must be an object" } })
      : undefined
  );
  const reporter = s.reporter();
  reporter.start();
  for (let round = 0; round < 3; round++) {
    await s.timers.next((ms) => ms === INTERVAL);
    s.timers.fire(INTERVAL);
  }
  await s.timers.next((ms) => ms === INTERVAL);
  const result = await reporter.sendNow();
  assert.equal(result.ok === false && result.code, "rejected");
  assert.equal(result.ok === false && result.status, 400);
  assert.match(result.ok ? "" : result.message, /bad_metrics: metrics must be an object/);
  assert.equal(s.server.bodies("/v1/snapshot").length, 5);
  assert.equal(s.logger.find("warn", "bad_metrics").length, 1);
});

Deno.test("a key conflict on register stops telemetry for good, logged once as an error", async () => {
  await using s = await setup();
  s.server.override((r) =>
    r.path === "/v1/register"
      ? json(409, { error: { code: "key_conflict", message: "k" } })
      : undefined
  );
  const reporter = s.reporter();
  reporter.start();
  await s.server.waitFor((r) => r.path === "/v1/register");
  const result = await reporter.sendNow();
  assert.equal(result.ok === false && result.code, "key_conflict");
  assert.equal(s.server.requests.length, 1);
  assert.equal(s.timers.pending.size, 0);
  assert.equal(s.logger.find("error", "another public key").length, 1);
});

Deno.test("a read-only data directory turns telemetry off with a warning, without requests", async () => {
  await using s = await setup();
  const reporter = s.reporter({}, {
    host: (h) => withFailures(h, { write: { ok: false, kind: "denied", message: "EROFS" } }),
  });
  reporter.start();
  const result = await reporter.sendNow();
  assert.equal(result.ok === false && result.code, "identity_unavailable");
  const preview = await reporter.preview();
  assert.equal(preview.ok === false && preview.code, "identity_unavailable");
  assert.equal(s.server.requests.length, 0);
  assert.equal(s.timers.pending.size, 0);
  assert.equal(s.logger.find("warn", "identity cannot be stored").length, 1);
});

Deno.test("stop() aborts a request in flight; the pending send resolves as aborted", async () => {
  await using s = await setup();
  const { promise: released, resolve: release } = Promise.withResolvers<Response>();
  s.server.override((r) => r.path === "/v1/register" ? released : undefined);
  const reporter = s.reporter();
  reporter.start();
  const sending = reporter.sendNow();
  await s.server.waitFor((r) => r.path === "/v1/register");
  await reporter.stop();
  const result = await sending;
  release(json(503, {}));
  assert.equal(result.ok === false && result.code, "aborted");
  assert.equal(s.timers.pending.size, 0);
});
