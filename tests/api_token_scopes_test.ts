/**
 * API tokens with a scope and an expiry (issue 15): made with
 * `POST /api/v1/admin/tokens` or on the settings page, listed with their last
 * use; a read token may only GET, an expired one is a 401, and
 * `SHM_ADMIN_TOKEN` keeps full access.
 */

import assert from "node:assert/strict";
import { hashPassword } from "../server/accounts/mod.ts";
import { insertUser, sql } from "../server/store/mod.ts";
import { TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import { asSignedIn, formToken, openDashboard, postForm, signIn } from "./support/dashboard.ts";

function call(app: TestApp, bearer: string, method: string, path: string, body?: unknown) {
  return app.fetch(path, {
    method,
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

async function tokenRows(app: TestApp) {
  return await app.db.query(sql`select id, name, scope, expires_at, revoked_at from api_tokens`);
}

Deno.test("tokens API: a body that breaks a rule is a 400 that stores nothing", async () => {
  await using app = await openDashboard();
  for (
    const body of [
      "{",
      [],
      {},
      { name: "ci", scope: "admin" },
      { name: "", scope: "read" },
      { name: "x".repeat(101), scope: "read" },
      { name: "bad\u0007name", scope: "read" },
      { name: "ci", scope: "read", expires_in_days: 0 },
      { name: "ci", scope: "read", expires_in_days: 3651 },
      { name: "ci", scope: "read", expires_in_days: 1.5 },
      { name: "ci", scope: "read", expires_in_days: "3" },
      { name: "ci", scope: "read", owner: "alice" },
    ]
  ) {
    const response = await call(app, TEST_ADMIN_TOKEN, "POST", "/api/v1/admin/tokens", body);
    assert.equal(response.status, 400, JSON.stringify(body));
    const error = (await response.json()).error;
    assert.equal(error.code, "invalid_body");
    assert.match(error.message, /^Cannot accept the body as /);
  }
  assert.deepEqual(await tokenRows(app), []);
});

Deno.test("tokens API: a read token reads, is refused every write with 403, and expires with 401; its last use is shown", async () => {
  await using app = await openDashboard();
  const made = await call(app, TEST_ADMIN_TOKEN, "POST", "/api/v1/admin/tokens", {
    name: "grafana",
    scope: "read",
    expires_in_days: 2,
  });
  assert.equal(made.status, 201);
  const token = await made.json();
  assert.equal(token.scope, "read");
  assert.match(token.token, /^shm_[A-Za-z0-9_-]{43}$/);
  assert.equal(
    token.expires_at,
    new Date(app.clock.now().getTime() + 2 * 86_400_000).toISOString(),
  );

  app.clock.advance(60_000);
  const usedAt = app.clock.now().toISOString();
  assert.equal((await call(app, token.token, "GET", "/api/v1/admin/stats")).status, 200);
  const users = await call(app, token.token, "GET", "/api/v1/admin/users");
  assert.equal(users.status, 200, "an admin's read token reads the accounts");
  await users.body?.cancel();
  for (
    const [method, path, body] of [
      ["POST", "/api/v1/admin/tokens", { name: "more", scope: "write" }],
      ["POST", "/api/v1/admin/users", { username: "x", role: "admin" }],
      ["DELETE", `/api/v1/admin/tokens/${token.id}`, undefined],
    ] as [string, string, unknown][]
  ) {
    const refused = await call(app, token.token, method, path, body);
    assert.equal(refused.status, 403, `${method} ${path}`);
    const error = (await refused.json()).error;
    assert.equal(error.code, "read_only_token");
    assert.match(error.message, /api token grafana as its scope is read/);
  }
  const list = await (await call(app, TEST_ADMIN_TOKEN, "GET", "/api/v1/admin/tokens")).json();
  assert.deepEqual(list.tokens, [{
    id: token.id,
    name: "grafana",
    scope: "read",
    username: null,
    created_at: "2026-11-25T12:00:00.000Z",
    expires_at: token.expires_at,
    last_used_at: usedAt,
    revoked_at: null,
  }]);

  app.clock.advance(2 * 86_400_000);
  const expired = await call(app, token.token, "GET", "/api/v1/admin/stats");
  assert.equal(expired.status, 401);
  const error = (await expired.json()).error;
  assert.equal(error.code, "token_expired");
  assert.match(error.message, /API token "grafana" as it expired/);
  const after = await (await call(app, TEST_ADMIN_TOKEN, "GET", "/api/v1/admin/tokens")).json();
  assert.equal(after.tokens[0].last_used_at, usedAt, "an expired token's use is not noted");
});

Deno.test("tokens API: a write token of an admin writes; revoking it stops it; SHM_ADMIN_TOKEN stays full access; each is an audit line", async () => {
  await using app = await openDashboard();
  const made = await (await call(app, TEST_ADMIN_TOKEN, "POST", "/api/v1/admin/tokens", {
    name: "deploy",
    scope: "write",
  })).json();
  assert.equal(made.expires_at, null);
  const viaToken = await call(app, made.token, "POST", "/api/v1/admin/tokens", {
    name: "child",
    scope: "read",
    expires_in_days: null,
  });
  assert.equal(viaToken.status, 201);
  const child = await viaToken.json();
  const revoked = await call(app, TEST_ADMIN_TOKEN, "DELETE", `/api/v1/admin/tokens/${made.id}`);
  assert.equal(revoked.status, 204);
  const stopped = await call(app, made.token, "GET", "/api/v1/admin/stats");
  assert.equal(stopped.status, 401);
  await stopped.body?.cancel();
  const again = await call(app, TEST_ADMIN_TOKEN, "DELETE", `/api/v1/admin/tokens/${made.id}`);
  assert.equal(again.status, 404);
  assert.equal((await again.json()).error.code, "unknown_token");
  assert.equal((await call(app, child.token, "GET", "/api/v1/admin/stats")).status, 200);
  const lines = await app.db.query<{ actor: string; action: string; target: string }>(sql`
    select actor, action, target from audit_log where action like 'api_token.%' order by id`);
  assert.deepEqual(lines, [
    { actor: "admin token", action: "api_token.create", target: "deploy" },
    { actor: "api token deploy", action: "api_token.create", target: "child" },
    { actor: "admin token", action: "api_token.revoke", target: "deploy" },
  ]);
});

Deno.test("settings page: a token gets a scope and an expiry, shown with its last use; a viewer makes read tokens only", async () => {
  await using app = await openDashboard();
  const session = await signIn(app);
  const csrf = formToken(await (await app.fetch("/settings", asSignedIn(session))).text());
  for (
    const [fields, status] of [
      [{ name: "t", scope: "admin" }, 400],
      [{ name: "t", scope: "read", expires_in_days: "0" }, 400],
      [{ name: "t", scope: "read", expires_in_days: "abc" }, 400],
      [{ name: "t", scope: "read", expires_in_days: "3651" }, 400],
    ] as [Record<string, string>, number][]
  ) {
    const refused = await postForm(app, "/settings/tokens", {
      session,
      fields: { _csrf: csrf, ...fields },
    });
    assert.equal(refused.status, status, JSON.stringify(fields));
    await refused.body?.cancel();
  }
  assert.deepEqual(await tokenRows(app), []);
  const created = await postForm(app, "/settings/tokens", {
    session,
    fields: { _csrf: csrf, name: "dashboards", scope: "read", expires_in_days: "30" },
  });
  assert.equal(created.status, 201);
  const html = await created.text();
  assert.match(html, /<td data-field="scope">read<\/td>/);
  assert.match(html, /<td data-field="expires">2026-12-25<\/td>/);

  await insertUser(app.db, {
    username: "vic",
    passwordHash: await hashPassword("vic-password-12"),
    createdAt: app.clock.now(),
    role: "viewer",
  });
  const viewer = await signIn(app, { username: "vic", password: "vic-password-12" });
  const viewerCsrf = formToken(await (await app.fetch("/settings", asSignedIn(viewer))).text());
  const refused = await postForm(app, "/settings/tokens", {
    session: viewer,
    fields: { _csrf: viewerCsrf, name: "mine", scope: "write" },
  });
  assert.equal(refused.status, 403);
  assert.match(
    await refused.text(),
    /A viewer&#39;s tokens can only read|A viewer's tokens can only read/,
  );
  const readOnly = await postForm(app, "/settings/tokens", {
    session: viewer,
    fields: { _csrf: viewerCsrf, name: "mine" },
  });
  assert.equal(readOnly.status, 201);
  await readOnly.body?.cancel();
  assert.deepEqual(
    (await app.db.query<{ name: string; scope: string }>(
      sql`select name, scope from api_tokens order by id`,
    )).map((row) => [row.name, row.scope]),
    [["dashboards", "read"], ["mine", "read"]],
  );
});
