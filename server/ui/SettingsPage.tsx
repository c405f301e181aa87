/**
 * The settings page: one's API tokens and password (or, for an account that
 * cannot use one, how it signs in); the accounts (which an
 * admin invites, changes, disables and removes here; with local sign-in off
 * they come from the provider, and nobody is invited), and the audit log.
 */

import type { VNode } from "preact";
import {
  type AccountView,
  type ApiTokenView,
  type InviteView,
  type Role,
  ROLES,
} from "../accounts/mod.ts";
import type { AuditEntry } from "../lifecycle/mod.ts";
import { formatAgo } from "./format.ts";
import { InvitationsOff, type ProviderAccounts } from "./InvitationsOff.tsx";
import { Island, IslandCounter } from "./Island.tsx";
import { Layout, type Viewer } from "./Layout.tsx";

/** What the settings page shows. */
export interface SettingsPageProps {
  readonly viewer: Viewer;
  /** The signed-in account's role: only an admin sees the forms that change accounts. */
  readonly role: Role;
  readonly accounts: readonly AccountView[];
  /** Invitations not yet used nor expired. */
  readonly invites: readonly InviteView[];
  readonly tokens: readonly ApiTokenView[];
  /** The audit log's newest lines, newest first. */
  readonly audit: readonly AuditEntry[];
  /** A token just created: shown this once, never again. */
  readonly newToken?: { readonly name: string; readonly token: string };
  /** An invitation just made: its link is shown this once, never again. */
  readonly newInvite?: { readonly username: string; readonly role: Role; readonly url: string };
  /**
   * Set when local sign-in is off (`SHM_LOCAL_LOGIN=false`): accounts come
   * from the provider, so the page explains that in place of the invitation form.
   */
  readonly providerAccounts?: ProviderAccounts;
  /**
   * Set when the account cannot change a password here (local sign-in off, or
   * an account made by the provider or the proxy, which has none): the sentence
   * saying how it signs in, shown in place of the password form.
   */
  readonly passwordOff?: string;
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
  const isAdmin = props.role === "admin";
  const invitations = props.providerAccounts === undefined;
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
        <label>
          Scope
          <select name="scope">
            <option value="read">read (GET only)</option>
            {isAdmin ? <option value="write">write</option> : null}
          </select>
        </label>
        <label>
          Expires in days
          <input
            type="number"
            name="expires_in_days"
            min={1}
            max={3650}
            placeholder="never"
          />
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
                <th>Scope</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Last used</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {props.tokens.map((token) => (
                <tr data-token={token.id}>
                  <td>{token.name}</td>
                  <td data-field="scope">{token.scope}</td>
                  <td>{formatAgo(token.createdAt, props.now)}</td>
                  <td data-field="expires">
                    {token.expiresAt === null
                      ? "never"
                      : token.expiresAt.toISOString().slice(0, 10)}
                  </td>
                  <td data-field="last-used">{formatAgo(token.lastUsedAt, props.now)}</td>
                  <td>
                    {token.revokedAt !== null
                      ? `revoked ${formatAgo(token.revokedAt, props.now)}`
                      : token.expiresAt !== null && token.expiresAt <= props.now
                      ? "expired"
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
      {props.passwordOff === undefined
        ? <PasswordForm viewer={props.viewer} csrf={csrf} />
        : <p class="panel muted" data-field="password-off">{props.passwordOff}</p>}

      <h2>Accounts</h2>
      <p class="muted">
        An admin may do everything; a viewer sees every page and the read API but changes nothing.
        {isAdmin ? "" : " Only an admin changes accounts."}
        {invitations
          ? (
            <>
              {isAdmin ? " Invite someone by a link that works once, for 7 days." : ""}{" "}
              <code>shm user add NAME --role viewer</code> and <code>shm user passwd NAME</code>
              {" "}
              work too.
            </>
          )
          : null}
      </p>
      {props.newInvite === undefined ? null : (
        <section class="panel new-invite" data-new-invite>
          <p>
            Invitation of <strong>{props.newInvite.username}</strong> as {props.newInvite.role}{" "}
            made. Send this link: it is not shown again.
          </p>
          <pre><code data-field="invite-url">{props.newInvite.url}</code></pre>
          <Island name="CopyButton" counter={counter} props={{ text: props.newInvite.url }} />
        </section>
      )}
      {props.providerAccounts === undefined ? null : <InvitationsOff {...props.providerAccounts} />}
      {isAdmin && invitations
        ? (
          <form method="post" action="/settings/users" class="inline-form">
            {csrf}
            <label>
              Username
              <input type="text" name="username" required maxLength={64} />
            </label>
            <RoleSelect selected="viewer" />
            <button type="submit" class="primary">Invite</button>
          </form>
        )
        : null}
      <table class="data accounts">
        <tbody>
          {props.accounts.map((account) => (
            <tr data-user={account.username}>
              <td>{account.username}</td>
              <td data-field="role">{account.role}</td>
              <td class="muted">
                created {formatAgo(account.createdAt, props.now)}
                {account.disabledAt === null
                  ? ""
                  : `, disabled ${formatAgo(account.disabledAt, props.now)}`}
              </td>
              {isAdmin ? <td>{accountForms(account, csrf)}</td> : null}
            </tr>
          ))}
          {props.invites.map((invite) => (
            <tr data-invite={invite.username}>
              <td>{invite.username}</td>
              <td>{invite.role}</td>
              <td class="muted">
                invited {formatAgo(invite.createdAt, props.now)}, link valid until{" "}
                {invite.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC
              </td>
              {isAdmin ? <td /> : null}
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

/** The form that changes one's password, knowing the current one. */
function PasswordForm(props: { viewer: Viewer; csrf: VNode }) {
  return (
    <form method="post" action="/settings/password" class="panel stacked-form">
      {props.csrf}
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
  );
}

/** The role choice of the invitation and role forms. */
function RoleSelect(props: { selected: Role }) {
  return (
    <label>
      Role
      <select name="role">
        {ROLES.map((role) => (
          <option key={role} value={role} selected={role === props.selected}>{role}</option>
        ))}
      </select>
    </label>
  );
}

/** An admin's forms for one account: its role, disable or enable, remove. */
function accountForms(account: AccountView, csrf: VNode) {
  const path = `/settings/users/${encodeURIComponent(account.username)}`;
  return (
    <div class="account-actions">
      <form method="post" action={`${path}/role`} class="inline-form">
        {csrf}
        <RoleSelect selected={account.role} />
        <button type="submit">Set role</button>
      </form>
      <form method="post" action={`${path}/${account.disabledAt === null ? "disable" : "enable"}`}>
        {csrf}
        <button type="submit">{account.disabledAt === null ? "Disable" : "Enable"}</button>
      </form>
      <form method="post" action={`${path}/delete`}>
        {csrf}
        <button type="submit" class="danger">Remove</button>
      </form>
    </div>
  );
}
