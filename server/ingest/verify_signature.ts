/**
 * Ed25519 signature checks, and a cache of imported public keys. Checks run
 * synchronously through `node:crypto` (about 40 µs of CPU each): WebCrypto's
 * `crypto.subtle.verify` gives the same answers but hands each check to
 * another thread and back, about 100 µs of CPU and a promise per request.
 */

import { Point } from "@noble/ed25519";
import { Buffer } from "node:buffer";
import { createPublicKey, type KeyObject, verify } from "node:crypto";

/** An Ed25519 public key imported for verifying (see {@linkcode importPublicKey}). */
export type VerifyKey = KeyObject;

/** What the key caches of a server's accept loops tell each other. */
export type KeyNews =
  | { readonly kind: "key"; readonly instanceId: string; readonly publicKey: Uint8Array }
  | { readonly kind: "gone"; readonly instanceId: string };

/** How a key cache hears of and tells the keys the server's other accept loops learnt. */
export interface KeyShare {
  /** Tells the other caches. */
  publish(news: KeyNews): void;
  /** Calls `receive` with what another cache publishes. */
  subscribe(receive: (news: KeyNews) => void): void;
}

/**
 * Imported public keys by instance id. A key is pinned to its instance until
 * the instance is erased, so a signed request from a known instance needs no
 * database read to be verified; after an erase the same id may register again
 * with another key, which is why a failed check re-reads the stored key (see
 * `authenticateInstance`). With a `share`, the keys one accept loop stores or
 * reads, and the instances it erases, are known to the others too: each loop
 * does not read every instance's key once more.
 */
export class PublicKeyCache {
  /** Each instance's imported key and the 32 bytes it was imported from. */
  readonly #keys = new Map<string, { readonly key: VerifyKey; readonly raw: Uint8Array }>();
  readonly #capacity: number;
  readonly #share: KeyShare | undefined;

  /** Makes a cache holding at most `capacity` keys, dropping the least recently used. */
  constructor(capacity = 100_000, options: { share?: KeyShare } = {}) {
    this.#capacity = capacity;
    this.#share = options.share;
    this.#share?.subscribe((news) => this.#hear(news));
  }

  /** Returns the cached key of `instanceId`, if any. */
  cached(instanceId: string): VerifyKey | undefined {
    const held = this.#keys.get(instanceId);
    if (held !== undefined) {
      this.#keys.delete(instanceId);
      this.#keys.set(instanceId, held);
    }
    return held?.key;
  }

  /**
   * Drops the key of `instanceId`. With `everywhere` (an erased or deleted
   * instance), the other loops' caches drop it too; without (a key that failed
   * a check, read again at once), only this one.
   */
  forget(instanceId: string, options: { everywhere?: boolean } = {}): void {
    this.#keys.delete(instanceId);
    if (options.everywhere) this.#share?.publish({ kind: "gone", instanceId });
  }

  /** Imports `publicKey` (as stored for `instanceId`), caches and returns it; null when unusable. */
  remember(instanceId: string, publicKey: Uint8Array): VerifyKey | null {
    const key = this.#keep(instanceId, publicKey);
    if (key !== null) this.#share?.publish({ kind: "key", instanceId, publicKey });
    return key;
  }

  #keep(instanceId: string, publicKey: Uint8Array): VerifyKey | null {
    let key: VerifyKey;
    try {
      key = importPublicKey(publicKey);
    } catch {
      return null;
    }
    this.#keys.set(instanceId, { key, raw: publicKey.slice() });
    if (this.#keys.size > this.#capacity) {
      const oldest = this.#keys.keys().next();
      if (!oldest.done) this.#keys.delete(oldest.value);
    }
    return key;
  }

  /** Takes what another loop tells: a key it knows, checked as any key, or an instance gone. */
  #hear(news: KeyNews): void {
    if (news.kind === "gone") {
      this.#keys.delete(news.instanceId);
    } else if (news.publicKey instanceof Uint8Array && news.publicKey.length === 32) {
      // Every loop announces the keys it reads or stores: one already held is not imported again.
      const held = this.#keys.get(news.instanceId)?.raw;
      if (held !== undefined && held.every((byte, i) => byte === news.publicKey[i])) return;
      this.#keep(news.instanceId, news.publicKey);
    }
  }
}

/**
 * The y coordinates of the eight points of small order (RFC 8032 5.1.3
 * encodings with the sign bit cleared): 0, 1, the two of order 8, p − 1,
 * and the non-canonical p and p + 1. With the sign bit either way they cover
 * every encoding, canonical or not, that decodes to a point of order 1, 2, 4
 * or 8 (the list libsodium refuses).
 */
const SMALL_ORDER_Y: readonly Uint8Array[] = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map((hex) => Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16)));

/**
 * Whether the 32 bytes `publicKey` encode a point of small order. Such a key
 * has no secret behind it: with it, one fixed signature (for `01` followed by
 * 31 zero bytes, `01` and 63 zero bytes) verifies for every message, so the
 * server neither registers nor verifies against one.
 */
export function isSmallOrderKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32) return false;
  return SMALL_ORDER_Y.some((y) =>
    y.every((byte, i) => (i === 31 ? (publicKey[i] ?? 0) & 0x7f : publicKey[i]) === byte)
  );
}

/**
 * Whether the 32 bytes `publicKey` are the canonical encoding of an Ed25519
 * point in the curve's prime-order group: on the curve, not of small order,
 * and without a small-order component. Every key made from a secret (a
 * scalar times the base point) is one; anything else has no honest owner.
 * Decoding and the order check take about a millisecond (noble, pure
 * JavaScript): done at register, not on every signature.
 */
export function isPrimeOrderKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32 || isSmallOrderKey(publicKey)) return false;
  try {
    const point = Point.fromBytes(publicKey);
    return !point.isSmallOrder() && point.isTorsionFree();
  } catch {
    return false;
  }
}

/** The DER head of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the key's 32 bytes. */
const ED25519_SPKI_HEAD = Buffer.from("302a300506032b6570032100", "hex");

/**
 * Imports 32 raw bytes as an Ed25519 public key for verifying. Throws for
 * anything but 32 bytes and for a small-order key (see
 * {@linkcode isSmallOrderKey}), which the crypto library would take.
 */
export function importPublicKey(publicKey: Uint8Array): VerifyKey {
  if (publicKey.length !== 32) throw new TypeError("An Ed25519 public key is 32 bytes");
  if (isSmallOrderKey(publicKey)) {
    throw new TypeError("Cannot use a small-order Ed25519 point as a public key");
  }
  const der = Buffer.concat([ED25519_SPKI_HEAD, publicKey]);
  return createPublicKey({ key: der, format: "der", type: "spki" });
}

/**
 * Whether `signature` is a valid Ed25519 signature of exactly `message` by
 * `key` (imported, or 32 raw bytes). Never throws: a key or signature the
 * crypto library cannot use counts as invalid.
 */
export function verifyEd25519(
  key: VerifyKey | Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
): boolean {
  try {
    const verifyKey = key instanceof Uint8Array ? importPublicKey(key) : key;
    return verify(null, message, verifyKey, signature);
  } catch {
    return false;
  }
}
