/**
 * The program as a real process: the original SDK's flow over a socket,
 * restarts, signals, bad settings and the CLI commands.
 */

import assert from "node:assert/strict";
import { httpSender, TestInstance } from "./support/instance_client.ts";
import { runShm } from "./support/cli.ts";
import { adminGet, startServer } from "./support/server.ts";
import { freshEmbeddedFolder, freshStoreSetting } from "./support/store.ts";

interface AdminInstance {
  instance_id: string;
  status: string;
  app_slug: string;
  app_version: string;
  metrics: Record<string, unknown>;
}

Deno.test("process: an instance flows like the original SDK: register, activate, snapshots", async () => {
  await using server = await startServer();
  const send = httpSender(server.url);
  const instance = await TestInstance.create();
  const register = await send(instance.registerRequest({ appName: "Photo Vault" }));
  assert.equal(register.status, 201);
  assert.deepEqual(await register.json(), { status: "ok", message: "Registered" });
  const activate = await send(await instance.activateRequest());
  assert.equal(activate.status, 200);
  assert.deepEqual(await activate.json(), {
    status: "active",
    message: "Instance activated successfully",
  });
  const t0 = Date.now();
  for (const [i, users] of [3, 5].entries()) {
    const snapshot = await send(
      await instance.snapshotRequest({ users, albums: { count: 10 * users } }, {
        timestamp: new Date(t0 - 60_000 + i * 1000),
      }),
    );
    assert.equal(snapshot.status, 202);
    assert.deepEqual(await snapshot.json(), { status: "ok", message: "Snapshot received" });
  }
  const listed = await adminGet(server, "/api/v1/admin/instances?app=photo-vault") as {
    instances: AdminInstance[];
  };
  assert.equal(listed.instances.length, 1);
  assert.equal(listed.instances[0]?.instance_id, instance.instanceId);
  assert.equal(listed.instances[0]?.status, "active");
  assert.deepEqual(listed.instances[0]?.metrics, { users: 5, "albums.count": 50 });
  // Request lines are written in batches a few milliseconds apart: wait for the last ones.
  const requestLines = () => server.lines.filter((line) => line["msg"] === "request");
  for (let waited = 0; requestLines().length < 5 && waited < 5_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const logged = requestLines();
  assert.ok(logged.length >= 5, `${logged.length} request lines: one per request`);
  assert.ok(logged.every((line) => !JSON.stringify(line).includes("127.0.0.1")), "no IP logged");
});

Deno.test("process: data survives a restart, and SIGTERM stops with exit code 0", async () => {
  // Migrated: both starts are restarts of a store a server made; a first start is another test's.
  await using store = await freshStoreSetting({ migrated: true });
  const instance = await TestInstance.create();
  const firstSnapshot = await instance.snapshotRequest({ n: 1 }, {
    timestamp: new Date(Date.now() - 1000),
  });
  {
    const server = await startServer({ store: store.setting });
    const send = httpSender(server.url);
    assert.equal((await send(instance.registerRequest())).status, 201);
    assert.equal((await send(firstSnapshot)).status, 202);
    assert.equal(await server.stop("SIGTERM"), 0);
    assert.ok(server.lines.some((line) => line["msg"] === "stopped"));
    await server[Symbol.asyncDispose]();
  }
  await using again = await startServer({ store: store.setting });
  const send = httpSender(again.url);
  assert.equal((await send(firstSnapshot)).status, 409, "the replay guard survived the restart");
  const listed = await adminGet(again, "/api/v1/admin/instances") as {
    instances: AdminInstance[];
  };
  assert.deepEqual(listed.instances.map((i) => [i.instance_id, i.metrics]), [
    [instance.instanceId, { n: 1 }],
  ]);
  assert.equal(await again.stop("SIGINT"), 0, "SIGINT stops cleanly too");
});

Deno.test("process: a request in flight when SIGTERM arrives is finished", async () => {
  await using server = await startServer();
  const instance = await TestInstance.create();
  const body = instance.registerRequest().body;
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(body.slice(0, 10));
      await released;
      controller.enqueue(body.slice(10));
      controller.close();
    },
  });
  const pending = fetch(`${server.url}/v1/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: stream,
  });
  // Wait until the server has the request (its first bytes) before signalling.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const exit = server.stop("SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 300));
  release();
  const response = await pending;
  assert.equal(response.status, 201, JSON.stringify(server.lines.slice(-5)));
  await response.body?.cancel();
  assert.equal(await exit, 0);
});

Deno.test("process: the embedded store refuses a second process on the same folder", async () => {
  await using folder = await freshEmbeddedFolder({ migrated: true });
  await using first = await startServer({ store: folder.setting });
  await assert.rejects(
    startServer({ store: folder.setting }),
    /another process has it open/,
  );
  assert.equal((await fetch(`${first.url}/api/v1/healthcheck`)).status, 200);
});

Deno.test("process: a bad setting stops the start with one line naming it", async () => {
  const cases: [Record<string, string>, string[], RegExp][] = [
    [{ PORT: "eighty" }, [], /PORT .*"eighty"/],
    [{ SHM_ACTIVE_DAYS: "0" }, [], /SHM_ACTIVE_DAYS/],
    [{ SHM_SNAPSHOT_BACKLOG: "7" }, [], /SHM_SNAPSHOT_BACKLOG/],
    [{ SHM_LOG_LEVEL: "loud" }, [], /SHM_LOG_LEVEL/],
    [{ SHM_DATABASE_URL: "mysql://x" }, [], /SHM_DATABASE_URL/],
    [{}, ["--raw-retention-days", "-3"], /--raw-retention-days/],
    [{}, ["--no-such-flag"], /no-such-flag/],
    [{}, ["--force"], /--force is an option of restore and demo, not of serve/],
    [{}, ["--instances", "10"], /--instances is an option of demo/],
  ];
  for (const [env, args, pattern] of cases) {
    const { code, text } = await runShm(["serve", ...args], env);
    assert.equal(code, 2, JSON.stringify(env) + text);
    assert.match(text, pattern);
    assert.equal(text.trim().split("\n").length, 1, `one line: ${text}`);
  }
});

Deno.test("process: version, help and migrate --status", async () => {
  // The commands that open no store run beside the migrate commands, which run one after another.
  const quick = Promise.all([runShm(["version"]), runShm(["--help"]), runShm(["frobnicate"])]);
  // An empty store: what migrate finds pending before a first start.
  await using folder = await freshEmbeddedFolder();
  const env = folder.setting.kind === "embedded" ? { SHM_DATA_DIR: folder.setting.dataDir } : {};
  const before = await runShm(["migrate", "--status"], env);
  const migrate = await runShm(["migrate"], env);
  const after = await runShm(["migrate", "--status"], env);
  const [version, help, unknown] = await quick;

  assert.equal(version.code, 0);
  assert.match(version.text, /^shm \d+\.\d+\.\d+ \(deno 2\.9\.6, [\w-]+, development build\)\n$/);
  assert.equal(help.code, 0);
  for (
    const name of [
      "PORT",
      "SHM_HOST",
      "SHM_DATABASE_URL",
      "SHM_DATA_DIR",
      "SHM_ADMIN_TOKEN",
      "SHM_ACTIVE_DAYS",
      "SHM_SNAPSHOT_BACKLOG",
      "SHM_RAW_RETENTION_DAYS",
      "SHM_LOG_LEVEL",
    ]
  ) {
    assert.ok(help.text.includes(name), `--help names ${name}`);
  }
  assert.equal(before.code, 0, before.text);
  assert.match(before.text, /0001_initial\.sql\tpending/);
  assert.equal(migrate.code, 0, migrate.text);
  assert.match(after.text, /0001_initial\.sql\tapplied \d{4}-/);
  assert.equal(unknown.code, 2);
  assert.match(unknown.text, /unknown command "frobnicate"/);
});
