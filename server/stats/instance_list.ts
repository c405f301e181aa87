/** The admin API's list of instances, over every application or one, newest first. */

import { findApplication, type InstanceStatus } from "../store/mod.ts";
import type { StatsContext } from "./context.ts";
import { type InstancePage, listInstancePage, readInstanceCursor } from "./instance_paging.ts";
import { INVALID_CURSOR, type InvalidCursor, UNKNOWN_APP, type UnknownApp } from "./results.ts";

/** What to list: filters, page size, and the cursor of the previous page's end. */
export interface InstanceQuery {
  readonly appSlug?: string;
  readonly status?: InstanceStatus;
  readonly limit: number;
  readonly cursor?: string;
}

/**
 * One page of instances, newest first (by first seen, then id), and the
 * cursor of the next page (null on the last one); `invalid_cursor` for a
 * cursor this server did not make (checked first), `unknown_app` when
 * `appSlug` names no application.
 */
export async function instancePage(
  ctx: StatsContext,
  query: InstanceQuery,
): Promise<(InstancePage & { readonly kind: "page" }) | UnknownApp | InvalidCursor> {
  const after = readInstanceCursor(query.cursor);
  if (after === "invalid") return INVALID_CURSOR;
  let appId: number | undefined;
  if (query.appSlug !== undefined) {
    const app = await findApplication(ctx.db, query.appSlug);
    if (app === null) return UNKNOWN_APP;
    appId = app.id;
  }
  const page = await listInstancePage(ctx, {
    limit: query.limit,
    filters: query.status === undefined ? {} : { status: query.status },
    ...(appId === undefined ? {} : { appId }),
    ...(after === undefined ? {} : { after }),
  });
  return { kind: "page", ...page };
}
