/** POST /v1/activate: a registered instance says it is running. */

import { activateInstance } from "../store/mod.ts";
import { revokedInstance, unknownInstance, type VerifiedInstance } from "./authenticate.ts";
import type { IngestContext } from "./context.ts";
import { parseJsonObject } from "./json_body.ts";

/**
 * Activates a verified instance: a pending one becomes active, an active one
 * records a sign of life. The body must be a JSON object (its content is not
 * used). Throws 400 for another body, 403 if the instance was revoked meanwhile.
 */
export async function acceptActivation(
  ctx: IngestContext,
  instance: VerifiedInstance,
  body: Uint8Array,
): Promise<void> {
  parseJsonObject(body);
  const outcome = await activateInstance(ctx.db, instance.instanceId, ctx.now());
  if (outcome === "revoked") throw revokedInstance(instance.instanceId);
  if (outcome === "unknown") throw unknownInstance(instance.instanceId);
}
