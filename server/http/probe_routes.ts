/** The probes a load balancer or orchestrator calls: liveness and readiness. */

import { jsonResponse } from "./respond.ts";
import type { Handler } from "./route_declaration.ts";

/**
 * The handlers of `GET /api/v1/healthcheck` (always `{"status":"ok"}`) and
 * `/api/v1/readyz` (`{"status":"ready"}` once `storeAnswers` resolves; its
 * throw, a 503 `store_unavailable`, is the JSON error renderer's).
 */
export function probeHandlers(storeAnswers: () => Promise<void>): {
  health: Handler<"public">;
  ready: Handler<"public">;
} {
  return {
    health: () => jsonResponse({ status: "ok" }),
    ready: async () => {
      await storeAnswers();
      return jsonResponse({ status: "ready" });
    },
  };
}
