/**
 * Per-application summaries of the latest state: instance counts by status,
 * active instances by version and platform, and each numeric metric over the
 * active instances' latest values. Composed by the upkeep from counts kept
 * from the instances that changed (`summary_counts.ts`), read by badges, the
 * overview, the application page and the admin API, so that none of them
 * scans an application's instances.
 */

import type { Application } from "../applications.ts";
import { type Database, sql } from "../drivers/database.ts";
import { floatOf } from "./float_values.ts";
import { inScope, ROLLUP_SCOPES, type RollupScope } from "./rollup_scope.ts";
import { recountAll, recountChanged } from "./summary_counts.ts";

/** How many values of each breakdown a summary keeps, largest first. */
export const SUMMARY_VALUES_KEPT = 50;

/** How many numeric metrics a summary keeps, those sent by the most active instances first. */
export const SUMMARY_METRICS_KEPT = 500;

/** How many versions and environments the instances page offers as filters. */
export const FILTER_VALUES_KEPT = 500;

/** The attributes active instances are broken down by. */
export const SUMMARY_BREAKDOWNS = [
  "app_version",
  "os_arch",
  "environment",
  "deployment_mode",
] as const;

/** One of {@linkcode SUMMARY_BREAKDOWNS}. */
export type SummaryBreakdown = (typeof SUMMARY_BREAKDOWNS)[number];

/** One value of a breakdown and how many active instances have it. */
export interface BreakdownRow {
  readonly value: string | null;
  readonly instances: number;
}

/** A numeric metric over the active instances whose latest value of it is a number. */
export interface SummaryMetric {
  readonly instances: number;
  readonly sum: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
}

/** The figures of one application's summary; zero (and null) before its first summary. */
export interface SummaryFigures {
  /** When the figures were computed; null before the first summary. */
  readonly computedAt: Date | null;
  readonly instances: number;
  readonly active: number;
  readonly pending: number;
  readonly revoked: number;
  readonly lastSeen: Date | null;
  /** Per breakdown, the values largest first (ties: the highest value first, bytewise). */
  readonly breakdowns: Readonly<Record<SummaryBreakdown, readonly BreakdownRow[]>>;
  readonly metrics: Readonly<Record<string, SummaryMetric>>;
  /** The versions and environments any instance of the application has, sorted. */
  readonly filterValues: { readonly versions: string[]; readonly environments: string[] };
}

/** An application with its summary's figures. */
export type ApplicationSummary =
  & Pick<Application, "id" | "slug" | "name" | "publicBadges" | "createdAt">
  & SummaryFigures;

/** First of the two advisory lock keys held while one server computes an application's summary. */
const SUMMARY_LOCK_CLASS = 7_368_776;

/** How long a summary is kept from changes before it is computed again from every instance. */
const REBUILD_AFTER_MS = 86_400_000;

/**
 * Brings every application's summary up to date as of `now` (active: status
 * active and seen in the `windowDays` days before `now`) in both scopes, with
 * the application's excluded environments as they are now: from the
 * instances changed since its last summary (see `summary_counts.ts`), or from
 * every instance when it has none yet, when its excluded environments or the
 * window changed, when the clock is behind its last one, and once a day. The
 * counts and the summary of one application change in one transaction, under
 * an advisory lock per application: a server that finds an application's
 * summary being computed by another leaves it to that one, so replicas take
 * turns and no change is counted twice. Returns how many applications it
 * summed up.
 */
