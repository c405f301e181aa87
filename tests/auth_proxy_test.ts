/**
 * Signing in through a forward-auth proxy (issue 15): the user header is
 * honoured only from the peers of `SHM_AUTH_PROXY_TRUSTED` (IPv4 and IPv6),
 * ignored from anyone else, whatever they forward; the account is made on
 * first sight with the role its groups map to; a bad header value is a 400
 * that makes nothing.
 */

import assert from "node:assert/strict";
import { ConfigError, readConfig } from "../server/config.ts";
import { sql } from "../server/store/mod.ts";
import type { TestApp } from "./support/app.ts";
import { asSignedIn, cookieValue, openDashboard, postForm } from "./support/dashboard.ts";
import { csrfTokenFor } from "../server/accounts/mod.ts";

const PROXY_SETTINGS = {
  SHM_AUTH_PROXY_HEADER: "Remote-User",
  SHM_AUTH_PROXY_TRUSTED: "10.0.0.0/8, fd00::/8",
  SHM_AUTH_PROXY_GROUPS_HEADER: "Remote-Groups",
  SHM_AUTH_PROXY_ADMIN_GROUP: "shm-admins",
};

async function accounts(app: TestApp) {
  return await app.db.query<{ username: string; role: string }>(
    sql`select username, role from users order by username`,
  );
}

/** The audit log's lines of `action`, oldest first. */
async function auditLines(app: TestApp, action: string) {
  return (await app.db.query<{ detail: unknown }>(sql`
    select actor, action, target, detail from audit_log where action = ${action} order by id`))
    // postgres.js may hand jsonb over as its text; PGlite parses it.
    .map((line) => ({
      ...line,
      detail: typeof line.detail === "string" ? JSON.parse(line.detail) : line.detail,
    }));
}

/** Opens `path` through the proxy at `address` as `user`; follows the one redirect that signs in. */
async function throughProxy(
  app: TestApp,
  path: string,
  options: { address: string; user: string; groups?: string },
): Promise<{ first: Response; session: string | undefined }> {
  const headers: Record<string, string> = { "remote-user": options.user };
  if (options.groups !== undefined) headers["remote-groups"] = options.groups;
  const first = await app.fetch(path, { address: options.address, headers });
  return { first, session: cookieValue(first, "shm_session") };
}

Deno.test("auth proxy: a trusted IPv4 or IPv6 peer signs a user in, made on first sight with the role of its groups", async () => {
  await using app = await openDashboard({ settings: PROXY_SETTINGS });
  const carol = await throughProxy(app, "/apps/x?period=7d", {
    address: "10.1.2.3",
    user: "carol@example.org",
    groups: "dev, shm-admins",
  });
  assert.equal(carol.first.status, 303);
  assert.equal(carol.first.headers.get("location"), "/apps/x?period=7d", "back to the page asked");
  assert.ok(carol.session);
  const page = await app.fetch("/settings", {
    address: "10.1.2.3",
    headers: { cookie: `shm_session=${carol.session}`, "remote-user": "carol@example.org" },
  });
  assert.equal(page.status, 200, "the session now matches the header: no second redirect");
  assert.match(await page.text(), /carol@example\.org/);

  const dave = await throughProxy(app, "/", {
    address: "fd00::17",
    user: "dave",
    groups: "dev|ops",
  });
  assert.equal(dave.first.status, 303);
  assert.ok(dave.session);
  assert.deepEqual(await accounts(app), [
    { username: "alice", role: "admin" },
    { username: "carol@example.org", role: "admin" },
    { username: "dave", role: "viewer" },
  ]);
  // The viewer it made changes nothing.
  const refused = await postForm(app, "/apps/x/settings", {
    session: dave.session,
    fields: { _csrf: await csrfTokenFor(dave.session), display_name: "X" },
  });
  assert.equal(refused.status, 403);
  await refused.body?.cancel();
  const lines = await auditLines(app, "account.create");
  assert.deepEqual(lines, [
    {
      actor: "auth proxy",
      action: "account.create",
      target: "carol@example.org",
      detail: { role: "admin" },
    },
    { actor: "auth proxy", action: "account.create", target: "dave", detail: { role: "viewer" } },
  ]);
});

