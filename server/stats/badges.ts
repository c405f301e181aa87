/**
 * The numbers behind public badges, read from each application's summary of
 * its latest state (as of the upkeep's last round), with the privacy rules
 * applied here: an application whose
 * badges are switched off looks unknown, and a number drawn from fewer
 * instances than the threshold is not given.
 */

import type { MetricAggregate } from "../../shared/badge_grammar.ts";
import { StoreUnavailableError } from "../errors.ts";
import {
  type BadgeSummary,
  findApplication,
  findBadgeSummary,
  type MetricAggregates,
} from "../store/mod.ts";
import type { StatsContext } from "./context.ts";
import type { FigureCache } from "./figure_cache.ts";

/** What badges need besides the stats context. */
export interface BadgeContext extends StatsContext {
  /** Numbers drawn from fewer instances than this are answered as `too_few`; 0 turns it off. */
  readonly minInstances: number;
  /** Recent figures, so that a popular badge does not query the store on every request. */
  readonly cache: FigureCache;
}

/**
 * The figure for `key` from the cache or `compute`; when the store cannot be
 * read, the last figure known for `key`, marked stale (stale-if-error). With
 * none known, the `StoreUnavailableError` goes on.
 */
async function cached<T>(
  ctx: BadgeContext,
  key: string,
  compute: () => Promise<BadgeFigure<T>>,
): Promise<BadgeFigure<T>> {
  try {
    return await ctx.cache.get(key, ctx.now().getTime(), compute);
  } catch (error) {
    if (!(error instanceof StoreUnavailableError)) throw error;
    const last = ctx.cache.lastKnown<BadgeFigure<T>>(key);
    if (last === undefined) throw error;
    return { ...last.value, stale: true };
  }
}

/**
 * A badge's number: `hidden` when the application is unknown or its public
 * badges are off (the two cannot be told apart), `too_few` when the number
 * would come from fewer than `minimum` instances, else the value. `stale` is
 * true when the store could not be read and this is the last figure known.
 */
export type BadgeFigure<T> =
  & (
    | { readonly kind: "hidden" }
    | { readonly kind: "too_few"; readonly minimum: number }
    | { readonly kind: "value"; readonly value: T }
  )
  & { readonly stale?: boolean };

const HIDDEN = { kind: "hidden" } as const;

/**
 * What the badges of application `slug` show, with the figures of `metric`
 * when given; null when the application is unknown or its public badges are off.
 */
async function publicBadgeSummary(
  ctx: BadgeContext,
  options: { slug: string; metric?: string },
): Promise<BadgeSummary | null> {
  const app = await findApplication(ctx.db, options.slug);
  if (app === null || !app.publicBadges) return null;
  return await findBadgeSummary(ctx.db, {
    appId: app.id,
    ...(options.metric === undefined ? {} : { metric: options.metric }),
  });
}

/** The number of active instances of the application `slug`. */
export function activeInstancesFigure(
  ctx: BadgeContext,
  slug: string,
): Promise<BadgeFigure<number>> {
  return cached(ctx, `instances|${slug}`, async (): Promise<BadgeFigure<number>> => {
    const app = await publicBadgeSummary(ctx, { slug });
    if (app === null) return HIDDEN;
    return guarded(ctx, app.active, app.active);
  });
}

/** The version most active instances of `slug` run; null when it has no active instance. */
export function commonVersionFigure(
  ctx: BadgeContext,
  slug: string,
): Promise<BadgeFigure<string | null>> {
  return cached(ctx, `version|${slug}`, async (): Promise<BadgeFigure<string | null>> => {
    const app = await publicBadgeSummary(ctx, { slug });
    if (app === null) return HIDDEN;
    if (app.active < ctx.minInstances) return { kind: "too_few", minimum: ctx.minInstances };
    return { kind: "value", value: app.topVersion };
  });
}

/**
 * One metric of `slug` combined over its active instances' latest numeric
 * values; null (no data) when no active instance reports it as a number.
 * `count` is the number of instances that report it. The threshold applies
 * to that number.
 */
export function metricFigure(
  ctx: BadgeContext,
  slug: string,
  options: { metric: string; aggregate: MetricAggregate },
): Promise<BadgeFigure<number | null>> {
  return cached(
    ctx,
    `metric|${slug}|${options.metric}|${options.aggregate}`,
    async (): Promise<BadgeFigure<number | null>> => {
      const app = await publicBadgeSummary(ctx, { slug, metric: options.metric });
      if (app === null) return HIDDEN;
      return metricGuarded(ctx, app.metric, options.aggregate);
    },
  );
}

/** Active instances and one metric together, each under the threshold rule. */
export interface CombinedFigure {
  readonly instances: number;
  readonly metric: BadgeFigure<number | null>;
}

/** The active instance count of `slug` and one metric aggregate (see {@linkcode metricFigure}). */
export function combinedFigure(
  ctx: BadgeContext,
  slug: string,
  options: { metric: string; aggregate: MetricAggregate },
): Promise<BadgeFigure<CombinedFigure>> {
  return cached(
    ctx,
    `combined|${slug}|${options.metric}|${options.aggregate}`,
    async (): Promise<BadgeFigure<CombinedFigure>> => {
      const app: BadgeSummary | null = await publicBadgeSummary(ctx, {
        slug,
        metric: options.metric,
      });
      if (app === null) return HIDDEN;
      if (app.active < ctx.minInstances) return { kind: "too_few", minimum: ctx.minInstances };
      return {
        kind: "value",
        value: { instances: app.active, metric: metricGuarded(ctx, app.metric, options.aggregate) },
      };
    },
  );
}

function guarded<T>(ctx: BadgeContext, instances: number, value: T): BadgeFigure<T> {
  return instances < ctx.minInstances
    ? { kind: "too_few", minimum: ctx.minInstances }
    : { kind: "value", value };
}

/** No instance reporting the metric is `no data` (null), not hidden: it names no installation. */
function metricGuarded(
  ctx: BadgeContext,
  aggregates: MetricAggregates,
  aggregate: MetricAggregate,
): BadgeFigure<number | null> {
  if (aggregates.instances === 0) return { kind: "value", value: null };
  return guarded(ctx, aggregates.instances, pick(aggregates, aggregate));
}

function pick(aggregates: MetricAggregates, aggregate: MetricAggregate): number | null {
  if (aggregate === "count") return aggregates.instances;
  return aggregates[aggregate];
}