export async function refreshSummaries(
  db: Database,
  options: { now: Date; windowDays: number },
): Promise<number> {
  const apps = await db.query<{ id: number; excluded: string[] }>(sql`
    select id, excluded_environments as excluded from applications order by id`);
  const since = new Date(options.now.getTime() - options.windowDays * 86_400_000);
  let summed = 0;
  for (const { id, excluded } of apps) {
    const done = await db.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>(
        sql`select pg_try_advisory_xact_lock(${SUMMARY_LOCK_CLASS}::int, ${id}::int) as locked`,
      );
      if (!lock?.locked) return false;
      const [last] = await tx.query<
        { computedAt: Date; windowDays: number; excluded: string[]; rebuiltAt: Date | null }
      >(sql`
        select computed_at as "computedAt", window_days as "windowDays",
          excluded_environments as excluded, rebuilt_at as "rebuiltAt"
        from app_summaries where app_id = ${id} and scope = 'counted'`);
      const counting = { appId: id, excluded, since };
      const fromChanges = last !== undefined && last.rebuiltAt !== null &&
        last.windowDays === options.windowDays &&
        sameList(last.excluded, excluded) &&
        last.computedAt.getTime() <= options.now.getTime() &&
        options.now.getTime() - last.rebuiltAt.getTime() < REBUILD_AFTER_MS;
      if (fromChanges) {
        await recountChanged(tx, {
          ...counting,
          last: last.computedAt,
          lastSince: new Date(last.computedAt.getTime() - last.windowDays * 86_400_000),
        });
      } else {
        await recountAll(tx, counting);
      }
      const rebuiltAt = fromChanges ? last.rebuiltAt ?? options.now : options.now;
      for (const scope of ROLLUP_SCOPES) {
        await tx.query(summaryStatement({ ...options, appId: id, scope, excluded, rebuiltAt }));
      }
      return true;
    });
    if (done) summed++;
  }
  return summed;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/**
 * Whether an application's excluded environments changed since its last
 * summary: the upkeep then starts its next round at once.
 */
export async function excludedEnvironmentsChanged(db: Database): Promise<boolean> {
  const [row] = await db.query<{ changed: boolean }>(sql`
    select exists (
      select 1 from applications a
      join app_summaries s on s.app_id = a.id and s.scope = 'counted'
      where s.excluded_environments <> a.excluded_environments
    ) as changed`);
  return row?.changed ?? false;
}

/**
 * The statement that replaces one application's summary in one scope with
 * the figures its counts add up to: a read of one row per value, metric and
 * status, and of the newest instance in the scope by the last_seen index.
 */
function summaryStatement(options: {
  appId: number;
  scope: RollupScope;
  excluded: readonly string[];
  now: Date;
  windowDays: number;
  rebuiltAt: Date;
}) {
  const { appId: id, scope, excluded } = options;
  const n = scope === "all" ? sql`all_instances` : sql`counted_instances`;
  const total = scope === "all" ? sql`all_sum` : sql`counted_sum`;
  const valued = scope === "all" ? sql`v.all_instances` : sql`v.counted_instances`;
  const value = sql`case when key = '' then null else substr(key, 2) end`;
  return sql`
      with counts as (
        select field, ${value} as value, ${n} as instances, ${total} as total
        from summary_counts where app_id = ${id} and ${n} > 0
      ),
      breakdowns as (
        select field, jsonb_agg(jsonb_build_object('value', value, 'instances', instances)
          order by instances desc, value collate "C" desc nulls last) as rows
        from (
          select *, row_number() over (partition by field
            order by instances desc, value collate "C" desc nulls last) as rank
          from counts
          where field in ('app_version', 'os_arch', 'environment', 'deployment_mode')
        ) ranked
        where rank <= ${SUMMARY_VALUES_KEPT}
        group by field
      ),
      metric_figures as (
        select value as key, instances, ${floatOf(sql`total`)} as sum,
          ${floatOf(sql`total / instances`)} as avg,
          ${
    floatOf(sql`(select min(v.value) from summary_metric_values v
            where v.app_id = ${id} and v.metric = c.value and ${valued} > 0)`)
  } as min,
          ${
    floatOf(sql`(select max(v.value) from summary_metric_values v
            where v.app_id = ${id} and v.metric = c.value and ${valued} > 0)`)
  } as max
        from counts c
        where field = 'metric'
        order by instances desc, value
        limit ${SUMMARY_METRICS_KEPT}
      )
      insert into app_summaries (app_id, scope, excluded_environments, window_days, computed_at,
        rebuilt_at, instances, active, pending, revoked, last_seen, breakdowns, metrics,
        filter_values)
      select ${id}, ${scope}, ${[...excluded]}::text[], ${options.windowDays},
        ${options.now.toISOString()}::timestamptz, ${options.rebuiltAt.toISOString()}::timestamptz,
        (select coalesce(sum(instances), 0) from counts where field = 'status')::int,
        (select coalesce(sum(instances), 0) from counts where field = 'active')::int,
        (select coalesce(sum(instances), 0) from counts
          where field = 'status' and value = 'pending')::int,
        (select coalesce(sum(instances), 0) from counts
          where field = 'status' and value = 'revoked')::int,
        (select i.last_seen from instances i
          where i.app_id = ${id} and ${
    inScope(scope, { environment: sql`i.environment`, excluded })
  }
          order by i.last_seen desc limit 1),
        coalesce((select jsonb_object_agg(field, rows) from breakdowns), '{}'::jsonb),
        coalesce((select jsonb_object_agg(key, jsonb_build_object('instances', instances,
          'sum', sum, 'avg', avg, 'min', min, 'max', max)) from metric_figures), '{}'::jsonb),
        jsonb_build_object(
          'versions', (select coalesce(jsonb_agg(v order by v), '[]'::jsonb) from (
            select value as v from counts where field = 'any_version'
            order by 1 limit ${FILTER_VALUES_KEPT}) versions),
          'environments', (select coalesce(jsonb_agg(v order by v), '[]'::jsonb) from (
            select value as v from counts where field = 'any_environment'
            order by 1 limit ${FILTER_VALUES_KEPT}) environments))
      on conflict (app_id, scope) do update set
        excluded_environments = excluded.excluded_environments,
        window_days = excluded.window_days, computed_at = excluded.computed_at,
        rebuilt_at = excluded.rebuilt_at,
        instances = excluded.instances, active = excluded.active, pending = excluded.pending,
        revoked = excluded.revoked, last_seen = excluded.last_seen,
        breakdowns = excluded.breakdowns, metrics = excluded.metrics,
        filter_values = excluded.filter_values`;
}

