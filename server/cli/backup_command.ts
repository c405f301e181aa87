/** `shm backup <file>` and `shm restore <file> [--force]`: copies of the embedded store. */

import type { StoreSetting } from "../config.ts";
import { StoreUnavailableError } from "../errors.ts";
import { backupEmbeddedStore, BackupError, restoreEmbeddedStore } from "../store/mod.ts";

/** What PostgreSQL users are told instead: their server has its own tools. */
const POSTGRES_ANSWER = (command: string) =>
  `shm ${command}: the store is PostgreSQL; use ${
    command === "backup" ? "pg_dump -Fc" : "pg_restore"
  } (see docs/deploy.md, "Backups")`;

/**
 * Runs `shm backup` or `shm restore` for `file` on the configured store and
 * prints one line of outcome. Resolves with the exit code: 0 when done, 1
 * when the store is PostgreSQL, a server holds the folder, the file is not a
 * backup or the store holds data without `force`; 2 without a file.
 */
export async function backupCommand(
  command: "backup" | "restore",
  file: string | undefined,
  options: { store: StoreSetting; force: boolean; print: (line: string) => void },
): Promise<number> {
  const { store, print } = options;
  if (file === undefined) {
    print(`shm: ${command} needs a file, e.g. shm ${command} shm-backup.tar.gz (see shm --help)`);
    return 2;
  }
  if (store.kind === "postgres") {
    print(POSTGRES_ANSWER(command));
    return 1;
  }
  try {
    if (command === "backup") {
      const report = await backupEmbeddedStore(store.dataDir, file);
      print(
        `shm backup: wrote ${file} (${report.bytes} bytes, schema ${report.schemaVersion}) ` +
          `from ${store.dataDir}`,
      );
    } else {
      const report = await restoreEmbeddedStore(store.dataDir, file, { force: options.force });
      print(
        `shm restore: restored ${file} (schema ${report.schemaVersion}) into ${store.dataDir}`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof BackupError || error instanceof StoreUnavailableError) {
      print(`shm ${command}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
