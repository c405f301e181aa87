/** The application page's charts and tables as CSV: `GET /apps/{slug}/export?chart=&period=`. */

import assert from "node:assert/strict";
import { applicationActivity } from "../server/stats/mod.ts";
import { FakeClock } from "./support/app.ts";
import { asSignedIn, feedInstance, openDashboard, signIn } from "./support/dashboard.ts";

type Dashboard = Awaited<ReturnType<typeof openDashboard>>;

async function csv(app: Dashboard, session: string, path: string) {
  const response = await app.fetch(path, asSignedIn(session));
  assert.equal(response.status, 200, path);
  assert.equal(response.headers.get("content-type"), "text/csv; charset=utf-8", path);
  const text = await response.text();
  assert.ok(text.endsWith("\r\n"), path);
  return {
    disposition: response.headers.get("content-disposition"),
    rows: text.slice(0, -2).split("\r\n").map((line) => line.split(",")),
  };
}

async function fedApp() {
  const app = await openDashboard({ clock: new FakeClock("2026-11-20T10:00:00Z") });
  await feedInstance(app, {
    appName: "Exported",
    version: "1.0.0",
    metrics: { users: 4, plan: "pro" },
  });
  await feedInstance(app, {
    appName: "Exported",
    version: "1.1.0",
    metrics: { users: 6, plan: "=1+2" },
  });
  await app.rollUp();
  return app;
}

Deno.test("export: every chart and table the app page links downloads as CSV, one record per bucket", async () => {
  await using app = await fedApp();
  const session = await signIn(app);
  for (const period of ["24h", "7d"]) {
    const html = await (await app.fetch(`/apps/exported?period=${period}`, asSignedIn(session)))
      .text();
    const links = [...html.matchAll(/href="(\/apps\/exported\/export\?[^"]+)"/g)]
      .map((m) => m[1]!.replaceAll("&amp;", "&"));
    const charts = links.filter((l) => !l.includes("chart=now-"));
    assert.ok(charts.length >= (period === "24h" ? 2 : 6), `${period}: ${links.join(" ")}`);
    assert.equal(links.filter((l) => l.includes("chart=now-")).length, 4, "the four tables");
    for (const link of charts) {
      const { rows } = await csv(app, session, link);
      assert.equal(rows[0]![0], period === "24h" ? "hour" : "day", link);
      assert.equal(rows.length - 1, period === "24h" ? 24 : 7, `${link}: a record per bucket`);
    }
  }
});

Deno.test("export: a chart's CSV holds the figures the chart draws", async () => {
  await using app = await fedApp();
  const session = await signIn(app);
  const activity = await applicationActivity(
    { db: app.db, now: app.clock.now, activeDays: 30 },
    "exported",
    "7d",
  );
  assert.ok(activity.kind === "found" && activity.daily);
  const { disposition, rows } = await csv(
    app,
    session,
    "/apps/exported/export?chart=instances&period=7d",
  );
  assert.equal(disposition, 'attachment; filename="exported-instances-7d.csv"');
  assert.deepEqual(rows[0], ["day", "Reporting", "Active"]);
  assert.deepEqual(rows.at(-1), ["2026-11-20", "2", "2"]);
  assert.deepEqual(
    rows.slice(1).map((r) => Number(r[2])),
    activity.daily.active,
  );
  const users = await csv(app, session, "/apps/exported/export?chart=metric-users&period=7d");
  assert.deepEqual(users.rows[0], [
    "day",
    "Average",
    "Median",
    "p90",
    "p99",
    "Instances",
    "Sum",
    "Min",
    "Max",
  ]);
  const today = users.rows.at(-1)!;
  assert.equal(today[0], "2026-11-20");
  assert.equal(Number(today[1]), 5, "average");
  assert.equal(Number(today[5]), 2, "instances");
  assert.equal(Number(today[6]), 10, "sum");
  assert.equal(users.rows[1]![1], "", "a day without the metric is empty, not 0");
  const plans = await csv(app, session, "/apps/exported/export?chart=values-plan&period=7d");
  assert.deepEqual(plans.rows[0], ["day", "pro", `"'=1+2"`], "a formula-looking value is defused");
});

Deno.test("export: the tables of active instances now, value by value", async () => {
  await using app = await fedApp();
  const session = await signIn(app);
  const { rows } = await csv(app, session, "/apps/exported/export?chart=now-versions");
  assert.deepEqual(rows[0], ["value", "active_instances"]);
  assert.deepEqual(rows.slice(1).sort(), [["1.0.0", "1"], ["1.1.0", "1"]]);
});

Deno.test("export: an unknown chart, app or period is refused; signed out goes to the login", async () => {
  await using app = await fedApp();
  const session = await signIn(app);
  const cases: [string, number][] = [
    ["/apps/exported/export?chart=nope&period=7d", 404],
    ["/apps/exported/export?period=7d", 404],
    ["/apps/exported/export?chart=metric-users&period=24h", 404],
    ["/apps/exported/export?chart=instances&period=2y", 400],
    ["/apps/missing/export?chart=instances", 404],
  ];
  for (const [path, status] of cases) {
    const response = await app.fetch(path, asSignedIn(session));
    await response.body?.cancel();
    assert.equal(response.status, status, path);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/, path);
  }
  const signedOut = await app.fetch("/apps/exported/export?chart=instances", {
    redirect: "manual",
  });
  await signedOut.body?.cancel();
  assert.equal(signedOut.status, 303);
  assert.match(signedOut.headers.get("location") ?? "", /^\/login\?next=/);
});
