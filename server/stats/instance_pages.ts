/**
 * The numbers of the dashboard's instance pages: an application's instances
 * filtered, sorted and paged by an opaque keyset cursor, and one instance
 * with its latest metrics and daily history.
 */

import { ClientError } from "../errors.ts";
import {
  type AppInstanceFilters,
  type AppInstanceKey,
  type AppInstanceRow,
  findApplication,
  findInstanceDetail,
  findSummaryFigures,
  type InstanceDayRow,
  type InstanceSort,
  type InstanceWithApp,
  listAppInstances,
  listInstanceDays,
  type SummaryFigures,
} from "../store/mod.ts";
import type { StatsContext } from "./context.ts";

/** The sort orders of the instances table, as they appear in its URL. */
export const INSTANCE_SORTS: readonly InstanceSort[] = ["last_seen", "first_seen", "version"];

/** Days of history the instance page shows. */
const HISTORY_DAYS = 90;

/** What the instances table lists. */
export interface AppInstanceQuery {
  readonly sort: InstanceSort;
  readonly limit: number;
  readonly filters: AppInstanceFilters;
  readonly cursor?: string;
}

/** One page of an application's instances. */
export interface AppInstancePage {
  readonly app: { readonly slug: string; readonly name: string };
  readonly instances: AppInstanceRow[];
  /** The cursor of the next page; null on the last one. */
  readonly nextCursor: string | null;
  readonly choices: SummaryFigures["filterValues"];
}

/**
 * Returns one page of application `slug`'s instances; null when the slug is
 * unknown. Throws 400 for a cursor this server did not make or one made for
 * another sort order.
 */
export async function appInstancePage(
  ctx: StatsContext,
  slug: string,
  query: AppInstanceQuery,
): Promise<AppInstancePage | null> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, query.sort);
  const app = await findApplication(ctx.db, slug);
  if (app === null) return null;
  const [summary, rows] = await Promise.all([
    findSummaryFigures(ctx.db, app.id),
    listAppInstances(ctx.db, {
      appId: app.id,
      sort: query.sort,
      limit: query.limit + 1,
      filters: query.filters,
      ...(after === undefined ? {} : { after }),
    }),
  ]);
  // The filter choices are those of the last summary: a version first seen since comes next round.
  const choices = summary.filterValues;
  const instances = rows.slice(0, query.limit);
  const last = instances.at(-1);
  return {
    app: { slug: app.slug, name: app.name },
    instances,
    nextCursor: rows.length > query.limit && last !== undefined
      ? encodeCursor(query.sort, last)
      : null,
    choices,
  };
}

/** One instance, its latest metrics sorted by key, and its history newest day first. */
export interface InstanceDetail {
  readonly instance: InstanceWithApp;
  readonly metrics: readonly { readonly key: string; readonly value: unknown }[];
  readonly history: InstanceDayRow[];
  /** Whether the instance counts as active now (active status, seen within the window). */
  readonly activeNow: boolean;
}

/** Returns instance `instanceId` with its metrics and history; null when it is unknown. */
export async function instanceDetail(
  ctx: StatsContext,
  instanceId: string,
): Promise<InstanceDetail | null> {
  const id = instanceId.toLowerCase();
  if (!UUID.test(id)) return null;
  const [instance, history] = await Promise.all([
    findInstanceDetail(ctx.db, id),
    listInstanceDays(ctx.db, { instanceId: id, limit: HISTORY_DAYS }),
  ]);
  if (instance === null) return null;
  const since = ctx.now().getTime() - ctx.activeDays * 86_400_000;
  return {
    instance,
    metrics: Object.keys(instance.metrics).sort().map((key) => ({
      key,
      value: instance.metrics[key],
    })),
    history,
    activeNow: instance.status === "active" && instance.lastSeen.getTime() >= since,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function encodeCursor(sort: InstanceSort, row: AppInstanceRow): string {
  const text = JSON.stringify([sort, row.sortKey, row.instanceId]);
  return btoa(String.fromCharCode(...new TextEncoder().encode(text))).replaceAll("+", "-")
    .replaceAll("/", "_").replaceAll("=", "");
}

function decodeCursor(cursor: string, sort: InstanceSort): AppInstanceKey {
  let parsed: unknown = null;
  try {
    const bytes = Uint8Array.from(
      atob(cursor.replaceAll("-", "+").replaceAll("_", "/")),
      (c) => c.charCodeAt(0),
    );
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    parsed = null;
  }
  if (
    Array.isArray(parsed) && parsed.length === 3 && parsed[0] === sort &&
    typeof parsed[1] === "string" && typeof parsed[2] === "string" && UUID.test(parsed[2]) &&
    (sort === "version" ? parsed[1].length <= 1000 : /^-?\d{1,18}$/.test(parsed[1]))
  ) {
    return { sortKey: parsed[1], instanceId: parsed[2] };
  }
  throw new ClientError(
    400,
    "invalid_cursor",
    `Cannot use "cursor" as it is not one this server made for sort ${sort}: current value is "${
      cursor.slice(0, 80)
    }"`,
  );
}
