/**
 * Admins manage accounts (issue 15) through the admin API and the settings
 * page: invite by a one-time link, change a role, disable (which ends the
 * account's sessions and stops its tokens), enable, remove; never the last
 * active admin. Every change is an audit line; every refused one changes nothing.
 */

import assert from "node:assert/strict";
import { changeAccount, createApiToken, hashPassword } from "../server/accounts/mod.ts";
import { insertUser, sql } from "../server/store/mod.ts";
import { TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import {
  asSignedIn,
  cookieValue,
  formToken,
  openDashboard,
  postForm,
  signIn,
} from "./support/dashboard.ts";

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

function api(app: TestApp, method: string, path: string, body?: unknown): Promise<Response> {
  return app.fetch(path, {
    method,
    headers: { ...ADMIN, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

async function accounts(app: TestApp) {
  return await app.db.query<{ username: string; role: string; disabled: boolean }>(sql`
    select username, role, disabled_at is not null as disabled from users order by username`);
}

async function auditLines(app: TestApp) {
  return await app.db.query<{ actor: string; action: string; target: string }>(sql`
    select actor, action, target from audit_log where action like 'account.%' order by id`);
}

/** Accepts the invitation of `url` with `password`; returns the new session. */
async function acceptInvite(app: TestApp, url: string, password: string): Promise<string> {
  const token = new URL(url).searchParams.get("token") ?? "";
  const response = await app.fetch("/invite", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, password, confirm_password: password }).toString(),
  });
  assert.equal(response.status, 303);
  const session = cookieValue(response, "shm_session");
  assert.ok(session);
  return session;
}

Deno.test("accounts API: an invitation link makes the account with its role once; bad bodies are 400s that change nothing", async () => {
  await using app = await openDashboard();
  for (
    const [body, code] of [
      ["not json", "invalid_body"],
      [[], "invalid_body"],
      [{ username: "bad name", role: "viewer" }, "invalid_body"],
      [{ username: "x".repeat(65), role: "viewer" }, "invalid_body"],
      [{ username: "vera", role: "owner" }, "invalid_body"],
      [{ username: "vera" }, "invalid_body"],
      [{ username: "vera", role: "viewer", admin: true }, "invalid_body"],
      [JSON.parse('{"__proto__":{"role":"admin"},"username":"vera"}'), "invalid_body"],
      [{ username: "alice", role: "viewer" }, "account_exists"],
    ] as [unknown, string][]
  ) {
    const response = await api(app, "POST", "/api/v1/admin/users", body);
    const error = (await response.json()).error;
    assert.equal(error.code, code, JSON.stringify(body));
    assert.equal(response.status, code === "account_exists" ? 409 : 400, JSON.stringify(body));
  }
  assert.deepEqual(await app.db.query(sql`select * from invites`), []);

  const invited = await api(app, "POST", "/api/v1/admin/users", {
    username: "vera",
    role: "viewer",
  });
  assert.equal(invited.status, 201);
  const { invite_url: url, role } = await invited.json();
  assert.equal(role, "viewer");
  assert.match(url, /^http:\/\/shm\.test\/invite\?token=[A-Za-z0-9_-]{43}$/);
  const form = await app.fetch(new URL(url).pathname + new URL(url).search);
  assert.equal(form.status, 200);
  const html = await form.text();
  assert.match(html, /Welcome, vera/);
  assert.match(html, /data-field="role">viewer</);
  // Passwords that differ or are too short are refused, and the link still works.
  const token = new URL(url).searchParams.get("token") ?? "";
  for (const [password, confirm] of [["vera-password-1", "other-password-1"], ["short", "short"]]) {
    const refused = await app.fetch("/invite", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, password: password!, confirm_password: confirm! })
        .toString(),
    });
    assert.equal(refused.status, 400);
    await refused.body?.cancel();
  }
  const session = await acceptInvite(app, url, "vera-password-1");
  const home = await app.fetch("/", asSignedIn(session));
  assert.equal(home.status, 200);
  await home.body?.cancel();
  assert.deepEqual((await accounts(app)).find((a) => a.username === "vera"), {
    username: "vera",
    role: "viewer",
    disabled: false,
  });
  // The link worked once; a made-up one never.
  for (
    const path of [new URL(url).pathname + new URL(url).search, "/invite?token=" + "a".repeat(43)]
  ) {
    const used = await app.fetch(path);
    assert.equal(used.status, 404);
    assert.match(await used.text(), /unknown, used or expired/);
  }
  const list = await (await api(app, "GET", "/api/v1/admin/users")).json();
  assert.deepEqual(
    list.users.map((u: { username: string; role: string }) => [u.username, u.role]),
    [
      ["alice", "admin"],
      ["vera", "viewer"],
    ],
  );
  assert.deepEqual(await auditLines(app), [
    { actor: "admin token", action: "account.invite", target: "vera" },
    { actor: "invite link", action: "account.create", target: "vera" },
  ]);
});

