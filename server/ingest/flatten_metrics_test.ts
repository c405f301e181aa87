import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import { ClientError } from "../errors.ts";
import {
  type FlatMetrics,
  flattenMetrics,
  MAX_METRIC_DEPTH,
  MAX_METRIC_KEYS,
  MAX_METRIC_STRING,
} from "./flatten_metrics.ts";

const KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const BAD_KEY = "key must be 1-64 characters of A-Z a-z 0-9 _ . : -";
const DUPLICATE = "key appears more than once after flattening";
const ARRAY = "arrays are not accepted";
const LONG_STRING = "string is longer than 256 characters";
const BROKEN_STRING = "string holds a NUL character or broken Unicode";
const NOT_FINITE = "number is not finite";

/** Returns what `fn` throws; fails the test when it returns normally. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected an error, but none was thrown");
}

function assertClientError(error: unknown, status: number, code: string, message: string): void {
  assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
  assert.deepEqual(
    { status: error.status, code: error.code, message: error.message },
    { status, code, message },
  );
}

/** Builds `{a: {a: … {a: leaf}}}` with `levels` objects around the leaf. */
function nested(levels: number, leaf: unknown): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 0; i < levels; i++) value = { [`k${levels - i}`]: value };
  return value as Record<string, unknown>;
}

Deno.test("flattenMetrics() keeps a flat object of numbers, booleans and strings as it is", () => {
  const input = { users: 42, ratio: -0.25, big: 1e308, zero: 0, on: true, off: false, mode: "ha" };
  const result = flattenMetrics(input);
  assert.deepEqual(result.metrics, input);
  assert.deepEqual(result.dropped, []);
});

Deno.test("flattenMetrics() accepts an empty object", () => {
  assert.deepEqual(flattenMetrics({}), { metrics: {}, dropped: [] });
});

Deno.test("flattenMetrics() joins nested keys with a dot", () => {
  const result = flattenMetrics({
    db: { pool: { size: 10, idle: 2 }, engine: "pg" },
    up: true,
  });
  assert.deepEqual(result.metrics, {
    "db.pool.size": 10,
    "db.pool.idle": 2,
    "db.engine": "pg",
    up: true,
  });
  assert.deepEqual(result.dropped, []);
});

Deno.test("flattenMetrics() accepts nesting four levels deep (a.b.c.d)", () => {
  assert.equal(MAX_METRIC_DEPTH, 4);
  const result = flattenMetrics({ a: { b: { c: { d: 1 } } } });
  assert.deepEqual(result.metrics, { "a.b.c.d": 1 });
  assert.deepEqual(result.dropped, []);
});

Deno.test("flattenMetrics() refuses nesting five levels deep (a.b.c.d.e) with 400 metrics_too_deep", () => {
  assertClientError(
    thrownBy(() => flattenMetrics({ ok: 1, a: { b: { c: { d: { e: 1 } } } } })),
    400,
    "metrics_too_deep",
    'Cannot accept "metrics" as "a.b.c.d" nests deeper than 4 levels',
  );
});

Deno.test("flattenMetrics() refuses too deep nesting even when the deepest value is a valid leaf among others", () => {
  const input = { x: { y: { z: { fine: 1, w: { v: "deep" } } } } };
  const error = thrownBy(() => flattenMetrics(input));
  assertClientError(
    error,
    400,
    "metrics_too_deep",
    'Cannot accept "metrics" as "x.y.z.w" nests deeper than 4 levels',
  );
});

Deno.test("flattenMetrics() accepts exactly 256 keys after flattening", () => {
  assert.equal(MAX_METRIC_KEYS, 256);
  const input: Record<string, Record<string, number>> = { a: {}, b: {} };
  for (let i = 0; i < 128; i++) {
    input["a"]![`m${i}`] = i;
    input["b"]![`m${i}`] = -i;
  }
  const result = flattenMetrics(input);
  assert.equal(Object.keys(result.metrics).length, 256);
  assert.equal(result.metrics["a.m127"], 127);
  assert.equal(result.metrics["b.m5"], -5);
  assert.deepEqual(result.dropped, []);
});

