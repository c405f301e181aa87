/**
 * Excluded environments (issue 13): per application, the environments whose
 * instances are left out of the public numbers (default ci, test, dev,
 * development, compared trimmed and without case). Badges, the public page
 * (HTML and JSON) and the overview's active figure leave them out; the
 * application page shows them apart and includes them with
 * `?environments=all`, its CSV export too. The list is changed through the
 * admin API and the settings form (audited, bad values refused with 400 and
 * nothing written), and the next upkeep round computes the figures again.
 */

import assert from "node:assert/strict";
import { excludedEnvironmentsChanged, sql } from "../server/store/mod.ts";
import { TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import {
  asSignedIn,
  feedInstance,
  formToken,
  openDashboard,
  postForm,
  signIn,
} from "./support/dashboard.ts";

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const SLUG = "envy-app";
const DEFAULT_LIST = ["ci", "test", "dev", "development"];

/**
 * Six active instances of `envy-app`: three in production, one in staging,
 * one registered as "CI" and one as " Test " (the original SDK's register
 * field, as sent), with `users` 1, 2, 3, 10, 100 and 1000.
 */
async function buildFleet(app: TestApp): Promise<void> {
  const fleet: [string, number][] = [
    ["production", 1],
    ["production", 2],
    ["production", 3],
    ["staging", 10],
    ["CI", 100],
    [" Test ", 1000],
  ];
  for (const [environment, users] of fleet) {
    await feedInstance(app, {
      appName: "Envy App",
      version: "1.0.0",
      environment,
      metrics: { users },
    });
  }
  await app.rollUp();
}

async function openFleet(): Promise<{ app: TestApp; session: string }> {
  // k = 1: every figure exact, so that one instance more or less shows.
  const app = await openDashboard({ settings: { SHM_BADGE_MIN_INSTANCES: "1" } });
  await buildFleet(app);
  const session = await signIn(app);
  return { app, session };
}

async function settings(app: TestApp): Promise<Record<string, unknown>> {
  const response = await app.fetch(`/api/v1/admin/applications/${SLUG}/settings`, {
    headers: ADMIN,
  });
  assert.equal(response.status, 200);
  return await response.json();
}

async function putSettings(app: TestApp, body: string): Promise<Response> {
  return await app.fetch(`/api/v1/admin/applications/${SLUG}/settings`, {
    method: "PUT",
    headers: { ...ADMIN, "content-type": "application/json" },
    body,
  });
}

async function badgeCount(app: TestApp, metric = false): Promise<string> {
  const path = metric
    ? `/badge/${SLUG}/metric/users.json?agg=sum`
    : `/badge/${SLUG}/instances.json`;
  const response = await app.fetch(path);
  assert.equal(response.status, 200);
  return (await response.json()).message;
}

async function publicActive(app: TestApp): Promise<unknown> {
  const response = await app.fetch(`/p/${SLUG}.json`);
  assert.equal(response.status, 200);
  const body = await response.json();
  return body.active.now;
}

async function overviewActive(app: TestApp, session: string): Promise<string> {
  const html = await (await app.fetch("/", asSignedIn(session))).text();
  const card = html.slice(html.indexOf(`data-app="${SLUG}"`));
  const match = /data-field="active">([^<]*)</.exec(card);
  assert.ok(match, "the overview has the application's card");
  return match[1]!;
}

async function appPage(app: TestApp, session: string, query = ""): Promise<string> {
  const response = await app.fetch(`/apps/${SLUG}${query}`, asSignedIn(session));
  assert.equal(response.status, 200);
  return await response.text();
}

function field(html: string, name: string): string {
  const match = new RegExp(`data-field="${name}"[^>]*>([^<]*)<`).exec(html);
  assert.ok(match, `the page has ${name}`);
  return match[1]!;
}

async function auditCount(app: TestApp): Promise<number> {
  const [row] = await app.db.query<{ n: number }>(
    sql`select count(*)::int as n from audit_log where action = 'app_settings.change'`,
  );
  return row!.n;
}

Deno.test("excluded environments: a new application excludes ci, test, dev and development", async () => {
  await using app = await openDashboard();
  await feedInstance(app, { appName: "Envy App", version: "1.0.0" });
  assert.deepEqual((await settings(app))["excluded_environments"], DEFAULT_LIST);
});

Deno.test("excluded environments: badges, the public page and the overview leave CI and test out; the app page shows them apart", async () => {
  const { app, session } = await openFleet();
  await using _ = app;
  assert.equal((await putSettings(app, '{"public_page": true}')).status, 200);
  await app.rollUp();

  assert.equal(await badgeCount(app), "4", "production ×3 and staging");
  assert.equal(await badgeCount(app, true), "16", "1 + 2 + 3 + 10");
  assert.equal(await publicActive(app), 4);
  const publicHtml = await (await app.fetch(`/p/${SLUG}`)).text();
  assert.doesNotMatch(publicHtml, />\s*6\s*</, "the public page never shows 6 active");
  assert.equal(await overviewActive(app, session), "4");

  const counted = await appPage(app, session);
  assert.equal(field(counted, "active"), "4");
  assert.equal(field(counted, "excluded-active"), "2");
  assert.match(counted, /more in excluded environments: ci 1, test 1/);
  assert.match(counted, /href="\/apps\/envy-app\?period=30d&amp;environments=all"/);
  // The default view's environment breakdown has no excluded environment.
  const environments = await app.fetch(
    `/apps/${SLUG}/export?chart=now-environments`,
    asSignedIn(session),
  );
  assert.equal(environments.status, 200);
  const countedCsv = await environments.text();
  assert.match(countedCsv, /production,3/);
  assert.doesNotMatch(countedCsv, /CI|Test/);
  // So is the daily chart of active instances.
  const dailyCsv = await (await app.fetch(
    `/apps/${SLUG}/export?chart=instances&period=7d`,
    asSignedIn(session),
  )).text();
  assert.match(dailyCsv.trim().split("\n").at(-1)!, /,4(,|$)/, dailyCsv);
});

Deno.test("excluded environments: ?environments=all includes them on the app page and its CSV export", async () => {
  const { app, session } = await openFleet();
  await using _ = app;
  const all = await appPage(app, session, "?environments=all");
  assert.equal(field(all, "active"), "6");
  assert.equal(field(all, "excluded-active"), "2");
  assert.match(all, /These figures include the excluded environments/);
  // Every period and CSV link keeps the choice.
  assert.match(all, /href="\/apps\/envy-app\?period=7d&amp;environments=all"/);
  assert.match(all, /href="\/apps\/envy-app\/export\?chart=now-versions&amp;environments=all"/);
  const csv = await app.fetch(
    `/apps/${SLUG}/export?chart=now-environments&environments=all`,
    asSignedIn(session),
  );
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get("content-disposition") ?? "", /all-environments/);
  const text = await csv.text();
  assert.match(text, /CI,1/);
  assert.match(text, / Test ,1/);
  const dailyCsv = await (await app.fetch(
    `/apps/${SLUG}/export?chart=instances&period=7d&environments=all`,
    asSignedIn(session),
  )).text();
  assert.match(dailyCsv.trim().split("\n").at(-1)!, /,6(,|$)/, dailyCsv);

  const bad = await app.fetch(`/apps/${SLUG}?environments=some`, asSignedIn(session));
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /Cannot count the environments &quot;some&quot;/);
});

