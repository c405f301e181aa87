/**
 * `shm export` / `shm import`: a store filled through the real endpoints
 * moved to the other store kind and back, compared table by table; imported
 * twice without duplicates; bad files refused before anything is written.
 */

import assert from "node:assert/strict";
import { exportStore, importStore } from "../server/transfer/export_file.ts";
import { type Database, MIGRATIONS, openStore, runMigrations, sql } from "../server/store/mod.ts";
import { openTestApp } from "./support/app.ts";
import { runShm } from "./support/cli.ts";
import { TestInstance } from "./support/instance_client.ts";
import {
  freshEmbeddedFolder,
  freshPostgresDatabase,
  postgresReachable,
  TEST_STORE_KIND,
} from "./support/store.ts";

const reachable = await postgresReachable();
if (!reachable) {
  if (Deno.env.get("CI")) throw new Error("PostgreSQL must be reachable in CI");
  // deno-lint-ignore no-console -- a skip must say why, in the test output
  console.log("SKIPPED (moves to and from PostgreSQL): no PostgreSQL at SHM_TEST_PG_URL");
}

const DAY = 86_400_000;

/** Every row of the four moved tables, application ids replaced by slugs, in key order. */
async function tableContents(db: Database): Promise<Record<string, unknown[]>> {
  const rows = async (query: ReturnType<typeof sql>) =>
    (await db.query<{ row: unknown }>(query)).map((r) => r.row);
  return {
    applications: await rows(sql`
      select (to_jsonb(a) - 'id') as row from applications a order by slug`),
    instances: await rows(sql`
      select (to_jsonb(i) - 'app_id' - 'public_key' || jsonb_build_object('app', a.slug,
        'key', encode(i.public_key, 'hex'))) as row
      from instances i join applications a on a.id = i.app_id order by instance_id`),
    instance_days: await rows(sql`
      select (to_jsonb(d) - 'app_id' || jsonb_build_object('app', a.slug)) as row
      from instance_days d join applications a on a.id = d.app_id
      order by instance_id, day`),
    snapshots: await rows(sql`
      select (to_jsonb(s) - 'app_id' || jsonb_build_object('app', a.slug)) as row
      from snapshots s join applications a on a.id = s.app_id order by instance_id, taken_at`),
  };
}

/** A fresh migrated store of the kind `kind`, closed (and dropped) on dispose. */
async function freshStore(kind: "postgres" | "embedded") {
  const pg = kind === "postgres" ? await freshPostgresDatabase() : null;
  const db = await openStore(pg?.setting ?? { kind: "embedded", dataDir: "memory://" });
  await runMigrations(db, MIGRATIONS);
  return {
    db,
    async [Symbol.asyncDispose]() {
      await db.close();
      await pg?.[Symbol.asyncDispose]();
    },
  };
}

