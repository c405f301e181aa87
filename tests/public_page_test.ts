/**
 * The public stats page (issue 13): off by default and then answered exactly
 * as an unknown application; once on, its figures from the rollups with the
 * privacy threshold k (SHM_BADGE_MIN_INSTANCES, 3 here) held at the boundary
 * k-1 / k, only the chosen metrics, no instance id; its HTML readable without
 * JavaScript; ETag and 304.
 */

import assert from "node:assert/strict";
import { openTestApp, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import { TestInstance } from "./support/instance_client.ts";

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const SLUG = "public-app";

/** Registers, activates and snapshots one instance of `appName`; returns its id. */
async function runInstance(
  app: TestApp,
  options: {
    appName?: string;
    version: string;
    osArch?: string;
    metrics: Record<string, unknown>;
  },
): Promise<string> {
  const instance = await TestInstance.create();
  const registered = await app.send(instance.registerRequest({
    appName: options.appName ?? "Public App",
    appVersion: options.version,
    extra: { os_arch: options.osArch ?? "linux/amd64" },
  }));
  assert.equal(registered.status, 201, await registered.text());
  assert.equal((await app.send(await instance.activateRequest())).status, 200);
  const sent = await app.send(
    await instance.snapshotRequest(options.metrics, { timestamp: app.clock.now() }),
  );
  assert.equal(sent.status, 202, await sent.text());
  return instance.instanceId;
}

/**
 * Ten instances of `public-app`, k = 3:
 * - versions 1.0.0 ×4, 1.1.0 ×3 (= k, named), 2.0.0 ×2 (= k-1) and 3.0.0 ×1: "other" is 3;
 * - os_arch linux/amd64 ×8, darwin/arm64 ×2: "other" is 2, shown as fewer than 3;
 * - runtimes node ×4 (one through the original SDK's sys_node_version), deno ×3, bun ×2, none ×1;
 * - users (numbers 1..10) on all; edge (numbers) on exactly 3; small on 2; secret on 5 but not
 *   chosen; flag (boolean) on all, edition (text) on 4; rare_key (and sys_node_version) on 1.
 */
async function buildFleet(app: TestApp): Promise<string[]> {
  const versions = ["1.0.0", "1.0.0", "1.0.0", "1.0.0", "1.1.0", "1.1.0", "1.1.0", "2.0.0"]
    .concat(["2.0.0", "3.0.0"]);
  const runtimes = ["node", "node", "node", null, "deno", "deno", "deno", "bun", "bun", null];
  const ids: string[] = [];
  for (const [i, version] of versions.entries()) {
    const metrics: Record<string, unknown> = { users: i + 1, flag: i % 2 === 0 };
    const runtime = runtimes[i];
    if (runtime !== null && runtime !== undefined) metrics["sys_runtime"] = runtime;
    if (i === 3) metrics["sys_node_version"] = "v20.11.0";
    if (i < 3) metrics["edge"] = 10 * (i + 1);
    if (i >= 3 && i < 5) metrics["small"] = 7;
    if (i < 5) metrics["secret"] = 1000 + i;
    if (i < 4) metrics["edition"] = "pro";
    if (i === 9) metrics["rare_key"] = 1;
    ids.push(
      await runInstance(app, { version, osArch: i < 8 ? "linux/amd64" : "darwin/arm64", metrics }),
    );
  }
  return ids;
}

async function putSettings(app: TestApp, slug: string, body: unknown) {
  const response = await app.fetch(`/api/v1/admin/applications/${slug}/settings`, {
    method: "PUT",
    headers: { ...ADMIN, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.text());
}

async function get(app: TestApp, path: string, headers: HeadersInit = {}) {
  const response = await app.fetch(path, { headers });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

Deno.test("public page: off by default, and then /p/{slug} and .json answer as for an unknown slug", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  await runInstance(app, { appName: "Other App", version: "1.0.0", metrics: { users: 1 } });
  await app.rollUp();
  for (const suffix of ["", ".json"]) {
    const off = await get(app, `/p/${SLUG}${suffix}`);
    const unknown = await get(app, `/p/no-such-app${suffix}`);
    assert.equal(off.status, 404, suffix);
    assert.equal(unknown.status, 404, suffix);
    assert.equal(off.body.replaceAll(SLUG, "S"), unknown.body.replaceAll("no-such-app", "S"));
    assert.equal(off.headers.get("content-type"), unknown.headers.get("content-type"));
    assert.equal(off.headers.get("etag"), null);
  }
  assert.match((await get(app, `/p/${SLUG}`)).headers.get("content-type") ?? "", /^text\/html/);
  assert.match((await get(app, `/p/${SLUG}.json`)).body, /"code":"not_found"/);

  await putSettings(app, SLUG, { public_page: true });
  assert.equal((await get(app, `/p/${SLUG}`)).status, 200);
  assert.equal((await get(app, `/p/${SLUG}.json`)).status, 200);
  assert.equal((await get(app, "/p/other-app.json")).status, 404, "only the app turned on");
  await putSettings(app, SLUG, { public_page: false });
  assert.equal((await get(app, `/p/${SLUG}.json`)).status, 404, "turned off at once");
  // A slug that breaks the slug rule never reaches the handler.
  assert.equal((await get(app, "/p/Bad.Slug.json")).status, 404);
  assert.equal((await get(app, "/p/.json")).status, 404);
});

Deno.test("public page JSON: k folding at k-1 / k, chosen metrics only, no instance id", async () => {
  await using app = await openTestApp();
  const ids = await buildFleet(app);
  await app.rollUp();
  await putSettings(app, SLUG, {
    public_page: true,
    public_metrics: ["users", "edge", "small", "never_sent"],
  });
  const { status, body } = await get(app, `/p/${SLUG}.json`);
  assert.equal(status, 200, body);
  for (const id of ids) assert.ok(!body.includes(id), "no instance id");
  const figures = JSON.parse(body);
  assert.equal(figures.min_instances, 3);
  assert.equal(figures.name, "Public App");
  assert.equal(figures.active.now, 10);
  assert.equal(figures.days.length, 90);
  assert.equal(figures.active.per_day.length, 90);
  assert.equal(figures.active.per_day.at(-1), 10);
  assert.equal(figures.latest_day, "2026-11-25");

  assert.deepEqual(figures.versions, [
    { value: "1.0.0", instances: 4, share: 0.4 },
    { value: "1.1.0", instances: 3, share: 0.3 },
    { value: "other", instances: 3, share: 0.3 },
  ]);
  assert.deepEqual(
    figures.version_adoption.map((s: { value: string; per_day: number[] }) => [
      s.value,
      s.per_day.at(-1),
    ]),
    [["1.0.0", 4], ["1.1.0", 3], ["other", 3]],
  );
  assert.deepEqual(figures.platforms, [
    { value: "linux/amd64", instances: 8, share: 0.8 },
    { value: "other", instances: null, share: null },
  ]);
  assert.deepEqual(figures.runtimes, [
    { value: "node", instances: 4, share: 0.4 },
    { value: "deno", instances: 3, share: 0.3 },
    { value: "other", instances: 3, share: 0.3 },
  ]);
  assert.deepEqual(figures.deployment_modes, [
    { value: "standalone", instances: 10, share: 1 },
  ]);

  // users over 10 instances; edge over exactly k = 3; small (k-1) and never_sent left out.
  assert.deepEqual(figures.metrics, [
    { name: "users", instances: 10, sum: 55, average: 5.5, median: 5.5 },
    { name: "edge", instances: 3, sum: 60, average: 20, median: 20 },
  ]);
  assert.ok(!body.includes("1000") && !body.includes("5010"), "secret, not chosen: no figure");

  const kinds = Object.fromEntries(
    figures.sends.metrics.map((m: { name: string; kinds: string[] }) => [m.name, m.kinds]),
  );
  assert.deepEqual(kinds.users, ["number"]);
  assert.deepEqual(kinds.flag, ["boolean"]);
  assert.deepEqual(kinds.edition, ["text"]);
  assert.deepEqual(kinds.secret, ["number"], "a key's name and kind, not its values");
  assert.equal(kinds.small, undefined, "a key sent by k-1 instances is not named");
  assert.equal(kinds.rare_key, undefined);
  // small (2 instances), rare_key (1) and sys_node_version (1).
  assert.equal(figures.sends.rare_keys, 3);
  assert.ok(!body.includes('"pro"'), "no text value");
  assert.match(figures.sends.opt_out, /DO_NOT_TRACK=1/);
  assert.ok(
    figures.sends.system_keys.some((key: { name: string }) => key.name === "sys_runtime"),
  );
});

Deno.test("public page: an active count of k-1 shows as fewer than k, k shows exactly", async () => {
  await using app = await openTestApp();
  for (let i = 0; i < 2; i++) {
    await runInstance(app, { appName: "Tiny App", version: "1.0.0", metrics: { users: 5 } });
  }
  await app.rollUp();
  await putSettings(app, "tiny-app", { public_page: true, public_metrics: ["users"] });
  const tiny = JSON.parse((await get(app, "/p/tiny-app.json")).body);
  assert.equal(tiny.active.now, null);
  assert.equal(tiny.active.per_day.at(-1), null);
  assert.equal(tiny.active.per_day[0], 0, "a day without instances is zero, not hidden");
  assert.deepEqual(tiny.versions, [{ value: "other", instances: null, share: null }]);
  assert.deepEqual(tiny.metrics, []);
  const html = (await get(app, "/p/tiny-app")).body;
  assert.match(html, /data-field="active-now">fewer than 3</);
  assert.ok(!html.includes(">2<"), "the exact count is nowhere in the page");

  await runInstance(app, { appName: "Tiny App", version: "1.0.0", metrics: { users: 5 } });
  await app.rollUp();
  const three = JSON.parse((await get(app, "/p/tiny-app.json")).body);
  assert.equal(three.active.now, 3);
  assert.deepEqual(three.versions, [{ value: "1.0.0", instances: 3, share: 1 }]);
  assert.deepEqual(three.metrics, [
    { name: "users", instances: 3, sum: 15, average: 5, median: 5 },
  ]);
});

Deno.test("public page HTML: the figures, the folds and what the app sends are in the markup", async () => {
  await using app = await openTestApp();
  const ids = await buildFleet(app);
  await app.rollUp();
  await putSettings(app, SLUG, { public_page: true, public_metrics: ["users"] });
  const { status, headers, body: html } = await get(app, `/p/${SLUG}`);
  assert.equal(status, 200);
  assert.match(headers.get("content-type") ?? "", /^text\/html/);
  for (const id of ids) assert.ok(!html.includes(id), "no instance id");
  assert.match(html, /<h1>Public App: public statistics<\/h1>/);
  assert.match(html, /data-field="active-now">10</);
  assert.match(html, /<td>1\.1\.0<\/td><td>3<\/td><td>30\.0 %<\/td>/);
  assert.doesNotMatch(html, /2\.0\.0|3\.0\.0|darwin\/arm64/, "values under k are folded");
  assert.match(html, /<td>other<\/td><td>fewer than 3<\/td>/);
  assert.match(html, /data-metric="users"><td><code>users<\/code><\/td><td>10<\/td><td>55<\/td>/);
  assert.doesNotMatch(html, /data-metric="secret"/);
  assert.match(html, /What Public App sends/);
  assert.match(html, /<code>edition<\/code><\/td><td>text</);
  assert.match(html, /<code>DO_NOT_TRACK=1<\/code>/);
  assert.match(html, /<code>forget\(\)<\/code>/);
  assert.match(html, /<code>sys_runtime<\/code>: the JavaScript runtime/);
  assert.match(html, /data-island="TimeSeriesChart"/);
  assert.match(html, /<td>2026-11-25<\/td><td>10<\/td>/, "each day's figure without JavaScript");
});

Deno.test("public page: ETag over the body, 304 on If-None-Match, public max-age=300", async () => {
  await using app = await openTestApp();
  await buildFleet(app);
  await app.rollUp();
  await putSettings(app, SLUG, { public_page: true });
  for (const path of [`/p/${SLUG}`, `/p/${SLUG}.json`]) {
    const first = await get(app, path);
    const etag = first.headers.get("etag");
    assert.match(etag ?? "", /^"[0-9a-f]{32}"$/, path);
    assert.equal(first.headers.get("cache-control"), "public, max-age=300", path);
    const again = await get(app, path, { "if-none-match": etag ?? "" });
    assert.equal(again.status, 304, path);
    assert.equal(again.body, "");
    assert.equal(again.headers.get("etag"), etag);
    const weak = await get(app, path, { "if-none-match": `"other", W/${etag}` });
    assert.equal(weak.status, 304, path);
    const stale = await get(app, path, { "if-none-match": '"0123"' });
    assert.equal(stale.status, 200, path);
  }
  const before = (await get(app, `/p/${SLUG}.json`)).headers.get("etag");
  await putSettings(app, SLUG, { public_metrics: ["users"] });
  const after = await get(app, `/p/${SLUG}.json`, { "if-none-match": before ?? "" });
  assert.equal(after.status, 200, "a changed body has a new tag");
  assert.notEqual(after.headers.get("etag"), before);
});
