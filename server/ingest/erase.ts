/** POST /v1/erase: an instance asks for everything it sent to be removed. */

import { ClientError } from "../errors.ts";
import { eraseInstance } from "../store/mod.ts";
import { revokedInstance, unknownInstance, type VerifiedInstance } from "./authenticate.ts";
import { type IngestContext, MAX_FUTURE_SKEW_MS } from "./context.ts";
import { requireUuid } from "./field_rules.ts";
import { parseJsonObject } from "./json_body.ts";
import { describeOffset, requireTimestamp } from "./timestamp.ts";

/**
 * Removes every row of a verified instance in one transaction after checking
 * the request, each rule before anything is removed: the body's `instance_id`
 * is the signer's (403), `action` is `"erase"` (400), and `timestamp` is within
 * 5 minutes of the server's clock (400), so a captured request cannot be
 * replayed later. Throws 403 when the instance is unknown or revoked. The
 * instance's key leaves the cache: the same id may register again.
 */
export async function acceptErasure(
  ctx: IngestContext,
  instance: VerifiedInstance,
  body: Uint8Array,
): Promise<void> {
  const fields = parseJsonObject(body);
  const bodyInstanceId = requireUuid(fields, "instance_id");
  if (bodyInstanceId !== instance.instanceId) {
    throw new ClientError(
      403,
      "instance_id_mismatch",
      `Cannot erase instance ${bodyInstanceId} at the request of instance ` +
        `${instance.instanceId}: an instance may only erase itself`,
    );
  }
  if (fields["action"] !== "erase") {
    throw new ClientError(
      400,
      "invalid_field",
      `Cannot accept "action" as it must be "erase": current value is ${
        JSON.stringify(fields["action"])?.slice(0, 80)
      }`,
    );
  }
  checkFreshTimestamp(ctx, fields["timestamp"]);
  const outcome = await eraseInstance(ctx.db, instance.instanceId);
  ctx.keys.forget(instance.instanceId, { everywhere: true });
  if (outcome === "revoked") throw revokedInstance(instance.instanceId);
  if (outcome === "unknown") throw unknownInstance(instance.instanceId);
}

function checkFreshTimestamp(ctx: IngestContext, value: unknown): void {
  const parsed = requireTimestamp(value);
  const now = ctx.now().getTime();
  if (Math.abs(parsed.epochMs - now) > MAX_FUTURE_SKEW_MS) {
    throw new ClientError(
      400,
      "timestamp_out_of_window",
      `Cannot erase on a request whose timestamp is ${describeOffset(parsed.epochMs, now)}: ` +
        `${parsed.text} (accepted: within 5 min of the server's clock, so that a captured ` +
        "request cannot be replayed later)",
    );
  }
}
