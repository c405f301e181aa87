/**
 * The route table (server/http/routes.ts) walked route by route: every route
 * declares an access kind and an error rendering, and every route that is
 * not public refuses a request without credentials in the shape its access
 * kind promises (401 JSON, a redirect to the sign-in page, a 403 page),
 * before its handler runs: the data stays as it was.
 */

import assert from "node:assert/strict";
import { ACCESS_KINDS } from "../server/http/access.ts";
import { ERROR_RENDERINGS } from "../server/http/route_declaration.ts";
import { sql } from "../server/store/mod.ts";
import { storeFingerprint } from "./support/app.ts";
import { feedInstance, openDashboard, signIn } from "./support/dashboard.ts";

/** A value for each path parameter that follows its rule and names something that exists. */
const PARAM_VALUES: Readonly<Record<string, string>> = {
  slug: "table-app",
  badge: "instances",
  metric: "users",
  asset: "client.js",
  tokenId: "1",
  alertId: "1",
  username: "alice",
  instanceId: "00000000-0000-4000-8000-000000000000",
};

function concretePath(path: string): string {
  return path.split("/").map((segment) => {
    if (!segment.startsWith(":")) return segment;
    const value = PARAM_VALUES[segment.slice(1)];
    assert.ok(value !== undefined, `a value for ${segment}: add it to PARAM_VALUES`);
    return value;
  }).join("/");
}

/** Everything a refused request must leave as it was: the fleet, the accounts, their tokens. */
async function fingerprint(app: Awaited<ReturnType<typeof openDashboard>>) {
  return {
    fleet: await storeFingerprint(app.db),
    users: await app.db.query(sql`select username, password_hash from users order by username`),
    sessions: await app.db.query(sql`select count(*)::int as n from sessions`),
    tokens: await app.db.query(sql`select id, name, revoked_at from api_tokens order by id`),
    settings: await app.db.query(
      sql`select slug, display_name, public_badges from applications order by slug`,
    ),
    audit: await app.db.query(sql`select * from audit_log order by id`),
  };
}

Deno.test("route table: every route declares an access kind and an error rendering", async () => {
  await using app = await openDashboard();
  const routes = app.handler.routes();
  assert.ok(routes.length > 0);
  for (const route of routes) {
    const label = `${route.method} ${route.path}`;
    assert.ok(ACCESS_KINDS.includes(route.access), `${label}: access ${route.access}`);
    assert.ok(ERROR_RENDERINGS.includes(route.errors), `${label}: errors ${route.errors}`);
  }
  // Only the routes anyone may call are public: probes, registration, sign-in, setup and
  // invitation links, assets, badges, public pages.
  const publicRoutes = routes.filter((route) => route.access === "public")
    .map((route) => `${route.method} ${route.path}`).sort();
  assert.deepEqual(publicRoutes, [
    "GET /api/v1/healthcheck",
    "GET /api/v1/readyz",
    "GET /assets/:asset",
    "GET /badge/:slug/:badge",
    "GET /badge/:slug/metric/:metric",
    "GET /invite",
    "GET /login",
    "GET /login/oidc",
    "GET /login/oidc/callback",
    "GET /p/:slug",
    "GET /p/:slug.json",
    "GET /setup",
    "POST /invite",
    "POST /login",
    "POST /setup",
    "POST /v1/register",
  ]);
});

Deno.test("route table: every route that is not public refuses a request without credentials, as its access kind says, and changes nothing", async () => {
  await using app = await openDashboard();
  await feedInstance(app, { appName: "Table App", version: "1.0.0" });
  const before = await fingerprint(app);
  const routes = app.handler.routes().filter((route) => route.access !== "public");
  assert.ok(routes.length >= 15, `${routes.length} routes behind access`);
  for (const route of routes) {
    const path = concretePath(route.path);
    const label = `${route.method} ${path} (${route.access})`;
    const response = await app.fetch(path, {
      method: route.method,
      ...(route.method === "GET" ? {} : {
        headers: {
          "content-type": route.errors === "json"
            ? "application/json"
            : "application/x-www-form-urlencoded",
        },
        body: route.errors === "json" ? '{"public_badges":true}' : "_csrf=x&name=t",
      }),
    });
    const text = await response.text();
    switch (route.access) {
      case "instance":
        assert.equal(response.status, 401, label);
        assert.equal(JSON.parse(text).error.code, "missing_signature", label);
        break;
      case "token_or_session":
      case "token":
        assert.equal(response.status, 401, label);
        assert.equal(JSON.parse(text).error.code, "unauthorized", label);
        assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="shm"', label);
        break;
      case "session":
        assert.equal(response.status, 303, label);
        assert.equal(
          response.headers.get("location"),
          `/login?next=${encodeURIComponent(path)}`,
          label,
        );
        break;
      case "session_form":
        assert.equal(response.status, 303, label);
        assert.equal(response.headers.get("location"), "/login", label);
        break;
      default:
        assert.fail(`${label}: an access kind this test does not know`);
    }
  }
  assert.deepEqual(await fingerprint(app), before, "a refused request changed the data");
});

Deno.test("route table: a session form posted with a session but without its CSRF token is a 403 page, and changes nothing", async () => {
  await using app = await openDashboard();
  await feedInstance(app, { appName: "Table App", version: "1.0.0" });
  const session = await signIn(app);
  const before = await fingerprint(app);
  const routes = app.handler.routes().filter((route) => route.access === "session_form");
  assert.ok(routes.length >= 4);
  for (const route of routes) {
    const path = concretePath(route.path);
    const response = await app.fetch(path, {
      method: route.method,
      headers: {
        cookie: `shm_session=${session}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "_csrf=not-the-token&name=t&display_name=x",
    });
    assert.equal(response.status, 403, `${route.method} ${path}`);
    assert.match(await response.text(), /Form refused/, `${route.method} ${path}`);
  }
  assert.deepEqual(await fingerprint(app), before, "a refused form changed the data");
});

Deno.test("route table: a client's error under a page route is answered as a page with its status, not as JSON", async () => {
  await using app = await openDashboard();
  const session = await signIn(app);
  const before = await fingerprint(app);
  // The session form's body is read before the CSRF check: 9 KiB is over its 8 KiB limit.
  const response = await app.fetch("/settings/tokens", {
    method: "POST",
    headers: {
      cookie: `shm_session=${session}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: `name=${"x".repeat(9 * 1024)}`,
  });
  assert.equal(response.status, 413);
  assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
  const html = await response.text();
  assert.match(html, /Too large/);
  assert.match(html, /8 KiB/);
  assert.deepEqual(await fingerprint(app), before, "a refused form changed the data");
});
