/**
 * Roles and token scopes (issue 15), walked over the whole route table: every
 * route that needs an admin refuses a viewer's session and a viewer's token
 * with 403 (a page on page routes, JSON `forbidden` on the API), every
 * route that is not a GET refuses a read token with 403 `read_only_token`,
 * each changing nothing; and the reads they may make are allowed. Only the
 * few forms of one's own settings are open to a viewer; the test lists them.
 */

import assert from "node:assert/strict";
import { createApiToken, csrfTokenFor, hashPassword } from "../server/accounts/mod.ts";
import { insertUser, sql } from "../server/store/mod.ts";
import { storeFingerprint, type TestApp } from "./support/app.ts";
import { feedInstance, openDashboard, signIn } from "./support/dashboard.ts";

/** The writes a viewer may make: its own tokens, its own password, signing out. */
const VIEWER_WRITES = [
  "POST /logout",
  "POST /settings/password",
  "POST /settings/tokens",
  "POST /settings/tokens/:tokenId/revoke",
];

/** A value for each path parameter that follows its rule and names something that exists. */
const PARAM_VALUES: Readonly<Record<string, string>> = {
  slug: "roles-app",
  badge: "instances",
  metric: "users",
  asset: "client.js",
  tokenId: "1",
  alertId: "1",
  username: "alice",
};

function concretePath(path: string, instanceId: string): string {
  return path.split("/").map((segment) => {
    if (!segment.startsWith(":")) return segment;
    const name = segment.slice(1).replace(/\..*$/, "");
    const value = name === "instanceId" ? instanceId : PARAM_VALUES[name];
    assert.ok(value !== undefined, `a value for ${segment}: add it to PARAM_VALUES`);
    return value + segment.slice(1 + name.length);
  }).join("/");
}

/** Everything a refused request must leave as it was: the fleet, the accounts, their tokens. */
async function fingerprint(app: TestApp) {
  return {
    fleet: await storeFingerprint(app.db),
    users: await app.db.query(
      sql`select username, password_hash, role, disabled_at from users order by username`,
    ),
    sessions: await app.db.query(sql`select count(*)::int as n from sessions`),
    tokens: await app.db.query(sql`select id, name, scope, revoked_at from api_tokens order by id`),
    invites: await app.db.query(sql`select username, role from invites order by username`),
    settings: await app.db.query(
      sql`select slug, display_name, public_badges from applications order by slug`,
    ),
    audit: await app.db.query(sql`select count(*)::int as n from audit_log`),
  };
}

/** A test app with the admin alice, the viewer victor (signed in), an instance, and tokens. */
async function openRolesApp() {
  const app = await openDashboard();
  const instance = await feedInstance(app, { appName: "Roles App", version: "1.0.0" });
  await app.rollUp();
  const now = app.clock.now();
  const victorId = await insertUser(app.db, {
    username: "victor",
    passwordHash: await hashPassword("victor-password-1"),
    createdAt: now,
    role: "viewer",
  });
  assert.ok(victorId !== null);
  const viewerSession = await signIn(app, { username: "victor", password: "victor-password-1" });
  const aliceId = 1;
  const readToken = await createApiToken(app.db, {
    userId: aliceId,
    name: "admin read",
    scope: "read",
    now,
    actor: "test",
  });
  const viewerToken = await createApiToken(app.db, {
    userId: victorId,
    name: "viewer write",
    scope: "write",
    now,
    actor: "test",
  });
  return {
    app,
    instance,
    viewerSession,
    readToken: readToken.token,
    viewerToken: viewerToken.token,
  };
}

/** A request to `route` with a body its kind reads, and `headers`. */
function requestTo(
  route: { method: string; errors: string },
  headers: Record<string, string>,
  csrf: string,
): RequestInit {
  if (route.method === "GET") return { headers };
  return {
    method: route.method,
    headers: {
      ...headers,
      "content-type": route.errors === "json"
        ? "application/json"
        : "application/x-www-form-urlencoded",
    },
    body: route.errors === "json"
      ? '{"role":"viewer"}'
      : new URLSearchParams({ _csrf: csrf, name: "t", role: "viewer", username: "newbie" })
        .toString(),
  };
}

