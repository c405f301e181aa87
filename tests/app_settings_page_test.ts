/**
 * An application's settings page in-process: the session gate, 404, CSRF,
 * the display name (saved, shown on every page, bad values refused with
 * nothing written), the public badges switch, and the server-rendered badge
 * builder.
 */

import assert from "node:assert/strict";
import { type Database, sql } from "../server/store/mod.ts";
import { TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import {
  asSignedIn,
  feedInstance,
  formToken,
  openDashboard,
  postForm,
  signIn,
} from "./support/dashboard.ts";

const SLUG = "settings-app";
const SETTINGS = `/apps/${SLUG}/settings`;

async function getPage(app: TestApp, session: string, path: string) {
  const response = await app.fetch(path, asSignedIn(session));
  return { status: response.status, html: await response.text() };
}

/** An app with two instances sending two numeric metrics and a string one. */
async function settingsFleet(app: TestApp) {
  const first = await feedInstance(app, {
    appName: "Settings App",
    version: "1.0.0",
    metrics: { users: 3, "db.rows": 10, edition: "pro" },
  });
  await feedInstance(app, { appName: "Settings App", version: "1.1.0", metrics: { users: 4 } });
  return first;
}

async function storedSettings(db: Database) {
  const [row] = await db.query<{ name: string; displayName: string | null; publicBadges: boolean }>(
    sql`select name, display_name as "displayName", public_badges as "publicBadges"
      from applications where slug = ${SLUG}`,
  );
  return row;
}

/** Signs in and returns the session with the settings page's CSRF token. */
async function signedInWithToken(app: TestApp) {
  const session = await signIn(app);
  const { status, html } = await getPage(app, session, SETTINGS);
  assert.equal(status, 200, html);
  return { session, csrf: formToken(html) };
}

function unescapeHtml(text: string): string {
  return text.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** The text of the element with `data-field="name"`, unescaped. */
function field(html: string, name: string): string | undefined {
  const text = new RegExp(`data-field="${name}"[^>]*>([^<]*)<`).exec(html)?.[1];
  return text === undefined ? undefined : unescapeHtml(text);
}

Deno.test("the app settings page needs a session; an unknown app is a 404", async () => {
  await using app = await openDashboard();
  await settingsFleet(app);
  const anonymous = await app.fetch(SETTINGS);
  assert.equal(anonymous.status, 303);
  assert.equal(anonymous.headers.get("location"), `/login?next=${encodeURIComponent(SETTINGS)}`);
  const anonymousPost = await app.fetch(SETTINGS, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "display_name=x",
  });
  assert.equal(anonymousPost.status, 303);
  assert.equal(anonymousPost.headers.get("location"), "/login");

  const { session, csrf } = await signedInWithToken(app);
  const unknown = await getPage(app, session, "/apps/no-such-app/settings");
  assert.equal(unknown.status, 404);
  assert.match(unknown.html, /No application has the slug &quot;no-such-app&quot;/);
  const unknownPost = await postForm(app, "/apps/no-such-app/settings", {
    session,
    fields: { _csrf: csrf, display_name: "Ghost", public_badges: "on" },
  });
  assert.equal(unknownPost.status, 404);
  assert.equal((await storedSettings(app.db))?.displayName, null);
});

Deno.test("the app settings form without its CSRF token is refused and writes nothing", async () => {
  await using app = await openDashboard();
  await settingsFleet(app);
  const { session } = await signedInWithToken(app);
  for (const fields of [{ display_name: "Forged" }, { _csrf: "forged", display_name: "Forged" }]) {
    const response = await postForm(app, SETTINGS, { session, fields });
    assert.equal(response.status, 403);
    await response.body?.cancel();
  }
  assert.deepEqual(await storedSettings(app.db), {
    name: "Settings App",
    displayName: null,
    publicBadges: true,
  });
});

Deno.test("a display name is saved, shown on the overview, app, instances and instance pages, and cleared", async () => {
  await using app = await openDashboard();
  const instance = await settingsFleet(app);
  const { session, csrf } = await signedInWithToken(app);
  const saved = await postForm(app, SETTINGS, {
    session,
    fields: { _csrf: csrf, display_name: "  Shiny Name  ", public_badges: "on" },
  });
  assert.equal(saved.status, 303);
  assert.equal(saved.headers.get("location"), `${SETTINGS}?done=saved`);
  assert.deepEqual(await storedSettings(app.db), {
    name: "Settings App",
    displayName: "Shiny Name",
    publicBadges: true,
  });

  const settings = await getPage(app, session, `${SETTINGS}?done=saved`);
  assert.match(settings.html, /role="status">The settings were saved\./);
  assert.match(settings.html, /name="display_name" value="Shiny Name"/);
  assert.equal(field(settings.html, "reported-name"), "Settings App");
  assert.match(settings.html, /<h1>Settings of Shiny Name<\/h1>/);

  const overview = await getPage(app, session, "/");
  assert.match(overview.html, new RegExp(`data-app="${SLUG}"><h2>Shiny Name</h2>`));
  assert.ok(!overview.html.includes("Settings App"), "the reported name is not shown");
  for (
    const path of [`/apps/${SLUG}`, `/apps/${SLUG}/instances`, `/instances/${instance.instanceId}`]
  ) {
    const { status, html } = await getPage(app, session, path);
    assert.equal(status, 200, path);
    assert.ok(html.includes("Shiny Name"), `${path} shows the display name`);
    assert.ok(!html.includes("Settings App"), `${path} does not show the reported name`);
  }
  const admin = await app.fetch(`/api/v1/admin/applications/${SLUG}`, {
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  assert.equal((await admin.json()).name, "Shiny Name");

  const cleared = await postForm(app, SETTINGS, {
    session,
    fields: { _csrf: csrf, display_name: "   ", public_badges: "on" },
  });
  assert.equal(cleared.status, 303);
  assert.equal((await storedSettings(app.db))?.displayName, null);
  assert.match(
    (await getPage(app, session, "/")).html,
    new RegExp(`data-app="${SLUG}"><h2>Settings App</h2>`),
  );
});

Deno.test("bad display names are refused with a clear message and nothing is written", async () => {
  await using app = await openDashboard();
  await settingsFleet(app);
  const { session, csrf } = await signedInWithToken(app);
  assert.equal(
    (await postForm(app, SETTINGS, {
      session,
      fields: { _csrf: csrf, display_name: "Kept Name", public_badges: "on" },
    })).status,
    303,
  );
  const bad: [string, RegExp][] = [
    ["x".repeat(101), /at most 100 characters/],
    ["two\nlines", /control characters/],
    ["tab\there", /control characters/],
    ["bell\u0007", /control characters/],
  ];
  for (const [name, message] of bad) {
    // The switch is off in these posts: a refused form must not change it either.
    const response = await postForm(app, SETTINGS, {
      session,
      fields: { _csrf: csrf, display_name: name },
    });
    assert.equal(response.status, 400, JSON.stringify(name));
    const html = await response.text();
    assert.match(html, new RegExp(`role="alert">[^<]*${message.source}`), JSON.stringify(name));
    assert.deepEqual(await storedSettings(app.db), {
      name: "Settings App",
      displayName: "Kept Name",
      publicBadges: true,
    });
  }
  const exactly100 = "é".repeat(100);
  const accepted = await postForm(app, SETTINGS, {
    session,
    fields: { _csrf: csrf, display_name: exactly100, public_badges: "on" },
  });
  assert.equal(accepted.status, 303, "100 characters (200 bytes) are allowed");
  assert.equal((await storedSettings(app.db))?.displayName, exactly100);
});

Deno.test("the public badges switch hides the app's badges behind the unknown app face and back", async () => {
  await using app = await openDashboard();
  await settingsFleet(app);
  const { session, csrf } = await signedInWithToken(app);
  const badge = async (path: string) => {
    const response = await app.fetch(path);
    return { status: response.status, body: await response.text() };
  };
  assert.equal((await badge(`/badge/${SLUG}/instances`)).status, 200);

  const off = await postForm(app, SETTINGS, { session, fields: { _csrf: csrf, display_name: "" } });
  assert.equal(off.status, 303);
  assert.equal((await storedSettings(app.db))?.publicBadges, false);
  for (const path of ["instances", "version", "metric/users"]) {
    const hidden = await badge(`/badge/${SLUG}/${path}`);
    const unknown = await badge(`/badge/no-such-app/${path}`);
    assert.equal(hidden.status, 404, path);
    assert.equal(hidden.body, unknown.body, path);
    assert.match(hidden.body, /unknown app/);
  }
  const page = await getPage(app, session, SETTINGS);
  assert.match(page.html, /data-field="badges-off"/);
  assert.doesNotMatch(page.html, /name="public_badges" checked/);

  const on = await postForm(app, SETTINGS, {
    session,
    fields: { _csrf: csrf, display_name: "", public_badges: "on" },
  });
  assert.equal(on.status, 303);
  assert.equal((await badge(`/badge/${SLUG}/instances`)).status, 200);
  const back = await getPage(app, session, SETTINGS);
  assert.doesNotMatch(back.html, /data-field="badges-off"/);
  assert.match(back.html, /name="public_badges" checked/);
});

Deno.test("the badge builder is rendered on the server: default snippets, numeric metrics, a chosen badge", async () => {
  await using app = await openDashboard({ settings: { SHM_BADGE_MIN_INSTANCES: "0" } });
  await settingsFleet(app);
  await app.rollUp();
  const session = await signIn(app);
  const page = await getPage(app, session, SETTINGS);
  assert.match(page.html, /data-island="BadgeBuilder"/);
  assert.equal(
    field(page.html, "badge-markdown"),
    `![instances](http://shm.test/badge/${SLUG}/instances)`,
  );
  assert.equal(
    field(page.html, "badge-html"),
    `<img src="http://shm.test/badge/${SLUG}/instances" alt="instances">`,
  );
  assert.match(page.html, new RegExp(`<img src="/badge/${SLUG}/instances"`));
  const metricOptions = [...page.html.matchAll(/<option value="([^"]*)"[^>]*>\1<\/option>/g)]
    .map((m) => m[1]);
  assert.ok(metricOptions.includes("users") && metricOptions.includes("db.rows"));
  assert.ok(!metricOptions.includes("edition"), "string metrics cannot make a badge");

  const chosen = await getPage(
    app,
    session,
    `${SETTINGS}?badge=metric&metric=users&agg=avg&label=Users&color=%23ff8800&style=flat-square`,
  );
  const url = `http://shm.test/badge/${SLUG}/metric/users?agg=avg&label=Users&color=ff8800` +
    "&style=flat-square";
  assert.equal(field(chosen.html, "badge-markdown"), `![Users](${url})`);
  const preview = new URL(url).pathname + new URL(url).search;
  assert.ok(chosen.html.includes(`src="${preview.replaceAll("&", "&amp;")}"`));
  const drawn = await app.fetch(preview);
  assert.equal(drawn.status, 200);
  assert.match(await drawn.text(), /<title>Users: 3\.5<\/title>/);

  const combined = await getPage(app, session, `${SETTINGS}?badge=combined&metric=db.rows`);
  assert.equal(
    field(combined.html, "badge-markdown"),
    `![instances](http://shm.test/badge/${SLUG}/combined?metric=db.rows)`,
  );
  const unknownMetric = await getPage(app, session, `${SETTINGS}?badge=metric&metric=nope`);
  assert.equal(
    field(unknownMetric.html, "badge-markdown"),
    `![db.rows](http://shm.test/badge/${SLUG}/metric/db.rows)`,
    "an unknown metric falls back to the first one the app sends",
  );
});

Deno.test("the public page switch and its metrics are saved from the form; more than 50 metrics are refused", async () => {
  await using app = await openDashboard();
  await settingsFleet(app);
  await app.rollUp();
  const { session, csrf } = await signedInWithToken(app);
  const post = (fields: [string, string][]) =>
    app.fetch(
      SETTINGS,
      asSignedIn(session, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams([["_csrf", csrf], ["display_name", ""], ...fields]).toString(),
      }),
    );
  const stored = async () => {
    const [row] = await app.db.query<{ publicPage: boolean; publicMetrics: string[] }>(sql`
      select public_page as "publicPage", public_metrics as "publicMetrics"
      from applications where slug = ${SLUG}`);
    return row;
  };
  assert.deepEqual(await stored(), { publicPage: false, publicMetrics: [] }, "off by default");
  const before = await getPage(app, session, SETTINGS);
  assert.doesNotMatch(before.html, /name="public_page" checked/);
  assert.doesNotMatch(before.html, /data-field="public-page-link"/, "no link while it is off");
  assert.match(before.html, /name="public_metrics" value="db.rows"/, "numeric metrics offered");
  assert.doesNotMatch(before.html, /name="public_metrics" value="edition"/, "text metrics not");

  const on = await post([["public_page", "on"], ["public_metrics", "users"]]);
  assert.equal(on.status, 303);
  assert.deepEqual(await stored(), { publicPage: true, publicMetrics: ["users"] });
  const after = await getPage(app, session, SETTINGS);
  assert.match(after.html, /name="public_page" checked/);
  assert.match(after.html, /name="public_metrics" value="users" checked/);
  assert.doesNotMatch(after.html, /name="public_metrics" value="db.rows" checked/);
  assert.match(after.html, new RegExp(`data-field="public-page-link"[^]*href="/p/${SLUG}"`));

  const many = Array.from({ length: 51 }, (_, i): [string, string] => ["public_metrics", `m${i}`]);
  const refused = await post([["public_page", "on"], ...many]);
  assert.equal(refused.status, 400);
  assert.match(await refused.text(), /at most 50 metrics/);
  assert.deepEqual(
    await stored(),
    { publicPage: true, publicMetrics: ["users"] },
    "nothing written",
  );

  const off = await post([]);
  assert.equal(off.status, 303);
  assert.deepEqual(await stored(), { publicPage: false, publicMetrics: [] });
});
