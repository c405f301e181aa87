/**
 * The alerts section of an application's settings page: its rules (what
 * each watches, where it goes, whether it is firing) with a "Send test"
 * button each, and the newest deliveries. Rules are made through the admin
 * API (`POST /api/v1/admin/applications/{slug}/alerts`), shown here.
 */

import { type AlertRuleView, type DeliveryView, describeRule } from "../alerts/mod.ts";
import { formatUtcMinute } from "./format.ts";

/** What the alerts section shows. */
export interface AlertsPanelProps {
  readonly slug: string;
  readonly csrfToken: string;
  readonly rules: readonly AlertRuleView[];
  readonly deliveries: readonly DeliveryView[];
}

/** Renders the rules and the delivery log; each test button posts the session's CSRF token. */
export function AlertsPanel(props: AlertsPanelProps) {
  const base = `/apps/${encodeURIComponent(props.slug)}/alerts`;
  return (
    <section data-field="alerts">
      <h2 id="alerts">Alerts</h2>
      {props.rules.length === 0
        ? (
          <p class="muted">
            No alert yet. Make one with{" "}
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
                <tr key={rule.id} data-alert={rule.id}>
                  <td>{describeRule(rule.params)}</td>
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
                    <form method="post" action={`${base}/${rule.id}/test`}>
                      <input type="hidden" name="_csrf" value={props.csrfToken} />
                      <button type="submit">Send test</button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
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
