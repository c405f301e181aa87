/**
 * The instance's identity: a UUID and an Ed25519 key pair, created once and
 * kept in `{dataDir}/{slug}_shm_identity.json` (mode 0600), in the format the
 * original SHM Node SDK wrote, so that an instance moving to this SDK keeps
 * its id.
 *
 * @module
 */

import type { Host } from "./host.ts";
import { joinPath, parentDir } from "./host.ts";
import { fromHex, generateSeed, generateUuid, publicKeyOf, toHex } from "./signing.ts";
import { identitySlug, legacyIdentitySlug } from "./slug.ts";

/**
 * The identity file's content: `instanceId` (UUID), `publicKey` (64 hex
 * characters) and `privateKey` (128 hex characters: the 32-byte seed followed
 * by the 32-byte public key).
 *
 * @example Reading an identity's instance id
 * ```ts
 * import type { Identity } from "@shm/sdk";
 *
 * function describe(identity: Identity): string {
 *   return `instance ${identity.instanceId}`;
 * }
 * ```
 */
export interface Identity {
  /** The instance id, a UUID in canonical lowercase form. */
  readonly instanceId: string;
  /** The Ed25519 public key, 64 lowercase hex characters. */
  readonly publicKey: string;
  /** The 32-byte seed then the 32-byte public key, 128 lowercase hex characters. */
  readonly privateKey: string;
}

/** The outcome of loading the identity, or of creating it when there is none. */
export type IdentityResult =
  | {
    readonly ok: true;
    readonly identity: Identity;
    readonly path: string;
    /** `loaded` from the file, `created` where there was none, `replaced` a bad one. */
    readonly source: "loaded" | "created" | "replaced";
    /** Why the previous file was replaced, when it was. */
    readonly replacedBecause?: string;
  }
  | { readonly ok: false; readonly path: string; readonly message: string };

/** The mode of the identity file: read and write for its owner only. */
export const IDENTITY_FILE_MODE = 0o600;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX_64 = /^[0-9a-f]{64}$/;
const HEX_128 = /^[0-9a-f]{128}$/;

/** The path of the identity file of `appName` in `dataDir`. */
export function identityPath(dataDir: string, appName: string): string {
  return joinPath(dataDir, `${identitySlug(appName)}_shm_identity.json`);
}

/**
 * Loads the identity of `appName` from `dataDir`, or creates and stores a new
 * one when there is none, when the file is corrupt or when it cannot be read.
 * Creates `dataDir` if it is missing. Never throws: a failure to store a new
 * identity (read-only directory, no permission) is an `ok: false` result.
 */
export async function loadOrCreateIdentity(
  host: Host,
  options: { readonly dataDir: string; readonly appName: string },
): Promise<IdentityResult> {
  const path = await choosePath(host, options.dataDir, options.appName);
  const read = await host.readTextFile(path);
  let replacedBecause: string | undefined;
  if (read.ok) {
    const parsed = await parseIdentity(read.text);
    if (parsed.ok) {
      await host.restrictToOwner(path);
      return { ok: true, identity: parsed.identity, path, source: "loaded" };
    }
    replacedBecause = parsed.message;
  } else if (read.kind !== "not_found") {
    replacedBecause = `it could not be read: ${read.message}`;
  }

  const identity = await createIdentity();
  const dir = await host.ensureDir(parentDir(path));
  if (!dir.ok) {
    return { ok: false, path, message: `Cannot create ${parentDir(path)}: ${dir.message}` };
  }
  const written = await host.writeFileAtomic(path, serializeIdentity(identity), IDENTITY_FILE_MODE);
  if (!written.ok) return { ok: false, path, message: `Cannot write ${path}: ${written.message}` };
  await host.restrictToOwner(path);
  return replacedBecause === undefined
    ? { ok: true, identity, path, source: "created" }
    : { ok: true, identity, path, source: "replaced", replacedBecause };
}

/**
 * Finds the stored identity of `appName` in `dataDir` without creating one:
 * `found` with its path, `none` when there is no usable file (nothing was
 * ever sent from here, or the file is corrupt and would be replaced), or
 * `unreadable` when the file may not be read. Never throws.
 */
export async function findIdentity(
  host: Host,
  options: { readonly dataDir: string; readonly appName: string },
): Promise<
  | { readonly kind: "found"; readonly identity: Identity; readonly path: string }
  | { readonly kind: "none"; readonly path: string }
  | { readonly kind: "unreadable"; readonly path: string; readonly message: string }
> {
  const path = await choosePath(host, options.dataDir, options.appName);
  const read = await host.readTextFile(path);
  if (!read.ok) {
    return read.kind === "not_found"
      ? { kind: "none", path }
      : { kind: "unreadable", path, message: read.message };
  }
  const parsed = await parseIdentity(read.text);
  return parsed.ok ? { kind: "found", identity: parsed.identity, path } : { kind: "none", path };
}

/** A new identity: a random UUID and a new key pair. */
export async function createIdentity(): Promise<Identity> {
  const seed = await generateSeed();
  const publicKey = toHex(await publicKeyOf(seed));
  return { instanceId: await generateUuid(), publicKey, privateKey: toHex(seed) + publicKey };
}

/**
 * Parses and checks the text of an identity file: the fields must be well
 * formed and the public key must be the one the seed gives.
 */
export async function parseIdentity(
  text: string,
): Promise<{ ok: true; identity: Identity } | { ok: false; message: string }> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: "it is not valid JSON" };
  }
  if (typeof value !== "object" || value === null) {
    return { ok: false, message: "it is not a JSON object" };
  }
  const { instanceId, publicKey, privateKey } = value as Record<string, unknown>;
  if (typeof instanceId !== "string" || !UUID.test(instanceId.toLowerCase())) {
    return { ok: false, message: "its instanceId is not a UUID" };
  }
  if (typeof publicKey !== "string" || !HEX_64.test(publicKey.toLowerCase())) {
    return { ok: false, message: "its publicKey is not 64 hex characters" };
  }
  if (typeof privateKey !== "string" || !HEX_128.test(privateKey.toLowerCase())) {
    return { ok: false, message: "its privateKey is not 128 hex characters" };
  }
  const identity: Identity = {
    instanceId: instanceId.toLowerCase(),
    publicKey: publicKey.toLowerCase(),
    privateKey: privateKey.toLowerCase(),
  };
  const derived = toHex(await publicKeyOf(seedOf(identity)));
  if (derived !== identity.publicKey || identity.privateKey.slice(64) !== identity.publicKey) {
    return { ok: false, message: "its keys do not belong together" };
  }
  return { ok: true, identity };
}

/** The 32-byte secret seed of an identity. */
export function seedOf(identity: Identity): Uint8Array {
  return fromHex(identity.privateKey.slice(0, 64));
}

/** The identity file's text, in the original SDK's layout. */
export function serializeIdentity(identity: Identity): string {
  const { instanceId, privateKey, publicKey } = identity;
  return JSON.stringify({ instanceId, privateKey, publicKey }, null, 2);
}

async function choosePath(host: Host, dataDir: string, appName: string): Promise<string> {
  const path = identityPath(dataDir, appName);
  const legacySlug = legacyIdentitySlug(appName);
  if (legacySlug === identitySlug(appName)) return path;
  const legacyPath = joinPath(dataDir, `${legacySlug}_shm_identity.json`);
  if (await host.pathExists(path) !== false) return path;
  return await host.pathExists(legacyPath) === true ? legacyPath : path;
}
