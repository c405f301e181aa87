/**
 * Alerts delivered (issue 14): rules judged by the upkeep's alert round on
 * the fake clock's windows, each firing once until it clears; webhooks to a
 * local receiver (Deno.serve) signed with HMAC-SHA256 of the body, retried
 * with backoff, never following a redirect, cut off by a timeout and a cap
 * on what is read back, refused for internal addresses unless allowed; email
 * and the weekly digest through a local SMTP server (`smtp-server`).
 */

import assert from "node:assert/strict";
import { SMTPServer } from "npm:smtp-server@^3.21.6";
import { type AlertsContext, hmacSha256Hex, runAlertRound } from "../server/alerts/mod.ts";
import { sql } from "../server/store/mod.ts";
import { openTestApp, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import { feedInstance, formToken, openDashboard, signIn } from "./support/dashboard.ts";
import type { TestInstance } from "./support/instance_client.ts";

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** One request the receiver saw. */
interface Received {
  readonly path: string;
  readonly headers: Headers;
  readonly body: string;
}

/** A local webhook receiver: answers each request with `answer(path)` and records it. */
function startReceiver(
  answer: (path: string, count: number) => Response | Promise<Response> = () => new Response("ok"),
) {
  const received: Received[] = [];
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      received.push({ path, headers: request.headers, body: await request.text() });
      return await answer(path, received.length);
    },
  );
  return {
    received,
    url: (path: string) => `http://127.0.0.1:${server.addr.port}${path}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function alertsOf(app: TestApp, options: Partial<AlertsContext> = {}): AlertsContext {
  return {
    db: app.db,
    now: app.clock.now,
    allowPrivateWebhooks: true,
    timeoutMs: 2_000,
    smtp: null,
    ...options,
  };
}

async function makeRule(app: TestApp, slug: string, rule: Record<string, unknown>) {
  const response = await app.fetch(`/api/v1/admin/applications/${slug}/alerts`, {
    method: "POST",
    headers: ADMIN,
    body: JSON.stringify(rule),
  });
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  return body as { id: number; secret: string };
}

async function snapshot(app: TestApp, instance: TestInstance, metrics: Record<string, unknown>) {
  const response = await app.send(
    await instance.snapshotRequest(metrics, { timestamp: app.clock.now() }),
  );
  assert.equal(response.status, 202);
}

async function deliveries(app: TestApp) {
  return await app.db.query<
    { event: string; channel: string; status: string; attempts: number; last_error: string | null }
  >(sql`select event, channel, status, attempts, last_error from alert_deliveries order by id`);
}

Deno.test("a silence rule fires once by a signed webhook with a text field, stays quiet while firing, and clears", async () => {
  await using receiver = startReceiver();
  await using app = await openTestApp({ settings: { SHM_ALERT_PRIVATE_WEBHOOKS: "true" } });
  const instance = await feedInstance(app, { appName: "Quiet", version: "1.0.0" });
  await app.rollUp();
  const rule = await makeRule(app, "quiet", {
    kind: "silence",
    hours: 6,
    webhook_url: receiver.url("/hook"),
  });
  assert.match(rule.secret, /^whsec_[0-9a-f]{64}$/);
  const alerts = alertsOf(app);

  app.clock.advance(5 * HOUR);
  assert.equal((await runAlertRound(alerts)).fired, 0, "5 hours of silence is under 6");
  assert.equal(receiver.received.length, 0);

  app.clock.advance(2 * HOUR);
  const round = await runAlertRound(alerts);
  assert.deepEqual([round.fired, round.delivered], [1, 1]);
  assert.equal(receiver.received.length, 1);
  const [hook] = receiver.received;
  assert.equal(hook!.path, "/hook");
  assert.equal(hook!.headers.get("content-type"), "application/json");
  assert.equal(hook!.headers.get("x-shm-event"), "firing");
  assert.equal(
    hook!.headers.get("x-shm-signature"),
    `sha256=${await hmacSha256Hex(rule.secret, hook!.body)}`,
    "the signature is the HMAC-SHA256 of the body with the secret returned once",
  );
  const payload = JSON.parse(hook!.body);
  assert.match(payload.text, /^\[SHM\] Quiet: no snapshot from any instance for 6 hours/);
  assert.equal(payload.content, payload.text, "Discord reads content, Slack text");
  assert.equal(payload.event, "firing");
  assert.deepEqual(payload.application, { slug: "quiet", name: "Quiet" });
  assert.deepEqual(payload.alert, { id: rule.id, kind: "silence", hours: 6 });
  assert.equal(payload.observed.silent_hours, 7);

  app.clock.advance(HOUR);
  assert.equal((await runAlertRound(alerts)).fired, 0, "fires once until it clears");
  assert.equal(receiver.received.length, 1);

  await snapshot(app, instance, { users: 1 });
  const cleared = await runAlertRound(alerts);
  assert.equal(cleared.cleared, 1);
  assert.equal(receiver.received.length, 2);
  assert.equal(JSON.parse(receiver.received[1]!.body).event, "cleared");
  assert.deepEqual((await deliveries(app)).map((d) => [d.event, d.status]), [
    ["firing", "delivered"],
    ["cleared", "delivered"],
  ]);
});

Deno.test("metric_threshold and version_share rules fire on the upkeep's summaries; an old majority version is not new", async () => {
  await using receiver = startReceiver();
  await using app = await openTestApp({ settings: { SHM_ALERT_PRIVATE_WEBHOOKS: "true" } });
  const first = await feedInstance(app, {
    appName: "Fleet",
    version: "1.0.0",
    metrics: { jobs: 5 },
  });
  await feedInstance(app, { appName: "Fleet", version: "1.0.0", metrics: { jobs: 5 } });
  await app.rollUp();
  await makeRule(app, "fleet", {
    kind: "metric_threshold",
    metric: "jobs",
    above: 20,
    webhook_url: receiver.url("/jobs"),
  });
  await makeRule(app, "fleet", { kind: "version_share", webhook_url: receiver.url("/versions") });
  const alerts = alertsOf(app);
  assert.equal((await runAlertRound(alerts)).fired, 0, "1.0.0 held 100% when the rule was made");

  app.clock.advance(60_000);
  await snapshot(app, first, { jobs: 30 });
  await feedInstance(app, { appName: "Fleet", version: "2.0.0", metrics: { jobs: 1 } });
  await feedInstance(app, { appName: "Fleet", version: "2.0.0", metrics: { jobs: 1 } });
  await feedInstance(app, { appName: "Fleet", version: "2.0.0", metrics: { jobs: 1 } });
  await app.rollUp();
  const round = await runAlertRound(alerts);
  assert.equal(round.fired, 2);
  const byPath = Object.fromEntries(receiver.received.map((r) => [r.path, JSON.parse(r.body)]));
  assert.match(byPath["/jobs"].text, /the sum of jobs is 38 \(the rule fires above 20\)/);
  assert.deepEqual(byPath["/versions"].observed.versions, ["2.0.0"]);
  assert.match(byPath["/versions"].text, /version 2\.0\.0 reached 60%/);

  await app.rollUp();
  assert.equal((await runAlertRound(alerts)).fired, 0, "each version is announced once");
  assert.equal(receiver.received.length, 2);
});

Deno.test("active_drop compares active instances with the 7-day average of the daily rollups", async () => {
  await using receiver = startReceiver();
  await using app = await openTestApp({
    settings: { SHM_ALERT_PRIVATE_WEBHOOKS: "true", SHM_ACTIVE_DAYS: "1" },
  });
  const fleet: TestInstance[] = [];
  for (let i = 0; i < 4; i++) {
    fleet.push(await feedInstance(app, { appName: "Dropping", version: "1.0.0" }));
  }
  await makeRule(app, "dropping", {
    kind: "active_drop",
    percent: 50,
    webhook_url: receiver.url("/drop"),
  });
  const alerts = alertsOf(app);
  for (let day = 0; day < 8; day++) {
    app.clock.advance(DAY);
    for (const instance of fleet) await snapshot(app, instance, { users: 1 });
    await app.rollUp();
    assert.equal((await runAlertRound(alerts)).fired, 0, `day ${day}: a steady fleet of 4`);
  }
  // Three of four go quiet: once they leave the 1-day window, 1 is active against about 4.
  app.clock.advance(DAY + HOUR);
  await snapshot(app, fleet[0]!, { users: 1 });
  await app.rollUp();
  const round = await runAlertRound(alerts);
  assert.equal(round.fired, 1);
  const payload = JSON.parse(receiver.received[0]!.body);
  assert.equal(payload.observed.active, 1);
  assert.equal(payload.observed.average_active, 4);
  assert.equal(payload.observed.drop_percent, 75);
});

Deno.test("a failed webhook is retried with backoff and logged; the settings API shows the log", async () => {
  await using receiver = startReceiver((_, count) =>
    count === 1 ? new Response("busy", { status: 503 }) : new Response("ok")
  );
  await using app = await openTestApp({ settings: { SHM_ALERT_PRIVATE_WEBHOOKS: "true" } });
  await feedInstance(app, { appName: "Retry", version: "1.0.0" });
  await app.rollUp();
  await makeRule(app, "retry", { kind: "silence", hours: 1, webhook_url: receiver.url("/r") });
  const alerts = alertsOf(app);
  app.clock.advance(2 * HOUR);
  const first = await runAlertRound(alerts);
  assert.deepEqual([first.fired, first.delivered, first.failed], [1, 0, 0]);
  let [log] = await deliveries(app);
  assert.deepEqual([log!.status, log!.attempts], ["pending", 1]);
  assert.match(log!.last_error ?? "", /answered 503: busy/);

  app.clock.advance(30_000);
  await runAlertRound(alerts);
  assert.equal(receiver.received.length, 1, "not before its backoff of a minute");
  app.clock.advance(31_000);
  const second = await runAlertRound(alerts);
  assert.equal(second.delivered, 1);
  assert.equal(receiver.received.length, 2);
  [log] = await deliveries(app);
  assert.deepEqual([log!.status, log!.attempts], ["delivered", 2]);
  assert.equal(receiver.received[0]!.body, receiver.received[1]!.body, "the same body again");

  const listed = await app.fetch("/api/v1/admin/applications/retry/alerts", { headers: ADMIN });
  const body = await listed.json();
  assert.equal(body.deliveries.length, 1);
  assert.equal(body.deliveries[0].status, "delivered");
  assert.equal(body.deliveries[0].attempts, 2);
  assert.equal(body.deliveries[0].response_status, 200);
  assert.equal("secret" in body.alerts[0], false, "the secret is shown only once");
});

Deno.test("a webhook that never stops answering, hangs, or redirects is cut off, given up or not followed", async () => {
  const endless = () =>
    new Response(
      new ReadableStream({
        pull(controller) {
          controller.enqueue(new Uint8Array(64 * 1024));
        },
      }),
      { status: 200 },
    );
  await using receiver = startReceiver((path) =>
    path === "/endless"
      ? endless()
      : path === "/hang"
      ? new Promise<Response>((resolve) => setTimeout(() => resolve(new Response("late")), 3_000))
      : path === "/redirect"
      ? new Response(null, { status: 302, headers: { location: "/elsewhere" } })
      : new Response("ok")
  );
  await using app = await openTestApp({ settings: { SHM_ALERT_PRIVATE_WEBHOOKS: "true" } });
  await feedInstance(app, { appName: "Hostile", version: "1.0.0" });
  await app.rollUp();
  for (const path of ["/endless", "/hang", "/redirect"]) {
    await makeRule(app, "hostile", { kind: "silence", hours: 1, webhook_url: receiver.url(path) });
  }
  app.clock.advance(2 * HOUR);
  const round = await runAlertRound(alertsOf(app, { timeoutMs: 500 }));
  assert.equal(round.fired, 3);
  const log = await deliveries(app);
  assert.deepEqual(log.map((d) => d.status), ["delivered", "pending", "pending"]);
  assert.match(log[1]!.last_error ?? "", /no answer within 500 ms/);
  assert.match(log[2]!.last_error ?? "", /answered 302/);
  assert.ok(
    !receiver.received.some((r) => r.path === "/elsewhere"),
    "the redirect is not followed",
  );
});

Deno.test("internal webhook targets are refused by default: when made, and when a name resolves to one", async () => {
  await using receiver = startReceiver();
  await using app = await openTestApp();
  await feedInstance(app, { appName: "Guarded", version: "1.0.0" });
  await app.rollUp();
  for (
    const url of [
      receiver.url("/x"),
      "http://localhost:9/x",
      "http://[::1]/x",
      "http://10.1.2.3/x",
      "http://169.254.169.254/latest/meta-data",
      "http://[::ffff:127.0.0.1]/x",
      "http://2130706433/x",
    ]
  ) {
    const response = await app.fetch("/api/v1/admin/applications/guarded/alerts", {
      method: "POST",
      headers: ADMIN,
      body: JSON.stringify({ kind: "silence", webhook_url: url }),
    });
    const body = await response.json();
    assert.equal(response.status, 400, url);
    assert.equal(body.error.code, "invalid_alert", url);
    assert.match(body.error.message, /internal address/, url);
  }
  // A public-looking name that resolves to a loopback address is refused before sending.
  await makeRule(app, "guarded", {
    kind: "silence",
    hours: 1,
    webhook_url: `http://hooks.example.com:${new URL(receiver.url("/")).port}/x`,
  });
  // A name that resolves to nothing now may resolve later: tried again.
  await makeRule(app, "guarded", {
    kind: "silence",
    hours: 1,
    webhook_url: "http://nowhere.example.com/x",
  });
  app.clock.advance(2 * HOUR);
  const round = await runAlertRound(
    alertsOf(app, {
      allowPrivateWebhooks: false,
      resolve: (host, type) =>
        Promise.resolve(host === "hooks.example.com" && type === "A" ? ["127.0.0.1"] : []),
    }),
  );
  assert.deepEqual([round.fired, round.failed], [2, 1]);
  const [log, unresolved] = await deliveries(app);
  assert.equal(log!.status, "failed", "refused for good, not retried");
  assert.match(log!.last_error ?? "", /resolves to the internal address 127\.0\.0\.1/);
  assert.equal(unresolved!.status, "pending");
  assert.match(unresolved!.last_error ?? "", /nowhere\.example\.com resolves to no address/);
  assert.equal(receiver.received.length, 0);
});

