/** `GET /metrics`: the fleet's aggregates for Prometheus (access `token`). */

import { fleetExposition, formatFor } from "../metrics_export/mod.ts";
import type { Database } from "../store/mod.ts";
import type { Handler } from "./route_declaration.ts";

/**
 * The handler of `GET /metrics`: the Prometheus text format 0.0.4, or
 * OpenMetrics 1.0 when `Accept` names `application/openmetrics-text`; never
 * cached by a proxy (the security headers' `no-store`).
 */
export function metricsHandlers(db: Database): { exposition: Handler<"token"> } {
  return {
    exposition: async ({ request }) => {
      const exposition = await fleetExposition(db, formatFor(request.headers.get("accept")));
      return new Response(exposition.body, {
        headers: { "content-type": exposition.contentType },
      });
    },
  };
}
