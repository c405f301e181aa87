import assert from "node:assert/strict";
import { createDenoHost } from "./deno_host.ts";
import type { SHMOptions } from "./options.ts";
import { debugMode, MIN_REPORT_INTERVAL_MS, resolveSettings } from "./options.ts";
import { withEnv, withFailures } from "./testing/fakes.ts";

const BASE: SHMOptions = {
  serverUrl: "https://telemetry.example.com/",
  appName: "my-app",
  appVersion: "1.4.2",
};

const hostWith = (env: Record<string, string> = {}) => withEnv(createDenoHost(), env);

Deno.test("resolveSettings() fills in the original SDK's defaults and freezes the result", () => {
  const resolution = resolveSettings(BASE, hostWith());
  assert.ok(resolution.enabled);
  assert.deepEqual(resolution.settings, {
    serverUrl: "https://telemetry.example.com",
    appName: "my-app",
    appVersion: "1.4.2",
    dataDir: ".",
    environment: undefined,
    reportIntervalMs: 3_600_000,
    collectSystemMetrics: true,
    providerTimeoutMs: 5_000,
    debug: "off",
  });
  assert.equal(Object.isFrozen(resolution.settings), true);
});

Deno.test("resolveSettings() keeps a path prefix of the server URL", () => {
  const resolution = resolveSettings(
    { ...BASE, serverUrl: "https://example.com/shm//" },
    hostWith(),
  );
  assert.equal(resolution.enabled && resolution.settings.serverUrl, "https://example.com/shm");
});

Deno.test("resolveSettings() raises a short interval to one minute, with a note", () => {
  const resolution = resolveSettings({ ...BASE, reportIntervalMs: 1_000 }, hostWith());
  assert.ok(resolution.enabled);
  assert.equal(resolution.settings.reportIntervalMs, MIN_REPORT_INTERVAL_MS);
  assert.match(resolution.notes[0] ?? "", /raised to the minimum of 60000/);
});

Deno.test("DO_NOT_TRACK wins over enabled: true, quietly", () => {
  for (const value of ["1", "true", "True", " TRUE "]) {
    const resolution = resolveSettings(
      { ...BASE, enabled: true },
      hostWith({ DO_NOT_TRACK: value }),
    );
    assert.deepEqual(resolution, { enabled: false, reason: "DO_NOT_TRACK is set", warn: false });
  }
  for (const value of ["0", "false", "", "no"]) {
    assert.equal(resolveSettings(BASE, hostWith({ DO_NOT_TRACK: value })).enabled, true, value);
  }
});

Deno.test("SHM_COLLECT_SYSTEM_METRICS=0|false wins over collectSystemMetrics: true", () => {
  const settings = (options: Partial<SHMOptions>, env: Record<string, string>) => {
    const resolution = resolveSettings({ ...BASE, ...options }, hostWith(env));
    assert.ok(resolution.enabled);
    return resolution.settings.collectSystemMetrics;
  };
  assert.equal(
    settings({ collectSystemMetrics: true }, { SHM_COLLECT_SYSTEM_METRICS: "0" }),
    false,
  );
  assert.equal(settings({}, { SHM_COLLECT_SYSTEM_METRICS: "FALSE" }), false);
  assert.equal(
    settings({ collectSystemMetrics: false }, { SHM_COLLECT_SYSTEM_METRICS: "1" }),
    false,
  );
  assert.equal(settings({}, { SHM_COLLECT_SYSTEM_METRICS: "1" }), true);
  assert.equal(settings({}, {}), true);
});

Deno.test("resolveSettings() turns telemetry off, with a warning, where it may not read the environment", () => {
  const host = withFailures(createDenoHost(), { envUnreadable: true });
  const resolution = resolveSettings(BASE, host);
  assert.equal(resolution.enabled, false);
  assert.equal(!resolution.enabled && resolution.warn, true);
  assert.match(!resolution.enabled ? resolution.reason : "", /--allow-env=DO_NOT_TRACK,/);
});

Deno.test("resolveSettings() turns telemetry off where it may not connect to the server", () => {
  const host = { ...hostWith(), mayConnect: () => false };
  const resolution = resolveSettings(BASE, host);
  assert.equal(resolution.enabled, false);
  assert.match(
    !resolution.enabled ? resolution.reason : "",
    /--allow-net=telemetry\.example\.com/,
  );
});

Deno.test("resolveSettings() on an unsupported runtime turns telemetry off with a warning", () => {
  assert.deepEqual(resolveSettings(BASE, undefined), {
    enabled: false,
    reason: "this runtime is not supported",
    warn: true,
  });
});

Deno.test("resolveSettings() names the wrong option and its value", () => {
  const cases: [unknown, string][] = [
    [null, "options must be an object"],
    [{ ...BASE, serverUrl: undefined }, "serverUrl must be a string"],
    [
      { ...BASE, serverUrl: "telemetry.example.com" },
      'serverUrl is not a URL: "telemetry.example.com"',
    ],
    [{ ...BASE, serverUrl: "ws://x" }, 'serverUrl must use http or https: "ws://x"'],
    [{ ...BASE, appName: "  " }, "appName must be a non-empty string"],
    [
      { ...BASE, appName: "a".repeat(101) },
      `appName is longer than 100 characters: "${"a".repeat(20)}…"`,
    ],
    [{ ...BASE, appVersion: 3 }, "appVersion must be a non-empty string"],
    [
      { ...BASE, environment: "e".repeat(51) },
      `environment is longer than 50 characters: "${"e".repeat(20)}…"`,
    ],
    [{ ...BASE, dataDir: "" }, "dataDir must be a non-empty string"],
    [{ ...BASE, reportIntervalMs: -1 }, "reportIntervalMs must be a positive number: -1"],
    [
      { ...BASE, providerTimeoutMs: Infinity },
      "providerTimeoutMs must be a positive number: Infinity",
    ],
  ];
  for (const [options, reason] of cases) {
    const resolution = resolveSettings(options as SHMOptions, hostWith());
    assert.deepEqual(resolution, { enabled: false, reason, warn: true });
  }
});

Deno.test("debugMode() reads SHM_TELEMETRY_DEBUG", () => {
  assert.equal(debugMode(hostWith({ SHM_TELEMETRY_DEBUG: "1" })), "print");
  assert.equal(debugMode(hostWith({ SHM_TELEMETRY_DEBUG: "true" })), "print");
  assert.equal(debugMode(hostWith({ SHM_TELEMETRY_DEBUG: "dry-run" })), "dry-run");
  assert.equal(debugMode(hostWith({ SHM_TELEMETRY_DEBUG: "0" })), "off");
  assert.equal(debugMode(hostWith({})), "off");
  assert.equal(debugMode(undefined), "off");
});