/** The columns of {@linkcode SummaryFigures} from `app_summaries s`, zero where it has no row. */
const FIGURE_COLUMNS = sql`s.computed_at as "computedAt", coalesce(s.instances, 0) as instances,
  coalesce(s.active, 0) as active, coalesce(s.pending, 0) as pending,
  coalesce(s.revoked, 0) as revoked, s.last_seen as "lastSeen",
  coalesce(s.breakdowns, '{}'::jsonb) as breakdowns,
  coalesce(s.metrics, '{}'::jsonb) as metrics,
  coalesce(s.filter_values, '{"versions": [], "environments": []}'::jsonb) as "filterValues"`;

/** Every application with its summary in `scope` (every instance unless told), by slug. */
export async function listApplicationSummaries(
  db: Database,
  options: { scope: RollupScope } = { scope: "all" },
): Promise<ApplicationSummary[]> {
  const rows = await db.query<WithStoredBreakdowns<ApplicationSummary>>(sql`
    select a.id, a.slug, coalesce(a.display_name, a.name) as name,
      a.public_badges as "publicBadges", a.created_at as "createdAt", ${FIGURE_COLUMNS}
    from applications a
    left join app_summaries s on s.app_id = a.id and s.scope = ${options.scope}
    order by a.slug`);
  return rows.map(withEveryBreakdown);
}

/**
 * The figures of application `appId`'s summary in `scope` (every instance
 * unless told; zero before its first one).
 */
export async function findSummaryFigures(
  db: Database,
  appId: number,
  options: { scope: RollupScope } = { scope: "all" },
): Promise<SummaryFigures> {
  const [row] = await db.query<WithStoredBreakdowns<SummaryFigures>>(sql`
    select ${FIGURE_COLUMNS}
    from (select ${appId}::int as app_id) wanted
    left join app_summaries s on s.app_id = wanted.app_id and s.scope = ${options.scope}`);
  return withEveryBreakdown(row!);
}

/** A row as stored: its breakdowns as the JSON holds them, a breakdown without values left out. */
type WithStoredBreakdowns<Row> = Omit<Row, "breakdowns"> & { readonly breakdowns: unknown };

/** `row` with every breakdown, an empty list for one the stored JSON leaves out. */
function withEveryBreakdown<Row extends { readonly breakdowns: unknown }>(
  row: Row,
): Omit<Row, "breakdowns"> & Pick<SummaryFigures, "breakdowns"> {
  const stored = (row.breakdowns ?? {}) as Partial<Record<SummaryBreakdown, BreakdownRow[]>>;
  const breakdowns = Object.fromEntries(
    SUMMARY_BREAKDOWNS.map((field) => [field, stored[field] ?? []]),
  ) as Record<SummaryBreakdown, BreakdownRow[]>;
  return { ...row, breakdowns };
}