Deno.test("accounts API: an invitation expires after 7 days, and inviting again replaces the old link", async () => {
  await using app = await openDashboard();
  const first = await (await api(app, "POST", "/api/v1/admin/users", {
    username: "walt",
    role: "admin",
  })).json();
  const second = await (await api(app, "POST", "/api/v1/admin/users", {
    username: "walt",
    role: "viewer",
  })).json();
  const old = await app.fetch(
    new URL(first.invite_url).pathname + new URL(first.invite_url).search,
  );
  assert.equal(old.status, 404, "the replaced link stopped working");
  await old.body?.cancel();
  app.clock.advance(7 * 86_400_000 + 1000);
  const expired = await app.fetch(
    new URL(second.invite_url).pathname + new URL(second.invite_url).search,
  );
  assert.equal(expired.status, 404);
  await expired.body?.cancel();
  assert.deepEqual((await accounts(app)).map((a) => a.username), ["alice"]);
});

Deno.test("accounts API: change a role, disable (sessions end, tokens stop), enable, remove; never the last active admin", async () => {
  await using app = await openDashboard();
  const now = app.clock.now();
  const boId = await insertUser(app.db, {
    username: "bo",
    passwordHash: await hashPassword("bo-password-12"),
    createdAt: now,
    role: "viewer",
  });
  const boSession = await signIn(app, { username: "bo", password: "bo-password-12" });
  const boToken = await createApiToken(app.db, {
    userId: boId,
    name: "bo's",
    scope: "read",
    now,
    actor: "test",
  });
  const asBo = { authorization: `Bearer ${boToken.token}` };
  assert.equal((await app.fetch("/api/v1/admin/stats", { headers: asBo })).status, 200);

  for (
    const [body, status, code] of [
      [{ role: "owner" }, 400, "invalid_body"],
      [{ disabled: "yes" }, 400, "invalid_body"],
      [{ name: "x" }, 400, "invalid_body"],
      ["[", 400, "invalid_body"],
    ] as [unknown, number, string][]
  ) {
    const response = await api(app, "PATCH", "/api/v1/admin/users/bo", body);
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal((await response.json()).error.code, code);
  }
  const unknown = await api(app, "PATCH", "/api/v1/admin/users/nobody", { role: "admin" });
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error.code, "unknown_user");
  const badName = await api(app, "DELETE", "/api/v1/admin/users/bad%20name");
  assert.equal(badName.status, 404);
  await badName.body?.cancel();

  const disabled = await api(app, "PATCH", "/api/v1/admin/users/bo", { disabled: true });
  assert.equal(disabled.status, 200);
  assert.deepEqual(
    (({ username, role, disabled }) => ({ username, role, disabled }))(await disabled.json()),
    { username: "bo", role: "viewer", disabled: true },
  );
  const page = await app.fetch("/", asSignedIn(boSession));
  assert.equal(page.status, 303, "the disabled account's session ended");
  assert.match(page.headers.get("location") ?? "", /^\/login/);
  assert.equal((await app.fetch("/api/v1/admin/stats", { headers: asBo })).status, 401);
  const login = await app.fetch("/login");
  const csrf = cookieValue(login, "shm_login_csrf") ?? "";
  await login.body?.cancel();
  const refusedSignIn = await app.fetch("/login", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: `shm_login_csrf=${csrf}`,
    },
    body: new URLSearchParams({ _csrf: csrf, username: "bo", password: "bo-password-12" })
      .toString(),
  });
  assert.notEqual(refusedSignIn.status, 303, "a disabled account cannot sign in");
  await refusedSignIn.body?.cancel();

  const promoted = await api(app, "PATCH", "/api/v1/admin/users/bo", {
    disabled: false,
    role: "admin",
  });
  assert.equal(promoted.status, 200);
  assert.equal((await promoted.json()).role, "admin");
  assert.equal((await app.fetch("/api/v1/admin/stats", { headers: asBo })).status, 200);

  // Two admins: alice may be demoted; then bo is the last and cannot be demoted, disabled or removed.
  assert.equal(
    (await api(app, "PATCH", "/api/v1/admin/users/alice", { role: "viewer" })).status,
    200,
  );
  const before = await accounts(app);
  for (
    const [method, body] of [
      ["PATCH", { role: "viewer" }],
      ["PATCH", { disabled: true }],
      ["DELETE", undefined],
    ] as [string, unknown][]
  ) {
    const refused = await api(app, method, "/api/v1/admin/users/bo", body);
    assert.equal(refused.status, 409, `${method} ${JSON.stringify(body)}`);
    assert.equal((await refused.json()).error.code, "last_admin");
  }
  assert.deepEqual(await accounts(app), before);
  // A disabled admin does not count: alice made admin again but disabled leaves bo the last.
  await api(app, "PATCH", "/api/v1/admin/users/alice", { role: "admin", disabled: true });
  assert.equal((await api(app, "DELETE", "/api/v1/admin/users/bo")).status, 409);
  await api(app, "PATCH", "/api/v1/admin/users/alice", { disabled: false });
  const removed = await api(app, "DELETE", "/api/v1/admin/users/bo");
  assert.equal(removed.status, 204);
  assert.deepEqual(await accounts(app), [{ username: "alice", role: "admin", disabled: false }]);
  assert.equal((await app.fetch("/api/v1/admin/stats", { headers: asBo })).status, 401);
  assert.deepEqual(await auditLines(app), [
    { actor: "admin token", action: "account.disable", target: "bo" },
    { actor: "admin token", action: "account.role", target: "bo" },
    { actor: "admin token", action: "account.enable", target: "bo" },
    { actor: "admin token", action: "account.role", target: "alice" },
    { actor: "admin token", action: "account.role", target: "alice" },
    { actor: "admin token", action: "account.disable", target: "alice" },
    { actor: "admin token", action: "account.enable", target: "alice" },
    { actor: "admin token", action: "account.remove", target: "bo" },
  ]);
});

