/**
 * Alert rules under `/api/v1/admin/applications/{slug}/alerts` (issue 14),
 * and the settings page's "send test" button.
 */

import {
  alertRules,
  type AlertRuleView,
  type AlertsContext,
  createAlertRule,
  type DeliveryView,
  removeAlertRule,
  type SendOutcome,
  testAlertRule,
} from "../alerts/mod.ts";
import { ClientError } from "../errors.ts";
import { unknownApp } from "./admin_routes.ts";
import { redirect } from "./page_support.ts";
import { readBody } from "./read_body.ts";
import { jsonResponse } from "./respond.ts";
import type { Handler } from "./route_declaration.ts";

/** Largest rule body accepted. */
const MAX_RULE_BYTES = 4096;

/** Deliveries the API's list shows, newest first. */
const LOG_LIMIT = 50;

/**
 * The handlers of the alert routes: `list` (GET, the rules and the newest
 * 50 deliveries), `create` (POST a rule: 201 with its `secret`, shown once;
 * 400 `invalid_alert`, 409 `too_many_alerts`), `remove` (DELETE: 204),
 * `test` (POST: sends a test on each channel at once, 200 with how each
 * went) and `testFromPage` (the settings page's button: the same, then back
 * to the page). An unknown slug is a 404 `unknown_application`, an unknown
 * rule a 404 `unknown_alert`.
 */
export function alertHandlers(alerts: AlertsContext): {
  list: Handler<"token_or_session">;
  create: Handler<"token">;
  remove: Handler<"token">;
  test: Handler<"token">;
  testFromPage: Handler<"session_form">;
} {
  return {
    list: async ({ params }) => {
      const slug = params["slug"] ?? "";
      const found = await alertRules(alerts, { slug, logLimit: LOG_LIMIT });
      if (found.kind === "unknown_app") throw unknownApp(slug);
      return jsonResponse({
        alerts: found.rules.map(ruleJson),
        deliveries: found.deliveries.map(deliveryJson),
      });
    },
    create: async ({ request, params }) => {
      const slug = params["slug"] ?? "";
      const body = parseJson(await readBody(request, MAX_RULE_BYTES));
      const made = await createAlertRule(alerts, { slug, body });
      if (made.kind === "unknown_app") throw unknownApp(slug);
      return jsonResponse({ ...ruleJson(made.rule), secret: made.secret }, 201);
    },
    remove: async ({ params }) => {
      const slug = params["slug"] ?? "";
      const done = await removeAlertRule(alerts, { slug, ruleId: alertId(params) });
      if (done.kind === "unknown_app") throw unknownApp(slug);
      if (done.kind === "unknown_alert") throw unknownAlert(slug, params);
      return new Response(null, { status: 204 });
    },
    test: async ({ params }) => {
      const slug = params["slug"] ?? "";
      const sent = await testAlertRule(alerts, { slug, ruleId: alertId(params) });
      if (sent.kind === "unknown_app") throw unknownApp(slug);
      if (sent.kind === "unknown_alert") throw unknownAlert(slug, params);
      return jsonResponse({
        deliveries: sent.deliveries.map((d) => ({
          id: d.id,
          channel: d.channel,
          ...outcomeJson(d.outcome),
        })),
      });
    },
    testFromPage: async ({ params }) => {
      const slug = params["slug"] ?? "";
      const sent = await testAlertRule(alerts, { slug, ruleId: alertId(params) });
      const done = sent.kind !== "sent"
        ? "test_unknown"
        : sent.deliveries.every((d) => d.outcome.ok)
        ? "test_sent"
        : "test_failed";
      return redirect(`/apps/${encodeURIComponent(slug)}/settings?done=${done}#alerts`);
    },
  };
}

/** A rule in the API's words: its id, kind and parameters flat, its channels and state. */
export function ruleJson(rule: AlertRuleView): Record<string, unknown> {
  const { kind, ...params } = rule.params;
  return {
    id: rule.id,
    kind,
    ...params,
    webhook_url: rule.webhookUrl,
    email: rule.email,
    firing: rule.firing,
    last_fired_at: rule.lastFiredAt?.toISOString() ?? null,
    created_at: rule.createdAt.toISOString(),
  };
}

/** A line of the delivery log. */
export function deliveryJson(d: DeliveryView): Record<string, unknown> {
  return {
    id: d.id,
    alert_id: d.ruleId,
    event: d.event,
    channel: d.channel,
    target: d.target,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === "pending" ? d.nextAttemptAt.toISOString() : null,
    response_status: d.responseStatus,
    error: d.lastError,
    text: d.text,
    created_at: d.createdAt.toISOString(),
    finished_at: d.finishedAt?.toISOString() ?? null,
  };
}

function outcomeJson(outcome: SendOutcome): Record<string, unknown> {
  return outcome.ok
    ? { delivered: true, response_status: outcome.responseStatus, error: null }
    : { delivered: false, response_status: outcome.responseStatus, error: outcome.error };
}

function alertId(params: Record<string, string>): number {
  return Number(params["alertId"] ?? "0");
}

function unknownAlert(slug: string, params: Record<string, string>): ClientError {
  return new ClientError(
    404,
    "unknown_alert",
    `Application "${slug.slice(0, 100)}" has no alert ${params["alertId"] ?? ""}`,
  );
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new ClientError(400, "malformed_json", "Cannot parse the body as UTF-8 JSON");
  }
}
