/** Ed25519 signature checks with WebCrypto, and a cache of imported public keys. */

/** Imported public keys by instance id. Keys are pinned to their instance for life, so entries never go stale. */
export class PublicKeyCache {
  readonly #keys = new Map<string, { raw: string; key: CryptoKey }>();
  readonly #capacity: number;

  /** Makes a cache holding at most `capacity` keys, dropping the least recently used. */
  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }

  /** Returns the imported key for `instanceId`, importing `publicKey` on a miss. */
  async get(instanceId: string, publicKey: Uint8Array): Promise<CryptoKey> {
    const raw = hex(publicKey);
    const hit = this.#keys.get(instanceId);
    if (hit !== undefined && hit.raw === raw) {
      this.#keys.delete(instanceId);
      this.#keys.set(instanceId, hit);
      return hit.key;
    }
    const key = await importPublicKey(publicKey);
    this.#keys.set(instanceId, { raw, key });
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

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
