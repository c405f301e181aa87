/**
 * Migrated templates for fresh test stores. An embedded store takes seconds to
 * initialise its folder and run every migration; PostgreSQL runs the
 * migrations in about a second per database. Both are done once per migration
 * list here, and every fresh store that asks to be migrated is a copy: the
 * embedded template's folder copied, or `create database ... template`.
 *
 * A template is named by a hash of the migrations (and of the PGlite build, for
 * the embedded one), so a changed migration makes a new one and an old one is
 * never used again. Test files run in parallel, each asking for the template:
 * the first to ask builds it under a lock (a lock file; an advisory lock on
 * PostgreSQL) while the others wait, under a name of its own, and renames it
 * into place, so a template is complete whenever it has its name, even when a
 * run was stopped halfway through building it.
 */

import postgres from "postgres";
import { MIGRATIONS, openStore, runMigrations } from "../../server/store/mod.ts";

/**
 * The `pgdata` folder of a migrated embedded store, made on first use in the
 * temporary directory and kept for later runs (`shm-test-template-<hash>`).
 * Never open it: copy it with {@linkcode copyEmbeddedTemplate}.
 */
export function embeddedTemplateFolder(): Promise<string> {
  embeddedTemplate ??= buildEmbeddedTemplate().catch((error) => {
    embeddedTemplate = undefined;
    throw error;
  });
  return embeddedTemplate;
}

let embeddedTemplate: Promise<string> | undefined;

/**
 * Fills `dataDir` (created if needed) with a copy of the migrated embedded
 * template, so that opening it finds a store at the newest migration.
 */
export async function copyEmbeddedTemplate(dataDir: string): Promise<void> {
  const template = await embeddedTemplateFolder();
  await Deno.mkdir(dataDir, { recursive: true });
  await copyFolder(template, `${dataDir}/pgdata`);
}

async function buildEmbeddedTemplate(): Promise<string> {
  // The data folder's format is the PGlite build's; its resolved path names its version.
  const key = await templateKey(import.meta.resolve("@electric-sql/pglite"));
  const building = await Deno.makeTempDir({ prefix: `shm-test-template-${key}-building-` });
  // Beside the build, on the same file system: the rename is atomic.
  const root = `${building.slice(0, building.lastIndexOf("/"))}/shm-test-template-${key}`;
  const pgdata = `${root}/pgdata`;
  let lock: Deno.FsFile | null = null;
  try {
    if (await isFolder(pgdata)) return pgdata;
    // One build at a time: the other test files wait for it rather than build one each.
    lock = await Deno.open(`${root}.lock`, { create: true, write: true });
    await lock.lock(true);
    if (await isFolder(pgdata)) return pgdata;
    const db = await openStore({ kind: "embedded", dataDir: building });
    try {
      await runMigrations(db, MIGRATIONS);
    } finally {
      await db.close();
    }
    await Deno.rename(building, root);
    return pgdata;
  } finally {
    lock?.close();
    await Deno.remove(building, { recursive: true }).catch(() => {});
  }
}

/**
 * The name of a migrated PostgreSQL database on the server of `adminUrl`,
 * made on first use next to its database (`<database>_tpl_<hash>`) and kept:
 * in CI, .ci/run drops it with the run's database. Nobody may connect to it
 * (`allow_connections false`), since `create database ... template` fails
 * while anyone is; copy it with `create database <name> template <template>`.
 */
export function postgresTemplateDatabase(adminUrl: string): Promise<string> {
  let template = postgresTemplates.get(adminUrl);
  if (template === undefined) {
    template = buildPostgresTemplate(adminUrl).catch((error) => {
      postgresTemplates.delete(adminUrl);
      throw error;
    });
    postgresTemplates.set(adminUrl, template);
  }
  return template;
}

const postgresTemplates = new Map<string, Promise<string>>();

async function buildPostgresTemplate(adminUrl: string): Promise<string> {
  const key = await templateKey("postgres");
  const base = decodeURIComponent(new URL(adminUrl).pathname.slice(1)) || "postgres";
  // PostgreSQL keeps 63 bytes of a name; the hash must survive.
  const name = `${base.replace(/[^a-z0-9_]/gi, "_").slice(0, 38)}_tpl_${key}`.toLowerCase();
  // One session (max 1): the advisory lock below is held until it ends.
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const exists = async () =>
    (await admin`select 1 from pg_database where datname = ${name}`).length > 0;
  try {
    if (await exists()) return name;
    // One build at a time on the server: the other test files wait for it.
    await admin`select pg_advisory_lock(${Number.parseInt(key.slice(0, 12), 16)}::bigint)`;
    if (await exists()) return name;
    const building = `shm_tpl_building_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    await admin.unsafe(`create database ${building}`);
    try {
      const url = new URL(adminUrl);
      url.pathname = `/${building}`;
      const db = await openStore({ kind: "postgres", url: url.toString() });
      try {
        await runMigrations(db, MIGRATIONS);
      } finally {
        await db.close();
      }
      await admin.unsafe(`alter database ${building} with allow_connections false`);
      // The closed pool's sessions may still be ending; a rename waits for none.
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${building}`;
      for (let attempt = 1;; attempt++) {
        try {
          await admin.unsafe(`alter database ${building} rename to ${name}`);
          return name;
        } catch (error) {
          // 55006: a session of the build is still leaving.
          const code = (error as { code?: string }).code;
          if (code !== "55006" || attempt === 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    } finally {
      await admin.unsafe(`drop database if exists ${building} with (force)`);
    }
  } finally {
    await admin.end();
  }
}

/** A short hash of the migrations and `more`: equal exactly when a template would be the same. */
async function templateKey(more: string): Promise<string> {
  const text = JSON.stringify([more, MIGRATIONS.map((m) => [m.version, m.name, m.sql])]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Copies the folder `from` to `to` (which must not exist), a few files at a time. */
async function copyFolder(from: string, to: string): Promise<void> {
  const files: string[] = [];
  const walk = async (relative: string) => {
    await Deno.mkdir(`${to}${relative}`);
    for await (const entry of Deno.readDir(`${from}${relative}`)) {
      if (entry.isDirectory) await walk(`${relative}/${entry.name}`);
      else files.push(`${relative}/${entry.name}`);
    }
  };
  await walk("");
  const copyNext = async (): Promise<void> => {
    for (let file = files.pop(); file !== undefined; file = files.pop()) {
      await Deno.copyFile(`${from}${file}`, `${to}${file}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, copyNext));
}
