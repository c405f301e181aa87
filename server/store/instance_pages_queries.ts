/**
 * Read queries of the dashboard's instance pages: an application's instances
 * filtered, sorted and paged by keyset, one instance, and its daily history.
 */

import { type Database, sql, type SqlQuery } from "./drivers/database.ts";
import type { InstanceStatus } from "./instances.ts";
import type { InstanceRow } from "./instance_queries.ts";

/** The orders the instances table offers, each newest (or highest) first. */
export type InstanceSort = "last_seen" | "first_seen" | "version";

/** An instance as the instances table shows it. */
export interface AppInstanceRow {
  readonly instanceId: string;
  readonly appVersion: string;
  readonly status: InstanceStatus;
  readonly environment: string | null;
  readonly deploymentMode: string | null;
  readonly osArch: string | null;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  /** The sort column's value as exact text (microseconds since the epoch for times). */
  readonly sortKey: string;
}

/** Where the previous page ended: the last row's sort value and id. */
export interface AppInstanceKey {
  readonly sortKey: string;
  readonly instanceId: string;
}

/** Filters of the instances table; each is optional and they combine. */
export interface AppInstanceFilters {
  readonly version?: string;
  readonly status?: InstanceStatus;
  readonly environment?: string;
  /** Lower-case hex digits and dashes that the instance id starts with. */
  readonly idPrefix?: string;
}

/** Exact microseconds since the epoch of a time column, as text (fixed SQL, never input). */
function micros(column: string): SqlQuery {
  return sqlText(`(extract(epoch from ${column}) * 1000000)::bigint::text`);
}

const TIME_AFTER = (k: string) =>
  sql`'epoch'::timestamptz + ${k}::bigint * interval '1 microsecond'`;

const SORTS: Record<
  InstanceSort,
  { column: SqlQuery; key: SqlQuery; after: (k: string) => SqlQuery }
> = {
  last_seen: {
    column: sql`i.last_seen`,
    key: micros("i.last_seen"),
    after: TIME_AFTER,
  },
  first_seen: {
    column: sql`i.first_seen`,
    key: micros("i.first_seen"),
    after: TIME_AFTER,
  },
  version: {
    column: sql`i.app_version`,
    key: sql`i.app_version`,
    after: (k) => sql`${k}::text`,
  },
};

/**
 * Lists application `appId`'s instances in `sort` order (descending, ties by
 * id descending), at most `limit`, starting after `after`.
 */
export async function listAppInstances(
  db: Database,
  options: {
    appId: number;
    sort: InstanceSort;
    limit: number;
    filters: AppInstanceFilters;
    after?: AppInstanceKey;
  },
): Promise<AppInstanceRow[]> {
  const sort = SORTS[options.sort];
  const f = options.filters;
  const conditions = [sql`i.app_id = ${options.appId}`];
  if (f.version !== undefined) conditions.push(sql`i.app_version = ${f.version}`);
  if (f.status !== undefined) conditions.push(sql`i.status = ${f.status}`);
  if (f.environment !== undefined) conditions.push(sql`i.environment = ${f.environment}`);
  if (f.idPrefix !== undefined) {
    conditions.push(sql`i.instance_id::text like ${`${f.idPrefix}%`}`);
  }
  if (options.after !== undefined) {
    conditions.push(sql`(${sort.column}, i.instance_id) < (
      ${sort.after(options.after.sortKey)}, ${options.after.instanceId}::uuid)`);
  }
  const where = conditions.reduce((all, next) => sql`${all} and ${next}`);
  return await db.query<AppInstanceRow>(sql`
    select i.instance_id::text as "instanceId", i.app_version as "appVersion", i.status,
      i.environment, i.deployment_mode as "deploymentMode", i.os_arch as "osArch",
      i.first_seen as "firstSeen", i.last_seen as "lastSeen", ${sort.key} as "sortKey"
    from instances i
    where ${where}
    order by ${sort.column} desc, i.instance_id desc
    limit ${options.limit}`);
}

/** One instance with its application and latest metrics. */
export interface InstanceDetailRow extends Omit<InstanceRow, "firstSeenMicros"> {
  readonly appName: string;
}

/** Finds instance `instanceId` (a canonical UUID); null when there is none. */
export async function findInstanceDetail(
  db: Database,
  instanceId: string,
): Promise<InstanceDetailRow | null> {
  const [row] = await db.query<InstanceDetailRow>(sql`
    select i.instance_id::text as "instanceId", a.slug as "appSlug",
      coalesce(a.display_name, a.name) as "appName",
      i.app_version as "appVersion", i.status, i.environment,
      i.deployment_mode as "deploymentMode", i.os_arch as "osArch",
      i.first_seen as "firstSeen", i.last_seen as "lastSeen",
      i.last_snapshot_at as "lastSnapshotAt", i.metrics
    from instances i join applications a on a.id = i.app_id
    where i.instance_id = ${instanceId}::uuid`);
  return row ?? null;
}

/** One UTC day of one instance's history. */
export interface InstanceDayRow {
  readonly day: string;
  readonly appVersion: string;
  readonly snapshots: number;
  readonly lastAt: Date;
  readonly metrics: Record<string, unknown>;
}

/** Instance `instanceId`'s per-day history, newest day first, at most `limit` days. */
export async function listInstanceDays(
  db: Database,
  options: { instanceId: string; limit: number },
): Promise<InstanceDayRow[]> {
  return await db.query<InstanceDayRow>(sql`
    select day::text as day, app_version as "appVersion", snapshots, last_at as "lastAt", metrics
    from instance_days
    where instance_id = ${options.instanceId}::uuid
    order by day desc
    limit ${options.limit}`);
}

/** A query of fixed SQL text without parameters, made by the `sql` tag so it can be nested. */
function sqlText(text: string): SqlQuery {
  const strings = Object.assign([text], { raw: [text] }) as unknown as TemplateStringsArray;
  return sql(strings);
}
