import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import { csvField, csvRecord, csvResponse } from "./csv.ts";

/** A small RFC 4180 reader for the tests: records of fields, quotes undone. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i++;
    } else field += c;
  }
  assert.equal(quoted, false, "every quote is closed");
  assert.deepEqual(record, [], "the last record ends with CRLF");
  assert.equal(field, "");
  return records;
}

Deno.test("csvField quotes what must be quoted and leaves the rest as it is", () => {
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField("a,b"), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField("two\nlines"), '"two\nlines"');
  assert.equal(csvField("cr\rhere"), '"cr\rhere"');
  assert.equal(csvField(null), "");
  assert.equal(csvField(-5), "-5", "a number is a number, even negative");
  assert.equal(csvField(0.25), "0.25");
  assert.equal(csvField(Number.NaN), "");
  assert.equal(csvField(true), "true");
  assert.equal(csvField(""), "");
});

Deno.test("csvField defuses text a spreadsheet would run as a formula", () => {
  for (const text of ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")']) {
    const written = csvField(text);
    assert.ok(written.startsWith(`"'`), `${JSON.stringify(text)} → ${written}`);
    assert.deepEqual(parseCsv(written + "\r\n"), [["'" + text]]);
  }
  assert.equal(csvField("a=b"), "a=b", "only the first character counts");
});

Deno.test("csvRecord round-trips any text through an RFC 4180 reader", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: "binary" }), { minLength: 1, maxLength: 6 }),
      (fields) => {
        const [parsed] = parseCsv(csvRecord(fields));
        assert.deepEqual(
          parsed,
          fields.map((f) => /^[=+\-@\t\r]/.test(f) ? "'" + f : f),
        );
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("csvResponse streams every record, as a download with a safe file name", async () => {
  async function* records() {
    yield ["id", "value"];
    for (let i = 0; i < 1000; i++) yield [i, i % 2 === 0 ? "even" : "=odd"];
  }
  const response = csvResponse('bad"name\r\n.csv', records());
  assert.equal(response.headers.get("content-type"), "text/csv; charset=utf-8");
  assert.equal(
    response.headers.get("content-disposition"),
    'attachment; filename="bad_name__.csv"',
  );
  const rows = parseCsv(await response.text());
  assert.equal(rows.length, 1001);
  assert.deepEqual(rows[0], ["id", "value"]);
  assert.deepEqual(rows[2], ["1", "'=odd"]);
  const fromArray = await csvResponse("x.csv", [["a"], ["b"]]).text();
  assert.equal(fromArray, "a\r\nb\r\n");
});
