import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import { ClientError } from "../errors.ts";
import {
  characterCount,
  decodeHex,
  isStorableText,
  isUuid,
  optionalText,
  requireHex,
  requireText,
  requireUuid,
} from "./field_rules.ts";

/** Returns what `fn` throws; fails the test when it returns normally. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected an error, but none was thrown");
}

function assertInvalidField(error: unknown, message: string): void {
  assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
  assert.deepEqual(
    { status: error.status, code: error.code, message: error.message },
    { status: 400, code: "invalid_field", message },
  );
}

// ---- UUIDs ----

Deno.test("isUuid() accepts UUIDs of any version and in any case", () => {
  for (
    const id of [
      "6ba7b810-9dad-11d1-80b4-00c04fd430c8", // v1
      "f47ac10b-58cc-4372-a567-0e02b2c3d479", // v4
      "01890a5d-ac96-774b-bcce-b302099a8057", // v7
      "00000000-0000-0000-0000-000000000000", // nil
      "ffffffff-ffff-ffff-ffff-ffffffffffff", // max
      "F47AC10B-58CC-4372-A567-0E02B2C3D479",
      "f47AC10b-58Cc-4372-A567-0e02b2C3d479",
    ]
  ) {
    assert.equal(isUuid(id), true, id);
  }
});

Deno.test("isUuid() refuses anything that is not exactly a hyphenated UUID", () => {
  for (
    const id of [
      "",
      "f47ac10b58cc4372a5670e02b2c3d479",
      "{f47ac10b-58cc-4372-a567-0e02b2c3d479}",
      "urn:uuid:f47ac10b-58cc-4372-a567-0e02b2c3d479",
      "f47ac10b-58cc-4372-a567-0e02b2c3d47",
      "f47ac10b-58cc-4372-a567-0e02b2c3d4790",
      "g47ac10b-58cc-4372-a567-0e02b2c3d479",
      " f47ac10b-58cc-4372-a567-0e02b2c3d479",
      "f47ac10b-58cc-4372-a567-0e02b2c3d479\n",
      "f47ac10b-58cc-4372-a5670-e02b2c3d479",
    ]
  ) {
    assert.equal(isUuid(id), false, JSON.stringify(id));
  }
});

Deno.test("requireUuid() returns the UUID in lowercase", () => {
  const body = { instance_id: "F47AC10B-58CC-4372-A567-0E02B2C3D479" };
  assert.equal(requireUuid(body, "instance_id"), "f47ac10b-58cc-4372-a567-0e02b2c3d479");
});

Deno.test("requireUuid() refuses a missing, mistyped or malformed field, naming it", () => {
  assertInvalidField(
    thrownBy(() => requireUuid({}, "instance_id")),
    'Cannot accept "instance_id" as it must be a UUID and it is missing',
  );
  assertInvalidField(
    thrownBy(() => requireUuid({ instance_id: 42 }, "instance_id")),
    'Cannot accept "instance_id" as it must be a UUID and it is a number',
  );
  assertInvalidField(
    thrownBy(() => requireUuid({ instance_id: null }, "instance_id")),
    'Cannot accept "instance_id" as it must be a UUID and it is null',
  );
  assertInvalidField(
    thrownBy(() => requireUuid({ instance_id: ["x"] }, "instance_id")),
    'Cannot accept "instance_id" as it must be a UUID and it is an array',
  );
  assertInvalidField(
    thrownBy(() => requireUuid({ instance_id: "not-a-uuid" }, "instance_id")),
    'Cannot accept "instance_id" as it must be a UUID and it is a string: "not-a-uuid"',
  );
});

Deno.test("requireUuid() shows at most 80 characters of a bad value", () => {
  const error = thrownBy(() => requireUuid({ id: "x".repeat(10_000) }, "id"));
  assertInvalidField(
    error,
    `Cannot accept "id" as it must be a UUID and it is a string: "${"x".repeat(80)}"`,
  );
});

Deno.test("requireUuid() accepts every version in any case and returns it lowercase (property)", () => {
  const anyVersion = fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] });
  fc.assert(fc.property(fc.mixedCase(anyVersion), (id) => {
    assert.equal(requireUuid({ instance_id: id }, "instance_id"), id.toLowerCase());
  }));
});

// ---- hex ----

Deno.test("decodeHex() decodes lowercase, uppercase and mixed-case hex", () => {
  assert.deepEqual(decodeHex("00ff10", 3), new Uint8Array([0, 255, 16]));
  assert.deepEqual(decodeHex("ABCDEF", 3), new Uint8Array([0xab, 0xcd, 0xef]));
  assert.deepEqual(decodeHex("aBcD", 2), new Uint8Array([0xab, 0xcd]));
  assert.deepEqual(decodeHex("", 0), new Uint8Array(0));
});

Deno.test("decodeHex() returns null for the wrong length or non-hex characters", () => {
  assert.equal(decodeHex("00ff", 3), null);
  assert.equal(decodeHex("00ff1", 3), null);
  assert.equal(decodeHex("00ff1000", 3), null);
  assert.equal(decodeHex("0g0000", 3), null);
  assert.equal(decodeHex("0x00ff", 3), null);
  assert.equal(decodeHex(" 0ff10", 3), null);
  assert.equal(decodeHex("-1ff10", 3), null);
  assert.equal(decodeHex("+1ff10", 3), null);
  assert.equal(decodeHex("٠٠ff10", 3), null);
});

Deno.test("decodeHex() decodes any bytes written as hex in any case (property)", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (bytes, upper) => {
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    const text = upper ? hex.toUpperCase() : hex;
    assert.deepEqual(decodeHex(text, bytes.length), bytes);
  }));
});

Deno.test("decodeHex() returns null whenever a character is not hex (property)", () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 })
      .map((bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")),
    fc.nat(63),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).filter((c) => !/[0-9a-fA-F]/.test(c)),
    (hex, at, bad) => {
      const text = hex.slice(0, at) + bad + hex.slice(at + 1);
      assert.equal(decodeHex(text, 32), null);
    },
  ));
});

Deno.test("requireHex() returns the decoded public key", () => {
  const hex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
  const key = requireHex({ public_key: hex.toUpperCase() }, "public_key", 32);
  assert.equal(key.length, 32);
  assert.equal(key[0], 0xd7);
  assert.equal(key[31], 0x1a);
});

Deno.test("requireHex() refuses a bad field, naming it and the expected length", () => {
  assertInvalidField(
    thrownBy(() => requireHex({ public_key: "abcd" }, "public_key", 32)),
    'Cannot accept "public_key" as it must be 64 hex characters and it is a string: "abcd"',
  );
  assertInvalidField(
    thrownBy(() => requireHex({}, "signature", 64)),
    'Cannot accept "signature" as it must be 128 hex characters and it is missing',
  );
  assertInvalidField(
    thrownBy(() => requireHex({ public_key: { k: 1 } }, "public_key", 32)),
    'Cannot accept "public_key" as it must be 64 hex characters and it is an object',
  );
});

// ---- text ----

Deno.test("characterCount() counts code points, not UTF-16 units", () => {
  assert.equal(characterCount(""), 0);
  assert.equal(characterCount("abc"), 3);
  assert.equal(characterCount("é"), 1);
  assert.equal(characterCount("e\u0301"), 2);
  assert.equal(characterCount("🚀"), 1);
  assert.equal(characterCount("🚀🚀x"), 3);
});

Deno.test("characterCount() counts exactly the code points a string was built from (property)", () => {
  const sized = fc.nat(300).chain((n) =>
    fc.tuple(fc.constant(n), fc.string({ unit: "binary", minLength: n, maxLength: n }))
  );
  fc.assert(fc.property(sized, ([n, text]) => {
    assert.equal(characterCount(text), n);
  }));
});

Deno.test("isStorableText() refuses NUL and lone surrogates only", () => {
  assert.equal(isStorableText("plain text"), true);
  assert.equal(isStorableText(""), true);
  assert.equal(isStorableText("🚀 é \u0001 \uffff"), true);
  assert.equal(isStorableText("a\u0000b"), false);
  assert.equal(isStorableText("\ud800"), false);
  assert.equal(isStorableText("x\udc00"), false);
  assert.equal(isStorableText("\udc00\ud800"), false);
});

Deno.test("requireText() returns the text unchanged when its length fits", () => {
  const limits = { min: 1, max: 100 };
  assert.equal(requireText({ app_name: "My App" }, "app_name", limits), "My App");
  assert.equal(requireText({ app_name: " padded " }, "app_name", limits), " padded ");
  assert.equal(requireText({ app_name: "x" }, "app_name", limits), "x");
  assert.equal(requireText({ app_name: "x".repeat(100) }, "app_name", limits), "x".repeat(100));
});

Deno.test("requireText() counts the limit in characters, not UTF-16 units", () => {
  const hundredRockets = "🚀".repeat(100);
  assert.equal(hundredRockets.length, 200);
  const limits = { min: 1, max: 100 };
  assert.equal(requireText({ app_name: hundredRockets }, "app_name", limits), hundredRockets);
  assertInvalidField(
    thrownBy(() => requireText({ app_name: "🚀".repeat(101) }, "app_name", limits)),
    'Cannot accept "app_name" as it must have 1 to 100 characters: it has 101',
  );
});

Deno.test("requireText() refuses text that is too long, empty or blank, naming the field", () => {
  const limits = { min: 1, max: 50 };
  assertInvalidField(
    thrownBy(() => requireText({ app_version: "1".repeat(51) }, "app_version", limits)),
    'Cannot accept "app_version" as it must have 1 to 50 characters: it has 51',
  );
  assertInvalidField(
    thrownBy(() => requireText({ app_version: "" }, "app_version", limits)),
    'Cannot accept "app_version" as it must have 1 to 50 characters: it has 0',
  );
  assertInvalidField(
    thrownBy(() => requireText({ app_version: " \t\n " }, "app_version", limits)),
    'Cannot accept "app_version" as it must have 1 to 50 characters: it has 0',
  );
});

Deno.test("requireText() refuses a missing or non-string field, naming it", () => {
  const limits = { min: 1, max: 100 };
  assertInvalidField(
    thrownBy(() => requireText({}, "app_name", limits)),
    'Cannot accept "app_name" as it must be a string and it is missing',
  );
  assertInvalidField(
    thrownBy(() => requireText({ app_name: 7 }, "app_name", limits)),
    'Cannot accept "app_name" as it must be a string and it is a number',
  );
  assertInvalidField(
    thrownBy(() => requireText({ app_name: null }, "app_name", limits)),
    'Cannot accept "app_name" as it must be a string and it is null',
  );
  assertInvalidField(
    thrownBy(() => requireText({ app_name: false }, "app_name", limits)),
    'Cannot accept "app_name" as it must be a string and it is a boolean',
  );
});

Deno.test("requireText() refuses NUL and lone surrogates, naming the field", () => {
  for (const bad of ["a\u0000b", "\u0000", "name\ud800", "\udfff"]) {
    assertInvalidField(
      thrownBy(() => requireText({ app_name: bad }, "app_name", { min: 1, max: 100 })),
      'Cannot accept "app_name" as it holds a NUL character or broken Unicode',
    );
  }
});

Deno.test("optionalText() gives null for absent, null and empty values", () => {
  assert.equal(optionalText({}, "environment", 50), null);
  assert.equal(optionalText({ environment: null }, "environment", 50), null);
  assert.equal(optionalText({ environment: "" }, "environment", 50), null);
});

Deno.test("optionalText() returns text within the limit", () => {
  assert.equal(optionalText({ environment: "production" }, "environment", 50), "production");
  assert.equal(optionalText({ os_arch: "é".repeat(50) }, "os_arch", 50), "é".repeat(50));
});

Deno.test("optionalText() refuses wrong types, long text and broken text, naming the field", () => {
  assertInvalidField(
    thrownBy(() => optionalText({ environment: 3 }, "environment", 50)),
    'Cannot accept "environment" as it must be a string or null and it is a number',
  );
  assertInvalidField(
    thrownBy(() => optionalText({ os_arch: { os: "linux" } }, "os_arch", 50)),
    'Cannot accept "os_arch" as it must be a string or null and it is an object',
  );
  assertInvalidField(
    thrownBy(() => optionalText({ deployment_mode: "d".repeat(51) }, "deployment_mode", 50)),
    'Cannot accept "deployment_mode" as it must have 1 to 50 characters: it has 51',
  );
  assertInvalidField(
    thrownBy(() => optionalText({ environment: "prod\u0000" }, "environment", 50)),
    'Cannot accept "environment" as it holds a NUL character or broken Unicode',
  );
});

/** Text of `min`–`max` code points, none of them NUL, not all whitespace. */
function storableText(min: number, max: number): fc.Arbitrary<string> {
  return fc.string({ unit: "binary", minLength: min, maxLength: max })
    .filter((s) => !s.includes("\0") && s.trim() !== "");
}

