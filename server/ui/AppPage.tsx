/** The application page: a period selector, charts over time, and today's breakdowns. */

import type { ApplicationActivity } from "../stats/mod.ts";
import { DASHBOARD_PERIODS, type DashboardPeriod } from "../stats/mod.ts";
import { formatAgo, formatCount } from "./format.ts";
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
      </dl>
      <p>
        <a href={`${base}/instances`} data-link="instances">All instances</a>
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
      <Island
        name="TimeSeriesChart"
        counter={counter}
        props={{
          title: `Instances reporting, per ${activity.step}`,
          unit: "instances",
          x: activity.buckets,
          step: activity.step,
          series: [{ label: "Instances", values: activity.reporting }],
        }}
      />
      <Island
        name="TimeSeriesChart"
        counter={counter}
        props={{
          title: `Version adoption, per ${activity.step}`,
          unit: "instances",
          x: activity.buckets,
          step: activity.step,
          stacked: true,
          series: activity.versions.map((v) => ({ label: v.version, values: v.instances })),
        }}
      />

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
