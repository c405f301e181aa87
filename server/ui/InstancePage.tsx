/** One instance: its metadata, status, first and last seen, latest metrics and daily history. */

import type { InstanceDetail } from "../stats/mod.ts";
import { formatAgo } from "./format.ts";
import { Layout, type Viewer } from "./Layout.tsx";

/** What the instance page shows. */
export interface InstancePageProps {
  readonly viewer: Viewer;
  readonly detail: InstanceDetail;
  readonly now: Date;
}

/** A metric value as text: strings as they are, everything else as JSON. */
function metricText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value) ?? "";
}

/** Renders the instance page. */
export function InstancePage(props: InstancePageProps) {
  const { instance, metrics, history } = props.detail;
  const appPath = `/apps/${encodeURIComponent(instance.appSlug)}`;
  const time = (at: Date | null) =>
    at === null ? "never" : (
      <time datetime={at.toISOString()}>
        {at.toISOString().replace("T", " ").slice(0, 19)} UTC ({formatAgo(at, props.now)})
      </time>
    );
  return (
    <Layout title={`Instance ${instance.instanceId.slice(0, 8)}`} viewer={props.viewer}>
      <p>
        <a href="/">Applications</a> / <a href={appPath}>{instance.appName}</a> /{" "}
        <a href={`${appPath}/instances`}>Instances</a> /
      </p>
      <h1>
        Instance <code>{instance.instanceId}</code>
      </h1>
      <dl class="facts panel">
        <dt>Status</dt>
        <dd data-field="status">
          {instance.status}
          {instance.status === "active" && !props.detail.activeNow ? " (not seen lately)" : ""}
        </dd>
        <dt>Version</dt>
        <dd data-field="version">{instance.appVersion}</dd>
        <dt>Environment</dt>
        <dd>{instance.environment ?? "unknown"}</dd>
        <dt>Deployment mode</dt>
        <dd>{instance.deploymentMode ?? "unknown"}</dd>
        <dt>Platform</dt>
        <dd>{instance.osArch ?? "unknown"}</dd>
        <dt>First seen</dt>
        <dd>{time(instance.firstSeen)}</dd>
        <dt>Last seen</dt>
        <dd>{time(instance.lastSeen)}</dd>
        <dt>Last snapshot</dt>
        <dd>{time(instance.lastSnapshotAt)}</dd>
      </dl>

      <h2>Latest metrics</h2>
      {metrics.length === 0
        ? <p class="muted">No metrics reported yet.</p>
        : (
          <table class="data metrics">
            <tbody>
              {metrics.map((m) => (
                <tr data-metric={m.key}>
                  <th scope="row">{m.key}</th>
                  <td class={typeof m.value === "number" ? "num" : undefined}>
                    {metricText(m.value)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}

      <h2>History</h2>
      {history.length === 0
        ? <p class="muted">No day reported yet.</p>
        : (
          <table class="data history">
            <thead>
              <tr>
                <th>Day (UTC)</th>
                <th>Version</th>
                <th>Snapshots</th>
                <th>Last metrics of the day</th>
              </tr>
            </thead>
            <tbody>
              {history.map((day) => (
                <tr data-day={day.day}>
                  <td>{day.day}</td>
                  <td>{day.appVersion}</td>
                  <td class="num">{day.snapshots}</td>
                  <td>
                    {Object.keys(day.metrics).sort().map((key) =>
                      `${key}=${metricText(day.metrics[key])}`
                    ).join(", ")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </Layout>
  );
}
