/**
 * `shm import-shm`: an original SHM database, made here from the facts of its
 * schema and filled, imported into a fresh store of this run's kind; then
 * imported again, which must add nothing.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { githubRepoOfUrl, importOriginalShm } from "../server/import/import_shm.ts";
import { type Database, sql } from "../server/store/mod.ts";
import { runShm } from "./support/cli.ts";
import {
  freshPostgresDatabase,
  freshStoreSetting,
  openTestDatabase,
  postgresReachable,
} from "./support/store.ts";

const reachable = await postgresReachable();
if (!reachable) {
  // deno-lint-ignore no-console -- a skip must say why, in the test output
  console.log("SKIPPED: the original database needs PostgreSQL at SHM_TEST_PG_URL");
}

/** The original server's schema, written from its facts. */
const ORIGINAL_DDL = `
  create table applications (
    id uuid primary key, app_slug varchar(100) unique not null, app_name varchar(100) not null,
    github_url text, github_stars integer, github_stars_updated_at timestamptz, logo_url text,
    created_at timestamptz not null default now(), updated_at timestamptz not null default now());
  create table instances (
    id uuid primary key, instance_id uuid unique not null, public_key bytea not null,
    app_name varchar(100), app_version varchar(50), deployment_mode varchar(20),
    environment varchar(20), os_arch varchar(50), status varchar(20) not null default 'pending',
    last_seen_at timestamptz, created_at timestamptz not null default now(),
    application_id uuid references applications (id));
  create table snapshots (
    id bigserial primary key, instance_id uuid references instances (instance_id),
    snapshot_at timestamptz not null, data jsonb not null);`;

const NOW = new Date("2026-03-20T12:00:00Z");
const DAY = 86_400_000;
const at = (daysAgo: number, hour = 10) =>
  new Date(Date.UTC(2026, 2, 20 - daysAgo, hour, 0, 0, 123));

const APP_PHOTO = crypto.randomUUID();
const APP_CREME = crypto.randomUUID();
const ACTIVE = crypto.randomUUID();
const PENDING = crypto.randomUUID();
const REVOKED = crypto.randomUUID();
const LONE = crypto.randomUUID();
const BAD_KEY = crypto.randomUUID();

function key(seed: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (seed * 31 + i) % 256);
}

/** Fills the original database: two applications, instances in each status, odd snapshots. */
async function fillOriginal(url: string): Promise<void> {
  const pg = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await pg.unsafe(ORIGINAL_DDL);
    await pg`insert into applications (id, app_slug, app_name, created_at, github_url,
      github_stars, github_stars_updated_at) values
      (${APP_PHOTO}, 'photo-vault', 'Photo Vault', ${at(60)},
        'https://github.com/acme/photo-vault.git', 42, ${at(1)}),
      (${APP_CREME}, 'creme-brulee', 'Crème Brûlée', ${at(50)}, 'https://gitlab.com/x/y', 3, null),
      (${crypto.randomUUID()}, 'ghost', 'Ghost', ${at(50)}, 'acme/ghost', null, null)`;
    const instance = (
      id: string,
      seed: number,
      app: string | null,
      status: string,
      created: Date,
      seen: Date,
      name = "Photo Vault",
    ) =>
      pg`insert into instances (id, instance_id, public_key, app_name, app_version,
        deployment_mode, environment, os_arch, status, last_seen_at, created_at, application_id)
        values (${crypto.randomUUID()}, ${id}, ${
        seed === 0 ? new Uint8Array(16) : key(seed)
      }, ${name}, '2.1.0', 'docker', 'production', 'linux/amd64', ${status}, ${seen},
        ${created}, ${app})`;
    await instance(ACTIVE, 1, APP_PHOTO, "active", at(40), at(0, 9));
    await instance(PENDING, 2, APP_PHOTO, "pending", at(3), at(3));
    await instance(REVOKED, 3, APP_CREME, "revoked", at(45), at(20), "Crème Brûlée");
    await instance(LONE, 4, null, "active", at(10), at(1), "Lone Tool!");
    await instance(BAD_KEY, 0, APP_PHOTO, "active", at(5), at(5));

    const snapshot = (id: string, when: Date, data: unknown) =>
      pg`insert into snapshots (instance_id, snapshot_at, data)
        values (${id}, ${when}, ${pg.json(data as postgres.JSONValue)})`;
    // ACTIVE: 30 days ago (history only, outside the raw window), then two a day for 3 days.
    await snapshot(ACTIVE, at(30), { users: 1 });
    for (const daysAgo of [2, 1, 0]) {
      await snapshot(ACTIVE, at(daysAgo, 8), { users: 10 - daysAgo, storage: { gb: 1.5 } });
      await snapshot(ACTIVE, at(daysAgo, 9), {
        users: 20 - daysAgo,
        storage: { gb: 2.5, files: { count: 7 } },
        tags: ["a", "b"],
        mode: "fast",
        ok: true,
      });
    }
    await snapshot(ACTIVE, at(1, 12), ["not", "an", "object"]);
    await snapshot(ACTIVE, new Date(NOW.getTime() + 2 * DAY), { users: 999 });
    // REVOKED keeps its history; LONE has one; PENDING none.
    await snapshot(REVOKED, at(21), { users: 3 });
    await snapshot(REVOKED, at(20), { users: 4 });
    await snapshot(LONE, at(1), { jobs: 5 });
    await snapshot(BAD_KEY, at(5), { users: 1 });
  } finally {
    await pg.end();
  }
}

