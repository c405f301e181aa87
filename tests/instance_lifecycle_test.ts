/**
 * An operator's revoke, restore and delete of an instance (issue #13), from
 * the admin API and from the instance page, and the audit lines they leave.
 */

import assert from "node:assert/strict";
import { createHandler } from "../server/http/mod.ts";
import { createLogger } from "../server/log.ts";
import { sql } from "../server/store/mod.ts";
import {
  countRows,
  openTestApp,
  storedInstance,
  storeFingerprint,
  TEST_ADMIN_TOKEN,
  type TestApp,
} from "./support/app.ts";
import {
  asSignedIn,
  feedInstance,
  formToken,
  openDashboard,
  postForm,
  signIn,
} from "./support/dashboard.ts";
import type { TestInstance } from "./support/instance_client.ts";

const DAY = 86_400_000;
const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

function admin(app: TestApp, path: string, method = "GET") {
  return app.fetch(path, { method, headers: ADMIN });
}

async function auditLines(app: TestApp) {
  const response = await admin(app, "/api/v1/admin/audit");
  assert.equal(response.status, 200);
  return (await response.json()).data as {
    at: string;
    actor: string;
    action: string;
    target: string;
    detail: Record<string, unknown>;
  }[];
}

async function snapshotStatus(app: TestApp, instance: TestInstance) {
  app.clock.advance(1000);
  return await app.send(
    await instance.snapshotRequest({ users: 1 }, { timestamp: app.clock.now() }),
  );
}

Deno.test("admin API: revoke answers 200 with the instance, revoked; its history stays; restore makes it active again", async () => {
  await using app = await openTestApp();
  const instance = await feedInstance(app, { appName: "Life App", version: "1.0.0" });
  const daysBefore = await countRows(app.db, "instance_days");
  const revoked = await admin(app, `/api/v1/admin/instances/${instance.instanceId}/revoke`, "POST");
  assert.equal(revoked.status, 200);
  const body = await revoked.json();
  assert.equal(body.instance_id, instance.instanceId);
  assert.equal(body.status, "revoked");
  assert.equal(body.app_slug, "life-app");
  // The same JSON as the instance detail and the list.
  const detail = await admin(app, `/api/v1/admin/instances/${instance.instanceId}`);
  assert.deepEqual(await detail.json(), body);
  const list = await (await admin(app, "/api/v1/admin/instances?status=revoked")).json();
  assert.deepEqual(list.instances, [body]);
  assert.equal(await countRows(app.db, "instance_days"), daysBefore, "history stays");
  assert.equal(await countRows(app.db, "snapshots"), 1);

  const restored = await admin(
    app,
    `/api/v1/admin/instances/${instance.instanceId}/restore`,
    "POST",
  );
  assert.equal(restored.status, 200);
  assert.equal((await restored.json()).status, "active", "it had sent a snapshot");
  assert.equal((await snapshotStatus(app, instance)).status, 202, "accepted again");
});

Deno.test("admin API: a restored instance that never sent a snapshot is pending again", async () => {
  await using app = await openTestApp();
  const instance = await feedInstance(app, { appName: "Life App", version: "1.0.0" });
  await app.db.query(sql`update instances set status = 'pending', last_snapshot_at = null`);
  await admin(app, `/api/v1/admin/instances/${instance.instanceId}/revoke`, "POST");
  const restored = await admin(
    app,
    `/api/v1/admin/instances/${instance.instanceId}/restore`,
    "POST",
  );
  assert.equal((await restored.json()).status, "pending");
});

Deno.test("admin API: an unknown instance id is a 404 on every instance route, and nothing changes", async () => {
  await using app = await openTestApp();
  await feedInstance(app, { appName: "Life App", version: "1.0.0" });
  const before = await storeFingerprint(app.db);
  for (
    const [method, path] of [
      ["GET", `/api/v1/admin/instances/${UNKNOWN_ID}`],
      ["POST", `/api/v1/admin/instances/${UNKNOWN_ID}/revoke`],
      ["POST", `/api/v1/admin/instances/${UNKNOWN_ID}/restore`],
      ["DELETE", `/api/v1/admin/instances/${UNKNOWN_ID}`],
    ] as const
  ) {
    const response = await admin(app, path, method);
    assert.equal(response.status, 404, `${method} ${path}`);
    assert.equal((await response.json()).error.code, "unknown_instance");
  }
  assert.deepEqual(await storeFingerprint(app.db), before);
  assert.deepEqual(await auditLines(app), [], "nothing done, nothing recorded");
});

