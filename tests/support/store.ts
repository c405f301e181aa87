/**
 * Fresh stores for tests. `SHM_TEST_STORE=postgres` runs them on PostgreSQL
 * (a new database per call, dropped afterwards, on the server named by
 * `SHM_TEST_PG_URL`, default postgres://postgres@127.0.0.1:5432/postgres);
 * anything else runs them on the embedded store.
 */

import postgres from "postgres";
import type { StoreSetting } from "../../server/config.ts";
import {
  type Database,
  MIGRATIONS,
  openStore,
  runMigrations,
  sql,
} from "../../server/store/mod.ts";

/** Which store the store-dependent tests run on in this run. */
export const TEST_STORE_KIND: "postgres" | "embedded" =
  Deno.env.get("SHM_TEST_STORE") === "postgres" ? "postgres" : "embedded";

/** The PostgreSQL server used to create test databases. */
export const TEST_PG_ADMIN_URL = Deno.env.get("SHM_TEST_PG_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";

/** A store setting that can be disposed of (the database or folder is removed). */
export interface DisposableSetting extends AsyncDisposable {
  readonly setting: StoreSetting;
}

/** A migrated test database that is dropped or deleted on dispose. */
export interface TestDatabase extends AsyncDisposable {
  readonly db: Database;
  readonly setting: StoreSetting;
}

/**
 * Makes a new, empty PostgreSQL database on the test server and returns its
 * URL; disposing drops it (closing any connection left to it).
 */
export async function freshPostgresDatabase(): Promise<DisposableSetting> {
  const name = `shm_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(TEST_PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    setting: { kind: "postgres", url: url.toString() },
    async [Symbol.asyncDispose]() {
      const drop = postgres(TEST_PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await drop.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await drop.end();
      }
    },
  };
}

/** Makes a new embedded store folder in a temporary directory; disposing deletes it. */
export async function freshEmbeddedFolder(): Promise<DisposableSetting> {
  const dir = await Deno.makeTempDir({ prefix: "shm-test-" });
  return {
    setting: { kind: "embedded", dataDir: `${dir}/data` },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A fresh store setting of this run's kind (see {@linkcode TEST_STORE_KIND}). */
export function freshStoreSetting(): Promise<DisposableSetting> {
  return TEST_STORE_KIND === "postgres" ? freshPostgresDatabase() : freshEmbeddedFolder();
}

/**
 * Opens an empty, migrated store of this run's kind. On PostgreSQL it is a
 * new database, dropped on dispose. The embedded engine takes seconds to
 * start, so each test file keeps one in memory and empties it for each test
 * (tests in one file run one after another).
 */
export async function openTestDatabase(): Promise<TestDatabase> {
  if (TEST_STORE_KIND === "embedded") {
    sharedEmbedded ??= openStore({ kind: "embedded", dataDir: "memory://" }).then(async (db) => {
      await runMigrations(db, MIGRATIONS);
      return db;
    });
    const db = await sharedEmbedded;
    // Every table a migration made, whatever later migrations add.
    const tables = await db.query<{ name: string }>(sql`
      select tablename as name from pg_tables
      where schemaname = 'public' and tablename <> 'schema_migrations'`);
    await db.execScript(
      `truncate ${tables.map((t) => t.name).join(", ")} restart identity cascade`,
    );
    // Daily partitions outlive a truncate; a fresh store has none.
    const partitions = await db.query<{ name: string }>(sql`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'snapshots'::regclass and c.relname <> 'snapshots_default'`);
    for (const { name } of partitions) await db.execScript(`drop table ${name}`);
    return {
      db,
      setting: { kind: "embedded", dataDir: "memory://" },
      [Symbol.asyncDispose]: async () => {},
    };
  }
  const fresh = await freshPostgresDatabase();
  const db = await openStore(fresh.setting);
  await runMigrations(db, MIGRATIONS);
  return {
    db,
    setting: fresh.setting,
    async [Symbol.asyncDispose]() {
      await db.close();
      await fresh[Symbol.asyncDispose]();
    },
  };
}

let sharedEmbedded: Promise<Database> | undefined;

/** Whether the PostgreSQL test server answers; tests that need it print why they skip when it does not. */
export async function postgresReachable(): Promise<boolean> {
  const probe = postgres(TEST_PG_ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await probe`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await probe.end({ timeout: 1 }).catch(() => {});
  }
}
