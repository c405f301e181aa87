/**
 * Alert rules whose stored params or state cannot be used (a jsonb string
 * that is not JSON, which the store reads as `{}`; a value out of its range
 * written by hand) are skipped by the alert round with one warning each, not
 * once a round: nothing is sent for them, nothing thrown, and the other rules
 * are judged as usual. A version_share rule whose remembered versions are
 * unreadable takes the versions at its share now as known instead of
 * announcing them all. The admin API and the settings page list such a rule
 * as broken, with why, so that it can be deleted. Both stores, by
 * SHM_TEST_STORE.
 */

import assert from "node:assert/strict";
import { type AlertsContext, runAlertRound } from "../server/alerts/mod.ts";
import { createLogger, type LogLevel } from "../server/log.ts";
import { insertAlertRule, sql } from "../server/store/mod.ts";
import { upkeepAlerts } from "../server/upkeep/alert_upkeep.ts";
import { FailureStreak } from "../server/upkeep/failure_streak.ts";
import { TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import { feedInstance, openDashboard, signIn } from "./support/dashboard.ts";

const HOUR = 3_600_000;

/** A local webhook receiver that counts what it is sent. */
function startReceiver() {
  const received: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (r) => {
    received.push(await r.text());
    return new Response("ok");
  });
  return {
    received,
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** Stores a rule of application `appId` as given, then overwrites its params or state by SQL. */
async function storeRule(
  app: TestApp,
  options: {
    appId: number;
    kind: "silence" | "version_share";
    params: Record<string, unknown>;
    webhookUrl: string;
    state?: Record<string, unknown>;
  },
): Promise<number> {
  const rule = await insertAlertRule(app.db, {
    appId: options.appId,
    now: app.clock.now(),
    rule: {
      kind: options.kind,
      params: options.params,
      webhookUrl: options.webhookUrl,
      email: null,
      secret: "whsec_test",
      state: options.state ?? {},
    },
  });
  return rule.id;
}

Deno.test("alert round: rules with unusable stored params are skipped with one warning each; the others are judged", async () => {
  await using receiver = startReceiver();
  await using app = await openDashboard({ settings: { SHM_ALERT_PRIVATE_WEBHOOKS: "true" } });
  await feedInstance(app, { appName: "Quiet", version: "1.0.0" });
  await app.rollUp();
  const [appRow] = await app.db.query<{ id: number }>(
    sql`select id from applications where slug = 'quiet'`,
  );
  const appId = appRow!.id;
  const webhookUrl = receiver.url;

  // Params that were not JSON text (a jsonb string): the store reads them as {}.
  const notJson = await storeRule(app, {
    appId,
    kind: "silence",
    params: { kind: "silence", hours: 6 },
    webhookUrl,
  });
  await app.db.query(
    sql`update alert_rules set params = to_jsonb('hours: six {'::text) where id = ${notJson}`,
  );
  // Hours below the range, written by hand: judged as is, it would fire at once.
  const outOfRange = await storeRule(app, {
    appId,
    kind: "silence",
    params: { kind: "silence", hours: -1 },
    webhookUrl,
  });
  // A version_share rule whose state was not JSON text: without its baseline, 1.0.0 (100 %)
  // would be announced as new.
  const lostState = await storeRule(app, {
    appId,
    kind: "version_share",
    params: { kind: "version_share", percent: 50 },
    webhookUrl,
    state: { baseline: ["1.0.0"], announced: [] },
  });
  await app.db.query(
    sql`update alert_rules set state = to_jsonb('[baseline'::text) where id = ${lostState}`,
  );
  // A good rule beside them.
  const good = await storeRule(app, {
    appId,
    kind: "silence",
    params: { kind: "silence", hours: 6 },
    webhookUrl,
  });

  const lines: { level: LogLevel; line: Record<string, unknown> }[] = [];
  const log = createLogger("debug", (line, level) => lines.push({ level, line: JSON.parse(line) }));
  const streak = new FailureStreak(log, "alerts");
  const alerts: AlertsContext = {
    db: app.db,
    now: app.clock.now,
    allowPrivateWebhooks: true,
    timeoutMs: 2_000,
    smtp: null,
  };
  const signal = new AbortController().signal;

  app.clock.advance(7 * HOUR);
  await upkeepAlerts(alerts, { streak, signal });
  app.clock.advance(HOUR);
  await upkeepAlerts(alerts, { streak, signal });

  // No round failed; the good rule fired once, and only it sent anything.
  assert.deepEqual(lines.filter((l) => l.line["msg"] === "alerts failed; will retry"), []);
  const sent = await app.db.query<{ rule_id: number; event: string; status: string }>(
    sql`select rule_id, event, status from alert_deliveries order by id`,
  );
  assert.deepEqual(sent, [{ rule_id: good, event: "firing", status: "delivered" }]);
  assert.equal(receiver.received.length, 1);

  // One warning per skipped rule over the two rounds, saying which and why.
  const warnings = lines.filter((l) =>
    l.level === "warn" && l.line["msg"] === "alert rule skipped: it cannot be judged as stored"
  ).map((l) => l.line);
  assert.deepEqual(warnings.map((w) => [w["rule_id"], w["app"], w["kind"]]), [
    [notJson, "quiet", "silence"],
    [outOfRange, "quiet", "silence"],
    [lostState, "quiet", "version_share"],
  ]);
  assert.equal(
    warnings[0]!["problem"],
    '"hours" must be a number from 1 to 8760: current value is missing',
  );
  assert.equal(
    warnings[1]!["problem"],
    '"hours" must be a number from 1 to 8760: current value is -1',
  );
  assert.match(String(warnings[2]!["problem"]), /remembered versions could not be read/);

  // The skipped rules were not judged; the version_share rule starts again from 1.0.0 known.
  const rows = await app.db.query<
    { id: number; firing: boolean; evaluated: boolean; state: unknown }
  >(sql`select id, firing, last_evaluated_at is not null as evaluated, state
    from alert_rules order by id`);
  const byId = new Map(rows.map((row) => [row.id, row]));
  assert.deepEqual([byId.get(notJson)?.firing, byId.get(notJson)?.evaluated], [false, false]);
  assert.deepEqual([byId.get(outOfRange)?.firing, byId.get(outOfRange)?.evaluated], [false, false]);
  const state = byId.get(lostState)?.state;
  assert.deepEqual(typeof state === "string" ? JSON.parse(state) : state, {
    baseline: ["1.0.0"],
    announced: [],
  });
  assert.equal(byId.get(good)?.firing, true);

  // A round run directly reports the two rules it still cannot judge.
  const report = await runAlertRound(alerts);
  assert.deepEqual(report.skipped.map((s) => s.ruleId), [notJson, outOfRange]);
  assert.equal(report.fired, 0);

  // The admin API lists them as broken, with why; the good rule as usual.
  const listed = await app.fetch("/api/v1/admin/applications/quiet/alerts", {
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  assert.equal(listed.status, 200);
  const body = await listed.json() as { alerts: Record<string, unknown>[] };
  assert.deepEqual(body.alerts.map((a) => [a["id"], a["broken"] ?? null]), [
    [notJson, '"hours" must be a number from 1 to 8760: current value is missing'],
    [outOfRange, '"hours" must be a number from 1 to 8760: current value is -1'],
    [lostState, null],
    [good, null],
  ]);
  // And the application's settings page shows the broken ones with why, and a way to delete them.
  const session = await signIn(app);
  const page = await app.fetch("/apps/quiet/settings", {
    headers: { cookie: `shm_session=${session}` },
  });
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, new RegExp(`data-alert="${notJson}"[^>]*data-broken`));
  assert.match(html, /cannot be judged as stored: &quot;hours&quot; must be a number/);
});
