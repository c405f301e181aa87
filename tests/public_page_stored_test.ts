/**
 * The public page's stored figures (issue 13, migration 0015): the rollup
 * round computes them for each application whose page is on, already folded
 * by k, and `/p/{slug}` answers from that one row; figures stored for other
 * settings or for another day are not used (the page computes from the
 * rollups at once), and a page turned off loses its row at the next round.
 */

import assert from "node:assert/strict";
import { sql } from "../server/store/mod.ts";
import { openTestApp, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import { TestInstance } from "./support/instance_client.ts";

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const SLUG = "stored-app";
const DAY_MS = 86_400_000;

async function runInstance(app: TestApp, version: string, users: number): Promise<string> {
  const instance = await TestInstance.create();
  const registered = await app.send(
    instance.registerRequest({ appName: "Stored App", appVersion: version }),
  );
  assert.equal(registered.status, 201, await registered.text());
  assert.equal((await app.send(await instance.activateRequest())).status, 200);
  const sent = await app.send(
    await instance.snapshotRequest({ users }, { timestamp: app.clock.now() }),
  );
  assert.equal(sent.status, 202, await sent.text());
  return instance.instanceId;
}

async function putSettings(app: TestApp, body: unknown) {
  const response = await app.fetch(`/api/v1/admin/applications/${SLUG}/settings`, {
    method: "PUT",
    headers: { ...ADMIN, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.text());
}

async function publicJson(app: TestApp) {
  const response = await app.fetch(`/p/${SLUG}.json`);
  const body = await response.text();
  assert.equal(response.status, 200, body);
  return { body, json: JSON.parse(body), lastModified: response.headers.get("last-modified") };
}

async function storedRows(app: TestApp) {
  return await app.db.query<{ appId: number; inputs: string; figures: string }>(sql`
    select app_id as "appId", inputs, figures from app_public_pages order by app_id`);
}

/** Renames the application inside its stored figures: what the page answers then came from the row. */
async function markStoredRow(app: TestApp) {
  await app.db.query(sql`
    update app_public_pages set figures = replace(figures, '"Stored App"', '"Read From The Row"')`);
}

Deno.test("public page: the round stores its figures, the page answers from that row while the settings and the day are those it was computed for", async () => {
  await using app = await openTestApp({ settings: { SHM_BADGE_MIN_INSTANCES: "3" } });
  const ids = [];
  for (const [i, version] of ["1.0.0", "1.0.0", "1.0.0", "2.0.0"].entries()) {
    ids.push(await runInstance(app, version, i + 1));
  }
  await app.rollUp();
  assert.deepEqual(await storedRows(app), [], "no row while the page is off");

  await putSettings(app, { public_page: true, public_metrics: ["users"] });
  const live = await publicJson(app);
  assert.equal(live.json.name, "Stored App");
  assert.deepEqual(await storedRows(app), [], "a request never writes");

  await app.rollUp();
  const rows = await storedRows(app);
  assert.equal(rows.length, 1);
  for (const id of ids) assert.ok(!rows[0]!.figures.includes(id), "no instance id stored");
  assert.ok(
    !rows[0]!.figures.includes("2.0.0"),
    "a version of k-1 instances is folded when stored",
  );
  const stored = await publicJson(app);
  assert.deepEqual(stored.json, live.json, "stored figures are the figures computed from rollups");
  assert.equal(stored.body, live.body);
  assert.equal(stored.lastModified, new Date(stored.json.computed_at).toUTCString());
  assert.deepEqual(stored.json.versions, [
    { value: "1.0.0", instances: 3, share: 0.75 },
    { value: "other", instances: null, share: null },
  ]);
  assert.deepEqual(stored.json.metrics, [
    { name: "users", instances: 4, sum: 10, average: 2.5, median: 2.5 },
  ]);

  await markStoredRow(app);
  assert.equal((await publicJson(app)).json.name, "Read From The Row");
  const html = await (await app.fetch(`/p/${SLUG}`)).text();
  assert.match(html, /Read From The Row/, "the HTML page reads the same row");

  // Settings the row was not computed for: the figures come from the rollups at once.
  await putSettings(app, { public_metrics: [] });
  const changed = await publicJson(app);
  assert.equal(changed.json.name, "Stored App");
  assert.deepEqual(changed.json.metrics, []);
  await app.rollUp();
  await markStoredRow(app);
  const again = await publicJson(app);
  assert.equal(again.json.name, "Read From The Row", "the next round stores the new settings'");
  assert.deepEqual(again.json.metrics, []);

  // A new day: the stored figures end on yesterday and are not used.
  app.clock.advance(DAY_MS);
  const nextDay = await publicJson(app);
  assert.equal(nextDay.json.name, "Stored App");
  assert.equal(nextDay.json.days.at(-1), app.clock.now().toISOString().slice(0, 10));

  // Off: hidden at once, its row gone at the next round.
  await putSettings(app, { public_page: false });
  assert.equal((await app.fetch(`/p/${SLUG}.json`)).status, 404);
  await app.rollUp();
  assert.deepEqual(await storedRows(app), []);
});