Deno.test({
  name: "export/import: every instance and its history moves to the other store kind and back",
  ignore: !reachable,
  async fn() {
    await using app = await openTestApp();
    const photo = await TestInstance.create();
    const pending = await TestInstance.create();
    const other = await TestInstance.create();
    assert.equal((await app.send(photo.registerRequest({ appName: "Photo Vault" }))).status, 201);
    assert.equal((await app.send(pending.registerRequest({ appName: "Photo Vault" }))).status, 201);
    assert.equal((await app.send(other.registerRequest({ appName: "Crème Brûlée" }))).status, 201);
    for (const instance of [photo, other]) {
      assert.equal((await app.send(await instance.activateRequest())).status, 200);
    }
    for (let day = 0; day < 3; day++) {
      for (let n = 0; n < 2; n++) {
        const metrics = { users: 10 * day + n, big: 12345678901234567890, ok: day % 2 === 0 };
        const snap = await photo.snapshotRequest(metrics, { timestamp: app.clock.now() });
        assert.equal((await app.send(snap)).status, 202);
        app.clock.advance(3_600_000);
      }
      const snap = await other.snapshotRequest({ cakes: day }, { timestamp: app.clock.now() });
      assert.equal((await app.send(snap)).status, 202);
      app.clock.advance(DAY);
    }
    // A setting that differs from its default, so that the file must carry it.
    await app.db.query(sql`
      update applications set excluded_environments = '{qa,staging}' where slug = 'photo-vault'`);
    const original = await tableContents(app.db);
    assert.deepEqual(
      original["applications"]?.map((a) => (a as Record<string, unknown>)["excluded_environments"]),
      [["ci", "test", "dev", "development"], ["qa", "staging"]],
    );
    assert.equal(original["instances"]?.length, 3);
    assert.equal(original["instance_days"]?.length, 6);
    assert.ok((original["snapshots"]?.length ?? 0) >= 9, "raw snapshots are part of the test");

    const dir = await Deno.makeTempDir({ prefix: "shm-export-" });
    try {
      const file = `${dir}/out.jsonl`;
      const counts = await exportStore(app.db, file);
      assert.deepEqual(counts, {
        application: 2,
        instance: 3,
        instance_day: 6,
        snapshot: original["snapshots"]?.length,
      });
      const header = JSON.parse((await Deno.readTextFile(file)).split("\n")[0]!);
      assert.equal(header.format, "shm-export");
      assert.equal(header.schema_version, MIGRATIONS.at(-1)?.version);

      const otherKind = TEST_STORE_KIND === "postgres" ? "embedded" : "postgres";
      await using moved = await freshStore(otherKind);
      const first = await importStore(moved.db, file);
      assert.deepEqual(first.written, counts);
      assert.deepEqual(await tableContents(moved.db), original, `into ${otherKind}`);

      const second = await importStore(moved.db, file);
      assert.deepEqual(second.read, counts);
      assert.deepEqual(second.written, {
        application: 0,
        instance: 0,
        instance_day: 0,
        snapshot: 0,
      });
      assert.deepEqual(await tableContents(moved.db), original, "a second import adds nothing");

      const back = `${dir}/back.jsonl`;
      await exportStore(moved.db, back);
      await using returned = await freshStore(TEST_STORE_KIND);
      await importStore(returned.db, back);
      assert.deepEqual(await tableContents(returned.db), original, `back into ${TEST_STORE_KIND}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "export/import: the commands move an embedded folder into PostgreSQL; bad files change nothing",
  ignore: !reachable,
  async fn() {
    await using folder = await freshEmbeddedFolder();
    const dataDir = folder.setting.kind === "embedded" ? folder.setting.dataDir : "";
    {
      const db = await openStore(folder.setting);
      await runMigrations(db, MIGRATIONS);
      await db.query(sql`insert into applications (slug, name, created_at, updated_at)
        values ('photo-vault', 'Photo Vault', now(), now())`);
      await db.close();
    }
    await using pg = await freshPostgresDatabase();
    const pgEnv = { SHM_DATABASE_URL: pg.setting.kind === "postgres" ? pg.setting.url : "" };
    const file = `${dataDir}/../move.jsonl`;
    const exported = await runShm(["export", file], { SHM_DATA_DIR: dataDir });
    assert.equal(exported.code, 0, exported.text);
    assert.match(exported.text, /^shm export: wrote .*move\.jsonl: 1 applications, 0 instances/);
    const imported = await runShm(["import", file], pgEnv);
    assert.equal(imported.code, 0, imported.text);
    assert.match(imported.text, /stored 1 applications, 0 instances/);
    const again = await runShm(["import", file], pgEnv);
    assert.match(again.text, /stored 0 applications, 0 instances/);

    await Deno.writeTextFile(`${dataDir}/../bad.jsonl`, '{"type":"application","slug":"x"}\n');
    const bad = await runShm(["import", `${dataDir}/../bad.jsonl`], pgEnv);
    assert.equal(bad.code, 1);
    assert.match(bad.text, /^shm import: Cannot import .* as it is not an shm export/);
    const newer = JSON.stringify({ format: "shm-export", version: 1, schema_version: 999 });
    await Deno.writeTextFile(`${dataDir}/../newer.jsonl`, newer + '\n{"type":"application"}\n');
    const refused = await runShm(["import", `${dataDir}/../newer.jsonl`], pgEnv);
    assert.equal(refused.code, 1);
    assert.match(refused.text, /newer schema \(999\)/);
    const missing = await runShm(["import", `${dataDir}/../nope.jsonl`], pgEnv);
    assert.equal(missing.code, 1);
    assert.match(missing.text, /does not exist/);

    const db = await openStore(pg.setting);
    try {
      const apps = await db.query<{ slug: string }>(sql`select slug from applications`);
      assert.deepEqual(apps.map((a) => a.slug), ["photo-vault"], "bad files wrote nothing");
    } finally {
      await db.close();
    }
  },
});
