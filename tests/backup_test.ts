/**
 * `shm backup` / `shm restore` of the embedded store, as processes: a store
 * with data backed up, restored into a fresh folder and served again; bad
 * files, a store with data and a folder a server holds are refused, changing
 * nothing. The embedded store is what these commands are for, so these tests
 * use it whatever `SHM_TEST_STORE` says; PostgreSQL gets its one-line answer.
 */

import assert from "node:assert/strict";
import { runShm } from "./support/cli.ts";
import { httpSender, TestInstance } from "./support/instance_client.ts";
import { adminGet, startServer } from "./support/server.ts";
import { freshEmbeddedFolder } from "./support/store.ts";

interface AdminInstance {
  instance_id: string;
  status: string;
  metrics: Record<string, unknown>;
}

/** Fills the folder through a real server: one active instance with two snapshots. */
async function fillStore(dataDir: string): Promise<{ instance: TestInstance; lastTaken: Date }> {
  await using server = await startServer({ store: { kind: "embedded", dataDir } });
  const send = httpSender(server.url);
  const instance = await TestInstance.create();
  assert.equal((await send(instance.registerRequest({ appName: "Photo Vault" }))).status, 201);
  assert.equal((await send(await instance.activateRequest())).status, 200);
  const t0 = Date.now() - 60_000;
  for (const [i, users] of [3, 7].entries()) {
    const snapshot = await instance.snapshotRequest({ users }, {
      timestamp: new Date(t0 + i * 1000),
    });
    assert.equal((await send(snapshot)).status, 202);
  }
  return { instance, lastTaken: new Date(t0 + 1000) };
}

async function instancesIn(dataDir: string): Promise<AdminInstance[]> {
  await using server = await startServer({ store: { kind: "embedded", dataDir } });
  const listed = await adminGet(server, "/api/v1/admin/instances") as {
    instances: AdminInstance[];
  };
  return listed.instances;
}

async function folderListing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("backup: a store with data, restored into a fresh folder, serves the same data", async () => {
  // The source is a migrated store (what a server leaves); the target stays an empty folder.
  await using source = await freshEmbeddedFolder({ migrated: true });
  await using target = await freshEmbeddedFolder();
  const sourceDir = source.setting.kind === "embedded" ? source.setting.dataDir : "";
  const targetDir = target.setting.kind === "embedded" ? target.setting.dataDir : "";
  const { instance, lastTaken } = await fillStore(sourceDir);
  const file = `${sourceDir}/../backup.tar.gz`;

  const backup = await runShm(["backup", file], { SHM_DATA_DIR: sourceDir });
  assert.equal(backup.code, 0, backup.text);
  assert.match(backup.text, /^shm backup: wrote .*backup\.tar\.gz \(\d+ bytes, schema \d+\)/);
  assert.ok((await Deno.stat(file)).size > 0);

  const restore = await runShm(["restore", file], { SHM_DATA_DIR: targetDir });
  assert.equal(restore.code, 0, restore.text);
  assert.match(restore.text, /^shm restore: restored /);
  assert.ok(
    (await folderListing(targetDir)).every((name) => !name.startsWith("pgdata.")),
    "no staging folder left behind",
  );

  await using server = await startServer({ store: { kind: "embedded", dataDir: targetDir } });
  const restored = await adminGet(server, "/api/v1/admin/instances") as {
    instances: AdminInstance[];
  };
  assert.deepEqual(restored.instances.map((i) => [i.instance_id, i.status, i.metrics]), [
    [instance.instanceId, "active", { users: 7 }],
  ]);
  // The replay guard came along: the last snapshot again is refused.
  const again = await instance.snapshotRequest({ users: 7 }, { timestamp: lastTaken });
  assert.equal((await httpSender(server.url)(again)).status, 409);
});

Deno.test("backup: restore refuses a missing, corrupt or foreign file and a store with data", async () => {
  await using folder = await freshEmbeddedFolder({ migrated: true });
  const dataDir = folder.setting.kind === "embedded" ? folder.setting.dataDir : "";
  const { instance } = await fillStore(dataDir);
  const before = await folderListing(`${dataDir}/pgdata`);
  const env = { SHM_DATA_DIR: dataDir };
  const dir = `${dataDir}/..`;

  const missing = await runShm(["restore", `${dir}/nope.tar.gz`, "--force"], env);
  assert.equal(missing.code, 1);
  assert.match(
    missing.text,
    /^shm restore: Cannot restore .*nope\.tar\.gz as it does not exist\n$/,
  );

  await Deno.writeTextFile(`${dir}/notes.txt`, "not a backup");
  const text = await runShm(["restore", `${dir}/notes.txt`, "--force"], env);
  assert.equal(text.code, 1);
  assert.match(text.text, /^shm restore: Cannot restore .* as it is not a backup/);

  // A gzip stream that is no tarball of a store: passes the first check, fails the load.
  const gzip = new Blob(["not a tarball at all"]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(`${dir}/fake.tar.gz`, gzip);
  const fake = await runShm(["restore", `${dir}/fake.tar.gz`, "--force"], env);
  assert.equal(fake.code, 1, fake.text);
  assert.match(fake.text, /^shm restore: Cannot restore .* as it is not a backup of an SHM store/);

  const backupFile = `${dir}/good.tar.gz`;
  assert.equal((await runShm(["backup", backupFile], env)).code, 0);
  const refused = await runShm(["restore", backupFile], env);
  assert.equal(refused.code, 1);
  assert.match(
    refused.text,
    /^shm restore: Cannot restore into .* as its store holds data .*--force/,
  );

  assert.deepEqual(await folderListing(`${dataDir}/pgdata`), before, "the store was not touched");
  assert.ok((await folderListing(dataDir)).every((name) => !name.startsWith("pgdata.")));
  const after = await instancesIn(dataDir);
  assert.deepEqual(after.map((i) => i.instance_id), [instance.instanceId]);

  const forced = await runShm(["restore", backupFile, "--force"], env);
  assert.equal(forced.code, 0, forced.text);
  assert.deepEqual((await instancesIn(dataDir)).map((i) => i.instance_id), [instance.instanceId]);
});

Deno.test("backup: a folder a server holds is refused in one line; PostgreSQL points to pg_dump", async () => {
  await using folder = await freshEmbeddedFolder({ migrated: true });
  const dataDir = folder.setting.kind === "embedded" ? folder.setting.dataDir : "";
  await using _server = await startServer({ store: folder.setting });
  const file = `${dataDir}/../held.tar.gz`;
  for (const args of [["backup", file], ["restore", file, "--force"]]) {
    if (args[0] === "restore") await Deno.writeFile(file, new Uint8Array([0x1f, 0x8b, 8, 0]));
    const held = await runShm(args, { SHM_DATA_DIR: dataDir });
    assert.equal(held.code, 1, held.text);
    assert.match(held.text, /^shm (backup|restore): .*another process has it open\n$/);
  }

  const pg = { SHM_DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" };
  const backup = await runShm(["backup", file], pg);
  assert.equal(backup.code, 1);
  assert.match(backup.text, /^shm backup: the store is PostgreSQL; use pg_dump .*\n$/);
  const restore = await runShm(["restore", file], pg);
  assert.equal(restore.code, 1);
  assert.match(restore.text, /^shm restore: the store is PostgreSQL; use pg_restore .*\n$/);
  const noFile = await runShm(["backup"], { SHM_DATA_DIR: dataDir });
  assert.equal(noFile.code, 2);
  assert.match(noFile.text, /needs a file/);
});
