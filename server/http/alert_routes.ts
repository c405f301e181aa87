/**
 * Alert rules under `/api/v1/admin/applications/{slug}/alerts` (issue 14),
 * and the settings page's forms: make a rule, send a test, delete one.
 */

import {
  ALERT_KINDS,
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
import type { StatsContext } from "../stats/mod.ts";
import type { TypedAlertForm } from "../ui/AlertRuleForms.tsx";
import { unknownApp } from "./admin_routes.ts";
import { appSettingsPageResponse } from "./app_settings_page_routes.ts";
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
 * went). An unknown slug is a 404 `unknown_application`, an unknown rule a
 * 404 `unknown_alert`. The settings page's forms: `createFromPage` (the
 * fields the API takes, checked by the same rules: the page again with 201
 * and the secret shown once, or with the API's message on the refused form,
 * what was typed kept, and its status, 400 or 409), `testFromPage` and
 * `removeFromPage` (done, then back to the page with a notice).
 */
export function alertHandlers(deps: { alerts: AlertsContext; stats: StatsContext }): {
  list: Handler<"token_or_session">;
  create: Handler<"token">;
  remove: Handler<"token">;
  test: Handler<"token">;
  createFromPage: Handler<"session_form">;
  testFromPage: Handler<"session_form">;
  removeFromPage: Handler<"session_form">;
} {
  const { alerts } = deps;
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
    createFromPage: async (ctx) => {
      const { session, form } = ctx;
      const slug = ctx.params["slug"] ?? "";
      try {
        const made = await createAlertRule(alerts, { slug, body: alertBodyOfForm(form) });
        if (made.kind === "unknown_app") {
          return await appSettingsPageResponse(deps, { ctx, session });
        }
        return await appSettingsPageResponse(deps, {
          ctx,
          session,
          extra: {
            alerts: {
              newRule: {
                id: made.rule.id,
                secret: made.rule.webhookUrl === null ? null : made.secret,
              },
            },
          },
          status: 201,
        });
      } catch (error) {
        if (!(error instanceof ClientError)) throw error;
        const typed = typedAlertForm(form, error.message);
        return await appSettingsPageResponse(deps, {
          ctx,
          session,
          extra: typed === null ? { error: error.message } : { alerts: { typedForm: typed } },
          status: error.status,
        });
      }
    },
    removeFromPage: async ({ params }) => {
      const slug = params["slug"] ?? "";
      const done = await removeAlertRule(alerts, { slug, ruleId: alertId(params) });
      return redirect(
        `/apps/${encodeURIComponent(slug)}/settings?done=${
          done.kind === "deleted" ? "alert_deleted" : "alert_unknown"
        }#alerts`,
      );
    },
  };
}

/** The fields of the alert forms that the API takes as numbers. */
const NUMBER_FIELDS = new Set(["percent", "hours", "above", "below"]);
/** A decimal number as typed: what `Number()` reads without surprises (no hex, no "Infinity"). */
const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A posted alert form as the body the admin API takes, so that the API's
 * rules (`readAlertRule`) judge it: each field but the CSRF token, trimmed;
 * an empty one left out (a parameter then takes its preset); a number field
 * that reads as a decimal number becomes that number, any other text stays
 * text and is refused as the API refuses it; a field given twice stays a
 * list, refused likewise.
 */
export function alertBodyOfForm(form: URLSearchParams): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const name of new Set(form.keys())) {
    if (name === "_csrf") continue;
    const values = form.getAll(name).map((value) => value.trim());
    if (values.length > 1) {
      body[name] = values;
      continue;
    }
    const text = values[0] ?? "";
    if (text === "") continue;
    body[name] = NUMBER_FIELDS.has(name) && NUMBER_TEXT.test(text) ? Number(text) : text;
  }
  return body;
}

/** The refused form to show again with `error`; null when its kind is none of ours. */
function typedAlertForm(form: URLSearchParams, error: string): TypedAlertForm | null {
  const kind = ALERT_KINDS.find((k) => k === form.get("kind"));
  if (kind === undefined) return null;
  const values: Record<string, string> = {};
  for (const name of ["metric", ...NUMBER_FIELDS, "webhook_url", "email"]) {
    const value = form.get(name);
    if (value !== null) values[name] = value.slice(0, 2000);
  }
  return { kind, values, error };
}

/**
 * A rule in the API's words: its id, kind and parameters flat, its channels
 * and state; a rule the alert round skips has `broken` (why) in place of
 * parameters.
 */
export function ruleJson(rule: AlertRuleView): Record<string, unknown> {
  const { kind: _, ...params } = rule.params ?? {};
  return {
    id: rule.id,
    kind: rule.kind,
    ...params,
    // Only a rule whose stored parameters cannot be used has it: why, in one sentence.
    ...(rule.broken === null ? {} : { broken: rule.broken }),
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
