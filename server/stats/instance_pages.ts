/**
 * The numbers of the dashboard's instance pages: an application's instances
 * filtered, sorted and paged by an opaque keyset cursor, and one instance
 * with its latest metrics and daily history.
 */

import {
  findApplication,
  findInstanceDetail,
  findSummaryFigures,
  type InstanceDayRow,
  type InstanceFilters,
  type InstanceListRow,
  type InstanceSort,
  type InstanceWithApp,
  listInstanceDays,
  type SummaryFigures,
} from "../store/mod.ts";
import type { StatsContext } from "./context.ts";
import { listInstancePage, readInstanceCursor } from "./instance_paging.ts";
import {
  INVALID_CURSOR,
  type InvalidCursor,
  UNKNOWN_APP,
  UNKNOWN_INSTANCE,
  type UnknownApp,
  type UnknownInstance,
} from "./results.ts";

/** Days of history the instance page shows. */
const HISTORY_DAYS = 90;

/** What the instances table lists. */
export interface AppInstanceQuery {
  readonly sort: InstanceSort;
  readonly limit: number;
  readonly filters: InstanceFilters;
  readonly cursor?: string;
}

/** One page of an application's instances. */
export interface AppInstancePage {
  readonly kind: "page";
  readonly app: { readonly slug: string; readonly name: string };
  readonly instances: InstanceListRow[];
  /** The cursor of the next page; null on the last one. */
  readonly nextCursor: string | null;
  readonly choices: SummaryFigures["filterValues"];
}

/**
 * One page of application `slug`'s instances in the query's order;
 * `invalid_cursor` for a cursor this server did not make or one made for
 * another sort order (checked first), `unknown_app` when no application has
 * that slug.
 */
export async function appInstancePage(
  ctx: StatsContext,
  slug: string,
  query: AppInstanceQuery,
): Promise<AppInstancePage | UnknownApp | InvalidCursor> {
  const after = readInstanceCursor(query.cursor, query.sort);
  if (after === "invalid") return INVALID_CURSOR;
  const app = await findApplication(ctx.db, slug);
  if (app === null) return UNKNOWN_APP;
  const [summary, page] = await Promise.all([
    findSummaryFigures(ctx.db, app.id, { scope: "all" }),
    listInstancePage(ctx, {
      appId: app.id,
      sort: query.sort,
      limit: query.limit,
      filters: query.filters,
      ...(after === undefined ? {} : { after }),
    }),
  ]);
  // The filter choices are those of the last summary: a version first seen since comes next round.
  return {
    kind: "page",
    app: { slug: app.slug, name: app.name },
    instances: page.instances,
    nextCursor: page.nextCursor,
    choices: summary.filterValues,
  };
}

/** One instance, its latest metrics sorted by key, and its history newest day first. */
export interface InstanceDetail {
  readonly kind: "found";
  readonly instance: InstanceWithApp;
  readonly metrics: readonly { readonly key: string; readonly value: unknown }[];
  readonly history: InstanceDayRow[];
  /** Whether the instance counts as active now (active status, seen within the window). */
  readonly activeNow: boolean;
}

/** Returns instance `instanceId` with its metrics and history, or `unknown_instance`. */
export async function instanceDetail(
  ctx: StatsContext,
  instanceId: string,
): Promise<InstanceDetail | UnknownInstance> {
  const id = instanceId.toLowerCase();
  if (!UUID.test(id)) return UNKNOWN_INSTANCE;
  const [instance, history] = await Promise.all([
    findInstanceDetail(ctx.db, id),
    listInstanceDays(ctx.db, { instanceId: id, limit: HISTORY_DAYS }),
  ]);
  if (instance === null) return UNKNOWN_INSTANCE;
  const since = ctx.now().getTime() - ctx.activeDays * 86_400_000;
  return {
    kind: "found",
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
