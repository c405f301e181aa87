/** Opening the store a setting names, with or without applying the migrations. */

import type { StoreSetting } from "../config.ts";
import { MIGRATIONS } from "../../migrations/mod.ts";
import type { Database } from "./drivers/database.ts";
import { openEmbeddedDatabase } from "./drivers/embedded_database.ts";
import { openPostgresDatabase } from "./drivers/postgres_database.ts";
import { runMigrations } from "./migrate.ts";

/**
 * Opens the store the setting names: the PostgreSQL server at its URL, or the
 * embedded database in its folder. Does not migrate; see {@linkcode openMigratedStore}.
 */
export async function openStore(setting: StoreSetting): Promise<Database> {
  return setting.kind === "postgres"
    ? openPostgresDatabase(setting.url, {
      ...(setting.connectTimeoutMs === undefined
        ? {}
        : { connectTimeoutMs: setting.connectTimeoutMs }),
      ...(setting.poolSize === undefined ? {} : { maxConnections: setting.poolSize }),
      ...(setting.prepare === undefined ? {} : { prepare: setting.prepare }),
    })
    : await openEmbeddedDatabase(setting.dataDir);
}

/** Opens the store and applies pending migrations; returns it with the names of those applied. */
export async function openMigratedStore(
  setting: StoreSetting,
): Promise<{ db: Database; applied: string[] }> {
  const db = await openStore(setting);
  try {
    return { db, applied: await runMigrations(db, MIGRATIONS) };
  } catch (error) {
    await db.close();
    throw error;
  }
}
