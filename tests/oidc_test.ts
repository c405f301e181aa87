/**
 * OpenID Connect sign-in (issue 15) against a real provider (`oidc-provider`
 * from npm, in this process on a loopback port): in chromium against a real
 * server process (sign in, role from the admin group, a refused domain,
 * sign-out); in-process (both stores by SHM_TEST_STORE): the role re-synced
 * at every sign-in, the bad callbacks (no state cookie, missing or wrong
 * state, the provider's error), claims of the wrong type, a name taken by a
 * local account, a provider down at start, and the settings (no password
 * form for an account made by the provider, nor for anyone with local sign-in
 * off).
 */

import assert from "node:assert/strict";
import { startSession } from "../server/accounts/mod.ts";
import { ConfigError, readConfig } from "../server/config.ts";
import { openMigratedStore, sql } from "../server/store/mod.ts";
import { TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, recordProblems } from "./support/browser.ts";
import { cookieValue, formToken, openDashboard, signIn } from "./support/dashboard.ts";
import { chromium } from "./support/dev_deps.ts";
import { freePort, startProvider, type TestPerson } from "./support/oidc_provider.ts";
import { startServer } from "./support/server.ts";
import { freshStoreSetting } from "./support/store.ts";

/** The provider's people, by login. */
const PEOPLE: Record<string, TestPerson> = {
  ada: {
    email: "ada@example.org",
    email_verified: true,
    preferred_username: "ada",
    groups: ["staff", "shm-admins"],
  },
  bob: { email: "bob@example.org", email_verified: true, groups: ["staff"] },
  eve: { email: "eve@elsewhere.test", email_verified: true, groups: ["staff"] },
  // Verified nowhere: the domain alone does not let her in.
  una: { email: "una@example.org", email_verified: false },
  // In the allowed group, whatever her address.
  gia: { email: "gia@partner.test", email_verified: true, groups: ["contractors"] },
  // Claims of the wrong type.
  bad: { email: "bad@example.org", email_verified: true, groups: "shm-admins" },
  // Named like the local admin.
  alice: { email: "alice@example.org", email_verified: true, preferred_username: "alice" },
  // A name that is not a username here: the account gets a derived one.
  odd: { email: "odd+tag@example.org", email_verified: true, preferred_username: "odd one" },
};

function oidcSettings(issuer: string, secret: string): Record<string, string> {
  return {
    SHM_OIDC_ISSUER: issuer,
    SHM_OIDC_CLIENT_ID: "shm-test",
    SHM_OIDC_CLIENT_SECRET: secret,
    SHM_OIDC_NAME: "Test IdP",
    SHM_OIDC_ALLOWED_DOMAINS: "example.org",
    SHM_OIDC_ALLOWED_GROUPS: "contractors",
    SHM_OIDC_ADMIN_GROUP: "shm-admins",
  };
}

/** The in-process app's own address, as its requests' URLs have it. */
const APP_URL = "http://shm.test";

async function accounts(app: TestApp) {
  return await app.db.query<{ username: string; role: string }>(
    sql`select username, role from users order by username`,
  );
}

/** Starts a sign-in at the app: the provider's URL and the sign-in cookie. */
async function startSignIn(app: TestApp): Promise<{ location: URL; cookie: string }> {
  const start = await app.fetch("/login/oidc?next=%2Fsettings");
  assert.equal(start.status, 303);
  const cookie = cookieValue(start, "shm_oidc_login");
  assert.ok(cookie, "the sign-in cookie is set");
  const header = start.headers.getSetCookie().find((line) => line.startsWith("shm_oidc_login="));
  assert.match(header ?? "", /HttpOnly/);
  assert.match(header ?? "", /SameSite=Lax/);
  assert.match(header ?? "", /Path=\/login\/oidc/);
  assert.match(header ?? "", /Max-Age=600/);
  return { location: new URL(start.headers.get("location")!), cookie };
}

/** A browser at the provider, as far as cookies go: plain HTTP, redirects not followed. */
class ProviderBrowser {
  readonly #jar = new Map<string, string>();

  /** Fetches `url` with the jar's cookies and keeps those the answer sets (or clears). */
  async fetch(url: URL, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.#jar].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: { ...init.headers, cookie },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const value = pair!.slice(eq + 1);
      if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) {
        this.#jar.delete(pair!.slice(0, eq));
      } else this.#jar.set(pair!.slice(0, eq), value);
    }
    return response;
  }
}

/**
 * Signs `login` in at the provider's development login page with plain
 * HTTP (in `browser`, by default one of its own), from the authorization URL
 * to the redirect back to the app; returns that callback URL.
 */
async function loginAtProvider(
  authorization: URL,
  login: string,
  browser = new ProviderBrowser(),
): Promise<URL> {
  let url = authorization;
  let init: RequestInit = {};
  for (let hop = 0; hop < 12; hop++) {
    const response = await browser.fetch(url, init);
    const location = response.headers.get("location");
    if (location !== null) {
      await response.body?.cancel();
      url = new URL(location, url);
      if (url.href.startsWith(APP_URL)) return url;
      init = {};
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    assert.ok(action, `the provider shows a form (${response.status}): ${html.slice(0, 300)}`);
    url = new URL(action.replaceAll("&amp;", "&"), url);
    init = {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ prompt: "login", login, password: "any" }).toString(),
    };
  }
  throw new Error("the provider did not send the browser back");
}

