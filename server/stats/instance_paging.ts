/**
 * The one way instances are paged, for the admin API and the instances page:
 * keyset paging over `listInstances` (sort column, then id) with an opaque
 * cursor made and read here.
 *
 * A cursor is the base64url (no padding) of the UTF-8 text
 * `[sort "/"] sortKey "/" instanceId`. The sort is written only when the
 * caller chose one (the instances page); the admin API lists in one order,
 * first seen, and its cursors carry none, as they always have (they are part
 * of its wire format). A cursor made for one sort is refused for another.
 */

import {
  type InstanceFilters,
  type InstanceKey,
  type InstanceListRow,
  type InstanceSort,
  listInstances,
} from "../store/mod.ts";
import type { StatsContext } from "./context.ts";

/** The sort orders instances can be listed in, as they appear in URLs. */
export const INSTANCE_SORTS: readonly InstanceSort[] = ["last_seen", "first_seen", "version"];

/** Whether `text` names an instance sort order. */
export function isInstanceSort(text: string): text is InstanceSort {
  return (INSTANCE_SORTS as readonly string[]).includes(text);
}

/** The order of a list whose caller chose none (the admin API's). */
const DEFAULT_SORT: InstanceSort = "first_seen";

/** One page of instances and the cursor of the next (null on the last page). */
export interface InstancePage {
  readonly instances: InstanceListRow[];
  readonly nextCursor: string | null;
}

/**
 * Where a cursor says the previous page ended: undefined without a cursor,
 * `"invalid"` for one this server did not make (or made for another sort).
 * `sort` is the order the caller chose; omitted for the admin API's one order.
 */
export function readInstanceCursor(
  cursor: string | undefined,
  sort?: InstanceSort,
): InstanceKey | undefined | "invalid" {
  if (cursor === undefined) return undefined;
  const text = fromBase64Url(cursor);
  const match = text === null
    ? null
    : /^(.*)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/s.exec(text);
  if (match === null || match[1] === undefined || match[2] === undefined) return "invalid";
  let sortKey = match[1];
  if (sort !== undefined) {
    if (!sortKey.startsWith(`${sort}/`)) return "invalid";
    sortKey = sortKey.slice(sort.length + 1);
  }
  return sortKeyFits(sort ?? DEFAULT_SORT, sortKey) ? { sortKey, instanceId: match[2] } : "invalid";
}

/**
 * One page of instances (of application `appId` when given), at most
 * `limit`, after `after` (from {@linkcode readInstanceCursor}), in `sort`
 * order (first seen when omitted, and the next cursor then names no sort).
 */
export async function listInstancePage(
  ctx: StatsContext,
  query: {
    appId?: number;
    sort?: InstanceSort;
    filters: InstanceFilters;
    limit: number;
    after?: InstanceKey;
  },
): Promise<InstancePage> {
  const rows = await listInstances(ctx.db, {
    sort: query.sort ?? DEFAULT_SORT,
    limit: query.limit + 1,
    filters: query.filters,
    ...(query.appId === undefined ? {} : { appId: query.appId }),
    ...(query.after === undefined ? {} : { after: query.after }),
  });
  const instances = rows.slice(0, query.limit);
  const last = instances.at(-1);
  return {
    instances,
    nextCursor: rows.length > query.limit && last !== undefined
      ? instanceCursor(last, query.sort)
      : null,
  };
}

/**
 * The cursor of a page that ended at `key`, for the list in `sort` order
 * (none for the admin API's one order): what {@linkcode readInstanceCursor}
 * reads back.
 */
export function instanceCursor(key: InstanceKey, sort?: InstanceSort): string {
  return toBase64Url(`${sort === undefined ? "" : `${sort}/`}${key.sortKey}/${key.instanceId}`);
}

/** Microseconds within ±10,000 years of 1970: every time PostgreSQL can hold and compare. */
const MAX_MICROS = 315_569_520_000_000_000n;

function sortKeyFits(sort: InstanceSort, sortKey: string): boolean {
  if (sort === "version") return sortKey.length <= 1000;
  if (!/^-?\d{1,19}$/.test(sortKey)) return false;
  const micros = BigInt(sortKey);
  return micros <= MAX_MICROS && micros >= -MAX_MICROS;
}

function toBase64Url(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text))).replaceAll("+", "-")
    .replaceAll("/", "_").replaceAll("=", "");
}

function fromBase64Url(cursor: string): string | null {
  try {
    const bytes = Uint8Array.from(
      atob(cursor.replaceAll("-", "+").replaceAll("_", "/")),
      (c) => c.charCodeAt(0),
    );
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