Deno.test("auth proxy: the groups header re-syncs the role on every request, audited; the last active admin is never demoted", async () => {
  await using app = await openDashboard({ settings: PROXY_SETTINGS });
  const role = async (username: string) =>
    (await accounts(app)).find((a) => a.username === username)?.role;
  // alice is the only admin: groups without the admin group do not demote her, and the log says why.
  const alice = await throughProxy(app, "/", { address: "10.0.0.4", user: "alice", groups: "dev" });
  assert.equal(alice.first.status, 303);
  assert.equal(await role("alice"), "admin");
  assert.ok(
    app.logs.some(({ level, line }) =>
      level === "warn" && line["msg"] === "role kept: the last active admin is not demoted" &&
      line["username"] === "alice"
    ),
    "the kept role is logged",
  );
  assert.deepEqual(await auditLines(app, "account.role"), []);

  const carol = await throughProxy(app, "/", {
    address: "10.0.0.4",
    user: "carol",
    groups: "shm-admins",
  });
  assert.ok(carol.session);
  assert.equal(await role("carol"), "admin");
  // Her groups change at the proxy: the very request that carries them is a viewer's.
  const demoted = await app.fetch(
    "/apps/x/settings",
    asSignedIn(carol.session, {
      method: "POST",
      address: "10.0.0.4",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "remote-user": "carol",
        "remote-groups": "dev",
      },
      body: new URLSearchParams({
        _csrf: await csrfTokenFor(carol.session),
        display_name: "X",
      }).toString(),
    } as RequestInit),
  );
  assert.equal(demoted.status, 403);
  assert.match(await demoted.text(), /is a viewer/);
  assert.equal(await role("carol"), "viewer");
  const api = await app.fetch("/api/v1/admin/users", {
    address: "10.0.0.4",
    headers: { "remote-user": "carol", "remote-groups": "dev" },
  });
  assert.equal(api.status, 403, "the read API sees the same role");
  await api.body?.cancel();
  // Back in the admin group: admin again, on the API too.
  const promoted = await app.fetch("/api/v1/admin/users", {
    address: "10.0.0.4",
    headers: { "remote-user": "carol", "remote-groups": "ops|shm-admins" },
  });
  assert.equal(promoted.status, 200);
  await promoted.body?.cancel();
  assert.equal(await role("carol"), "admin");
  // Now alice is no longer the last admin: her groups demote her.
  await throughProxy(app, "/", { address: "10.0.0.4", user: "alice", groups: "dev" });
  assert.equal(await role("alice"), "viewer");
  assert.deepEqual(await auditLines(app, "account.role"), [
    {
      actor: "auth proxy",
      action: "account.role",
      target: "carol",
      detail: { from: "admin", to: "viewer" },
    },
    {
      actor: "auth proxy",
      action: "account.role",
      target: "carol",
      detail: { from: "viewer", to: "admin" },
    },
    {
      actor: "auth proxy",
      action: "account.role",
      target: "alice",
      detail: { from: "admin", to: "viewer" },
    },
  ]);
  // A request whose groups match the role writes nothing more.
  await throughProxy(app, "/", { address: "10.0.0.4", user: "carol", groups: "shm-admins" });
  assert.equal((await auditLines(app, "account.role")).length, 3);
});

Deno.test("auth proxy: without an admin group, roles are left to admins (no re-sync)", async () => {
  const { SHM_AUTH_PROXY_ADMIN_GROUP: _, ...settings } = PROXY_SETTINGS;
  await using app = await openDashboard({ settings });
  await app.db.query(sql`insert into users (username, password_hash, created_at, role)
    values ('erin', 'x', now(), 'admin')`);
  const erin = await throughProxy(app, "/", { address: "10.0.0.5", user: "erin", groups: "dev" });
  assert.equal(erin.first.status, 303);
  assert.equal((await accounts(app)).find((a) => a.username === "erin")?.role, "admin");
  assert.deepEqual(await auditLines(app, "account.role"), []);
});

Deno.test("auth proxy: the header from a peer outside the trusted ranges is ignored, whatever it forwards", async () => {
  await using app = await openDashboard({
    settings: { ...PROXY_SETTINGS, SHM_TRUST_PROXY: "true" },
  });
  for (const address of ["192.0.2.10", "11.0.0.1", "fe80::1", "::ffff:192.0.2.10", "2001:db8::5"]) {
    const response = await app.fetch("/", {
      address,
      headers: {
        "remote-user": "mallory",
        "remote-groups": "shm-admins",
        "x-forwarded-for": "10.0.0.1",
      },
    });
    assert.equal(response.status, 303, address);
    assert.equal(response.headers.get("location"), "/login?next=%2F", address);
    assert.equal(cookieValue(response, "shm_session"), undefined, address);
    const api = await app.fetch("/api/v1/admin/stats", {
      address,
      headers: { "remote-user": "mallory" },
    });
    assert.equal(api.status, 401, address);
    await api.body?.cancel();
  }
  assert.deepEqual(await accounts(app), [{ username: "alice", role: "admin" }]);
});