async function counts(db: Database) {
  const [row] = await db.query<Record<string, number>>(sql`select
    (select count(*)::int from applications) as applications,
    (select count(*)::int from instances) as instances,
    (select count(*)::int from instance_days) as days,
    (select coalesce(sum(snapshots), 0)::int from instance_days) as day_snapshots,
    (select count(*)::int from snapshots) as raw`);
  return row;
}

Deno.test({
  name: "importOriginalShm() brings applications, instances and history, and adds nothing twice",
  ignore: !reachable,
  async fn() {
    await using original = await freshPostgresDatabase();
    await fillOriginal(original.setting.kind === "postgres" ? original.setting.url : "");
    await using target = await openTestDatabase();
    const { openStore } = await import("../server/store/mod.ts");
    const source = await openStore(original.setting);
    try {
      const first = await importOriginalShm(source, target.db, {
        now: NOW,
        rawRetentionDays: 14,
      });
      assert.deepEqual(first.applications, { seen: 3, created: 3 });
      assert.deepEqual(first.instances, {
        seen: 5,
        created: 4,
        merged: 0,
        keyConflicts: 0,
        skipped: 1,
      });
      assert.deepEqual(first.snapshots, {
        read: 12,
        stored: 10,
        alreadyPresent: 0,
        refused: 2,
        droppedMetrics: 3,
      });
      assert.deepEqual(first.problems, [
        `instance ${BAD_KEY}: skipped, its public key is not 32 bytes (16)`,
        'application creme-brulee: GitHub link "https://gitlab.com/x/y" names no github.com ' +
        "repository, not set",
        "application ghost: GitHub link not set, as no instance brought the application",
      ]);
      // The original's GitHub link is the repository here, with the stars it read, due at once.
      assert.deepEqual(first.github, { seen: 3, set: 1, alreadySet: 0, skipped: 2 });
      const repos = await target.db.query<Record<string, unknown>>(sql`
        select a.slug, g.repo, g.stars, g.checked_at, g.error, g.next_check_at
        from github_repos g join applications a on a.id = g.app_id`);
      assert.deepEqual(repos, [{
        slug: "photo-vault",
        repo: "acme/photo-vault",
        stars: 42,
        checked_at: at(1),
        error: null,
        next_check_at: NOW,
      }]);

      const instances = await target.db.query<Record<string, unknown>>(sql`
        select i.instance_id::text as id, a.slug, a.name, i.public_key, i.status, i.app_version,
          i.environment, i.os_arch, i.first_seen, i.last_seen, i.last_snapshot_at, i.metrics
        from instances i join applications a on a.id = i.app_id order by i.first_seen`);
      assert.deepEqual(instances.map((i) => [i["id"], i["slug"], i["status"]]), [
        [REVOKED, "creme-brulee", "revoked"],
        [ACTIVE, "photo-vault", "active"],
        [LONE, "lone-tool", "active"],
        [PENDING, "photo-vault", "pending"],
      ]);
      const active = instances[1]!;
      assert.deepEqual(new Uint8Array(active["public_key"] as Uint8Array), key(1));
      assert.deepEqual(active["first_seen"], at(40));
      assert.deepEqual(active["last_seen"], at(0, 9));
      assert.deepEqual(active["last_snapshot_at"], at(0, 9));
      assert.equal(active["app_version"], "2.1.0");
      assert.equal(active["os_arch"], "linux/amd64");
      assert.deepEqual(active["metrics"], {
        users: 20,
        "storage.gb": 2.5,
        "storage.files.count": 7,
        mode: "fast",
        ok: true,
      });
      assert.equal(instances[0]!["name"], "Crème Brûlée");
      assert.equal(instances[3]!["last_snapshot_at"], null);

      const days = await target.db.query<{ id: string; day: string; n: number; users: unknown }>(
        sql`select instance_id::text as id, to_char(day, 'YYYY-MM-DD') as day, snapshots as n,
          metrics -> 'users' as users from instance_days order by instance_id, day`,
      );
      const activeDays = days.filter((d) => d.id === ACTIVE).map((d) => [d.day, d.n, d.users]);
      assert.deepEqual(activeDays, [
        ["2026-02-18", 1, 1],
        ["2026-03-18", 2, 18],
        ["2026-03-19", 2, 19],
        ["2026-03-20", 2, 20],
      ]);
      assert.deepEqual(days.filter((d) => d.id === REVOKED).map((d) => [d.day, d.n]), [
        ["2026-02-27", 1],
        ["2026-02-28", 1],
      ]);
      // Raw rows only inside the 14-day window: ACTIVE's six recent ones and LONE's one.
      const raw = await target.db.query<{ id: string; n: number }>(sql`
        select instance_id::text as id, count(*)::int as n from snapshots group by 1`);
      assert.deepEqual(
        Object.fromEntries(raw.map((r) => [r.id, r.n])),
        { [ACTIVE]: 6, [LONE]: 1 },
      );
      const before = await counts(target.db);

      const second = await importOriginalShm(source, target.db, {
        now: NOW,
        rawRetentionDays: 14,
      });
      assert.deepEqual(second.applications, { seen: 3, created: 0 });
      assert.deepEqual(second.instances, {
        seen: 5,
        created: 0,
        merged: 4,
        keyConflicts: 0,
        skipped: 1,
      });
      assert.equal(second.snapshots.stored, 0);
      assert.deepEqual(second.github, { seen: 3, set: 0, alreadySet: 1, skipped: 2 });
      assert.equal(second.snapshots.alreadyPresent, 10);
      assert.deepEqual(await counts(target.db), before, "nothing duplicated");
    } finally {
      await source.close();
    }
  },
});