Deno.test("roles: every route that needs an admin refuses a viewer's session with 403 and changes nothing; every read is a viewer's", async () => {
  const { app, instance, viewerSession } = await openRolesApp();
  await using _app = app;
  const csrf = await csrfTokenFor(viewerSession);
  const routes = app.handler.routes().filter((route) =>
    ["session", "session_form", "token_or_session"].includes(route.access)
  );
  const viewerWrites = routes.filter((r) => r.method !== "GET" && r.role === "viewer")
    .map((r) => `${r.method} ${r.path}`).sort();
  assert.deepEqual(viewerWrites, VIEWER_WRITES, "only one's own settings are a viewer's writes");
  const before = await fingerprint(app);
  let refused = 0;
  let allowed = 0;
  for (const route of routes) {
    const path = concretePath(route.path, instance.instanceId);
    const label = `${route.method} ${path}`;
    if (route.role === "viewer" && route.method !== "GET") continue;
    const response = await app.fetch(
      path,
      requestTo(route, { cookie: `shm_session=${viewerSession}` }, csrf),
    );
    const text = await response.text();
    if (route.role === "admin") {
      refused++;
      assert.equal(response.status, 403, label);
      if (route.errors === "json") {
        assert.equal(JSON.parse(text).error.code, "forbidden", label);
      } else {
        assert.match(text, /Only an admin can do this/, label);
        assert.match(text, /victor/, label);
      }
    } else {
      allowed++;
      assert.ok(![401, 403].includes(response.status), `${label}: ${response.status}`);
      assert.ok(response.status < 500, `${label}: ${response.status}`);
      assert.notEqual(response.headers.get("location")?.startsWith("/login"), true, label);
    }
  }
  assert.ok(refused >= 8, `${refused} routes refused`);
  assert.ok(allowed >= 10, `${allowed} routes allowed`);
  assert.deepEqual(await fingerprint(app), before, "a refused request changed the data");
});

Deno.test("roles: every API route but a GET refuses a read token with 403 read_only_token, every admin route a viewer's token with 403 forbidden, changing nothing; reads are allowed", async () => {
  const { app, instance, readToken, viewerToken } = await openRolesApp();
  await using _app = app;
  const routes = app.handler.routes().filter((route) =>
    route.access === "token" || route.access === "token_or_session"
  );
  const before = await fingerprint(app);
  const counts = { readRefused: 0, viewerRefused: 0, readAllowed: 0 };
  for (const route of routes) {
    const path = concretePath(route.path, instance.instanceId);
    const label = `${route.method} ${path}`;
    const asRead = await app.fetch(
      path,
      requestTo(route, { authorization: `Bearer ${readToken}` }, ""),
    );
    const readText = await asRead.text();
    if (route.method !== "GET") {
      counts.readRefused++;
      assert.equal(asRead.status, 403, `read token, ${label}`);
      assert.equal(JSON.parse(readText).error.code, "read_only_token", `read token, ${label}`);
    } else {
      counts.readAllowed++;
      assert.ok(![401, 403].includes(asRead.status), `read token, ${label}: ${asRead.status}`);
      assert.ok(asRead.status < 500, `read token, ${label}: ${asRead.status}`);
    }
    const asViewer = await app.fetch(
      path,
      requestTo(route, { authorization: `Bearer ${viewerToken}` }, ""),
    );
    const viewerText = await asViewer.text();
    if (route.role === "admin") {
      counts.viewerRefused++;
      assert.equal(asViewer.status, 403, `viewer's token, ${label}`);
      assert.equal(JSON.parse(viewerText).error.code, "forbidden", `viewer's token, ${label}`);
    } else {
      assert.ok(![401, 403].includes(asViewer.status), `viewer's token, ${label}`);
    }
  }
  assert.ok(counts.readRefused >= 8, JSON.stringify(counts));
  assert.ok(counts.viewerRefused >= 10, JSON.stringify(counts));
  assert.ok(counts.readAllowed >= 8, JSON.stringify(counts));
  // Only last_used_at moved: the fingerprint leaves it out.
  assert.deepEqual(await fingerprint(app), before, "a refused request changed the data");
});
