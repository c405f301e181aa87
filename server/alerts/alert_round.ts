/**
 * One round of the alerts, run by the upkeep after each rollup round: every
 * rule judged on its application's fresh summary out of its excluded
 * environments (scope `counted`, as badges count) under the alerts' lock (one
 * server at a time), a delivery queued per channel when a rule fires or
 * clears, each application's weekly digest queued when due, then the
 * deliveries that are due sent, with retries at growing intervals.
 */

import {
  alertAppFigures,
  appWeekCounts,
  claimDeliveries,
  type ClaimedDelivery,
  type Database,
  findSummaryFigures,
  finishDeliveryAttempt,
  insertDelivery,
  saveAlertState,
  takeDueDigests,
  withAlertLock,
} from "../store/mod.ts";
import { type ConditionFigures, initialState, judgeCondition } from "./conditions.ts";
import { alertEmail, alertPayload, digestEmail, digestPayload } from "./messages.ts";
import { storedParamsOfRule } from "./rule_params.ts";
import { sendEmail, type SendOptions, type SendOutcome, sendWebhook } from "./send.ts";

/** What the alerts need, built once at start. */
export interface AlertsContext extends SendOptions {
  readonly db: Database;
  readonly now: () => Date;
}

/** Seconds before each retry: after the 1st attempt 1 min, then 5 min, 30 min, 2 h. */
export const RETRY_AFTER_SECONDS: readonly number[] = [60, 300, 1800, 7200];

/** Attempts a delivery gets before it is marked failed. */
export const MAX_ATTEMPTS = RETRY_AFTER_SECONDS.length + 1;

/** Deliveries sent at most per round. */
const DELIVERIES_PER_ROUND = 50;

const DAY_MS = 86_400_000;

/** A rule a round could not judge as stored, and what it did instead. */
export interface SkippedRule {
  readonly ruleId: number;
  readonly slug: string;
  readonly kind: string;
  /** Why, in one sentence: which stored field is wrong and its value. */
  readonly problem: string;
}

/** What one round did; `ran` is false when another server held the lock. */
export interface AlertRoundReport {
  readonly ran: boolean;
  readonly fired: number;
  readonly cleared: number;
  readonly digests: number;
  readonly delivered: number;
  readonly failed: number;
  /**
   * Rules left unjudged this round: stored params that do not hold their
   * kind's parameters (nothing is sent nor saved for them), or a version_share
   * rule whose remembered versions were unreadable (counted again from now,
   * nothing announced).
   */
  readonly skipped: readonly SkippedRule[];
}

/**
 * Runs one round as of `ctx.now()`: evaluation and queueing under the lock,
 * then sending. A rule that cannot be judged as stored is listed in
 * `skipped`, never thrown for.
 */
export async function runAlertRound(ctx: AlertsContext): Promise<AlertRoundReport> {
  const evaluated = await evaluateRules(ctx);
  const { delivered, failed } = await sendDueDeliveries(ctx);
  return { ...evaluated, delivered, failed };
}

/** Judges every rule and queues what fired, cleared, and the digests due. */
async function evaluateRules(
  ctx: AlertsContext,
): Promise<Pick<AlertRoundReport, "ran" | "fired" | "cleared" | "digests" | "skipped">> {
  const now = ctx.now();
  const today = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  const done = await withAlertLock(ctx.db, async (tx, rules) => {
    let fired = 0;
    let cleared = 0;
    const skipped: SkippedRule[] = [];
    const figuresOf = new Map<number, ConditionFigures>();
    for (const rule of rules) {
      const stored = storedParamsOfRule(rule);
      if (!stored.ok) {
        skipped.push({
          ruleId: rule.id,
          slug: rule.slug,
          kind: rule.kind,
          problem: stored.problem,
        });
        continue;
      }
      const params = stored.params;
      let figures = figuresOf.get(rule.appId);
      if (figures === undefined) {
        const summary = await findSummaryFigures(tx, rule.appId, { scope: "counted" });
        const app = await alertAppFigures(tx, {
          appId: rule.appId,
          from: new Date(today.getTime() - 7 * DAY_MS),
          to: today,
        });
        figures = {
          now,
          active: summary.active,
          averageActive: app.averageActive,
          lastSnapshotAt: app.lastSnapshotAt,
          versions: summary.breakdowns.app_version,
          metricSums: Object.fromEntries(
            Object.entries(summary.metrics).map(([key, m]) => [key, m.sum]),
          ),
        };
        figuresOf.set(rule.appId, figures);
      }
      if (params.kind === "version_share" && !Array.isArray(rule.state["baseline"])) {
        // Without the versions it started from, every version at its share would look new.
        await saveAlertState(tx, {
          ruleId: rule.id,
          firing: false,
          fired: false,
          state: initialState(params, figures),
          now,
        });
        skipped.push({
          ruleId: rule.id,
          slug: rule.slug,
          kind: rule.kind,
          problem: "its remembered versions could not be read: the versions at its share now " +
            "are taken as known, and only later ones are announced",
        });
        continue;
      }
      const result = judgeCondition(params, figures, rule.state);
      const event = params.kind === "version_share"
        ? (result.announce.length > 0 ? "firing" : null)
        : result.holds && !rule.firing
        ? "firing"
        : !result.holds && rule.firing
        ? "cleared"
        : null;
      if (event === "firing") fired++;
      if (event === "cleared") cleared++;
      if (event !== null) {
        const payload = alertPayload(
          { slug: rule.slug, appName: rule.appName, ruleId: rule.id, params },
          { kind: event, text: result.text, observed: result.observed, at: now },
        );
        for (const [channel, target] of channelsOf(rule)) {
          await insertDelivery(tx, {
            delivery: { appId: rule.appId, ruleId: rule.id, channel, target, event, payload },
            now,
          });
        }
      }
      await saveAlertState(tx, {
        ruleId: rule.id,
        firing: result.holds,
        fired: event === "firing",
        state: result.state,
        now,
      });
    }
    const digests = await queueDigests(tx, { now, today });
    return { fired, cleared, digests, skipped };
  });
  return done.ran
    ? { ran: true, ...done.result }
    : { ran: false, fired: 0, cleared: 0, digests: 0, skipped: [] };
}

