/**
 * `shm export <file>` and `shm import <file>`: the whole store as JSON lines,
 * to move between the embedded store and PostgreSQL (either way).
 *
 * The file's first line is a header, `{"format":"shm-export","version":1,
 * "schema_version":N,"exported_at":"…"}`; each further line is one record
 * with a `"type"`: applications, then instances, then days of history, then
 * raw snapshots. Both directions stream: memory stays bounded by a page.
 */

import type { StoreSetting } from "../config.ts";
import {
  type Database,
  EXPORT_RECORD_TYPES,
  exportRecords,
  type ExportRecordType,
  importRecords,
  openMigratedStore,
  openStore,
  schemaVersion,
} from "../store/mod.ts";

/** The format name in the header line. */
export const EXPORT_FORMAT = "shm-export";
/** The version of the file format; a reader refuses a newer one. */
export const EXPORT_FORMAT_VERSION = 1;

const BATCH_SIZE = 500;

/** Counts per record type. */
export type RecordCounts = Record<ExportRecordType, number>;

/** A file that is not an export this program can read. */
export class ExportFileError extends Error {
  override name = "ExportFileError";
}

/** Writes every record of `db` to `file` (replacing it); returns the counts per type. */
export async function exportStore(db: Database, file: string): Promise<RecordCounts> {
  const counts = emptyCounts();
  const partial = `${file}.partial-${crypto.randomUUID().slice(0, 8)}`;
  const out = await Deno.open(partial, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let buffer: string[] = [];
  const flush = async () => {
    const bytes = encoder.encode(buffer.join(""));
    buffer = [];
    for (let written = 0; written < bytes.length;) {
      written += await out.write(bytes.subarray(written));
    }
  };
  try {
    const header = {
      format: EXPORT_FORMAT,
      version: EXPORT_FORMAT_VERSION,
      schema_version: await schemaVersion(db),
      exported_at: new Date().toISOString(),
    };
    buffer.push(JSON.stringify(header) + "\n");
    for (const type of EXPORT_RECORD_TYPES) {
      for await (const line of exportRecords(db, type)) {
        buffer.push(line + "\n");
        counts[type]++;
        if (buffer.length >= BATCH_SIZE) await flush();
      }
    }
    await flush();
    out.close();
    await Deno.rename(partial, file);
  } catch (error) {
    try {
      out.close();
    } catch { /* already closed */ }
    await Deno.remove(partial).catch(() => {});
    throw error;
  }
  return counts;
}

/** What an import read and wrote. */
export interface ImportStoreReport {
  readonly read: RecordCounts;
  readonly written: RecordCounts;
  /** Instances skipped, with their history, as this store knows them with another key. */
  readonly keyConflicts: number;
}

/**
 * Reads the export `file` into `db` (migrated). Throws {@linkcode ExportFileError}
 * before writing anything when the header is not an export's or is from a newer
 * schema than `db`'s, and on the first malformed line (what came before it is
 * stored; importing again after a fix completes the job, adding nothing twice).
 */
export async function importStore(db: Database, file: string): Promise<ImportStoreReport> {
  const read = emptyCounts();
  const written = emptyCounts();
  const conflicts = new Set<string>();
  const ourSchema = await schemaVersion(db);
  let input: Deno.FsFile;
  try {
    input = await Deno.open(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ExportFileError(`Cannot import ${file} as it does not exist`);
    }
    throw error;
  }
  let lineNumber = 0;
  let batchType: ExportRecordType | null = null;
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (batchType === null || batch.length === 0) return;
    const outcome = await importRecords(db, batchType, batch);
    written[batchType] += outcome.written;
    for (const id of outcome.keyConflicts) conflicts.add(id);
    batch = [];
  };
  const take = async (text: string) => {
    lineNumber++;
    if (text.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ExportFileError(`Cannot import ${file} as line ${lineNumber} is not JSON`);
    }
    if (lineNumber === 1) return checkHeader(file, value, ourSchema);
    const record = value as Record<string, unknown>;
    const type = record?.["type"] as ExportRecordType;
    const order = EXPORT_RECORD_TYPES.indexOf(type);
    if (typeof value !== "object" || value === null || order < 0) {
      throw new ExportFileError(
        `Cannot import ${file} as line ${lineNumber} has an unknown type: ${String(type)}`,
      );
    }
    if (batchType !== null && order < EXPORT_RECORD_TYPES.indexOf(batchType)) {
      throw new ExportFileError(
        `Cannot import ${file} as line ${lineNumber} (${type}) comes after ${batchType} records`,
      );
    }
    read[type]++;
    if (type !== batchType || batch.length >= BATCH_SIZE) {
      await flush();
      batchType = type;
    }
    if (
      (type === "instance_day" || type === "snapshot") &&
      conflicts.has(String(record["instance_id"]))
    ) return;
    batch.push(record);
  };
  const decoder = new TextDecoder();
  let pending = "";
  try {
    for await (const chunk of input.readable) {
      pending += decoder.decode(chunk, { stream: true });
      let newline;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        await take(text);
      }
    }
    pending += decoder.decode();
    if (pending !== "") await take(pending);
    if (lineNumber === 0) throw new ExportFileError(`Cannot import ${file} as it is empty`);
    await flush();
  } finally {
    try {
      input.close();
    } catch { /* closed by the stream */ }
  }
  return { read, written, keyConflicts: conflicts.size };
}

function checkHeader(file: string, value: unknown, ourSchema: number): void {
  const header = value as Record<string, unknown> | null;
  if (header?.["format"] !== EXPORT_FORMAT || typeof header["schema_version"] !== "number") {
    throw new ExportFileError(`Cannot import ${file} as it is not an shm export (no header line)`);
  }
  if (header["version"] !== EXPORT_FORMAT_VERSION) {
    throw new ExportFileError(
      `Cannot import ${file} as its format version is ${String(header["version"])}; ` +
        `this shm reads ${EXPORT_FORMAT_VERSION}`,
    );
  }
  if (header["schema_version"] > ourSchema) {
    throw new ExportFileError(
      `Cannot import ${file} as it comes from a newer schema (${header["schema_version"]}) ` +
        `than this shm's (${ourSchema}); upgrade shm first`,
    );
  }
}

function emptyCounts(): RecordCounts {
  return { application: 0, instance: 0, instance_day: 0, snapshot: 0 };
}

function countsText(counts: RecordCounts): string {
  return `${counts.application} applications, ${counts.instance} instances, ` +
    `${counts.instance_day} days of history, ${counts.snapshot} raw snapshots`;
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
