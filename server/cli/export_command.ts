/**
 * `shm export <file>` and `shm import <file>`: the whole store as JSON lines
 * (`server/transfer/`), to move between the embedded store and PostgreSQL
 * (either way).
 */

import type { StoreSetting } from "../config.ts";
import { openMigratedStore, openStore } from "../store/mod.ts";
import { exportStore, importStore, type RecordCounts } from "../transfer/export_file.ts";
import { ExportFileError } from "../transfer/export_format.ts";

function countsText(counts: RecordCounts): string {
  return `${counts.application} applications, ${counts.instance} instances, ` +
    `${counts.instance_day} days of history, ${counts.snapshot} raw snapshots, ` +
    `${counts.github_repo} GitHub repositories with ${counts.github_release} releases, ` +
    `${counts.alert_rule} alert rules`;
}

/**
 * Runs `shm export` or `shm import` for `file` on the configured store and
 * prints the counts. Resolves with the exit code: 0 when done, 1 for a file
 * that cannot be imported, 2 without a file. Throws when the store fails.
 */
export async function exportCommand(
  command: "export" | "import",
  file: string | undefined,
  options: { store: StoreSetting; print: (line: string) => void },
): Promise<number> {
  const { print } = options;
  if (file === undefined) {
    print(`shm: ${command} needs a file, e.g. shm ${command} shm-export.jsonl (see shm --help)`);
    return 2;
  }
  if (command === "export") {
    const db = await openStore(options.store);
    try {
      print(`shm export: wrote ${file}: ${countsText(await exportStore(db, file))}`);
      return 0;
    } finally {
      await db.close();
    }
  }
  const { db } = await openMigratedStore(options.store);
  try {
    const report = await importStore(db, file);
    print(`shm import: read ${countsText(report.read)}`);
    print(`shm import: stored ${countsText(report.written)} (the rest were already here)`);
    if (report.keyConflicts > 0) {
      print(`shm import: skipped ${report.keyConflicts} instances known here with another key`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ExportFileError) {
      print(`shm import: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await db.close();
  }
}
