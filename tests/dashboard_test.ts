/**
 * The dashboard in-process: sign-in, sessions, CSRF, the login rate limit,
 * redirects, the pages' HTML, and the numbers behind them.
 */

import assert from "node:assert/strict";
import { ensureFirstAccount, SESSION_TTL_MS } from "../server/accounts/mod.ts";
import { applicationActivity, dashboardOverview } from "../server/stats/mod.ts";
import { type Database, sql } from "../server/store/mod.ts";
import { scriptSafeJson } from "../server/ui/Island.tsx";
import { FakeClock, openTestApp, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import {
  asSignedIn,
  cookieValue,
  DASHBOARD_PASSWORD,
  DASHBOARD_USER,
  feedInstance,
  formToken,
  openDashboard,
} from "./support/dashboard.ts";

function setCookieHeader(response: Response, name: string): string | undefined {
  return response.headers.getSetCookie().find((header) => header.startsWith(`${name}=`));
}

/** Opens the login form and returns its CSRF cookie (and field, which is the same token). */
async function loginForm(app: TestApp, init: RequestInit & { address?: string } = {}) {
  const response = await app.fetch("/login", init);
  assert.equal(response.status, 200);
  const cookie = cookieValue(response, "shm_login_csrf");
  assert.ok(cookie);
  assert.equal(formToken(await response.text()), cookie);
  return cookie;
}

function postLogin(
  app: TestApp,
  fields: Record<string, string>,
  options: { cookie?: string; next?: string; address?: string; headers?: Record<string, string> } =
    {},
) {
  return app.fetch(`/login${options.next === undefined ? "" : `?next=${options.next}`}`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(options.cookie === undefined ? {} : { cookie: `shm_login_csrf=${options.cookie}` }),
      ...options.headers,
    },
    body: new URLSearchParams(fields).toString(),
    ...(options.address === undefined ? {} : { address: options.address }),
  });
}

/** Signs in as the test user and returns the session cookie's value. */
async function signIn(app: TestApp): Promise<string> {
  const csrf = await loginForm(app);
  const response = await postLogin(app, {
    _csrf: csrf,
    username: DASHBOARD_USER,
    password: DASHBOARD_PASSWORD,
  }, {
    cookie: csrf,
  });
  assert.equal(response.status, 303);
  const session = cookieValue(response, "shm_session");
  assert.ok(session);
  return session;
}

async function sessionCount(db: Database): Promise<number> {
  const [row] = await db.query<{ n: number }>(sql`select count(*)::int as n from sessions`);
  return row?.n ?? 0;
}

Deno.test("a page without a session redirects to /login with the page to return to", async () => {
  await using app = await openDashboard();
  for (const path of ["/", "/apps/anything?period=7d"]) {
    const response = await app.fetch(path);
    assert.equal(response.status, 303, path);
    assert.equal(response.headers.get("location"), `/login?next=${encodeURIComponent(path)}`);
  }
  const forged = await app.fetch("/", { headers: { cookie: "shm_session=not-a-session" } });
  assert.equal(forged.status, 303);
});

Deno.test("signing in sets an HttpOnly SameSite=Lax session cookie and opens the pages", async () => {
  await using app = await openDashboard();
  const csrf = await loginForm(app);
  const response = await postLogin(app, {
    _csrf: csrf,
    username: DASHBOARD_USER,
    password: DASHBOARD_PASSWORD,
  }, {
    cookie: csrf,
    next: encodeURIComponent("/apps/x?period=7d"),
  });
  assert.equal(response.status, 303);
  assert.equal(response.headers.get("location"), "/apps/x?period=7d");
  const header = setCookieHeader(response, "shm_session") ?? "";
  assert.match(header, /; HttpOnly/);
  assert.match(header, /; SameSite=Lax/);
  assert.doesNotMatch(header, /Secure/, "plain HTTP gets no Secure cookie");
  assert.equal(await sessionCount(app.db), 1);

  const page = await app.fetch("/", asSignedIn(cookieValue(response, "shm_session") ?? ""));
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
  const html = await page.text();
  assert.match(html, /No instance has reported yet/);
  assert.match(html, /serverUrl: &quot;http:\/\/shm\.test&quot;/);
});