Deno.test("flattenMetrics() refuses 257 keys after flattening with 400 too_many_metrics", () => {
  const input: Record<string, unknown> = { group: {} };
  const group = input["group"] as Record<string, number>;
  for (let i = 0; i < 200; i++) group[`g${i}`] = i;
  for (let i = 0; i < 57; i++) input[`top${i}`] = i;
  assertClientError(
    thrownBy(() => flattenMetrics(input)),
    400,
    "too_many_metrics",
    'Cannot accept "metrics" as it has 257 keys after flattening: the limit is 256',
  );
});

Deno.test("flattenMetrics() does not count null values towards the key limit", () => {
  const input: Record<string, number | null> = {};
  for (let i = 0; i < 256; i++) input[`m${i}`] = i;
  for (let i = 0; i < 20; i++) input[`n${i}`] = null;
  const result = flattenMetrics(input);
  assert.equal(Object.keys(result.metrics).length, 256);
  assert.deepEqual(result.dropped, []);
});

Deno.test("flattenMetrics() refuses anything but a JSON object with 400 invalid_metrics", () => {
  const cases: [unknown, string][] = [
    [null, "null"],
    [[], "an array"],
    [[{ a: 1 }], "an array"],
    ["{}", "a string"],
    [7, "a number"],
    [true, "a boolean"],
    [undefined, "a undefined"],
  ];
  for (const [value, described] of cases) {
    assertClientError(
      thrownBy(() => flattenMetrics(value)),
      400,
      "invalid_metrics",
      `Cannot accept "metrics" as it must be a JSON object and it is ${described}`,
    );
  }
});

Deno.test("flattenMetrics() ignores null values without listing them", () => {
  const result = flattenMetrics({ gone: null, kept: 1, inner: { gone: null, kept: "x" } });
  assert.deepEqual(result.metrics, { kept: 1, "inner.kept": "x" });
  assert.deepEqual(result.dropped, []);
  assert.equal(Object.hasOwn(result.metrics, "gone"), false);
});

Deno.test("flattenMetrics() accepts every key character of the pattern and keys of 64 characters", () => {
  const long = "k".repeat(64);
  const result = flattenMetrics({ "Cpu_Load:1m-avg.5": 0.5, [long]: 1 });
  assert.deepEqual(result.metrics, { "Cpu_Load:1m-avg.5": 0.5, [long]: 1 });
  assert.deepEqual(result.dropped, []);
});

Deno.test("flattenMetrics() drops keys outside the pattern and lists each with its reason", () => {
  const result = flattenMetrics({
    ok: 1,
    "has space": 2,
    "": 3,
    ["k".repeat(65)]: 4,
    "slash/key": 5,
    "émoji": 6,
  });
  assert.deepEqual(result.metrics, { ok: 1 });
  assert.deepEqual(result.dropped, [
    `has space: ${BAD_KEY}`,
    `: ${BAD_KEY}`,
    `${"k".repeat(65)}: ${BAD_KEY}`,
    `slash/key: ${BAD_KEY}`,
    `?moji: ${BAD_KEY}`,
  ]);
});

Deno.test("flattenMetrics() drops a nested key that is longer than 64 characters once joined", () => {
  const result = flattenMetrics({ ["a".repeat(40)]: { ["b".repeat(24)]: 1, ["c".repeat(23)]: 2 } });
  const fits = `${"a".repeat(40)}.${"c".repeat(23)}`;
  assert.equal(fits.length, 64);
  assert.deepEqual(result.metrics, { [fits]: 2 });
  assert.deepEqual(result.dropped, [`${"a".repeat(40)}.${"b".repeat(24)}: ${BAD_KEY}`]);
});

Deno.test("flattenMetrics() lists a dropped key without control characters and in bounded length", () => {
  const result = flattenMetrics({ "line\nbreak\u0000": 1, ["x".repeat(5000)]: 2 });
  assert.deepEqual(result.metrics, {});
  assert.equal(result.dropped.length, 2);
  assert.equal(result.dropped[0], `line?break?: ${BAD_KEY}`);
  for (const entry of result.dropped) {
    assert.match(entry, /^[\x20-\x7e]+$/);
    assert.ok(entry.endsWith(`: ${BAD_KEY}`));
    assert.ok(entry.length <= 80 + 2 + BAD_KEY.length, `entry is ${entry.length} long`);
  }
});

