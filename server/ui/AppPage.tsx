/** The application page: a period selector, charts over time, and today's breakdowns. */

import type { ApplicationActivity, DailyDetail, ShareSeries } from "../stats/mod.ts";
import { DASHBOARD_PERIODS, type DashboardPeriod } from "../stats/mod.ts";
import { formatAgo, formatCount, formatFigure, formatUtcMinute } from "./format.ts";
import { Island, IslandCounter } from "./Island.tsx";
import { Layout, type Viewer } from "./Layout.tsx";

/** One breakdown of active instances, largest group first. */
export interface Breakdown {
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
      <p class="links">
        <a href={`${base}/instances`} data-link="instances">All instances</a>
        {" · "}
        <a href={`${base}/settings`} data-link="settings">Settings and badges</a>
      </p>

      <h2>Over time</h2>
      <nav class="periods" aria-label="Period">
        {DASHBOARD_PERIODS.map((period) => (
          <a
            href={`${base}?period=${period}`}
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
            <Chart
              counter={counter}
              activity={activity}
              title="Instances reporting, per hour"
              series={[{ label: "Reporting", values: activity.reporting }]}
            />
            <Chart
              counter={counter}
              activity={activity}
              title="Version adoption, per hour"
              stacked
              series={shares(activity.versions)}
            />
            <p class="muted">
              Platforms, arrivals and metrics are counted per day: choose 7 d or longer.
            </p>
          </>
        )
        : <DailyCharts activity={activity} daily={activity.daily} counter={counter} />}

      <h2>Active instances now</h2>
      <p class="muted">Seen in the last {summary.activeDays} days.</p>
      <div class="cards">
        {props.breakdowns.map((breakdown) => (
          <section class="panel">
            <h3>{breakdown.title}</h3>
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

/** The charts of a period counted in days, from the daily rollups. */
function DailyCharts(
  { activity, daily, counter }: {
    activity: ApplicationActivity;
    daily: DailyDetail;
    counter: IslandCounter;
  },
) {
  return (
    <>
      <p class="muted" data-field="computed-at">
        {daily.computedAt === null
          ? "Daily figures are computed in the background; the first are on their way."
          : `Daily figures as of ${formatUtcMinute(daily.computedAt)}.`}
      </p>
      <Chart
        counter={counter}
        activity={activity}
        title="Instances per day"
        series={[
          { label: "Reporting", values: activity.reporting },
          { label: "Active", values: daily.active },
        ]}
      />
      <Chart
        counter={counter}
        activity={activity}
        title="New, returned and gone instances per day"
        series={[
          { label: "New", values: daily.new },
          { label: "Returned", values: daily.returned },
          { label: "Gone", values: daily.gone },
        ]}
      />
      <Chart
        counter={counter}
        activity={activity}
        title="Version adoption per day"
        stacked
        series={shares(activity.versions)}
      />
      <h3>Platforms</h3>
      <div class="chart-grid">
        {daily.platforms.map((platform) => (
          <Chart
            counter={counter}
            activity={activity}
            title={platform.title}
            stacked
            series={shares(platform.series)}
          />
        ))}
      </div>
      <h3>Metrics</h3>
      {daily.numberMetrics.length + daily.valueMetrics.length === 0
        ? <p class="muted">No metric sent in this period.</p>
        : (
          <div class="chart-grid">
            {daily.numberMetrics.map((metric) => (
              <Chart
                counter={counter}
                activity={activity}
                title={`${metric.name}: over instances`}
                unit={metric.name}
                series={[
                  { label: "Average", values: metric.avg },
                  { label: "Median", values: metric.p50 },
                  { label: "p90", values: metric.p90 },
                  { label: "p99", values: metric.p99 },
                ]}
                note={`Latest sum: ${formatFigure(latest(metric.sum))} over ${
                  formatFigure(latest(metric.instances))
                } instances`}
              />
            ))}
            {daily.valueMetrics.map((metric) => (
              <Chart
                counter={counter}
                activity={activity}
                title={`${metric.name}: instances per value`}
                stacked
                series={shares(metric.values)}
              />
            ))}
          </div>
        )}
    </>
  );
}

/** One chart island over the period's buckets. */
function Chart(
  props: {
    counter: IslandCounter;
    activity: ApplicationActivity;
    title: string;
    series: { label: string; values: (number | null)[] }[];
    stacked?: boolean;
    unit?: string;
    note?: string;
  },
) {
  return (
    <div class="chart-cell">
      <Island
        name="TimeSeriesChart"
        counter={props.counter}
        props={{
          title: props.title,
          unit: props.unit ?? "instances",
          x: props.activity.buckets,
          step: props.activity.step,
          ...(props.stacked ? { stacked: true } : {}),
          series: props.series,
        }}
      />
      {props.note === undefined ? null : <p class="muted chart-note">{props.note}</p>}
    </div>
  );
}

function shares(series: readonly ShareSeries[]) {
  return series.map((s) => ({ label: s.label, values: s.instances }));
}

function latest(values: readonly (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const value = values[i];
    if (value !== null && value !== undefined) return value;
  }
  return null;
}
