/**
 * Fresh stores for tests. `SHM_TEST_STORE=postgres` runs them on PostgreSQL
 * (a new database per call, dropped afterwards, on the server named by
 * `SHM_TEST_PG_URL`, default postgres://postgres@127.0.0.1:5432/postgres);
 * anything else runs them on the embedded store.
 *
 * A fresh store is empty, as a first start finds it, unless the test asks for
 * a migrated one: that one is a copy of a template migrated once per migration
 * list (see `store_templates.ts`), seconds faster than migrating it again.
 */

import postgres from "postgres";
import type { StoreSetting } from "../../server/config.ts";
import { type Database, openStore, sql } from "../../server/store/mod.ts";
import { copyEmbeddedTemplate, postgresTemplateDatabase } from "./store_templates.ts";

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

/** What a fresh store holds. */
export interface FreshStoreOptions {
  /**
   * True for a store at the newest migration (a copy of the migrated
   * template), as a server leaves it after its first start. False by default:
   * an empty store, with no migration applied, as a first start finds it.
   */
  migrated?: boolean;
}

/** A migrated test database that is dropped or deleted on dispose. */
export interface TestDatabase extends AsyncDisposable {
  readonly db: Database;
  readonly setting: StoreSetting;
}

/**
 * Makes a new PostgreSQL database on the test server, empty or migrated as
 * `options` say, and returns its URL; disposing drops it (closing any
 * connection left to it).
 */
export async function freshPostgresDatabase(
  options: FreshStoreOptions = {},
): Promise<DisposableSetting> {
  const name = `shm_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const template = options.migrated ? await postgresTemplateDatabase(TEST_PG_ADMIN_URL) : null;
  const admin = postgres(TEST_PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(
      `create database ${name}${template === null ? "" : ` template ${template}`}`,
    );
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

/**
 * Makes a new embedded store folder in a temporary directory, empty (not even
 * created: the store makes it) or migrated as `options` say; disposing deletes it.
 */
export async function freshEmbeddedFolder(
  options: FreshStoreOptions = {},
): Promise<DisposableSetting> {
  const dir = await Deno.makeTempDir({ prefix: "shm-test-" });
  if (options.migrated) {
    await copyEmbeddedTemplate(`${dir}/data`).catch(async (error) => {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw error;
    });
  }
  return {
    setting: { kind: "embedded", dataDir: `${dir}/data` },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * A fresh store setting of this run's kind (see {@linkcode TEST_STORE_KIND}),
 * empty unless `options` ask for it migrated.
 */
export function freshStoreSetting(options: FreshStoreOptions = {}): Promise<DisposableSetting> {
  return TEST_STORE_KIND === "postgres"
    ? freshPostgresDatabase(options)
    : freshEmbeddedFolder(options);
}

/**
 * Opens an empty, migrated store of this run's kind. On PostgreSQL it is a
 * new database (a copy of the migrated template), dropped on dispose. The
 * embedded engine takes seconds to start, so each test file keeps one open
 * (a copy of the migrated template's folder, deleted when the file's tests
 * end) and empties it for each test (tests in one file run one after another).
 */
export async function openTestDatabase(): Promise<TestDatabase> {
  if (TEST_STORE_KIND === "embedded") {
    sharedEmbedded ??= openSharedEmbedded();
    const { db, setting } = await sharedEmbedded;
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
    return { db, setting, [Symbol.asyncDispose]: async () => {} };
  }
  const fresh = await freshPostgresDatabase({ migrated: true });
  let db: Database;
  try {
    db = await openStore(fresh.setting);
  } catch (error) {
    await fresh[Symbol.asyncDispose]();
    throw error;
  }
  return {
    db,
    setting: fresh.setting,
    async [Symbol.asyncDispose]() {
      await db.close();
      await fresh[Symbol.asyncDispose]();
    },
  };
}

let sharedEmbedded: Promise<{ db: Database; setting: StoreSetting }> | undefined;

/**
 * This test file's embedded store: a copy of the migrated template in a
 * temporary folder, deleted when the file's tests end (the module's `unload`).
 */
async function openSharedEmbedded(): Promise<{ db: Database; setting: StoreSetting }> {
  const dir = await Deno.makeTempDir({ prefix: "shm-test-shared-" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already gone */ }
  });
  const setting: StoreSetting = { kind: "embedded", dataDir: `${dir}/data` };
  await copyEmbeddedTemplate(setting.dataDir);
  return { db: await openStore(setting), setting };
}

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
