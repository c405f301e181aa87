import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import { safeLocation } from "./safe_location.ts";

const ORIGIN = "http://a.example";

/** What every result must be: one leading `/`, printable ASCII, and this origin once resolved. */
function assertSafe(result: string, input: unknown): void {
  const label = `${JSON.stringify(input)} gave ${JSON.stringify(result)}`;
  assert.match(result, /^\/(?![/\\])[\x21-\x7e]*$/, label);
  assert.equal(new URL(result, ORIGIN).origin, ORIGIN, label);
  assert.equal(new URL(result, "https://b.example:8443").origin, "https://b.example:8443", label);
}

/** Pieces attackers and broken links put in a `next`. */
const PIECES = [
  "/",
  "//",
  "\\",
  "/\\",
  "\t",
  "\n",
  "\r",
  "\u0000",
  "\u000b",
  "\u007f",
  "\u0085",
  "\u2028",
  " ",
  "%2F",
  "%5C",
  "%09",
  "%0D%0A",
  "..",
  ".",
  "evil.example",
  "http:",
  "https://evil.example",
  "javascript:alert(1)",
  "@",
  ":",
  "?",
  "#",
  "生产",
  "é",
  "\ud800",
  "\udfff",
  "😀",
  "apps",
  "x",
];

const crafted = fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }).map((p) => p.join(""));
const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }).map((s) => `/${s}`),
  crafted,
  crafted.map((s) => `/${s}`),
);

Deno.test("safeLocation() always gives one leading slash, printable ASCII, this origin (property)", () => {
  let kept = 0;
  fc.assert(
    fc.property(anyText, (input) => {
      const result = safeLocation(input);
      assertSafe(result, input);
      if (result !== "/") kept++;
    }),
    { numRuns: 5000 },
  );
  // Not only the fallback: many inputs are paths that are kept, encoded where needed.
  assert.ok(kept > 1000, `kept ${kept} of 5000`);
});

Deno.test("safeLocation() is stable: a safe location comes back unchanged (property)", () => {
  fc.assert(
    fc.property(anyText, (input) => {
      const once = safeLocation(input);
      assert.equal(safeLocation(once), once);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("safeLocation() keeps a path built from encoded segments and query exactly", () => {
  const segment = fc.string({ unit: "binary", minLength: 1, maxLength: 12 })
    .filter((s) => s !== "." && s !== "..");
  fc.assert(
    fc.property(
      fc.array(segment, { minLength: 1, maxLength: 4 }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 12 })),
      (segments, query) => {
        const search = new URLSearchParams(query).toString();
        const path = `/${segments.map(encodeURIComponent).join("/")}${search ? `?${search}` : ""}`;
        assert.equal(safeLocation(path), path);
      },
    ),
  );
});

Deno.test("safeLocation() refuses other sites, schemes, controls and backslashes with /", () => {
  for (
    const next of [
      null,
      undefined,
      "",
      "apps",
      "//evil.example/",
      "///evil.example",
      "/\\evil.example",
      "\\\\evil.example",
      "/\t/evil.example",
      "/\n/evil.example",
      "/\r\n/evil.example",
      "/%09/evil.example".replace("%09", "\t"),
      "https://evil.example/",
      "http:/evil.example",
      "javascript:alert(1)",
      " /apps",
      "/\u000b",
      "/\u0000",
      "/apps\u007f",
      "/apps\u0085",
      "/apps\\x",
      "/apps/\ud800",
      "/.//evil.example",
      "/./\\evil.example",
      "/a/..//evil.example",
      `/${"a".repeat(2048)}`,
    ]
  ) {
    assert.equal(safeLocation(next), "/", JSON.stringify(next));
  }
});

Deno.test("safeLocation() percent-encodes a valid path with non-ASCII, so it survives a sign-in", () => {
  const next = "/apps/x/instances?environment=生产";
  const location = safeLocation(next);
  assert.equal(location, "/apps/x/instances?environment=%E7%94%9F%E4%BA%A7");
  const url = new URL(location, ORIGIN);
  assert.equal(url.pathname, "/apps/x/instances");
  assert.equal(url.searchParams.get("environment"), "生产");
  assert.equal(safeLocation("/apps/crème brûlée"), "/apps/cr%C3%A8me%20br%C3%BBl%C3%A9e");
  assert.equal(safeLocation('/apps/a?q="<x>"'), "/apps/a?q=%22%3Cx%3E%22");
  assert.equal(safeLocation("/apps/a/../b"), "/apps/b");
  assert.equal(safeLocation("/%2F%2Fevil.example"), "/%2F%2Fevil.example");
});