Deno.test("flattenMetrics() drops arrays, at any level, and lists them", () => {
  const result = flattenMetrics({ tags: ["a", "b"], inner: { ids: [1], n: 1 }, empty: [] });
  assert.deepEqual(result.metrics, { "inner.n": 1 });
  assert.deepEqual(result.dropped, [
    `tags: ${ARRAY}`,
    `inner.ids: ${ARRAY}`,
    `empty: ${ARRAY}`,
  ]);
});

Deno.test("flattenMetrics() drops an array of deep objects without counting its depth", () => {
  const result = flattenMetrics({ list: [nested(8, 1)] });
  assert.deepEqual(result.metrics, {});
  assert.deepEqual(result.dropped, [`list: ${ARRAY}`]);
});

Deno.test("flattenMetrics() keeps strings of up to 256 characters, counted in code points", () => {
  assert.equal(MAX_METRIC_STRING, 256);
  const ascii = "s".repeat(256);
  const astral = "🚀".repeat(256);
  assert.equal(astral.length, 512);
  const result = flattenMetrics({ ascii, astral, empty: "", accents: "é".repeat(256) });
  assert.deepEqual(result.metrics, { ascii, astral, empty: "", accents: "é".repeat(256) });
  assert.deepEqual(result.dropped, []);
});

Deno.test("flattenMetrics() drops strings longer than 256 characters and lists them", () => {
  const result = flattenMetrics({ ascii: "s".repeat(257), astral: "🚀".repeat(257), ok: "s" });
  assert.deepEqual(result.metrics, { ok: "s" });
  assert.deepEqual(result.dropped, [`ascii: ${LONG_STRING}`, `astral: ${LONG_STRING}`]);
});

Deno.test("flattenMetrics() drops strings holding NUL or a lone surrogate", () => {
  const input = JSON.parse(
    '{"nul":"a\\u0000b","high":"x\\ud800","low":"\\udc00y","pair":"\\ud83d\\ude80"}',
  );
  const result = flattenMetrics(input);
  assert.deepEqual(result.metrics, { pair: "🚀" });
  assert.deepEqual(result.dropped, [
    `nul: ${BROKEN_STRING}`,
    `high: ${BROKEN_STRING}`,
    `low: ${BROKEN_STRING}`,
  ]);
});

Deno.test("flattenMetrics() drops numbers that are not finite", () => {
  const result = flattenMetrics({
    nan: NaN,
    inf: Infinity,
    ninf: -Infinity,
    max: Number.MAX_VALUE,
  });
  assert.deepEqual(result.metrics, { max: Number.MAX_VALUE });
  assert.deepEqual(result.dropped, [
    `nan: ${NOT_FINITE}`,
    `inf: ${NOT_FINITE}`,
    `ninf: ${NOT_FINITE}`,
  ]);
});

Deno.test("flattenMetrics() drops values JSON cannot carry, naming their type", () => {
  const result = flattenMetrics({ u: undefined, b: 1n, f: () => 1, ok: 1 });
  assert.deepEqual(result.metrics, { ok: 1 });
  assert.deepEqual(result.dropped, [
    "u: undefined is not accepted",
    "b: bigint is not accepted",
    "f: function is not accepted",
  ]);
});

Deno.test("flattenMetrics() keeps neither of two keys that collide after flattening", () => {
  const first = flattenMetrics(JSON.parse('{"a.b": 1, "a": {"b": 2, "c": 3}}'));
  assert.deepEqual(first.metrics, { "a.c": 3 });
  assert.deepEqual(first.dropped, [`a.b: ${DUPLICATE}`, `a.b: ${DUPLICATE}`]);

  const second = flattenMetrics(JSON.parse('{"a": {"b": 2}, "a.b": 1}'));
  assert.deepEqual(second.metrics, {});
  assert.deepEqual(second.dropped, [`a.b: ${DUPLICATE}`, `a.b: ${DUPLICATE}`]);
});

Deno.test("flattenMetrics() treats a key as a duplicate even when its first value was dropped", () => {
  // The answer must not list "a.b" as dropped while a value for "a.b" is stored.
  const result = flattenMetrics(JSON.parse('{"a.b": [1], "a": {"b": 2}}'));
  assert.deepEqual(result.dropped, [`a.b: ${DUPLICATE}`, `a.b: ${DUPLICATE}`]);
  assert.deepEqual(result.metrics, {});
});

