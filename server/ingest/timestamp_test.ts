import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import { describeOffset, parseRfc3339 } from "./timestamp.ts";

const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

Deno.test("parseRfc3339() reads a UTC timestamp with Z", () => {
  assert.deepEqual(parseRfc3339("2026-11-25T10:00:00Z"), {
    epochMs: Date.UTC(2026, 10, 25, 10, 0, 0),
    text: "2026-11-25T10:00:00Z",
  });
});

Deno.test("parseRfc3339() accepts lowercase t and z and spells them uppercase", () => {
  assert.deepEqual(parseRfc3339("2026-11-25t10:00:00z"), {
    epochMs: Date.UTC(2026, 10, 25, 10, 0, 0),
    text: "2026-11-25T10:00:00Z",
  });
});

Deno.test("parseRfc3339() accepts a space between date and time and spells it in UTC", () => {
  assert.deepEqual(parseRfc3339("2026-11-25 10:00:00+01:00"), {
    epochMs: Date.UTC(2026, 10, 25, 9, 0, 0),
    text: "2026-11-25T09:00:00Z",
  });
});

Deno.test("parseRfc3339() applies positive and negative offsets and spells the instant in UTC", () => {
  const cases: [string, number][] = [
    ["2026-11-25T10:00:00+02:00", Date.UTC(2026, 10, 25, 8, 0, 0)],
    ["2026-11-25T10:00:00-05:30", Date.UTC(2026, 10, 25, 15, 30, 0)],
    ["2026-11-25T10:00:00+00:00", Date.UTC(2026, 10, 25, 10, 0, 0)],
    ["2026-11-25T10:00:00-00:00", Date.UTC(2026, 10, 25, 10, 0, 0)],
    ["2026-01-01T00:30:00+23:59", Date.UTC(2025, 11, 31, 0, 31, 0)],
    ["2026-12-31T23:30:00-01:00", Date.UTC(2027, 0, 1, 0, 30, 0)],
  ];
  for (const [text, epochMs] of cases) {
    const utc = new Date(epochMs).toISOString().replace(".000Z", "Z");
    assert.deepEqual(parseRfc3339(text), { epochMs, text: utc }, text);
  }
});

Deno.test("parseRfc3339() spells a leap second as the next minute's first second", () => {
  assert.deepEqual(parseRfc3339("2026-12-31T23:59:60.25Z"), {
    epochMs: Date.UTC(2027, 0, 1, 0, 0, 0, 250),
    text: "2027-01-01T00:00:00.25Z",
  });
});

Deno.test("parseRfc3339() reads fractions of 1 to 9 digits and keeps them in the text", () => {
  const cases: [string, number][] = [
    ["2026-11-25T10:00:00.5Z", 500],
    ["2026-11-25T10:00:00.05Z", 50],
    ["2026-11-25T10:00:00.123Z", 123],
    ["2026-11-25T10:00:00.123456Z", 123],
    ["2026-11-25T10:00:00.999999999Z", 999],
    ["2026-11-25T10:00:00.000000001Z", 0],
  ];
  for (const [text, ms] of cases) {
    assert.deepEqual(
      parseRfc3339(text),
      { epochMs: Date.UTC(2026, 10, 25, 10, 0, 0) + ms, text },
      text,
    );
  }
});

Deno.test("parseRfc3339() accepts February 29 only in leap years", () => {
  assert.equal(parseRfc3339("2024-02-29T12:00:00Z")?.epochMs, Date.UTC(2024, 1, 29, 12));
  assert.equal(parseRfc3339("2000-02-29T12:00:00Z")?.epochMs, Date.UTC(2000, 1, 29, 12));
  assert.equal(parseRfc3339("2023-02-29T12:00:00Z"), null);
  assert.equal(parseRfc3339("1900-02-29T12:00:00Z"), null);
  assert.equal(parseRfc3339("2100-02-29T12:00:00Z"), null);
});

Deno.test("parseRfc3339() refuses dates and times that do not exist", () => {
  for (
    const text of [
      "2026-02-30T10:00:00Z",
      "2026-04-31T10:00:00Z",
      "2026-13-01T10:00:00Z",
      "2026-00-10T10:00:00Z",
      "2026-01-00T10:00:00Z",
      "2026-01-32T10:00:00Z",
      "2026-01-01T24:00:00Z",
      "2026-01-01T10:60:00Z",
      "2026-01-01T10:00:61Z",
      "2026-01-01T10:00:00+24:00",
      "2026-01-01T10:00:00+02:60",
    ]
  ) {
    assert.equal(parseRfc3339(text), null, text);
  }
});

Deno.test("parseRfc3339() refuses text that is not an RFC 3339 date-time", () => {
  for (
    const text of [
      "",
      "yesterday",
      "2026-11-25",
      "2026-11-25T10:00:00",
      "2026-11-25T10:00Z",
      "2026-11-25T10:00:00+0200",
      "2026-11-25T10:00:00+02",
      "2026-11-25T10:00:00 Z",
      "2026-11-25T10:00:00.Z",
      "2026-11-25T10:00:00.1234567890Z",
      "2026-1-25T10:00:00Z",
      "26-11-25T10:00:00Z",
      "+002026-11-25T10:00:00Z",
      " 2026-11-25T10:00:00Z",
      "2026-11-25T10:00:00Z ",
      "2026-11-25T10:00:00Z\n",
      "2026-11-25_10:00:00Z",
      "2026-11-25T10:00:00UTC",
      "Wed, 25 Nov 2026 10:00:00 GMT",
      "1764064800",
      "٢٠٢٦-١١-٢٥T10:00:00Z",
      "２０２６-11-25T10:00:00Z",
    ]
  ) {
    assert.equal(parseRfc3339(text), null, JSON.stringify(text));
  }
});