/** Queues the weekly digest of each application due one, to each address of its rules. */
async function queueDigests(tx: Database, options: { now: Date; today: Date }): Promise<number> {
  const due = await takeDueDigests(tx, {
    now: options.now,
    dueBefore: new Date(options.now.getTime() - 7 * DAY_MS),
  });
  let queued = 0;
  for (const app of due) {
    const summary = await findSummaryFigures(tx, app.appId, { scope: "counted" });
    const week = await appWeekCounts(tx, {
      appId: app.appId,
      from: new Date(options.today.getTime() - 7 * DAY_MS),
      to: options.today,
    });
    const payload = digestPayload({
      slug: app.slug,
      appName: app.appName,
      active: summary.active,
      newInstances: week.newInstances,
      goneInstances: week.goneInstances,
      topVersions: summary.breakdowns.app_version.slice(0, 5).map((row) => ({
        version: row.value ?? "unknown",
        instances: row.instances,
      })),
      weekEnding: new Date(options.today.getTime() - DAY_MS),
    });
    for (const email of app.emails) {
      await insertDelivery(tx, {
        delivery: {
          appId: app.appId,
          ruleId: null,
          channel: "email",
          target: email,
          event: "digest",
          payload,
        },
        now: options.now,
      });
      queued++;
    }
  }
  return queued;
}

/** Sends the deliveries due now, each claimed first; a failure is retried later or given up. */
export async function sendDueDeliveries(
  ctx: AlertsContext,
  options: { id?: number } = {},
): Promise<{ delivered: number; failed: number; outcomes: Map<number, SendOutcome> }> {
  const outcomes = new Map<number, SendOutcome>();
  let delivered = 0;
  let failed = 0;
  const claimed = await claimDeliveries(ctx.db, {
    now: ctx.now(),
    limit: DELIVERIES_PER_ROUND,
    retryAfterSeconds: RETRY_AFTER_SECONDS,
    ...(options.id === undefined ? {} : { id: options.id }),
  });
  for (const delivery of claimed) {
    const outcome = await send(ctx, delivery);
    outcomes.set(delivery.id, outcome);
    const final = outcome.ok || !outcome.retry || delivery.attempts >= MAX_ATTEMPTS;
    if (outcome.ok) delivered++;
    else if (final) failed++;
    await finishDeliveryAttempt(ctx.db, {
      id: delivery.id,
      status: outcome.ok ? "delivered" : final ? "failed" : "pending",
      responseStatus: outcome.responseStatus,
      error: outcome.ok ? null : outcome.error,
      now: ctx.now(),
    });
  }
  return { delivered, failed, outcomes };
}

async function send(ctx: AlertsContext, delivery: ClaimedDelivery): Promise<SendOutcome> {
  if (delivery.channel === "email") {
    const mail = delivery.event === "digest"
      ? digestEmail(delivery.payload)
      : alertEmail(delivery.payload);
    return await sendEmail(ctx, { to: delivery.target, ...mail });
  }
  if (delivery.secret === null) {
    return {
      ok: false,
      responseStatus: null,
      error: "its rule was deleted, so it cannot be signed",
      retry: false,
    };
  }
  return await sendWebhook(ctx, {
    url: delivery.target,
    body: JSON.stringify(delivery.payload),
    secret: delivery.secret,
    event: delivery.event,
    deliveryId: delivery.id,
  });
}

function channelsOf(
  rule: { webhookUrl: string | null; email: string | null },
): ["webhook" | "email", string][] {
  const channels: ["webhook" | "email", string][] = [];
  if (rule.webhookUrl !== null) channels.push(["webhook", rule.webhookUrl]);
  if (rule.email !== null) channels.push(["email", rule.email]);
  return channels;
}
