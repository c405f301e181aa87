/** Read queries about the fleet: counts, instance lists and applications by slug. */

import { type Database, sql } from "./drivers/database.ts";
import type { InstanceStatus } from "./instances.ts";

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

/** An instance as the admin API shows it. */
export interface InstanceRow {
  readonly instanceId: string;
  readonly appSlug: string;
  readonly appVersion: string;
  readonly status: InstanceStatus;
  readonly environment: string | null;
  readonly deploymentMode: string | null;
  readonly osArch: string | null;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  readonly lastSnapshotAt: Date | null;
  readonly metrics: Record<string, unknown>;
  /** `first_seen` in microseconds since the epoch, exact, for keyset pagination. */
  readonly firstSeenMicros: string;
}

/** Where the previous page ended: the last row's first-seen time and id. */
export interface InstanceKey {
  readonly firstSeenMicros: string;
  readonly instanceId: string;
}

/**
 * Lists instances newest first (by first seen, then id), at most `limit`,
 * starting after `after`. Filters are optional and combine.
 */
export async function listInstances(
  db: Database,
  options: {
    limit: number;
    appId?: number;
    status?: InstanceStatus;
    after?: InstanceKey;
  },
): Promise<InstanceRow[]> {
  const conditions = [sql`true`];
  if (options.appId !== undefined) conditions.push(sql`i.app_id = ${options.appId}`);
  if (options.status !== undefined) conditions.push(sql`i.status = ${options.status}`);
  if (options.after !== undefined) {
    conditions.push(sql`(i.first_seen, i.instance_id) < (
      'epoch'::timestamptz + ${options.after.firstSeenMicros}::bigint * interval '1 microsecond',
      ${options.after.instanceId}::uuid)`);
  }
  const where = conditions.reduce((all, next) => sql`${all} and ${next}`);
  return await db.query<InstanceRow>(sql`
    select i.instance_id::text as "instanceId", a.slug as "appSlug",
      i.app_version as "appVersion", i.status, i.environment,
      i.deployment_mode as "deploymentMode", i.os_arch as "osArch",
      i.first_seen as "firstSeen", i.last_seen as "lastSeen",
      i.last_snapshot_at as "lastSnapshotAt", i.metrics,
      (extract(epoch from i.first_seen) * 1000000)::bigint::text as "firstSeenMicros"
    from instances i
    join applications a on a.id = i.app_id
    where ${where}
    order by i.first_seen desc, i.instance_id desc
    limit ${options.limit}`);
}

/** An application's identity. */
export interface ApplicationIdentity {
  readonly id: number;
  readonly slug: string;
  /** The display name when one is set, else the name the instances report. */
  readonly name: string;
}

/** Finds an application by slug; null when there is none. */
export async function findApplication(
  db: Database,
  slug: string,
): Promise<ApplicationIdentity | null> {
  const [row] = await db.query<ApplicationIdentity>(sql`
    select id, slug, coalesce(display_name, name) as name from applications
    where slug = ${slug}`);
  return row ?? null;
}