Deno.test("accounts: two admins demoting each other at once leave one admin", async () => {
  await using app = await openDashboard();
  await insertUser(app.db, {
    username: "cy",
    passwordHash: "x",
    createdAt: app.clock.now(),
    role: "admin",
  });
  const now = app.clock.now();
  const outcomes = await Promise.all([
    changeAccount(app.db, { username: "alice", role: "viewer", now, actor: "test" }),
    changeAccount(app.db, { username: "cy", role: "viewer", now, actor: "test" }),
  ]);
  assert.deepEqual(outcomes.sort(), ["changed", "last_admin"]);
  assert.equal((await accounts(app)).filter((a) => a.role === "admin").length, 1);
});

Deno.test("settings page: an admin invites, changes a role, disables, enables and removes accounts; a viewer sees no such form", async () => {
  await using app = await openDashboard();
  const session = await signIn(app);
  const settings = await app.fetch("/settings", asSignedIn(session));
  const csrf = formToken(await settings.text());
  const invited = await postForm(app, "/settings/users", {
    session,
    fields: { _csrf: csrf, username: "dana", role: "viewer" },
  });
  assert.equal(invited.status, 201);
  const html = await invited.text();
  const url = /data-field="invite-url">([^<]+)</.exec(html)?.[1]?.replaceAll("&amp;", "&");
  assert.ok(url, "the page shows the invitation link once");
  assert.match(html, /data-invite="dana"/);
  for (
    const [fields, status] of [
      [{ username: "bad name", role: "viewer" }, 400],
      [{ username: "erin", role: "owner" }, 400],
      [{ username: "alice", role: "viewer" }, 409],
    ] as [Record<string, string>, number][]
  ) {
    const refused = await postForm(app, "/settings/users", {
      session,
      fields: { _csrf: csrf, ...fields },
    });
    assert.equal(refused.status, status, JSON.stringify(fields));
    assert.match(await refused.text(), /role="alert"/);
  }
  const danaSession = await acceptInvite(app, url, "dana-password-1");
  const danaPage = await (await app.fetch("/settings", asSignedIn(danaSession))).text();
  assert.doesNotMatch(danaPage, /action="\/settings\/users/, "a viewer sees no account forms");
  assert.doesNotMatch(danaPage, /<option value="write">/, "a viewer makes read tokens only");

  const step = async (path: string, fields: Record<string, string>, done: string) => {
    const response = await postForm(app, path, { session, fields: { _csrf: csrf, ...fields } });
    assert.equal(response.status, 303, path);
    assert.equal(response.headers.get("location"), `/settings?done=${done}`);
  };
  await step("/settings/users/dana/role", { role: "admin" }, "role");
  await step("/settings/users/dana/disable", {}, "disabled");
  assert.equal((await app.fetch("/", asSignedIn(danaSession))).status, 303);
  await step("/settings/users/dana/enable", {}, "enabled");
  const badRole = await postForm(app, "/settings/users/dana/role", {
    session,
    fields: { _csrf: csrf, role: "root" },
  });
  assert.equal(badRole.status, 400);
  await badRole.body?.cancel();
  await step("/settings/users/dana/delete", {}, "removed");
  const last = await postForm(app, "/settings/users/alice/disable", {
    session,
    fields: { _csrf: csrf },
  });
  assert.equal(last.status, 409);
  assert.match(await last.text(), /the last active admin/);
  const missing = await postForm(app, "/settings/users/nobody/delete", {
    session,
    fields: { _csrf: csrf },
  });
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  assert.deepEqual(await accounts(app), [{ username: "alice", role: "admin", disabled: false }]);
  assert.deepEqual((await auditLines(app)).map((l) => [l.actor, l.action, l.target]), [
    ["alice", "account.invite", "dana"],
    ["invite link", "account.create", "dana"],
    ["alice", "account.role", "dana"],
    ["alice", "account.disable", "dana"],
    ["alice", "account.enable", "dana"],
    ["alice", "account.remove", "dana"],
  ]);
});