Deno.test("the session cookie is Secure behind a trusted HTTPS proxy, and only then", async () => {
  for (const [trust, secure] of [["true", true], ["false", false]] as const) {
    await using app = await openDashboard({ settings: { SHM_TRUST_PROXY: trust } });
    const headers = { "x-forwarded-proto": "https" };
    const csrf = await loginForm(app, { headers });
    const response = await postLogin(app, {
      _csrf: csrf,
      username: DASHBOARD_USER,
      password: DASHBOARD_PASSWORD,
    }, {
      cookie: csrf,
      headers,
    });
    assert.equal(response.status, 303);
    assert.equal(/; Secure/.test(setCookieHeader(response, "shm_session") ?? ""), secure, trust);
  }
});

Deno.test("a wrong password or unknown user gets 401 and no session", async () => {
  await using app = await openDashboard();
  const csrf = await loginForm(app);
  for (
    const [username, password] of [[DASHBOARD_USER, "wrong-password"], [
      "mallory",
      DASHBOARD_PASSWORD,
    ]] as const
  ) {
    const response = await postLogin(app, { _csrf: csrf, username, password }, { cookie: csrf });
    assert.equal(response.status, 401);
    assert.equal(cookieValue(response, "shm_session"), undefined);
    assert.match(await response.text(), /Wrong username or password/);
  }
  assert.equal(await sessionCount(app.db), 0);
});

Deno.test("a login post without its CSRF token is refused with 403, even with the right password", async () => {
  await using app = await openDashboard();
  const csrf = await loginForm(app);
  const cases = [
    { fields: { username: DASHBOARD_USER, password: DASHBOARD_PASSWORD }, cookie: csrf },
    { fields: { _csrf: csrf, username: DASHBOARD_USER, password: DASHBOARD_PASSWORD } },
    {
      fields: { _csrf: "other-token", username: DASHBOARD_USER, password: DASHBOARD_PASSWORD },
      cookie: csrf,
    },
  ];
  for (const { fields, cookie } of cases) {
    const response = await postLogin(app, fields, cookie === undefined ? {} : { cookie });
    assert.equal(response.status, 403);
    assert.equal(cookieValue(response, "shm_session"), undefined);
  }
  assert.equal(await sessionCount(app.db), 0);
});

Deno.test("logout needs the session's CSRF token, then ends the session", async () => {
  await using app = await openDashboard();
  const session = await signIn(app);
  const page = await app.fetch("/", asSignedIn(session));
  const csrf = formToken(await page.text());
  const form = (body: string) =>
    asSignedIn(session, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });

  const refused = await app.fetch("/logout", form(""));
  assert.equal(refused.status, 403);
  assert.equal((await app.fetch("/", asSignedIn(session))).status, 200, "still signed in");

  const done = await app.fetch("/logout", form(`_csrf=${csrf}`));
  assert.equal(done.status, 303);
  assert.equal(done.headers.get("location"), "/login");
  assert.match(setCookieHeader(done, "shm_session") ?? "", /Max-Age=0/);
  assert.equal(await sessionCount(app.db), 0);
  assert.equal((await app.fetch("/", asSignedIn(session))).status, 303);
});

Deno.test("a session expires seven days after sign-in", async () => {
  await using app = await openDashboard();
  const session = await signIn(app);
  app.clock.advance(SESSION_TTL_MS - 1000);
  assert.equal((await app.fetch("/", asSignedIn(session))).status, 200);
  app.clock.advance(1000);
  const expired = await app.fetch("/", asSignedIn(session));
  assert.equal(expired.status, 303);
  assert.equal(expired.headers.get("location"), "/login?next=%2F");
});

