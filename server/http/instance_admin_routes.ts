/**
 * The admin API's instance lifecycle and audit log: one instance's detail,
 * revoke, restore and delete (access `token` for the writes, so no browser
 * form reaches them), and the audit log's newest lines.
 */

import { ClientError } from "../errors.ts";
import {
  auditTrail,
  deleteInstance,
  type LifecycleContext,
  MAX_AUDIT_LINES,
  restoreInstance,
  revokeInstance,
} from "../lifecycle/mod.ts";
import { instanceDetail, type StatsContext } from "../stats/mod.ts";
import { auditJson, instanceJson } from "./admin_json.ts";
import { integerParam } from "./admin_routes.ts";
import { jsonResponse } from "./respond.ts";
import type { Handler } from "./route_declaration.ts";

/**
 * The handlers of `GET /api/v1/admin/instances/{id}` (the instance as the
 * list shows it), `POST …/{id}/revoke` and `POST …/{id}/restore` (200 with
 * the instance as it now is), `DELETE …/{id}` (204) and
 * `GET /api/v1/admin/audit?limit=N` (1 to 500, default 100). An id no
 * instance has is a 404 `unknown_instance`.
 */
export function instanceAdminHandlers(deps: { stats: StatsContext; lifecycle: LifecycleContext }): {
  instance: Handler<"token_or_session">;
  revoke: Handler<"token">;
  restore: Handler<"token">;
  remove: Handler<"token">;
  audit: Handler<"token_or_session">;
} {
  const { stats, lifecycle } = deps;
  const currentInstance = async (id: string) => {
    const detail = await instanceDetail(stats, id);
    if (detail.kind === "unknown_instance") throw unknownInstance(id);
    return jsonResponse(instanceJson(detail.instance));
  };
  return {
    instance: async ({ params }) => await currentInstance(params["instanceId"] ?? ""),
    revoke: async ({ params, actor }) => {
      const id = params["instanceId"] ?? "";
      const result = await revokeInstance(lifecycle, id, actor);
      if (result.kind === "unknown") throw unknownInstance(id);
      return await currentInstance(id);
    },
    restore: async ({ params, actor }) => {
      const id = params["instanceId"] ?? "";
      const result = await restoreInstance(lifecycle, id, actor);
      if (result.kind === "unknown") throw unknownInstance(id);
      return await currentInstance(id);
    },
    remove: async ({ params, actor }) => {
      const id = params["instanceId"] ?? "";
      if (await deleteInstance(lifecycle, id, actor) === "unknown") throw unknownInstance(id);
      return new Response(null, { status: 204 });
    },
    audit: async ({ url }) => {
      const limit = integerParam(url.searchParams, "limit", {
        fallback: 100,
        min: 1,
        max: MAX_AUDIT_LINES,
      });
      return jsonResponse(auditJson(await auditTrail(stats.db, limit)));
    },
  };
}

function unknownInstance(id: string): ClientError {
  return new ClientError(404, "unknown_instance", `No instance has the id "${id.slice(0, 100)}"`);
}
