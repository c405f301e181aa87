/**
 * Alert rules made and deleted on the settings page (issue 14), in-process on
 * the store of this run (PGlite, or PostgreSQL with SHM_TEST_PG_URL): one
 * form per preset posting what the admin API takes, judged by the API's own
 * rules (a refused form is the page again with 400, the API's sentence on
 * that form and what was typed, and nothing written), the secret shown once,
 * the deletion behind a confirmation step, CSRF and the admin role required.
 */

import assert from "node:assert/strict";
import { hashPassword } from "../server/accounts/mod.ts";
import { insertUser, sql } from "../server/store/mod.ts";
import { TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import {
  asSignedIn,
  feedInstance,
  formToken,
  openDashboard,
  postForm,
  signIn,
} from "./support/dashboard.ts";

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" };

async function ruleCount(app: TestApp): Promise<number> {
  const [row] = await app.db.query<{ n: number }>(
    sql`select count(*)::int as n from alert_rules`,
  );
  return row!.n;
}

/** An app with one application, "ruled", and its admin signed in with the page's CSRF token. */
async function openRuledApp() {
  const app = await openDashboard();
  await feedInstance(app, { appName: "Ruled", version: "1.0.0", metrics: { "db.rows": 10 } });
  await app.rollUp();
  const session = await signIn(app);
  const page = await app.fetch("/apps/ruled/settings", asSignedIn(session));
  assert.equal(page.status, 200);
  const csrf = formToken(await page.text());
  return { app, session, csrf };
}

/** The HTML of the form of `kind` in `html`. */
function formOf(html: string, kind: string): string {
  const match = new RegExp(`<form[^>]*data-alert-form="${kind}"[^>]*>(.*?)</form>`, "s").exec(html);
  assert.ok(match?.[1], `the page has the ${kind} form`);
  return match[1];
}

Deno.test("alerts page: one form per preset, each with the CSRF token, the kind and the preset's value", async () => {
  const { app, session } = await openRuledApp();
  await using _app = app;
  const html = await (await app.fetch("/apps/ruled/settings", asSignedIn(session))).text();
  for (
    const [kind, field, preset] of [
      ["active_drop", "percent", "50"],
      ["silence", "hours", "24"],
      ["version_share", "percent", "50"],
      ["metric_threshold", "above", ""],
    ]
  ) {
    const form = formOf(html, kind!);
    assert.match(form, /name="_csrf" value="[^"]+"/, kind);
    assert.match(form, new RegExp(`name="kind" value="${kind}"`));
    // An empty value is rendered as a bare attribute.
    const value = preset === "" ? "value[ />]" : `value="${preset}"`;
    assert.match(form, new RegExp(`name="${field}" ${value}`), kind);
    assert.match(form, /name="webhook_url"/);
    assert.match(form, /name="email"/);
  }
  assert.match(html, /<datalist id="alert-metrics"><option value="db.rows"/);
});

Deno.test("alerts page: a bad form is the page again with 400, the API's sentence on that form, what was typed kept, and nothing written", async () => {
  const { app, session, csrf } = await openRuledApp();
  await using _app = app;
  const cases: [Record<string, string>, RegExp][] = [
    [
      { kind: "active_drop", percent: "0", email: "a@example.org" },
      /"percent" as it must be a number from 1 to 100: current value is 0/,
    ],
    [
      { kind: "active_drop", percent: "half", email: "a@example.org" },
      /"percent" as it must be a number from 1 to 100: current value is "half"/,
    ],
    [
      { kind: "active_drop", percent: "0x10", email: "a@example.org" },
      /current value is "0x10"/,
    ],
    [
      { kind: "silence", hours: "1e400", email: "a@example.org" },
      /"hours" as it must be a number from 1 to 8760/,
    ],
    [
      { kind: "silence", hours: "9000", email: "a@example.org" },
      /"hours" as it must be a number from 1 to 8760: current value is 9000/,
    ],
    [
      { kind: "version_share", percent: "30" },
      /goes nowhere: give a webhook_url, an email or both/,
    ],
    [
      { kind: "version_share", percent: "30", email: "not an address" },
      /"email" as it is not an email address/,
    ],
    [
      { kind: "version_share", webhook_url: "ftp://hooks.example.com/x" },
      /only http and https URLs/,
    ],
    [{ kind: "version_share", webhook_url: "hooks.example.com/x" }, /not an absolute URL/],
    [
      { kind: "version_share", webhook_url: "http://127.0.0.1:9/hook" },
      /internal address, refused unless SHM_ALERT_PRIVATE_WEBHOOKS=true/,
    ],
    [
      { kind: "version_share", webhook_url: "https://user:pw@hooks.example.com/" },
      /user name or password/,
    ],
    [
      { kind: "metric_threshold", metric: "db.rows", email: "a@example.org" },
      /exactly one of "above" and "below"/,
    ],
    [{
      kind: "metric_threshold",
      metric: "db.rows",
      above: "1",
      below: "2",
      email: "a@example.org",
    }, /exactly one/],
    [
      { kind: "metric_threshold", metric: "a b", above: "1", email: "a@example.org" },
      /"metric" must be a metric name: current value is "a b"/,
    ],
    [
      { kind: "metric_threshold", above: "1", email: "a@example.org" },
      /"metric" must be a metric name/,
    ],
    [
      { kind: "active_drop", hours: "3", email: "a@example.org" },
      /Cannot make a active_drop alert with "hours"/,
    ],
  ];
  for (const [fields, problem] of cases) {
    const response = await postForm(app, "/apps/ruled/alerts", {
      session,
      fields: { _csrf: csrf, ...fields },
    });
    assert.equal(response.status, 400, JSON.stringify(fields));
    const html = await response.text();
    const form = formOf(html, fields["kind"]!);
    const error = /data-field="alert-error"[^>]*>([^<]*)</.exec(form)?.[1] ?? "";
    const text = error.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&amp;", "&");
    assert.match(text, problem, JSON.stringify(fields));
    for (const [name, value] of Object.entries(fields)) {
      // A field the form does not have (posted by hand) has nowhere to be shown again.
      if (name === "kind" || !form.includes(`name="${name}"`)) continue;
      const shown = value.replaceAll("&", "&amp;").replaceAll('"', "&quot;");
      assert.ok(form.includes(`name="${name}" value="${shown}"`), `${name} kept: ${value}`);
    }
    // The other forms start from their presets again, without an error.
    assert.equal(html.match(/data-field="alert-error"/g)?.length, 1);
  }
  assert.equal(await ruleCount(app), 0);

  // Typed markup comes back as text, not markup.
  const hostile = await postForm(app, "/apps/ruled/alerts", {
    session,
    fields: { _csrf: csrf, kind: "silence", email: '"><script>alert(1)</script>' },
  });
  assert.equal(hostile.status, 400);
  const hostileHtml = await hostile.text();
  assert.ok(!hostileHtml.includes("<script>alert(1)</script>"));
  assert.ok(hostileHtml.includes('value="&quot;>&lt;script>alert(1)&lt;/script>"'));

  // A kind that is none of the forms', a field given twice: the page's own error line.
  const unknownKind = await postForm(app, "/apps/ruled/alerts", {
    session,
    fields: { _csrf: csrf, kind: "reboot", email: "a@example.org" },
  });
  assert.equal(unknownKind.status, 400);
  assert.match(await unknownKind.text(), /class="error" role="alert">Cannot make an alert as/);
  const twice = await app.fetch(
    "/apps/ruled/alerts",
    asSignedIn(session, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `_csrf=${encodeURIComponent(csrf)}&kind=silence&hours=2&hours=3&email=a%40example.org`,
    }),
  );
  assert.equal(twice.status, 400);
  assert.match(await twice.text(), /&quot;hours&quot; as it must be a number/);
  assert.equal(await ruleCount(app), 0);
});