Deno.test("POST /alerts/{id}/test sends a test at once; the settings page's button does too", async () => {
  await using receiver = startReceiver();
  await using app = await openDashboard({ settings: { SHM_ALERT_PRIVATE_WEBHOOKS: "true" } });
  await feedInstance(app, { appName: "Tested", version: "1.0.0" });
  const rule = await makeRule(app, "tested", {
    kind: "metric_threshold",
    metric: "users",
    below: 1,
    webhook_url: receiver.url("/t"),
  });
  const response = await app.fetch(`/api/v1/admin/applications/tested/alerts/${rule.id}/test`, {
    method: "POST",
    headers: ADMIN,
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.deepEqual(body.deliveries.map((d: Record<string, unknown>) => [d.channel, d.delivered]), [
    ["webhook", true],
  ]);
  assert.equal(receiver.received.length, 1);
  assert.equal(receiver.received[0]!.headers.get("x-shm-event"), "test");
  assert.match(JSON.parse(receiver.received[0]!.body).text, /test of the alert/);
  const unknown = await app.fetch("/api/v1/admin/applications/tested/alerts/999/test", {
    method: "POST",
    headers: ADMIN,
  });
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error.code, "unknown_alert");

  // The settings page lists the rule and the delivery; its button sends another test.
  const cookie = `shm_session=${await signIn(app)}`;
  const page = await (await app.fetch("/apps/tested/settings", { headers: { cookie } })).text();
  assert.match(page, new RegExp(`data-alert="${rule.id}"`));
  assert.match(page, /the sum of users went below 1/);
  assert.match(page, /test: \[SHM\] Tested: test of the alert/);
  assert.match(page, /delivered \(1 attempt\)/);
  const pressed = await app.fetch(`/apps/tested/alerts/${rule.id}/test`, {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: formToken(page) }).toString(),
  });
  assert.equal(pressed.status, 303);
  assert.equal(pressed.headers.get("location"), "/apps/tested/settings?done=test_sent#alerts");
  assert.equal(receiver.received.length, 2);
  const noCsrf = await app.fetch(`/apps/tested/alerts/${rule.id}/test`, {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: "",
  });
  assert.equal(noCsrf.status, 403);
  await noCsrf.body?.cancel();
  assert.equal(receiver.received.length, 2, "nothing sent without the CSRF token");
});

