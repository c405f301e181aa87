/** `shm import-shm <postgres-url>`: the command around the importer, with its output. */

import type { Config } from "../config.ts";
import { redactUrl } from "../config.ts";
import { importOriginalShm } from "../import/import_shm.ts";
import type { Logger } from "../log.ts";
import { openMigratedStore, openStore } from "../store/mod.ts";

/**
 * Imports the original SHM database at `sourceUrl` into the configured store
 * (migrated first) and prints the counts. Resolves with the exit code: 0 when
 * done, 2 for a missing or malformed URL. Throws when a database fails.
 */
export async function importCommand(
  sourceUrl: string | undefined,
  config: Config,
  io: { log: Logger; print: (line: string) => void },
): Promise<number> {
  if (sourceUrl === undefined || !/^postgres(ql)?:\/\/./.test(sourceUrl)) {
    io.print(
      "shm: import-shm needs the original server's database as a postgres:// URL, " +
        "e.g. shm import-shm postgres://user:pass@host:5432/shm (see shm --help)",
    );
    return 2;
  }
  const source = await openStore({ kind: "postgres", url: sourceUrl });
  try {
    const { db: target, applied } = await openMigratedStore(config.store);
    try {
      if (applied.length > 0) io.log.info("migrated", { applied });
      io.log.info("importing", { from: redactUrl(sourceUrl) });
      const report = await importOriginalShm(source, target, {
        now: new Date(),
        rawRetentionDays: config.rawRetentionDays,
        onInstance: (done, total) => {
          if (done % 1000 === 0) io.log.info("import progress", { instances: done, of: total });
        },
      });
      const a = report.applications;
      const i = report.instances;
      const s = report.snapshots;
      io.print(`applications: ${a.seen} seen, ${a.created} new`);
      io.print(
        `instances: ${i.seen} seen, ${i.created} new, ${i.merged} already here, ` +
          `${i.keyConflicts} with another key here, ${i.skipped} skipped`,
      );
      io.print(
        `snapshots: ${s.read} read, ${s.stored} stored, ${s.alreadyPresent} already here, ` +
          `${s.refused} refused; ${s.droppedMetrics} metric values dropped`,
      );
      const g = report.github;
      io.print(
        `GitHub links: ${g.seen} seen, ${g.set} set as repositories, ${g.alreadySet} already ` +
          `set here, ${g.skipped} skipped`,
      );
      for (const line of report.problems) io.print(`  ${line}`);
      return 0;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
