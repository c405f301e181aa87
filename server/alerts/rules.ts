/**
 * The alert rules of an application as operators manage them (admin API and
 * settings page): make one (its secret shown once), list, delete, send a
 * test at once, and read the delivery log. Unknown applications and rules
 * are results, not errors: the route picks the status.
 */

import { ClientError } from "../errors.ts";
import {
  type AlertKind,
  countAlertRules,
  deleteAlertRule,
  type DeliveryRow,
  findAlertRule,
  findApplication,
  findSummaryFigures,
  insertAlertRule,
  insertDelivery,
  listAlertRules,
  listDeliveries,
} from "../store/mod.ts";
import { type AlertsContext, sendDueDeliveries } from "./alert_round.ts";
import { initialState } from "./conditions.ts";
import { alertPayload } from "./messages.ts";
import { type AlertParams, readAlertRule } from "./rule_input.ts";
import { paramsOfRule, storedParamsOfRule } from "./rule_params.ts";
import type { SendOutcome } from "./send.ts";

/** Most rules an application may have. */
export const MAX_RULES_PER_APP = 50;

/**
 * A rule as operators see it: its parameters, or (`params` null) why its
 * stored parameters cannot be used, so that it is shown as broken and can be
 * deleted; the alert round skips such a rule.
 */
export type AlertRuleView =
  & {
    readonly id: number;
    readonly kind: AlertKind;
    readonly webhookUrl: string | null;
    readonly email: string | null;
    readonly firing: boolean;
    readonly lastFiredAt: Date | null;
    readonly createdAt: Date;
  }
  & (
    | { readonly params: AlertParams; readonly broken: null }
    | { readonly params: null; readonly broken: string }
  );

/** A delivery as the log shows it. */
export type DeliveryView = Omit<DeliveryRow, "appId" | "payload"> & { readonly text: string };

/** No application has the slug. */
export type UnknownAlertApp = { readonly kind: "unknown_app" };
/** The application has no rule with the id. */
export type UnknownAlert = { readonly kind: "unknown_alert" };

/**
 * Application `slug`'s rules, oldest first (broken ones too, saying why),
 * with its newest `logLimit` deliveries; `unknown_app` when no application
 * has that slug.
 */
export async function alertRules(
  ctx: AlertsContext,
  options: { slug: string; logLimit: number },
): Promise<
  | { kind: "found"; rules: AlertRuleView[]; deliveries: DeliveryView[] }
  | UnknownAlertApp
> {
  const app = await findApplication(ctx.db, options.slug);
  if (app === null) return { kind: "unknown_app" };
  const rows = await listAlertRules(ctx.db, app.id);
  const deliveries = await listDeliveries(ctx.db, { appId: app.id, limit: options.logLimit });
  return {
    kind: "found",
    rules: rows.map(viewOf),
    deliveries: deliveries.map(({ appId: _, payload, ...row }) => ({
      ...row,
      text: typeof payload["text"] === "string" ? payload["text"] : "",
    })),
  };
}

/**
 * Makes a rule for application `slug` from a parsed JSON body (see
 * `readAlertRule`; throws its 400s, and a 409 `too_many_alerts` past 50
 * rules) and returns it with its webhook secret, which is never shown again.
 */
export async function createAlertRule(
  ctx: AlertsContext,
  options: { slug: string; body: unknown },
): Promise<{ kind: "created"; rule: AlertRuleView; secret: string } | UnknownAlertApp> {
  const input = readAlertRule(options.body, ctx);
  const app = await findApplication(ctx.db, options.slug);
  if (app === null) return { kind: "unknown_app" };
  if (await countAlertRules(ctx.db, app.id) >= MAX_RULES_PER_APP) {
    throw new ClientError(
      409,
      "too_many_alerts",
      `Cannot make another alert for ${options.slug} as it has ${MAX_RULES_PER_APP} already: delete one first`,
    );
  }
  const summary = await findSummaryFigures(ctx.db, app.id, { scope: "counted" });
  const secret = newSecret();
  const row = await insertAlertRule(ctx.db, {
    appId: app.id,
    rule: {
      kind: input.params.kind,
      params: input.params,
      webhookUrl: input.webhookUrl,
      email: input.email,
      secret,
      state: initialState(input.params, {
        active: summary.active,
        versions: summary.breakdowns.app_version,
      }),
    },
    now: ctx.now(),
  });
  return { kind: "created", rule: viewOf(row), secret };
}

/** Deletes rule `ruleId` of application `slug`; its deliveries stay in the log. */
export async function removeAlertRule(
  ctx: AlertsContext,
  options: { slug: string; ruleId: number },
): Promise<{ kind: "deleted" } | UnknownAlertApp | UnknownAlert> {
  const app = await findApplication(ctx.db, options.slug);
  if (app === null) return { kind: "unknown_app" };
  return await deleteAlertRule(ctx.db, { appId: app.id, ruleId: options.ruleId })
    ? { kind: "deleted" }
    : { kind: "unknown_alert" };
}

/**
 * Sends a test of rule `ruleId` on each of its channels at once (logged as
 * `test`; a failed one is retried like any delivery) and answers how each went.
 */
export async function testAlertRule(
  ctx: AlertsContext,
  options: { slug: string; ruleId: number },
): Promise<
  | {
    kind: "sent";
    deliveries: { id: number; channel: "webhook" | "email"; outcome: SendOutcome }[];
  }
  | UnknownAlertApp
  | UnknownAlert
> {
  const app = await findApplication(ctx.db, options.slug);
  if (app === null) return { kind: "unknown_app" };
  const rule = await findAlertRule(ctx.db, { appId: app.id, ruleId: options.ruleId });
  const params = rule === null ? null : paramsOfRule(rule);
  if (rule === null || params === null) return { kind: "unknown_alert" };
  const now = ctx.now();
  const payload = alertPayload(
    { slug: rule.slug, appName: rule.appName, ruleId: rule.id, params },
    { kind: "test", text: "this is a test, nothing happened", observed: {}, at: now },
  );
  const deliveries: { id: number; channel: "webhook" | "email"; outcome: SendOutcome }[] = [];
  const channels: ["webhook" | "email", string | null][] = [
    ["webhook", rule.webhookUrl],
    ["email", rule.email],
  ];
  for (const [channel, target] of channels) {
    if (target === null) continue;
    const id = await insertDelivery(ctx.db, {
      delivery: { appId: app.id, ruleId: rule.id, channel, target, event: "test", payload },
      now,
    });
    const sent = await sendDueDeliveries(ctx, { id });
    const outcome = sent.outcomes.get(id) ??
      { ok: false, responseStatus: null, error: "claimed by another server", retry: true };
    deliveries.push({ id, channel, outcome });
  }
  return { kind: "sent", deliveries };
}

function viewOf(
  row: Parameters<typeof paramsOfRule>[0] & {
    id: number;
    webhookUrl: string | null;
    email: string | null;
    firing: boolean;
    lastFiredAt: Date | null;
    createdAt: Date;
  },
): AlertRuleView {
  const stored = storedParamsOfRule(row);
  return {
    id: row.id,
    kind: row.kind,
    ...(stored.ok
      ? { params: stored.params, broken: null }
      : { params: null, broken: stored.problem }),
    webhookUrl: row.webhookUrl,
    email: row.email,
    firing: row.firing,
    lastFiredAt: row.lastFiredAt,
    createdAt: row.createdAt,
  };
}

/** A new webhook secret: 32 random bytes as hex, prefixed so that it is recognised. */
function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
