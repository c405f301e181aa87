/**
 * The file of `shm export` and `shm import`: JSON lines. The first line is a
 * header, `{"format":"shm-export","version":1,"schema_version":N,"exported_at":"…"}`;
 * each further line is one record, a row of the store with a `"type"`:
 * applications, then their GitHub repositories, releases and alert rules,
 * then instances, then days of history, then raw snapshots. A file written
 * before a type existed (schema before 0010 or 0012) lacks its records and
 * still reads.
 */

import type { PortableTable } from "../store/mod.ts";

/** The format name in the header line. */
export const EXPORT_FORMAT = "shm-export";
/** The version of the file format; a reader refuses a newer one. */
export const EXPORT_FORMAT_VERSION = 1;

/** The kinds of record an export holds, in the order they are written and must be imported. */
export const EXPORT_RECORD_TYPES = [
  "application",
  "github_repo",
  "github_release",
  "alert_rule",
  "instance",
  "instance_day",
  "snapshot",
] as const;

/** One kind of exported record. */
export type ExportRecordType = typeof EXPORT_RECORD_TYPES[number];

/** The store table whose rows each kind of record carries. */
export const RECORD_TABLES: Readonly<Record<ExportRecordType, PortableTable>> = {
  application: "applications",
  github_repo: "github_repos",
  github_release: "github_releases",
  alert_rule: "alert_rules",
  instance: "instances",
  instance_day: "instance_days",
  snapshot: "snapshots",
};

/** A file that is not an export this program can read. */
export class ExportFileError extends Error {
  override name = "ExportFileError";
}

/** A record line, read: its type and the whole object (the `"type"` field included). */
export interface ExportRecord {
  readonly type: ExportRecordType;
  readonly fields: Record<string, unknown>;
}

/** Where a line stands: the file and its line number, from 1. */
export interface LinePlace {
  readonly file: string;
  readonly lineNumber: number;
}

/** The header line of an export of a store whose newest migration is `schemaVersion`. */
export function exportHeader(schemaVersion: number, exportedAt: Date): string {
  return JSON.stringify({
    format: EXPORT_FORMAT,
    version: EXPORT_FORMAT_VERSION,
    schema_version: schemaVersion,
    exported_at: exportedAt.toISOString(),
  });
}

/**
 * Checks the header line `text` of an export to be read into a store whose
 * newest migration is `ourSchema`. Throws {@linkcode ExportFileError} when it
 * is not JSON or not an export's header, when its format version is not
 * this one, or when it comes from a newer schema.
 */
export function checkHeader(text: string, place: LinePlace & { ourSchema: number }): void {
  const { file, ourSchema } = place;
  const header = parseLine(text, place) as Record<string, unknown> | null;
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

/**
 * Reads the record line `text`, which follows a record of type `previous`
 * (null for the first one). Throws {@linkcode ExportFileError} when it is not
 * JSON, has no known type, or has a type that comes before `previous`'s.
 */
export function readRecord(
  text: string,
  place: LinePlace & { previous: ExportRecordType | null },
): ExportRecord {
  const { file, lineNumber, previous } = place;
  const value = parseLine(text, place);
  const fields = value as Record<string, unknown>;
  const type = fields?.["type"] as ExportRecordType;
  const order = EXPORT_RECORD_TYPES.indexOf(type);
  if (typeof value !== "object" || value === null || order < 0) {
    throw new ExportFileError(
      `Cannot import ${file} as line ${lineNumber} has an unknown type: ${String(type)}`,
    );
  }
  if (previous !== null && order < EXPORT_RECORD_TYPES.indexOf(previous)) {
    throw new ExportFileError(
      `Cannot import ${file} as line ${lineNumber} (${type}) comes after ${previous} records`,
    );
  }
  return { type, fields };
}

function parseLine(text: string, place: LinePlace): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ExportFileError(
      `Cannot import ${place.file} as line ${place.lineNumber} is not JSON`,
    );
  }
}
