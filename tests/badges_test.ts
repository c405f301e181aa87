/**
 * Public badges (issue 5): every endpoint and parameter against a fleet built
 * through the real instance endpoints, with the numbers worked out by hand;
 * escaping, ETag/304, problems as grey badges, the privacy threshold and the
 * per-application switch.
 */

import assert from "node:assert/strict";
import { fc } from "./support/dev_deps.ts";
import { sql } from "../server/store/mod.ts";
import { openTestApp, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import { TestInstance } from "./support/instance_client.ts";

const DAY = 86_400_000;
const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
/** badge-maker's fills for the colors the badges use. */
const FILL = { blue: "#007ec6", lightgrey: "#939393", red: "#dd4343" };

/** Registers, activates and (with `metrics`) snapshots one instance of `appName`. */
async function runInstance(
  app: TestApp,
  options: { appName?: string; version?: string; metrics?: Record<string, unknown> },
): Promise<TestInstance> {
  const instance = await TestInstance.create();
  const registered = await app.send(
    instance.registerRequest({
      appName: options.appName ?? "Badge App",
      appVersion: options.version ?? "1.0.0",
    }),
  );
  assert.equal(registered.status, 201, await registered.text());
  const activated = await app.send(await instance.activateRequest());
  assert.equal(activated.status, 200, await activated.text());
  if (options.metrics !== undefined) {
    const sent = await app.send(
      await instance.snapshotRequest(options.metrics, { timestamp: app.clock.now() }),
    );
    assert.equal(sent.status, 202, await sent.text());
  }
  return instance;
}

/**
 * The fleet most tests use, for app `badge-app` (window 30 days):
 * - 1 instance seen 31 days ago (v0.9.0, users 1000): not active;
 * - 1 pending instance (registered, never activated): not active;
 * - 5 active instances:
 *   v1.0.0 ×2 and v2.0.0 ×3; users 100, 200, 300.5, "many", none;
 *   db.rows (nested) 1000, 2000, 3000, 4000, 5000.
 */
async function buildFleet(app: TestApp): Promise<void> {
  await runInstance(app, { version: "0.9.0", metrics: { users: 1000, db: { rows: 9 } } });
  app.clock.advance(31 * DAY);
  const pending = await TestInstance.create();
  assert.equal((await app.send(pending.registerRequest({ appName: "Badge App" }))).status, 201);
  const users: unknown[] = [100, 200, 300.5, "many", undefined];
  for (const [i, version] of ["1.0.0", "2.0.0", "1.0.0", "2.0.0", "2.0.0"].entries()) {
    const metrics: Record<string, unknown> = { db: { rows: (i + 1) * 1000 } };
    if (users[i] !== undefined) metrics["users"] = users[i];
    await runInstance(app, { version, metrics });
  }
}

interface Badge {
  status: number;
  headers: Headers;
  body: string;
}

/** Requests a badge right after an upkeep round, so that the summaries hold the latest state. */
async function getBadge(app: TestApp, path: string, headers: HeadersInit = {}): Promise<Badge> {
  await app.rollUp();
  const response = await app.fetch(path, { headers });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** Checks an SVG badge: content type, well-formed XML, and returns its `<title>` as plain text. */
function svgTitle(badge: Badge): string {
  assert.equal(badge.headers.get("content-type"), "image/svg+xml; charset=utf-8");
  assertWellFormedXml(badge.body);
  assert.match(badge.body, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const match = /<title>([^<]*)<\/title>/.exec(badge.body);
  assert.ok(match?.[1] !== undefined, `no title in ${badge.body.slice(0, 200)}`);
  return unescapeXml(match[1]);
}

/** Fetches an SVG badge and returns status and title. */
async function badgeTitle(app: TestApp, path: string): Promise<[number, string]> {
  const badge = await getBadge(app, path);
  return [badge.status, svgTitle(badge)];
}

const ENTITIES: Record<string, string> = {
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&apos;": "'",
  "&amp;": "&",
};

function unescapeXml(text: string): string {
  return text.replace(/&(?:lt|gt|quot|apos|amp);/g, (entity) => ENTITIES[entity] ?? entity);
}

/**
 * A small XML well-formedness check: one root element, tags balanced,
 * attribute values quoted without `<`, no `&` outside a known or numeric
 * entity, nothing but comments and tags and text.
 */
function assertWellFormedXml(xml: string): void {
  const token =
    /<!--[\s\S]*?-->|<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const entityOk = (text: string) => !/&(?!(?:lt|gt|quot|apos|amp|#\d+|#x[0-9a-f]+);)/i.test(text);
  const stack: string[] = [];
  let roots = 0;
  let at = 0;
  while (at < xml.length) {
    token.lastIndex = at;
    const match = token.exec(xml);
    assert.ok(match !== null, `not well-formed at ${at}: ${xml.slice(at, at + 60)}`);
    const [whole, closing, name, attributes, selfClosing, text] = match;
    if (text !== undefined) {
      assert.ok(stack.length > 0 || text.trim() === "", "text outside the root element");
      assert.ok(entityOk(text), `bad entity in text: ${text}`);
    } else if (name !== undefined) {
      assert.ok(entityOk(attributes ?? ""), `bad entity in attributes: ${attributes}`);
      const names = [...(attributes ?? "").matchAll(/([\w:.-]+)=/g)].map((m) => m[1]);
      assert.equal(new Set(names).size, names.length, `repeated attribute in <${name}>`);
      if (closing) {
        assert.equal(stack.pop(), name, `</${name}> closes another element`);
      } else if (!selfClosing) {
        if (stack.length === 0) roots++;
        stack.push(name);
      } else if (stack.length === 0) roots++;
    }
    at += whole.length;
  }
  assert.deepEqual(stack, [], "unclosed elements");
  assert.equal(roots, 1, "one root element");
}

Deno.test("assertWellFormedXml() refuses broken markup (the check itself can fail)", () => {
  assertWellFormedXml('<svg a="1"><title>x &amp; y</title><g/></svg>');
  for (const bad of ["<svg><g></svg>", '<svg a="<">x</svg>', "<svg>a & b</svg>", "<a/><b/>"]) {
    assert.throws(() => assertWellFormedXml(bad), assert.AssertionError, bad);
  }
});

Deno.test("GET /badge/{slug}/instances counts active instances only, with badge headers", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  const badge = await getBadge(app, "/badge/badge-app/instances");
  assert.equal(badge.status, 200);
  assert.equal(svgTitle(badge), "instances: 5");
  assert.ok(badge.body.includes(`fill="${FILL.blue}"`));
  assert.equal(badge.headers.get("cache-control"), "public, max-age=300");
  assert.match(badge.headers.get("etag") ?? "", /^"[0-9a-f]{32}"$/);
  assert.equal(badge.headers.get("x-content-type-options"), "nosniff");
  assert.match(badge.headers.get("content-security-policy") ?? "", /default-src 'none'/);
});

Deno.test("GET /badge/{slug}/version names the version most active instances run", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  assert.deepEqual(await badgeTitle(app, "/badge/badge-app/version"), [200, "version: v2.0.0"]);
  // Three more on 1.0.0 outnumber 2.0.0 (4 against 3... 5 against 3).
  for (let i = 0; i < 3; i++) await runInstance(app, { version: "1.0.0" });
  assert.deepEqual(await badgeTitle(app, "/badge/badge-app/version"), [200, "version: v1.0.0"]);
});

Deno.test("GET /badge/{slug}/metric/{name} aggregates active instances' latest numbers", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  // users over active instances: 100, 200, 300.5 ("many" is not a number; the stale 1000 is
  // out): sum 600.5, shown with three significant digits.
  const cases: [string, string][] = [
    ["/badge/badge-app/metric/users", "users: 601"],
    ["/badge/badge-app/metric/users?agg=sum", "users: 601"],
    ["/badge/badge-app/metric/users?agg=avg", "users: 200"],
    ["/badge/badge-app/metric/users?agg=min", "users: 100"],
    ["/badge/badge-app/metric/users?agg=max", "users: 301"],
    ["/badge/badge-app/metric/users?agg=count", "users: 3"],
    // db.rows, flattened from nested objects: 1000 + 2000 + 3000 + 4000 + 5000.
    ["/badge/badge-app/metric/db.rows", "db.rows: 15k"],
    ["/badge/badge-app/metric/db.rows?agg=avg", "db.rows: 3k"],
    ["/badge/badge-app/metric/db.rows?agg=max&label=largest", "largest: 5k"],
  ];
  for (const [path, title] of cases) assert.deepEqual(await badgeTitle(app, path), [200, title]);
});

Deno.test("GET /badge/{slug}/combined shows instances and one metric", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  const cases: [string, string][] = [
    ["/badge/badge-app/combined?metric=db.rows", "instances: 5 · 15k db.rows"],
    ["/badge/badge-app/combined?metric=users&agg=max", "instances: 5 · 301 users"],
    ["/badge/badge-app/combined?metric=nothing", "instances: 5 · n/a nothing"],
    ["/badge/badge-app/combined?metric=users&label=fleet", "fleet: 5 · 601 users"],
  ];
  for (const [path, title] of cases) assert.deepEqual(await badgeTitle(app, path), [200, title]);
});

Deno.test("?label=, ?color= and ?style= change the badge; the .json form carries them", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  const hex = await getBadge(app, "/badge/badge-app/instances?label=running&color=ff8800");
  assert.equal(svgTitle(hex), "running: 5");
  assert.ok(hex.body.includes('fill="#ff8800"'), hex.body);
  const named = await getBadge(app, "/badge/badge-app/instances?color=red");
  assert.ok(named.body.includes(`fill="${FILL.red}"`));
  const flat = await getBadge(app, "/badge/badge-app/instances");
  for (const style of ["flat-square", "plastic", "for-the-badge"]) {
    const styled = await getBadge(app, `/badge/badge-app/instances?style=${style}`);
    assert.equal(styled.status, 200);
    svgTitle(styled);
    assert.notEqual(styled.body, flat.body, style);
  }
  const json = await app.fetch("/badge/badge-app/instances.json?label=running&color=ff8800");
  assert.equal(json.status, 200);
  assert.equal(json.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(json.headers.get("cache-control"), "public, max-age=300");
  assert.deepEqual(await json.json(), {
    schemaVersion: 1,
    label: "running",
    message: "5",
    color: "ff8800",
    style: "flat",
  });
  const metricJson = await getBadge(app, "/badge/badge-app/metric/users.json?agg=count");
  assert.deepEqual(JSON.parse(metricJson.body), {
    schemaVersion: 1,
    label: "users",
    message: "3",
    color: "blue",
    style: "flat",
  });
  const combinedJson = await getBadge(app, "/badge/badge-app/combined.json?metric=db.rows");
  assert.equal(JSON.parse(combinedJson.body).message, "5 · 15k db.rows");
  const versionJson = await getBadge(app, "/badge/badge-app/version.json?style=plastic");
  assert.equal(JSON.parse(versionJson.body).message, "v2.0.0");
  assert.equal(JSON.parse(versionJson.body).style, "plastic");
});

Deno.test("text from the query string is escaped: no markup gets into the SVG", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  const label = `<script>alert("x")</script>' & <a href="javascript:1">`;
  const metric = `</title><script>1</script>`;
  const paths = [
    `/badge/badge-app/instances?label=${encodeURIComponent(label)}`,
    `/badge/badge-app/metric/${encodeURIComponent(metric)}?label=${encodeURIComponent(label)}`,
    `/badge/badge-app/combined?metric=${encodeURIComponent(metric)}`,
    `/badge/badge-app/metric/${encodeURIComponent(metric)}`,
    `/badge/${encodeURIComponent("<x>")}/instances?label=${encodeURIComponent(label)}`,
  ];
  for (const path of paths) {
    const badge = await getBadge(app, path);
    assert.ok(!/<script|<a |<\/?title>.*<\/?title>.*<\/?title>/i.test(badge.body), path);
    const title = svgTitle(badge);
    // The combined badge refuses a metric that is no metric key, before any lookup.
    assert.ok(
      title.startsWith(label) || title.includes(metric) || title === "instances: invalid metric",
      `${path}: ${title}`,
    );
  }
  const json = await getBadge(
    app,
    `/badge/badge-app/instances.json?label=${encodeURIComponent(label)}`,
  );
  assert.equal(JSON.parse(json.body).label, label);
});

