/**
 * `shm export` / `shm import`: a store filled through the real endpoints
 * (instances, their history, a GitHub repository with its releases, alert
 * rules) moved to the other store kind and back, compared table by table;
 * imported twice without duplicates; files written before the GitHub and
 * alerts migrations still read; bad files refused before anything is written.
 */

import assert from "node:assert/strict";
import { exportStore, importStore } from "../server/transfer/export_file.ts";
import {
  type Database,
  listGithubReleases,
  MIGRATIONS,
  openStore,
  saveGithubRead,
  setGithubRepo,
  sql,
} from "../server/store/mod.ts";
import { openTestApp, TEST_ADMIN_TOKEN } from "./support/app.ts";
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

/** Every row of the moved tables, application ids replaced by slugs, in key order. */
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
    github_repos: await rows(sql`
      select (to_jsonb(g) - 'app_id' || jsonb_build_object('app', a.slug)) as row
      from github_repos g join applications a on a.id = g.app_id order by a.slug`),
    github_releases: await rows(sql`
      select (to_jsonb(r) - 'app_id' || jsonb_build_object('app', a.slug)) as row
      from github_releases r join applications a on a.id = r.app_id order by a.slug, r.tag`),
    // A rule's id is this store's own; its secret is what identifies it.
    alert_rules: await rows(sql`
      select (to_jsonb(r) - 'id' - 'app_id' || jsonb_build_object('app', a.slug)) as row
      from alert_rules r join applications a on a.id = r.app_id order by a.slug, r.secret`),
  };
}

/** The counts of an export with the given records, none of the others. */
function countsOf(given: Partial<Record<string, number>>): Record<string, number> {
  return {
    application: 0,
    github_repo: 0,
    github_release: 0,
    alert_rule: 0,
    instance: 0,
    instance_day: 0,
    snapshot: 0,
    ...given,
  };
}

/**
 * A fresh migrated store of the kind `kind` (a copy of the migrated template, seconds faster than
 * migrating an empty one), closed and dropped or deleted on dispose.
 */