Deno.test("sign-in attempts are limited to 10 failures a minute per address", async () => {
  await using app = await openDashboard();
  const csrf = await loginForm(app);
  for (let i = 0; i < 10; i++) {
    const response = await postLogin(app, {
      _csrf: csrf,
      username: DASHBOARD_USER,
      password: "nope-nope",
    }, {
      cookie: csrf,
    });
    assert.equal(response.status, 401, `attempt ${i + 1}`);
  }
  const limited = await postLogin(app, {
    _csrf: csrf,
    username: DASHBOARD_USER,
    password: DASHBOARD_PASSWORD,
  }, {
    cookie: csrf,
  });
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  assert.equal(cookieValue(limited, "shm_session"), undefined);
  assert.equal(await sessionCount(app.db), 0);

  // The per-username limit (tests/sign_in_limits_test.ts) holds the same user elsewhere too.
  const elsewhere = await postLogin(app, {
    _csrf: csrf,
    username: DASHBOARD_USER,
    password: DASHBOARD_PASSWORD,
  }, {
    cookie: csrf,
    address: "198.51.100.7",
  });
  assert.equal(elsewhere.status, 429, "ten failures for one user hold it from unknown browsers");
});

Deno.test("after sign-in, next never leads to another site", async () => {
  await using app = await openDashboard();
  for (const next of ["//evil.example/", "https://evil.example/", "/\\evil.example"]) {
    const csrf = await loginForm(app);
    const response = await postLogin(app, {
      _csrf: csrf,
      username: DASHBOARD_USER,
      password: DASHBOARD_PASSWORD,
    }, {
      cookie: csrf,
      next: encodeURIComponent(next),
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/", next);
  }
});

Deno.test("GET /login with a session goes straight to the page asked for", async () => {
  await using app = await openDashboard();
  const session = await signIn(app);
  const response = await app.fetch("/login?next=%2Fapps%2Fa", asSignedIn(session));
  assert.equal(response.status, 303);
  assert.equal(response.headers.get("location"), "/apps/a");
});

Deno.test("the admin API accepts a session as well as the bearer token", async () => {
  await using app = await openDashboard();
  const session = await signIn(app);
  assert.equal((await app.fetch("/api/v1/admin/stats", asSignedIn(session))).status, 200);
  const bearer = await app.fetch("/api/v1/admin/stats", {
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  assert.equal(bearer.status, 200);
  assert.equal((await app.fetch("/api/v1/admin/stats")).status, 401);
  const stale = await app.fetch("/api/v1/admin/stats", asSignedIn("x".repeat(43)));
  assert.equal(stale.status, 401);
});

Deno.test("the overview shows one card per application with its active count and top version", async () => {
  await using app = await openDashboard();
  await feedInstance(app, { appName: "Alpha App", version: "2.0.0" });
  await feedInstance(app, { appName: "Alpha App", version: "2.0.0" });
  await feedInstance(app, { appName: "Alpha App", version: "1.9.0" });
  await feedInstance(app, { appName: "Beta", version: "0.1.0" });
  await app.rollUp();
  const session = await signIn(app);
  const html = await (await app.fetch("/", asSignedIn(session))).text();
  assert.doesNotMatch(html, /No instance has reported yet/);
  const card = /<a class="card" href="\/apps\/alpha-app" data-app="alpha-app">(.*?)<\/a>/s
    .exec(html)?.[1] ?? "";
  assert.match(card, /<h2>Alpha App<\/h2>/);
  assert.match(card, /data-field="active">3</);
  assert.match(card, /data-field="top-version">2\.0\.0 \(2\)</);
  assert.match(html, /data-app="beta"/);
});

Deno.test("the application page keeps the period in its links and answers 400/404 for bad ones", async () => {
  await using app = await openDashboard();
  await feedInstance(app, { appName: "Alpha App", version: "2.0.0" });
  const session = await signIn(app);
  const page = await app.fetch("/apps/alpha-app?period=7d", asSignedIn(session));
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(
    html,
    /<a href="\/apps\/alpha-app\?period=7d" aria-current="page" data-period="7d">/,
  );
  assert.match(html, /<a href="\/apps\/alpha-app\?period=1y" data-period="1y">/);
  assert.match(html, /data-island="TimeSeriesChart"/);
  assert.match(html, /data-points="7"/);
  assert.equal(
    (await app.fetch("/apps/alpha-app?period=2w", asSignedIn(session))).status,
    400,
  );
  assert.equal((await app.fetch("/apps/nope", asSignedIn(session))).status, 404);
});

Deno.test("applicationActivity() counts reporting instances per day and per version", async () => {
  await using app = await openDashboard({ clock: new FakeClock("2026-11-20T10:00:00Z") });
  const a = await feedInstance(app, {
    appName: "Alpha",
    version: "1.0.0",
    metrics: { users: 3, db: "sqlite" },
  });
  await feedInstance(app, {
    appName: "Alpha",
    version: "1.0.0",
    environment: "staging",
    metrics: { users: 5, db: "postgres" },
  });
  app.clock.advance(2 * 86_400_000); // 2026-11-22: only one of the two reports again
  const again = await a.snapshotRequest({ users: 4, db: "postgres" }, {
    timestamp: app.clock.now(),
  });
  assert.equal((await app.send(again)).status, 202);
  const stats = { db: app.db, now: app.clock.now, activeDays: 30 };
  const before = await applicationActivity(stats, "alpha", "7d");
  assert.ok(before.kind === "found");
  assert.deepEqual(before.reporting, [0, 0, 0, 0, 0, 0, 0], "no rollup yet");
  assert.equal(before.daily?.computedAt, null);
  await app.rollUp();
  const week = await applicationActivity(stats, "alpha", "7d");
  assert.ok(week.kind === "found" && week.daily);
  assert.equal(week.step, "day");
  assert.equal(week.buckets.length, 7);
  assert.equal(week.buckets.at(-1), Date.parse("2026-11-22T00:00:00Z") / 1000);
  assert.deepEqual(week.reporting, [0, 0, 0, 0, 2, 0, 1]);
  assert.deepEqual(week.versions, [{ label: "1.0.0", instances: [0, 0, 0, 0, 2, 0, 1] }]);
  assert.deepEqual(week.daily.active, [0, 0, 0, 0, 2, 2, 2]);
  assert.deepEqual(week.daily.new, [0, 0, 0, 0, 2, 0, 0]);
  assert.deepEqual(week.daily.gone, [0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(week.daily.platforms.find((p) => p.field === "environment")?.series, [
    { label: "production", instances: [0, 0, 0, 0, 1, 0, 1] },
    { label: "staging", instances: [0, 0, 0, 0, 1, 0, 0] },
  ]);
  const users = week.daily.numberMetrics.find((m) => m.name === "users");
  assert.deepEqual(users?.sum, [null, null, null, null, 8, null, 4]);
  assert.deepEqual(users?.avg, [null, null, null, null, 4, null, 4]);
  assert.deepEqual(users?.p50, [null, null, null, null, 4, null, 4]);
  assert.deepEqual(week.daily.valueMetrics.find((m) => m.name === "db")?.values, [
    { label: "postgres", instances: [0, 0, 0, 0, 1, 0, 1] },
    { label: "sqlite", instances: [0, 0, 0, 0, 1, 0, 0] },
  ]);
  assert.equal(week.daily.computedAt?.toISOString(), "2026-11-22T10:00:00.000Z");

  const day = await applicationActivity(stats, "alpha", "24h");
  assert.ok(day.kind === "found");
  assert.equal(day.step, "hour");
  assert.equal(day.buckets.length, 24);
  assert.equal(day.buckets.at(-1), Date.parse("2026-11-22T10:00:00Z") / 1000);
  assert.equal(day.reporting.at(-1), 1);
  assert.equal(day.reporting.reduce((x, y) => x + y, 0), 1, "the 20th is outside 24 h");
  assert.deepEqual(await applicationActivity(stats, "nope", "7d"), { kind: "unknown_app" });

  const overview = await dashboardOverview(stats);
  assert.deepEqual(
    overview.applications.map((card) => [card.slug, card.activeInstances, card.topVersion]),
    [["alpha", 2, { version: "1.0.0", instances: 2 }]],
  );
});

Deno.test("ensureFirstAccount() creates the first account once, and only with a password", async () => {
  await using app = await openTestApp();
  await app.db.execScript("truncate users, sessions, api_tokens restart identity cascade");
  const now = app.clock.now();
  assert.equal(
    await ensureFirstAccount(app.db, { username: "admin", password: null, now }),
    "no_password",
  );
  assert.equal(
    await ensureFirstAccount(app.db, { username: "admin", password: "first-pass", now }),
    "created",
  );
  assert.equal(
    await ensureFirstAccount(app.db, { username: "root", password: "other-pass", now }),
    "exists",
  );
  const users = await app.db.query<{ username: string }>(sql`select username from users`);
  assert.deepEqual(users.map((u) => u.username), ["admin"]);
});

Deno.test("island props are JSON that cannot close their script element", () => {
  const text = scriptSafeJson({ a: "</script><script>alert(1)</script>", b: "\u2028&" });
  assert.ok(!text.includes("<") && !text.includes(">") && !text.includes("&"));
  assert.deepEqual(JSON.parse(text), { a: "</script><script>alert(1)</script>", b: "\u2028&" });
});

Deno.test("the overview's trend compares active instances with a week before, from the rollups", async () => {
  await using app = await openDashboard({ clock: new FakeClock("2026-11-10T10:00:00Z") });
  await feedInstance(app, { appName: "Trend", version: "1.0.0" });
  await feedInstance(app, { appName: "Trend", version: "1.0.0" });
  await app.rollUp();
  const stats = { db: app.db, now: app.clock.now, activeDays: 30 };
  assert.equal((await dashboardOverview(stats)).applications[0]?.trend, null, "no week yet");
  app.clock.advance(7 * 86_400_000);
  await feedInstance(app, { appName: "Trend", version: "1.0.0" });
  await app.rollUp();
  assert.deepEqual((await dashboardOverview(stats)).applications[0]?.trend, { from: 2, to: 3 });
  const session = await signIn(app);
  const html = await (await app.fetch("/", asSignedIn(session))).text();
  assert.match(html, /data-field="trend">\+50 % \(2 → 3\)</);
});

Deno.test("applicationActivity() charts the runtime the SDKs send with the platforms, the original SDK's sys_node_version as node", async () => {
  await using app = await openDashboard({ clock: new FakeClock("2026-11-20T10:00:00Z") });
  await feedInstance(app, {
    appName: "Runtimes",
    version: "1.0.0",
    metrics: { sys_runtime: "deno" },
  });
  await feedInstance(app, {
    appName: "Runtimes",
    version: "1.0.0",
    metrics: { sys_runtime: "node" },
  });
  await feedInstance(app, {
    appName: "Runtimes",
    version: "1.0.0",
    metrics: { sys_runtime: "node" },
  });
  // The original Node.js SDK sends sys_node_version instead: its instances run on node too.
  await feedInstance(app, {
    appName: "Runtimes",
    version: "1.0.0",
    metrics: { sys_node_version: "v20.11.0" },
  });
  await app.rollUp();
  const week = await applicationActivity(
    { db: app.db, now: app.clock.now, activeDays: 30 },
    "runtimes",
    "7d",
  );
  assert.ok(week.kind === "found" && week.daily);
  const runtime = week.daily.platforms.find((p) => p.title === "Runtime");
  assert.deepEqual(runtime?.series, [
    { label: "node", instances: [0, 0, 0, 0, 0, 0, 3] },
    { label: "deno", instances: [0, 0, 0, 0, 0, 0, 1] },
  ]);
  assert.deepEqual(
    week.daily.valueMetrics.map((m) => m.name),
    ["sys_node_version"],
    "sys_runtime is not charted twice; the original's Node.js versions keep their chart",
  );
});