Deno.test("a strong ETag: If-None-Match answers 304, a changed number a new tag", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  const path = "/badge/badge-app/instances";
  const first = await getBadge(app, path);
  const etag = first.headers.get("etag") ?? "";
  assert.equal((await getBadge(app, path)).headers.get("etag"), etag);
  for (const header of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
    const cached = await getBadge(app, path, { "if-none-match": header });
    assert.equal(cached.status, 304, header);
    assert.equal(cached.body, "");
    assert.equal(cached.headers.get("etag"), etag);
    assert.equal(cached.headers.get("cache-control"), "public, max-age=300");
  }
  assert.equal((await getBadge(app, path, { "if-none-match": '"other"' })).status, 200);
  // Another format or label is another representation.
  assert.notEqual((await getBadge(app, `${path}.json`)).headers.get("etag"), etag);
  assert.notEqual((await getBadge(app, `${path}?label=x`)).headers.get("etag"), etag);
  await runInstance(app, {});
  const changed = await getBadge(app, path, { "if-none-match": etag });
  assert.equal(changed.status, 200);
  assert.equal(svgTitle(changed), "instances: 6");
  assert.notEqual(changed.headers.get("etag"), etag);
  // A 404 is never answered with 304, even when its tag matches.
  const unknown = await getBadge(app, "/badge/nope/instances");
  const again = await getBadge(app, "/badge/nope/instances", {
    "if-none-match": unknown.headers.get("etag") ?? "",
  });
  assert.equal(again.status, 404);
});

