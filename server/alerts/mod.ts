/**
 * Alerts (issue 14): rules per application judged by the upkeep on the
 * rollups' summaries, delivered by signed webhook and by email (with a
 * weekly digest), and managed through the admin API and the settings page.
 */

export {
  type AlertRoundReport,
  type AlertsContext,
  MAX_ATTEMPTS,
  RETRY_AFTER_SECONDS,
  runAlertRound,
  type SkippedRule,
} from "./alert_round.ts";
export {
  alertRules,
  type AlertRuleView,
  createAlertRule,
  type DeliveryView,
  MAX_RULES_PER_APP,
  removeAlertRule,
  testAlertRule,
} from "./rules.ts";
export { describeRule } from "./messages.ts";
export { ALERT_KINDS, ALERT_PRESETS, type AlertParams } from "./rule_input.ts";
export { hmacSha256Hex, MAX_WEBHOOK_ANSWER_BYTES, type SendOutcome } from "./send.ts";
export { isInternalAddress } from "./webhook_target.ts";
