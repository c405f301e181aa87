/**
 * The alerts section of an application's settings page (admins only): its
 * rules (what each watches, where it goes, whether it is firing) with a
 * "Send test" button and a "Delete…" link each (the deletion is confirmed
 * on a second form, without JavaScript: `?delete_alert={id}`), the forms
 * that make a rule (`AlertRuleForms.tsx`), and the newest deliveries.
 */

import { type AlertRuleView, type DeliveryView, describeRule } from "../alerts/mod.ts";
import { AlertRuleForms, type TypedAlertForm } from "./AlertRuleForms.tsx";
import { formatUtcMinute } from "./format.ts";

/** What the alerts section shows. */
export interface AlertsPanelProps {
  readonly slug: string;
  readonly csrfToken: string;
  readonly rules: readonly AlertRuleView[];
  readonly deliveries: readonly DeliveryView[];
  /** The numeric metrics the instances send, offered for a metric rule. */
  readonly metricKeys: readonly string[];
  /** A rule refused by the server: its form is shown again with its error. */
  readonly typedForm?: TypedAlertForm;
  /** The rule whose deletion is being confirmed. */
  readonly confirmDelete?: number;
  /** The rule just made, with its webhook secret (shown this once; null without a webhook). */
  readonly newRule?: { readonly id: number; readonly secret: string | null };
}

/** Renders the rules and the delivery log; each test button posts the session's CSRF token. */
export function AlertsPanel(props: AlertsPanelProps) {
  const base = `/apps/${encodeURIComponent(props.slug)}/alerts`;
  const settingsPath = `/apps/${encodeURIComponent(props.slug)}/settings`;
  const confirming = props.rules.find((rule) => rule.id === props.confirmDelete);
  return (
    <section data-field="alerts">
      <h2 id="alerts">Alerts</h2>
      {props.newRule === undefined
        ? null
        : (
          <div class="notice" role="status" data-field="new-alert" data-alert={props.newRule.id}>
            <p>The alert was made.</p>
            {props.newRule.secret === null ? null : (
              <p>
                Its webhook secret, shown this once (deliveries carry{" "}
                <code>X-SHM-Signature: sha256=</code>HMAC-SHA256 of the body under it):{" "}
                <code data-field="alert-secret">{props.newRule.secret}</code>
              </p>
            )}
          </div>
        )}
      {confirming === undefined ? null : (
        <div class="panel" data-confirm="delete-alert">
          <p>
            Delete the alert “{ruleText(confirming)}”? Nothing more is sent for it; its deliveries
            stay in the log below.
          </p>
          <form method="post" action={`${base}/${confirming.id}/delete`}>
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            <button type="submit" class="danger">Delete the alert</button>{" "}
            <a href={`${settingsPath}#alerts`}>Cancel</a>
          </form>
        </div>
      )}
      {props.rules.length === 0
        ? (
          <p class="muted">
            No alert yet. Make one below, or with{" "}
            <code>POST /api/v1/admin/applications/{props.slug}/alerts</code>{" "}
            (see the README's alerts section).
          </p>
        )
        : (
          <table>
            <thead>
              <tr>
                <th>Alert</th>
                <th>Sent to</th>
                <th>State</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {props.rules.map((rule) => (
                <tr
                  key={rule.id}
                  data-alert={rule.id}
                  data-broken={rule.broken === null ? undefined : "true"}
                >
                  <td>{ruleText(rule)}</td>
                  <td>
                    {[rule.webhookUrl, rule.email].filter((target) => target !== null).map((t) => (
                      <div key={t}>
                        <code>{t}</code>
                      </div>
                    ))}
                  </td>
                  <td>
                    {rule.firing ? <strong>firing</strong> : "ok"}
                    {rule.lastFiredAt === null
                      ? null
                      : <div class="muted">last fired {formatUtcMinute(rule.lastFiredAt)}</div>}
                  </td>
                  <td>
                    {rule.broken !== null
                      ? null
                      : (
                        <form method="post" action={`${base}/${rule.id}/test`}>
                          <input type="hidden" name="_csrf" value={props.csrfToken} />
                          <button type="submit">Send test</button>
                        </form>
                      )}
                    <a
                      href={`${settingsPath}?delete_alert=${rule.id}#alerts`}
                      data-delete={rule.id}
                    >
                      Delete…
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      <AlertRuleForms
        slug={props.slug}
        csrfToken={props.csrfToken}
        metricKeys={props.metricKeys}
        {...(props.typedForm === undefined ? {} : { typed: props.typedForm })}
      />
      <h3>Deliveries</h3>
      {props.deliveries.length === 0
        ? <p class="muted">Nothing sent yet.</p>
        : (
          <table data-field="deliveries">
            <thead>
              <tr>
                <th>When</th>
                <th>What</th>
                <th>To</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {props.deliveries.map((d) => (
                <tr key={d.id}>
                  <td>{formatUtcMinute(d.createdAt)}</td>
                  <td>
                    {d.event}: {d.text}
                  </td>
                  <td>
                    <code>{d.target}</code>
                  </td>
                  <td>
                    {d.status} ({d.attempts} {d.attempts === 1 ? "attempt" : "attempts"})
                    {d.lastError === null ? null : <div class="muted">{d.lastError}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </section>
  );
}

/** What a rule watches; for a broken one, why the alert round skips it. */
function ruleText(rule: AlertRuleView): string {
  return rule.params === null
    ? `Broken ${rule.kind} alert, skipped: it cannot be judged as stored: ${rule.broken}`
    : describeRule(rule.params);
}