Deno.test("excluded environments: a list changed through the admin API changes the figures at the next round, audited", async () => {
  const { app, session } = await openFleet();
  await using _ = app;
  assert.equal((await putSettings(app, '{"public_page": true}')).status, 200);
  const audited = await auditCount(app);
  const saved = await putSettings(
    app,
    '{"excluded_environments": [" Staging ", "staging", "QA"]}',
  );
  assert.equal(saved.status, 200);
  assert.deepEqual((await saved.json())["excluded_environments"], ["staging", "qa"]);
  assert.deepEqual((await settings(app))["excluded_environments"], ["staging", "qa"]);
  assert.equal(await auditCount(app), audited + 1);
  const [entry] = await app.db.query<{ detail: unknown }>(sql`
    select detail from audit_log where action = 'app_settings.change' order by id desc limit 1`);
  // postgres.js may hand jsonb over as its text; PGlite parses it.
  const detail = typeof entry?.detail === "string" ? JSON.parse(entry.detail) : entry?.detail;
  assert.deepEqual(detail, { excluded_environments: ["staging", "qa"] });

  // The upkeep's pause ends when a list differs from the one its figures were computed with.
  assert.equal(await excludedEnvironmentsChanged(app.db), true);
  await app.rollUp();
  assert.equal(await excludedEnvironmentsChanged(app.db), false);
  assert.equal(await badgeCount(app), "5", "CI and test count again, staging not");
  assert.equal(await publicActive(app), 5, "the daily rollups were computed again");
  assert.equal(await overviewActive(app, session), "5");
  assert.match(await appPage(app, session), /more in excluded environments: staging 1/);

  const none = await putSettings(app, '{"excluded_environments": []}');
  assert.equal(none.status, 200);
  await app.rollUp();
  assert.equal(await badgeCount(app), "6");
  assert.equal(await publicActive(app), 6);
});