Deno.test("admin API: the writes take a token, never a session", async () => {
  await using app = await openDashboard();
  const instance = await feedInstance(app, { appName: "Life App", version: "1.0.0" });
  const session = await signIn(app);
  const response = await app.fetch(
    `/api/v1/admin/instances/${instance.instanceId}/revoke`,
    asSignedIn(session, { method: "POST" }),
  );
  assert.equal(response.status, 401);
  assert.equal((await storedInstance(app.db, instance.instanceId))?.["status"], "active");
});

Deno.test("admin API: delete answers 204 and removes every row in one go, marking its days for the rollups", async () => {
  await using app = await openTestApp();
  const leaving = await feedInstance(app, { appName: "Life App", version: "1.0.0" });
  const staying = await feedInstance(app, { appName: "Life App", version: "1.0.0" });
  app.clock.advance(2 * DAY);
  assert.equal((await snapshotStatus(app, leaving)).status, 202);
  // Revoked first: an operator's delete removes a revoked instance too (an erase would not).
  await admin(app, `/api/v1/admin/instances/${leaving.instanceId}/revoke`, "POST");
  await app.db.query(sql`delete from rollup_stale`);
  const response = await admin(app, `/api/v1/admin/instances/${leaving.instanceId}`, "DELETE");
  assert.equal(response.status, 204);
  assert.equal(await response.text(), "");
  assert.equal(await storedInstance(app.db, leaving.instanceId), undefined);
  assert.ok(await storedInstance(app.db, staying.instanceId));
  assert.equal(await countRows(app.db, "instance_days"), 1, "the other instance's day");
  assert.equal(await countRows(app.db, "snapshots"), 1);
  const stale = await app.db.query<{ day: string }>(
    sql`select day::text from rollup_stale order by day`,
  );
  assert.deepEqual(stale.map((s) => s.day), ["2026-11-25", "2026-11-27"]);
  const again = await admin(app, `/api/v1/admin/instances/${leaving.instanceId}`, "DELETE");
  assert.equal(again.status, 404);
  // Its next request is that of an unknown instance.
  const refused = await snapshotStatus(app, leaving);
  assert.equal(refused.status, 403);
  assert.equal((await refused.json()).error.code, "unknown_instance");
});

Deno.test("revoke: activate, snapshot and erase answer 403 instance_revoked at once, in this process and in one whose cache holds the key", async () => {
  await using app = await openTestApp();
  const instance = await feedInstance(app, { appName: "Life App", version: "1.0.0" });
  // A second server process on the same database, its key cache warm.
  const other = createHandler({
    config: app.config,
    db: app.db,
    log: createLogger("error", () => {}),
    now: app.clock.now,
  });
  const sendOther = async (request: Awaited<ReturnType<TestInstance["activateRequest"]>>) =>
    await other(
      new Request(new URL(request.path, "http://shm.test"), {
        method: "POST",
        headers: request.headers,
        body: request.body as Uint8Array<ArrayBuffer>,
      }),
      { remoteAddr: { hostname: "192.0.2.2" } },
    );
  assert.equal((await sendOther(await instance.activateRequest())).status, 200);
  const before = await storeFingerprint(app.db);
  assert.equal(
    (await admin(app, `/api/v1/admin/instances/${instance.instanceId}/revoke`, "POST")).status,
    200,
  );
  const afterRevoke = await storeFingerprint(app.db);
  for (const send of [app.send, sendOther]) {
    app.clock.advance(1000);
    const requests = [
      await instance.activateRequest(),
      await instance.snapshotRequest({ users: 9 }, { timestamp: app.clock.now() }),
      await instance.signedRequest("/v1/erase", {
        instance_id: instance.instanceId,
        action: "erase",
        timestamp: app.clock.now().toISOString(),
      }),
    ];
    for (const request of requests) {
      const response = await send(request);
      assert.equal(response.status, 403, request.path);
      assert.equal((await response.json()).error.code, "instance_revoked", request.path);
    }
  }
  assert.notDeepEqual(afterRevoke, before, "the revoke changed the status");
  assert.deepEqual(
    await storeFingerprint(app.db),
    afterRevoke,
    "the refused requests wrote nothing",
  );
});

