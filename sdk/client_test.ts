import assert from "node:assert/strict";
import { SHMClient } from "./client.ts";
import type { FakeServer } from "./testing/fake_server.ts";
import { startFakeServer } from "./testing/fake_server.ts";
import { RecordingLogger } from "./testing/fakes.ts";
import { outputWithin } from "./testing/process.ts";

const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const MOD = new URL("./mod.ts", import.meta.url).href;

/** Runs `source` as a Deno program with a clean environment and the given flags. */
async function runScript(
  source: string,
  options: { flags: string[]; args: string[]; env?: Record<string, string>; dir: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `${options.dir}/script.ts`;
  await Deno.writeTextFile(script, source);
  const output = await outputWithin(
    new Deno.Command(Deno.execPath(), {
      args: ["run", `--config=${CONFIG}`, ...options.flags, script, ...options.args],
      env: { NO_COLOR: "1", ...options.env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }),
    120_000,
  );
  await Deno.remove(script);
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const stderr = decode(output.stderr) +
    (output.killed ? `\n(killed: still running after 120 s)` : "");
  return { code: output.code, stdout: decode(output.stdout), stderr };
}

async function filesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

const START_ONLY = `
import { SHMClient } from ${JSON.stringify(MOD)};
const [serverUrl, dataDir] = Deno.args;
const client = new SHMClient({ serverUrl, appName: "Exit Test", appVersion: "1.0.0", dataDir });
client.setProvider(() => ({ jobs: 3 }));
const controller = client.start();
console.log(controller instanceof AbortController ? "started" : "no controller");
`;

Deno.test("SHMClient: start() returns at once, reports in the background, and never keeps the process alive", async () => {
  await using server: FakeServer = startFakeServer();
  const dir = await Deno.makeTempDir({ prefix: "shm_client_test_" });
  try {
    const run = await runScript(START_ONLY, {
      flags: ["--allow-all"],
      args: [server.url, dir],
      dir,
    });
    // The program ends without stop(): the schedule's timer is unref'd.
    assert.equal(run.code, 0, run.stderr);
    // The default logger shows the notice of a new identity, after start() has returned.
    const [started, notice, ...rest] = run.stdout.trim().split("\n");
    assert.equal(started, "started");
    assert.match(
      notice ?? "",
      /^\[shm\] Telemetry: Exit Test sends usage statistics to 127\.0\.0\.1:\d+ every hour .* Turn it off with DO_NOT_TRACK=1\.$/,
    );
    assert.deepEqual(rest, []);
    assert.equal(run.stderr, "");
    assert.deepEqual(server.requests.map((r) => r.path), [
      "/v1/register",
      "/v1/activate",
      "/v1/snapshot",
    ]);
    const [snapshot] = server.bodies("/v1/snapshot");
    assert.equal((snapshot!.metrics as Record<string, unknown>).jobs, 3);
    assert.deepEqual(await filesIn(dir), ["exit-test_shm_identity.json"]);

    const again = await runScript(START_ONLY, {
      flags: ["--allow-all"],
      args: [server.url, dir],
      dir,
    });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), "started", "no notice once the identity exists");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const SEND_ONCE = `
import { SHMClient } from ${JSON.stringify(MOD)};
const [serverUrl, dataDir] = Deno.args;
const client = new SHMClient({ serverUrl, appName: "Perm Test", appVersion: "1.0.0", dataDir });
const result = await client.sendNow();
console.log(JSON.stringify(result));
`;

Deno.test("SHMClient on Deno: a missing permission turns telemetry off with a warning", async (t) => {
  await using server: FakeServer = startFakeServer();
  const dir = await Deno.makeTempDir({ prefix: "shm_client_perm_test_" });
  const env = "--allow-env=DO_NOT_TRACK,SHM_COLLECT_SYSTEM_METRICS,SHM_TELEMETRY_DEBUG";
  const net = `--allow-net=${new URL(server.url).host}`;
  const cases: [string, string[], string, RegExp][] = [
    [
      "no write permission",
      [env, net, `--allow-read=${dir}`],
      "identity_unavailable",
      /identity cannot be stored/,
    ],
    [
      "no env permission",
      [net, `--allow-read=${dir}`, `--allow-write=${dir}`],
      "disabled",
      /--allow-env=DO_NOT_TRACK/,
    ],
    [
      "no net permission",
      [env, `--allow-read=${dir}`, `--allow-write=${dir}`],
      "disabled",
      /--allow-net=127\.0\.0\.1:/,
    ],
  ];
  try {
    for (const [name, flags, code, warning] of cases) {
      await t.step(name, async () => {
        const run = await runScript(SEND_ONCE, { flags, args: [server.url, dir], dir });
        assert.equal(run.code, 0, run.stderr);
        assert.equal(JSON.parse(run.stdout).code, code);
        assert.match(run.stderr, warning);
        assert.match(run.stderr, /^\[shm\] /);
        assert.equal(server.requests.length, 0);
        assert.deepEqual(await filesIn(dir), []);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SHMClient never throws: wrong options and enabled: false give results, not exceptions", async () => {
  const logger = new RecordingLogger();
  const wrong = new SHMClient({
    serverUrl: 42 as unknown as string,
    appName: "x",
    appVersion: "1",
    logger,
  });
  const off = new SHMClient({
    serverUrl: "http://127.0.0.1:9",
    appName: "x",
    appVersion: "1",
    enabled: false,
  });
  for (const client of [wrong, off]) {
    client.setProvider(() => {
      throw new Error("never called");
    });
    const controller = client.start();
    assert.ok(controller instanceof AbortController);
    const sent = await client.sendNow();
    const preview = await client.preview();
    assert.equal(sent.ok === false && sent.code, "disabled");
    assert.equal(preview.ok === false && preview.code, "disabled");
    await client.stop();
    assert.equal(controller.signal.aborted, true);
  }
});

const SEND_ENVIRONMENT = `
import { SHMClient } from ${JSON.stringify(MOD)};
const [serverUrl, dataDir] = Deno.args;
const client = new SHMClient({ serverUrl, appName: "CI Test", appVersion: "1.0.0", dataDir, notice: false });
console.log(JSON.stringify(await client.sendNow()));
`;

Deno.test("SHMClient on Deno: CI=true reports environment ci, and without --allow-env for CI it does not prompt", async (t) => {
  await using server: FakeServer = startFakeServer();
  const dir = await Deno.makeTempDir({ prefix: "shm_client_ci_test_" });
  const net = `--allow-net=${new URL(server.url).host}`;
  const files = [`--allow-read=${dir}`, `--allow-write=${dir}`];
  const cases: [string, string[], string | undefined][] = [
    ["with --allow-env", ["--allow-env", net, ...files], "ci"],
    [
      "with --allow-env for the SDK's own variables only",
      ["--allow-env=DO_NOT_TRACK,SHM_COLLECT_SYSTEM_METRICS,SHM_TELEMETRY_DEBUG", net, ...files],
      undefined,
    ],
  ];
  try {
    for (const [name, flags, environment] of cases) {
      await t.step(name, async () => {
        const before = server.bodies("/v1/register").length;
        // A CI variable the SDK may not read leaves telemetry on, unlabelled and without a warning.
        const run = await runScript(SEND_ENVIRONMENT, {
          flags,
          args: [server.url, dir],
          env: { CI: "true" },
          dir,
        });
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stderr, "");
        assert.equal(JSON.parse(run.stdout).ok, true, run.stdout);
        const register = server.bodies("/v1/register").at(-1);
        assert.equal(server.bodies("/v1/register").length, before + 1);
        assert.equal(register?.environment, environment);
        await Deno.remove(`${dir}/ci-test_shm_identity.json`);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