Deno.test("requireText() accepts any storable text within the limit, unchanged (property)", () => {
  fc.assert(fc.property(storableText(1, 100), (text) => {
    assert.equal(requireText({ app_name: text }, "app_name", { min: 1, max: 100 }), text);
  }));
});

Deno.test("requireText() refuses any text over the limit, saying its length (property)", () => {
  fc.assert(fc.property(storableText(101, 160), (text) => {
    assertInvalidField(
      thrownBy(() => requireText({ app_name: text }, "app_name", { min: 1, max: 100 })),
      `Cannot accept "app_name" as it must have 1 to 100 characters: it has ${[...text].length}`,
    );
  }));
});

Deno.test("requireText() names the field in every refusal (property)", () => {
  const field = fc.stringMatching(/^[a-z_]{1,20}$/);
  const badValue = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.integer(),
    fc.boolean(),
    fc.constant(""),
    fc.constant("a\u0000"),
    fc.constant("\ud800"),
    storableText(11, 20),
  );
  fc.assert(fc.property(field, badValue, (name, value) => {
    const body = value === undefined ? {} : { [name]: value };
    const error = thrownBy(() => requireText(body, name, { min: 1, max: 10 }));
    assert.ok(error instanceof ClientError);
    assert.equal(error.status, 400);
    assert.ok(error.message.startsWith(`Cannot accept "${name}" as `), error.message);
  }));
});