/** Signs `login` in through the app and the provider; the app's answer to the callback. */
async function signInThrough(
  app: TestApp,
  login: string,
  browser?: ProviderBrowser,
): Promise<Response> {
  const { location, cookie } = await startSignIn(app);
  const callback = await loginAtProvider(location, login, browser);
  return await app.fetch(`${callback.pathname}${callback.search}`, {
    headers: { cookie: `shm_oidc_login=${cookie}` },
  });
}

async function auditLines(app: TestApp, action: string) {
  return (await app.db.query<{ actor: string; target: string; detail: unknown }>(sql`
    select actor, target, detail from audit_log where action = ${action} order by id`))
    .map((line) => ({
      ...line,
      detail: typeof line.detail === "string" ? JSON.parse(line.detail) : line.detail,
    }));
}

async function openWithProvider(
  options: { settings?: Record<string, string>; claimsInIdToken?: boolean } = {},
) {
  const provider = await startProvider({
    publicUrl: APP_URL,
    people: PEOPLE,
    ...(options.claimsInIdToken === undefined ? {} : { claimsInIdToken: options.claimsInIdToken }),
  });
  const app = await openDashboard({
    settings: {
      SHM_PUBLIC_URL: APP_URL,
      ...oidcSettings(provider.issuer, provider.clientSecret),
      ...options.settings,
    },
  });
  return {
    provider,
    app,
    async [Symbol.asyncDispose]() {
      await app[Symbol.asyncDispose]();
      await provider[Symbol.asyncDispose]();
    },
  };
}

const PROVIDER_TEST = { sanitizeResources: false, sanitizeOps: false } as const;

Deno.test({
  name:
    "oidc: sign-in makes the account with the role of its groups, bound to its subject, and re-syncs the role at every sign-in",
  ...PROVIDER_TEST,
  async fn() {
    await using both = await openWithProvider();
    const { app } = both;
    const login = await app.fetch("/login");
    const html = await login.text();
    assert.match(html, /Sign in with Test IdP/);
    assert.match(html, /name="password"/, "local sign-in stays on by default");

    const ada = await signInThrough(app, "ada");
    assert.equal(ada.status, 303);
    assert.equal(ada.headers.get("location"), "/settings", "back to the page asked");
    const session = cookieValue(ada, "shm_session");
    assert.ok(session);
    assert.equal(cookieValue(ada, "shm_oidc_login"), "", "the sign-in cookie is used once");
    const settings = await app.fetch("/settings", {
      headers: { cookie: `shm_session=${session}` },
    });
    assert.equal(settings.status, 200);
    assert.match(await settings.text(), /ada/);

    assert.equal((await signInThrough(app, "bob")).status, 303);
    assert.equal((await signInThrough(app, "gia")).status, 303, "in an allowed group");
    const odd = await signInThrough(app, "odd");
    assert.equal(odd.status, 303);
    const made = await accounts(app);
    const oddName = made.find((a) => a.username.startsWith("oidc-"))?.username ?? "";
    assert.match(oddName, /^oidc-[0-9a-f]{16}$/, "a name that is no username here is not used");
    assert.deepEqual(made.filter((a) => a.username !== oddName), [
      { username: "ada", role: "admin" },
      { username: "alice", role: "admin" },
      { username: "bob@example.org", role: "viewer" },
      { username: "gia@partner.test", role: "viewer" },
    ]);
    const identities = await app.db.query<{ n: number }>(
      sql`select count(*)::int as n from oidc_identities`,
    );
    assert.equal(identities[0]?.n, 4);
    assert.deepEqual(
      (await auditLines(app, "account.create")).map((line) => [line.actor, line.target]),
      [
        ["openid connect", "ada"],
        ["openid connect", "bob@example.org"],
        ["openid connect", "gia@partner.test"],
        ["openid connect", oddName],
      ],
    );

    // Bob joins the admin group at the provider: his next sign-in makes him an admin, audited.
    PEOPLE["bob"] = { ...PEOPLE["bob"], groups: ["staff", "shm-admins"] };
    try {
      assert.equal((await signInThrough(app, "bob")).status, 303);
    } finally {
      PEOPLE["bob"] = { ...PEOPLE["bob"], groups: ["staff"] };
    }
    assert.equal(
      (await accounts(app)).find((a) => a.username === "bob@example.org")?.role,
      "admin",
    );
    // And leaves it: a viewer again.
    assert.equal((await signInThrough(app, "bob")).status, 303);
    assert.equal(
      (await accounts(app)).find((a) => a.username === "bob@example.org")?.role,
      "viewer",
    );
    assert.deepEqual(await auditLines(app, "account.role"), [
      {
        actor: "openid connect",
        target: "bob@example.org",
        detail: { from: "viewer", to: "admin" },
      },
      {
        actor: "openid connect",
        target: "bob@example.org",
        detail: { from: "admin", to: "viewer" },
      },
    ]);

    // A disabled account is refused.
    await app.db.query(
      sql`update users set disabled_at = now() where username = 'gia@partner.test'`,
    );
    const disabled = await signInThrough(app, "gia");
    assert.equal(disabled.status, 403);
    assert.match(await disabled.text(), /the account is disabled/);
  },
});

