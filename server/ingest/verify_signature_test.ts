import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import * as ed from "npm:@noble/ed25519@^3.2.0";
import {
  importPublicKey,
  isPrimeOrderKey,
  isSmallOrderKey,
  verifyEd25519,
} from "./verify_signature.ts";

const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));

/** Every encoding of a small-order point, canonical or not: seven y values, sign bit either way. */
const SMALL_ORDER_ENCODINGS = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].flatMap((hex) => {
  const signed = fromHex(hex);
  signed[31] = (signed[31] ?? 0) | 0x80;
  return [fromHex(hex), signed];
});

/** Whether noble (decoding non-canonical encodings too, as ZIP 215 does) sees a small-order point. */
function nobleSmallOrder(bytes: Uint8Array): boolean {
  try {
    return ed.Point.fromBytes(bytes, true).isSmallOrder();
  } catch {
    return false;
  }
}

Deno.test("isSmallOrderKey() knows all 14 encodings of the 8 small-order points, as noble does", () => {
  assert.equal(SMALL_ORDER_ENCODINGS.length, 14);
  for (const bytes of SMALL_ORDER_ENCODINGS) {
    assert.ok(nobleSmallOrder(bytes), `noble agrees ${bytes}`);
    assert.ok(isSmallOrderKey(bytes), `refused ${bytes}`);
  }
});

Deno.test("isSmallOrderKey() agrees with noble on any 32 bytes, near-misses of the list included", () => {
  const nearMiss = fc.record({
    index: fc.nat({ max: SMALL_ORDER_ENCODINGS.length - 1 }),
    byte: fc.nat({ max: 31 }),
    bit: fc.nat({ max: 7 }),
  }).map(({ index, byte, bit }) => {
    const bytes = new Uint8Array(SMALL_ORDER_ENCODINGS[index] ?? new Uint8Array(32));
    bytes[byte] = (bytes[byte] ?? 0) ^ (1 << bit);
    return bytes;
  });
  fc.assert(
    fc.property(
      fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), nearMiss),
      (bytes) => assert.equal(isSmallOrderKey(bytes), nobleSmallOrder(bytes), String(bytes)),
    ),
    { numRuns: 2000 },
  );
});

Deno.test("verifyEd25519() refuses the one signature WebCrypto accepts for any body by a small-order key", async () => {
  const key = fromHex(`01${"00".repeat(31)}`);
  const forged = fromHex(`01${"00".repeat(63)}`);
  const body = new TextEncoder().encode('{"anything":"at all"}');
  // What this guards against: WebCrypto itself takes the key and the forgery.
  const raw = await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
  assert.ok(await crypto.subtle.verify({ name: "Ed25519" }, raw, forged, body));
  assert.equal(verifyEd25519(key, forged, body), false);
  for (const bytes of SMALL_ORDER_ENCODINGS) {
    assert.throws(() => importPublicKey(bytes), TypeError);
  }
});

Deno.test("verifyEd25519() still verifies a real key's signature and refuses another body", async () => {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const body = new TextEncoder().encode("body");
  const signature = new Uint8Array(
    await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, body),
  );
  assert.equal(isSmallOrderKey(publicKey), false);
  assert.ok(verifyEd25519(publicKey, signature, body));
  assert.equal(verifyEd25519(publicKey, signature, new TextEncoder().encode("other")), false);
});

/** The order of the Ed25519 group, L, little-endian as signatures carry S. */
const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

/** `signature` with S replaced by S + L: the same S modulo L, but not canonical (RFC 8032 5.1.7). */
function withNonCanonicalS(signature: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i] ?? 0);
  let bigger = s + GROUP_ORDER;
  const out = signature.slice();
  for (let i = 32; i < 64; i++) {
    out[i] = Number(bigger & 0xffn);
    bigger >>= 8n;
  }
  return out;
}

Deno.test("verifyEd25519() answers as WebCrypto does for real, altered and non-canonical signatures", async () => {
  const pairs = await Promise.all(Array.from({ length: 4 }, async () => {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    return { pair, raw: new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)) };
  }));
  await fc.assert(
    fc.asyncProperty(
      fc.nat(3),
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom("as signed", "bit flipped", "non-canonical S", "other key", "other body"),
      fc.nat(511),
      async (which, body, alteration, bit) => {
        const { pair, raw } = pairs[which]!;
        let signature = new Uint8Array(
          await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, body),
        );
        let signedBody = body;
        let key = raw;
        if (alteration === "bit flipped") {
          signature[bit >> 3] = (signature[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        } else if (alteration === "non-canonical S") signature = withNonCanonicalS(signature);
        else if (alteration === "other key") key = pairs[(which + 1) % pairs.length]!.raw;
        else if (alteration === "other body") signedBody = Uint8Array.of(...body, 0);
        const webCrypto = await crypto.subtle.verify(
          { name: "Ed25519" },
          await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]),
          signature,
          signedBody,
        );
        assert.equal(verifyEd25519(key, signature, signedBody), webCrypto);
        assert.equal(verifyEd25519(importPublicKey(key), signature, signedBody), webCrypto);
        if (alteration === "as signed") assert.equal(webCrypto, true);
        if (alteration === "non-canonical S") assert.equal(webCrypto, false);
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("verifyEd25519() refuses malformed keys and signatures without throwing", async () => {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const body = new TextEncoder().encode("body");
  const signature = new Uint8Array(
    await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, body),
  );
  assert.equal(verifyEd25519(raw.subarray(0, 31), signature, body), false);
  assert.equal(verifyEd25519(new Uint8Array(33), signature, body), false);
  assert.equal(verifyEd25519(raw, signature.subarray(0, 63), body), false);
  assert.equal(verifyEd25519(raw, new Uint8Array(0), body), false);
  assert.throws(() => importPublicKey(new Uint8Array(31)), TypeError);
});

Deno.test("isPrimeOrderKey() takes every key made from a secret", async () => {
  for (let i = 0; i < 20; i++) {
    const { publicKey } = await ed.keygenAsync();
    assert.equal(isPrimeOrderKey(publicKey), true);
  }
});

Deno.test("isPrimeOrderKey() refuses small-order, off-curve, non-canonical and mixed-order keys", async () => {
  for (const bytes of SMALL_ORDER_ENCODINGS) assert.equal(isPrimeOrderKey(bytes), false);
  // y = 2 is not the y of any point of the curve.
  const offCurve = new Uint8Array(32);
  offCurve[0] = 2;
  assert.equal(isPrimeOrderKey(offCurve), false);
  // y = p + 3 encodes y = 3 non-canonically.
  const nonCanonical = fromHex("f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  assert.equal(isPrimeOrderKey(nonCanonical), false);
  // A real key plus a point of order 8: on the curve, not small, but with a small component.
  const { publicKey } = await ed.keygenAsync();
  const orderEight = ed.Point.fromBytes(SMALL_ORDER_ENCODINGS[4]!);
  const mixed = ed.Point.fromBytes(publicKey).add(orderEight).toBytes();
  assert.equal(isPrimeOrderKey(mixed), false);
  assert.equal(isPrimeOrderKey(new Uint8Array(31)), false);
});