Deno.test("auth proxy: an empty, too long or malformed user header, or a huge groups header, is a 400 that makes nothing", async () => {
  await using app = await openDashboard({ settings: PROXY_SETTINGS });
  const before = await app.db.query(sql`select count(*)::int as n from sessions`);
  for (
    const [user, groups, pattern] of [
      ["", undefined, /header is empty/],
      ["x".repeat(65), undefined, /is not a username/],
      ["eve\u0007", undefined, /is not a username/],
      ["eve\tsmith", undefined, /is not a username/],
      ["eve smith", undefined, /is not a username/],
      ["../admin", undefined, /is not a username/],
      ["eve", "g,".repeat(3000), /longer than 4096 characters/],
    ] as [string, string | undefined, RegExp][]
  ) {
    const headers: Record<string, string> = { "remote-user": user };
    if (groups !== undefined) headers["remote-groups"] = groups;
    const page = await app.fetch("/", { address: "10.0.0.2", headers });
    assert.equal(page.status, 400, JSON.stringify(user));
    assert.match(await page.text(), pattern);
    const api = await app.fetch("/api/v1/admin/stats", { address: "10.0.0.2", headers });
    assert.equal(api.status, 400);
    assert.equal((await api.json()).error.code, "bad_proxy_header");
  }
  assert.deepEqual(await accounts(app), [{ username: "alice", role: "admin" }]);
  assert.deepEqual(await app.db.query(sql`select count(*)::int as n from sessions`), before);
});

Deno.test("auth proxy: a disabled account is refused with 403; the admin read API takes the header too, with the account's role", async () => {
  await using app = await openDashboard({ settings: PROXY_SETTINGS });
  const headers = { "remote-user": "alice" };
  const stats = await app.fetch("/api/v1/admin/stats", { address: "10.0.0.3", headers });
  assert.equal(stats.status, 200);
  await stats.body?.cancel();
  const viewer = await app.fetch("/api/v1/admin/users", {
    address: "10.0.0.3",
    headers: { "remote-user": "vik" },
  });
  assert.equal(viewer.status, 403, "a new account without the admin group is a viewer");
  assert.equal((await viewer.json()).error.code, "forbidden");
  await app.db.query(sql`update users set disabled_at = now() where username = 'vik'`);
  const page = await app.fetch("/", { address: "10.0.0.3", headers: { "remote-user": "vik" } });
  assert.equal(page.status, 403);
  assert.match(await page.text(), /the account is disabled/);
  const api = await app.fetch("/api/v1/admin/stats", {
    address: "10.0.0.3",
    headers: { "remote-user": "vik" },
  });
  assert.equal(api.status, 403);
  assert.equal((await api.json()).error.code, "account_disabled");
  // A session of another user is replaced by the proxy's user.
  const alice = await app.fetch("/", { address: "10.0.0.3", headers });
  const session = cookieValue(alice, "shm_session");
  assert.ok(session);
  const switched = await app.fetch(
    "/",
    asSignedIn(session, {
      address: "10.0.0.3",
      headers: { "remote-user": "carl" },
    } as RequestInit),
  );
  assert.equal(switched.status, 303);
  assert.notEqual(cookieValue(switched, "shm_session"), session);
});

Deno.test("auth proxy settings: the header needs trusted ranges (no default trust); bad ranges and names are refused", () => {
  const read = (settings: Record<string, string>) => () => readConfig({}, (name) => settings[name]);
  const refusals: [Record<string, string>, RegExp][] = [
    [
      { SHM_AUTH_PROXY_HEADER: "Remote-User" },
      /without SHM_AUTH_PROXY_TRUSTED.*nothing is trusted/,
    ],
    [
      { SHM_AUTH_PROXY_HEADER: "Remote-User", SHM_AUTH_PROXY_TRUSTED: "10.0.0.0/33" },
      /"10\.0\.0\.0\/33" is not an address range/,
    ],
    [
      { SHM_AUTH_PROXY_HEADER: "Remote-User", SHM_AUTH_PROXY_TRUSTED: " , " },
      /names no address range/,
    ],
    [
      { SHM_AUTH_PROXY_HEADER: "Remote User", SHM_AUTH_PROXY_TRUSTED: "10.0.0.1" },
      /not a header name/,
    ],
    [{ SHM_AUTH_PROXY_TRUSTED: "10.0.0.1" }, /without SHM_AUTH_PROXY_HEADER/],
    [{ SHM_AUTH_PROXY_ADMIN_GROUP: "admins" }, /without SHM_AUTH_PROXY_HEADER/],
    [{
      SHM_AUTH_PROXY_HEADER: "Remote-User",
      SHM_AUTH_PROXY_TRUSTED: "10.0.0.1",
      SHM_AUTH_PROXY_ADMIN_GROUP: "a,b",
    }, /as a group name/],
  ];
  for (const [settings, pattern] of refusals) {
    assert.throws(
      read(settings),
      (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
      JSON.stringify(settings),
    );
  }
  const config = read(PROXY_SETTINGS)();
  assert.equal(config.authProxy?.header, "remote-user");
  assert.equal(config.authProxy?.groupsHeader, "remote-groups");
  assert.equal(config.authProxy?.adminGroup, "shm-admins");
  assert.equal(config.authProxy?.trusted.length, 2);
  assert.equal(read({})().authProxy, null, "off by default");
});
