/**
 * Reads of the daily per-application rollups (see rollup_day.ts for what each
 * row means), each in one scope (`rollup_scope.ts`).
 */

import { type Database, sql } from "../drivers/database.ts";
import type { RollupScope } from "./rollup_scope.ts";

/** One application's counts of one day. */
export interface AppDayRow {
  /** A UTC day, YYYY-MM-DD. */
  readonly day: string;
  readonly windowDays: number;
  readonly reporting: number;
  readonly active: number;
  readonly new: number;
  readonly returned: number;
  readonly gone: number;
  readonly snapshots: number;
  readonly computedAt: Date;
}

/**
 * The days from `fromDay` to `toDay` (YYYY-MM-DD, both included) that have a
 * rollup in `scope`, oldest first.
 */
export async function appDayRows(
  db: Database,
  options: { appId: number; scope: RollupScope; fromDay: string; toDay: string },
): Promise<AppDayRow[]> {
  return await db.query<AppDayRow>(sql`
    select day::text as day, window_days as "windowDays", reporting, active, new, returned,
      gone, snapshots::float8 as snapshots, computed_at as "computedAt"
    from app_days
    where app_id = ${options.appId} and scope = ${options.scope} and day between ${options.fromDay}::date
      and ${options.toDay}::date
    order by day`);
}

/** How many instances reporting on a day had one value of a field. */
export interface AppDayShareRow {
  readonly day: string;
  /** `version`, `os_arch`, `deployment_mode`, `environment` or `metric:<key>`. */
  readonly field: string;
  /** Null when the instances did not send the field. */
  readonly value: string | null;
  readonly instances: number;
}

/**
 * The kept shares in `scope` on the days from `fromDay` to `toDay`, by day and
 * field: of every field, or only of `fields` when given.
 */
export async function appDayShareRows(
  db: Database,
  options: {
    appId: number;
    scope: RollupScope;
    fromDay: string;
    toDay: string;
    fields?: readonly string[];
  },
): Promise<AppDayShareRow[]> {
  const fields = options.fields === undefined
    ? sql``
    : sql`and field = any(${[...options.fields]}::text[])`;
  return await db.query<AppDayShareRow>(sql`
    select day::text as day, field, value, instances
    from app_day_shares
    where app_id = ${options.appId} and scope = ${options.scope} and day between ${options.fromDay}::date
      and ${options.toDay}::date ${fields}
    order by day, field, instances desc, value`);
}

/** What the days of a period say about one metric key, without its figures. */
export interface MetricKeyFacts {
  readonly metric: string;
  /** The most instances that sent the key on one day. */
  readonly most: number;
  /** Whether some instance sent it as a number. */
  readonly numbers: boolean;
  /** Whether some instance sent it as something else (text, boolean, null, …). */
  readonly others: boolean;
  /** Whether its kept values other than numbers were all `true` or `false` (and there were some). */
  readonly boolean: boolean;
}

/**
 * Every metric key sent in `scope` on the days from `fromDay` to `toDay`, one
 * row each, by name: the facts the public page's "what it sends" needs,
 * aggregated by the database rather than read day by day.
 */
export async function appMetricKeyFacts(
  db: Database,
  options: { appId: number; scope: RollupScope; fromDay: string; toDay: string },
): Promise<MetricKeyFacts[]> {
  const { appId, scope, fromDay, toDay } = options;
  return await db.query<MetricKeyFacts>(sql`
    select m.metric, max(m.instances)::int as most, bool_or(m.numbers > 0) as numbers,
      bool_or(m.instances > m.numbers) as others,
      coalesce((
        select bool_and(coalesce(s.value in ('true', 'false'), false))
        from app_day_shares s
        where s.app_id = ${appId} and s.scope = ${scope}
          and s.day between ${fromDay}::date and ${toDay}::date
          and s.field = 'metric:' || m.metric
      ), false) as boolean
    from app_day_metrics m
    where m.app_id = ${appId} and m.scope = ${scope}
      and m.day between ${fromDay}::date and ${toDay}::date
    group by m.metric
    order by m.metric collate "C"`);
}

/** One metric key on one day, over the instances that sent it. */
export interface AppDayMetricRow {
  readonly day: string;
  readonly metric: string;
  /** Instances that sent the key. */
  readonly instances: number;
  /** Of those, instances whose value was a number; the figures below are over these. */
  readonly numbers: number;
  readonly sum: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
}

/** Every metric's figures in `scope` on the days from `fromDay` to `toDay`, by day and metric. */
export async function appDayMetricRows(
  db: Database,
  options: { appId: number; scope: RollupScope; fromDay: string; toDay: string },
): Promise<AppDayMetricRow[]> {
  return await db.query<AppDayMetricRow>(sql`
    select day::text as day, metric, instances, numbers, sum, min, max, p50, p90, p99
    from app_day_metrics
    where app_id = ${options.appId} and scope = ${options.scope} and day between ${options.fromDay}::date
      and ${options.toDay}::date
    order by day, metric`);
}

/** One application's active instances on one day, as its rollup counted them. */
export interface ActiveOnDayRow {
  readonly appId: number;
  readonly day: string;
  readonly active: number;
}

/** Every application's active instances in `scope` on each of `days` (YYYY-MM-DD) that has a rollup. */
export async function activeOnDays(
  db: Database,
  options: { days: readonly string[]; scope: RollupScope },
): Promise<ActiveOnDayRow[]> {
  return await db.query<ActiveOnDayRow>(sql`
    select app_id as "appId", day::text as day, active
    from app_days
    where scope = ${options.scope} and day = any(${options.days}::date[])
    order by app_id, day`);
}
