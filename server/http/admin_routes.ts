/**
 * The admin read API under `/api/v1/admin/`: its JSON is made in `admin_json.ts`, its CSV in
 * `admin_csv.ts`, its statuses here.
 */

import { ClientError } from "../errors.ts";
import {
  applicationDetail,
  applicationsOverview,
  dailyMetrics,
  fleetSummary,
  instancePage,
  type StatsContext,
} from "../stats/mod.ts";
import { releaseFigures } from "../github/mod.ts";
import { isInstanceStatus } from "../../shared/instance_status.ts";
import { isAppSlug } from "../../shared/text_rules.ts";
import {
  applicationDetailJson,
  applicationsJson,
  dailyMetricsJson,
  fleetJson,
  instancePageJson,
} from "./admin_json.ts";
import { dailyMetricsCsv, instancesCsv } from "./admin_csv.ts";
import { csvResponse } from "./csv.ts";
import { jsonResponse } from "./respond.ts";
import type { Handler } from "./route_declaration.ts";

/**
 * The handlers of the admin read API (access `token_or_session`). Path
 * parameters are checked by the router; query parameters here, before any
 * query (a bad one is a 400 `invalid_parameter`).
 */
export function adminHandlers(stats: StatsContext): {
  fleet: Handler<"token_or_session">;
  applications: Handler<"token_or_session">;
  application: Handler<"token_or_session">;
  instances: Handler<"token_or_session">;
  metrics: Handler<"token_or_session">;
} {
  return {
    fleet: async () => jsonResponse(fleetJson(await fleetSummary(stats))),
    applications: async () => jsonResponse(applicationsJson(await applicationsOverview(stats))),
    application: async ({ params }) => {
      const slug = params["slug"] ?? "";
      const detail = await applicationDetail(stats, slug);
      const releases = await releaseFigures(stats, slug);
      if (detail.kind === "unknown_app" || releases.kind === "unknown_app") throw unknownApp(slug);
      return jsonResponse(applicationDetailJson(detail, releases));
    },
    instances: async ({ url }) => {
      const q = url.searchParams;
      const status = q.get("status") || undefined;
      if (status !== undefined && !isInstanceStatus(status)) {
        throw invalidParam("status", status, "pending, active or revoked");
      }
      const app = q.get("app") || undefined;
      if (app !== undefined && !isAppSlug(app)) {
        throw invalidParam("app", app, "an application slug (a-z, 0-9 and inner dashes)");
      }
      const cursor = q.get("cursor") || undefined;
      const csv = formatParam(q) === "csv";
      // A CSV holds every instance from the cursor on (or `limit` of them when given), read a
      // page at a time; JSON answers one page.
      const limit = csv && !q.get("limit")
        ? undefined
        : integerParam(q, "limit", { fallback: 100, min: 1, max: csv ? 1_000_000 : 500 });
      const filters = {
        ...(app === undefined ? {} : { appSlug: app }),
        ...(status === undefined ? {} : { status }),
      };
      const page = await instancePage(stats, {
        limit: Math.min(limit ?? 500, 500),
        ...filters,
        ...(cursor === undefined ? {} : { cursor }),
      });
      if (page.kind === "invalid_cursor") {
        throw new ClientError(
          400,
          "invalid_cursor",
          `Cannot use "cursor" as it is not one this server made: current value is "${
            (cursor ?? "").slice(0, 80)
          }"`,
        );
      }
      if (page.kind === "unknown_app") {
        throw new ClientError(404, "unknown_application", `No application has the slug "${app}"`);
      }
      if (csv) {
        const next = (after: string) =>
          instancePage(stats, { limit: 500, ...filters, cursor: after });
        return csvResponse(
          `instances${app === undefined ? "" : `-${app}`}.csv`,
          instancesCsv(page, { next, limit }),
        );
      }
      return jsonResponse(instancePageJson(page));
    },
    metrics: async ({ url, params }) => {
      const slug = params["slug"] ?? "";
      const days = integerParam(url.searchParams, "days", { fallback: 30, min: 1, max: 366 });
      const metrics = await dailyMetrics(stats, slug, days);
      if (metrics.kind === "unknown_app") throw unknownApp(slug);
      if (formatParam(url.searchParams) === "csv") {
        return csvResponse(`metrics-${slug}.csv`, dailyMetricsCsv(metrics));
      }
      return jsonResponse(dailyMetricsJson(metrics));
    },
  };
}

/** The `format` parameter of a list or series: `json` (the default) or `csv`. */
function formatParam(query: URLSearchParams): "json" | "csv" {
  const format = query.get("format");
  if (format === null || format === "" || format === "json") return "json";
  if (format === "csv") return "csv";
  throw invalidParam("format", format, "json or csv");
}

/** A whole-number query parameter within `range` (`fallback` when absent or empty); a 400 naming it otherwise. */
export function integerParam(
  query: URLSearchParams,
  name: string,
  range: { fallback: number; min: number; max: number },
): number {
  const text = query.get(name);
  if (text === null || text === "") return range.fallback;
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(value >= range.min && value <= range.max)) {
    throw invalidParam(name, text, `a whole number from ${range.min} to ${range.max}`);
  }
  return value;
}

function invalidParam(name: string, value: string, expected: string): ClientError {
  return new ClientError(
    400,
    "invalid_parameter",
    `Cannot use "${name}" as it must be ${expected}: current value is "${value.slice(0, 80)}"`,
  );
}

/** The 404 of a slug that names no application. */
export function unknownApp(slug: string): ClientError {
  return new ClientError(
    404,
    "unknown_application",
    `No application has the slug "${slug.slice(0, 100)}"`,
  );
}
