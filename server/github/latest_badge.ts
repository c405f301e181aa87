/**
 * The figure of the `/badge/{slug}/latest` badge: the share of active
 * instances already on the latest GitHub release, under the badges' privacy
 * rules (unknown or switched-off applications look the same; fewer active
 * instances than the threshold give no number), kept in the badges' cache.
 */

import { StoreUnavailableError } from "../errors.ts";
import type { BadgeContext, BadgeFigure } from "../stats/mod.ts";
import { releaseFigures } from "./release_figures.ts";

/**
 * The share (0 to 1) of `slug`'s active instances on its latest release;
 * null (no release) when no repository is set or it has no published release
 * yet. When the store cannot be read, the last figure known, marked stale.
 */
export async function latestReleaseFigure(
  ctx: BadgeContext,
  slug: string,
): Promise<BadgeFigure<number | null>> {
  const key = `latest|${slug}`;
  try {
    return await ctx.cache.get(key, ctx.now().getTime(), () => compute(ctx, slug));
  } catch (error) {
    if (!(error instanceof StoreUnavailableError)) throw error;
    const last = ctx.cache.lastKnown<BadgeFigure<number | null>>(key);
    if (last === undefined) throw error;
    return { ...last.value, stale: true };
  }
}

async function compute(ctx: BadgeContext, slug: string): Promise<BadgeFigure<number | null>> {
  const figures = await releaseFigures(ctx, slug);
  if (figures.kind === "unknown_app" || !figures.publicBadges) return { kind: "hidden" };
  if (figures.github?.latestRelease == null) return { kind: "value", value: null };
  if (figures.activeInstances < ctx.minInstances) {
    return { kind: "too_few", minimum: ctx.minInstances };
  }
  return { kind: "value", value: figures.latestReleaseShare ?? 0 };
}
