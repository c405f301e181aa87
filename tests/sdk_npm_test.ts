/**
 * The SDK as npm users get it, against a real server process: the npm build
 * (`sdk/scripts/build_npm.ts`) packed with `npm pack`, installed from the
 * tarball into a temporary project with one `npm install`, and run with
 * the machine's Node.js, with Node.js 18 (the oldest supported) and with Bun.
 * Node.js 18 and Bun come from npm too, as optional dependencies of that
 * project; where one cannot be installed or run, its step says why and is
 * ignored. On each runtime: the example app (and its first-run notice), two
 * sends across an upgrade, and `forget()` erasing the instance on the server
 * and its identity file on the disk.
 */

import assert from "node:assert/strict";
import { adminGet, startServer, type TestServer } from "./support/server.ts";
import { outputWithin } from "../sdk/testing/process.ts";

const REPO = new URL("../", import.meta.url).pathname;
const BUN_VERSION = "1.4.5";
/** The oldest Node.js the SDK supports: no global `crypto` there, a path of its own. */
const OLDEST_NODE_VERSION = "18.20.8";

interface AdminInstance {
  instance_id: string;
  app_version: string;
  status: string;
  environment: string | null;
  metrics: Record<string, unknown>;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; inheritEnv?: boolean },
): Promise<Run> {
  const base: Record<string, string> = { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1" };
  const home = Deno.env.get("HOME");
  if (home !== undefined) base.HOME = home;
  const output = await outputWithin(
    new Deno.Command(command, {
      args,
      cwd: options.cwd,
      env: { ...base, ...options.env },
      clearEnv: !options.inheritEnv,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }),
    300_000,
  );
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const stderr = decode(output.stderr) +
    (output.killed ? `\n(killed: still running after 300 s)` : "");
  return { code: output.code, stdout: decode(output.stdout), stderr };
}

function succeeded(what: string, result: Run): Run {
  assert.equal(
    result.code,
    0,
    `${what} failed (${result.code}):\n${result.stdout}\n${result.stderr}`,
  );
  return result;
}

async function instanceById(server: TestServer, slug: string, id: string): Promise<AdminInstance> {
  const listed = await adminGet(server, `/api/v1/admin/instances?app=${slug}`) as {
    instances: AdminInstance[];
  };
  const found = listed.instances.filter((instance) => instance.instance_id === id);
  assert.equal(found.length, 1, `instance ${id} of ${slug}: ${JSON.stringify(listed)}`);
  return found[0]!;
}

/** Builds, packs and installs the package; returns the project directory. */
async function installFromTarball(work: string): Promise<string> {
  const built = `${work}/package`;
  succeeded(
    "build_npm.ts",
    await run(Deno.execPath(), [
      "run",
      `--lock=${REPO}dev.lock`,
      "--allow-all",
      `${REPO}sdk/scripts/build_npm.ts`,
      built,
    ], {
      cwd: REPO,
      inheritEnv: true,
    }),
  );
  const pack = succeeded(
    "npm pack",
    await run("npm", ["pack", "--pack-destination", work, "--loglevel=error"], {
      cwd: built,
      inheritEnv: true,
    }),
  );
  const tarball = `${work}/${pack.stdout.trim().split("\n").at(-1)}`;
  const project = `${work}/project`;
  await Deno.mkdir(project);
  await Deno.writeTextFile(
    `${project}/package.json`,
    JSON.stringify({
      name: "shm-sdk-e2e",
      private: true,
      type: "module",
      dependencies: { "@shm/sdk": `file:${tarball}` },
      optionalDependencies: { bun: BUN_VERSION, node: OLDEST_NODE_VERSION },
    }),
  );
  succeeded(
    "npm install",
    await run(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
      {
        cwd: project,
        inheritEnv: true,
      },
    ),
  );
  await Deno.copyFile(`${REPO}examples/node/main.mjs`, `${project}/main.mjs`);
  await Deno.writeTextFile(`${project}/send.mjs`, SEND_SCRIPT);
  await Deno.writeTextFile(`${project}/forget.mjs`, FORGET_SCRIPT);
  return project;
}

/** Sends one snapshot with the installed package and prints the outcome as JSON. */
const SEND_SCRIPT = `
import { SHMClient } from "@shm/sdk";
const [serverUrl, dataDir, appVersion] = process.argv.slice(2);
const client = new SHMClient({ serverUrl, appName: "SDK E2E App", appVersion, dataDir, environment: "e2e" });
client.setProvider(async () => ({ users_count: 7, storage: { backend: "s3" } }));
const result = await client.sendNow();
await client.stop();
console.log(JSON.stringify(result));
`;

/** Sends one snapshot, then forgets the instance, and prints both outcomes as JSON lines. */
const FORGET_SCRIPT = `
import { SHMClient } from "@shm/sdk";
const [serverUrl, dataDir] = process.argv.slice(2);
const client = new SHMClient({ serverUrl, appName: "SDK Forget App", appVersion: "1.0.0", dataDir });
console.log(JSON.stringify(await client.sendNow()));
console.log(JSON.stringify(await client.forget()));
`;

async function instanceIdsOf(server: TestServer, slug: string): Promise<string[]> {
  const listed = await adminGet(server, `/api/v1/admin/instances?app=${slug}`) as {
    instances: AdminInstance[];
  };
  return listed.instances.map((instance) => instance.instance_id);
}

async function namesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/**
 * The example app, two sends across an upgrade, then `forget()`, on `runtime`; checked in the
 * admin API and on the disk.
 */
async function scenario(
  server: TestServer,
  options: { project: string; runtime: string; binary: string; version: string },
): Promise<void> {
  const { project, runtime, binary } = options;
  const dataDir = await Deno.makeTempDir({ dir: project, prefix: `data-${runtime}-` });

  const example = succeeded(
    `the example on ${runtime}`,
    await run(binary, ["main.mjs"], {
      cwd: project,
      env: { SHM_SERVER_URL: server.url, EXAMPLE_DATA_DIR: dataDir },
    }),
  );
  assert.equal(example.stderr, "", "the SDK warned about nothing");
  const identityPath = `${dataDir}/example-node-app_shm_identity.json`;
  const identity = JSON.parse(await Deno.readTextFile(identityPath));
  assert.equal((await Deno.stat(identityPath)).mode! & 0o777, 0o600);
  assert.match(
    example.stdout,
    new RegExp(`Telemetry will send: \\{"instance_id":"${identity.instanceId}"`),
  );
  const reported = await instanceById(server, "example-node-app", identity.instanceId);
  assert.equal(reported.status, "active");
  assert.equal(reported.metrics.notes_count, 2);
  assert.equal(reported.metrics.sys_runtime, runtime);
  assert.equal(reported.metrics.sys_runtime_version, options.version);
  const notices = example.stdout.split("\n").filter((line) => line.startsWith("[shm] Telemetry:"));
  assert.equal(notices.length, 1, `one first-run notice:\n${example.stdout}`);
  assert.match(notices[0]!, /sends usage statistics to .* Turn it off with DO_NOT_TRACK=1\.$/);

  const send = async (appVersion: string) => {
    const result = succeeded(
      `send.mjs on ${runtime}`,
      await run(binary, ["send.mjs", server.url, dataDir, appVersion], { cwd: project }),
    );
    return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
  };
  const first = await send("3.0.0");
  assert.equal(first.ok, true, JSON.stringify(first));
  let instance = await instanceById(server, "sdk-e2e-app", first.instanceId);
  assert.equal(instance.status, "active");
  assert.equal(instance.app_version, "3.0.0");
  assert.equal(instance.environment, "e2e");
  assert.equal(instance.metrics.users_count, 7);
  assert.equal(instance.metrics["storage.backend"], "s3");
  assert.equal(instance.metrics.sys_runtime, runtime);
  assert.match(String(instance.metrics.sys_mode), /^(standalone|docker|kubernetes)$/);
  assert.equal(typeof instance.metrics.sys_cpu_cores, "number");

  const second = await send("3.1.0");
  assert.equal(second.ok, true, JSON.stringify(second));
  assert.equal(second.instanceId, first.instanceId);
  instance = await instanceById(server, "sdk-e2e-app", first.instanceId);
  assert.equal(instance.app_version, "3.1.0");

  const forgetDir = await Deno.makeTempDir({ dir: project, prefix: `forget-${runtime}-` });
  const forgotten = succeeded(
    `forget.mjs on ${runtime}`,
    await run(binary, ["forget.mjs", server.url, forgetDir], { cwd: project }),
  );
  assert.equal(forgotten.stderr, "", "forget() warned about nothing");
  const [sent, erased] = forgotten.stdout.trim().split("\n").slice(-2).map((line) =>
    JSON.parse(line)
  );
  assert.equal(sent.ok, true, JSON.stringify(sent));
  assert.deepEqual(erased, { ok: true, instanceId: sent.instanceId });
  assert.equal(
    (await instanceIdsOf(server, "sdk-forget-app")).includes(sent.instanceId),
    false,
    "the server erased the instance",
  );
  assert.deepEqual(await namesIn(forgetDir), [], "the identity file is gone");
}

Deno.test("sdk from npm (packed tarball) on Node.js, Node.js 18 and Bun, against a real server", async (t) => {
  await using server = await startServer();
  const work = await Deno.makeTempDir({ prefix: "shm_sdk_npm_" });
  try {
    const project = await installFromTarball(work);

    await t.step("on Node.js", async () => {
      const version = succeeded(
        "node --version",
        await run("node", ["--version"], { cwd: project }),
      );
      await scenario(server, {
        project,
        runtime: "node",
        binary: "node",
        version: version.stdout.trim().replace(/^v/, ""),
      });
    });

    for (
      const [name, runtime, binary] of [
        [`Node.js ${OLDEST_NODE_VERSION}`, "node", `${project}/node_modules/node/bin/node`],
        ["Bun", "bun", `${project}/node_modules/.bin/bun`],
      ]
    ) {
      const probe = await run(binary!, ["--version"], { cwd: project }).catch((error) => ({
        code: -1,
        stdout: "",
        stderr: String(error),
      }));
      const why = probe.code === 0
        ? undefined
        : `${binary} from npm did not give a working binary: ${probe.stderr.trim()}`;
      // deno-lint-ignore no-console -- a skip must say why, in the test output
      if (why !== undefined) console.log(`SKIPPED on ${name}: ${why}`);
      await t.step({
        name: `on ${name}`,
        ignore: why !== undefined,
        fn: () =>
          scenario(server, {
            project,
            runtime: runtime!,
            binary: binary!,
            version: probe.stdout.trim().replace(/^v/, ""),
          }),
      });
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