Deno.test({
  name: "an alert and the weekly digest go by email through SMTP (SHM_SMTP_URL, nodemailer)",
  // nodemailer's sockets close after the test's end; the SMTP server is closed in the test.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const mails: { to: string; raw: string }[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, session, callback) {
        let raw = "";
        stream.on("data", (chunk: Uint8Array) => raw += new TextDecoder().decode(chunk));
        stream.on("end", () => {
          // Unfolded headers and quoted-printable soft breaks undone, so the tests read the text.
          raw = raw.replace(/\r?\n[ \t]+/g, " ").replace(/=\r?\n/g, "");
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(","), raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const port = (smtp.server.address() as { port: number }).port;
    try {
      await using app = await openTestApp();
      const instance = await feedInstance(app, { appName: "Mailed", version: "3.1.0" });
      await app.rollUp();
      await makeRule(app, "mailed", { kind: "silence", hours: 2, email: "ops@example.org" });
      const alerts = alertsOf(app, {
        smtp: { url: `smtp://127.0.0.1:${port}`, from: "SHM <shm@example.org>" },
      });
      await runAlertRound(alerts);
      app.clock.advance(3 * HOUR);
      const round = await runAlertRound(alerts);
      assert.deepEqual([round.fired, round.delivered], [1, 1]);
      assert.equal(mails.length, 1);
      assert.equal(mails[0]!.to, "ops@example.org");
      assert.match(mails[0]!.raw, /Subject: \[SHM\] Mailed: no snapshot from any instance/);

      // A week after the first round, the digest: active, new, gone, top versions, as a table.
      await snapshot(app, instance, { users: 2 });
      app.clock.advance(7 * DAY);
      await snapshot(app, instance, { users: 2 });
      await app.rollUp();
      const weekly = await runAlertRound(alerts);
      assert.equal(weekly.digests, 1);
      const digest = mails.find((m) => /weekly digest/.test(m.raw));
      assert.ok(digest, mails.map((m) => m.raw.slice(0, 300)).join("\n---\n"));
      assert.match(digest.raw, /Active instances\s+1/);
      assert.match(digest.raw, /Version 3\.1\.0\s+1/);
      assert.match(digest.raw, /<table>/);
      assert.equal((await runAlertRound(alerts)).digests, 0, "one digest a week");
    } finally {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  },
});