Deno.test("SHM_BADGE_MAX_AGE sets the Cache-Control max-age", async () => {
  await using app = await openTestApp({ settings: { SHM_BADGE_MAX_AGE: "60" } });
  await buildFleet(app);
  const badge = await getBadge(app, "/badge/badge-app/instances");
  assert.equal(badge.headers.get("cache-control"), "public, max-age=60");
});

Deno.test("an unknown app, metric, badge or parameter answers a readable grey badge", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  const cases: [string, number, string][] = [
    ["/badge/no-such-app/instances", 404, "instances: unknown app"],
    ["/badge/no-such-app/version", 404, "version: unknown app"],
    ["/badge/no-such-app/metric/users", 404, "users: unknown app"],
    ["/badge/no-such-app/combined?metric=users", 404, "instances: unknown app"],
    ["/badge/no-such-app/instances?label=mine", 404, "mine: unknown app"],
    ["/badge/badge-app/whatever", 404, "badge: unknown badge"],
    ["/badge/badge-app/metric/nothing", 200, "nothing: no data"],
    ["/badge/badge-app/metric/nothing?agg=avg", 200, "nothing: no data"],
    ["/badge/badge-app/metric/users?agg=median", 200, "users: invalid agg"],
    ["/badge/badge-app/instances?color=nope", 200, "instances: invalid color"],
    ["/badge/badge-app/instances?color=url(%23x)", 200, "instances: invalid color"],
    ["/badge/badge-app/version?style=fancy", 200, "version: invalid style"],
    [`/badge/badge-app/instances?label=${"x".repeat(101)}`, 200, "instances: label too long"],
    ["/badge/badge-app/combined", 200, "instances: metric missing"],
    [`/badge/badge-app/metric/${"m".repeat(101)}`, 200, `${"m".repeat(100)}: invalid metric`],
  ];
  for (const [path, status, title] of cases) {
    const badge = await getBadge(app, path);
    assert.deepEqual([badge.status, svgTitle(badge)], [status, title], path);
    assert.ok(badge.body.includes(`fill="${FILL.lightgrey}"`), path);
  }
  const json = await getBadge(app, "/badge/no-such-app/instances.json");
  assert.equal(json.status, 404);
  assert.equal(json.headers.get("content-type"), "application/json; charset=utf-8");
  assert.deepEqual(JSON.parse(json.body), {
    schemaVersion: 1,
    label: "instances",
    message: "unknown app",
    color: "lightgrey",
    style: "flat",
    isError: true,
  });
});

