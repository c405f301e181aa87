/** Ed25519 signature checks with WebCrypto, and a cache of imported public keys. */

/**
 * Imported public keys by instance id. A key is pinned to its instance for
 * life, so a cached key never goes stale and a signed request from a known
 * instance needs no database read to be verified.
 */
export class PublicKeyCache {
  readonly #keys = new Map<string, CryptoKey>();
  readonly #capacity: number;

  /** Makes a cache holding at most `capacity` keys, dropping the least recently used. */
  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }

  /** Returns the cached key of `instanceId`, if any. */
  cached(instanceId: string): CryptoKey | undefined {
    const key = this.#keys.get(instanceId);
    if (key !== undefined) {
      this.#keys.delete(instanceId);
      this.#keys.set(instanceId, key);
    }
    return key;
  }

  /** Imports `publicKey` (as stored for `instanceId`), caches and returns it; null when unusable. */
  async remember(instanceId: string, publicKey: Uint8Array): Promise<CryptoKey | null> {
    const key = await importPublicKey(publicKey).catch(() => null);
    if (key === null) return null;
    this.#keys.set(instanceId, key);
    if (this.#keys.size > this.#capacity) {
      const oldest = this.#keys.keys().next();
      if (!oldest.done) this.#keys.delete(oldest.value);
    }
    return key;
  }
}

/** Imports 32 raw bytes as an Ed25519 public key for verifying. */
export function importPublicKey(publicKey: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    publicKey as Uint8Array<ArrayBuffer>,
    { name: "Ed25519" },
    false,
    ["verify"],
  );
}

/**
 * Whether `signature` is a valid Ed25519 signature of exactly `message` by
 * `key`. Never throws: a key or signature WebCrypto cannot use counts as invalid.
 */
export async function verifyEd25519(
  key: CryptoKey | Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  try {
    const cryptoKey = key instanceof Uint8Array ? await importPublicKey(key) : key;
    return await crypto.subtle.verify(
      { name: "Ed25519" },
      cryptoKey,
      signature as Uint8Array<ArrayBuffer>,
      message as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return false;
  }
}
