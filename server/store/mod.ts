/**
 * The store: everything that speaks SQL. Other layers import from here only.
 */

import type { StoreSetting } from "../config.ts";
import { MIGRATIONS } from "../../migrations/mod.ts";
import type { Database } from "./drivers/database.ts";
import { openEmbeddedDatabase } from "./drivers/embedded_database.ts";
import { runMigrations } from "./migrate.ts";
import { openPostgresDatabase } from "./drivers/postgres_database.ts";

export type { AvailabilityChange, Database, SqlQuery } from "./drivers/database.ts";
export { sql } from "./drivers/database.ts";
export { type MigrationState, migrationStatus, runMigrations, schemaVersion } from "./migrate.ts";
export { MIGRATIONS };
export * from "./instances.ts";
export * from "./instance_queries.ts";
export * from "./accounts/users.ts";
export * from "./accounts/sessions.ts";
export * from "./rollups/app_summaries.ts";
export * from "./rollups/hourly_activity.ts";
export * from "./instance_pages_queries.ts";
export * from "./accounts/api_tokens.ts";
export * from "./rollups/badge_summary.ts";
export * from "./applications.ts";
export * from "./rollups/rollups.ts";
export * from "./rollups/rollup_queries.ts";
export { checkStoreAnswers } from "./drivers/readiness.ts";
export {
  outsideStoreBudget,
  runWithinStoreBudget,
  waitWithinStoreBudget,
} from "./drivers/request_budget.ts";
export { maintainSnapshots, type MaintenanceReport } from "./snapshot_partitions.ts";
export * from "./bulk/import_shm_writes.ts";
export * from "./bulk/demo_writes.ts";
export * from "./bulk/original_shm_source.ts";
export * from "./bulk/embedded_backup.ts";
export * from "./bulk/portable_rows.ts";

/**
 * Opens the store the setting names: the PostgreSQL server at its URL, or the
 * embedded database in its folder. Does not migrate; see {@linkcode openMigratedStore}.
 */
export async function openStore(setting: StoreSetting): Promise<Database> {
  return setting.kind === "postgres"
    ? openPostgresDatabase(
      setting.url,
      setting.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: setting.connectTimeoutMs },
    )
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
