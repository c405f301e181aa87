import assert from "node:assert/strict";
import { hashPassword, PASSWORD_ITERATIONS, verifyPassword } from "./password_hash.ts";

Deno.test("hashPassword() makes a PBKDF2-SHA256 hash of 600,000 iterations with a fresh salt", async () => {
  const first = await hashPassword("correct horse");
  const second = await hashPassword("correct horse");
  assert.equal(PASSWORD_ITERATIONS, 600_000);
  assert.match(first, /^pbkdf2-sha256\$600000\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  assert.notEqual(first, second, "each hash has its own salt");
  assert.ok(!first.includes("correct horse"));
});

Deno.test("verifyPassword() accepts the password and refuses any other", async () => {
  const stored = await hashPassword("correct horse");
  assert.equal(await verifyPassword("correct horse", stored), true);
  assert.equal(await verifyPassword("correct horsE", stored), false);
  assert.equal(await verifyPassword("", stored), false);
});

Deno.test("verifyPassword() treats Unicode forms of one password as the same password", async () => {
  const stored = await hashPassword("caf\u00e9");
  assert.equal(await verifyPassword("cafe\u0301", stored), true);
});

Deno.test("verifyPassword() refuses malformed, tampered and weak stored hashes", async () => {
  const stored = await hashPassword("pw-123456");
  const [prefix, iterations, salt, hash] = stored.split("$");
  const flipped = (hash ?? "").startsWith("A") ? `B${hash?.slice(1)}` : `A${hash?.slice(1)}`;
  const weak = await hashPassword("pw-123456", { iterations: 1000 });
  for (
    const bad of [
      "",
      "plain",
      `${prefix}$${iterations}$${salt}`,
      `${prefix}$${iterations}$${salt}$${flipped}`,
      `sha1$${iterations}$${salt}$${hash}`,
      `${prefix}$abc$${salt}$${hash}`,
      `${prefix}$${iterations}$!!!$${hash}`,
      weak,
    ]
  ) {
    assert.equal(await verifyPassword("pw-123456", bad), false, bad);
  }
});
