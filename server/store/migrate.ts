/** Applies the numbered migrations, once, under an advisory lock shared by every server process. */

import type { Migration } from "../../migrations/mod.ts";
import { type Database, sql } from "./drivers/database.ts";

/** Advisory lock key held while migrating ("shm" + "migr" as digits). */
const MIGRATION_LOCK_KEY = 73_687_709_001;

const CREATE_LEDGER = `
  create table if not exists schema_migrations (
    version integer primary key,
    name text not null,
    applied_at timestamptz not null default now()
  )`;

/** What `migrationStatus()` reports for each known migration. */
export interface MigrationState {
  readonly version: number;
  readonly name: string;
  readonly appliedAt: Date | null;
}

/**
 * Applies every migration not yet recorded, in order, in one transaction
 * holding a PostgreSQL advisory lock: two servers starting at once never both
 * migrate, and a failed migration leaves the schema as it was.
 * Returns the names of the migrations it applied.
 */
export async function runMigrations(
  db: Database,
  migrations: readonly Migration[],
): Promise<string[]> {
  return await db.transaction(async (tx) => {
    await tx.query(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}::bigint)`);
    await tx.execScript(CREATE_LEDGER);
    const done = new Set(
      (await tx.query<{ version: number }>(sql`select version from schema_migrations`))
        .map((row) => row.version),
    );
    const applied: string[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await tx.execScript(migration.sql);
      await tx.query(
        sql`insert into schema_migrations (version, name) values (${migration.version}, ${migration.name})`,
      );
      applied.push(migration.name);
    }
    return applied;
  });
}

/** Lists each known migration with the time it was applied, or null when it is pending. */
export async function migrationStatus(
  db: Database,
  migrations: readonly Migration[],
): Promise<MigrationState[]> {
  await db.execScript(CREATE_LEDGER);
  const rows = await db.query<{ version: number; applied_at: Date }>(
    sql`select version, applied_at from schema_migrations`,
  );
  const appliedAt = new Map(rows.map((row) => [row.version, row.applied_at]));
  return migrations.map((m) => ({
    version: m.version,
    name: m.name,
    appliedAt: appliedAt.get(m.version) ?? null,
  }));
}

/** The newest migration applied to `db`, 0 when none. */
export async function schemaVersion(db: Database): Promise<number> {
  const [row] = await db.query<{ version: number | null }>(
    sql`select max(version) as version from schema_migrations`,
  );
  return row?.version ?? 0;
}
