/** Opening the store a setting names, with or without applying the migrations. */

import type { StoreSetting } from "../config.ts";
import { MIGRATIONS } from "../../migrations/mod.ts";
import type { Database } from "./drivers/database.ts";
import { openEmbeddedDatabase } from "./drivers/embedded_database.ts";
import { openPostgresDatabase } from "./drivers/postgres_database.ts";
import { type ReadSource, type RoutedDatabase, routeReads } from "./drivers/read_routing.ts";
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

/**
 * With a read replica in `setting`, `primary` with its reads routed to the
 * replica while it keeps up (see `read_routing.ts`); closing the result
 * closes the replica's pool only. Null without a read replica.
 */
export function openReadRouting(
  setting: StoreSetting,
  primary: Database,
  onSourceChange: (source: ReadSource) => void,
): RoutedDatabase | null {
  if (setting.kind !== "postgres" || setting.readUrl === undefined) return null;
  const standby = openPostgresDatabase(setting.readUrl, {
    ...(setting.connectTimeoutMs === undefined
      ? {}
      : { connectTimeoutMs: setting.connectTimeoutMs }),
    ...(setting.poolSize === undefined ? {} : { maxConnections: setting.poolSize }),
    ...(setting.prepare === undefined ? {} : { prepare: setting.prepare }),
  });
  return routeReads(primary, standby, {
    maxLagMs: setting.readMaxLagMs ?? 30_000,
    onSourceChange,
  });
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
