/**
 * Read queries about instances: the fleet's counts, the one list behind the
 * admin API and the instances table (filtered, sorted and paged by keyset),
 * one instance with its application, and its daily history.
 */

import { type Database, sql, type SqlQuery } from "./drivers/database.ts";
import type { Instance, InstanceStatus } from "./instances.ts";
import type { InstanceDay } from "./snapshots.ts";

/** How many applications and instances there are, by status. */
export interface FleetCounts {
  readonly applications: number;
  readonly instances: number;
  readonly active: number;
  readonly pending: number;
  readonly revoked: number;
}

/** Counts applications and instances; "active" means active and seen since `activeSince`. */
export async function countFleet(db: Database, activeSince: Date): Promise<FleetCounts> {
  const [row] = await db.query<FleetCounts>(sql`
    select
      (select count(*)::int from applications) as applications,
      count(*)::int as instances,
      (count(*) filter (where status = 'active' and last_seen >= ${activeSince}))::int as active,
      (count(*) filter (where status = 'pending'))::int as pending,
      (count(*) filter (where status = 'revoked'))::int as revoked
    from instances`);
  return row ?? { applications: 0, instances: 0, active: 0, pending: 0, revoked: 0 };
}

/**
 * An instance with its application's slug and shown name, as the admin API
 * and the instance page show it.
 */
export type InstanceWithApp = Omit<Instance, "appId" | "publicKey"> & {
  readonly appSlug: string;
  /** The application's display name when one is set, else the reported one. */
  readonly appName: string;
};

/** The columns of an {@linkcode InstanceWithApp}, from `instances i` joined to `applications a`. */
const INSTANCE_WITH_APP_COLUMNS = sql`i.instance_id::text as "instanceId", a.slug as "appSlug",
  coalesce(a.display_name, a.name) as "appName", i.app_version as "appVersion", i.status,
  i.environment, i.deployment_mode as "deploymentMode", i.os_arch as "osArch",
  i.first_seen as "firstSeen", i.last_seen as "lastSeen",
  i.last_snapshot_at as "lastSnapshotAt", i.metrics`;

/** The orders instances are listed in, each newest (or highest) first. */
export type InstanceSort = "last_seen" | "first_seen" | "version";

/**
 * Where the previous page ended: the last row's sort value (exact
 * microseconds since the epoch as text for a time, the version itself) and id.
 */
export interface InstanceKey {
  readonly sortKey: string;
  readonly instanceId: string;
}

/** An instance as a list shows it, with its application and its sort key. */
export type InstanceListRow = InstanceWithApp & InstanceKey;

/** Filters of an instance list; each is optional and they combine. */
export interface InstanceFilters {
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
 * Lists instances (of application `appId` when given) in `sort` order
 * (descending, ties by id descending), at most `limit`, starting after
 * `after`: keyset paging, so a late page costs what the first does.
 */
export async function listInstances(
  db: Database,
  options: {
    appId?: number;
    sort: InstanceSort;
    limit: number;
    filters: InstanceFilters;
    after?: InstanceKey;
  },
): Promise<InstanceListRow[]> {
  const sort = SORTS[options.sort];
  const f = options.filters;
  const conditions = [sql`true`];
  if (options.appId !== undefined) conditions.push(sql`i.app_id = ${options.appId}`);
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
  return await db.query<InstanceListRow>(sql`
    select ${INSTANCE_WITH_APP_COLUMNS}, ${sort.key} as "sortKey"
    from instances i
    join applications a on a.id = i.app_id
    where ${where}
    order by ${sort.column} desc, i.instance_id desc
    limit ${options.limit}`);
}

/** Finds instance `instanceId` (a canonical UUID); null when there is none. */
export async function findInstanceDetail(
  db: Database,
  instanceId: string,
): Promise<InstanceWithApp | null> {
  const [row] = await db.query<InstanceWithApp>(sql`
    select ${INSTANCE_WITH_APP_COLUMNS}
    from instances i join applications a on a.id = i.app_id
    where i.instance_id = ${instanceId}::uuid`);
  return row ?? null;
}

/** One UTC day of one instance's history, as the instance page shows it. */
export type InstanceDayRow = Pick<
  InstanceDay,
  "day" | "appVersion" | "snapshots" | "lastAt" | "metrics"
>;

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
