/**
 * The audit log (issue #13): every operator action on an instance and every
 * settings change is a line (who, what, on what, detail, when), written in
 * the transaction of the change, shown on the settings page and by
 * `GET /api/v1/admin/audit`.
 */

import assert from "node:assert/strict";
import { ensureFirstAccount } from "../server/accounts/mod.ts";
import { userCommand } from "../server/cli/user_command.ts";
import { createHandler } from "../server/http/mod.ts";
import { createLogger } from "../server/log.ts";
import { PublicKeyCache } from "../server/ingest/mod.ts";
import { auditTrail, revokeInstance } from "../server/lifecycle/mod.ts";
import { openMigratedStore, sql } from "../server/store/mod.ts";
import { storedInstance, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import {
  asSignedIn,
  DASHBOARD_PASSWORD,
  feedInstance,
  formToken,
  openDashboard,
  postForm,
  signIn,
} from "./support/dashboard.ts";
import { freshStoreSetting } from "./support/store.ts";

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

interface Line {
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

async function audit(app: TestApp, query = ""): Promise<Line[]> {
  const response = await app.fetch(`/api/v1/admin/audit${query}`, { headers: ADMIN });
  assert.equal(response.status, 200);
  return (await response.json()).data;
}

function withoutTime(lines: Line[]) {
  return lines.map(({ actor, action, target, detail }) => ({ actor, action, target, detail }));
}

Deno.test("audit: app settings changed from the page and the admin API, tokens made and revoked, a password changed", async () => {
  await using app = await openDashboard();
  await feedInstance(app, { appName: "Audit App", version: "1.0.0" });
  const session = await signIn(app);
  const csrf = formToken(await (await app.fetch("/settings", asSignedIn(session))).text());

  app.clock.advance(1000);
  const api = await app.fetch("/api/v1/admin/applications/audit-app/settings", {
    method: "PUT",
    headers: { ...ADMIN, "content-type": "application/json" },
    body: JSON.stringify({ public_badges: true, display_name: "Audited" }),
  });
  assert.equal(api.status, 200);
  app.clock.advance(1000);
  const saved = await postForm(app, "/apps/audit-app/settings", {
    session,
    fields: { _csrf: csrf, display_name: "" },
  });
  assert.equal(saved.status, 303);
  app.clock.advance(1000);
  const created = await postForm(app, "/settings/tokens", {
    session,
    fields: { _csrf: csrf, name: "nightly" },
  });
  assert.equal(created.status, 201);
  const tokenId = /action="\/settings\/tokens\/(\d+)\/revoke"/.exec(await created.text())?.[1];
  assert.ok(tokenId);
  app.clock.advance(1000);
  await postForm(app, `/settings/tokens/${tokenId}/revoke`, { session, fields: { _csrf: csrf } });
  app.clock.advance(1000);
  const password = await postForm(app, "/settings/password", {
    session,
    fields: {
      _csrf: csrf,
      current_password: DASHBOARD_PASSWORD,
      new_password: "alice-new-password",
      confirm_password: "alice-new-password",
    },
  });
  assert.equal(password.status, 303);
  // Refused changes leave no line.
  await postForm(app, "/settings/password", {
    session,
    fields: {
      _csrf: csrf,
      current_password: "wrong-password-1",
      new_password: "alice-third-pass",
      confirm_password: "alice-third-pass",
    },
  });
  await postForm(app, `/settings/tokens/${tokenId}/revoke`, { session, fields: { _csrf: csrf } });

  const lines = withoutTime(await audit(app));
  assert.equal(lines[0]?.action, "password.change");
  assert.deepEqual(lines.slice(0, 4), [
    { actor: "alice", action: "password.change", target: "alice", detail: {} },
    {
      actor: "alice",
      action: "api_token.revoke",
      target: "nightly",
      detail: { id: Number(tokenId) },
    },
    {
      actor: "alice",
      action: "api_token.create",
      target: "nightly",
      detail: { id: Number(tokenId), scope: "write", expires_at: null },
    },
    {
      actor: "alice",
      action: "app_settings.change",
      target: "audit-app",
      detail: lines[3]!.detail,
    },
  ]);
  assert.equal(lines[3]!.detail["display_name"], null, "the form cleared the display name");
  assert.deepEqual(lines[4], {
    actor: "admin token",
    action: "app_settings.change",
    target: "audit-app",
    detail: { public_badges: true, display_name: "Audited" },
  });
  assert.equal(lines.length, 5);
});

Deno.test("audit: GET /api/v1/admin/audit is newest first, limit 1 to 500 (default 100), a bad limit a 400 naming it", async () => {
  await using app = await openDashboard();
  const instance = await feedInstance(app, { appName: "Audit App", version: "1.0.0" });
  for (const action of ["revoke", "restore", "revoke"]) {
    app.clock.advance(1000);
    await app.fetch(`/api/v1/admin/instances/${instance.instanceId}/${action}`, {
      method: "POST",
      headers: ADMIN,
    });
  }
  const all = await audit(app);
  assert.deepEqual(all.map((line) => line.action), [
    "instance.revoke",
    "instance.restore",
    "instance.revoke",
  ]);
  assert.deepEqual(Object.keys(all[0]!), ["at", "actor", "action", "target", "detail"]);
  assert.ok(all[0]!.at > all[1]!.at && all[1]!.at > all[2]!.at);
  assert.deepEqual(await audit(app, "?limit=1"), all.slice(0, 1));
  assert.deepEqual(await audit(app, "?limit=500"), all);
  for (const bad of ["0", "501", "-1", "ten", "1.5"]) {
    const response = await app.fetch(`/api/v1/admin/audit?limit=${bad}`, { headers: ADMIN });
    assert.equal(response.status, 400, bad);
    const body = await response.json();
    assert.equal(body.error.code, "invalid_parameter");
    assert.match(body.error.message, /"limit"/);
  }
  // A session may read it too, as the rest of the admin read API.
  const session = await signIn(app);
  const bySession = await app.fetch("/api/v1/admin/audit", asSignedIn(session));
  assert.equal(bySession.status, 200);
  assert.equal((await app.fetch("/api/v1/admin/audit")).status, 401);
});

Deno.test("audit: the settings page shows the newest 50 lines, newest first", async () => {
  await using app = await openDashboard();
  const instance = await feedInstance(app, { appName: "Audit App", version: "1.0.0" });
  for (let i = 0; i < 26; i++) {
    for (const action of ["revoke", "restore"]) {
      app.clock.advance(1000);
      await app.fetch(`/api/v1/admin/instances/${instance.instanceId}/${action}`, {
        method: "POST",
        headers: ADMIN,
      });
    }
  }
  const session = await signIn(app);
  const html = await (await app.fetch("/settings", asSignedIn(session))).text();
  const rows = [...html.matchAll(/<tr data-action="([a-z_.]+)"/g)].map((m) => m[1]);
  assert.equal(rows.length, 50);
  assert.equal(rows[0], "instance.restore", "the last action first");
  assert.equal(rows[1], "instance.revoke");
  assert.match(html, new RegExp(`<td>${instance.instanceId}</td>`));
});

Deno.test("audit: a change and its line are one transaction: when the line cannot be written, the change is not made", async () => {
  await using app = await openDashboard();
  const instance = await feedInstance(app, { appName: "Audit App", version: "1.0.0" });
  const ctx = { db: app.db, now: app.clock.now, keys: new PublicKeyCache() };
  await app.db.query(sql`alter table audit_log rename to audit_log_away`);
  try {
    await assert.rejects(() => revokeInstance(ctx, instance.instanceId, "alice"));
    assert.equal((await storedInstance(app.db, instance.instanceId))?.["status"], "active");
  } finally {
    await app.db.query(sql`alter table audit_log_away rename to audit_log`);
  }
  assert.equal((await revokeInstance(ctx, instance.instanceId, "alice")).kind, "changed");
  assert.equal((await storedInstance(app.db, instance.instanceId))?.["status"], "revoked");
  assert.equal((await auditTrail(app.db, 10)).length, 1);
});

Deno.test("audit: accounts made by the setup link, the CLI and at start are lines naming which", async () => {
  await using app = await openDashboard();
  assert.equal(
    await ensureFirstAccount(app.db, {
      username: "root",
      password: "root-password-1",
      now: app.clock.now(),
    }),
    "exists",
    "alice exists: nothing made, nothing recorded",
  );
  assert.deepEqual(await auditTrail(app.db, 10), []);
  await app.db.execScript("truncate users restart identity cascade");
  assert.equal(
    await ensureFirstAccount(app.db, {
      username: "root",
      password: "root-password-1",
      now: app.clock.now(),
    }),
    "created",
  );
  assert.deepEqual(withoutTime((await audit(app)).slice(0, 1)), [
    { actor: "startup", action: "account.create", target: "root", detail: { role: "admin" } },
  ]);

  // The setup link, while no account exists.
  await app.db.execScript("truncate users restart identity cascade");
  const setupToken = "setup-token-0123456789abcdef";
  const withSetup = createHandler({
    config: app.config,
    db: app.db,
    log: createLogger("error", () => {}),
    now: app.clock.now,
    setupToken,
  });
  app.clock.advance(1000);
  const setup = await withSetup(
    new Request("http://shm.test/setup", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        token: setupToken,
        username: "bob",
        password: "bob-password-1",
        confirm_password: "bob-password-1",
      }).toString(),
    }),
    { remoteAddr: { hostname: "192.0.2.1" } },
  );
  assert.equal(setup.status, 303);
  assert.deepEqual(withoutTime((await audit(app)).slice(0, 2)), [
    { actor: "setup link", action: "account.create", target: "bob", detail: { role: "admin" } },
    { actor: "startup", action: "account.create", target: "root", detail: { role: "admin" } },
  ]);

  // `shm user add` and `shm user passwd`, in-process, on a store of this run's kind.
  await using owned = await freshStoreSetting();
  const deps = {
    store: owned.setting,
    now: app.clock.now(),
    print: () => {},
    readPassword: () => Promise.resolve("cli-password-1"),
  };
  assert.equal(await userCommand(["add", "carol"], deps), 0);
  assert.equal(await userCommand(["passwd", "carol"], deps), 0);
  const { db } = await openMigratedStore(owned.setting);
  try {
    const lines = (await auditTrail(db, 10)).map((e) => ({ ...e, at: e.at.toISOString() }));
    assert.deepEqual(withoutTime(lines), [
      { actor: "cli", action: "password.change", target: "carol", detail: {} },
      { actor: "cli", action: "account.create", target: "carol", detail: { role: "admin" } },
    ]);
  } finally {
    await db.close();
  }
});