Deno.test({
  name: "oidc: the last active admin is not demoted by their groups; the log says why",
  ...PROVIDER_TEST,
  async fn() {
    await using both = await openWithProvider();
    const { app } = both;
    assert.equal((await signInThrough(app, "ada")).status, 303);
    // Only ada is an active admin once alice is disabled.
    await app.db.query(sql`update users set disabled_at = now() where username = 'alice'`);
    PEOPLE["ada"] = { ...PEOPLE["ada"], groups: ["staff"] };
    try {
      assert.equal((await signInThrough(app, "ada")).status, 303);
    } finally {
      PEOPLE["ada"] = { ...PEOPLE["ada"], groups: ["staff", "shm-admins"] };
    }
    assert.equal((await accounts(app)).find((a) => a.username === "ada")?.role, "admin");
    assert.deepEqual(await auditLines(app, "account.role"), []);
    assert.ok(
      app.logs.some(({ level, line }) =>
        level === "warn" && line["msg"] === "role kept: the last active admin is not demoted" &&
        line["username"] === "ada"
      ),
    );
  },
});

Deno.test({
  name:
    "oidc: refused people make nothing: a domain not allowed, an unverified address, claims of the wrong type, a local account's name",
  ...PROVIDER_TEST,
  async fn() {
    await using both = await openWithProvider();
    const { app } = both;
    const sessionsBefore = await app.db.query(sql`select count(*)::int as n from sessions`);
    for (
      const [login, status, pattern] of [
        ["eve", 403, /eve@elsewhere\.test at Test IdP may not sign in here/],
        ["una", 403, /may not sign in here/],
        ["bad", 502, /groups claim that is not a list/],
        ["alice", 409, /another account has that name/],
      ] as const
    ) {
      const response = await signInThrough(app, login);
      assert.equal(response.status, status, login);
      assert.match(await response.text(), pattern, login);
      assert.equal(cookieValue(response, "shm_session"), undefined, login);
    }
    assert.deepEqual(await accounts(app), [{ username: "alice", role: "admin" }]);
    assert.deepEqual(
      await app.db.query(sql`select count(*)::int as n from sessions`),
      sessionsBefore,
    );
    assert.deepEqual(await auditLines(app, "account.create"), []);
  },
});

Deno.test({
  name:
    "oidc: bad callbacks are 400/403 pages: no sign-in cookie, missing state, another state, a forged cookie, the provider's error",
  ...PROVIDER_TEST,
  async fn() {
    await using both = await openWithProvider();
    const { app } = both;
    const { location, cookie } = await startSignIn(app);
    const state = location.searchParams.get("state")!;
    assert.equal(location.searchParams.get("code_challenge_method"), "S256");
    assert.ok(location.searchParams.get("nonce"));
    assert.ok(cookie.startsWith(`${state}.`), "the cookie keeps the state");
    const callback = await loginAtProvider(location, "ada");
    const code = callback.searchParams.get("code")!;
    const iss = callback.searchParams.get("iss") ?? "";
    const cases: [string, Record<string, string>, number, RegExp][] = [
      ["no cookie", {}, 400, /no sign-in with the provider in progress/],
      ["forged cookie", { cookie: "shm_oidc_login=a.b.c.d" }, 400, /no sign-in .* in progress/],
    ];
    for (const [what, headers, status, pattern] of cases) {
      const response = await app.fetch(`${callback.pathname}${callback.search}`, { headers });
      assert.equal(response.status, status, what);
      assert.match(await response.text(), pattern, what);
    }
    const withCookie = { cookie: `shm_oidc_login=${cookie}` };
    const queries: [string, URLSearchParams, number, RegExp][] = [
      ["missing state", new URLSearchParams({ code, iss }), 400, /its state differs/],
      ["wrong state", new URLSearchParams({ code, iss, state: `${state}x` }), 400, /state differs/],
      [
        "provider error",
        new URLSearchParams({
          error: "access_denied",
          error_description: "The user said no\u0007",
          state,
          iss,
        }),
        403,
        /did not sign you in: access_denied \(The user said no/,
      ],
      ["no parameters", new URLSearchParams(), 400, /state differs/],
    ];
    for (const [what, query, status, pattern] of queries) {
      const response = await app.fetch(`/login/oidc/callback?${query}`, { headers: withCookie });
      assert.equal(response.status, status, what);
      const text = await response.text();
      assert.match(text, pattern, what);
      assert.ok(!text.includes("\u0007"), what);
      assert.equal(cookieValue(response, "shm_session"), undefined, what);
    }
    assert.deepEqual(await accounts(app), [{ username: "alice", role: "admin" }]);
    // The genuine answer still works with its own cookie: nothing above was half-done.
    const good = await app.fetch(`${callback.pathname}${callback.search}`, { headers: withCookie });
    assert.equal(good.status, 303);
    await good.body?.cancel();
    // A code is used once: replaying the same callback is refused by the provider, not a 500.
    const replay = await app.fetch(`${callback.pathname}${callback.search}`, {
      headers: withCookie,
    });
    assert.equal(replay.status, 502);
    assert.match(await replay.text(), /cannot be trusted or used/);
  },
});

Deno.test({
  name:
    "oidc: a provider down at start is a note on the login page; local sign-in still works; the sign-in button works once it is up",
  ...PROVIDER_TEST,
  async fn() {
    const port = freePort();
    await using app = await openDashboard({
      settings: {
        SHM_PUBLIC_URL: APP_URL,
        ...oidcSettings(`http://127.0.0.1:${port}`, "secret-down"),
      },
    });
    const login = await app.fetch("/login");
    assert.equal(login.status, 200);
    const html = await login.text();
    assert.match(html, /Sign-in with Test IdP is unavailable: Test IdP did not answer/);
    assert.match(html, /name="password"/);
    const start = await app.fetch("/login/oidc?next=%2Fapps");
    assert.equal(start.status, 303, "back to the login page, which says why");
    assert.equal(start.headers.get("location"), "/login?next=%2Fapps");
    assert.equal(cookieValue(start, "shm_oidc_login"), undefined);
    const callback = await app.fetch("/login/oidc/callback?code=x&state=y", {
      headers: {
        cookie: `shm_oidc_login=${"a".repeat(43)}.${"b".repeat(43)}.${"c".repeat(43)}.Lw`,
      },
    });
    assert.equal(callback.status, 503);
    assert.match(await callback.text(), /did not answer as an OpenID Connect provider/);
    assert.ok(await signIn(app), "local sign-in works");
    assert.ok(
      app.logs.some(({ level, line }) =>
        level === "warn" && line["msg"] === "openid connect discovery failed"
      ),
    );
    // The provider comes up: the next click on the button reads its discovery document again.
    await using provider = await startProvider({ publicUrl: APP_URL, people: PEOPLE, port });
    const retried = await app.fetch("/login/oidc");
    assert.equal(retried.status, 303);
    assert.ok(retried.headers.get("location")?.startsWith(`${provider.issuer}/`));
    await retried.body?.cancel();
    assert.doesNotMatch(await (await app.fetch("/login")).text(), /unavailable/);
  },
});

Deno.test({
  name: "oidc: with local sign-in off the login page has the button only and POST /login is 403",
  ...PROVIDER_TEST,
  async fn() {
    await using both = await openWithProvider({ settings: { SHM_LOCAL_LOGIN: "false" } });
    const { app } = both;
    const html = await (await app.fetch("/login")).text();
    assert.match(html, /Sign in with Test IdP/);
    assert.doesNotMatch(html, /name="password"/);
    const post = await app.fetch("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "username=alice&password=alice-password-1",
    });
    assert.equal(post.status, 403);
    assert.match(await post.text(), /signs people in with Test IdP only/);
    assert.equal(cookieValue(post, "shm_session"), undefined);
  },
});

