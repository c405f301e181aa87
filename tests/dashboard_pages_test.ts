/**
 * The dashboard's instance and settings pages in-process: filters, sorting
 * and keyset pagination of the instances table, the instance page, API
 * tokens (create, list, revoke, use on the admin API), password changes,
 * CSRF refusals and 404s.
 */

import assert from "node:assert/strict";
import { type Database, sql } from "../server/store/mod.ts";
import { FakeClock, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import {
  asSignedIn,
  DASHBOARD_PASSWORD,
  DASHBOARD_USER,
  feedInstance,
  formToken,
  openDashboard,
  postForm,
  signIn,
} from "./support/dashboard.ts";

/** The instance ids of an instances page, in table order. */
function rowIds(html: string): string[] {
  return [...html.matchAll(/<tr data-instance="([0-9a-f-]{36})">/g)].map((m) => m[1] ?? "");
}

/** The next-page link of an instances page, unescaped; null on the last page. */
function nextLink(html: string): string | null {
  const href = /<a rel="next" href="([^"]+)"/.exec(html)?.[1];
  return href === undefined ? null : href.replaceAll("&amp;", "&");
}

async function getPage(app: TestApp, session: string, path: string) {
  const response = await app.fetch(path, asSignedIn(session));
  return { status: response.status, html: await response.text() };
}

/** Follows next-page links from `path` to the last page; returns every row id seen, in order. */
async function walkPages(app: TestApp, session: string, path: string) {
  const ids: string[] = [];
  let pages = 0;
  for (let next: string | null = path; next !== null; pages++) {
    const { status, html } = await getPage(app, session, next);
    assert.equal(status, 200, next);
    ids.push(...rowIds(html));
    next = nextLink(html);
    assert.ok(pages < 50, "pagination ends");
  }
  return { ids, pages };
}

interface Fleet {
  id: string;
  version: string;
  environment: string;
  lastSeen: number;
  firstSeen: number;
}

/**
 * Seven instances of "Paged" whose times are then set so that sort values
 * tie in groups: pages must break ties by id without gaps or duplicates.
 */
async function pagedFleet(app: TestApp): Promise<Fleet[]> {
  const versions = ["1.0.0", "1.1.0", "1.1.0", "2.0.0", "2.0.0", "2.0.0", "1.0.0"];
  const fleet: Fleet[] = [];
  const base = app.clock.now().getTime();
  for (const [i, version] of versions.entries()) {
    const environment = i % 2 === 0 ? "production" : "staging";
    const instance = await feedInstance(app, { appName: "Paged", version, environment });
    const lastSeen = base - Math.floor(i / 3) * 3_600_000;
    const firstSeen = base - 86_400_000 - (i % 2) * 3_600_000;
    await app.db.query(sql`update instances set last_seen = ${new Date(lastSeen)},
      first_seen = ${new Date(firstSeen)} where instance_id = ${instance.instanceId}::uuid`);
    fleet.push({ id: instance.instanceId, version, environment, lastSeen, firstSeen });
  }
  return fleet;
}

function expectedOrder(fleet: Fleet[], key: (f: Fleet) => number | string): string[] {
  return [...fleet].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return ka < kb ? 1 : -1;
    return a.id < b.id ? 1 : -1;
  }).map((f) => f.id);
}

Deno.test("the instances page pages by keyset in every sort order, with no gap or duplicate", async () => {
  await using app = await openDashboard();
  const fleet = await pagedFleet(app);
  await feedInstance(app, { appName: "Other", version: "9.9.9" });
  const session = await signIn(app);
  const orders = {
    last_seen: expectedOrder(fleet, (f) => f.lastSeen),
    first_seen: expectedOrder(fleet, (f) => f.firstSeen),
    version: expectedOrder(fleet, (f) => f.version),
  };
  for (const [sort, expected] of Object.entries(orders)) {
    for (const limit of [1, 2, 3, 7]) {
      const { ids, pages } = await walkPages(
        app,
        session,
        `/apps/paged/instances?sort=${sort}&limit=${limit}`,
      );
      assert.deepEqual(ids, expected, `${sort}, ${limit} a page`);
      assert.equal(pages, Math.ceil(7 / limit), `${sort}, ${limit} a page`);
    }
  }
  const first = await getPage(app, session, "/apps/paged/instances?limit=3");
  assert.match(
    first.html,
    /aria-sort="descending"><a href="\/apps\/paged\/instances\?limit=3">Last seen/,
  );
  assert.doesNotMatch(first.html, />First page</, "the first page links to no first page");
  const second = await getPage(app, session, nextLink(first.html) ?? "");
  assert.match(second.html, /<a href="\/apps\/paged\/instances\?limit=3">First page<\/a>/);
});

