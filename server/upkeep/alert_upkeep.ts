/**
 * The alerts' part of the upkeep: after each rollup round, with the
 * summaries just computed, one round of the alerts (rules judged under their
 * lock, deliveries queued and the due ones sent).
 */

import { type AlertsContext, runAlertRound, type SkippedRule } from "../alerts/mod.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Database } from "../store/mod.ts";
import type { FailureStreak } from "./failure_streak.ts";

/** Longest wait for a webhook or the SMTP server during the upkeep. */
const SEND_TIMEOUT_MS = 10_000;

/** The rules each context has warned about and still finds skipped: warned once, not per round. */
const warnedSkips = new WeakMap<AlertsContext, Set<number>>();

/** The alerts' context for the upkeep, from the configuration. */
export function upkeepAlertsContext(db: Database, config: Config): AlertsContext {
  return {
    db,
    now: () => new Date(),
    allowPrivateWebhooks: config.alertPrivateWebhooks,
    timeoutMs: SEND_TIMEOUT_MS,
    smtp: config.smtpUrl === null ? null : { url: config.smtpUrl, from: config.smtpFrom },
  };
}

/**
 * Runs one alert round; a failure is counted in `streak` (logged once a
 * streak), never thrown. A rule the round skipped (stored params it cannot
 * use, a version_share rule's unreadable state) is one warning, at the first
 * round that skips it, not one a round.
 */
export async function upkeepAlerts(
  alerts: AlertsContext,
  options: { streak: FailureStreak; signal: AbortSignal },
): Promise<void> {
  if (options.signal.aborted) return;
  try {
    const report = await runAlertRound(alerts);
    if (report.ran) warnSkippedOnce(alerts, { skipped: report.skipped, log: options.streak.log });
    if (report.fired || report.cleared || report.digests || report.failed) {
      options.streak.log.info("alerts", {
        fired: report.fired,
        cleared: report.cleared,
        digests: report.digests,
        delivered: report.delivered,
        failed: report.failed,
      });
    }
    options.streak.succeeded();
  } catch (error) {
    if (!options.signal.aborted) options.streak.failed(error);
  }
}

/** Warns of each skipped rule not warned of since it was last judged. */
function warnSkippedOnce(
  alerts: AlertsContext,
  options: { skipped: readonly SkippedRule[]; log: Logger },
): void {
  const warned = warnedSkips.get(alerts) ?? new Set<number>();
  const skippedNow = new Set(options.skipped.map((rule) => rule.ruleId));
  for (const rule of options.skipped) {
    if (warned.has(rule.ruleId)) continue;
    options.log.warn("alert rule skipped: it cannot be judged as stored", {
      rule_id: rule.ruleId,
      app: rule.slug,
      kind: rule.kind,
      problem: rule.problem,
    });
  }
  warnedSkips.set(alerts, skippedNow);
}
