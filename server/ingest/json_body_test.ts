import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import { ClientError } from "../errors.ts";
import { describeJsonType, parseJsonObject } from "./json_body.ts";

const encode = (text: string) => new TextEncoder().encode(text);

/** Returns what `fn` throws; fails the test when it returns normally. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected an error, but none was thrown");
}

function assertClientError(error: unknown, code: string, message: string | RegExp): void {
  assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
  assert.equal(error.status, 400);
  assert.equal(error.code, code);
  if (typeof message === "string") assert.equal(error.message, message);
  else assert.match(error.message, message);
}

Deno.test("parseJsonObject() returns the object a UTF-8 JSON body holds", () => {
  const body = encode('{"app_name":"Crème Brûlée","n":1.5,"nested":{"ok":true},"list":[1,null]}');
  assert.deepEqual(parseJsonObject(body), {
    app_name: "Crème Brûlée",
    n: 1.5,
    nested: { ok: true },
    list: [1, null],
  });
});

Deno.test("parseJsonObject() accepts surrounding whitespace and an empty object", () => {
  assert.deepEqual(parseJsonObject(encode(" \n\t{}\r\n")), {});
});

Deno.test("parseJsonObject() refuses bytes that are not UTF-8 with 400 malformed_json", () => {
  const cases = [
    new Uint8Array([0x7b, 0xff, 0x7d]),
    new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x22, 0x7d]), // cut "é"
    new Uint8Array([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]), // overlong "/"
    new Uint8Array([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]), // encoded surrogate
    new Uint8Array([0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]), // UTF-16
  ];
  for (const bytes of cases) {
    assertClientError(
      thrownBy(() => parseJsonObject(bytes)),
      "malformed_json",
      "Cannot read the body as it is not valid UTF-8",
    );
  }
});

Deno.test("parseJsonObject() refuses text that is not JSON with 400 malformed_json", () => {
  for (
    const text of [
      "",
      " ",
      "{",
      '{"a":1',
      "{'a':1}",
      '{"a":1,}',
      "{a:1}",
      "hello",
      '{"a":1}x',
      "NaN",
    ]
  ) {
    assertClientError(
      thrownBy(() => parseJsonObject(encode(text))),
      "malformed_json",
      /^Cannot parse the body as JSON: ./,
    );
  }
});

Deno.test("parseJsonObject() refuses JSON that is not an object with 400 invalid_body", () => {
  const cases: [string, string][] = [
    ["[]", "an array"],
    ['[{"a":1}]', "an array"],
    ["null", "null"],
    ["1", "a number"],
    ['"{}"', "a string"],
    ["true", "a boolean"],
  ];
  for (const [text, described] of cases) {
    assertClientError(
      thrownBy(() => parseJsonObject(encode(text))),
      "invalid_body",
      `Cannot accept the body as it is not a JSON object: it is ${described}`,
    );
  }
});

Deno.test("parseJsonObject() keeps a __proto__ key as data and pollutes no prototype", () => {
  const object = parseJsonObject(encode('{"__proto__":{"polluted":true},"a":1}'));
  assert.equal(Object.getPrototypeOf(object), Object.prototype);
  assert.equal(Object.hasOwn(object, "__proto__"), true);
  assert.deepEqual(Object.keys(object), ["__proto__", "a"]);
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
});

Deno.test("parseJsonObject() keeps escaped lone surrogates for the field rules to refuse", () => {
  const object = parseJsonObject(encode('{"app_name":"x\\ud800"}'));
  assert.equal(object["app_name"], "x\ud800");
});

Deno.test("parseJsonObject() answers a 400, not a crash, for very deep nesting", () => {
  const depth = 200_000;
  const deepArray = encode(`{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`);
  const deepObject = encode(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);
  for (const bytes of [deepArray, deepObject]) {
    let outcome: unknown;
    try {
      outcome = parseJsonObject(bytes);
    } catch (error) {
      outcome = error;
    }
    const ok = (typeof outcome === "object" && outcome !== null && !(outcome instanceof Error)) ||
      (outcome instanceof ClientError && outcome.status === 400);
    assert.ok(ok, `unexpected outcome ${String(outcome)}`);
  }
});

Deno.test("describeJsonType() names each JSON type for messages", () => {
  assert.equal(describeJsonType(null), "null");
  assert.equal(describeJsonType([]), "an array");
  assert.equal(describeJsonType({}), "an object");
  assert.equal(describeJsonType("x"), "a string");
  assert.equal(describeJsonType(1), "a number");
  assert.equal(describeJsonType(false), "a boolean");
});

Deno.test("parseJsonObject() returns exactly what the JSON says for objects and refuses other values (property)", () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), (value, pretty) => {
    const text = pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
    const expected = JSON.parse(text);
    if (typeof expected === "object" && expected !== null && !Array.isArray(expected)) {
      assert.deepEqual(parseJsonObject(encode(text)), expected);
    } else {
      const error = thrownBy(() => parseJsonObject(encode(text)));
      assertClientError(
        error,
        "invalid_body",
        `Cannot accept the body as it is not a JSON object: it is ${describeJsonType(expected)}`,
      );
    }
  }));
});

Deno.test("parseJsonObject() meets any bytes with an object or a 400, nothing else (property)", () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.jsonValue({ maxDepth: 3 }).chain((value) =>
      fc.tuple(
        fc.constant(encode(JSON.stringify(value))),
        fc.nat(64),
        fc.integer({ min: 0, max: 255 }),
      )
        .map(([b, at, byte]) => {
          const copy = b.slice();
          if (copy.length > 0) copy[at % copy.length] = byte;
          return copy;
        })
    ),
  );
  fc.assert(fc.property(bytes, (body) => {
    let outcome: unknown;
    try {
      outcome = parseJsonObject(body);
    } catch (error) {
      outcome = error;
    }
    if (outcome instanceof Error) {
      assert.ok(outcome instanceof ClientError, `unexpected ${String(outcome)}`);
      assert.equal(outcome.status, 400);
      assert.ok(["malformed_json", "invalid_body"].includes(outcome.code), outcome.code);
    } else {
      assert.ok(typeof outcome === "object" && outcome !== null && !Array.isArray(outcome));
    }
  }));
});
