// deno-lint-ignore-file no-console -- the default logger's output is what this test watches
import assert from "node:assert/strict";
import { consoleLogger, OnceLogger } from "./log.ts";
import { firstRunNotice } from "./notice.ts";
import type { Settings } from "./options.ts";
import { filesIn, setup } from "./testing/reporter_setup.ts";

const NOTICE = "Telemetry: Test App sends usage statistics";

Deno.test("the first start logs the notice once, at info level; the next start does not", async () => {
  await using s = await setup();
  const first = s.reporter();
  assert.equal((await first.sendNow()).ok, true);
  assert.equal((await first.sendNow()).ok, true);
  const host = new URL(s.server.url).host;
  assert.deepEqual(s.logger.entries.filter((e) => e.message.startsWith("Telemetry:")), [{
    level: "info",
    message: `${NOTICE} to ${host} every minute (a random instance id, its version, OS and ` +
      "runtime facts, and its own counters). Turn it off with DO_NOT_TRACK=1.",
  }]);
  await first.stop();

  const second = s.reporter();
  assert.equal((await second.sendNow()).ok, true);
  assert.equal(s.logger.find("info", NOTICE).length, 1, "not shown again");
});

Deno.test("the notice names the application's optOutEnv", async () => {
  await using s = await setup();
  await s.reporter({ optOutEnv: "MYAPP_NO_TELEMETRY" }).sendNow();
  const [notice, ...others] = s.logger.find("info", NOTICE);
  assert.deepEqual(others, []);
  assert.match(notice ?? "", / Turn it off with DO_NOT_TRACK=1 or MYAPP_NO_TELEMETRY=1\.$/);
});

Deno.test("notice: false silences the notice, and the identity is still created", async () => {
  await using s = await setup();
  assert.equal((await s.reporter({ notice: false }).sendNow()).ok, true);
  assert.deepEqual(s.logger.find("info", "Telemetry:"), []);
  assert.deepEqual(await filesIn(s.dataDir), ["test-app_shm_identity.json"]);
});

Deno.test("no notice when telemetry is off, since no identity is created", async () => {
  await using s = await setup();
  const reporter = s.reporter({}, { env: { DO_NOT_TRACK: "1" } });
  reporter.start();
  await reporter.sendNow();
  await reporter.preview();
  assert.deepEqual(s.logger.find("info", "Telemetry:"), []);
  assert.deepEqual(await filesIn(s.dataDir), []);
});

Deno.test("preview() creating the identity shows the notice, and the send after it does not", async () => {
  await using s = await setup();
  const reporter = s.reporter();
  assert.equal((await reporter.preview()).ok, true);
  assert.equal((await reporter.sendNow()).ok, true);
  assert.equal(s.logger.find("info", NOTICE).length, 1);
});

Deno.test("firstRunNotice() leaves out system facts when they are off, and says the interval", () => {
  const settings: Settings = {
    serverUrl: "https://telemetry.example.com/shm",
    appName: "My App",
    appVersion: "1.0.0",
    dataDir: ".",
    environment: undefined,
    ciVariable: undefined,
    optOutEnv: undefined,
    notice: true,
    reportIntervalMs: 6 * 3_600_000,
    collectSystemMetrics: false,
    providerTimeoutMs: 5_000,
    debug: "off",
  };
  assert.equal(
    firstRunNotice(settings),
    "Telemetry: My App sends usage statistics to telemetry.example.com every 6 hours " +
      "(a random instance id, its version and its own counters). Turn it off with DO_NOT_TRACK=1.",
  );
  assert.match(
    firstRunNotice({ ...settings, reportIntervalMs: 90 * 60_000 }),
    / every 90 minutes /,
  );
});

Deno.test("the default logger shows a notice even when it hides other info lines", () => {
  const printed: unknown[][] = [];
  const original = console.info;
  console.info = (...args: unknown[]) => void printed.push(args);
  try {
    const logger = consoleLogger(false);
    const log = new OnceLogger(logger, (message) => logger.notice(message));
    log.log("info", "Registered instance x");
    log.notice("Telemetry: shown");
  } finally {
    console.info = original;
  }
  assert.deepEqual(printed, [["[shm] Telemetry: shown"]]);
});
