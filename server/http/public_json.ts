/**
 * `GET /p/{slug}.json`: the public page's figures as JSON (snake_case, ISO
 * days and times). A count given as null was 1 to `min_instances` - 1
 * instances; a share is a fraction of the instances that reported that day.
 */

import { type PublicPageFigures, type PublicShare, SYSTEM_KEYS } from "../stats/mod.ts";

/** The JSON body of an application's public figures. */
export function publicPageJson(figures: PublicPageFigures) {
  return {
    slug: figures.slug,
    name: figures.name,
    min_instances: figures.minInstances,
    computed_at: figures.computedAt?.toISOString() ?? null,
    latest_day: figures.latestDay,
    days: figures.days,
    active: { now: figures.activeNow, per_day: figures.active },
    versions: figures.versions.map(shareJson),
    version_adoption: figures.versionAdoption.map((series) => ({
      value: series.label,
      per_day: series.instances,
    })),
    platforms: figures.platforms.map(shareJson),
    runtimes: figures.runtimes.map(shareJson),
    deployment_modes: figures.deploymentModes.map(shareJson),
    metrics: figures.metrics.map((metric) => ({
      name: metric.name,
      instances: metric.instances,
      sum: metric.sum,
      average: metric.average,
      median: metric.median,
    })),
    sends: {
      metrics: figures.sentKeys.map((key) => ({ name: key.name, kinds: key.kinds })),
      rare_keys: figures.rareKeys,
      system_keys: SYSTEM_KEYS.map((key) => ({ name: key.name, meaning: key.meaning })),
      opt_out: "Set DO_NOT_TRACK=1 where the application runs and nothing is sent; the SDK's " +
        "forget() erases the instance's data from the server.",
    },
  };
}

function shareJson(share: PublicShare) {
  return { value: share.label, instances: share.instances, share: share.share };
}
