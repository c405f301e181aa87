/**
 * `shm export` and `shm import` at work: the whole store written to a file
 * of the export format (`export_format.ts`), and such a file read back into
 * a store. Both directions stream: memory stays bounded by a page of rows or
 * a batch of records.
 */

import { type Database, exportRows, importRows, schemaVersion } from "../store/mod.ts";
import {
  checkHeader,
  EXPORT_RECORD_TYPES,
  ExportFileError,
  exportHeader,
  type ExportRecordType,
  readRecord,
  RECORD_TABLES,
} from "./export_format.ts";

const BATCH_SIZE = 500;

/** Counts per record type. */
export type RecordCounts = Record<ExportRecordType, number>;

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
    buffer.push(exportHeader(await schemaVersion(db), new Date()) + "\n");
    for (const type of EXPORT_RECORD_TYPES) {
      for await (const line of exportRows(db, RECORD_TABLES[type], { addFields: { type } })) {
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
    const outcome = await importRows(db, RECORD_TABLES[batchType], batch);
    written[batchType] += outcome.written;
    for (const id of outcome.keyConflicts) conflicts.add(id);
    batch = [];
  };
  const take = async (text: string) => {
    lineNumber++;
    if (text.trim() === "") return;
    if (lineNumber === 1) return checkHeader(text, { file, lineNumber, ourSchema });
    const { type, fields } = readRecord(text, { file, lineNumber, previous: batchType });
    read[type]++;
    if (type !== batchType || batch.length >= BATCH_SIZE) {
      await flush();
      batchType = type;
    }
    if (
      (type === "instance_day" || type === "snapshot") &&
      conflicts.has(String(fields["instance_id"]))
    ) return;
    batch.push(fields);
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

function emptyCounts(): RecordCounts {
  return {
    application: 0,
    github_repo: 0,
    github_release: 0,
    alert_rule: 0,
    instance: 0,
    instance_day: 0,
    snapshot: 0,
  };
}
