/** Who sent a signed request: the instance named in its headers, proven by its signature. */

import { ClientError } from "../errors.ts";
import { findInstanceIdentity, type InstanceStatus } from "../store/mod.ts";
import type { IngestContext } from "./context.ts";
import { decodeHex, isUuid } from "./field_rules.ts";
import { verifyEd25519 } from "./verify_signature.ts";

/** An instance whose signature over the request body has been verified. */
export interface VerifiedInstance {
  readonly instanceId: string;
  readonly status: InstanceStatus;
}

/** The two headers of a signed request, as received (null when absent). */
export interface SignatureHeaders {
  readonly instanceId: string | null;
  readonly signature: string | null;
}

/**
 * Verifies that `body` was signed by the instance named in the headers, with
 * the key it registered. Throws 401 when a header is missing, 403 when the
 * instance is unknown or revoked or the signature does not verify. Reads the
 * instance's key and nothing else; writes nothing.
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
  const identity = await findInstanceIdentity(ctx.db, instanceId);
  if (identity === null) throw unknownInstance(instanceId);
  const signature = decodeHex(headers.signature.trim(), 64);
  const key = await ctx.keys.get(instanceId, identity.publicKey).catch(() => null);
  if (signature === null || key === null || !await verifyEd25519(key, signature, body)) {
    throw new ClientError(
      403,
      "bad_signature",
      `Cannot accept the request as X-Signature is not a valid Ed25519 signature of the body ` +
        `by instance ${instanceId}`,
    );
  }
  if (identity.status === "revoked") throw revokedInstance(instanceId);
  return { instanceId, status: identity.status };
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
