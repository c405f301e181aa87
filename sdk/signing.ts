/**
 * Ed25519 (RFC 8032) keys and signatures, as the protocol carries them: keys
 * and signatures in hex, signatures over the exact bytes of a request body.
 * The curve arithmetic is `@noble/ed25519`; SHA-512 and randomness come from
 * WebCrypto.
 *
 * @module
 */

import * as ed from "npm:@noble/ed25519@^3.2.0";

/** Returns WebCrypto: the global one, or Node's on Node.js 18, which has no global `crypto`. */
export async function webCrypto(): Promise<Crypto> {
  const existing = (globalThis as { crypto?: Crypto }).crypto;
  if (existing?.subtle !== undefined && typeof existing.getRandomValues === "function") {
    return existing;
  }
  const node = await import("node:crypto");
  const fallback = node.webcrypto as unknown as Crypto;
  // noble hashes through the global WebCrypto; where that is missing it can only fail, so
  // pointing it at Node's implementation changes nothing for anyone else using noble.
  ed.hashes.sha512Async = async (message: Uint8Array) =>
    new Uint8Array(await fallback.subtle.digest("SHA-512", toArrayBuffer(message)));
  return fallback;
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/** Bytes of a hex string; throws a `TypeError` when `hex` is not an even run of hex digits. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`Cannot decode hex as it is malformed: "${hex.slice(0, 16)}…"`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** 32 random bytes: a new Ed25519 secret seed. */
export async function generateSeed(): Promise<Uint8Array> {
  const crypto = await webCrypto();
  return crypto.getRandomValues(new Uint8Array(32));
}

/** A random (version 4) UUID in canonical lowercase form. */
export async function generateUuid(): Promise<string> {
  const crypto = await webCrypto();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The 32-byte Ed25519 public key of a 32-byte secret seed. */
export async function publicKeyOf(seed: Uint8Array): Promise<Uint8Array> {
  await webCrypto();
  return await ed.getPublicKeyAsync(seed);
}

/** The 64-byte Ed25519 signature of `message` by the key with secret `seed`, in hex. */
export async function signHex(seed: Uint8Array, message: Uint8Array): Promise<string> {
  await webCrypto();
  return toHex(await ed.signAsync(message, seed));
}

/** Whether `signatureHex` is a valid Ed25519 signature of `message` by `publicKeyHex`. */
export async function verifyHex(
  publicKeyHex: string,
  message: Uint8Array,
  signatureHex: string,
): Promise<boolean> {
  await webCrypto();
  try {
    return await ed.verifyAsync(fromHex(signatureHex), message, fromHex(publicKeyHex));
  } catch {
    return false;
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
