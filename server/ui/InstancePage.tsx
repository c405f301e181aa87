/**
 * One instance: its metadata, status, first and last seen, latest metrics and
 * daily history, and the operator's actions on it (revoke, restore, delete),
 * each a plain form, the lasting ones behind a confirmation step that works
 * without JavaScript (`?confirm=revoke|delete` shows the final form).
 */

import type { InstanceDetail } from "../stats/mod.ts";
import { formatAgo } from "./format.ts";
import { Layout, type Viewer } from "./Layout.tsx";

/** The actions of the instance page that ask for a confirmation first. */
export type ConfirmedAction = "revoke" | "delete";

/** What the instance page shows. */
export interface InstancePageProps {
  readonly viewer: Viewer;
  readonly detail: InstanceDetail;
  readonly now: Date;
  /** The action whose confirmation form the page shows, if any. */
  readonly confirm?: ConfirmedAction;
  /** What was just done, shown above the facts. */
  readonly notice?: string;
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
      {props.notice === undefined ? null : <p class="notice" role="status">{props.notice}</p>}
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

      <InstanceActions {...props} />

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

/** The operator's actions: links to the confirmation step, or the confirmation form itself. */
function InstanceActions(props: InstancePageProps) {
  const { instance } = props.detail;
  const base = `/instances/${instance.instanceId}`;
  const csrf = <input type="hidden" name="_csrf" value={props.viewer.csrfToken} />;
  if (props.confirm === "revoke") {
    return (
      <section class="panel" data-confirm="revoke">
        <h2>Revoke this instance?</h2>
        <p>
          Its next requests (activate, snapshot, erase) will be refused with 403. Its history stays
          and still counts in past figures; you can restore it later.
        </p>
        <form method="post" action={`${base}/revoke`} class="inline-form">
          {csrf}
          <button type="submit" class="primary">Revoke instance</button> <a href={base}>Cancel</a>
        </form>
      </section>
    );
  }
  if (props.confirm === "delete") {
    return (
      <section class="panel" data-confirm="delete">
        <h2>Delete this instance for good?</h2>
        <p>
          Every row of it goes: its latest state, its daily history and its raw snapshots; the
          application's figures drop it at the next upkeep round. This cannot be undone. If it
          reports again, it registers as a new instance.
        </p>
        <form method="post" action={`${base}/delete`} class="inline-form">
          {csrf}
          <button type="submit" class="primary">Delete instance</button> <a href={base}>Cancel</a>
        </form>
      </section>
    );
  }
  return (
    <section class="actions" data-field="actions">
      <h2>Actions</h2>
      {instance.status === "revoked"
        ? (
          <form method="post" action={`${base}/restore`} class="inline-form">
            {csrf}
            <button type="submit">Restore</button>{" "}
            <span class="muted">Accept its requests again.</span>
          </form>
        )
        : (
          <p>
            <a href="?confirm=revoke">Revoke…</a>{" "}
            <span class="muted">Refuse its requests from now on; its history stays.</span>
          </p>
        )}
      <p>
        <a href="?confirm=delete">Delete…</a> <span class="muted">Remove every row of it.</span>
      </p>
    </section>
  );
}