Deno.test("any badge path or query answers a badge, never an error page or a 500", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  const part = fc.string({ maxLength: 12, unit: "grapheme" });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom("instances", "version", "combined", "metric/users", "metric/x", "y"),
      fc.constantFrom("", ".json"),
      fc.dictionary(fc.constantFrom("label", "color", "style", "agg", "metric", "q"), part),
      async (badge, suffix, query) => {
        const search = new URLSearchParams(query).toString();
        const response = await getBadge(app, `/badge/badge-app/${badge}${suffix}?${search}`);
        assert.ok([200, 404].includes(response.status), `${response.status} ${badge}?${search}`);
        if (suffix === "") svgTitle(response);
        else assert.equal(JSON.parse(response.body).schemaVersion, 1);
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("numbers from fewer than SHM_BADGE_MIN_INSTANCES instances show `< N`", async () => {
  await using app = await openTestApp();
  await runInstance(app, { version: "3.1.0", metrics: { users: 7, seats: 1 } });
  await runInstance(app, { version: "3.1.0", metrics: { users: 9 } });
  const small: [string, string][] = [
    ["/badge/badge-app/instances", "instances: < 3"],
    ["/badge/badge-app/version", "version: < 3 instances"],
    ["/badge/badge-app/metric/users", "users: < 3 instances"],
    ["/badge/badge-app/metric/users?agg=count", "users: < 3"],
    ["/badge/badge-app/combined?metric=users", "instances: < 3"],
  ];
  for (const [path, title] of small) assert.deepEqual(await badgeTitle(app, path), [200, title]);
  // With a third instance the app passes, but "seats" is still reported by one only.
  await runInstance(app, { version: "3.1.0", metrics: { users: 11 } });
  const passed: [string, string][] = [
    ["/badge/badge-app/instances", "instances: 3"],
    ["/badge/badge-app/version", "version: v3.1.0"],
    ["/badge/badge-app/metric/users", "users: 27"],
    ["/badge/badge-app/metric/seats", "seats: < 3 instances"],
    ["/badge/badge-app/combined?metric=seats", "instances: 3 · n/a seats"],
  ];
  for (const [path, title] of passed) assert.deepEqual(await badgeTitle(app, path), [200, title]);
});

Deno.test("SHM_BADGE_MIN_INSTANCES=0 turns the threshold off; another value moves it", async () => {
  {
    await using app = await openTestApp({ settings: { SHM_BADGE_MIN_INSTANCES: "0" } });
    await runInstance(app, { metrics: { users: 7 } });
    assert.deepEqual(await badgeTitle(app, "/badge/badge-app/instances"), [200, "instances: 1"]);
    assert.deepEqual(await badgeTitle(app, "/badge/badge-app/metric/users"), [200, "users: 7"]);
  }
  {
    await using app = await openTestApp({ settings: { SHM_BADGE_MIN_INSTANCES: "10" } });
    await buildFleet(app);
    assert.deepEqual(await badgeTitle(app, "/badge/badge-app/instances"), [200, "instances: < 10"]);
  }
});

Deno.test("public badges switched off answer exactly as an unknown app, and back on", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  const put = (body: string, headers: HeadersInit = ADMIN) =>
    app.fetch("/api/v1/admin/applications/badge-app/settings", {
      method: "PUT",
      headers: { ...headers, "content-type": "application/json" },
      body,
    });
  const off = await put('{"public_badges": false}');
  assert.equal(off.status, 200);
  const hiddenSettings = {
    slug: "badge-app",
    public_badges: false,
    public_page: false,
    public_metrics: [],
    excluded_environments: ["ci", "test", "dev", "development"],
    exported_metrics: [],
    display_name: null,
    reported_name: "Badge App",
    github_repo: null,
  };
  assert.deepEqual(await off.json(), hiddenSettings);
  const read = await app.fetch("/api/v1/admin/applications/badge-app/settings", {
    headers: ADMIN,
  });
  assert.deepEqual(await read.json(), hiddenSettings);
  for (const badge of ["instances", "version", "metric/users", "combined?metric=users", "latest"]) {
    const hidden = await getBadge(app, `/badge/badge-app/${badge}`);
    const unknown = await getBadge(app, `/badge/no-such-app/${badge}`);
    assert.equal(hidden.status, 404, badge);
    assert.equal(hidden.body, unknown.body, badge);
    assert.equal(hidden.headers.get("etag"), unknown.headers.get("etag"), badge);
  }
  assert.equal((await put('{"public_badges": true}')).status, 200);
  assert.deepEqual(await badgeTitle(app, "/badge/badge-app/instances"), [200, "instances: 5"]);
});

Deno.test("PUT /api/v1/admin/applications/{slug}/settings checks the token and the body", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  const put = async (slug: string, body: string, headers: HeadersInit = ADMIN) => {
    const response = await app.fetch(`/api/v1/admin/applications/${slug}/settings`, {
      method: "PUT",
      headers,
      body,
    });
    return { status: response.status, body: await response.json() };
  };
  assert.equal((await put("badge-app", '{"public_badges":false}', {})).status, 401);
  assert.equal(
    (await put("badge-app", '{"public_badges":false}', { authorization: "Bearer wrong" })).status,
    401,
  );
  const bad: [string, string][] = [
    ["not json", "malformed_json"],
    ["[]", "invalid_body"],
    ['"off"', "invalid_body"],
    ["{}", "invalid_setting"],
    ['{"public_badges":"false"}', "invalid_setting"],
    ['{"public_badges":0}', "invalid_setting"],
    ['{"public_badges":null}', "invalid_setting"],
    ['{"public_badges":false,"color":"red"}', "invalid_setting"],
  ];
  for (const [body, code] of bad) {
    const result = await put("badge-app", body);
    assert.equal(result.status, 400, body);
    assert.equal(result.body.error.code, code, body);
  }
  const unknown = await put("no-such-app", '{"public_badges":false}');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, "unknown_application");
  // Nothing above changed the setting.
  assert.deepEqual(await badgeTitle(app, "/badge/badge-app/instances"), [200, "instances: 5"]);
});

