/**
 * An application's public stats page: every figure in the HTML (tables,
 * readable without JavaScript), charts over time as islands, and what the
 * application sends and how a user turns it off.
 */

import {
  type GuardedCount,
  PUBLIC_PAGE_DAYS,
  type PublicPageFigures,
  type PublicShare,
  SYSTEM_KEYS,
} from "../stats/mod.ts";
import { formatCount, formatFigure, formatUtcMinute } from "./format.ts";
import { Island, IslandCounter } from "./Island.tsx";
import { Layout } from "./Layout.tsx";

/** Renders the public page of one application's figures. */
export function PublicPage(props: { figures: PublicPageFigures }) {
  const f = props.figures;
  const counter = new IslandCounter();
  const count = (n: GuardedCount) => guardedCount(n, f.minInstances);
  const appKeys = f.sentKeys.filter((key) => !key.name.startsWith("sys_"));
  const seen = new Set(f.sentKeys.map((key) => key.name));
  return (
    <Layout title={`${f.name} · public statistics`} viewer={null}>
      <h1>{f.name}: public statistics</h1>
      <p class="muted">
        Aggregates over the installations that report to this server. No figure here comes from
        fewer than {f.minInstances}{" "}
        installations: smaller groups are counted as “other”, and a count below that shows as “fewer
        than {f.minInstances}”.
      </p>
      <dl class="facts panel">
        <dt>Active installations</dt>
        <dd data-field="active-now">{count(f.activeNow)}</dd>
        <dt>Figures as of</dt>
        <dd data-field="computed-at">
          {f.computedAt === null ? "no report yet" : formatUtcMinute(f.computedAt)}
        </dd>
        <dt>Period</dt>
        <dd>{PUBLIC_PAGE_DAYS} days, {f.days[0]} to {f.days.at(-1)}</dd>
      </dl>

      <h2>Active installations over time</h2>
      <Island
        name="TimeSeriesChart"
        counter={counter}
        props={{
          title: "Active installations",
          unit: "installations",
          x: f.dayStarts,
          step: "day",
          series: [{ label: "active", values: f.active }],
        }}
      />
      <details>
        <summary>Each day's figure</summary>
        <table data-table="active">
          <thead>
            <tr>
              <th>Day</th>
              <th>Active</th>
            </tr>
          </thead>
          <tbody>
            {f.days.map((day, i) => (
              <tr>
                <td>{day}</td>
                <td>{count(f.active[i] ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>

      <h2>Versions</h2>
      <ShareTable name="versions" title="Version" shares={f.versions} k={f.minInstances} />
      {f.versionAdoption.length === 0 ? null : (
        <Island
          name="TimeSeriesChart"
          counter={counter}
          props={{
            title: "Adoption: installations per version",
            unit: "installations",
            x: f.dayStarts,
            step: "day",
            stacked: true,
            series: f.versionAdoption.map((s) => ({ label: s.label, values: s.instances })),
          }}
        />
      )}

      <h2>Platforms</h2>
      <div class="tables">
        <ShareTable
          name="platforms"
          title="Operating system and architecture"
          shares={f.platforms}
          k={f.minInstances}
        />
        <ShareTable name="runtimes" title="Runtime" shares={f.runtimes} k={f.minInstances} />
        <ShareTable
          name="deployment-modes"
          title="Deployment mode"
          shares={f.deploymentModes}
          k={f.minInstances}
        />
      </div>
      {f.latestDay === null
        ? null
        : <p class="muted">Shares of the installations that reported on {f.latestDay}.</p>}

      {f.metrics.length === 0 ? null : (
        <>
          <h2>Metrics</h2>
          <table data-table="metrics">
            <thead>
              <tr>
                <th>Metric</th>
                <th>Installations</th>
                <th>Sum</th>
                <th>Average</th>
                <th>Median</th>
              </tr>
            </thead>
            <tbody>
              {f.metrics.map((metric) => (
                <tr data-metric={metric.name}>
                  <td>
                    <code>{metric.name}</code>
                  </td>
                  <td>{formatCount(metric.instances)}</td>
                  <td>{formatFigure(metric.sum)}</td>
                  <td>{formatFigure(metric.average)}</td>
                  <td>{formatFigure(metric.median)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <h2 id="sends">What {f.name} sends</h2>
      <p>
        Each installation sends a snapshot now and then, signed with a key of its own: its version,
        platform and the metrics below. This list is made from what this server received over the
        last {PUBLIC_PAGE_DAYS}{" "}
        days: the names and kinds of values, never one installation's values.
      </p>
      {appKeys.length === 0
        ? (
          <p class="muted">
            No metric of its own was sent by {f.minInstances} or more installations.
          </p>
        )
        : (
          <table data-table="sent-keys">
            <thead>
              <tr>
                <th>Metric</th>
                <th>Kind of value</th>
              </tr>
            </thead>
            <tbody>
              {appKeys.map((key) => (
                <tr>
                  <td>
                    <code>{key.name}</code>
                  </td>
                  <td>{key.kinds.join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      {f.rareKeys === 0 ? null : (
        <p class="muted" data-field="rare-keys">
          And {formatCount(f.rareKeys)} other{" "}
          {f.rareKeys === 1 ? "key" : "keys"}, each sent by fewer than {f.minInstances}{" "}
          installations, not named here.
        </p>
      )}
      <h3>System keys</h3>
      <p>The SDKs add these to every snapshot:</p>
      <ul data-list="system-keys">
        {SYSTEM_KEYS.map((key) => (
          <li>
            <code>{key.name}</code>: {key.meaning}
            {seen.has(key.name) ? " (received)" : ""}
          </li>
        ))}
      </ul>
      <h3>Turning it off</h3>
      <p data-field="opt-out">
        Set <code>DO_NOT_TRACK=1</code>{" "}
        in the environment where the application runs and the SDK sends nothing (an application may
        name a variable of its own too). The SDK's <code>forget()</code>{" "}
        erases the installation's data from this server and deletes its identity.
      </p>
    </Layout>
  );
}

/** A count, or "fewer than k" for a count given as null. */
function guardedCount(n: GuardedCount, k: number): string {
  return n === null ? `fewer than ${k}` : formatCount(n);
}

/** One field's values as a table: value, installations and share. */
function ShareTable(
  props: { name: string; title: string; shares: readonly PublicShare[]; k: number },
) {
  if (props.shares.length === 0) {
    return <p class="muted" data-table={props.name}>{props.title}: no report yet.</p>;
  }
  return (
    <table data-table={props.name}>
      <thead>
        <tr>
          <th>{props.title}</th>
          <th>Installations</th>
          <th>Share</th>
        </tr>
      </thead>
      <tbody>
        {props.shares.map((share) => (
          <tr>
            <td>{share.label}</td>
            <td>{guardedCount(share.instances, props.k)}</td>
            <td>{share.share === null ? "–" : `${(share.share * 100).toFixed(1)} %`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
