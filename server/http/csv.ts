/**
 * CSV answers (RFC 4180): fields separated by commas, records ended by CRLF, a
 * field quoted when it holds a comma, a quote, CR or LF (quotes doubled). A
 * text field that a spreadsheet would run as a formula (starting with `=`,
 * `+`, `-`, `@`, a tab or CR) gets a leading `'` and is quoted, so opening an
 * export never runs what an instance sent. Numbers are written as numbers.
 */

/** One field: text, a number, a boolean, or null (an empty field). */
export type CsvField = string | number | boolean | null;

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One field as it is written: escaped, quoted where needed, defused when it looks like a formula. */
export function csvField(value: CsvField): string {
  if (value === null) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (FORMULA_START.test(value)) return `"'${value.replaceAll('"', '""')}"`;
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One record: its fields joined by commas, ended by CRLF. */
export function csvRecord(fields: readonly CsvField[]): string {
  return fields.map(csvField).join(",") + "\r\n";
}

/**
 * A `text/csv` answer streamed from `records` (the header first), offered as
 * the download `fileName` (letters, digits, `.`, `-` and `_` only: anything
 * else becomes `_`, so no value reaches the header unchecked).
 */
export function csvResponse(
  fileName: string,
  records: AsyncIterable<readonly CsvField[]> | Iterable<readonly CsvField[]>,
): Response {
  const encoder = new TextEncoder();
  const iterator =
    (Symbol.asyncIterator in records
      ? records[Symbol.asyncIterator]()
      : (records as Iterable<readonly CsvField[]>)[Symbol.iterator]()) as
        | AsyncIterator<readonly CsvField[]>
        | Iterator<readonly CsvField[]>;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // A few hundred records per chunk: fewer writes than one per record, little memory.
      let chunk = "";
      for (let i = 0; i < 256; i++) {
        const next = await iterator.next();
        if (next.done) {
          if (chunk !== "") controller.enqueue(encoder.encode(chunk));
          controller.close();
          return;
        }
        chunk += csvRecord(next.value);
      }
      controller.enqueue(encoder.encode(chunk));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${safeFileName(fileName)}"`,
    },
  });
}

function safeFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 120);
  return safe === "" ? "export.csv" : safe;
}