Deno.test("badges read the latest state only: history and raw snapshots are not used", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  const paths = [
    "/badge/badge-app/instances",
    "/badge/badge-app/version",
    "/badge/badge-app/metric/db.rows",
    "/badge/badge-app/combined?metric=users",
  ];
  const before = [];
  for (const path of paths) before.push(await getBadge(app, path));
  await app.db.query(sql`delete from instance_days`);
  await app.db.query(sql`delete from snapshots`);
  for (const [i, path] of paths.entries()) {
    assert.equal((await getBadge(app, path)).body, before[i]?.body, path);
  }
});

Deno.test("SHM_BADGE_CACHE_SECONDS reuses a badge's number until it is that old", async () => {
  await using app = await openTestApp({
    settings: { SHM_BADGE_CACHE_SECONDS: "60", SHM_BADGE_MIN_INSTANCES: "0" },
  });
  await runInstance(app, { metrics: { users: 1 } });
  assert.deepEqual(await badgeTitle(app, "/badge/badge-app/instances"), [200, "instances: 1"]);
  await runInstance(app, { metrics: { users: 2 } });
  app.clock.advance(59_000);
  assert.deepEqual(
    await badgeTitle(app, "/badge/badge-app/instances"),
    [200, "instances: 1"],
    "within a minute the number is reused",
  );
  app.clock.advance(1_000);
  assert.deepEqual(await badgeTitle(app, "/badge/badge-app/instances"), [200, "instances: 2"]);
});