Deno.test("the instances page filters by version, status, environment and id prefix, also across pages", async () => {
  await using app = await openDashboard();
  const fleet = await pagedFleet(app);
  const session = await signIn(app);
  const revoked = fleet[3]?.id ?? "";
  await app.db.query(sql`update instances set status = 'revoked'
    where instance_id = ${revoked}::uuid`);
  await app.rollUp();
  const ids = async (query: string) =>
    new Set((await walkPages(app, session, `/apps/paged/instances?limit=1&${query}`)).ids);
  const where = (test: (f: Fleet) => boolean) => new Set(fleet.filter(test).map((f) => f.id));

  assert.deepEqual(await ids("version=2.0.0"), where((f) => f.version === "2.0.0"));
  assert.deepEqual(await ids("environment=staging"), where((f) => f.environment === "staging"));
  assert.deepEqual(await ids("status=revoked"), new Set([revoked]));
  assert.deepEqual(
    await ids("status=active&version=2.0.0"),
    where((f) => f.version === "2.0.0" && f.id !== revoked),
  );
  assert.deepEqual(
    await ids("version=2.0.0&environment=production&sort=version"),
    where((f) => f.version === "2.0.0" && f.environment === "production"),
  );
  const target = fleet[5]?.id ?? "";
  assert.deepEqual(await ids(`q=${target.slice(0, 13).toUpperCase()}`), new Set([target]));
  assert.deepEqual(await ids(`q=${target}`), new Set([target]));
  assert.deepEqual(await ids("version=&status=&environment=&q="), where(() => true));

  const { html } = await getPage(app, session, "/apps/paged/instances?version=9.0.0");
  assert.match(html, /No instance matches/);
  const filtered = await getPage(app, session, "/apps/paged/instances?version=1.1.0");
  assert.match(filtered.html, /<option value="1\.1\.0" selected>1\.1\.0<\/option>/);
  assert.match(filtered.html, /<option value="staging">staging<\/option>/);
});

Deno.test("the instances page answers 404 for an unknown app and 400 for bad parameters or cursors", async () => {
  await using app = await openDashboard();
  await pagedFleet(app);
  const session = await signIn(app);
  const anonymous = await app.fetch("/apps/paged/instances?status=active");
  assert.equal(anonymous.status, 303);
  assert.equal(
    anonymous.headers.get("location"),
    `/login?next=${encodeURIComponent("/apps/paged/instances?status=active")}`,
  );
  assert.equal((await getPage(app, session, "/apps/nope/instances")).status, 404);
  for (
    const query of [
      "sort=name",
      "status=gone",
      "q=xyz",
      "q=1'%20or%201=1",
      "limit=0",
      "limit=201",
      "limit=abc",
      "cursor=bm90LWEtY3Vyc29y",
      "cursor=%%%",
    ]
  ) {
    const { status } = await getPage(app, session, `/apps/paged/instances?${query}`);
    assert.equal(status, 400, query);
  }
  const first = await getPage(app, session, "/apps/paged/instances?limit=2");
  const cursor = new URL(nextLink(first.html) ?? "", "http://x").searchParams.get("cursor");
  assert.ok(cursor);
  const otherSort = await getPage(
    app,
    session,
    `/apps/paged/instances?limit=2&sort=version&cursor=${cursor}`,
  );
  assert.equal(otherSort.status, 400, "a cursor is bound to its sort order");
  assert.match(otherSort.html, /start from the first page/);
});

Deno.test("the instance page shows metadata, latest metrics and per-day history newest first", async () => {
  await using app = await openDashboard({ clock: new FakeClock("2026-11-20T10:00:00Z") });
  const instance = await feedInstance(app, {
    appName: "Detail",
    version: "3.1.0",
    metrics: { users: 3, plan: "pro" },
  });
  app.clock.advance(2 * 86_400_000);
  const again = await instance.snapshotRequest({ users: 5, plan: "team", beta: true }, {
    timestamp: app.clock.now(),
  });
  assert.equal((await app.send(again)).status, 202);
  const session = await signIn(app);

  const list = await getPage(app, session, "/apps/detail/instances");
  assert.match(list.html, new RegExp(`<a href="/instances/${instance.instanceId}">`));
  const { status, html } = await getPage(app, session, `/instances/${instance.instanceId}`);
  assert.equal(status, 200);
  assert.match(html, /data-field="status">active</);
  assert.match(html, /data-field="version">3\.1\.0</);
  assert.match(html, /2026-11-20 10:00:00 UTC/, "first seen");
  assert.match(html, /2026-11-22 10:00:00 UTC/, "last seen");
  assert.match(html, /<tr data-metric="users"><th scope="row">users<\/th><td class="num">5<\/td>/);
  assert.match(html, /<tr data-metric="plan"><th scope="row">plan<\/th><td>team<\/td>/);
  assert.match(html, /<tr data-metric="beta"><th scope="row">beta<\/th><td>true<\/td>/);
  const days = [...html.matchAll(/<tr data-day="([\d-]+)">/g)].map((m) => m[1]);
  assert.deepEqual(days, ["2026-11-22", "2026-11-20"]);
  assert.match(html, /plan=pro, users=3/);
  assert.match(html, /href="\/apps\/detail\/instances"/);

  const upper = await getPage(app, session, `/instances/${instance.instanceId.toUpperCase()}`);
  assert.equal(upper.status, 200, "an id is case-insensitive");
  for (const id of [crypto.randomUUID(), "not-a-uuid", "'; drop table instances; --"]) {
    const missing = await getPage(app, session, `/instances/${encodeURIComponent(id)}`);
    assert.equal(missing.status, 404, id);
    assert.match(missing.html, /No instance has the id/);
  }
  assert.equal((await app.fetch(`/instances/${instance.instanceId}`)).status, 303);
});

