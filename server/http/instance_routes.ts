/** The endpoints instances call: register, activate, snapshot, erase. */

import {
  acceptActivation,
  acceptErasure,
  acceptRegistration,
  acceptSnapshot,
  type IngestContext,
} from "../ingest/mod.ts";
import { type RateLimiter, refuseOverLimit } from "./rate_limit.ts";
import { readBody } from "./read_body.ts";
import { jsonResponse } from "./respond.ts";
import type { Handler } from "./route_declaration.ts";

/**
 * The handlers of `POST /v1/register` (public: the body is signed by the key
 * it registers, checked by ingest; rate limited per address here),
 * `/v1/activate`, `/v1/snapshot` and `/v1/erase` (access `instance`: the signature and the
 * rate limits are checked before they run).
 */
export function instanceHandlers(deps: { ingest: IngestContext; perAddress: RateLimiter }): {
  register: Handler<"public">;
  activate: Handler<"instance">;
  snapshot: Handler<"instance">;
  erase: Handler<"instance">;
} {
  const { ingest } = deps;
  return {
    register: async (ctx) => {
      refuseOverLimit(deps.perAddress, ctx.facts.clientAddress);
      const body = await readBody(ctx.request);
      const result = await acceptRegistration(
        ingest,
        body,
        ctx.request.headers.get("x-signature"),
      );
      ctx.noteInstance(result.instanceId);
      return jsonResponse({ status: "ok", message: "Registered" }, result.created ? 201 : 200);
    },
    activate: async ({ instance, body }) => {
      await acceptActivation(ingest, instance, body);
      return jsonResponse({ status: "active", message: "Instance activated successfully" });
    },
    snapshot: async ({ instance, body }) => {
      const { dropped } = await acceptSnapshot(ingest, instance, body);
      return jsonResponse(
        { status: "ok", message: "Snapshot received", ...(dropped.length ? { dropped } : {}) },
        202,
      );
    },
    erase: async ({ instance, body }) => {
      await acceptErasure(ingest, instance, body);
      return jsonResponse({ status: "erased" });
    },
  };
}