Deno.test({
  name: "importOriginalShm() keeps a revoked instance revoked and refuses another key",
  ignore: !reachable,
  async fn() {
    await using original = await freshPostgresDatabase();
    await fillOriginal(original.setting.kind === "postgres" ? original.setting.url : "");
    await using target = await openTestDatabase();
    const { openStore, registerInstance, setInstanceStatus } = await import(
      "../server/store/mod.ts"
    );
    const registration = {
      appSlug: "photo-vault",
      appName: "Photo Vault",
      appVersion: "3.0.0",
      environment: null,
      deploymentMode: null,
      osArch: null,
    };
    // ACTIVE already here and revoked by the operator; PENDING here with another key.
    await registerInstance(
      target.db,
      { ...registration, instanceId: ACTIVE, publicKey: key(1) },
      NOW,
    );
    await setInstanceStatus(target.db, ACTIVE, "revoked");
    await registerInstance(
      target.db,
      { ...registration, instanceId: PENDING, publicKey: key(9) },
      NOW,
    );
    const source = await openStore(original.setting);
    try {
      const report = await importOriginalShm(source, target.db, { now: NOW, rawRetentionDays: 14 });
      assert.equal(report.instances.keyConflicts, 1);
      assert.ok(report.problems.includes(
        `instance ${PENDING}: already here with another public key, left as is`,
      ));
      const rows = await target.db.query<
        { id: string; status: string; key: Uint8Array; v: string }
      >(
        sql`select instance_id::text as id, status, public_key as key, app_version as v
          from instances where instance_id = any(${[ACTIVE, PENDING]}::uuid[])`,
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      assert.equal(byId.get(ACTIVE)?.status, "revoked", "an import never re-opens a revoked one");
      assert.equal(byId.get(ACTIVE)?.v, "3.0.0", "what this server knows is kept");
      assert.deepEqual(new Uint8Array(byId.get(PENDING)!.key), key(9), "the key never changes");
    } finally {
      await source.close();
    }
  },
});

Deno.test({
  name: "importOriginalShm() refuses a database that is not the original's, writing nothing",
  ignore: !reachable,
  async fn() {
    await using empty = await freshPostgresDatabase();
    await using target = await openTestDatabase();
    const { openStore } = await import("../server/store/mod.ts");
    const source = await openStore(empty.setting);
    try {
      await assert.rejects(
        importOriginalShm(source, target.db, { now: NOW, rawRetentionDays: 14 }),
        (error: unknown) =>
          error instanceof Error &&
          /^Cannot import as the source database is not an original SHM database: missing applications\.id/
            .test(error.message),
      );
      assert.deepEqual(await counts(target.db), {
        applications: 0,
        instances: 0,
        days: 0,
        day_snapshots: 0,
        raw: 0,
      });
    } finally {
      await source.close();
    }
  },
});

Deno.test({
  name: "shm import-shm <url> imports into the configured store and prints the counts",
  ignore: !reachable,
  async fn() {
    await using original = await freshPostgresDatabase();
    const url = original.setting.kind === "postgres" ? original.setting.url : "";
    await fillOriginal(url);
    // Migrated, as a server leaves it: the import is under test here, not a first start.
    await using store = await freshStoreSetting({ migrated: true });
    const run = async (args: string[]) => {
      const { code, text } = await runShm(
        args,
        store.setting.kind === "postgres"
          ? { SHM_DATABASE_URL: store.setting.url }
          : { SHM_DATA_DIR: store.setting.dataDir },
      );
      return { code, out: text };
    };
    const first = await run(["import-shm", url]);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /^applications: 3 seen, 3 new$/m);
    assert.match(
      first.out,
      /^instances: 5 seen, 4 new, 0 already here, 0 with another key here, 1 skipped$/m,
    );
    // The snapshot dated two days after the fixed "now" of the other tests is in the past here.
    assert.match(
      first.out,
      /^snapshots: 12 read, \d+ stored, 0 already here, \d+ refused; 3 metric values dropped$/m,
    );
    assert.match(
      first.out,
      /^GitHub links: 3 seen, 1 set as repositories, 0 already set here, 2 skipped$/m,
    );
    const second = await run(["import-shm", url]);
    assert.equal(second.code, 0, second.out);
    assert.match(
      second.out,
      /^instances: 5 seen, 0 new, 4 already here, 0 with another key here, 1 skipped$/m,
    );
    assert.match(second.out, /^snapshots: 12 read, 0 stored, \d+ already here/m);

    const missing = await run(["import-shm"]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.out,
      /import-shm needs the original server's database as a postgres:\/\/ URL/,
    );
  },
});

Deno.test("githubRepoOfUrl() takes the original's github.com links and owner/name, nothing else", () => {
  for (
    const [link, repo] of [
      ["https://github.com/acme/widget", "acme/widget"],
      ["http://www.github.com/acme/widget/", "acme/widget"],
      ["https://github.com/acme/widget.git", "acme/widget"],
      ["github.com/acme/widget", "acme/widget"],
      [" acme/widget ", "acme/widget"],
      ["HTTPS://GitHub.com/Acme/My.Repo", "Acme/My.Repo"],
    ]
  ) {
    assert.equal(githubRepoOfUrl(link!), repo, link);
  }
  for (
    const link of [
      "",
      "https://github.com/acme",
      "https://github.com/acme/widget/tree/main",
      "https://gitlab.com/acme/widget",
      "https://github.com.evil.example/acme/widget",
      "https://github.com/acme/widget?tab=readme",
      "https://github.com/-acme/widget",
      "javascript:alert(1)",
    ]
  ) {
    assert.equal(githubRepoOfUrl(link), null, link);
  }
});
