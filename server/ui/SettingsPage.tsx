/** The settings page: accounts, changing one's password, API tokens, and the audit log. */

import type { AccountView, ApiTokenView } from "../accounts/mod.ts";
import type { AuditEntry } from "../lifecycle/mod.ts";
import { formatAgo } from "./format.ts";
import { Island, IslandCounter } from "./Island.tsx";
import { Layout, type Viewer } from "./Layout.tsx";

/** What the settings page shows. */
export interface SettingsPageProps {
  readonly viewer: Viewer;
  readonly accounts: readonly AccountView[];
  readonly tokens: readonly ApiTokenView[];
  /** The audit log's newest lines, newest first. */
  readonly audit: readonly AuditEntry[];
  /** A token just created: shown this once, never again. */
  readonly newToken?: { readonly name: string; readonly token: string };
  /** A success message, e.g. after a password change. */
  readonly notice?: string;
  /** What was wrong with the last form, in one sentence. */
  readonly error?: string;
  readonly now: Date;
}

/** Renders the settings page; every form carries the session's CSRF token. */
export function SettingsPage(props: SettingsPageProps) {
  const csrf = <input type="hidden" name="_csrf" value={props.viewer.csrfToken} />;
  const counter = new IslandCounter();
  return (
    <Layout title="Settings" viewer={props.viewer}>
      <p>
        <a href="/">Applications</a> /
      </p>
      <h1>Settings</h1>
      {props.notice === undefined ? null : <p class="notice" role="status">{props.notice}</p>}
      {props.error === undefined ? null : <p class="error" role="alert">{props.error}</p>}

      <h2>API tokens</h2>
      <p class="muted">
        A token is accepted as <code>Authorization: Bearer …</code> on <code>/api/v1/admin/*</code>.
      </p>
      {props.newToken === undefined ? null : (
        <section class="panel new-token" data-new-token>
          <p>
            Token <strong>{props.newToken.name}</strong>{" "}
            created. Copy it now: it is not shown again.
          </p>
          <pre><code data-field="new-token">{props.newToken.token}</code></pre>
          <Island name="CopyButton" counter={counter} props={{ text: props.newToken.token }} />
        </section>
      )}
      <form method="post" action="/settings/tokens" class="inline-form">
        {csrf}
        <label>
          Name
          <input type="text" name="name" required maxLength={100} placeholder="e.g. CI export" />
        </label>
        <button type="submit" class="primary">Create token</button>
      </form>
      {props.tokens.length === 0
        ? <p class="muted">No API token yet.</p>
        : (
          <table class="data tokens">
            <thead>
              <tr>
                <th>Name</th>
                <th>Created</th>
                <th>Last used</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {props.tokens.map((token) => (
                <tr data-token={token.id}>
                  <td>{token.name}</td>
                  <td>{formatAgo(token.createdAt, props.now)}</td>
                  <td>{formatAgo(token.lastUsedAt, props.now)}</td>
                  <td>
                    {token.revokedAt !== null
                      ? `revoked ${formatAgo(token.revokedAt, props.now)}`
                      : (
                        <form method="post" action={`/settings/tokens/${token.id}/revoke`}>
                          {csrf}
                          <button type="submit">Revoke</button>
                        </form>
                      )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}

      <h2>Your password</h2>
      <form method="post" action="/settings/password" class="panel stacked-form">
        {csrf}
        <input
          type="hidden"
          name="username"
          value={props.viewer.username}
          autocomplete="username"
        />
        <label>
          Current password
          <input type="password" name="current_password" autocomplete="current-password" required />
        </label>
        <label>
          New password
          <input type="password" name="new_password" autocomplete="new-password" required />
        </label>
        <label>
          New password again
          <input type="password" name="confirm_password" autocomplete="new-password" required />
        </label>
        <button type="submit">Change password</button>
      </form>

      <h2>Accounts</h2>
      <p class="muted">
        Add accounts or reset a password with <code>shm user add NAME</code> and{" "}
        <code>shm user passwd NAME</code>.
      </p>
      <table class="data accounts">
        <tbody>
          {props.accounts.map((account) => (
            <tr data-user={account.username}>
              <td>{account.username}</td>
              <td class="muted">created {formatAgo(account.createdAt, props.now)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Audit log</h2>
      <p class="muted">
        Who changed what: instances revoked, restored or deleted, settings, tokens, passwords and
        accounts. The newest {props.audit.length === 0 ? "" : props.audit.length}{" "}
        {props.audit.length === 1 ? "line" : "lines"}; all of it through{" "}
        <code>GET /api/v1/admin/audit?limit=500</code>.
      </p>
      {props.audit.length === 0
        ? <p class="muted">Nothing recorded yet.</p>
        : (
          <table class="data audit">
            <thead>
              <tr>
                <th>When (UTC)</th>
                <th>Who</th>
                <th>What</th>
                <th>On</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {props.audit.map((entry) => (
                <tr data-action={entry.action}>
                  <td>
                    <time datetime={entry.at.toISOString()}>
                      {entry.at.toISOString().replace("T", " ").slice(0, 19)}
                    </time>
                  </td>
                  <td>{entry.actor}</td>
                  <td>{entry.action}</td>
                  <td>{entry.target}</td>
                  <td>
                    {Object.keys(entry.detail).length === 0 ? "" : JSON.stringify(entry.detail)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </Layout>
  );
}
