/**
 * GitHub stars and releases of an application (issue 14), end to end on the
 * store of this run (PGlite, or PostgreSQL with SHM_TEST_PG_URL): the
 * repository set by the admin API and the settings form (strictly checked),
 * read by the upkeep's GitHub round from a local fake of the API, and shown
 * by `GET /api/v1/admin/applications/{slug}`, the `latest` badge, the
 * overview, the application page (panel, uptakes, chart markers) and the
 * settings page, whose note tells a failed read while every page stays up.
 */

import assert from "node:assert/strict";
import { refreshGithubRepos } from "../server/github/mod.ts";
import { sql } from "../server/store/mod.ts";
import { FakeClock, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import {
  asSignedIn,
  feedInstance,
  formToken,
  openDashboard,
  postForm,
  signIn,
} from "./support/dashboard.ts";
import { FakeGithub, rateLimited } from "./support/fake_github.ts";
import type { TestInstance } from "./support/instance_client.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;
const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" };

/** Rows of one of the GitHub tables. */
async function countRows(app: TestApp, table: "repos" | "releases"): Promise<number> {
  const [row] = await app.db.query<{ n: number }>(
    table === "repos"
      ? sql`select count(*)::int as n from github_repos`
      : sql`select count(*)::int as n from github_releases`,
  );
  return row?.n ?? 0;
}

async function openApp(github: FakeGithub, clock = new FakeClock()): Promise<TestApp> {
  return await openDashboard({
    clock,
    settings: { SHM_GITHUB_API_URL: github.url, SHM_BADGE_MIN_INSTANCES: "3" },
  });
}

/** One GitHub round of the upkeep as of the test clock. */
function readRepos(app: TestApp) {
  return refreshGithubRepos(app.db, {
    settings: { apiUrl: app.config.githubApiUrl, token: app.config.githubToken },
    now: app.clock.now,
  });
}

async function putSettings(app: TestApp, slug: string, body: unknown) {
  const response = await app.fetch(`/api/v1/admin/applications/${slug}/settings`, {
    method: "PUT",
    headers: ADMIN,
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function appJson(app: TestApp, slug: string) {
  const response = await app.fetch(`/api/v1/admin/applications/${slug}`, { headers: ADMIN });
  assert.equal(response.status, 200);
  return await response.json();
}

async function fleet(app: TestApp, versions: string[]): Promise<TestInstance[]> {
  const instances = [];
  for (const version of versions) {
    instances.push(await feedInstance(app, { appName: "widget", version }));
  }
  return instances;
}

Deno.test("github_repo: the admin API refuses what is not owner/name with 400 and writes nothing", async () => {
  await using github = new FakeGithub();
  await using app = await openApp(github);
  await fleet(app, ["1.0.0"]);
  for (const bad of ["widget", "acme/wid get", "-acme/widget", "acme/widget.git", 7, ["a/b"]]) {
    const { status, body } = await putSettings(app, "widget", { github_repo: bad });
    assert.equal(status, 400, JSON.stringify(bad));
    assert.equal(body.error.code, "invalid_setting");
    assert.match(body.error.message, /^Cannot use "github_repo" as /);
  }
  const together = await putSettings(app, "widget", { public_badges: false, github_repo: "a/.." });
  assert.equal(together.status, 400);
  assert.equal(await countRows(app, "repos"), 0);
  const settings = await app.fetch("/api/v1/admin/applications/widget/settings", {
    headers: ADMIN,
  });
  const saved = await settings.json();
  assert.equal(saved.github_repo, null);
  assert.equal(saved.public_badges, true, "the other field of the refused body was not written");
  const detail = await appJson(app, "widget");
  assert.equal(detail.github, null);
  assert.equal(detail.latest_release_share, null);
});

Deno.test("github_repo: set by the API, read by the upkeep's round within its minute, then not again for an hour", async () => {
  await using github = new FakeGithub();
  github.repos.set("acme/widget", {
    stars: 1234,
    releases: [
      { tag: "v1.3.0-beta.1", publishedAt: "2026-11-24T10:00:00Z", prerelease: true },
      { tag: "v1.2.0", publishedAt: "2026-11-20T09:00:00Z" },
      { tag: "v1.1.0", publishedAt: "2026-11-01T09:00:00Z" },
    ],
  });
  await using app = await openApp(github);
  await fleet(app, ["1.2.0", "v1.2.0", "1.2.0", "1.2.0", "1.1.0"]);
  await app.rollUp();
  const set = await putSettings(app, "widget", { github_repo: "acme/widget" });
  assert.equal(set.status, 200);
  assert.equal(set.body.github_repo, "acme/widget");
  const before = await appJson(app, "widget");
  assert.deepEqual(before.github, {
    repo: "acme/widget",
    stars: null,
    latest_release: null,
    checked_at: null,
    error: null,
  });

  assert.deepEqual(await readRepos(app), { read: 1, failed: 0, rateLimitedUntil: null });
  const after = await appJson(app, "widget");
  assert.deepEqual(after.github, {
    repo: "acme/widget",
    stars: 1234,
    latest_release: { tag: "v1.2.0", published_at: "2026-11-20T09:00:00.000Z" },
    checked_at: app.clock.now().toISOString(),
    error: null,
  });
  assert.equal(after.latest_release_share, 0.8, "4 of 5 active instances, with or without the v");

  const asked = github.requests.length;
  app.clock.advance(59 * MINUTE);
  assert.deepEqual(await readRepos(app), { read: 0, failed: 0, rateLimitedUntil: null });
  assert.equal(github.requests.length, asked, "not due yet");
  app.clock.advance(2 * MINUTE);
  github.repos.get("acme/widget")!.stars = 1300;
  assert.equal((await readRepos(app)).read, 1);
  assert.equal((await appJson(app, "widget")).github.stars, 1300);

  // The same repository again changes nothing; another starts over; null removes it all.
  await putSettings(app, "widget", { github_repo: "acme/widget" });
  assert.equal((await appJson(app, "widget")).github.stars, 1300);
  await putSettings(app, "widget", { github_repo: "acme/other" });
  assert.deepEqual((await appJson(app, "widget")).github.stars, null);
  await putSettings(app, "widget", { github_repo: null });
  assert.equal((await appJson(app, "widget")).github, null);
  assert.equal(await countRows(app, "releases"), 0);
});

Deno.test("latest_release is GitHub's latest, by created_at: a release published later from an older commit is not it", async () => {
  await using github = new FakeGithub();
  github.repos.set("acme/widget", {
    stars: 5,
    releases: [
      // GitHub lists by created_at; published_at says otherwise for the backport.
      { tag: "v2.0.0", publishedAt: "2026-11-20T09:00:00Z", createdAt: "2026-11-18T09:00:00Z" },
      { tag: "v1.9.1", publishedAt: "2026-11-22T09:00:00Z", createdAt: "2026-11-15T09:00:00Z" },
      { tag: "v1.9.0", publishedAt: "2026-11-01T09:00:00Z", createdAt: "2026-11-01T08:00:00Z" },
    ],
  });
  await using app = await openApp(github);
  await fleet(app, ["2.0.0", "2.0.0", "1.9.1", "1.9.1", "1.9.1"]);
  await app.rollUp();
  await putSettings(app, "widget", { github_repo: "acme/widget" });
  await readRepos(app);
  const detail = await appJson(app, "widget");
  assert.deepEqual(detail.github.latest_release, {
    tag: "v2.0.0",
    published_at: "2026-11-20T09:00:00.000Z",
  });
  assert.equal(detail.latest_release_share, 0.4, "2 of 5 on v2.0.0, not 3 of 5 on v1.9.1");
  const [stored] = await app.db.query<{ created: Date }>(sql`
    select created_at as created from github_releases where tag = 'v1.9.1'`);
  assert.deepEqual(stored?.created, new Date("2026-11-15T09:00:00Z"));

  // Rows read before migration 0013 have no created_at: they are ordered by published_at.
  await app.db.query(sql`update github_releases set created_at = null`);
  const before = await appJson(app, "widget");
  assert.equal(before.github.latest_release.tag, "v1.9.1");
  assert.equal(before.latest_release_share, 0.6);
  // The next read stores created_at again, and GitHub's latest with it.
  app.clock.advance(61 * MINUTE);
  assert.equal((await readRepos(app)).read, 1);
  assert.equal((await appJson(app, "widget")).github.latest_release.tag, "v2.0.0");
});

Deno.test("badge /badge/{slug}/latest: 'on latest: 80%', under the threshold '< 3 instances', hidden when badges are off", async () => {
  await using github = new FakeGithub();
  github.repos.set("acme/widget", {
    stars: 10,
    releases: [{ tag: "2.0.0", publishedAt: "2026-11-20T09:00:00Z" }],
  });
  await using app = await openApp(github);
  await fleet(app, ["2.0.0", "1.9.0"]);
  await app.rollUp();
  const badge = async () => await (await app.fetch("/badge/widget/latest.json")).json();
  const none = await badge();
  assert.deepEqual([none.label, none.message], ["on latest", "no release"], "no repository yet");
  await putSettings(app, "widget", { github_repo: "acme/widget" });
  await readRepos(app);
  assert.equal((await badge()).message, "< 3 instances", "2 active instances, k = 3");
  await fleet(app, ["2.0.0", "2.0.0", "2.0.0"]);
  await app.rollUp();
  const shown = await badge();
  assert.equal(shown.label, "on latest");
  assert.equal(shown.message, "80%");
  const svg = await app.fetch("/badge/widget/latest?label=up%20to%20date");
  assert.equal(svg.status, 200);
  assert.match(await svg.text(), /up to date.*80%/s);
  await putSettings(app, "widget", { public_badges: false });
  assert.equal((await badge()).message, "unknown app");
});

Deno.test("a failed read (404, rate limit, garbage) is a note on the settings page; the figures read before stay and every page answers", async () => {
  await using github = new FakeGithub();
  github.repos.set("acme/widget", {
    stars: 42,
    releases: [{ tag: "v1.0.0", publishedAt: "2026-11-20T09:00:00Z" }],
  });
  github.repos.set("acme/gadget", { stars: 7, releases: [] });
  await using app = await openApp(github);
  await fleet(app, ["1.0.0"]);
  await feedInstance(app, { appName: "gadget", version: "0.1.0" });
  await app.rollUp();
  await putSettings(app, "widget", { github_repo: "acme/widget" });
  await readRepos(app);
  await putSettings(app, "gadget", { github_repo: "acme/gadget" });
  app.clock.advance(61 * MINUTE);

  // The rate limit is met by the first read: the second repository is not asked before the reset.
  const reset = Math.floor(app.clock.now().getTime() / 1000) + 30 * 60;
  github.answer = () => rateLimited(reset);
  const asked = github.requests.length;
  const limited = await readRepos(app);
  assert.deepEqual(limited, { read: 0, failed: 2, rateLimitedUntil: new Date(reset * 1000) });
  assert.equal(github.requests.length, asked + 1);
  const widget = (await appJson(app, "widget")).github;
  assert.equal(widget.stars, 42, "the stars read before stay");
  assert.equal(widget.latest_release.tag, "v1.0.0");
  assert.match(widget.error, /rate limit was reached/);
  assert.match((await appJson(app, "gadget")).github.error, /rate limit was reached/);
  app.clock.advance(20 * MINUTE);
  assert.equal((await readRepos(app)).failed, 0, "nothing is due before the reset");
  assert.equal(github.requests.length, asked + 1);

  app.clock.advance(11 * MINUTE);
  github.answer = (url) =>
    url.pathname.startsWith("/repos/acme/widget")
      ? new Response("<html>Unicorn!</html>", { status: 200 })
      : undefined;
  assert.deepEqual(await readRepos(app), { read: 1, failed: 1, rateLimitedUntil: null });
  assert.match((await appJson(app, "widget")).github.error, /not JSON/);
  assert.equal((await appJson(app, "gadget")).github.error, null);

  const session = await signIn(app);
  const settings = await app.fetch("/apps/widget/settings", asSignedIn(session));
  assert.equal(settings.status, 200);
  const html = await settings.text();
  assert.match(html, /data-field="github-error"[^>]*>The last read, at [^<]*, failed: GitHub/);
  assert.match(html, /name="github_repo"[^>]*value="acme\/widget"/);
  for (const path of ["/", "/apps/widget", "/apps/widget?period=24h", "/apps/gadget"]) {
    const page = await app.fetch(path, asSignedIn(session));
    assert.equal(page.status, 200, path);
    await page.body?.cancel();
  }

  github.answer = () => new Response("gone", { status: 404 });
  app.clock.advance(61 * MINUTE);
  await readRepos(app);
  assert.match((await appJson(app, "gadget")).github.error, /404/);
});

Deno.test("the settings form sets and clears the repository, and shows a bad one again with 400", async () => {
  await using github = new FakeGithub();
  await using app = await openApp(github);
  await fleet(app, ["1.0.0"]);
  const session = await signIn(app);
  const page = await (await app.fetch("/apps/widget/settings", asSignedIn(session))).text();
  const csrf = formToken(page);
  const bad = await postForm(app, "/apps/widget/settings", {
    session,
    fields: { _csrf: csrf, public_badges: "on", github_repo: "acme/<b>" },
  });
  assert.equal(bad.status, 400);
  const badHtml = await bad.text();
  assert.match(badHtml, /The GitHub repository cannot be used as its name must be/);
  assert.match(badHtml, /value="acme\/&lt;b>"/, "what was typed, escaped");
  assert.equal(await countRows(app, "repos"), 0);

  const saved = await postForm(app, "/apps/widget/settings", {
    session,
    fields: { _csrf: csrf, public_badges: "on", github_repo: " acme/widget " },
  });
  assert.equal(saved.status, 303);
  const shown = await (await app.fetch("/apps/widget/settings", asSignedIn(session))).text();
  assert.match(shown, /data-field="github-note"[^>]*>Not read yet/);
  assert.equal((await appJson(app, "widget")).github.repo, "acme/widget");

  // A form without the field leaves the repository; an empty one removes it.
  await postForm(app, "/apps/widget/settings", {
    session,
    fields: { _csrf: csrf, public_badges: "on" },
  });
  assert.equal((await appJson(app, "widget")).github.repo, "acme/widget");
  await postForm(app, "/apps/widget/settings", {
    session,
    fields: { _csrf: csrf, public_badges: "on", github_repo: "" },
  });
  assert.equal((await appJson(app, "widget")).github, null);
});

Deno.test("the overview shows stars; the app page the latest release, its share, earlier uptakes and chart markers", async () => {
  await using github = new FakeGithub();
  github.repos.set("acme/widget", {
    stars: 2048,
    releases: [
      { tag: "v1.2.0", publishedAt: "2026-11-23T09:00:00Z" },
      { tag: "v1.1.0", publishedAt: "2026-11-20T09:00:00Z" },
      { tag: "v1.0.0", publishedAt: "2026-11-10T09:00:00Z" },
    ],
  });
  const clock = new FakeClock("2026-11-21T12:00:00Z");
  await using app = await openApp(github, clock);
  // Day 21: three instances on 1.1.0 (a day after its release), none ever on 1.0.0.
  const old = await fleet(app, ["1.1.0", "1.1.0", "1.1.0"]);
  app.clock.advance(3 * DAY);
  // Day 24: two more, on 1.2.0; the three report again.
  for (const instance of old) {
    const sent = await app.send(
      await instance.snapshotRequest({ users: 1 }, {
        timestamp: app.clock.now(),
      }),
    );
    assert.equal(sent.status, 202);
  }
  await fleet(app, ["1.2.0", "1.2.0"]);
  await app.rollUp();
  await putSettings(app, "widget", { github_repo: "acme/widget" });
  await readRepos(app);

  const session = await signIn(app);
  const overview = await (await app.fetch("/", asSignedIn(session))).text();
  assert.match(overview, /data-field="stars">2,048</);

  const html = await (await app.fetch("/apps/widget?period=30d", asSignedIn(session))).text();
  assert.match(html, /data-field="latest-release">v1\.2\.0, 2026-11-23</);
  assert.match(html, /data-field="latest-share">40% of 5</);
  const uptakes = /<table class="data" data-field="uptakes">(.*?)<\/table>/s.exec(html)?.[1];
  assert.ok(uptakes, "the uptake table is shown");
  assert.match(uptakes, /<td>v1\.1\.0<\/td><td>2026-11-20<\/td><td class="num">1<\/td>/);
  assert.match(uptakes, /<td>v1\.0\.0<\/td><td>2026-11-10<\/td><td class="num">not reached<\/td>/);
  assert.match(html, /data-markers="3"/, "the three releases of the last 30 days are marked");
  assert.match(html, /Releases: v1\.0\.0 \(2026-11-10\), v1\.1\.0 \(2026-11-20\), v1\.2\.0/);
  const week = await (await app.fetch("/apps/widget?period=7d", asSignedIn(session))).text();
  assert.match(week, /data-markers="2"/, "v1.0.0 is older than the 7 days shown");
});
