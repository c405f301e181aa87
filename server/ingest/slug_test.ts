import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import { appSlug } from "./slug.ts";

const SLUG_SHAPE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Every accented letter the protocol folds, with the base letter it folds to. */
const FOLDS: readonly (readonly [string, string])[] = (
  [
    ["a", "àáâãäå"],
    ["e", "èéêë"],
    ["i", "ìíîï"],
    ["o", "òóôõö"],
    ["u", "ùúûü"],
    ["y", "ýÿ"],
    ["n", "ñ"],
    ["c", "ç"],
  ] as const
).flatMap(([base, accented]) => [...accented].map((letter) => [letter, base] as const));

Deno.test("appSlug() lowercases and joins words with one dash", () => {
  assert.equal(appSlug("My App"), "my-app");
  assert.equal(appSlug("Crème Brûlée 2"), "creme-brulee-2");
  assert.equal(appSlug("SHM Server v2"), "shm-server-v2");
});

Deno.test("appSlug() folds every accented letter of the protocol to its base letter", () => {
  assert.equal(FOLDS.length, 27);
  for (const [letter, base] of FOLDS) {
    assert.equal(appSlug(`x${letter}x`), `x${base}x`, `lowercase ${letter}`);
    assert.equal(appSlug(`x${letter.toUpperCase()}x`), `x${base}x`, `uppercase ${letter}`);
  }
  assert.equal(appSlug("àáâãäå èéêë ìíîï òóôõö ùúûü ýÿ ñ ç"), "aaaaaa-eeee-iiii-ooooo-uuuu-yy-n-c");
  assert.equal(appSlug("Ça Façonne Ñandú Ÿ"), "ca-faconne-nandu-y");
});

Deno.test("appSlug() turns each run of other characters into a single dash", () => {
  assert.equal(appSlug("a  b"), "a-b");
  assert.equal(appSlug("a_-_b"), "a-b");
  assert.equal(appSlug("a!!@@##b"), "a-b");
  assert.equal(appSlug("a.b/c\\d"), "a-b-c-d");
  assert.equal(appSlug("a\tb\nc"), "a-b-c");
  assert.equal(appSlug("my_app"), "my-app");
  assert.equal(appSlug("a--b"), "a-b");
});

Deno.test("appSlug() treats letters outside the fold list as separators", () => {
  assert.equal(appSlug("straße"), "stra-e");
  assert.equal(appSlug("smørrebrød"), "sm-rrebr-d");
  assert.equal(appSlug("app 日本語 2"), "app-2");
  assert.equal(appSlug("rocket🚀ship"), "rocket-ship");
});

Deno.test("appSlug() trims dashes and separators from both ends", () => {
  assert.equal(appSlug("  --Hello, World!!--  "), "hello-world");
  assert.equal(appSlug("-x-"), "x");
  assert.equal(appSlug("!x"), "x");
  assert.equal(appSlug("x!"), "x");
});

Deno.test('appSlug() gives "app" when nothing is left', () => {
  assert.equal(appSlug(""), "app");
  assert.equal(appSlug("   "), "app");
  assert.equal(appSlug("---"), "app");
  assert.equal(appSlug("!!!"), "app");
  assert.equal(appSlug("日本語"), "app");
  assert.equal(appSlug("🚀"), "app");
});

Deno.test("appSlug() keeps digits", () => {
  assert.equal(appSlug("2048"), "2048");
  assert.equal(appSlug("v1.2.3"), "v1-2-3");
});

const anyName = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({
    unit: fc.constantFrom(..."aZ09 -_.!é ÀñÇÿ".split(""), ...FOLDS.map(([l]) => l)),
    maxLength: 30,
  }),
);

Deno.test("appSlug() always returns a well-formed slug (property)", () => {
  fc.assert(fc.property(anyName, (name) => {
    assert.match(appSlug(name), SLUG_SHAPE);
  }));
});

Deno.test("appSlug() is idempotent (property)", () => {
  fc.assert(fc.property(anyName, (name) => {
    const once = appSlug(name);
    assert.equal(appSlug(once), once);
  }));
});

Deno.test("appSlug() returns a slug unchanged (property)", () => {
  const slug = fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 5 })
    .map((words) => words.join("-"));
  fc.assert(fc.property(slug, (s) => {
    assert.equal(appSlug(s), s);
  }));
});

Deno.test("appSlug() keeps every ASCII letter and digit, lowercased, in order (property)", () => {
  fc.assert(fc.property(fc.string({ unit: "binary-ascii", maxLength: 40 }), (name) => {
    const alphanumerics = name.toLowerCase().replace(/[^a-z0-9]/g, "");
    const slug = appSlug(name);
    assert.equal(slug.replaceAll("-", ""), alphanumerics === "" ? "app" : alphanumerics);
  }));
});

Deno.test("appSlug() ignores the case of ASCII names (property)", () => {
  fc.assert(fc.property(fc.string({ unit: "grapheme-ascii", maxLength: 30 }), (name) => {
    assert.equal(appSlug(name.toUpperCase()), appSlug(name.toLowerCase()));
  }));
});

Deno.test("appSlug() gives the same slug for an accented name and its base spelling (property)", () => {
  const letter = fc.constantFrom(...FOLDS, ["b", "b"] as const, [" ", " "] as const);
  fc.assert(fc.property(fc.array(letter, { maxLength: 20 }), (pairs) => {
    const accented = pairs.map(([l]) => l).join("");
    const plain = pairs.map(([, base]) => base).join("");
    assert.equal(appSlug(accented), appSlug(plain));
  }));
});