Deno.test("instance page: revoke and delete go through a confirmation form (no JavaScript), restore is one button", async () => {
  await using app = await openDashboard();
  const instance = await feedInstance(app, { appName: "Life App", version: "1.0.0" });
  const session = await signIn(app);
  const pagePath = `/instances/${instance.instanceId}`;
  const page = await (await app.fetch(pagePath, asSignedIn(session))).text();
  assert.match(page, /href="\?confirm=revoke"/);
  assert.match(page, /href="\?confirm=delete"/);
  assert.doesNotMatch(page, /action="[^"]*\/revoke"/, "no one-click revoke");

  const confirm = await (await app.fetch(`${pagePath}?confirm=revoke`, asSignedIn(session))).text();
  assert.match(confirm, new RegExp(`action="${pagePath}/revoke"`));
  const csrf = formToken(confirm);
  // Without the CSRF token: refused, nothing changes.
  const forged = await postForm(app, `${pagePath}/revoke`, { session, fields: {} });
  assert.equal(forged.status, 403);
  assert.equal((await storedInstance(app.db, instance.instanceId))?.["status"], "active");

  const revoked = await postForm(app, `${pagePath}/revoke`, { session, fields: { _csrf: csrf } });
  assert.equal(revoked.status, 303);
  assert.equal(revoked.headers.get("location"), `${pagePath}?done=revoked`);
  assert.equal((await storedInstance(app.db, instance.instanceId))?.["status"], "revoked");
  const after = await (await app.fetch(`${pagePath}?done=revoked`, asSignedIn(session))).text();
  assert.match(after, /was revoked/);
  assert.match(after, new RegExp(`action="${pagePath}/restore"`));

  const restored = await postForm(app, `${pagePath}/restore`, { session, fields: { _csrf: csrf } });
  assert.equal(restored.headers.get("location"), `${pagePath}?done=restored`);
  assert.equal((await storedInstance(app.db, instance.instanceId))?.["status"], "active");

  const confirmDelete = await (await app.fetch(`${pagePath}?confirm=delete`, asSignedIn(session)))
    .text();
  assert.match(confirmDelete, new RegExp(`action="${pagePath}/delete"`));
  const deleted = await postForm(app, `${pagePath}/delete`, { session, fields: { _csrf: csrf } });
  assert.equal(deleted.status, 303);
  assert.equal(deleted.headers.get("location"), "/apps/life-app/instances");
  assert.equal(await storedInstance(app.db, instance.instanceId), undefined);
  const gone = await postForm(app, `${pagePath}/delete`, { session, fields: { _csrf: csrf } });
  assert.equal(gone.status, 404);
});

Deno.test("audit: each instance action is a line naming who did it: the username, the admin token or an API token by name", async () => {
  await using app = await openDashboard();
  const first = await feedInstance(app, { appName: "Life App", version: "1.0.0" });
  const second = await feedInstance(app, { appName: "Life App", version: "1.0.0" });
  const session = await signIn(app);
  const settings = await (await app.fetch("/settings", asSignedIn(session))).text();
  const created = await postForm(app, "/settings/tokens", {
    session,
    fields: { _csrf: formToken(settings), name: "deploy bot" },
  });
  const token = /(shm_[A-Za-z0-9_-]{43})/.exec(await created.text())?.[1];
  assert.ok(token);
  const csrf = formToken(settings);

  app.clock.advance(1000);
  await postForm(app, `/instances/${first.instanceId}/revoke`, {
    session,
    fields: { _csrf: csrf },
  });
  app.clock.advance(1000);
  await admin(app, `/api/v1/admin/instances/${first.instanceId}/restore`, "POST");
  app.clock.advance(1000);
  const byToken = await app.fetch(`/api/v1/admin/instances/${second.instanceId}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(byToken.status, 204);

  const lines = (await auditLines(app)).filter((line) => line.action.startsWith("instance."));
  assert.deepEqual(
    lines.map(({ actor, action, target, detail }) => ({ actor, action, target, detail })),
    [
      {
        actor: "api token deploy bot",
        action: "instance.delete",
        target: second.instanceId,
        detail: {},
      },
      {
        actor: "admin token",
        action: "instance.restore",
        target: first.instanceId,
        detail: { before: "revoked", after: "active" },
      },
      {
        actor: "alice",
        action: "instance.revoke",
        target: first.instanceId,
        detail: { before: "active", after: "revoked" },
      },
    ],
  );
  assert.ok(lines.every((line) => !Number.isNaN(Date.parse(line.at))));
  assert.ok(lines[0]!.at > lines[1]!.at && lines[1]!.at > lines[2]!.at, "newest first");
});
