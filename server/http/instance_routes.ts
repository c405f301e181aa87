/** The endpoints instances call: register, activate, snapshot. */

import { ClientError } from "../errors.ts";
import {
  acceptActivation,
  acceptRegistration,
  acceptSnapshot,
  authenticateInstance,
  type IngestContext,
} from "../ingest/mod.ts";
import { readBody } from "./read_body.ts";
import { jsonResponse } from "./respond.ts";
import type { RateLimiter } from "./rate_limit.ts";
import type { RouteContext, Router } from "./router.ts";

/** The rate limits of the instance endpoints. */
export interface InstanceLimits {
  readonly perIp: RateLimiter;
  readonly perInstance: RateLimiter;
}

/** Adds `POST /v1/register`, `/v1/activate` and `/v1/snapshot` to `router`. */
export function addInstanceRoutes(
  router: Router,
  deps: { ingest: IngestContext; limits: InstanceLimits },
): void {
  const { ingest, limits } = deps;

  router.on("POST", "/v1/register", async (ctx) => {
    limit(limits.perIp, ctx.clientAddress);
    const body = await readBody(ctx.request);
    const result = await acceptRegistration(ingest, body, ctx.request.headers.get("x-signature"));
    ctx.noteInstance(result.instanceId);
    return jsonResponse({ status: "ok", message: "Registered" }, result.created ? 201 : 200);
  });

  router.on("POST", "/v1/activate", async (ctx) => {
    const instance = await signedRequest(ctx);
    await acceptActivation(ingest, instance.instance, instance.body);
    return jsonResponse({ status: "active", message: "Instance activated successfully" });
  });

  router.on("POST", "/v1/snapshot", async (ctx) => {
    const instance = await signedRequest(ctx);
    const { dropped } = await acceptSnapshot(ingest, instance.instance, instance.body);
    return jsonResponse(
      { status: "ok", message: "Snapshot received", ...(dropped.length ? { dropped } : {}) },
      202,
    );
  });

  async function signedRequest(ctx: RouteContext) {
    limit(limits.perIp, ctx.clientAddress);
    const body = await readBody(ctx.request);
    const instance = await authenticateInstance(ingest, {
      instanceId: ctx.request.headers.get("x-instance-id"),
      signature: ctx.request.headers.get("x-signature"),
    }, body);
    ctx.noteInstance(instance.instanceId);
    // Only after the signature holds, so nobody can exhaust another instance's allowance.
    limit(limits.perInstance, instance.instanceId);
    return { instance, body };
  }
}

function limit(limiter: RateLimiter, key: string): void {
  const decision = limiter.take(key);
  if (!decision.allowed) {
    throw new ClientError(
      429,
      "rate_limited",
      `Too many requests: retry in ${decision.retryAfterSeconds} s`,
      { headers: { "retry-after": String(decision.retryAfterSeconds) } },
    );
  }
}
