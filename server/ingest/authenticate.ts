/** Who sent a signed request: the instance named in its headers, proven by its signature. */

import { ClientError } from "../errors.ts";
import { findInstanceIdentity } from "../store/mod.ts";
import type { IngestContext } from "./context.ts";
import { decodeHex, isUuid } from "./field_rules.ts";
import { verifyEd25519 } from "./verify_signature.ts";

/**
 * An instance whose signature over the request body has been verified. Its
 * status is not known here: the write that follows checks it.
 */
export interface VerifiedInstance {
  readonly instanceId: string;
}

/** The two headers of a signed request, as received (null when absent). */
export interface SignatureHeaders {
  readonly instanceId: string | null;
  readonly signature: string | null;
}

/**
 * Verifies that `body` was signed by the instance named in the headers, with
 * the key it registered. Throws 401 when a header is missing, 403 when the
 * instance is unknown or the signature does not verify (or, when its key was
 * not cached yet, when it is revoked). Reads the instance's key only when it
 * is not cached or the cached one fails (an instance erased and registered
 * again); writes nothing.
 */
export async function authenticateInstance(
  ctx: IngestContext,
  headers: SignatureHeaders,
  body: Uint8Array,
): Promise<VerifiedInstance> {
  if (!headers.instanceId || !headers.signature) {
    const missing = [
      headers.instanceId ? null : "X-Instance-ID",
      headers.signature ? null : "X-Signature",
    ].filter((name) => name !== null).join(" and ");
    throw new ClientError(
      401,
      "missing_signature",
      `Cannot accept an unsigned request: missing header ${missing}`,
    );
  }
  const instanceId = headers.instanceId.trim().toLowerCase();
  if (!isUuid(instanceId)) throw unknownInstance(headers.instanceId);
  const signature = decodeHex(headers.signature.trim(), 64);
  const cachedKey = ctx.keys.cached(instanceId);
  if (cachedKey !== undefined) {
    if (signature === null) throw badSignature(instanceId);
    if (verifyEd25519(cachedKey, signature, body)) {
      // A revoked instance found in the cache is refused by the write itself.
      return { instanceId };
    }
    // The instance may have been erased and registered again with another key, through
    // another server process: the stored key decides.
    ctx.keys.forget(instanceId);
  }
  const identity = await findInstanceIdentity(ctx.db, instanceId);
  if (identity === null) throw unknownInstance(instanceId);
  const key = ctx.keys.remember(instanceId, identity.publicKey) ?? undefined;
  if (signature === null || key === undefined || !verifyEd25519(key, signature, body)) {
    throw badSignature(instanceId);
  }
  if (identity.status === "revoked") throw revokedInstance(instanceId);
  return { instanceId };
}

function badSignature(instanceId: string): ClientError {
  return new ClientError(
    403,
    "bad_signature",
    `Cannot accept the request as X-Signature is not a valid Ed25519 signature of the body ` +
      `by instance ${instanceId}`,
  );
}

/** The 403 for an instance id the server does not know. */
export function unknownInstance(instanceId: string): ClientError {
  return new ClientError(
    403,
    "unknown_instance",
    `Cannot accept the request as instance ${
      instanceId.slice(0, 64)
    } is not registered: register it first`,
  );
}

/** The 403 for an instance an operator revoked. */
export function revokedInstance(instanceId: string): ClientError {
  return new ClientError(
    403,
    "instance_revoked",
    `Cannot accept the request as instance ${instanceId} has been revoked`,
  );
}