Deno.test("alerts page: without the CSRF token, as a viewer, or for an unknown application nothing is written", async () => {
  const { app, session, csrf } = await openRuledApp();
  await using _app = app;
  const fields = { kind: "silence", email: "a@example.org" };
  const noToken = await postForm(app, "/apps/ruled/alerts", { session, fields });
  assert.equal(noToken.status, 403);
  await noToken.body?.cancel();
  const otherToken = await postForm(app, "/apps/ruled/alerts", {
    session,
    fields: { ...fields, _csrf: "x".repeat(csrf.length) },
  });
  assert.equal(otherToken.status, 403);
  await otherToken.body?.cancel();

  await insertUser(app.db, {
    username: "victor",
    passwordHash: await hashPassword("victor-password-1"),
    createdAt: app.clock.now(),
    role: "viewer",
  });
  const viewer = await signIn(app, { username: "victor", password: "victor-password-1" });
  const viewerPage = await (await app.fetch("/apps/ruled/settings", asSignedIn(viewer))).text();
  assert.ok(!viewerPage.includes("data-alert-form"), "a viewer's page has no alerts section");
  const asViewer = await postForm(app, "/apps/ruled/alerts", {
    session: viewer,
    fields: { ...fields, _csrf: formToken(viewerPage) },
  });
  assert.equal(asViewer.status, 403);
  await asViewer.body?.cancel();

  const unknown = await postForm(app, "/apps/nothing-here/alerts", {
    session,
    fields: { ...fields, _csrf: csrf },
  });
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
  assert.equal(await ruleCount(app), 0);
});

