/** The application page: a period selector, charts over time, and today's breakdowns. */

import type {
  ApplicationActivity,
  DailyDetail,
  EnvironmentChoice,
  ExcludedActivity,
} from "../stats/mod.ts";
import { type AppPageChart, appPageCharts } from "./app_page_charts.ts";
import { DASHBOARD_PERIODS, type DashboardPeriod } from "../stats/mod.ts";
import { formatAgo, formatCount, formatUtcMinute } from "./format.ts";
import { Island, IslandCounter } from "./Island.tsx";
import {
  type ReleaseMarker,
  releaseMarkers,
  ReleasePanel,
  type ReleasePanelProps,
} from "./ReleasePanel.tsx";
import { Layout, type Viewer } from "./Layout.tsx";

/** One breakdown of active instances, largest group first. */
export interface Breakdown {
  /** Stable id for the export link (`now-{id}`). */
  readonly id: string;
  readonly title: string;
  readonly rows: readonly { readonly value: string | null; readonly instances: number }[];
}

/** What the application page shows. */
export interface AppPageProps {
  readonly viewer: Viewer;
  readonly activity: ApplicationActivity;
  readonly summary: {
    readonly activeInstances: number;
    readonly totalInstances: number;
    readonly lastSeen: Date | null;
    readonly activeDays: number;
    /** When these figures were computed by the upkeep; null before its first round. */
    readonly computedAt: Date | null;
  };
  readonly breakdowns: readonly Breakdown[];
  /** Which instances the figures count: without the excluded environments, or all. */
  readonly environments: EnvironmentChoice;
  /** The excluded environments' active instances, shown apart. */
  readonly excluded: ExcludedActivity;
  /** The GitHub repository's figures (a panel, and release markers on the charts). */
  readonly releases?: Omit<ReleasePanelProps, "settingsHref">;
  readonly now: Date;
}

const PERIOD_LABELS: Record<DashboardPeriod, string> = {
  "24h": "24 h",
  "7d": "7 d",
  "30d": "30 d",
  "90d": "90 d",
  "1y": "1 y",
};

