/**
 * The alerts' admin API (issue 14): `GET|POST
 * /api/v1/admin/applications/{slug}/alerts`, `DELETE .../alerts/{id}`: rules
 * with presets, the secret returned once, hostile input refused with a 400
 * that writes nothing, access as the route table declares it; and the
 * conditions judged on figures at the edges of their windows.
 */

import assert from "node:assert/strict";
import { judgeCondition } from "../server/alerts/conditions.ts";
import { isInternalAddress } from "../server/alerts/mod.ts";
import { sql } from "../server/store/mod.ts";
import { openTestApp, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import { feedInstance, openDashboard, signIn } from "./support/dashboard.ts";

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" };

async function post(app: TestApp, slug: string, body: string) {
  const response = await app.fetch(`/api/v1/admin/applications/${slug}/alerts`, {
    method: "POST",
    headers: ADMIN,
    body,
  });
  return { status: response.status, body: await response.json() };
}

async function ruleCount(app: TestApp): Promise<number> {
  const [row] = await app.db.query<{ n: number }>(
    sql`select count(*)::int as n from alert_rules`,
  );
  return row!.n;
}

Deno.test("alerts API: rules are made with presets, listed without their secret, and deleted", async () => {
  await using app = await openTestApp();
  await feedInstance(app, { appName: "Ruled", version: "1.0.0" });
  const made = await post(app, "ruled", '{"kind": "active_drop", "email": "ops@example.org"}');
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.match(made.body.secret, /^whsec_[0-9a-f]{64}$/);
  assert.deepEqual({ ...made.body, secret: "", created_at: "" }, {
    id: made.body.id,
    kind: "active_drop",
    percent: 50,
    webhook_url: null,
    email: "ops@example.org",
    firing: false,
    last_fired_at: null,
    created_at: "",
    secret: "",
  });
  const presets = [
    ['{"kind": "silence", "email": "a@example.org"}', { hours: 24 }],
    ['{"kind": "version_share", "percent": 30, "webhook_url": "https://hooks.example.com/x?a=1"}', {
      percent: 30,
    }],
    ['{"kind": "metric_threshold", "metric": "db.rows", "above": 1e6, "email": "a@example.org"}', {
      metric: "db.rows",
      above: 1e6,
      below: null,
    }],
  ] as const;
  for (const [body, params] of presets) {
    const result = await post(app, "ruled", body);
    assert.equal(result.status, 201, body);
    for (const [key, value] of Object.entries(params)) {
      assert.deepEqual(result.body[key], value, `${body}: ${key}`);
    }
  }
  const listed = await app.fetch("/api/v1/admin/applications/ruled/alerts", { headers: ADMIN });
  const list = await listed.json();
  assert.equal(listed.status, 200);
  assert.deepEqual(list.alerts.map((a: { kind: string }) => a.kind), [
    "active_drop",
    "silence",
    "version_share",
    "metric_threshold",
  ]);
  assert.ok(list.alerts.every((a: Record<string, unknown>) => !("secret" in a)));
  assert.equal(list.alerts[2].webhook_url, "https://hooks.example.com/x?a=1");
  assert.deepEqual(list.deliveries, []);

  const removed = await app.fetch(`/api/v1/admin/applications/ruled/alerts/${made.body.id}`, {
    method: "DELETE",
    headers: ADMIN,
  });
  assert.equal(removed.status, 204);
  assert.equal(await ruleCount(app), 3);
  const again = await app.fetch(`/api/v1/admin/applications/ruled/alerts/${made.body.id}`, {
    method: "DELETE",
    headers: ADMIN,
  });
  assert.equal(again.status, 404);
  assert.equal((await again.json()).error.code, "unknown_alert");
});

Deno.test("alerts API: hostile or wrong rules are a 400 invalid_alert naming the problem, and nothing is written", async () => {
  await using app = await openTestApp();
  await feedInstance(app, { appName: "Ruled", version: "1.0.0" });
  const bad: [string, RegExp][] = [
    ["[]", /not a JSON object/],
    ['"silence"', /not a JSON object/],
    ['{"kind": "reboot", "email": "a@example.org"}', /"kind" must be one of/],
    ['{"kind": "silence"}', /goes nowhere/],
    [
      '{"kind": "silence", "email": "a@example.org", "hours": 0}',
      /"hours" as it must be a number from 1 to 8760/,
    ],
    ['{"kind": "silence", "email": "a@example.org", "hours": "24"}', /"hours"/],
    ['{"kind": "active_drop", "email": "a@example.org", "percent": 101}', /"percent"/],
    ['{"kind": "active_drop", "email": "a@example.org", "hours": 2}', /with "hours"/],
    ['{"kind": "metric_threshold", "email": "a@example.org", "metric": "x"}', /exactly one/],
    [
      '{"kind": "metric_threshold", "email": "a@example.org", "metric": "x", "above": 1, "below": 2}',
      /exactly one/,
    ],
    [
      '{"kind": "metric_threshold", "email": "a@example.org", "metric": "a b", "above": 1}',
      /metric name/,
    ],
    ['{"kind": "silence", "email": "not an address"}', /"email"/],
    ['{"kind": "silence", "email": "a@example.org\\r\\nBcc: x@evil.example"}', /"email"/],
    ['{"kind": "silence", "webhook_url": "ftp://example.com/x"}', /only http and https/],
    [
      '{"kind": "silence", "webhook_url": "https://user:pw@example.com/x"}',
      /user name or password/,
    ],
    ['{"kind": "silence", "webhook_url": "/relative"}', /not an absolute URL/],
    ['{"kind": "silence", "webhook_url": "http://192.168.1.1/x"}', /internal address/],
    [JSON.stringify({ kind: "silence", webhook_url: `https://e.com/${"a".repeat(2000)}` }), /2000/],
    ['{"kind": "silence", "email": "a@example.org", "__proto__": {"x": 1}}', /"__proto__"/],
  ];
  for (const [body, message] of bad) {
    const result = await post(app, "ruled", body);
    assert.equal(result.status, 400, body);
    assert.equal(result.body.error.code, "invalid_alert", body);
    assert.match(result.body.error.message, message, body);
  }
  const malformed = await post(app, "ruled", "{nope");
  assert.deepEqual([malformed.status, malformed.body.error.code], [400, "malformed_json"]);
  assert.equal(
    (await post(app, "no-such-app", '{"kind":"silence","email":"a@b.org"}')).status,
    404,
  );
  assert.equal(await ruleCount(app), 0);
});

Deno.test("alerts API: reads take a session or a token; changes take a token, never a session", async () => {
  await using app = await openDashboard();
  await feedInstance(app, { appName: "Ruled", version: "1.0.0" });
  const session = await signIn(app);
  const cookie = { cookie: `shm_session=${session}` };
  const read = await app.fetch("/api/v1/admin/applications/ruled/alerts", { headers: cookie });
  assert.equal(read.status, 200);
  await read.body?.cancel();
  const write = await app.fetch("/api/v1/admin/applications/ruled/alerts", {
    method: "POST",
    headers: { ...cookie, "content-type": "application/json" },
    body: '{"kind": "silence", "email": "a@example.org"}',
  });
  assert.equal(write.status, 401);
  await write.body?.cancel();
  assert.equal(await ruleCount(app), 0);
});

Deno.test("alerts API: an application has at most 50 rules (409 too_many_alerts)", async () => {
  await using app = await openTestApp();
  await feedInstance(app, { appName: "Ruled", version: "1.0.0" });
  for (let i = 0; i < 50; i++) {
    assert.equal(
      (await post(app, "ruled", '{"kind":"silence","email":"a@example.org"}')).status,
      201,
    );
  }
  const over = await post(app, "ruled", '{"kind":"silence","email":"a@example.org"}');
  assert.deepEqual([over.status, over.body.error.code], [409, "too_many_alerts"]);
  assert.equal(await ruleCount(app), 50);
});

Deno.test("conditions: each rule holds exactly past its threshold", () => {
  const now = new Date("2026-11-25T12:00:00Z");
  const base = {
    now,
    active: 50,
    averageActive: 100,
    lastSnapshotAt: new Date(now.getTime() - 6 * 3_600_000),
    versions: [{ value: "1.0", instances: 30 }, { value: "2.0", instances: 20 }],
    metricSums: { jobs: 10 },
  };
  const drop = (active: number, averageActive: number | null) =>
    judgeCondition({ kind: "active_drop", percent: 50 }, { ...base, active, averageActive }, {})
      .holds;
  assert.equal(drop(50, 100), true, "exactly 50% lower");
  assert.equal(drop(51, 100), false);
  assert.equal(drop(0, 0.5), false, "an average under 1 instance is no fleet to lose");
  assert.equal(drop(0, null), false, "no rollups yet");
  const silence = (hours: number) => judgeCondition({ kind: "silence", hours }, base, {}).holds;
  assert.equal(silence(6), true, "6 hours silent, 6 allowed");
  assert.equal(silence(7), false);
  assert.equal(
    judgeCondition({ kind: "silence", hours: 1 }, { ...base, lastSnapshotAt: null }, {}).holds,
    false,
    "never before the first snapshot",
  );
  const threshold = (above: number | null, below: number | null, metric = "jobs") =>
    judgeCondition({ kind: "metric_threshold", metric, above, below }, base, {}).holds;
  assert.equal(threshold(9, null), true);
  assert.equal(threshold(10, null), false, "above is strict");
  assert.equal(threshold(null, 11), true);
  assert.equal(threshold(null, 10), false);
  assert.equal(threshold(null, 100, "unsent"), false, "a metric nobody sends holds nothing");
  const share = judgeCondition(
    { kind: "version_share", percent: 40 },
    base,
    { baseline: ["1.0"], announced: [] },
  );
  assert.deepEqual(share.announce, ["2.0"], "2.0 holds 40%; 1.0 was there already");
  assert.deepEqual(share.state, { baseline: ["1.0"], announced: ["2.0"] });
  const again = judgeCondition({ kind: "version_share", percent: 40 }, base, share.state);
  assert.deepEqual(again.announce, []);
  assert.equal(again.holds, true);
});

Deno.test("isInternalAddress: private, loopback, link-local, mapped and reserved addresses, not public ones", () => {
  for (
    const internal of [
      "127.0.0.1",
      "10.0.0.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.0.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "fe80::1",
      "fc00::1",
      "fd12:3456::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "64:ff9b::a00:1",
      "2001:db8::1",
      "ff02::1",
    ]
  ) assert.equal(isInternalAddress(internal), true, internal);
  for (const external of ["1.1.1.1", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "example.com"]) {
    assert.equal(isInternalAddress(external), false, external);
  }
});
