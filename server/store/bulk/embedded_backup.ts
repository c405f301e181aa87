/**
 * Backup and restore of the embedded store: PGlite's own copy of its data
 * folder (a gzipped tarball), taken and put back while this process holds the
 * folder's lock, so that no server writes to it meanwhile.
 */

import { PGlite } from "@electric-sql/pglite";
import { lockDataDir } from "../drivers/embedded_database.ts";

/** A backup file that cannot be restored, or a store that restore must not overwrite. */
export class BackupError extends Error {
  override name = "BackupError";
}

/** What a backup or a restore did. */
export interface BackupReport {
  /** Bytes of the backup file. */
  readonly bytes: number;
  /** The newest schema migration in the backed-up or restored store (0 if none). */
  readonly schemaVersion: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Writes a backup of the embedded store in `dataDir` to `file` (replacing it).
 * Throws `StoreUnavailableError` when a server has the folder open, and
 * {@linkcode BackupError} when the folder holds no store.
 */
export async function backupEmbeddedStore(dataDir: string, file: string): Promise<BackupReport> {
  const lock = await lockDataDir(dataDir);
  try {
    if (!await hasStore(dataDir)) {
      throw new BackupError(`Cannot back up ${dataDir} as it holds no embedded store`);
    }
    const db = await PGlite.create(`${dataDir}/pgdata`);
    let bytes: Uint8Array;
    let schemaVersion: number;
    try {
      schemaVersion = await newestMigration(db);
      bytes = new Uint8Array(await (await db.dumpDataDir("gzip")).arrayBuffer());
    } finally {
      await db.close();
    }
    // Written beside the target and renamed, so a failed write leaves no half file under its name.
    const partial = `${file}.partial-${crypto.randomUUID().slice(0, 8)}`;
    try {
      await Deno.writeFile(partial, bytes);
      await Deno.rename(partial, file);
    } catch (error) {
      await Deno.remove(partial).catch(() => {});
      throw error;
    }
    return { bytes: bytes.length, schemaVersion };
  } finally {
    lock.close();
  }
}

/**
 * Restores the backup `file` into `dataDir`. The file is first loaded into a
 * folder beside the store and checked to be an SHM store; only then does it
 * replace the store. Throws {@linkcode BackupError}, changing nothing, when
 * the file is missing or not a backup, or when the store holds applications,
 * instances or users and `force` is not set; `StoreUnavailableError` when a
 * server has the folder open.
 */
export async function restoreEmbeddedStore(
  dataDir: string,
  file: string,
  options: { force?: boolean } = {},
): Promise<BackupReport> {
  const bytes = await readBackup(file);
  const lock = await lockDataDir(dataDir);
  const staging = `${dataDir}/pgdata.restoring-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (!options.force && await hasStore(dataDir)) {
      const rows = await storedRows(dataDir);
      if (rows > 0) {
        throw new BackupError(
          `Cannot restore into ${dataDir} as its store holds data (${rows} applications, ` +
            `instances and users); add --force to replace it`,
        );
      }
    }
    let schemaVersion: number;
    try {
      const db = await PGlite.create({ dataDir: staging, loadDataDir: new Blob([bytes]) });
      try {
        schemaVersion = await newestMigration(db);
      } finally {
        await db.close();
      }
    } catch (error) {
      throw new BackupError(`Cannot restore ${file} as it is not a backup of an SHM store`, {
        cause: error,
      });
    }
    if (schemaVersion === 0) {
      throw new BackupError(`Cannot restore ${file} as it is not a backup of an SHM store`);
    }
    const previous = `${dataDir}/pgdata.replaced-${crypto.randomUUID().slice(0, 8)}`;
    const had = await hasStore(dataDir);
    if (had) await Deno.rename(`${dataDir}/pgdata`, previous);
    await Deno.rename(staging, `${dataDir}/pgdata`);
    if (had) await Deno.remove(previous, { recursive: true });
    return { bytes: bytes.length, schemaVersion };
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    lock.close();
  }
}

async function readBackup(file: string): Promise<Uint8Array<ArrayBuffer>> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new BackupError(`Cannot restore ${file} as it does not exist`);
    }
    throw error;
  }
  if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) {
    throw new BackupError(`Cannot restore ${file} as it is not a backup (not a gzipped tarball)`);
  }
  return bytes;
}

async function hasStore(dataDir: string): Promise<boolean> {
  try {
    return (await Deno.stat(`${dataDir}/pgdata/PG_VERSION`)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Rows in the tables that make a store worth keeping; 0 for a store never migrated. */
async function storedRows(dataDir: string): Promise<number> {
  const db = await PGlite.create(`${dataDir}/pgdata`);
  try {
    const tables = ["applications", "instances", "users"];
    let total = 0;
    for (const table of tables) {
      const [exists] = (await db.query<{ name: string | null }>(
        "select to_regclass($1)::text as name",
        [`public.${table}`],
      )).rows;
      if (exists?.name == null) continue;
      const [row] = (await db.query<{ n: number }>(`select count(*)::int as n from ${table}`))
        .rows;
      total += row?.n ?? 0;
    }
    return total;
  } finally {
    await db.close();
  }
}

async function newestMigration(db: PGlite): Promise<number> {
  const [ledger] = (await db.query<{ name: string | null }>(
    "select to_regclass('public.schema_migrations')::text as name",
  )).rows;
  if (ledger?.name == null) return 0;
  const [row] = (await db.query<{ version: number | null }>(
    "select max(version) as version from schema_migrations",
  )).rows;
  return row?.version ?? 0;
}