async function freshStore(kind: "postgres" | "embedded") {
  const fresh = kind === "postgres"
    ? await freshPostgresDatabase({ migrated: true })
    : await freshEmbeddedFolder({ migrated: true });
  let db: Database;
  try {
    db = await openStore(fresh.setting);
  } catch (error) {
    await fresh[Symbol.asyncDispose]();
    throw error;
  }
  return {
    db,
    async [Symbol.asyncDispose]() {
      await db.close();
      await fresh[Symbol.asyncDispose]();
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
      update applications set excluded_environments = '{qa,staging}',
        exported_metrics = '{users}' where slug = 'photo-vault'`);
    // A repository as the upkeep read it: stars, releases (one stored before migration 0013,
    // without created_at); and alert rules made through the API, one remembering versions.
    const [photoApp] = await app.db.query<{ id: number }>(
      sql`select id from applications where slug = 'photo-vault'`,
    );
    const checkedAt = app.clock.now();
    await setGithubRepo(app.db, { appId: photoApp!.id, repo: "acme/photo-vault", now: checkedAt });
    await saveGithubRead(app.db, {
      appId: photoApp!.id,
      repo: "acme/photo-vault",
      checkedAt,
      nextCheckAt: new Date(checkedAt.getTime() + 3_600_000),
      outcome: {
        ok: true,
        stars: 321,
        releases: [
          {
            tag: "v2.0.0",
            publishedAt: new Date("2026-11-20T09:00:00Z"),
            createdAt: new Date("2026-11-18T09:00:00Z"),
          },
          {
            tag: "v1.9.1|lts",
            publishedAt: new Date("2026-11-22T09:00:00Z"),
            createdAt: new Date("2026-11-15T09:00:00Z"),
          },
        ],
      },
    });
    await app.db.query(sql`update github_releases set created_at = null where tag = 'v1.9.1|lts'`);
    for (
      const rule of [
        { kind: "version_share", percent: 40, webhook_url: "https://hooks.example.com/a" },
        { kind: "silence", hours: 6, email: "ops@example.org" },
      ]
    ) {
      const made = await app.fetch("/api/v1/admin/applications/photo-vault/alerts", {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
        body: JSON.stringify(rule),
      });
      assert.equal(made.status, 201);
      await made.body?.cancel();
    }
    // What the evaluation remembers must move too: a rule firing, the versions announced.
    await app.db.query(sql`update alert_rules set firing = true, last_fired_at = now()
      where kind = 'silence'`);
    await app.db.query(sql`update alert_rules
      set state = '{"baseline": ["1.0.0"], "announced": ["2.0.0"]}'::jsonb
      where kind = 'version_share'`);
    const original = await tableContents(app.db);
    assert.equal(original["github_repos"]?.length, 1);
    assert.equal(original["github_releases"]?.length, 2);
    assert.equal(original["alert_rules"]?.length, 2);
    const rules = original["alert_rules"] as Record<string, unknown>[];
    assert.deepEqual(rules.map((r) => r["firing"]).sort(), [false, true]);
    assert.ok(rules.every((r) => typeof r["secret"] === "string"));
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
      assert.deepEqual(
        counts,
        countsOf({
          application: 2,
          github_repo: 1,
          github_release: 2,
          alert_rule: 2,
          instance: 3,
          instance_day: 6,
          snapshot: original["snapshots"]?.length,
        }),
      );
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
      assert.deepEqual(second.written, countsOf({}));
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
    await using folder = await freshEmbeddedFolder({ migrated: true });
    const dataDir = folder.setting.kind === "embedded" ? folder.setting.dataDir : "";
    {
      const db = await openStore(folder.setting);
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

Deno.test({
  name: "export/import: a file from before the GitHub and alerts migrations (schema 9) and one " +
    "from before 0013 (releases without created_at) still import",
  ignore: TEST_STORE_KIND === "postgres" && !reachable,
  async fn() {
    await using target = await freshStore(TEST_STORE_KIND);
    const dir = await Deno.makeTempDir({ prefix: "shm-export-old-" });
    const header = (schema: number) =>
      JSON.stringify({
        format: "shm-export",
        version: 1,
        schema_version: schema,
        exported_at: "2026-11-25T12:00:00.000Z",
      });
    const lines = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join("\n") + "\n";
    try {
      // Schema 9: applications without exported_metrics, no GitHub or alert records.
      const before10 = `${dir}/schema9.jsonl`;
      await Deno.writeTextFile(
        before10,
        header(9) + "\n" + lines([
          {
            type: "application",
            slug: "photo-vault",
            name: "Photo Vault",
            created_at: "2026-01-01T00:00:00+00:00",
            updated_at: "2026-01-02T00:00:00+00:00",
            public_badges: true,
            display_name: null,
            public_page: false,
            public_metrics: [],
            excluded_environments: ["qa"],
          },
          {
            type: "instance",
            instance_id: "0b7c3a52-6f0e-4c8e-9a51-2f5f6c1d9e01",
            app: "photo-vault",
            public_key: btoa(String.fromCharCode(...new Uint8Array(32).fill(7))),
            status: "active",
            app_version: "1.0.0",
            environment: null,
            deployment_mode: null,
            os_arch: null,
            first_seen: "2026-11-20T00:00:00+00:00",
            last_seen: "2026-11-24T00:00:00+00:00",
            last_snapshot_at: "2026-11-24T00:00:00+00:00",
            metrics: { users: 3 },
          },
        ]),
      );
      const old = await importStore(target.db, before10);
      assert.deepEqual(old.written, countsOf({ application: 1, instance: 1 }));
      const [app] = await target.db.query<{ exported: string[]; excluded: string[] }>(sql`
        select exported_metrics as exported, excluded_environments as excluded
        from applications where slug = 'photo-vault'`);
      assert.deepEqual(app, { exported: [], excluded: ["qa"] });

      // Schema 12: GitHub and alert records, releases without created_at.
      const before13 = `${dir}/schema12.jsonl`;
      await Deno.writeTextFile(
        before13,
        header(12) + "\n" + lines([
          {
            type: "application",
            slug: "gadget",
            name: "Gadget",
            created_at: "2026-01-01T00:00:00+00:00",
            updated_at: "2026-01-02T00:00:00+00:00",
            public_badges: true,
            display_name: null,
            public_page: false,
            public_metrics: [],
            exported_metrics: ["users"],
            excluded_environments: ["ci"],
          },
          {
            type: "github_repo",
            app: "gadget",
            repo: "acme/gadget",
            stars: 12,
            checked_at: "2026-11-25T11:00:00+00:00",
            error: null,
            next_check_at: "2026-11-25T12:00:00+00:00",
          },
          {
            type: "github_release",
            app: "gadget",
            repo: "acme/gadget",
            tag: "v1.0.0",
            published_at: "2026-11-01T00:00:00+00:00",
          },
          {
            type: "github_release",
            app: "gadget",
            repo: "acme/gadget",
            tag: "v1.1.0",
            published_at: "2026-11-10T00:00:00+00:00",
          },
          {
            type: "alert_rule",
            app: "gadget",
            kind: "active_drop",
            params: { kind: "active_drop", percent: 30 },
            webhook_url: null,
            email: "ops@example.org",
            secret: "whsec_" + "ab".repeat(32),
            firing: false,
            state: {},
            last_evaluated_at: null,
            last_fired_at: null,
            created_at: "2026-11-02T00:00:00+00:00",
          },
        ]),
      );
      const imported = await importStore(target.db, before13);
      assert.deepEqual(
        imported.written,
        countsOf({ application: 1, github_repo: 1, github_release: 2, alert_rule: 1 }),
      );
      const [gadget] = await target.db.query<{ id: number; exported: string[] }>(
        sql`select id, exported_metrics as exported from applications where slug = 'gadget'`,
      );
      assert.deepEqual(gadget?.exported, ["users"]);
      // Without created_at the releases are in published_at order, the newest first.
      const releases = await listGithubReleases(target.db, { appId: gadget!.id, limit: 10 });
      assert.deepEqual(releases.map((r) => [r.tag, r.createdAt]), [["v1.1.0", null], [
        "v1.0.0",
        null,
      ]]);
      const [rule] = await target.db.query<{ email: string; percent: number }>(sql`
        select email, (params->>'percent')::int as percent from alert_rules`);
      assert.deepEqual(rule, { email: "ops@example.org", percent: 30 });
      const again = await importStore(target.db, before13);
      assert.deepEqual(again.written, countsOf({}), "nothing twice");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