Deno.test("alerts page: a form makes the rule the API would (secret shown once), a confirmed delete removes it", async () => {
  const { app, session, csrf } = await openRuledApp();
  await using _app = app;
  const made = await postForm(app, "/apps/ruled/alerts", {
    session,
    fields: {
      _csrf: csrf,
      kind: "metric_threshold",
      metric: " db.rows ",
      above: "1.5e3",
      below: "",
      webhook_url: "https://hooks.example.com/shm?x=1",
      email: "",
    },
  });
  assert.equal(made.status, 201);
  const html = await made.text();
  const secret = /data-field="alert-secret">(whsec_[0-9a-f]{64})</.exec(html)?.[1];
  assert.ok(secret, "the secret is shown once");
  const [stored] = await app.db.query<{ secret: string; id: number }>(
    sql`select id, secret from alert_rules`,
  );
  assert.equal(stored?.secret, secret);
  const listed = await (await app.fetch("/api/v1/admin/applications/ruled/alerts", {
    headers: ADMIN,
  })).json();
  assert.deepEqual(
    listed.alerts.map((a: Record<string, unknown>) => ({ ...a, created_at: "" })),
    [{
      id: stored.id,
      kind: "metric_threshold",
      metric: "db.rows",
      above: 1500,
      below: null,
      webhook_url: "https://hooks.example.com/shm?x=1",
      email: null,
      firing: false,
      last_fired_at: null,
      created_at: "",
    }],
  );
  const again = await (await app.fetch("/apps/ruled/settings", asSignedIn(session))).text();
  assert.ok(!again.includes(secret), "never shown again");
  assert.match(again, /the sum of db\.rows went above 1500/);

  // An email-only rule has no secret to show; a preset left empty takes its value.
  const email = await postForm(app, "/apps/ruled/alerts", {
    session,
    fields: { _csrf: csrf, kind: "silence", hours: "", email: "ops@example.org" },
  });
  assert.equal(email.status, 201);
  const emailHtml = await email.text();
  assert.match(emailHtml, /data-field="new-alert"/);
  assert.ok(!emailHtml.includes('data-field="alert-secret"'));
  assert.match(emailHtml, /no snapshot from any instance for 24 hours/);
  assert.equal(await ruleCount(app), 2);

  // Deleting: the link asks first; the confirmation form needs the token.
  assert.match(again, new RegExp(`href="/apps/ruled/settings\\?delete_alert=${stored.id}#alerts"`));
  const confirm = await (await app.fetch(
    `/apps/ruled/settings?delete_alert=${stored.id}`,
    asSignedIn(session),
  )).text();
  const panel = /<div class="panel" data-confirm="delete-alert">(.*?)<\/div>/s.exec(confirm)?.[1];
  assert.ok(panel, "the confirmation is shown");
  assert.match(panel, /Delete the alert “the sum of db\.rows went above 1500”\?/);
  assert.match(panel, new RegExp(`action="/apps/ruled/alerts/${stored.id}/delete"`));
  const noToken = await postForm(app, `/apps/ruled/alerts/${stored.id}/delete`, {
    session,
    fields: {},
  });
  assert.equal(noToken.status, 403);
  await noToken.body?.cancel();
  assert.equal(await ruleCount(app), 2);
  const removed = await postForm(app, `/apps/ruled/alerts/${stored.id}/delete`, {
    session,
    fields: { _csrf: csrf },
  });
  assert.equal(removed.status, 303);
  assert.equal(removed.headers.get("location"), "/apps/ruled/settings?done=alert_deleted#alerts");
  assert.equal(await ruleCount(app), 1);
  const twice = await postForm(app, `/apps/ruled/alerts/${stored.id}/delete`, {
    session,
    fields: { _csrf: csrf },
  });
  assert.equal(twice.headers.get("location"), "/apps/ruled/settings?done=alert_unknown#alerts");
  const after = await (await app.fetch(
    "/apps/ruled/settings?done=alert_deleted",
    asSignedIn(session),
  )).text();
  assert.match(after, /The alert was deleted\./);
  assert.ok(!after.includes(`data-alert="${stored.id}"`));
  // A confirmation asked for a rule that is gone shows nothing to confirm.
  const gone = await (await app.fetch(
    `/apps/ruled/settings?delete_alert=${stored.id}`,
    asSignedIn(session),
  )).text();
  assert.ok(!gone.includes('data-confirm="delete-alert"'));
});

Deno.test("alerts page: past 50 rules the form answers 409 with the API's sentence", async () => {
  const { app, session, csrf } = await openRuledApp();
  await using _app = app;
  for (let i = 0; i < 50; i++) {
    const response = await app.fetch("/api/v1/admin/applications/ruled/alerts", {
      method: "POST",
      headers: ADMIN,
      body: JSON.stringify({ kind: "silence", hours: i + 1, email: "a@example.org" }),
    });
    assert.equal(response.status, 201);
    await response.body?.cancel();
  }
  const full = await postForm(app, "/apps/ruled/alerts", {
    session,
    fields: { _csrf: csrf, kind: "silence", hours: "2", email: "b@example.org" },
  });
  assert.equal(full.status, 409);
  const form = formOf(await full.text(), "silence");
  assert.match(form, /as it has 50 already: delete one first/);
  assert.match(form, /name="email" value="b@example.org"/);
  assert.equal(await ruleCount(app), 50);
});
