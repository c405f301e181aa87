/**
 * The admin read API (`/api/v1/admin/*`, issue 2 item 5): bearer-token
 * authentication, and every number checked against a small fleet built by
 * hand through the real instance endpoints.
 */

import assert from "node:assert/strict";
import { createAccount, createApiToken } from "../server/accounts/mod.ts";
import { findUserCredentials, setInstanceStatus } from "../server/store/mod.ts";
import { FakeClock, openTestApp, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import { TestInstance } from "./support/instance_client.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;
const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

/** One request to each admin endpoint, the unknown slug included (auth comes before lookup). */
const ADMIN_PATHS = [
  "/api/v1/admin/stats",
  "/api/v1/admin/applications",
  "/api/v1/admin/applications/some-app",
  "/api/v1/admin/instances",
  "/api/v1/admin/instances?app=some-app&status=active&limit=5",
  "/api/v1/admin/metrics/some-app?days=7",
];

/** GETs an admin path with the test token (or `headers`), returning status and parsed body. */
async function adminGet(app: TestApp, path: string, headers: HeadersInit = ADMIN) {
  const response = await app.fetch(path, { headers });
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/, path);
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/**
 * GETs an admin path right after an upkeep round (the summaries and rollups
 * then hold the latest state) and fails unless it answers 200.
 */
async function adminOk(app: TestApp, path: string) {
  await app.rollUp();
  const { status, body } = await adminGet(app, path);
  assert.equal(status, 200, `${path}: ${JSON.stringify(body)}`);
  return body;
}

/** Registers a new instance (201) and returns it. */
async function register(
  app: TestApp,
  appName: string,
  appVersion: string,
  extra: Record<string, unknown> = {},
): Promise<TestInstance> {
  const instance = await TestInstance.create();
  const response = await app.send(instance.registerRequest({ appName, appVersion, extra }));
  assert.equal(response.status, 201, await response.text());
  return instance;
}

async function activate(app: TestApp, instance: TestInstance): Promise<void> {
  const response = await app.send(await instance.activateRequest());
  assert.equal(response.status, 200, await response.text());
}

async function snapshot(
  app: TestApp,
  instance: TestInstance,
  metrics: Record<string, unknown>,
  timestamp: Date = app.clock.now(),
): Promise<void> {
  const response = await app.send(await instance.snapshotRequest(metrics, { timestamp }));
  assert.equal(response.status, 202, await response.text());
}

/** The admin error shape with its status and code; returns the message. */
function assertError(
  result: { status: number; body: { error?: { code?: unknown; message?: unknown } } },
  status: number,
  code: string,
  label = "",
): string {
  assert.equal(result.status, status, `${label} ${JSON.stringify(result.body)}`);
  assert.deepEqual(Object.keys(result.body), ["error"], label);
  assert.equal(result.body.error?.code, code, label);
  assert.equal(typeof result.body.error?.message, "string", label);
  return result.body.error?.message as string;
}

/** Base64url without padding, as the server spells its cursors. */
function base64url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

// ---------------------------------------------------------------- authentication

Deno.test("admin auth: every endpoint answers 401 without a token, before any lookup", async () => {
  await using app = await openTestApp();
  for (const path of ADMIN_PATHS) {
    const result = await adminGet(app, path, {});
    const message = assertError(result, 401, "unauthorized", path);
    assert.match(message, /Authorization: Bearer/, path);
    assert.equal(result.headers.get("www-authenticate"), 'Bearer realm="shm"', path);
  }
});

Deno.test("admin auth: a wrong token or a malformed Authorization header is a 401", async () => {
  await using app = await openTestApp();
  await register(app, "Some App", "1.0.0");
  const headers = [
    "Bearer wrong-token-0123456789abcdef",
    `Bearer ${TEST_ADMIN_TOKEN}x`,
    `Bearer ${TEST_ADMIN_TOKEN.slice(0, -1)}`,
    `Bearer ${TEST_ADMIN_TOKEN.toUpperCase()}`,
    `Bearer x${TEST_ADMIN_TOKEN}`,
    TEST_ADMIN_TOKEN,
    `Basic ${btoa(`admin:${TEST_ADMIN_TOKEN}`)}`,
    `Token ${TEST_ADMIN_TOKEN}`,
    "Bearer",
    "Bearer ",
    `Bearer ${TEST_ADMIN_TOKEN} ${TEST_ADMIN_TOKEN}`,
    `Bearer:${TEST_ADMIN_TOKEN}`,
  ];
  for (const path of ADMIN_PATHS) {
    for (const authorization of headers) {
      const result = await adminGet(app, path, { authorization });
      assertError(result, 401, "unauthorized", `${path} with ${JSON.stringify(authorization)}`);
    }
    // The same request with the right token goes through: the 401s above are the token's doing.
    assert.equal((await adminGet(app, path)).status, 200, `${path} with the token`);
  }
});

Deno.test("admin auth: with no token configured every endpoint is 401 admin_disabled naming SHM_ADMIN_TOKEN", async () => {
  await using app = await openTestApp({ settings: { SHM_ADMIN_TOKEN: "" } });
  assert.equal(app.config.adminToken, null, "an empty SHM_ADMIN_TOKEN means no token");
  await register(app, "Some App", "1.0.0");
  for (const path of ADMIN_PATHS) {
    for (
      const headers of [{}, ADMIN, { authorization: "Bearer " }, { authorization: "Bearer null" }]
    ) {
      const result = await adminGet(app, path, headers);
      const message = assertError(
        result,
        401,
        "admin_disabled",
        `${path} ${JSON.stringify(headers)}`,
      );
      assert.match(message, /SHM_ADMIN_TOKEN/);
      assert.match(message, /admin API is off as no SHM_ADMIN_TOKEN is set and no API token/);
    }
  }
  const health = await app.fetch("/api/v1/healthcheck");
  assert.equal(health.status, 200, "only the admin API is off");
  // Once someone holds an API token the API is on for it: a refusal says how to get in instead.
  await createAccount(app.db, { username: "ops", password: "ops-password-1", now: new Date() }, {
    actor: "test",
  });
  const user = await findUserCredentials(app.db, "ops");
  assert.ok(user);
  const { token } = await createApiToken(app.db, {
    userId: user.id,
    name: "ci",
    now: new Date(),
    actor: "test",
  });
  const refused = assertError(
    await adminGet(app, "/api/v1/admin/stats", {}),
    401,
    "admin_disabled",
  );
  assert.doesNotMatch(refused, /is off/);
  assert.match(refused, /Authorization: Bearer/);
  const allowed = await adminGet(app, "/api/v1/admin/stats", { authorization: `Bearer ${token}` });
  assert.equal(allowed.status, 200);
});

// ---------------------------------------------------------------- a fleet built by hand

/**
 * A fleet over four applications, with SHM_ACTIVE_DAYS=7:
 *
 * | id | app          | version | env        | mode       | os            | state                 |
 * |----|--------------|---------|------------|------------|---------------|-----------------------|
 * | a1 | alpha-server | 1.0.0   | production | standalone | linux/amd64   | active, silent 10 days |
 * | d1 | delta        | 0.9.0   | production | standalone | linux/amd64   | active, silent 10 days |
 * | a2 | alpha-server | 2.0.0   | production | docker     | linux/arm64   | active by snapshot    |
 * | a3 | alpha-server | 2.0.0   | staging    | docker     | linux/amd64   | active                |
 * | a4 | alpha-server | 1.0.0   | (none)     | standalone | linux/amd64   | active                |
 * | a5 | alpha-server | 9.9.9   | qa         | k8s        | windows/amd64 | pending               |
 * | a6 | alpha-server | 9.9.9   | qa         | k8s        | windows/amd64 | active, then revoked  |
 * | b1 | beta         | 0.1.0   | production | standalone | linux/amd64   | active by snapshot    |
 * | b2 | beta         | 0.1.0   | production | standalone | linux/amd64   | active, then revoked  |
 * | g1 | gamma        | 1.0.0   | production | standalone | linux/amd64   | pending               |
 *
 * Each step moves the clock one minute, so every last sign of life differs.
 */
async function buildFleet(app: TestApp) {
  const seen: Record<string, Date> = {};
  const step = () => app.clock.advance(MINUTE);
  const alphaCreated = app.clock.now();
  const a1 = await register(app, "Alpha Server", "1.0.0");
  await activate(app, a1);
  seen["a1"] = app.clock.now();
  step();
  const deltaCreated = app.clock.now();
  const d1 = await register(app, "Delta", "0.9.0");
  await activate(app, d1);
  seen["d1"] = app.clock.now();

  app.clock.advance(10 * DAY);
  const a2 = await register(app, "Alpha Server", "2.0.0", {
    deployment_mode: "docker",
    os_arch: "linux/arm64",
  });
  step();
  await snapshot(app, a2, { users: 3 });
  seen["a2"] = app.clock.now();
  step();
  // Another spelling of the same name: same slug, same application, name unchanged.
  const a3 = await register(app, "alpha  server!", "2.0.0", {
    environment: "staging",
    deployment_mode: "docker",
  });
  step();
  await activate(app, a3);
  seen["a3"] = app.clock.now();
  step();
  const a4 = await register(app, "Alpha Server", "1.0.0", { environment: null });
  await activate(app, a4);
  seen["a4"] = app.clock.now();
  step();
  const odd = { environment: "qa", deployment_mode: "k8s", os_arch: "windows/amd64" };
  const a5 = await register(app, "Alpha Server", "9.9.9", odd);
  seen["a5"] = app.clock.now();
  step();
  const a6 = await register(app, "Alpha Server", "9.9.9", odd);
  step();
  await activate(app, a6);
  assert.ok(await setInstanceStatus(app.db, a6.instanceId, "revoked"));
  seen["a6"] = app.clock.now();
  step();
  const betaCreated = app.clock.now();
  const b1 = await register(app, "Beta", "0.1.0");
  step();
  await snapshot(app, b1, { users: 1 });
  seen["b1"] = app.clock.now();
  step();
  const b2 = await register(app, "Beta", "0.1.0");
  await activate(app, b2);
  assert.ok(await setInstanceStatus(app.db, b2.instanceId, "revoked"));
  seen["b2"] = app.clock.now();
  step();
  const gammaCreated = app.clock.now();
  const g1 = await register(app, "Gamma", "1.0.0");
  seen["g1"] = app.clock.now();
  step();
  return {
    ids: { a1, d1, a2, a3, a4, a5, a6, b1, b2, g1 },
    seen: seen as Record<"a1" | "d1" | "a2" | "a3" | "a4" | "a5" | "a6" | "b1" | "b2" | "g1", Date>,
    created: { alphaCreated, deltaCreated, betaCreated, gammaCreated },
    /** Registration order, oldest first. */
    order: [a1, d1, a2, a3, a4, a5, a6, b1, b2, g1].map((i) => i.instanceId),
  };
}

const FLEET_SETTINGS = { settings: { SHM_ACTIVE_DAYS: "7" } };

Deno.test("admin stats: totals by status, 'active' meaning active and seen within SHM_ACTIVE_DAYS", async () => {
  await using app = await openTestApp(FLEET_SETTINGS);
  assert.deepEqual(await adminOk(app, "/api/v1/admin/stats"), {
    applications: 0,
    instances: { total: 0, active: 0, pending: 0, revoked: 0 },
    active_window_days: 7,
    computed_at: null,
  });
  const fleet = await buildFleet(app);
  assert.deepEqual(await adminOk(app, "/api/v1/admin/stats"), {
    applications: 4,
    instances: { total: 10, active: 4, pending: 2, revoked: 2 },
    active_window_days: 7,
    computed_at: app.clock.now().toISOString(),
  });
  // The silent delta instance comes back: a fresh sign of life makes it active again.
  await activate(app, fleet.ids.d1);
  const after = await adminOk(app, "/api/v1/admin/stats");
  assert.deepEqual(after.instances, { total: 10, active: 5, pending: 2, revoked: 2 });
  // Then silence: 6 days later everyone is still within the window, 8 days later nobody is.
  app.clock.advance(6 * DAY);
  assert.equal((await adminOk(app, "/api/v1/admin/stats")).instances.active, 5, "6 days: still");
  app.clock.advance(2 * DAY);
  assert.deepEqual((await adminOk(app, "/api/v1/admin/stats")).instances, {
    total: 10,
    active: 0,
    pending: 2,
    revoked: 2,
  });
});

Deno.test("admin applications: each application by slug with its counts and last sign of life", async () => {
  await using app = await openTestApp(FLEET_SETTINGS);
  assert.deepEqual(await adminOk(app, "/api/v1/admin/applications"), {
    applications: [],
    active_window_days: 7,
  });
  const { seen, created } = await buildFleet(app);
  assert.deepEqual(await adminOk(app, "/api/v1/admin/applications"), {
    applications: [
      {
        slug: "alpha-server",
        name: "Alpha Server",
        created_at: created.alphaCreated.toISOString(),
        instances: { total: 6, active: 3 },
        last_seen: seen.a6.toISOString(),
        computed_at: app.clock.now().toISOString(),
      },
      {
        slug: "beta",
        name: "Beta",
        created_at: created.betaCreated.toISOString(),
        instances: { total: 2, active: 1 },
        last_seen: seen.b2.toISOString(),
        computed_at: app.clock.now().toISOString(),
      },
      {
        slug: "delta",
        name: "Delta",
        created_at: created.deltaCreated.toISOString(),
        instances: { total: 1, active: 0 },
        last_seen: seen.d1.toISOString(),
        computed_at: app.clock.now().toISOString(),
      },
      {
        slug: "gamma",
        name: "Gamma",
        created_at: created.gammaCreated.toISOString(),
        instances: { total: 1, active: 0 },
        last_seen: seen.g1.toISOString(),
        computed_at: app.clock.now().toISOString(),
      },
    ],
    active_window_days: 7,
  });
});

/** A breakdown's groups must be largest first; their content is compared regardless of tie order. */
function assertBreakdown(
  actual: { value: string | null; instances: number }[],
  expected: { value: string | null; instances: number }[],
  label: string,
): void {
  for (let i = 1; i < actual.length; i++) {
    assert.ok(
      (actual[i - 1]?.instances ?? 0) >= (actual[i]?.instances ?? 0),
      `${label}: largest group first: ${JSON.stringify(actual)}`,
    );
  }
  const key = (g: { value: string | null }) => g.value ?? "\uffff";
  const sorted = (list: typeof actual) => [...list].sort((x, y) => key(x) < key(y) ? -1 : 1);
  assert.deepEqual(sorted(actual), sorted(expected), label);
}

Deno.test("admin application detail: breakdowns count active instances only", async () => {
  await using app = await openTestApp(FLEET_SETTINGS);
  const { seen, created } = await buildFleet(app);
  const alpha = await adminOk(app, "/api/v1/admin/applications/alpha-server");
  const { active_instances_by: by, ...summary } = alpha;
  assert.deepEqual(summary, {
    slug: "alpha-server",
    name: "Alpha Server",
    created_at: created.alphaCreated.toISOString(),
    instances: { total: 6, active: 3 },
    last_seen: seen.a6.toISOString(),
    computed_at: app.clock.now().toISOString(),
    active_window_days: 7,
    github: null,
    latest_release_share: null,
  });
  assert.deepEqual(Object.keys(by).sort(), [
    "app_version",
    "deployment_mode",
    "environment",
    "os_arch",
  ]);
  // a2, a3, a4 only: not a1 (silent), a5 (pending) nor a6 (revoked).
  assertBreakdown(by.app_version, [
    { value: "2.0.0", instances: 2 },
    { value: "1.0.0", instances: 1 },
  ], "app_version");
  assertBreakdown(by.os_arch, [
    { value: "linux/amd64", instances: 2 },
    { value: "linux/arm64", instances: 1 },
  ], "os_arch");
  assertBreakdown(by.environment, [
    { value: "production", instances: 1 },
    { value: "staging", instances: 1 },
    { value: null, instances: 1 },
  ], "environment");
  assertBreakdown(by.deployment_mode, [
    { value: "docker", instances: 2 },
    { value: "standalone", instances: 1 },
  ], "deployment_mode");

  const delta = await adminOk(app, "/api/v1/admin/applications/delta");
  assert.deepEqual(delta.instances, { total: 1, active: 0 });
  assert.deepEqual(delta.active_instances_by, {
    app_version: [],
    os_arch: [],
    environment: [],
    deployment_mode: [],
  }, "a silent instance is in no breakdown");

  const beta = await adminOk(app, "/api/v1/admin/applications/beta");
  assert.deepEqual(beta.active_instances_by.app_version, [{ value: "0.1.0", instances: 1 }]);
});

Deno.test("admin application detail: an unknown slug is a 404 unknown_application", async () => {
  await using app = await openTestApp();
  await register(app, "Known App", "1.0.0");
  for (const slug of ["unknown-app", "known%20app", "known-app-2"]) {
    const result = await adminGet(app, `/api/v1/admin/applications/${slug}`);
    assertError(result, 404, "unknown_application", slug);
  }
  const message = assertError(
    await adminGet(app, "/api/v1/admin/applications/unknown-app"),
    404,
    "unknown_application",
  );
  assert.match(message, /unknown-app/);
  assert.equal((await adminGet(app, "/api/v1/admin/applications/known-app")).status, 200);
});

// ---------------------------------------------------------------- instances

Deno.test("admin instances: each row shows identity, metadata, times and the latest accepted metrics", async () => {
  await using app = await openTestApp();
  const t0 = app.clock.now();
  const x = await register(app, "Row App", "1.0.0", {
    environment: "staging",
    deployment_mode: "docker",
    os_arch: "linux/arm64",
  });
  app.clock.advance(MINUTE);
  const y = await register(app, "Row App", "1.0.0");
  app.clock.advance(MINUTE);
  await snapshot(app, y, { cpu: 1.5, nested: { a: "s" }, bad: [1] });
  app.clock.advance(MINUTE);
  const acceptedAt = app.clock.now();
  const second = await y.snapshotRequest({ cpu: 2, mem: { rss: 512 }, up: true, gone: null }, {
    timestamp: acceptedAt,
    extra: { app_version: "1.1.0" },
  });
  assert.equal((await app.send(second)).status, 202);
  app.clock.advance(MINUTE);
  // Refused (not newer): neither its metrics nor its time show anywhere.
  const refused = await y.snapshotRequest({ cpu: 99 }, {
    timestamp: new Date(acceptedAt.getTime() - 1000),
  });
  assert.equal((await app.send(refused)).status, 409);

  const page = await adminOk(app, "/api/v1/admin/instances");
  assert.deepEqual(page, {
    instances: [
      {
        instance_id: y.instanceId,
        app_slug: "row-app",
        app_version: "1.1.0",
        status: "active",
        environment: "production",
        deployment_mode: "standalone",
        os_arch: "linux/amd64",
        first_seen: new Date(t0.getTime() + MINUTE).toISOString(),
        last_seen: acceptedAt.toISOString(),
        last_snapshot_at: acceptedAt.toISOString(),
        metrics: { cpu: 2, "mem.rss": 512, up: true },
      },
      {
        instance_id: x.instanceId,
        app_slug: "row-app",
        app_version: "1.0.0",
        status: "pending",
        environment: "staging",
        deployment_mode: "docker",
        os_arch: "linux/arm64",
        first_seen: t0.toISOString(),
        last_seen: t0.toISOString(),
        last_snapshot_at: null,
        metrics: {},
      },
    ],
    next_cursor: null,
  });
});

Deno.test("admin instances: filters by application and by status combine", async () => {
  await using app = await openTestApp(FLEET_SETTINGS);
  const { ids } = await buildFleet(app);
  const list = async (query: string) =>
    (await adminOk(app, `/api/v1/admin/instances${query}`)).instances.map(
      (row: { instance_id: string }) => row.instance_id,
    );
  const idsOf = (...instances: TestInstance[]) => instances.map((i) => i.instanceId);
  const { a1, d1, a2, a3, a4, a5, a6, b1, b2, g1 } = ids;

  assert.deepEqual(await list(""), idsOf(g1, b2, b1, a6, a5, a4, a3, a2, d1, a1));
  assert.deepEqual(await list("?app=beta"), idsOf(b2, b1));
  assert.deepEqual(await list("?app=alpha-server"), idsOf(a6, a5, a4, a3, a2, a1));
  assert.deepEqual(await list("?status=pending"), idsOf(g1, a5));
  assert.deepEqual(await list("?status=revoked"), idsOf(b2, a6));
  assert.deepEqual(await list("?status=active"), idsOf(b1, a4, a3, a2, d1, a1));
  assert.deepEqual(await list("?app=alpha-server&status=revoked"), idsOf(a6));
  assert.deepEqual(await list("?app=gamma&status=active"), []);
  assert.deepEqual(await list("?app=&status="), await list(""), "empty filters are no filters");

  const rows = (await adminOk(app, "/api/v1/admin/instances?status=revoked")).instances;
  assert.deepEqual(rows.map((r: { status: string }) => r.status), ["revoked", "revoked"]);
  assert.deepEqual(rows.map((r: { app_slug: string }) => r.app_slug), ["beta", "alpha-server"]);
});

/** Follows `next_cursor` from the first page to the last; returns the pages' ids. */
async function allPages(app: TestApp, query: string): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const path: string = `/api/v1/admin/instances?${query}` +
      (cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`);
    const page = await adminOk(app, path);
    pages.push(page.instances.map((row: { instance_id: string }) => row.instance_id));
    assert.ok(page.next_cursor === null || typeof page.next_cursor === "string");
    cursor = page.next_cursor;
    assert.ok(pages.length <= 20, "pagination must end");
  } while (cursor !== null);
  return pages;
}

Deno.test("admin instances: keyset pages are newest first, without duplicates or gaps", async () => {
  await using app = await openTestApp();
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    ids.push((await register(app, "Page App", "1.0.0")).instanceId);
    app.clock.advance(1000);
  }
  const newestFirst = [...ids].reverse();
  const pages = await allPages(app, "limit=3");
  assert.deepEqual(pages, [newestFirst.slice(0, 3), newestFirst.slice(3, 6), newestFirst.slice(6)]);

  assert.deepEqual(await allPages(app, "limit=7"), [newestFirst], "exactly one full page");
  assert.deepEqual(await allPages(app, "limit=6"), [newestFirst.slice(0, 6), newestFirst.slice(6)]);
  assert.deepEqual(await allPages(app, "limit=1"), newestFirst.map((id) => [id]));

  // New instances arriving meanwhile do not shift a walk already under way.
  const first = await adminOk(app, "/api/v1/admin/instances?limit=3");
  await register(app, "Page App", "1.0.0");
  const second = await adminOk(
    app,
    `/api/v1/admin/instances?limit=3&cursor=${encodeURIComponent(first.next_cursor)}`,
  );
  assert.deepEqual(
    second.instances.map((row: { instance_id: string }) => row.instance_id),
    newestFirst.slice(3, 6),
  );
});

Deno.test("admin instances: instances registered at the same instant paginate without loss", async () => {
  await using app = await openTestApp();
  const sameInstant: string[] = [];
  for (let i = 0; i < 7; i++) {
    sameInstant.push((await register(app, "Tie App", "1.0.0")).instanceId);
  }
  app.clock.advance(1000);
  const later = (await register(app, "Tie App", "1.0.0")).instanceId;
  app.clock.advance(1000);
  const other = (await register(app, "Other App", "1.0.0")).instanceId;

  const byIdDesc = [...sameInstant].sort().reverse();
  for (const limit of [1, 2, 3, 4]) {
    const pages = await allPages(app, `limit=${limit}`);
    const flat = pages.flat();
    assert.deepEqual(flat, [other, later, ...byIdDesc], `limit ${limit}: ties broken by id`);
    assert.ok(pages.every((page) => page.length === limit || page === pages.at(-1)));
  }
  const filtered = await allPages(app, "limit=2&app=tie-app");
  assert.deepEqual(filtered.flat(), [later, ...byIdDesc], "cursor and filter combine");
  assert.deepEqual(filtered.map((page) => page.length), [2, 2, 2, 2]);
});

Deno.test("admin instances: a bad limit or status is a 400 invalid_parameter naming it", async () => {
  await using app = await openTestApp();
  await register(app, "Some App", "1.0.0");
  for (const limit of ["0", "501", "abc", "-1", "1.5", "1e2", "99999999999"]) {
    const result = await adminGet(app, `/api/v1/admin/instances?limit=${limit}`);
    const message = assertError(result, 400, "invalid_parameter", `limit=${limit}`);
    assert.match(message, /"limit"/);
  }
  for (const limit of ["1", "500"]) {
    const page = await adminOk(app, `/api/v1/admin/instances?limit=${limit}`);
    assert.equal(page.instances.length, 1, `limit=${limit}`);
  }
  for (const status of ["bogus", "deleted", "stale"]) {
    const result = await adminGet(app, `/api/v1/admin/instances?status=${status}`);
    const message = assertError(result, 400, "invalid_parameter", `status=${status}`);
    assert.match(message, /"status"/);
  }
});

Deno.test("admin instances: a garbage or forged cursor is a 400 invalid_cursor", async () => {
  await using app = await openTestApp();
  const instance = await register(app, "Some App", "1.0.0");
  await register(app, "Some App", "1.0.0");
  const valid = (await adminOk(app, "/api/v1/admin/instances?limit=1")).next_cursor;
  assert.equal(typeof valid, "string");
  const cursors = [
    "garbage!",
    "abc",
    "%%%",
    base64url("hello"),
    base64url("123/not-a-uuid"),
    base64url(`123/${instance.instanceId}/extra`),
    base64url(`abc/${instance.instanceId}`),
    `${valid}x`,
    valid.slice(1),
  ];
  for (const cursor of cursors) {
    const result = await adminGet(
      app,
      `/api/v1/admin/instances?cursor=${encodeURIComponent(cursor)}`,
    );
    assertError(result, 400, "invalid_cursor", `cursor ${cursor}`);
  }
});

Deno.test("admin instances: a forged cursor with an out-of-range position is a 400, never a 500", async () => {
  await using app = await openTestApp();
  const instance = await register(app, "Some App", "1.0.0");
  // Well-formed as the server spells cursors, but no timestamp PostgreSQL can hold.
  const positions = [
    "9999999999999999999",
    "-9999999999999999999",
    "9223372036854775807",
    "-9223372036854775808",
  ];
  const answers = [];
  for (const position of positions) {
    const cursor = base64url(`${position}/${instance.instanceId}`);
    const result = await adminGet(app, `/api/v1/admin/instances?cursor=${cursor}`);
    answers.push(`${position}: ${result.status} ${result.body.error?.code}`);
  }
  assert.deepEqual(answers, positions.map((position) => `${position}: 400 invalid_cursor`));
});

Deno.test("admin instances: an unknown application is a 404 unknown_application", async () => {
  await using app = await openTestApp();
  await register(app, "Some App", "1.0.0");
  const result = await adminGet(app, "/api/v1/admin/instances?app=nope");
  const message = assertError(result, 404, "unknown_application");
  assert.match(message, /nope/);
});

// ---------------------------------------------------------------- daily metrics

/** A metrics answer with each metric cut down to its sum, average and count. */
function sumsOnly(body: {
  app: string;
  days: number;
  series: { day: string; active_instances: number; metrics: Record<string, MetricFigures> }[];
}) {
  return {
    ...body,
    series: body.series.map((entry) => ({
      ...entry,
      metrics: Object.fromEntries(
        Object.entries(entry.metrics).map((
          [key, { sum, avg, instances }],
        ) => [key, { sum, avg, instances }]),
      ),
    })),
  };
}

/** A metric's min, max, p50, p90 and p99, in that order. */
function figures(metric: MetricFigures): number[] {
  return ["min", "max", "p50", "p90", "p99"].map((name) => metric[name]!);
}

function assertClose(actual: number[], expected: number[]) {
  assert.equal(actual.length, expected.length);
  actual.forEach((value, i) =>
    assert.ok(Math.abs(value - expected[i]!) < 1e-9, `${actual} is not ${expected}`)
  );
}

interface MetricFigures {
  sum: number;
  avg: number;
  instances: number;
  [figure: string]: number;
}

Deno.test("admin metrics: per-day active instances and numeric sums and averages, computed by hand", async () => {
  await using app = await openTestApp({ clock: new FakeClock("2026-11-21T08:00:00Z") });
  const p = await register(app, "Metrics App", "1.0.0");
  const q = await register(app, "Metrics App", "1.0.0");
  const r = await register(app, "Metrics App", "1.0.0");
  const s = await register(app, "Other", "1.0.0");

  // 11-21: p and q.
  await snapshot(app, p, { requests: 10, load: 0.5, region: "eu", up: true });
  await snapshot(app, q, { requests: 30, load: 1.5 });
  // 11-22: nobody from this application (another application's report must not count).
  app.clock.advance(DAY);
  await snapshot(app, s, { requests: 1000 });
  // 11-23: p three times (its last values count, and its last snapshot has no load),
  // q reports requests as a string, r a nested metric.
  app.clock.advance(DAY);
  await snapshot(app, p, { requests: 5, load: 100 });
  app.clock.advance(3_600_000);
  await snapshot(app, p, { requests: 7, load: 200 });
  app.clock.advance(3_600_000);
  await snapshot(app, p, { requests: 11 });
  await snapshot(app, q, { requests: "many", load: 2 });
  await snapshot(app, r, { requests: 1, nested: { depth: 4 } });
  // 11-24: r alone; s again in the other application.
  app.clock.advance(DAY - 2 * 3_600_000);
  await snapshot(app, r, { requests: 2.5, flag: false });
  await snapshot(app, s, { requests: 1000 });
  // 11-25 (today): p and q.
  app.clock.advance(DAY);
  await snapshot(app, p, { requests: 0 });
  await snapshot(app, q, { requests: -4 });
  assert.equal(app.clock.now().toISOString(), "2026-11-25T08:00:00.000Z");
  await app.rollUp();

  const series = [
    {
      day: "2026-11-21",
      active_instances: 2,
      metrics: {
        requests: { sum: 40, avg: 20, instances: 2 },
        load: { sum: 2, avg: 1, instances: 2 },
      },
    },
    { day: "2026-11-22", active_instances: 0, metrics: {} },
    {
      day: "2026-11-23",
      active_instances: 3,
      metrics: {
        requests: { sum: 12, avg: 6, instances: 2 },
        load: { sum: 2, avg: 2, instances: 1 },
        "nested.depth": { sum: 4, avg: 4, instances: 1 },
      },
    },
    {
      day: "2026-11-24",
      active_instances: 1,
      metrics: { requests: { sum: 2.5, avg: 2.5, instances: 1 } },
    },
    {
      day: "2026-11-25",
      active_instances: 2,
      metrics: { requests: { sum: -4, avg: -2, instances: 2 } },
    },
  ];
  const fiveDays = await adminOk(app, "/api/v1/admin/metrics/metrics-app?days=5");
  assert.deepEqual(sumsOnly(fiveDays), { app: "metrics-app", days: 5, series });
  assert.deepEqual(sumsOnly(await adminOk(app, "/api/v1/admin/metrics/metrics-app?days=3")), {
    app: "metrics-app",
    days: 3,
    series: series.slice(2),
  });
  assert.deepEqual(sumsOnly(await adminOk(app, "/api/v1/admin/metrics/metrics-app?days=1")), {
    app: "metrics-app",
    days: 1,
    series: series.slice(4),
  });
  // Extremes and percentiles (linear between the values): requests on 11-21 were 10 and 30.
  const requests = fiveDays.series[0].metrics.requests;
  assertClose(figures(requests), [10, 30, 20, 28, 29.8]);
  assertClose(figures(fiveDays.series[4].metrics.requests), [-4, 0, -2, -0.4, -0.04]);
  const other = await adminOk(app, "/api/v1/admin/metrics/other?days=5");
  assert.deepEqual(other.series.map((d: { active_instances: number }) => d.active_instances), [
    0,
    1,
    0,
    1,
    0,
  ]);
});

Deno.test("admin metrics: 30 days by default, ending today, days without data present and empty", async () => {
  await using app = await openTestApp();
  const p = await register(app, "Metrics App", "1.0.0");
  await snapshot(app, p, { n: 3 }, new Date(app.clock.now().getTime() - 2 * DAY));
  await app.rollUp();
  const body = await adminOk(app, "/api/v1/admin/metrics/metrics-app");
  assert.equal(body.app, "metrics-app");
  assert.equal(body.days, 30);
  assert.equal(body.series.length, 30);
  assert.equal(body.series[0].day, "2026-10-27");
  assert.equal(body.series[29].day, "2026-11-25");
  const days = body.series.map((d: { day: string }) => d.day);
  assert.deepEqual(days, [...new Set(days)].sort(), "each day once, in order");
  for (const entry of body.series) {
    const expected = entry.day === "2026-11-23"
      ? {
        day: entry.day,
        active_instances: 1,
        metrics: { n: { sum: 3, avg: 3, min: 3, max: 3, p50: 3, p90: 3, p99: 3, instances: 1 } },
      }
      : { day: entry.day, active_instances: 0, metrics: {} };
    assert.deepEqual(entry, expected);
  }
  const longest = await adminOk(app, "/api/v1/admin/metrics/metrics-app?days=366");
  assert.equal(longest.series.length, 366);
  assert.equal(longest.series[0].day, "2025-11-25");
  assert.equal(longest.series[365].day, "2026-11-25");
});

Deno.test("admin metrics: days out of range is a 400 invalid_parameter, an unknown app a 404", async () => {
  await using app = await openTestApp();
  await register(app, "Metrics App", "1.0.0");
  for (const days of ["0", "367", "-1", "abc", "1.5", "1e1", "9999999999"]) {
    const result = await adminGet(app, `/api/v1/admin/metrics/metrics-app?days=${days}`);
    const message = assertError(result, 400, "invalid_parameter", `days=${days}`);
    assert.match(message, /"days"/);
  }
  assertError(await adminGet(app, "/api/v1/admin/metrics/nope?days=5"), 404, "unknown_application");
});

Deno.test("admin metrics: sums beyond the float range do not break the series (no 500)", async () => {
  await using app = await openTestApp();
  const p = await register(app, "Metrics App", "1.0.0");
  const q = await register(app, "Metrics App", "1.0.0");
  // Both values are finite numbers the protocol accepts; only their sum is not.
  await snapshot(app, p, { big: 1e308, small: 1 });
  await snapshot(app, q, { big: 1e308, small: 2 });
  await app.rollUp();
  const result = await adminGet(app, "/api/v1/admin/metrics/metrics-app?days=1");
  assert.equal(result.status, 200, JSON.stringify(result.body));
  const [today] = result.body.series;
  assert.equal(today.active_instances, 2);
  assert.deepEqual(sumsOnly(result.body).series[0]!.metrics.small, {
    sum: 3,
    avg: 1.5,
    instances: 2,
  });
  assertClose(figures(today.metrics.small), [1, 2, 1.5, 1.9, 1.99]);
  assert.equal(today.metrics.big.instances, 2);
});

// ---------------------------------------------------------------- application settings

async function putSettings(app: TestApp, slug: string, body: string) {
  const response = await app.fetch(`/api/v1/admin/applications/${slug}/settings`, {
    method: "PUT",
    headers: { ...ADMIN, "content-type": "application/json" },
    body,
  });
  return { status: response.status, body: await response.json() };
}

Deno.test('admin settings: display_name is trimmed, shown as the app\'s name, and cleared by null or ""', async () => {
  await using app = await openTestApp();
  await register(app, "Named App", "1.0.0");
  const saved = await putSettings(app, "named-app", '{"display_name": "  Our App  "}');
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  assert.deepEqual(saved.body, {
    slug: "named-app",
    public_badges: true,
    public_page: false,
    public_metrics: [],
    excluded_environments: ["ci", "test", "dev", "development"],
    exported_metrics: [],
    display_name: "Our App",
    reported_name: "Named App",
    github_repo: null,
  });
  assert.deepEqual(await adminOk(app, "/api/v1/admin/applications/named-app/settings"), {
    slug: "named-app",
    public_badges: true,
    public_page: false,
    public_metrics: [],
    excluded_environments: ["ci", "test", "dev", "development"],
    exported_metrics: [],
    display_name: "Our App",
    reported_name: "Named App",
    github_repo: null,
  });
  assert.equal((await adminOk(app, "/api/v1/admin/applications/named-app")).name, "Our App");
  const listed = (await adminOk(app, "/api/v1/admin/applications")).applications;
  assert.equal(listed[0].name, "Our App");

  const both = await putSettings(app, "named-app", '{"public_badges": false, "display_name": "X"}');
  assert.equal(both.status, 200);
  assert.equal(both.body.public_badges, false);
  assert.equal(both.body.display_name, "X");
  const badgesOnly = await putSettings(app, "named-app", '{"public_badges": true}');
  assert.equal(badgesOnly.body.display_name, "X", "a change without display_name keeps it");

  for (const clear of ["null", '""', '"   "']) {
    assert.equal((await putSettings(app, "named-app", '{"display_name": "Y"}')).status, 200);
    const cleared = await putSettings(app, "named-app", `{"display_name": ${clear}}`);
    assert.equal(cleared.status, 200, clear);
    assert.equal(cleared.body.display_name, null, clear);
    assert.equal(
      (await adminOk(app, "/api/v1/admin/applications/named-app")).name,
      "Named App",
      clear,
    );
  }
  const longest = "ü".repeat(100);
  const accepted = await putSettings(app, "named-app", JSON.stringify({ display_name: longest }));
  assert.equal(accepted.body.display_name, longest, "100 characters are allowed");
});

Deno.test("admin settings: a bad display_name is a 400 invalid_setting and nothing is written", async () => {
  await using app = await openTestApp();
  await register(app, "Named App", "1.0.0");
  assert.equal((await putSettings(app, "named-app", '{"display_name": "Kept"}')).status, 200);
  const bad: [string, RegExp][] = [
    [JSON.stringify({ display_name: "x".repeat(101) }), /longer than 100 characters/],
    [JSON.stringify({ display_name: "line\nbreak" }), /control character/],
    [JSON.stringify({ display_name: "tab\there" }), /control character/],
    [JSON.stringify({ display_name: "nul\u0000" }), /control character/],
    [JSON.stringify({ display_name: "c1\u0085" }), /control character/],
    ['{"display_name": 42}', /must be a string or null/],
    ['{"display_name": ["a"]}', /must be a string or null/],
    ['{"display_name": true}', /must be a string or null/],
    // A bad value next to a good one: the good one is not written either.
    ['{"public_badges": false, "display_name": 7}', /must be a string or null/],
    ['{"public_badges": "no", "display_name": "New"}', /"public_badges"/],
    ['{"name": "New"}', /not a setting/],
  ];
  for (const [body, message] of bad) {
    const result = await putSettings(app, "named-app", body);
    assert.match(assertError(result, 400, "invalid_setting", body), message, body);
  }
  const unknown = await putSettings(app, "no-such-app", '{"display_name": "Ghost"}');
  assertError(unknown, 404, "unknown_application");
  assert.deepEqual(await adminOk(app, "/api/v1/admin/applications/named-app/settings"), {
    slug: "named-app",
    public_badges: true,
    public_page: false,
    public_metrics: [],
    excluded_environments: ["ci", "test", "dev", "development"],
    exported_metrics: [],
    display_name: "Kept",
    reported_name: "Named App",
    github_repo: null,
  });
});

Deno.test("admin settings: public_page is off by default; it and public_metrics are saved and read back", async () => {
  await using app = await openTestApp();
  await register(app, "Named App", "1.0.0");
  const before = await adminOk(app, "/api/v1/admin/applications/named-app/settings");
  assert.equal(before.public_page, false, "the public page is off by default");
  assert.deepEqual(before.public_metrics, []);

  const saved = await putSettings(
    app,
    "named-app",
    '{"public_page": true, "public_metrics": ["users", "db.rows", "users"]}',
  );
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  assert.equal(saved.body.public_page, true);
  assert.deepEqual(saved.body.public_metrics, ["users", "db.rows"], "a duplicate is kept once");
  const read = await adminOk(app, "/api/v1/admin/applications/named-app/settings");
  assert.equal(read.public_page, true);
  assert.deepEqual(read.public_metrics, ["users", "db.rows"]);

  const other = await putSettings(app, "named-app", '{"display_name": "Ours"}');
  assert.equal(other.body.public_page, true, "a change without public_page keeps it");
  assert.deepEqual(other.body.public_metrics, ["users", "db.rows"]);
  const cleared = await putSettings(
    app,
    "named-app",
    '{"public_page": false, "public_metrics": []}',
  );
  assert.equal(cleared.body.public_page, false);
  assert.deepEqual(cleared.body.public_metrics, []);
  const fifty = Array.from({ length: 50 }, (_, i) => `m${i}`);
  const most = await putSettings(app, "named-app", JSON.stringify({ public_metrics: fifty }));
  assert.deepEqual(most.body.public_metrics, fifty, "50 metrics are allowed");
});

Deno.test("admin settings: a bad public_page or public_metrics is a 400 invalid_setting and nothing is written", async () => {
  await using app = await openTestApp();
  await register(app, "Named App", "1.0.0");
  const kept = '{"public_page": true, "public_metrics": ["users"]}';
  assert.equal((await putSettings(app, "named-app", kept)).status, 200);
  const tooMany = Array.from({ length: 51 }, (_, i) => `m${i}`);
  const bad: [string, RegExp][] = [
    ['{"public_page": "yes"}', /"public_page" as it must be true or false/],
    ['{"public_page": null}', /"public_page" as it must be true or false/],
    ['{"public_metrics": "users"}', /must be an array of metric names/],
    ['{"public_metrics": null}', /must be an array of metric names/],
    ['{"public_metrics": [1]}', /each must be a metric name/],
    ['{"public_metrics": ["has space"]}', /each must be a metric name/],
    ['{"public_metrics": [""]}', /each must be a metric name/],
    [JSON.stringify({ public_metrics: ["x".repeat(65)] }), /each must be a metric name/],
    [JSON.stringify({ public_metrics: tooMany }), /more than 50 metrics: current count is 51/],
    // A bad value next to a good one: the good one is not written either.
    ['{"public_page": false, "public_metrics": [true]}', /each must be a metric name/],
  ];
  for (const [body, message] of bad) {
    const result = await putSettings(app, "named-app", body);
    assert.match(assertError(result, 400, "invalid_setting", body), message, body);
  }
  const settings = await adminOk(app, "/api/v1/admin/applications/named-app/settings");
  assert.equal(settings.public_page, true);
  assert.deepEqual(settings.public_metrics, ["users"]);
});
