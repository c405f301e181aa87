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
    ciVariable: undefined,
    optOutEnv: undefined,
    notice: true,
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
    [{ ...BASE, notice: "no" }, 'notice must be true or false: "no"'],
    [{ ...BASE, notice: 0 }, "notice must be true or false: 0"],
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

Deno.test("optOutEnv set to 1 or true turns telemetry off quietly, as DO_NOT_TRACK does", () => {
  const options = { ...BASE, optOutEnv: "MYAPP_NO_TELEMETRY" };
  for (const value of ["1", "true", "True", " TRUE "]) {
    assert.deepEqual(resolveSettings(options, hostWith({ MYAPP_NO_TELEMETRY: value })), {
      enabled: false,
      reason: "MYAPP_NO_TELEMETRY is set",
      warn: false,
    }, value);
  }
  for (const value of ["0", "false", "", "no"]) {
    const resolution = resolveSettings(options, hostWith({ MYAPP_NO_TELEMETRY: value }));
    assert.equal(resolution.enabled, true, value);
    assert.equal(resolution.enabled && resolution.settings.optOutEnv, "MYAPP_NO_TELEMETRY");
  }
  // Another application's variable means nothing to this one.
  assert.equal(resolveSettings(BASE, hostWith({ MYAPP_NO_TELEMETRY: "1" })).enabled, true);
});

Deno.test("optOutEnv that is not a variable name turns telemetry off with a warning naming it", () => {
  const cases: [unknown, string][] = [
    ["MY-APP_OFF", '"MY-APP_OFF"'],
    ["1APP", '"1APP"'],
    ["", '""'],
    ["A".repeat(101), `"${"A".repeat(101)}"`],
    [42, "42"],
  ];
  for (const [optOutEnv, shown] of cases) {
    const resolution = resolveSettings(
      { ...BASE, optOutEnv } as unknown as SHMOptions,
      hostWith(),
    );
    assert.equal(resolution.enabled, false, shown);
    assert.equal(!resolution.enabled && resolution.warn, true, shown);
    assert.equal(
      !resolution.enabled && resolution.reason,
      "optOutEnv must be the name of an environment variable (letters, digits and _, " +
        `not starting with a digit, at most 100 characters): ${shown}`,
    );
  }
  // DO_NOT_TRACK still turns it off quietly, as with any other wrong option.
  const quiet = resolveSettings({ ...BASE, optOutEnv: "MY-APP" }, hostWith({ DO_NOT_TRACK: "1" }));
  assert.deepEqual(quiet, { enabled: false, reason: "DO_NOT_TRACK is set", warn: false });
});

Deno.test("optOutEnv that may not be read turns telemetry off with the --allow-env to grant", () => {
  const base = hostWith({});
  const host = {
    ...base,
    env: (name: string) =>
      name === "MYAPP_NO_TELEMETRY" ? { readable: false as const } : base.env(name),
  };
  const resolution = resolveSettings({ ...BASE, optOutEnv: "MYAPP_NO_TELEMETRY" }, host);
  assert.deepEqual(resolution, {
    enabled: false,
    reason: "the environment variable MYAPP_NO_TELEMETRY may not be read (with Deno, grant " +
      "--allow-env=DO_NOT_TRACK,SHM_COLLECT_SYSTEM_METRICS,SHM_TELEMETRY_DEBUG,MYAPP_NO_TELEMETRY)",
    warn: true,
  });
});

Deno.test("notice is on unless the application sets notice: false", () => {
  const notice = (options: Partial<SHMOptions>) => {
    const resolution = resolveSettings({ ...BASE, ...options }, hostWith());
    assert.ok(resolution.enabled);
    return resolution.settings.notice;
  };
  assert.equal(notice({}), true);
  assert.equal(notice({ notice: true }), true);
  assert.equal(notice({ notice: false }), false);
});