Deno.test("oidc settings: the issuer needs the client, SHM_PUBLIC_URL and an allowed domain or group; local sign-in off needs OIDC", () => {
  const base = {
    SHM_PUBLIC_URL: "https://metrics.example.org/",
    SHM_OIDC_ISSUER: "https://auth.example.org/application/o/shm/",
    SHM_OIDC_CLIENT_ID: "shm",
    SHM_OIDC_CLIENT_SECRET: "s3cret-value",
    SHM_OIDC_ALLOWED_DOMAINS: "Example.org, example.net",
  };
  const read = (settings: Record<string, string>) => () =>
    readConfig({}, (name) => (settings as Record<string, string | undefined>)[name]);
  const config = read({ ...base, SHM_OIDC_ADMIN_GROUP: "shm-admins" })();
  assert.deepEqual({ ...config.oidc }, {
    issuer: "https://auth.example.org/application/o/shm/",
    clientId: "shm",
    clientSecret: "s3cret-value",
    redirectUri: "https://metrics.example.org/login/oidc/callback",
    name: "auth.example.org",
    scopes: "openid email profile groups",
    allowedDomains: ["example.org", "example.net"],
    allowedGroups: [],
    adminGroup: "shm-admins",
  });
  assert.equal(config.localLogin, true);
  assert.equal(read({ ...base, SHM_LOCAL_LOGIN: "false" })().localLogin, false);
  const refusals: [Record<string, string>, RegExp][] = [
    [{ SHM_LOCAL_LOGIN: "false" }, /without SHM_OIDC_ISSUER: nobody could sign in/],
    [{ SHM_OIDC_CLIENT_ID: "shm" }, /without SHM_OIDC_ISSUER/],
    [{ ...base, SHM_PUBLIC_URL: "" }, /without SHM_PUBLIC_URL/],
    [{ ...base, SHM_OIDC_CLIENT_ID: "" }, /without SHM_OIDC_CLIENT_ID/],
    [{ ...base, SHM_OIDC_CLIENT_SECRET: "" }, /without SHM_OIDC_CLIENT_SECRET/],
    [{ ...base, SHM_OIDC_ALLOWED_DOMAINS: "" }, /without SHM_OIDC_ALLOWED_DOMAINS or/],
    [{ ...base, SHM_OIDC_ALLOWED_DOMAINS: "exa mple.org" }, /is not a domain name/],
    [{ ...base, SHM_OIDC_ISSUER: "http://auth.example.org" }, /http:\/\/ to another machine/],
    [{ ...base, SHM_OIDC_ISSUER: "ftp://auth.example.org" }, /not an http:\/\/ or https:\/\//],
    [{ ...base, SHM_OIDC_SCOPES: 'openid "x' }, /SHM_OIDC_SCOPES/],
  ];
  for (const [settings, pattern] of refusals) {
    assert.throws(
      read(settings),
      (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
      JSON.stringify(settings),
    );
  }
  // The secret is never echoed.
  try {
    read({ ...base, SHM_OIDC_CLIENT_SECRET: "has space" })();
    assert.fail("a secret with a space is refused");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.doesNotMatch(error.message, /has space/);
  }
  assert.equal(
    read({ ...base, SHM_OIDC_ISSUER: "http://127.0.0.1:9000" })().oidc?.issuer,
    "http://127.0.0.1:9000",
    "http:// to this machine is allowed",
  );
});

const missing = chromiumMissing();
if (missing !== null && Deno.env.get("CI") === undefined) {
  // deno-lint-ignore no-console
  console.warn(`oidc_test: browser test skipped, as ${missing}`);
}

Deno.test({
  name:
    "oidc in chromium against a real server: sign in, admin by group opens the admin forms, a viewer gets 403, a refused domain, sign out",
  ignore: missing !== null && Deno.env.get("CI") === undefined,
  ...PROVIDER_TEST,
  async fn() {
    assert.equal(missing, null, `the browser test cannot run on CI as ${missing}`);
    const port = freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    await using provider = await startProvider({ publicUrl, people: PEOPLE });
    // Migrated here first: on a loaded machine the embedded store's migrations alone can take
    // most of the minute startServer waits for the server to listen.
    await using store = await freshStoreSetting();
    await (await openMigratedStore(store.setting)).db.close();
    await using server = await startServer({
      store: store.setting,
      env: {
        PORT: String(port),
        SHM_PUBLIC_URL: publicUrl,
        SHM_ADMIN_PASSWORD: "browser-test-password",
        ...oidcSettings(provider.issuer, provider.clientSecret),
      },
    });
    const profile = await Deno.makeTempDir({ prefix: "shm-chromium-" });
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    try {
      const page = await browser.newPage();
      // The provider's own pages are not ours to judge; only this server's are.
      const problems = recordProblems(page).filter(() => true);
      const signInAs = async (login: string) => {
        await page.goto(`${server.url}/settings`);
        assert.equal(new URL(page.url()).pathname, "/login");
        await page.click('a[data-field="oidc"]');
        await page.waitForURL(/\/interaction\//);
        await page.fill('input[name="login"]', login);
        await page.fill('input[name="password"]', "any password");
        await page.click('button[type="submit"]');
      };

      // Ada is in the admin group: an admin, who sees and uses the admin forms.
      await signInAs("ada");
      await page.waitForURL(`${server.url}/settings`);
      assert.equal(await page.locator(".topbar, header").first().isVisible(), true);
      assert.match(await page.content(), /ada/);
      await page.fill('form[action="/settings/users"] input[name="username"]', "newcomer");
      await page.click('form[action="/settings/users"] button[type="submit"]');
      await page.locator("[data-field=invite-url]").waitFor({ timeout: 10_000 });

      // Signing out ends the session here and offers the provider's sign-out.
      await page.click('form[action="/logout"] button[type="submit"]');
      await page.locator('[data-field="end-session"]').waitFor();
      const after = await page.request.get(`${server.url}/settings`, { maxRedirects: 0 });
      assert.equal(after.status(), 303, "the session ended");
      // The browser kept the ID token in its cookie, and the link hands it back to the provider.
      const endSession = new URL(
        await page.locator('[data-field="end-session"]').getAttribute("href") ?? "",
      );
      assert.equal(endSession.searchParams.get("post_logout_redirect_uri"), `${publicUrl}/login`);
      const hint = endSession.searchParams.get("id_token_hint");
      assert.ok(hint, "the provider's link carries id_token_hint");
      assert.equal(jwtPayload(hint)["sub"], "ada");
      await page.click('[data-field="end-session"]');
      await page.click('button[name="logout"]');
      await page.waitForURL(`${server.url}/login`);

      // Bob is not: a viewer, refused the admin's forms with 403.
      await signInAs("bob");
      await page.waitForURL(`${server.url}/settings`);
      assert.equal(await page.locator('form[action="/settings/users"]').count(), 0);
      const csrf = await page.locator('input[name="_csrf"]').first().getAttribute("value");
      assert.ok(csrf);
      const refused = await page.request.post(`${server.url}/settings/users`, {
        form: { _csrf: csrf, username: "intruder", role: "admin" },
        maxRedirects: 0,
      });
      assert.equal(refused.status(), 403);
      assert.match(await refused.text(), /is a viewer/);
      await page.click('form[action="/logout"] button[type="submit"]');
      await page.locator('[data-field="end-session"]').click();
      await page.click('button[name="logout"]');
      await page.waitForURL(`${server.url}/login`);

      // Eve's domain is not allowed: a clear page, and no account.
      await signInAs("eve");
      await page.waitForURL(/\/login\/oidc\/callback/);
      assert.match(await page.locator("h1").textContent() ?? "", /Not allowed/);
      assert.match(await page.content(), /eve@elsewhere\.test at Test IdP may not sign in here/);

      const users = await fetch(`${server.url}/api/v1/admin/users`, {
        headers: { authorization: `Bearer ${server.adminToken}` },
      });
      const listed = (await users.json()) as { users: { username: string; role: string }[] };
      assert.deepEqual(
        listed.users.map((user) => [user.username, user.role]).sort(),
        [["ada", "admin"], ["admin", "admin"], ["bob@example.org", "viewer"]],
      );
      assert.deepEqual(problems.filter((problem) => problem.includes(server.url)), []);
    } finally {
      await browser.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "oidc: with local sign-in off nobody is invited to choose a password (admin API 409, invitation page 409)",
  ...PROVIDER_TEST,
  async fn() {
    await using both = await openWithProvider({ settings: { SHM_LOCAL_LOGIN: "false" } });
    const { app } = both;
    const invite = await app.fetch("/api/v1/admin/users", {
      method: "POST",
      headers: {
        authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ username: "carol", role: "viewer" }),
    });
    assert.equal(invite.status, 409);
    assert.equal((await invite.json()).error.code, "local_login_off");
    const [made] = await app.db.query<{ n: number }>(
      sql`select count(*)::int as n from invites`,
    );
    assert.equal(made?.n, 0, "no invitation was made");
    const page = await app.fetch(`/invite?token=${"x".repeat(43)}`);
    assert.equal(page.status, 409);
    assert.match(await page.text(), /sign in with OpenID Connect/);
  },
});

/** The settings page as the session `session` sees it. */
async function settingsHtml(app: TestApp, session: string): Promise<string> {
  const response = await app.fetch("/settings", { headers: { cookie: `shm_session=${session}` } });
  assert.equal(response.status, 200);
  return await response.text();
}

/** Signs `login` in through the provider; the session cookie's value. */
async function oidcSession(app: TestApp, login: string): Promise<string> {
  const response = await signInThrough(app, login);
  assert.equal(response.status, 303, login);
  const session = cookieValue(response, "shm_session");
  assert.ok(session, login);
  return session;
}

const INVITE_FORM = /<form method="post" action="\/settings\/users" /;

Deno.test({
  name:
    "oidc: with local sign-in off the settings page says accounts come from the provider and its admin group, in place of the invitation form",
  ...PROVIDER_TEST,
  async fn() {
    {
      // Local sign-in on: an admin has the invitation form, and no such note.
      await using both = await openWithProvider();
      const html = await settingsHtml(both.app, await oidcSession(both.app, "ada"));
      assert.match(html, INVITE_FORM);
      assert.doesNotMatch(html, /data-field="invitations-off"/);
    }
    await using both = await openWithProvider({ settings: { SHM_LOCAL_LOGIN: "false" } });
    const { app } = both;
    const ada = await oidcSession(app, "ada");
    const html = await settingsHtml(app, ada);
    assert.doesNotMatch(html, INVITE_FORM, "no invitation form");
    assert.doesNotMatch(html, /Invite someone|shm user add/);
    const note = /<p class="panel muted" data-field="invitations-off">(.*?)<\/p>/s.exec(html)?.[1]
      ?.replaceAll(/<[^>]+>/g, "");
    assert.ok(note, "the note is there");
    assert.match(note, /local sign-in is off \(SHM_LOCAL_LOGIN=false\)/);
    assert.match(note, /made when its person first signs in with Test IdP/);
    assert.match(note, /Members of the group shm-admins at Test IdP are admins/);
    // Ada's own account still has its forms (role, disable, remove) on the accounts table.
    assert.match(html, /action="\/settings\/users\/ada\/role"/);
    // The form posted anyway (an older page) is refused with the page saying why, still formless.
    const refused = await app.fetch("/settings/users", {
      method: "POST",
      headers: {
        cookie: `shm_session=${ada}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ _csrf: formToken(html), username: "carol", role: "viewer" })
        .toString(),
    });
    assert.equal(refused.status, 409);
    const refusedHtml = await refused.text();
    assert.match(refusedHtml, /Local sign-in is off/);
    assert.doesNotMatch(refusedHtml, INVITE_FORM);
    // A viewer reads the same note.
    assert.match(
      await settingsHtml(app, await oidcSession(app, "bob")),
      /data-field="invitations-off"/,
    );
  },
});

Deno.test({
  name:
    "oidc: with local sign-in off and no admin group the settings page says new accounts are viewers",
  ...PROVIDER_TEST,
  async fn() {
    await using both = await openWithProvider({
      settings: { SHM_LOCAL_LOGIN: "false", SHM_OIDC_ADMIN_GROUP: "" },
    });
    const html = await settingsHtml(both.app, await oidcSession(both.app, "ada"));
    assert.match(html, /data-field="invitations-off"/);
    assert.match(html, /New accounts are viewers; an admin makes someone an admin below/);
    assert.doesNotMatch(html, /Members of the group/);
  },
});

/** Signs the session out through the form; the answer. */
async function logOut(app: TestApp, cookies: { session: string; oidc?: string }) {
  const html = await settingsHtml(app, cookies.session);
  return await app.fetch("/logout", {
    method: "POST",
    headers: {
      cookie: `shm_session=${cookies.session}` +
        (cookies.oidc === undefined ? "" : `; shm_oidc_session=${cookies.oidc}`),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ _csrf: formToken(html) }).toString(),
  });
}

/** The provider's sign-out link of a signed-out page. */
async function endSessionLink(response: Response): Promise<URL> {
  assert.equal(response.status, 200, "the signed-out page with the provider's link");
  const href = /<a href="([^"]+)" data-field="end-session"/.exec(await response.text())?.[1];
  assert.ok(href, "the page links to the provider's sign-out");
  return new URL(href.replaceAll("&amp;", "&"));
}

/** A JWT's payload, decoded without checking its signature. */
function jwtPayload(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1] ?? "";
  return JSON.parse(atob(part.replaceAll("-", "+").replaceAll("_", "/")));
}

Deno.test({
  name:
    "oidc: sign-out's provider link carries the sign-in's ID token as id_token_hint; the provider checks it, ends its session and sends the browser back to /login",
  ...PROVIDER_TEST,
  async fn() {
    await using both = await openWithProvider();
    const { app, provider } = both;
    const browser = new ProviderBrowser();
    const signedIn = await signInThrough(app, "ada", browser);
    assert.equal(signedIn.status, 303);
    const session = cookieValue(signedIn, "shm_session");
    const oidc = cookieValue(signedIn, "shm_oidc_session");
    assert.ok(session && oidc);
    const header = signedIn.headers.getSetCookie().find((line) =>
      line.startsWith("shm_oidc_session=")
    );
    assert.match(header ?? "", /; Path=\/logout; HttpOnly; SameSite=Lax; Max-Age=604800$/);
    assert.ok(oidc.length < 4000, `the cookie fits a browser's cookie: ${oidc.length}`);
    // The provider's session is alive: a new authorization comes straight back, no form.
    const again = await browser.fetch((await startSignIn(app)).location);
    assert.equal(again.status, 303);
    await again.body?.cancel();

    const out = await logOut(app, { session, oidc });
    assert.equal(cookieValue(out, "shm_session"), "", "the session cookie is cleared");
    assert.equal(cookieValue(out, "shm_oidc_session"), "", "and the provider's");
    const link = await endSessionLink(out);
    assert.equal(`${link.origin}${link.pathname}`, `${provider.issuer}/session/end`);
    assert.equal(link.searchParams.get("client_id"), provider.clientId);
    assert.equal(link.searchParams.get("post_logout_redirect_uri"), `${APP_URL}/login`);
    const hint = link.searchParams.get("id_token_hint");
    assert.ok(hint, "the link carries id_token_hint");
    const claims = jwtPayload(hint);
    assert.equal(claims["iss"], provider.issuer);
    assert.equal(claims["aud"], provider.clientId);
    assert.equal(claims["sub"], "ada");
    assert.ok(oidc.endsWith(`.${hint}`), "the hint is the ID token the cookie kept");
    // The session here is over.
    const after = await app.fetch("/settings", { headers: { cookie: `shm_session=${session}` } });
    assert.equal(after.status, 303);
    await after.body?.cancel();

    // The provider checks the hint: a forged one is its error page.
    const forged = new URL(link);
    forged.searchParams.set("id_token_hint", `${hint.slice(0, -4)}AAAA`);
    const refused = await browser.fetch(forged);
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /could not validate id_token_hint/);
    // The genuine link: oidc-provider asks to confirm whenever it holds a session (it has no
    // setting to skip that on a valid hint), with no error; confirming ends its session and
    // sends the browser back to the registered post_logout_redirect_uri.
    const confirm = await browser.fetch(link);
    assert.equal(confirm.status, 200);
    const page = await confirm.text();
    assert.match(page, /<form id="op.logoutForm" method="post"/);
    const action = /action="([^"]+)"/.exec(page)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
    assert.ok(action && xsrf);
    const ended = await browser.fetch(new URL(action, link), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ xsrf, logout: "yes" }).toString(),
    });
    assert.equal(ended.status, 303);
    assert.equal(ended.headers.get("location"), `${APP_URL}/login`);
    await ended.body?.cancel();
    // Signed out at the provider: the next authorization asks for the login again.
    const login = await browser.fetch((await startSignIn(app)).location);
    const interaction = new URL(login.headers.get("location") ?? "", provider.issuer);
    await login.body?.cancel();
    assert.match(interaction.pathname, /^\/interaction\//);
    const form = await browser.fetch(interaction);
    assert.match(await form.text(), /name="login"/);
  },
});

Deno.test({
  name:
    "oidc: an ID token too long for a cookie is not kept: sign-out offers the provider's link without id_token_hint, and the log says why",
  ...PROVIDER_TEST,
  async fn() {
    const groups = Array.from({ length: 150 }, (_, i) => `a-rather-long-group-name-${i}`);
    PEOPLE["big"] = { email: "big@example.org", email_verified: true, groups };
    try {
      await using both = await openWithProvider({ claimsInIdToken: true });
      const { app, provider } = both;
      const browser = new ProviderBrowser();
      const signedIn = await signInThrough(app, "big", browser);
      assert.equal(signedIn.status, 303);
      const session = cookieValue(signedIn, "shm_session");
      const oidc = cookieValue(signedIn, "shm_oidc_session");
      assert.ok(session && oidc);
      assert.match(oidc, /^[A-Za-z0-9_-]{22}$/, "the cookie keeps the session's tie only");
      const logged = app.logs.find(({ line }) =>
        line["msg"] === "id token not kept for the sign-out at the provider"
      );
      assert.equal(logged?.line["reason"], "too_long");
      assert.ok(Number(logged?.line["length"]) > 3_800);
      const link = await endSessionLink(await logOut(app, { session, oidc }));
      assert.equal(link.searchParams.get("id_token_hint"), null);
      assert.equal(link.searchParams.get("client_id"), provider.clientId);
      assert.equal(link.searchParams.get("post_logout_redirect_uri"), `${APP_URL}/login`);
      // The provider takes the link without the hint too.
      const confirm = await browser.fetch(link);
      assert.equal(confirm.status, 200);
      assert.match(await confirm.text(), /op.logoutForm/);
    } finally {
      delete PEOPLE["big"];
    }
  },
});

Deno.test({
  name:
    "oidc: a provider's cookie left by an earlier session offers no provider sign-out to a password session; a cookie that is not the server's neither",
  ...PROVIDER_TEST,
  async fn() {
    await using both = await openWithProvider();
    const { app } = both;
    const ada = await signInThrough(app, "ada");
    const oidc = cookieValue(ada, "shm_oidc_session");
    assert.ok(oidc);
    for (const cookie of [oidc, "forged.value", "x".repeat(22)]) {
      const out = await logOut(app, { session: await signIn(app), oidc: cookie });
      assert.equal(out.status, 303, cookie.slice(0, 30));
      assert.equal(out.headers.get("location"), "/login");
      assert.equal(cookieValue(out, "shm_oidc_session"), "", "the stale cookie is cleared");
      await out.body?.cancel();
    }
    // Its own session still gets the provider's link with the hint.
    const link = await endSessionLink(
      await logOut(app, { session: cookieValue(ada, "shm_session")!, oidc }),
    );
    assert.ok(link.searchParams.get("id_token_hint"));
  },
});

/** Posts the password form as session `session`; the answer. */
async function postPasswordChange(app: TestApp, session: string): Promise<Response> {
  const html = await settingsHtml(app, session);
  return await app.fetch("/settings/password", {
    method: "POST",
    headers: {
      cookie: `shm_session=${session}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({
      _csrf: formToken(html),
      current_password: "anything-at-all-1",
      new_password: "a-new-password-2",
      confirm_password: "a-new-password-2",
    }).toString(),
  });
}

/** Account `username`'s stored password hash. */
async function passwordHashOf(app: TestApp, username: string): Promise<string | undefined> {
  const [row] = await app.db.query<{ hash: string }>(
    sql`select password_hash as hash from users where username = ${username}`,
  );
  return row?.hash;
}

const PASSWORD_FORM = /action="\/settings\/password"/;

/** The settings page's line in place of the password form, without tags; undefined without. */
function passwordOffLine(html: string): string | undefined {
  return /<p class="panel muted" data-field="password-off">(.*?)<\/p>/s.exec(html)?.[1]
    ?.replaceAll(/<[^>]+>/g, "");
}

Deno.test({
  name:
    "oidc: an account made by the provider has no password: the settings page says how it signs in, and POST /settings/password is 409 with that sentence",
  ...PROVIDER_TEST,
  async fn() {
    await using both = await openWithProvider();
    const { app } = both;
    const ada = await oidcSession(app, "ada");
    const html = await settingsHtml(app, ada);
    assert.doesNotMatch(html, PASSWORD_FORM, "no password form");
    assert.doesNotMatch(html, /name="current_password"/);
    assert.equal(passwordOffLine(html), "This account has no password: it signs in with Test IdP.");
    const before = await passwordHashOf(app, "ada");
    const refused = await postPasswordChange(app, ada);
    assert.equal(refused.status, 409);
    const refusedHtml = await refused.text();
    assert.match(
      refusedHtml,
      /role="alert">This account has no password: it signs in with Test IdP/,
    );
    assert.doesNotMatch(refusedHtml, PASSWORD_FORM);
    assert.equal(await passwordHashOf(app, "ada"), before, "the account still has no password");
    assert.deepEqual(await auditLines(app, "password.change"), []);
    // The local account beside it keeps its form.
    const alice = await signIn(app);
    const aliceHtml = await settingsHtml(app, alice);
    assert.match(aliceHtml, PASSWORD_FORM);
    assert.equal(passwordOffLine(aliceHtml), undefined);
  },
});

Deno.test({
  name:
    "oidc: with local sign-in off nobody gets the password form, and POST /settings/password is 409, for the provider's accounts and a local one alike",
  ...PROVIDER_TEST,
  async fn() {
    await using both = await openWithProvider({ settings: { SHM_LOCAL_LOGIN: "false" } });
    const { app } = both;
    const off = "Passwords are off on this server (SHM_LOCAL_LOGIN=false): you sign in with " +
      "Test IdP.";
    const ada = await oidcSession(app, "ada");
    // Alice's account has a password, which no sign-in takes now; a session made for her anyway
    // (as the forward-auth proxy would) gets the same answer.
    const [alice] = await app.db.query<{ id: number }>(
      sql`select id from users where username = 'alice'`,
    );
    const aliceSession = (await startSession(app.db, { userId: alice!.id, now: app.clock.now() }))
      .token;
    for (const [who, session] of [["ada", ada], ["alice", aliceSession]] as const) {
      const html = await settingsHtml(app, session);
      assert.doesNotMatch(html, PASSWORD_FORM, who);
      assert.equal(passwordOffLine(html), off, who);
      const before = await passwordHashOf(app, who);
      const refused = await postPasswordChange(app, session);
      assert.equal(refused.status, 409, who);
      assert.ok((await refused.text()).includes(`role="alert">${off}`), who);
      assert.equal(await passwordHashOf(app, who), before, who);
    }
    assert.deepEqual(await auditLines(app, "password.change"), []);
  },
});
