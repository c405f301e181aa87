/** The overview: one card per application, or how to connect the first instance. */

import { type ApplicationCard, TREND_DAYS } from "../stats/mod.ts";
import { formatAgo, formatCount } from "./format.ts";
import { Island, IslandCounter } from "./Island.tsx";
import { Layout, type Viewer } from "./Layout.tsx";

/** What the overview shows. */
export interface OverviewPageProps {
  readonly viewer: Viewer;
  readonly applications: readonly ApplicationCard[];
  /** GitHub stars by application slug, for those whose repository was read. */
  readonly stars?: ReadonlyMap<string, number>;
  readonly activeDays: number;
  /** This server's public URL, for the SDK snippet. */
  readonly serverUrl: string;
  readonly now: Date;
}

/** Renders the overview page. */
export function OverviewPage(props: OverviewPageProps) {
  const counter = new IslandCounter();
  return (
    <Layout title="Overview" viewer={props.viewer}>
      <h1>Applications</h1>
      {props.applications.length === 0
        ? <EmptyState serverUrl={props.serverUrl} counter={counter} />
        : (
          <>
            <p class="muted">
              Active: an instance seen in the last {props.activeDays} days.
            </p>
            <div class="cards">
              {props.applications.map((app) => (
                <a class="card" href={`/apps/${encodeURIComponent(app.slug)}`} data-app={app.slug}>
                  <h2>{app.name}</h2>
                  <dl>
                    <dt>Active now</dt>
                    <dd data-field="active">{formatCount(app.activeInstances)}</dd>
                    <dt>Trend, {TREND_DAYS} days</dt>
                    <dd data-field="trend">{formatTrend(app.trend)}</dd>
                    <dt>Most used version</dt>
                    <dd data-field="top-version">
                      {app.topVersion === null
                        ? "–"
                        : `${app.topVersion.version} (${formatCount(app.topVersion.instances)})`}
                    </dd>
                    <dt>Last seen</dt>
                    <dd data-field="last-seen">
                      {app.lastSeen === null
                        ? "never"
                        : (
                          <time dateTime={app.lastSeen.toISOString()}>
                            {formatAgo(app.lastSeen, props.now)}
                          </time>
                        )}
                    </dd>
                    <dt>All instances</dt>
                    <dd>{formatCount(app.totalInstances)}</dd>
                    {props.stars?.has(app.slug)
                      ? (
                        <>
                          <dt>GitHub stars</dt>
                          <dd data-field="stars">{formatCount(props.stars.get(app.slug) ?? 0)}</dd>
                        </>
                      )
                      : null}
                  </dl>
                </a>
              ))}
            </div>
          </>
        )}
    </Layout>
  );
}

function EmptyState(props: { serverUrl: string; counter: IslandCounter }) {
  const snippet = sdkSnippet(props.serverUrl);
  return (
    <section class="panel empty-state">
      <h2>No instance has reported yet</h2>
      <p>
        Add the SDK to your application (<code>npm install @shm/sdk</code> or{" "}
        <code>deno add npm:@shm/sdk</code>) and start it with this server's address. The first
        instance appears here as soon as it registers.
      </p>
      <pre class="snippet" id="sdk-snippet"><code>{snippet}</code></pre>
      <Island
        name="CopyButton"
        props={{ text: snippet, label: "Copy snippet" }}
        counter={props.counter}
      />
    </section>
  );
}

/** The SDK snippet that connects an application to the server at `serverUrl`. */
export function sdkSnippet(serverUrl: string): string {
  return [
    'import { SHMClient } from "@shm/sdk";',
    "",
    "const client = new SHMClient({",
    `  serverUrl: ${JSON.stringify(serverUrl)},`,
    '  appName: "my-app",',
    '  appVersion: "1.0.0",',
    "});",
    "client.start();",
  ].join("\n");
}

/** Active instances now against a week before, e.g. "+12 % (180 → 202)"; "–" without both days. */
function formatTrend(trend: ApplicationCard["trend"]): string {
  if (trend === null) return "–";
  const change = Math.round(((trend.to - trend.from) / trend.from) * 100);
  const sign = change > 0 ? "+" : change < 0 ? "−" : "±";
  return `${sign}${Math.abs(change)} % (${formatCount(trend.from)} → ${formatCount(trend.to)})`;
}
