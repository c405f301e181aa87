/**
 * An application's settings page: its display name, its public badges, its
 * public page and the metrics that page shows, and the badge builder (with a
 * link to the public page when it is on).
 */

import type { BadgeChoice } from "../../shared/badge_snippets.ts";
import type { ApplicationSettingsView } from "../stats/mod.ts";
import type { GithubStatus } from "../github/mod.ts";
import { GithubRepoField } from "./GithubRepoField.tsx";
import { AlertsPanel, type AlertsPanelProps } from "./AlertsPanel.tsx";
import { Island, IslandCounter } from "./Island.tsx";
import { Layout, type Viewer } from "./Layout.tsx";

/** What the application settings page shows. */
export interface AppSettingsPageProps {
  readonly viewer: Viewer;
  readonly app: ApplicationSettingsView;
  /** This server's public URL, for the badge snippets. */
  readonly serverUrl: string;
  /** The badge the builder starts with. */
  readonly badge: BadgeChoice;
  /** A success message, e.g. after saving. */
  readonly notice?: string;
  /** What was wrong with the form, in one sentence; the form keeps what was typed. */
  readonly error?: string;
  /** The display name as typed, when the form is shown again after an error. */
  readonly typedDisplayName?: string;
  /** The excluded environments as typed, when the form is shown again after an error. */
  readonly typedExcludedEnvironments?: string;
  /** The GitHub repository and its last read; null when none is set. */
  readonly github: GithubStatus | null;
  /** The repository as typed, when the form is shown again after an error. */
  readonly typedGithubRepo?: string;
  /**
   * The alerts section (admins only): the rules, their newest deliveries, and
   * the state of its forms (a refused rule, a deletion to confirm, a rule just made).
   */
  readonly alerts?: Omit<AlertsPanelProps, "slug" | "csrfToken" | "metricKeys">;
}

/** Renders the settings of one application; the form carries the session's CSRF token. */
export function AppSettingsPage(props: AppSettingsPageProps) {
  const { app } = props;
  const counter = new IslandCounter();
  const appPath = `/apps/${encodeURIComponent(app.slug)}`;
  const publicPath = `/p/${encodeURIComponent(app.slug)}`;
  // A chosen metric stays listed when no active instance sends it now, so that saving keeps it.
  const metricChoices = [...new Set([...app.publicMetrics, ...app.metricKeys])].sort();
  const exportChoices = [...new Set([...app.exportedMetrics, ...app.metricKeys])].sort();
  return (
    <Layout title={`${app.name} · Settings`} viewer={props.viewer}>
      <p>
        <a href="/">Applications</a> / <a href={appPath}>{app.name}</a> /
      </p>
      <h1>Settings of {app.name}</h1>
      {props.notice === undefined ? null : <p class="notice" role="status">{props.notice}</p>}
      {props.error === undefined ? null : <p class="error" role="alert">{props.error}</p>}

      <form
        method="post"
        action={`${appPath}/settings`}
        class="panel stacked-form"
        data-form="app-settings"
      >
        <input type="hidden" name="_csrf" value={props.viewer.csrfToken} />
        <label>
          Display name
          <input
            type="text"
            name="display_name"
            value={props.typedDisplayName ?? app.displayName ?? ""}
            maxLength={100}
            placeholder={app.reportedName}
          />
        </label>
        <p class="muted">
          Shown on the dashboard instead of the name the instances report,{" "}
          <strong data-field="reported-name">{app.reportedName}</strong>; leave it empty to show
          that.
        </p>
        <label class="checkbox">
          <input type="checkbox" name="public_badges" checked={app.publicBadges} />
          Public badges: anyone may load this application's badges
        </label>
        <label class="checkbox">
          <input type="checkbox" name="public_page" checked={app.publicPage} />
          Public page: anyone may read this application's figures at <code>{publicPath}</code>{" "}
          (aggregates only)
        </label>
        <fieldset data-field="public-metrics">
          <legend>Metrics on the public page (sum, average and median)</legend>
          {metricChoices.length === 0
            ? <p class="muted">No numeric metric has been reported yet.</p>
            : metricChoices.map((metric) => (
              <label class="checkbox" key={metric}>
                <input
                  type="checkbox"
                  name="public_metrics"
                  value={metric}
                  checked={app.publicMetrics.includes(metric)}
                />
                <code>{metric}</code>
              </label>
            ))}
        </fieldset>
        <label>
          Excluded environments
          <input
            type="text"
            name="excluded_environments"
            value={props.typedExcludedEnvironments ?? app.excludedEnvironments.join(", ")}
            data-field="excluded-environments"
          />
        </label>
        <p class="muted">
          Separated by commas, compared without case. Instances that registered with one of these
          environments are left out of the badges, the public page and the overview's active count;
          the application page shows them apart. A change applies at the upkeep's next round,
          started at once: badges and the overview within seconds, the daily history as it is
          computed again (minutes for a large fleet).
        </p>
        <GithubRepoField
          github={props.github}
          {...(props.typedGithubRepo === undefined ? {} : { typed: props.typedGithubRepo })}
        />
        <fieldset data-field="exported-metrics">
          <legend>
            Metrics exported at <code>/metrics</code> for Prometheus (sum and average)
          </legend>
          {exportChoices.length === 0
            ? <p class="muted">No numeric metric has been reported yet.</p>
            : exportChoices.map((metric) => (
              <label class="checkbox" key={metric}>
                <input
                  type="checkbox"
                  name="exported_metrics"
                  value={metric}
                  checked={app.exportedMetrics.includes(metric)}
                />
                <code>{metric}</code>
              </label>
            ))}
        </fieldset>
        <button type="submit" class="primary">Save</button>
      </form>

      {props.alerts === undefined ? null : (
        <AlertsPanel
          slug={app.slug}
          csrfToken={props.viewer.csrfToken}
          metricKeys={app.metricKeys}
          {...props.alerts}
        />
      )}

      <h2 id="badges">Badges</h2>
      {app.publicBadges ? null : (
        <p class="error" data-field="badges-off">
          Public badges are off: every badge of this application shows “unknown app” until they are
          switched on.
        </p>
      )}
      {app.publicPage
        ? (
          <p data-field="public-page-link">
            Public page: <a href={publicPath}>{props.serverUrl}{publicPath}</a>{" "}
            (and its figures as JSON at <a href={`${publicPath}.json`}>{publicPath}.json</a>).
          </p>
        )
        : null}
      <p class="muted">
        Choose a badge for a README; the preview is drawn by this server, the snippets point at{" "}
        <code>{props.serverUrl}</code>.
      </p>
      <Island
        name="BadgeBuilder"
        counter={counter}
        props={{
          slug: app.slug,
          serverUrl: props.serverUrl,
          metrics: app.metricKeys,
          initial: props.badge,
        }}
      />
    </Layout>
  );
}