async function tokenRows(db: Database) {
  return await db.query<{ id: number; name: string; hash: string; revoked: boolean }>(sql`
    select id, name, encode(token_hash, 'hex') as hash, revoked_at is not null as revoked
    from api_tokens order by id`);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("an API token is shown once, stored hashed, works on the admin API until revoked", async () => {
  await using app = await openDashboard();
  const session = await signIn(app);
  const settings = await getPage(app, session, "/settings");
  assert.equal(settings.status, 200);
  assert.match(settings.html, /No API token yet/);
  assert.match(settings.html, new RegExp(`data-user="${DASHBOARD_USER}"`));
  const csrf = formToken(settings.html);

  const created = await postForm(app, "/settings/tokens", {
    session,
    fields: { _csrf: csrf, name: "CI export" },
  });
  assert.equal(created.status, 201);
  const html = await created.text();
  const token = /data-field="new-token">(shm_[A-Za-z0-9_-]{43})</.exec(html)?.[1];
  assert.ok(token, "the new token is shown");
  const [row] = await tokenRows(app.db);
  assert.equal(row?.name, "CI export");
  assert.equal(row?.hash, await sha256Hex(token), "only the SHA-256 is stored");

  const listed = await getPage(app, session, "/settings");
  assert.ok(!listed.html.includes(token), "the token is never shown again");
  assert.match(listed.html, /<td>CI export<\/td>/);

  const admin = (bearer: string) =>
    app.fetch("/api/v1/admin/stats", { headers: { authorization: `Bearer ${bearer}` } });
  assert.equal((await admin(token)).status, 200);
  assert.equal((await admin(TEST_ADMIN_TOKEN)).status, 200, "the admin token still works");
  await feedInstance(app, { appName: "Tokened", version: "1.0.0" });
  const putSettings = (init: RequestInit) =>
    app.fetch("/api/v1/admin/applications/tokened/settings", {
      method: "PUT",
      body: JSON.stringify({ public_badges: false }),
      ...init,
      headers: { "content-type": "application/json", ...init.headers },
    });
  const put = await putSettings({ headers: { authorization: `Bearer ${token}` } });
  assert.equal(put.status, 200, await put.text());
  assert.equal(
    (await putSettings(asSignedIn(session))).status,
    401,
    "a session cannot change settings through the JSON API",
  );
  const altered = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
  assert.equal((await admin(altered)).status, 401, "a token one character off is refused");
  const [used] = await app.db.query<{ used: boolean }>(
    sql`select last_used_at is not null as used from api_tokens`,
  );
  assert.equal(used?.used, true);

  const refused = await postForm(app, `/settings/tokens/${row?.id}/revoke`, {
    session,
    fields: {},
  });
  assert.equal(refused.status, 403, "revoking needs the CSRF token");
  assert.equal((await admin(token)).status, 200, "still live");

  const revoked = await postForm(app, `/settings/tokens/${row?.id}/revoke`, {
    session,
    fields: { _csrf: csrf },
  });
  assert.equal(revoked.status, 303);
  assert.equal(revoked.headers.get("location"), "/settings?done=revoked");
  assert.equal((await admin(token)).status, 401);
  assert.equal(
    (await putSettings({ headers: { authorization: `Bearer ${token}` } })).status,
    401,
  );
  assert.equal((await tokenRows(app.db))[0]?.revoked, true);
  const again = await postForm(app, `/settings/tokens/${row?.id}/revoke`, {
    session,
    fields: { _csrf: csrf },
  });
  assert.equal(again.status, 404);
  assert.match((await getPage(app, session, "/settings")).html, /revoked just now/);
});

Deno.test("token forms without the CSRF token are refused and change nothing; others' tokens stay", async () => {
  await using app = await openDashboard();
  const session = await signIn(app);
  for (const fields of [{ name: "x" }, { _csrf: "forged", name: "x" }]) {
    const response = await postForm(app, "/settings/tokens", { session, fields });
    assert.equal(response.status, 403);
  }
  assert.deepEqual(await tokenRows(app.db), []);
  const anonymous = await app.fetch("/settings/tokens", { method: "POST", body: "name=x" });
  assert.equal(anonymous.status, 303);
  assert.equal((await app.fetch("/settings")).status, 303);

  const csrf = formToken((await getPage(app, session, "/settings")).html);
  const noName = await postForm(app, "/settings/tokens", { session, fields: { _csrf: csrf } });
  assert.equal(noName.status, 400);
  assert.deepEqual(await tokenRows(app.db), []);

  // Bob's token cannot be revoked by Alice.
  await app.db.query(sql`insert into users (username, password_hash, created_at)
    values ('bob', 'x', now())`);
  await app.db.query(sql`insert into api_tokens (user_id, name, token_hash, created_at)
    select id, 'bob token', ${
    new Uint8Array(32).fill(7)
  }, now() from users where username = 'bob'`);
  const [bobs] = await tokenRows(app.db);
  const steal = await postForm(app, `/settings/tokens/${bobs?.id}/revoke`, {
    session,
    fields: { _csrf: csrf },
  });
  assert.equal(steal.status, 404);
  assert.equal((await tokenRows(app.db))[0]?.revoked, false);
  assert.doesNotMatch((await getPage(app, session, "/settings")).html, /bob token/);
});

Deno.test("changing one's password needs the current one and the CSRF token, and ends other sessions", async () => {
  await using app = await openDashboard();
  const session = await signIn(app);
  const other = await signIn(app);
  const csrf = formToken((await getPage(app, session, "/settings")).html);
  const change = (fields: Record<string, string>) =>
    postForm(app, "/settings/password", { session, fields });
  const NEW = "a-new-password-2";

  assert.equal(
    (await change({
      current_password: DASHBOARD_PASSWORD,
      new_password: NEW,
      confirm_password: NEW,
    }))
      .status,
    403,
    "no CSRF token",
  );
  const wrong = await change({
    _csrf: csrf,
    current_password: "not-it-at-all",
    new_password: NEW,
    confirm_password: NEW,
  });
  assert.equal(wrong.status, 403);
  assert.match(await wrong.text(), /current password is wrong/);
  const differ = await change({
    _csrf: csrf,
    current_password: DASHBOARD_PASSWORD,
    new_password: NEW,
    confirm_password: `${NEW}x`,
  });
  assert.equal(differ.status, 400);
  const short = await change({
    _csrf: csrf,
    current_password: DASHBOARD_PASSWORD,
    new_password: "short",
    confirm_password: "short",
  });
  assert.equal(short.status, 400);
  assert.match(await short.text(), /at least 8 characters/);
  assert.equal((await app.fetch("/", asSignedIn(other))).status, 200, "nothing changed yet");

  const done = await change({
    _csrf: csrf,
    current_password: DASHBOARD_PASSWORD,
    new_password: NEW,
    confirm_password: NEW,
  });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get("location"), "/settings?done=password");
  assert.match(
    (await getPage(app, session, "/settings?done=password")).html,
    /password was changed/,
  );
  assert.equal((await app.fetch("/", asSignedIn(other))).status, 303, "the other session ended");
  await signIn(app, { username: DASHBOARD_USER, password: NEW });
  const old = await app.fetch("/login");
  const loginCsrf = /shm_login_csrf=([^;]+)/.exec(old.headers.get("set-cookie") ?? "")?.[1] ?? "";
  await old.body?.cancel();
  const refusedOld = await app.fetch("/login", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: `shm_login_csrf=${loginCsrf}`,
    },
    body: new URLSearchParams({
      _csrf: loginCsrf,
      username: DASHBOARD_USER,
      password: DASHBOARD_PASSWORD,
    }).toString(),
  });
  assert.equal(refusedOld.status, 401, "the old password no longer works");
});

Deno.test("the application page links to its instances, and every page links to the settings", async () => {
  await using app = await openDashboard();
  await feedInstance(app, { appName: "Linked", version: "1.0.0" });
  const session = await signIn(app);
  const { html } = await getPage(app, session, "/apps/linked");
  assert.match(html, /<a href="\/apps\/linked\/instances" data-link="instances">/);
  assert.match(html, /<a href="\/settings">Settings<\/a>/);
});