/** Renders the application page. */
export function AppPage(props: AppPageProps) {
  const { activity, summary } = props;
  const counter = new IslandCounter();
  const base = `/apps/${encodeURIComponent(activity.app.slug)}`;
  // The choice of environments travels with every link of the page, the CSV links too.
  const choice = props.environments === "all" ? "&environments=all" : "";
  const exportBase = `${base}/export?period=${activity.period}${choice}`;
  const charts = appPageCharts(activity);
  const lastBucket = (activity.buckets.at(-1) ?? 0) + (activity.step === "hour" ? 3_600 : 86_400);
  const markers = props.releases === undefined ? [] : releaseMarkers(props.releases.figures, {
    fromSeconds: activity.buckets[0] ?? lastBucket,
    toSeconds: lastBucket,
  });
  return (
    <Layout title={activity.app.name} viewer={props.viewer}>
      <p>
        <a href="/">Applications</a> /
      </p>
      <h1>{activity.app.name}</h1>
      <dl class="facts panel">
        <dt>Active now</dt>
        <dd data-field="active">{formatCount(summary.activeInstances)}</dd>
        <dt>All instances</dt>
        <dd>{formatCount(summary.totalInstances)}</dd>
        <dt>Last seen</dt>
        <dd>{formatAgo(summary.lastSeen, props.now)}</dd>
        <dt>Figures as of</dt>
        <dd data-field="summary-computed-at">
          {summary.computedAt === null
            ? "the first count is under way"
            : formatUtcMinute(summary.computedAt)}
        </dd>
      </dl>
      <ExcludedNote
        excluded={props.excluded}
        environments={props.environments}
        href={`${base}?period=${activity.period}${
          props.environments === "all" ? "" : "&environments=all"
        }`}
      />
      <p class="links">
        <a href={`${base}/instances`} data-link="instances">All instances</a>
        {" · "}
        <a href={`${base}/settings`} data-link="settings">Settings and badges</a>
      </p>
      {props.releases === undefined
        ? null
        : <ReleasePanel {...props.releases} settingsHref={`${base}/settings`} />}

      <h2>Over time</h2>
      <nav class="periods" aria-label="Period">
        {DASHBOARD_PERIODS.map((period) => (
          <a
            href={`${base}?period=${period}${choice}`}
            aria-current={period === activity.period ? "page" : undefined}
            data-period={period}
          >
            {PERIOD_LABELS[period]}
          </a>
        ))}
      </nav>
      {activity.daily === null
        ? (
          <>
            {charts.map((chart) => (
              <Chart
                counter={counter}
                activity={activity}
                chart={chart}
                exportBase={exportBase}
                markers={markers}
              />
            ))}
            <p class="muted">
              Platforms, arrivals and metrics are counted per day: choose 7 d or longer.
            </p>
          </>
        )
        : (
          <DailyCharts
            activity={activity}
            daily={activity.daily}
            charts={charts}
            counter={counter}
            exportBase={exportBase}
            markers={markers}
          />
        )}

      <h2>Active instances now</h2>
      <p class="muted">Seen in the last {summary.activeDays} days.</p>
      <div class="cards">
        {props.breakdowns.map((breakdown) => (
          <section class="panel">
            <h3>
              {breakdown.title}{" "}
              <a
                class="csv"
                href={`${base}/export?chart=now-${breakdown.id}${choice}`}
                data-csv={`now-${breakdown.id}`}
              >
                CSV
              </a>
            </h3>
            {breakdown.rows.length === 0
              ? <p class="muted">No active instance.</p>
              : (
                <table class="data">
                  <tbody>
                    {breakdown.rows.map((row) => (
                      <tr>
                        <td>{row.value ?? "unknown"}</td>
                        <td class="num">{formatCount(row.instances)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
          </section>
        ))}
      </div>
    </Layout>
  );
}

/**
 * What the figures leave out, or that they include it: "N more in excluded
 * environments: ci 3, test 1", with the link that switches between the two.
 */
function ExcludedNote(
  props: { excluded: ExcludedActivity; environments: EnvironmentChoice; href: string },
) {
  const { excluded } = props;
  const list = excluded.byEnvironment.map((e) => `${e.environment} ${formatCount(e.instances)}`)
    .join(", ");
  const names = excluded.environments.length === 0 ? "none" : excluded.environments.join(", ");
  if (props.environments === "all") {
    return (
      <p class="panel" data-field="excluded">
        These figures include the excluded environments ({names}):{" "}
        <span data-field="excluded-active">{formatCount(excluded.active)}</span>{" "}
        of the active instances{list === "" ? "" : ` (${list})`}.{" "}
        <a href={props.href} data-link="environments">Leave them out</a>
      </p>
    );
  }
  return (
    <p class="panel" data-field="excluded">
      <span data-field="excluded-active">{formatCount(excluded.active)}</span>{" "}
      more in excluded environments{list === "" ? "" : `: ${list}`}{" "}
      (left out of these figures, the badges, the public page and the overview; excluded: {names}).
      {" "}
      <a href={props.href} data-link="environments">Include them</a>
    </p>
  );
}

/** The charts of a period counted in days, from the daily rollups. */
function DailyCharts(
  props: {
    activity: ApplicationActivity;
    daily: DailyDetail;
    charts: readonly AppPageChart[];
    counter: IslandCounter;
    exportBase: string;
    markers: readonly ReleaseMarker[];
  },
) {
  const { activity, daily, counter, exportBase } = props;
  const chart = (c: AppPageChart) => (
    <Chart
      counter={counter}
      activity={activity}
      chart={c}
      exportBase={exportBase}
      markers={props.markers}
    />
  );
  const metrics = props.charts.filter((c) => c.group === "metrics");
  return (
    <>
      <p class="muted" data-field="computed-at">
        {daily.computedAt === null
          ? "Daily figures are computed in the background; the first are on their way."
          : `Daily figures as of ${formatUtcMinute(daily.computedAt)}.`}
      </p>
      {props.charts.filter((c) => c.group === "activity").map(chart)}
      <h3>Platforms</h3>
      <div class="chart-grid">
        {props.charts.filter((c) => c.group === "platforms").map(chart)}
      </div>
      <h3>Metrics</h3>
      {metrics.length === 0
        ? <p class="muted">No metric sent in this period.</p>
        : <div class="chart-grid">{metrics.map(chart)}</div>}
    </>
  );
}

/** One chart island over the period's buckets, with the link to its figures as CSV. */
function Chart(
  props: {
    counter: IslandCounter;
    activity: ApplicationActivity;
    chart: AppPageChart;
    exportBase: string;
    markers: readonly ReleaseMarker[];
  },
) {
  const { chart } = props;
  return (
    <div class="chart-cell">
      <Island
        name="TimeSeriesChart"
        counter={props.counter}
        props={{
          title: chart.title,
          unit: chart.unit ?? "instances",
          x: props.activity.buckets,
          step: props.activity.step,
          ...(chart.stacked ? { stacked: true } : {}),
          series: chart.series.map((s) => ({ label: s.label, values: [...s.values] })),
          ...(props.markers.length === 0 ? {} : { markers: [...props.markers] }),
        }}
      />
      <p class="muted chart-note">
        {chart.note === undefined ? null : <>{chart.note} ·{" "}</>}
        <a
          class="csv"
          href={`${props.exportBase}&chart=${encodeURIComponent(chart.id)}`}
          data-csv={chart.id}
        >
          Download CSV
        </a>
      </p>
    </div>
  );
}
