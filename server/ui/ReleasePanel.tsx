/**
 * The application page's GitHub panel: the stars, the latest release with
 * the share of active instances already on it, and how long the releases
 * before it took to reach half of the instances reporting.
 */

import type { ReleaseFigures, ReleaseUptake } from "../github/mod.ts";
import { formatCount, formatUtcMinute } from "./format.ts";

/** What the panel shows. */
export interface ReleasePanelProps {
  readonly figures: ReleaseFigures;
  readonly uptakes: readonly ReleaseUptake[];
  /** The settings page, where the repository is set and a failed read is explained. */
  readonly settingsHref: string;
}

/** A release marker of the over-time charts: its time (seconds since the epoch) and its tag. */
export interface ReleaseMarker {
  readonly x: number;
  readonly label: string;
}

/** Renders the panel; nothing when no repository is set. */
export function ReleasePanel(props: ReleasePanelProps) {
  const github = props.figures.github;
  if (github === null) return null;
  const latest = github.latestRelease;
  const share = props.figures.latestReleaseShare;
  return (
    <section class="panel" data-field="releases">
      <h2>Releases</h2>
      <dl class="facts">
        <dt>Repository</dt>
        <dd>
          <code>{github.repo}</code>
          {github.stars === null ? null : (
            <>
              {" · "}
              <span data-field="stars">{formatCount(github.stars)}</span> stars
            </>
          )}
        </dd>
        <dt>Latest release</dt>
        <dd data-field="latest-release">
          {latest === null
            ? (github.checkedAt === null ? "not read yet" : "none published")
            : `${latest.tag}, ${latest.publishedAt.toISOString().slice(0, 10)}`}
        </dd>
        <dt>Active instances on it</dt>
        <dd data-field="latest-share">
          {share === null
            ? "–"
            : `${Math.round(share * 100)}% of ${formatCount(props.figures.activeInstances)}`}
        </dd>
      </dl>
      {github.error === null ? null : (
        <p class="muted" data-field="github-error">
          The last read from GitHub
          {github.checkedAt === null ? "" : ` (${formatUtcMinute(github.checkedAt)})`} failed;{" "}
          <a href={props.settingsHref}>see the settings</a>.
        </p>
      )}
      {props.uptakes.length === 0 ? null : (
        <table class="data" data-field="uptakes">
          <caption>
            Time each earlier release took to run on half of the instances reporting
          </caption>
          <thead>
            <tr>
              <th>Release</th>
              <th>Published</th>
              <th class="num">Days to half</th>
            </tr>
          </thead>
          <tbody>
            {props.uptakes.map((uptake) => (
              <tr>
                <td>{uptake.release.tag}</td>
                <td>{uptake.release.publishedAt.toISOString().slice(0, 10)}</td>
                <td class="num">
                  {uptake.daysToHalf === null ? "not reached" : uptake.daysToHalf}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * The markers of the releases published from `fromSeconds` to `toSeconds`
 * (a chart's first and last point), oldest first.
 */
export function releaseMarkers(
  figures: ReleaseFigures,
  range: { fromSeconds: number; toSeconds: number },
): ReleaseMarker[] {
  return figures.releases
    .map((release) => ({ x: Math.floor(release.publishedAt.getTime() / 1000), label: release.tag }))
    .filter((marker) => marker.x >= range.fromSeconds && marker.x <= range.toSeconds)
    .reverse();
}
