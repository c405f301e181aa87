/** Pages of instances for the admin API, with opaque keyset cursors. */

import { ClientError } from "../errors.ts";
import {
  findApplication,
  type InstanceKey,
  type InstanceStatus,
  type InstanceWithApp,
  listInstances,
} from "../store/mod.ts";
import type { StatsContext } from "./context.ts";

/** What to list: filters, page size, and the cursor of the previous page's end. */
export interface InstanceQuery {
  readonly appSlug?: string;
  readonly status?: InstanceStatus;
  readonly limit: number;
  readonly cursor?: string;
}

/**
 * Returns one page of instances, newest first, and the cursor of the next
 * page (null on the last one). Throws 404 for an unknown application and 400
 * for a cursor this server did not make.
 */
export async function instancePage(ctx: StatsContext, query: InstanceQuery) {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  let appId: number | undefined;
  if (query.appSlug !== undefined) {
    const app = await findApplication(ctx.db, query.appSlug);
    if (app === null) {
      throw new ClientError(
        404,
        "unknown_application",
        `No application has the slug "${query.appSlug}"`,
      );
    }
    appId = app.id;
  }
  const rows = await listInstances(ctx.db, {
    limit: query.limit + 1,
    ...(appId === undefined ? {} : { appId }),
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(after === undefined ? {} : { after }),
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    instances: page.map(instanceView),
    next_cursor: rows.length > query.limit && last !== undefined ? encodeCursor(last) : null,
  };
}

/** An instance as the admin API shows it. */
export function instanceView(row: InstanceWithApp) {
  return {
    instance_id: row.instanceId,
    app_slug: row.appSlug,
    app_version: row.appVersion,
    status: row.status,
    environment: row.environment,
    deployment_mode: row.deploymentMode,
    os_arch: row.osArch,
    first_seen: row.firstSeen.toISOString(),
    last_seen: row.lastSeen.toISOString(),
    last_snapshot_at: row.lastSnapshotAt?.toISOString() ?? null,
    metrics: row.metrics,
  };
}

function encodeCursor(row: InstanceKey): string {
  return btoa(`${row.firstSeenMicros}/${row.instanceId}`).replaceAll("+", "-")
    .replaceAll("/", "_").replaceAll("=", "");
}

function decodeCursor(cursor: string): InstanceKey {
  let text = "";
  try {
    text = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    text = "";
  }
  const match = /^(-?\d{1,19})\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/
    .exec(text);
  // Microseconds within ±10,000 years of 1970: every time PostgreSQL can hold and compare.
  const inRange = match?.[1] !== undefined &&
    BigInt(match[1]) <= 315_569_520_000_000_000n && BigInt(match[1]) >= -315_569_520_000_000_000n;
  if (match === null || match[1] === undefined || match[2] === undefined || !inRange) {
    throw new ClientError(
      400,
      "invalid_cursor",
      `Cannot use "cursor" as it is not one this server made: current value is "${
        cursor.slice(0, 80)
      }"`,
    );
  }
  return { firstSeenMicros: match[1], instanceId: match[2] };
}
