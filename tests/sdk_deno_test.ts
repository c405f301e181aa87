/**
 * The SDK on Deno against a real server process: the Deno example app with
 * the narrow permissions its header documents, and a client that sends,
 * is upgraded, and sends again. Each runs as its own process with a clean
 * environment, as a user's application would.
 */

import assert from "node:assert/strict";
import { adminGet, startServer, type TestServer } from "./support/server.ts";
import { outputWithin } from "../sdk/testing/process.ts";

const REPO = new URL("../", import.meta.url).pathname;

interface AdminInstance {
  instance_id: string;
  app_slug: string;
  app_version: string;
  status: string;
  environment: string | null;
  metrics: Record<string, unknown>;
}

async function instancesOf(server: TestServer, slug: string): Promise<AdminInstance[]> {
  const listed = await adminGet(server, `/api/v1/admin/instances?app=${slug}`) as {
    instances: AdminInstance[];
  };
  return listed.instances;
}

async function runDeno(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await outputWithin(
    new Deno.Command(Deno.execPath(), {
      args,
      cwd: options.cwd,
      env: { NO_COLOR: "1", ...options.env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }),
    120_000,
  );
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const stderr = decode(output.stderr) +
    (output.killed ? `\n(killed: still running after 120 s)` : "");
  return { code: output.code, stdout: decode(output.stdout), stderr };
}

Deno.test("sdk on Deno, against a real server", async (t) => {
  await using server = await startServer();
  await t.step(
    "the example app reports itself with narrow permissions and exits by itself",
    () => exampleApp(server),
  );
  await t.step(
    "sendNow() reports at once, and an upgrade keeps the instance id",
    () => sendAndUpgrade(server),
  );
  await t.step("DO_NOT_TRACK=1 sends nothing and writes nothing", () => doNotTrack(server));
  await t.step(
    "sdk/mod.ts imported by path from a folder outside the repository, with no deno.json",
    () => importedFromOutside(server),
  );
  await t.step(
    "forget() has the server erase the instance and deletes the identity file",
    () => forget(server),
  );
});

/**
 * A user's script in a folder of its own imports `sdk/mod.ts` by its file URL, as one would
 * before the SDK is published: no copy, no configuration, the SDK's own `npm:` imports only.
 */
async function importedFromOutside(server: TestServer): Promise<void> {
  const workDir = await Deno.makeTempDir({ prefix: "shm_sdk_outside_" });
  try {
    assert.equal(workDir.startsWith(REPO), false, "the folder is outside the repository");
    const script = `${workDir}/send.ts`;
    await Deno.writeTextFile(script, sendScript(new URL("../sdk/mod.ts", import.meta.url).href));
    const home = Deno.env.get("HOME");
    const denoDir = Deno.env.get("DENO_DIR");
    const run = await runDeno(
      ["run", "--no-config", "--allow-all", script, server.url, workDir, "3.0.0"],
      {
        cwd: workDir,
        env: { ...(home ? { HOME: home } : {}), ...(denoDir ? { DENO_DIR: denoDir } : {}) },
      },
    );
    assert.equal(run.code, 0, `send failed:\n${run.stdout}\n${run.stderr}`);
    const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.status, 202);
    const [instance] = (await instancesOf(server, "sdk-e2e-app"))
      .filter((listed) => listed.instance_id === result.instanceId);
    assert.equal(instance?.status, "active");
    assert.equal(instance?.app_version, "3.0.0");
    assert.equal(instance?.metrics.users_count, 7);
    const files: string[] = [];
    for await (const entry of Deno.readDir(workDir)) files.push(entry.name);
    assert.equal(files.includes("deno.json"), false, "no configuration was written");
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
}

async function exampleApp(server: TestServer): Promise<void> {
  const workDir = await Deno.makeTempDir({ prefix: "shm_sdk_deno_example_" });
  try {
    const dataDir = `${workDir}/data`;
    const run = await runDeno([
      "run",
      `--config=${REPO}deno.json`,
      `--allow-net=127.0.0.1:${server.port}`,
      `--allow-read=${workDir}`,
      `--allow-write=${workDir}`,
      "--allow-env=SHM_SERVER_URL,EXAMPLE_DATA_DIR,DO_NOT_TRACK,SHM_COLLECT_SYSTEM_METRICS,SHM_TELEMETRY_DEBUG",
      "--no-prompt",
      `${REPO}examples/deno/main.ts`,
    ], { cwd: workDir, env: { SHM_SERVER_URL: server.url, EXAMPLE_DATA_DIR: dataDir } });
    assert.equal(run.code, 0, `example failed:\n${run.stdout}\n${run.stderr}`);
    assert.equal(run.stderr, "", "the SDK warned about nothing");

    const previewLine = run.stdout.split("\n").find((l) => l.startsWith("Telemetry will send: "));
    assert.ok(previewLine, run.stdout);
    const preview = JSON.parse(previewLine.slice("Telemetry will send: ".length));
    const identity = JSON.parse(
      await Deno.readTextFile(`${dataDir}/example-deno-app_shm_identity.json`),
    );
    assert.equal(preview.instance_id, identity.instanceId);
    assert.equal(
      (await Deno.stat(`${dataDir}/example-deno-app_shm_identity.json`)).mode! & 0o777,
      0o600,
    );

    const [instance, ...others] = await instancesOf(server, "example-deno-app");
    assert.deepEqual(others, []);
    assert.equal(instance?.instance_id, identity.instanceId);
    assert.equal(instance?.status, "active");
    assert.equal(instance?.app_version, "1.0.0");
    assert.equal(instance?.metrics.notes_count, 2);
    assert.equal(instance?.metrics.sys_runtime, "deno");
    assert.equal(instance?.metrics.sys_runtime_version, Deno.version.deno);
    assert.equal(typeof instance?.metrics.app_mem_rss_mb, "number");
    // Without read access to /.dockerenv and friends the mode cannot be told: left out, not faked.
    assert.equal("sys_mode" in instance!.metrics, false);
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
}

async function sendAndUpgrade(server: TestServer): Promise<void> {
  const workDir = await Deno.makeTempDir({ prefix: "shm_sdk_deno_send_" });
  try {
    const script = `${workDir}/send.ts`;
    await Deno.writeTextFile(script, sendScript(new URL("../sdk/mod.ts", import.meta.url).href));
    const send = async (appVersion: string) => {
      const run = await runDeno(
        [
          "run",
          `--config=${REPO}deno.json`,
          "--allow-all",
          script,
          server.url,
          workDir,
          appVersion,
        ],
        { cwd: workDir },
      );
      assert.equal(run.code, 0, `send failed:\n${run.stdout}\n${run.stderr}`);
      return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    };

    const first = await send("2.0.0");
    assert.equal(first.ok, true, JSON.stringify(first));
    assert.equal(first.status, 202);
    let [instance] = await instancesOf(server, "sdk-e2e-app");
    assert.equal(instance?.instance_id, first.instanceId);
    assert.equal(instance?.status, "active");
    assert.equal(instance?.app_version, "2.0.0");
    assert.equal(instance?.environment, "e2e");
    assert.equal(instance?.metrics.users_count, 7);
    assert.equal(instance?.metrics["storage.backend"], "s3");
    assert.equal(instance?.metrics.sys_runtime, "deno");
    assert.match(String(instance?.metrics.sys_mode), /^(standalone|docker|kubernetes)$/);

    const second = await send("2.1.0");
    assert.equal(second.ok, true, JSON.stringify(second));
    assert.equal(second.instanceId, first.instanceId);
    const instances = await instancesOf(server, "sdk-e2e-app");
    assert.equal(instances.length, 1);
    instance = instances[0];
    assert.equal(instance?.app_version, "2.1.0");
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
}

async function doNotTrack(server: TestServer): Promise<void> {
  const workDir = await Deno.makeTempDir({ prefix: "shm_sdk_deno_dnt_" });
  try {
    const script = `${workDir}/send.ts`;
    await Deno.writeTextFile(script, sendScript(new URL("../sdk/mod.ts", import.meta.url).href));
    const before = await allInstanceIds(server);
    const run = await runDeno(
      ["run", `--config=${REPO}deno.json`, "--allow-all", script, server.url, workDir, "1.0.0"],
      { cwd: workDir, env: { DO_NOT_TRACK: "1" } },
    );
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    assert.equal(result.code, "disabled");
    assert.deepEqual(await allInstanceIds(server), before);
    const files: string[] = [];
    for await (const entry of Deno.readDir(workDir)) files.push(entry.name);
    assert.deepEqual(files, ["send.ts"]);
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
}

async function forget(server: TestServer): Promise<void> {
  const workDir = await Deno.makeTempDir({ prefix: "shm_sdk_deno_forget_" });
  try {
    const script = `${workDir}/forget.ts`;
    await Deno.writeTextFile(script, forgetScript(new URL("../sdk/mod.ts", import.meta.url).href));
    const run = await runDeno(
      ["run", `--config=${REPO}deno.json`, "--allow-all", script, server.url, workDir],
      { cwd: workDir },
    );
    assert.equal(run.code, 0, `forget failed:\n${run.stdout}\n${run.stderr}`);
    const [sent, forgotten] = run.stdout.trim().split("\n").slice(-2).map((l) => JSON.parse(l));
    assert.equal(sent.ok, true, JSON.stringify(sent));
    assert.deepEqual(forgotten, { ok: true, instanceId: sent.instanceId });
    assert.equal((await allInstanceIds(server)).includes(sent.instanceId), false, "erased");
    const files: string[] = [];
    for await (const entry of Deno.readDir(workDir)) files.push(entry.name);
    assert.deepEqual(files, ["forget.ts"], "the identity file is gone");
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
}

/** A script that sends one snapshot, then forgets the instance, and prints both outcomes. */
function forgetScript(sdkUrl: string): string {
  return `
import { SHMClient } from ${JSON.stringify(sdkUrl)};
const [serverUrl, dataDir] = Deno.args;
const client = new SHMClient({ serverUrl, appName: "SDK Forget App", appVersion: "1.0.0", dataDir });
console.log(JSON.stringify(await client.sendNow()));
console.log(JSON.stringify(await client.forget()));
`;
}

async function allInstanceIds(server: TestServer): Promise<string[]> {
  const listed = await adminGet(server, "/api/v1/admin/instances") as {
    instances: AdminInstance[];
  };
  return listed.instances.map((instance) => instance.instance_id).sort();
}

/** A script that sends one snapshot with the SDK at `sdkUrl` and prints the outcome as JSON. */
function sendScript(sdkUrl: string): string {
  return `
import { SHMClient } from ${JSON.stringify(sdkUrl)};
const [serverUrl, dataDir, appVersion] = Deno.args;
const client = new SHMClient({ serverUrl, appName: "SDK E2E App", appVersion, dataDir, environment: "e2e" });
client.setProvider(async () => ({ users_count: 7, storage: { backend: "s3" } }));
const result = await client.sendNow();
await client.stop();
console.log(JSON.stringify(result));
`;
}