Deno.test("flattenMetrics() keeps a __proto__ key as plain data without touching any prototype", () => {
  const input = JSON.parse(
    '{"__proto__": 5, "constructor": 1, "toString": "t", "hasOwnProperty": true}',
  );
  const result = flattenMetrics(input);
  assert.equal(Object.getPrototypeOf(result.metrics), Object.prototype);
  assert.equal(Object.hasOwn(result.metrics, "__proto__"), true);
  assert.equal(result.metrics["__proto__"], 5);
  assert.equal(result.metrics["constructor"], 1);
  assert.equal(result.metrics["toString"], "t");
  assert.equal(result.metrics["hasOwnProperty"], true);
  assert.deepEqual(Object.keys(result.metrics).sort(), [
    "__proto__",
    "constructor",
    "hasOwnProperty",
    "toString",
  ]);
  assert.deepEqual(result.dropped, []);
});

Deno.test("flattenMetrics() flattens a nested __proto__ object into keys and pollutes nothing", () => {
  const input = JSON.parse(
    '{"__proto__": {"polluted": 1, "isAdmin": true}, "a": {"__proto__": {"x": 2}}}',
  );
  const result = flattenMetrics(input);
  assert.deepEqual(Object.keys(result.metrics).sort(), [
    "__proto__.isAdmin",
    "__proto__.polluted",
    "a.__proto__.x",
  ]);
  assert.equal(result.metrics["__proto__.polluted"], 1);
  assert.equal(Object.getPrototypeOf(result.metrics), Object.prototype);
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  assert.equal(({} as Record<string, unknown>)["isAdmin"], undefined);
  assert.equal(Object.hasOwn(Object.prototype, "polluted"), false);
});

Deno.test("flattenMetrics() drops an unusable __proto__ value without creating the key", () => {
  const result = flattenMetrics(JSON.parse('{"__proto__": [1, 2], "n": 1}'));
  assert.deepEqual(result.dropped, [`__proto__: ${ARRAY}`]);
  assert.equal(Object.hasOwn(result.metrics, "__proto__"), false);
  assert.equal(Object.getPrototypeOf(result.metrics), Object.prototype);
  assert.deepEqual(Object.keys(result.metrics), ["n"]);
});

// ---- properties ----

const REASONS = [BAD_KEY, DUPLICATE, ARRAY, LONG_STRING, BROKEN_STRING, NOT_FINITE];

/** Splits a `"key: reason"` entry, knowing the reasons (keys may contain ": "). */
function splitDropped(entry: string): { key: string; reason: string } {
  const reason = REASONS.find((r) => entry.endsWith(`: ${r}`));
  assert.ok(reason !== undefined, `unexpected dropped entry: ${entry}`);
  return { key: entry.slice(0, -(reason.length + 2)), reason };
}

/** Objects built from few short keys, some with dots, so that flattened keys often collide. */
const collidingObject = fc.letrec((tie) => ({
  object: fc.dictionary(
    fc.constantFrom("a", "b", "a.b", "b.a"),
    fc.oneof(
      { depthSize: "small" },
      fc.constantFrom(1, true, "s", null, [1], "x".repeat(300)),
      tie("object"),
    ),
    { maxKeys: 4 },
  ),
})).object;

/** Any JSON object, as `JSON.parse` would build it (so `__proto__` is a plain key). */
const jsonObject = fc.oneof(
  collidingObject,
  fc.dictionary(
    fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom("__proto__", "constructor", "a.b", "a", "b", "x".repeat(70)),
    ),
    fc.jsonValue({ maxDepth: 5 }),
    { maxKeys: 12 },
  ),
).map((object) => JSON.parse(JSON.stringify(object)) as Record<string, unknown>);

function countLeaves(object: Record<string, unknown>): number {
  let count = 0;
  for (const value of Object.values(object)) {
    if (value === null) continue;
    if (typeof value === "object" && !Array.isArray(value)) {
      count += countLeaves(value as Record<string, unknown>);
    } else count++;
  }
  return count;
}

/** Flattens `input`; null when it is refused as a whole with a 400. Anything else is rethrown. */
function flattenOrRefuse(input: unknown): FlatMetrics | null {
  try {
    return flattenMetrics(input);
  } catch (error) {
    if (error instanceof ClientError && error.status === 400) return null;
    throw error;
  }
}

