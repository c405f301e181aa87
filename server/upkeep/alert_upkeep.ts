/**
 * The alerts' part of the upkeep: after each rollup round, with the
 * summaries just computed, one round of the alerts (rules judged under their
 * lock, deliveries queued and the due ones sent).
 */

import { type AlertsContext, runAlertRound } from "../alerts/mod.ts";
import type { Config } from "../config.ts";
import type { Database } from "../store/mod.ts";
import type { FailureStreak } from "./failure_streak.ts";

/** Longest wait for a webhook or the SMTP server during the upkeep. */
const SEND_TIMEOUT_MS = 10_000;

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

/** Runs one alert round; a failure is counted in `streak` (logged once a streak), never thrown. */
export async function upkeepAlerts(
  alerts: AlertsContext,
  options: { streak: FailureStreak; signal: AbortSignal },
): Promise<void> {
  if (options.signal.aborted) return;
  try {
    const report = await runAlertRound(alerts);
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
