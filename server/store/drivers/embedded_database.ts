/** The embedded driver: PostgreSQL compiled to WebAssembly (PGlite), persisted to a folder. */

import { PGlite, type Transaction } from "@electric-sql/pglite";
import { StoreUnavailableError } from "../../errors.ts";
import type { Database, SqlQuery } from "./database.ts";

/**
 * Opens (creating if needed) the embedded database kept in `dataDir`
 * (PostgreSQL's files in `dataDir/pgdata`), or one in memory when `dataDir`
 * is `"memory://"`. Only one process may open a folder at a time: a second
 * one gets a {@linkcode StoreUnavailableError} saying so.
 */
export async function openEmbeddedDatabase(dataDir: string): Promise<Database> {
  const lock = dataDir === "memory://" ? null : await lockDataDir(dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(lock === null ? undefined : `${dataDir}/pgdata`);
  } catch (error) {
    lock?.close();
    throw new StoreUnavailableError(
      `Cannot open the embedded store in ${dataDir}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  let closed = false;
  const database: Database = {
    ...wrap(db, db),
    // In this process, it cannot stop answering: a deadline would change nothing.
    withDeadline: () => database,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        lock?.close();
      }
    },
  };
  return database;
}

function wrap(db: PGlite, connection: PGlite | Transaction): Database {
  const database: Database = {
    kind: "embedded",
    async query<Row>(query: SqlQuery): Promise<Row[]> {
      const result = await connection.query<Row>(query.text, query.params as unknown[]);
      return result.rows;
    },
    async execScript(script: string): Promise<void> {
      await connection.exec(script);
    },
    transaction<T>(work: (tx: Database) => Promise<T>): Promise<T> {
      if (connection !== db) return work(wrap(db, connection));
      return db.transaction((tx) => work(wrap(db, tx)));
    },
    withDeadline: () => database,
    onAvailabilityChange: () => () => {},
    close(): Promise<void> {
      return db.close();
    },
  };
  return database;
}

/**
 * Creates `dataDir` if needed and takes an exclusive lock on its lock file,
 * held until the returned file is closed. Throws a
 * {@linkcode StoreUnavailableError} when another process holds it.
 */
export async function lockDataDir(dataDir: string): Promise<Deno.FsFile> {
  await Deno.mkdir(dataDir, { recursive: true });
  const file = await Deno.open(`${dataDir}/shm.lock`, { create: true, write: true });
  if (!await file.tryLock(true)) {
    file.close();
    throw new StoreUnavailableError(
      `Cannot open the embedded store in ${dataDir} as another process has it open`,
    );
  }
  return file;
}