Deno.test("flattenMetrics() either flattens any JSON object or refuses it with a 400 (property)", () => {
  fc.assert(fc.property(jsonObject, (input) => {
    let outcome: unknown;
    try {
      outcome = flattenMetrics(input);
    } catch (error) {
      outcome = error;
    }
    if (outcome instanceof Error) {
      assert.ok(outcome instanceof ClientError, `unexpected ${String(outcome)}`);
      assert.equal(outcome.status, 400);
      assert.ok(["metrics_too_deep", "too_many_metrics"].includes(outcome.code), outcome.code);
    } else {
      const result = outcome as FlatMetrics;
      assert.equal(Object.getPrototypeOf(result.metrics), Object.prototype);
      assert.ok(Object.keys(result.metrics).length <= MAX_METRIC_KEYS);
    }
  }));
});

Deno.test("flattenMetrics() keeps only valid keys and values (property)", () => {
  fc.assert(fc.property(jsonObject, (input) => {
    const result = flattenOrRefuse(input);
    if (result === null) return;
    for (const [key, value] of Object.entries(result.metrics)) {
      assert.match(key, KEY_PATTERN);
      if (typeof value === "number") assert.ok(Number.isFinite(value));
      else if (typeof value === "string") {
        assert.ok([...value].length <= MAX_METRIC_STRING);
        assert.ok(value.isWellFormed() && !value.includes("\0"));
      } else assert.equal(typeof value, "boolean");
    }
  }));
});

Deno.test("flattenMetrics() never both keeps and drops a key, and loses no leaf silently (property)", () => {
  fc.assert(
    fc.property(jsonObject, (input) => {
      const result = flattenOrRefuse(input);
      if (result === null) return;
      const kept = Object.keys(result.metrics);
      for (const entry of result.dropped) {
        const { key, reason } = splitDropped(entry);
        if (reason !== DUPLICATE) assert.ok(!kept.includes(key), `${key} is kept and dropped`);
      }
      assert.equal(kept.length + result.dropped.length, countLeaves(input));
    }),
    { numRuns: 1000 },
  );
});

const validKey = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/);
const validValue = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.string({ unit: "binary", maxLength: 256 }).filter((s) => !s.includes("\0")),
);

Deno.test("flattenMetrics() returns a flat valid object unchanged (property)", () => {
  fc.assert(fc.property(
    fc.dictionary(validKey, validValue, { maxKeys: MAX_METRIC_KEYS, noNullPrototype: true }),
    (input) => {
      const result = flattenMetrics(input);
      assert.deepEqual(result.metrics, input);
      assert.deepEqual(result.dropped, []);
    },
  ));
});

/** A metrics tree no deeper than `levels`, with simple keys (no dots, so no collisions). */
function tree(levels: number): fc.Arbitrary<Record<string, unknown>> {
  const leaf = fc.oneof(validValue, fc.constant(null));
  const child = levels <= 1 ? leaf : fc.oneof(leaf, tree(levels - 1));
  return fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), child, {
    maxKeys: 4,
    noNullPrototype: true,
  });
}

function expectedFlat(object: Record<string, unknown>, prefix = ""): [string, unknown][] {
  return Object.entries(object).flatMap(([name, value]): [string, unknown][] => {
    const key = prefix === "" ? name : `${prefix}.${name}`;
    if (value === null) return [];
    if (typeof value === "object") return expectedFlat(value as Record<string, unknown>, key);
    return [[key, value]];
  });
}

Deno.test("flattenMetrics() flattens any tree up to four levels to its dotted paths (property)", () => {
  fc.assert(fc.property(tree(MAX_METRIC_DEPTH), (input) => {
    const result = flattenMetrics(input);
    assert.deepEqual(result.metrics, Object.fromEntries(expectedFlat(input)));
    assert.deepEqual(result.dropped, []);
  }));
});

Deno.test("flattenMetrics() refuses any value nested under five levels (property)", () => {
  fc.assert(fc.property(
    fc.integer({ min: MAX_METRIC_DEPTH + 1, max: 12 }),
    validValue,
    (levels, leaf) => {
      const error = thrownBy(() => flattenMetrics({ fine: 1, deep: nested(levels - 1, leaf) }));
      assert.ok(error instanceof ClientError);
      assert.equal(error.status, 400);
      assert.equal(error.code, "metrics_too_deep");
      assert.match(error.message, /^Cannot accept "metrics" as "deep\.k1\.k2\.k3" nests deeper/);
    },
  ));
});