Deno.test("excluded environments: the settings form edits the list as comma-separated names", async () => {
  const { app, session } = await openFleet();
  await using _ = app;
  const page = await (await app.fetch(`/apps/${SLUG}/settings`, asSignedIn(session))).text();
  assert.match(page, /name="excluded_environments" value="ci, test, dev, development"/);
  const saved = await postForm(app, `/apps/${SLUG}/settings`, {
    session,
    fields: {
      _csrf: formToken(page),
      display_name: "",
      public_badges: "on",
      excluded_environments: "CI, Test,, staging ,",
    },
  });
  assert.equal(saved.status, 303);
  assert.deepEqual((await settings(app))["excluded_environments"], ["ci", "test", "staging"]);
  await app.rollUp();
  assert.equal(await badgeCount(app), "3", "production only");
  assert.equal(await overviewActive(app, session), "3");

  const before = await settings(app);
  const audited = await auditCount(app);
  const refused = await postForm(app, `/apps/${SLUG}/settings`, {
    session,
    fields: {
      _csrf: formToken(page),
      display_name: "Renamed",
      public_badges: "on",
      excluded_environments: `ci, ${"x".repeat(65)}`,
    },
  });
  assert.equal(refused.status, 400);
  const html = await refused.text();
  assert.match(html, /Excluded environments are up to 32 names/);
  assert.match(html, new RegExp(`value="ci, ${"x".repeat(65)}"`), "the form keeps what was typed");
  assert.deepEqual(await settings(app), before, "nothing written, not even the display name");
  assert.equal(await auditCount(app), audited);
});

Deno.test("excluded environments: bad values get 400 with a clear message and change nothing", async () => {
  const { app } = await openFleet();
  await using _ = app;
  const before = await settings(app);
  const audited = await auditCount(app);
  const cases: [unknown, RegExp][] = [
    ["ci", /must be an array of strings: current value is "ci"/],
    [null, /must be an array of strings: current value is null/],
    [[1], /each entry must be a string: current entry is 1/],
    [[""], /1 to 64 characters once trimmed: current entry is ""/],
    [["   "], /1 to 64 characters once trimmed/],
    [["x".repeat(65)], /1 to 64 characters once trimmed/],
    [["a\u0000b"], /printable characters without a comma/],
    [["line\nbreak"], /printable characters without a comma/],
    [["a,b"], /printable characters without a comma/],
    [["\u202eevil"], /printable characters without a comma/],
    [
      Array.from({ length: 33 }, (_, i) => `env${i}`),
      /more than 32 environments: current count is 33/,
    ],
  ];
  for (const [value, message] of cases) {
    const body = JSON.stringify({ public_badges: false, excluded_environments: value });
    const response = await putSettings(app, body);
    assert.equal(response.status, 400, body);
    const error = (await response.json()).error;
    assert.equal(error.code, "invalid_setting", body);
    assert.match(error.message, /^Cannot use "excluded_environments" as /, body);
    assert.match(error.message, message, body);
  }
  // 32 distinct entries are fine, and so are 33 that are 32 once deduplicated.
  const many = Array.from({ length: 32 }, (_, i) => `env${i}`);
  assert.deepEqual(await settings(app), before, "nothing written");
  assert.equal(await auditCount(app), audited);
  const fine = await putSettings(app, JSON.stringify({ excluded_environments: [...many, "ENV0"] }));
  assert.equal(fine.status, 200);
  assert.deepEqual((await fine.json())["excluded_environments"], many);
});
