/** POST /v1/register: an instance introduces itself and its public key. */

import { METADATA_MAX_LENGTHS as MAX } from "../../shared/instance_metadata.ts";
import { ClientError } from "../errors.ts";
import { registerInstance } from "../store/mod.ts";
import type { IngestContext } from "./context.ts";
import {
  decodeHex,
  optionalText,
  requireDisplayName,
  requireHex,
  requireText,
  requireUuid,
} from "./field_rules.ts";
import { parseJsonObject } from "./json_body.ts";
import { appSlug } from "./slug.ts";
import { isPrimeOrderKey, isSmallOrderKey, verifyEd25519 } from "./verify_signature.ts";

/** How a registration ended. */
export interface RegistrationResult {
  /** True for a new instance (HTTP 201), false for a known one re-registering (200). */
  readonly created: boolean;
  readonly instanceId: string;
  readonly appSlug: string;
}

/**
 * Registers the instance described by `body`. When `signatureHex` is given it
 * must be the body's signature by the body's own `public_key` (403 otherwise).
 * A small-order public key (one for which a fixed signature verifies for any
 * body) and an `app_name` with control or bidirectional characters are 400.
 * A known instance with the same key gets its metadata updated; with another
 * key it is refused with 409 and nothing changes.
 */
export async function acceptRegistration(
  ctx: IngestContext,
  body: Uint8Array,
  signatureHex: string | null,
): Promise<RegistrationResult> {
  const fields = parseJsonObject(body);
  const instanceId = requireUuid(fields, "instance_id");
  const publicKey = requireHex(fields, "public_key", 32);
  if (isSmallOrderKey(publicKey)) {
    throw new ClientError(
      400,
      "invalid_field",
      `Cannot accept "public_key" as it is a small-order Ed25519 point, not a key of full ` +
        `order: ${String(fields["public_key"])}`,
    );
  }
  if (!isPrimeOrderKey(publicKey)) {
    throw new ClientError(
      400,
      "invalid_field",
      `Cannot accept "public_key" as it is not an Ed25519 public key (a point of the curve's ` +
        `prime-order group): ${String(fields["public_key"])}`,
    );
  }
  const appName = requireDisplayName(fields, "app_name", MAX.app_name);
  const registration = {
    instanceId,
    publicKey,
    appName,
    appSlug: appSlug(appName),
    appVersion: requireText(fields, "app_version", { min: 1, max: MAX.app_version }).trim(),
    deploymentMode: optionalText(fields, "deployment_mode", MAX.deployment_mode),
    environment: optionalText(fields, "environment", MAX.environment),
    osArch: optionalText(fields, "os_arch", MAX.os_arch),
  };
  if (signatureHex !== null) {
    const signature = decodeHex(signatureHex.trim(), 64);
    if (signature === null || !verifyEd25519(publicKey, signature, body)) {
      throw new ClientError(
        403,
        "bad_signature",
        "Cannot register as X-Signature is not a valid Ed25519 signature of the body " +
          "by its public_key",
      );
    }
  }
  const outcome = await registerInstance(ctx.db, registration, ctx.now());
  if (outcome === "key_conflict") {
    throw new ClientError(
      409,
      "public_key_conflict",
      `Cannot register instance ${instanceId} as it is already registered with another ` +
        "public key: an instance keeps its key for life",
    );
  }
  // The key is now the stored one: the instance's first signed request needs no read for it.
  ctx.keys.remember(instanceId, publicKey);
  return { created: outcome === "created", instanceId, appSlug: registration.appSlug };
}