Deno.test("parseRfc3339() keeps the year of timestamps before year 100", () => {
  assert.deepEqual(parseRfc3339("0050-03-01T00:00:00Z"), {
    epochMs: Date.parse("0050-03-01T00:00:00Z"),
    text: "0050-03-01T00:00:00Z",
  });
  assert.equal(parseRfc3339("0001-01-01T00:00:00Z")?.epochMs, -62135596800000);
});

Deno.test("parseRfc3339() reads the extremes of the four-digit year range", () => {
  assert.equal(parseRfc3339("9999-12-31T23:59:59.999Z")?.epochMs, 253402300799999);
  assert.equal(parseRfc3339("1970-01-01T00:00:00Z")?.epochMs, 0);
  assert.equal(parseRfc3339("1969-12-31T23:59:59.999Z")?.epochMs, -1);
});

// ---- properties ----

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A valid RFC 3339 date-time in any of the accepted spellings, with its parts. */
const validTimestamp = fc.record({
  year: fc.integer({ min: 1, max: 9999 }),
  month: fc.integer({ min: 1, max: 12 }),
  dayIndex: fc.integer({ min: 0, max: 30 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
  fraction: fc.stringMatching(/^(\.\d{1,9})?$/),
  separator: fc.constantFrom("T", "t", " "),
  offset: fc.oneof(
    fc.constantFrom("Z", "z"),
    fc.tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 23 }), fc.nat(59))
      .map(([sign, h, m]) => `${sign}${pad(h)}:${pad(m)}`),
  ),
}).map((p) => {
  const daysInMonth = new Date(Date.UTC(2000, p.month, 0)).getUTCDate();
  const leap = (p.year % 4 === 0 && p.year % 100 !== 0) || p.year % 400 === 0;
  const days = p.month === 2 ? (leap ? 29 : 28) : daysInMonth;
  const day = (p.dayIndex % days) + 1;
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(day)}${p.separator}` +
    `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${p.fraction}${p.offset}`;
});

Deno.test("parseRfc3339() gives the same instant as Date.parse for every valid timestamp (property)", () => {
  fc.assert(fc.property(validTimestamp, (text) => {
    const parsed = parseRfc3339(text);
    assert.ok(parsed !== null, `refused ${text}`);
    // Date.parse reads a space separator with old years through its legacy parser, so compare
    // against the "T" spelling, which it reads by the ISO rules.
    assert.equal(parsed.epochMs, Date.parse(text.replace(" ", "T")), text);
  }));
});

Deno.test("parseRfc3339() gives the same instant as Date.parse for recent timestamps (property)", () => {
  const recent = fc.date({
    min: new Date("1970-01-01T00:00:00Z"),
    max: new Date("2100-01-01T00:00:00Z"),
    noInvalidDate: true,
  });
  fc.assert(fc.property(recent, (date) => {
    const text = date.toISOString();
    assert.deepEqual(parseRfc3339(text), { epochMs: date.getTime(), text });
  }));
});

Deno.test("parseRfc3339() spells valid timestamps in UTC, fraction kept, and the spelling reads back the same (property)", () => {
  fc.assert(fc.property(validTimestamp, (text) => {
    const parsed = parseRfc3339(text);
    assert.ok(parsed !== null);
    assert.match(parsed.text, CANONICAL);
    assert.match(parsed.text, /Z$/);
    assert.equal(/\.\d+/.exec(parsed.text)?.[0], /\.\d+/.exec(text)?.[0]);
    assert.deepEqual(parseRfc3339(parsed.text), parsed);
  }));
});

Deno.test("parseRfc3339() returns null or a finite instant for any text, never throws (property)", () => {
  const noise = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.stringMatching(
      /^\d{4}-\d{2}-\d{2}[Tt _]\d{2}:\d{2}:\d{2}(\.\d{0,11})?([Zz]|[+-]\d{2}:?\d{0,2})?$/,
    ),
  );
  fc.assert(fc.property(noise, (text) => {
    const parsed = parseRfc3339(text);
    if (parsed === null) return;
    assert.ok(Number.isFinite(parsed.epochMs));
    assert.match(parsed.text, CANONICAL);
    assert.ok(!Number.isNaN(Date.parse(parsed.text)) || /:60(\.|Z|[+-])/.test(parsed.text));
  }));
});

Deno.test("describeOffset() says how far and in which direction", () => {
  const now = Date.UTC(2026, 10, 25, 10);
  assert.equal(describeOffset(now + 3 * 3_600_000, now), "3 h in the future");
  assert.equal(describeOffset(now - 9 * 86_400_000, now), "9 d in the past");
  assert.equal(describeOffset(now + 5 * 60_000, now), "5 min in the future");
  assert.equal(describeOffset(now - 45_000, now), "45 s in the past");
  assert.equal(describeOffset(now + 60_000, now), "1 min in the future");
  assert.equal(describeOffset(now - 3_600_000, now), "1 h in the past");
  assert.equal(describeOffset(now + 86_400_000, now), "1 d in the future");
  assert.equal(describeOffset(now - 400 * 86_400_000, now), "400 d in the past");
});

Deno.test("describeOffset() always names a whole size, a unit and the right direction (property)", () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 4e12 }),
    fc.integer({ min: -1e11, max: 1e11 }).filter((d) => Math.abs(d) >= 1000),
    (now, diff) => {
      const words = describeOffset(now + diff, now);
      assert.match(words, /^\d+ (s|min|h|d) in the (future|past)$/);
      assert.ok(words.endsWith(diff > 0 ? "in the future" : "in the past"), words);
    },
  ));
});
