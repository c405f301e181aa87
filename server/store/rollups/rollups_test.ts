/** Rollup correctness: every stored number against the same number computed from the history. */

import assert from "node:assert/strict";
import { openTestDatabase } from "../../../tests/support/store.ts";
import { addDays, daysBetween, expectedAppDays } from "../../../tests/support/rollup_reference.ts";
import {
  alphaDay,
  APPS,
  assertFleetMatches,
  assertRollupsMatch,
  byShareKey,
  d,
  fleetDays,
  History,
  NOW,
  range,
  refreshedFleet,
  rounded,
  TODAY,
  WINDOW,
  writeFleet,
} from "../../../tests/support/rollup_fleet.ts";
import { type Database, sql } from "../drivers/database.ts";
import { appDayMetricRows, appDayRows, appDayShareRows } from "./rollup_queries.ts";
import { markRollupsStale, refreshRollups, rollUpDay } from "./rollups.ts";

Deno.test("refreshRollups() stores for every app and day the numbers computed from the history", async () => {
  await using store = await openTestDatabase();
  const { history } = await refreshedFleet(store.db);
  await assertFleetMatches(store.db, history, WINDOW);
});

Deno.test("refreshRollups() counts an instance as returned only after a silence longer than the window", async () => {
  await using store = await openTestDatabase();
  const { history } = await refreshedFleet(store.db);
  // Day 9: the pausing instance is back after 3 silent days; it is neither new nor returning.
  assert.deepEqual(await alphaDay(store.db, history, d(9)), {
    reporting: 3,
    active: 6,
    new: 0,
    returned: 0,
    gone: 0,
    snapshots: 3,
  });
  // Day 15: the edge instance silent since day 8 leaves; the one back on day 15 does not.
  assert.deepEqual(await alphaDay(store.db, history, d(15)), {
    reporting: 3,
    active: 4,
    new: 0,
    returned: 0,
    gone: 1,
    snapshots: 4,
  });
  // Day 16: silent for exactly the window (days 9..15), the edge instance is returning.
  assert.equal((await alphaDay(store.db, history, d(16))).returned, 1);
  // Day 33 (today): the wanderer, silent since day 18, is returning again.
  assert.equal((await alphaDay(store.db, history, d(33))).returned, 1);
});

Deno.test("refreshRollups() stores days on which no instance reported, with the window's counts", async () => {
  await using store = await openTestDatabase();
  const { history } = await refreshedFleet(store.db);
  // Days 24..26: nobody in alpha reports. Steady (last day 23) and the wanderer (day 18) are
  // still active until they leave the window: the wanderer on day 25.
  assert.deepEqual(await alphaDay(store.db, history, d(24)), {
    reporting: 0,
    active: 2,
    new: 0,
    returned: 0,
    gone: 0,
    snapshots: 0,
  });
  assert.deepEqual(await alphaDay(store.db, history, d(25)), {
    reporting: 0,
    active: 1,
    new: 0,
    returned: 0,
    gone: 1,
    snapshots: 0,
  });
  const gamma = await history.appId("gamma");
  const quiet = await appDayRows(store.db, {
    appId: gamma,
    scope: "all",
    fromDay: d(3),
    toDay: TODAY,
  });
  assert.equal(quiet.length, 31, "gamma has a row for each day since its history stopped");
  assert.ok(quiet.every((r) => r.reporting === 0 && r.snapshots === 0));
  assert.deepEqual(quiet.map((r) => [r.active, r.gone]).slice(0, 8), [
    [2, 0],
    [2, 0],
    [2, 0],
    [2, 0],
    [2, 0],
    [2, 0],
    [0, 2],
    [0, 0],
  ]);
});

Deno.test("refreshRollups() keeps active(D) - active(D-1) = new + returned - gone on every day", async () => {
  await using store = await openTestDatabase();
  const { history } = await refreshedFleet(store.db);
  for (const app of APPS) {
    const rows = await appDayRows(store.db, {
      appId: await history.appId(app),
      scope: "all",
      fromDay: "2000-01-01",
      toDay: TODAY,
    });
    assert.equal(rows.length, daysBetween(history.firstDay(app), TODAY).length);
    let previousActive = 0;
    for (const row of rows) {
      assert.equal(
        row.active - previousActive,
        row.new + row.returned - row.gone,
        `${app} on ${row.day}`,
      );
      previousActive = row.active;
    }
  }
});

Deno.test("refreshRollups() shares count each instance's last state of the day", async () => {
  await using store = await openTestDatabase();
  const { history } = await refreshedFleet(store.db);
  const appId = await history.appId("alpha");
  const shares = await appDayShareRows(store.db, {
    appId,
    scope: "all",
    fromDay: d(15),
    toDay: d(15),
  });
  const of = (field: string) =>
    byShareKey(shares.filter((s) => s.field === field)).map((s) => [s.value, s.instances]);
  // Steady sent 1.0.0 in the morning and 1.1.0 in the evening of day 15.
  assert.deepEqual(of("version"), [["1.0.0", 2], ["1.1.0", 1]]);
  assert.deepEqual(of("environment"), [["production", 1], ["staging", 1], [null, 1]]);
  assert.deepEqual(of("metric:plan"), [["free", 1], ["pro", 2]]);
  assert.deepEqual(of("metric:size"), [["big", 1]], "numbers are not shares");
  const day28 = await appDayShareRows(store.db, {
    appId,
    scope: "all",
    fromDay: d(28),
    toDay: d(28),
  });
  const tls = day28.filter((s) => s.field === "metric:tls");
  assert.deepEqual(byShareKey(tls).map((s) => [s.value, s.instances]), [["false", 23], [
    "true",
    12,
  ]]);
});

Deno.test("refreshRollups() keeps the 25 most common values of a field, ties by value", async () => {
  await using store = await openTestDatabase();
  const { history } = await refreshedFleet(store.db);
  const appId = await history.appId("alpha");
  const shares = await appDayShareRows(store.db, {
    appId,
    scope: "all",
    fromDay: d(28),
    toDay: d(28),
  });
  const labels = range(1, 25).map((n) => String(n).padStart(2, "0"));
  const kept = (field: string, prefix: string) => {
    const rows = byShareKey(shares.filter((s) => s.field === field));
    assert.deepEqual(rows.map((s) => s.value), labels.map((l) => `${prefix}${l}`), field);
    assert.deepEqual(rows.map((s) => s.instances), labels.map((_, i) => i < 5 ? 2 : 1), field);
  };
  // v01..v05 (two instances each), then v06..v25 of the thirty tied at one; steady's 1.1.0
  // is tied at one too and sorts before "v", so v25 gives way to it.
  const versions = byShareKey(shares.filter((s) => s.field === "version"));
  assert.equal(versions.length, 25);
  assert.deepEqual(versions[0], { day: d(28), field: "version", value: "1.1.0", instances: 1 });
  assert.deepEqual(versions.slice(1).map((s) => s.value), labels.slice(0, 24).map((l) => `v${l}`));
  kept("metric:region", "r");
});

Deno.test("refreshRollups() metric figures match a hand-computed fixture, numbers only", async () => {
  await using store = await openTestDatabase();
  const { history } = await refreshedFleet(store.db);
  const beta = await history.appId("beta");
  const [latency, ok] = await appDayMetricRows(store.db, {
    appId: beta,
    scope: "all",
    fromDay: d(30),
    toDay: d(30),
  });
  // 10, 20, 30, 40, 50: p50 is the middle value; p90 sits 0.6 and p99 0.96 of the way from
  // 40 to 50 (positions 0.9 × 4 = 3.6 and 0.99 × 4 = 3.96).
  assert.deepEqual({ ...latency, p90: rounded(latency!.p90), p99: rounded(latency!.p99) }, {
    day: d(30),
    metric: "latency",
    instances: 5,
    numbers: 5,
    sum: 150,
    min: 10,
    max: 50,
    p50: 30,
    p90: 46,
    p99: 49.6,
  });
  assert.deepEqual(ok, {
    day: d(30),
    metric: "ok",
    instances: 5,
    numbers: 0,
    sum: null,
    min: null,
    max: null,
    p50: null,
    p90: null,
    p99: null,
  });
  // Size is a number on steady (3) and the wanderer (7) and a string on the pausing instance.
  const alpha = await history.appId("alpha");
  const day3 = await appDayMetricRows(store.db, {
    appId: alpha,
    scope: "all",
    fromDay: d(3),
    toDay: d(3),
  });
  const size = day3.find((m) => m.metric === "size");
  assert.ok(size);
  assert.deepEqual({ ...size, p90: rounded(size.p90), p99: rounded(size.p99) }, {
    day: d(3),
    metric: "size",
    instances: 3,
    numbers: 2,
    sum: 10,
    min: 3,
    max: 7,
    p50: 5,
    p90: 6.6,
    p99: 6.96,
  });
});

Deno.test("refreshRollups() run again with nothing arrived computes no day and changes no number", async () => {
  await using store = await openTestDatabase();
  const { history } = await refreshedFleet(store.db);
  const later = new Date(NOW.getTime() + 60_000);
  const before = await storedRollups(store.db);
  const report = await refreshRollups(store.db, { now: later, windowDays: WINDOW });
  assert.deepEqual(report, { ran: true, daysComputed: 0 });
  await assertFleetMatches(store.db, history, WINDOW);
  const after = await storedRollups(store.db);
  assert.deepEqual(after, before);
});

Deno.test("refreshRollups() computes today again when a snapshot of today arrived, and yesterday with it when one of yesterday did", async () => {
  await using store = await openTestDatabase();
  const { history, edgeIn } = await refreshedFleet(store.db);
  const alpha = await history.appId("alpha");
  const beta = await history.appId("beta");
  const steadyBeta = history.facts("beta")[0]!.instanceId;
  const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
  history.snapshot(steadyBeta, { day: TODAY, time: "12:00:30", receivedAt: at(1) }, {
    latency: 1,
  });
  await history.write();
  const today = await refreshRollups(store.db, { now: at(10), windowDays: WINDOW });
  assert.deepEqual(today, { ran: true, daysComputed: 1 });
  assert.deepEqual(await computedAt(store.db, at(10)), [`${beta} ${TODAY}`]);
  // Beta's snapshot arrived before its last rollup by more than the lag allowed for: beta is
  // not computed again.
  await assertFleetMatches(store.db, history, WINDOW);
  // Taken before midnight, it arrives today: yesterday changes, and today's counts after it.
  history.snapshot(edgeIn, { day: addDays(TODAY, -1), time: "23:59:59", receivedAt: at(13) }, {
    users: 2,
  });
  await history.write();
  const both = await refreshRollups(store.db, { now: at(14), windowDays: WINDOW });
  assert.deepEqual(both, { ran: true, daysComputed: 2 });
  assert.deepEqual(await computedAt(store.db, at(14)), [
    `${alpha} ${addDays(TODAY, -1)}`,
    `${alpha} ${TODAY}`,
  ]);
  await assertFleetMatches(store.db, history, WINDOW);
  // It arrived within the lag allowed for before that rollup: computed once more, then final.
  assert.equal(
    (await refreshRollups(store.db, { now: at(30), windowDays: WINDOW })).daysComputed,
    2,
  );
  assert.deepEqual(await refreshRollups(store.db, { now: at(40), windowDays: WINDOW }), {
    ran: true,
    daysComputed: 0,
  }, "nothing arrived since");
});

Deno.test("refreshRollups() computes yesterday once more after it ended, and today after it", async () => {
  await using store = await openTestDatabase();
  const history = new History(store.db);
  const id = await history.instance("beta");
  history.snapshot(id, { day: d(32), time: "08:00:00" }, { n: 1 });
  await history.write();
  const evening = new Date(`${d(32)}T22:00:00Z`);
  assert.equal(
    (await refreshRollups(store.db, { now: evening, windowDays: WINDOW })).daysComputed,
    1,
  );
  // After midnight: today has no rollup yet, and yesterday was computed before it ended.
  const report = await refreshRollups(store.db, { now: NOW, windowDays: WINDOW });
  assert.deepEqual(report, { ran: true, daysComputed: 2 });
  await assertRollupsMatch(store.db, history, "beta", { windowDays: WINDOW });
  const again = await refreshRollups(store.db, { now: NOW, windowDays: WINDOW });
  assert.equal(again.daysComputed, 0, "yesterday computed after it ended is final");
});

/** The application days whose rollup was computed at `at`, as "appId day". */
async function computedAt(db: Database, at: Date): Promise<string[]> {
  const rows = await db.query<{ appId: number; day: string }>(sql`
    select app_id as "appId", day::text as day from app_days
    where scope = 'all' and computed_at = ${at.toISOString()}::timestamptz`);
  return rows.map((r) => `${r.appId} ${r.day}`).sort();
}

async function storedRollups(db: Database) {
  return {
    days: await db.query<{ appId: number; day: string; computedAt: Date }>(sql`
      select app_id as "appId", scope, day::text as day, window_days, reporting, active, new,
        returned, gone, snapshots::float8 as snapshots, computed_at as "computedAt"
      from app_days order by app_id, scope, day`),
    shares: await db.query(sql`
      select app_id, scope, day::text as day, field, value, instances from app_day_shares
      order by app_id, scope, day, field, value`),
    metrics: await db.query(sql`
      select app_id, scope, day::text as day, metric, instances, numbers, sum, min, max, p50,
        p90, p99
      from app_day_metrics order by app_id, scope, day, metric`),
  };
}

Deno.test("refreshRollups() with another window recomputes every day with it", async () => {
  await using store = await openTestDatabase();
  const { history } = await refreshedFleet(store.db);
  const report = await refreshRollups(store.db, { now: NOW, windowDays: 3 });
  assert.deepEqual(report, { ran: true, daysComputed: fleetDays(history) });
  await assertFleetMatches(store.db, history, 3);
  const windows = await store.db.query<{ w: number }>(
    sql`select distinct window_days as w from app_days`,
  );
  assert.deepEqual(windows, [{ w: 3 }]);
});

/**
 * Asserts that the refresh computed at `at` did alpha's days from `fromDay`
 * at least through the `WINDOW` days after it, none of alpha's days before
 * it, and no day of the other apps.
 */
async function assertRecomputedFrom(history: History, db: Database, fromDay: string, at: Date) {
  const alpha = await history.appId("alpha");
  const computed = await computedAt(db, at);
  const alphaDays = computed.filter((c) => c.startsWith(`${alpha} `)).map((c) => c.slice(-10));
  const required = daysBetween(fromDay, addDays(fromDay, WINDOW));
  assert.deepEqual(alphaDays.slice(0, required.length), required, "the day and its window");
  assert.ok(alphaDays.every((day) => day >= fromDay), `nothing before ${fromDay}: ${alphaDays}`);
  // No snapshot arrived for the other apps since their last rollup: none of their days.
  assert.deepEqual(computed.filter((c) => !c.startsWith(`${alpha} `)), []);
}

Deno.test("refreshRollups() corrects the day of a late snapshot and the window after it", async () => {
  await using store = await openTestDatabase();
  const { history, late } = await refreshedFleet(store.db);
  const alpha = await history.appId("alpha");
  // Silent since day 10, the instance sends today a snapshot taken on day 19: the write marks it.
  history.snapshot(late, { day: d(19), time: "15:00:00", receivedAt: NOW }, { users: 4 });
  await history.write();
  assert.deepEqual(await store.db.query(sql`select app_id, day::text from rollup_stale`), [
    { app_id: alpha, day: d(19) },
  ]);
  const later = new Date(NOW.getTime() + 60_000);
  const report = await refreshRollups(store.db, { now: later, windowDays: WINDOW });
  assert.equal(report.ran, true);
  await assertRecomputedFrom(history, store.db, d(19), later);
  assert.equal(report.daysComputed, (await computedAt(store.db, later)).length);
  await assertFleetMatches(store.db, history, WINDOW);
  assert.deepEqual(await alphaDay(store.db, history, d(19)), {
    reporting: 2,
    active: 6,
    new: 0,
    returned: 1,
    gone: 0,
    snapshots: 2,
  });
  assert.equal((await alphaDay(store.db, history, d(26))).gone, 1, "it leaves the window again");
  assert.deepEqual(await store.db.query(sql`select * from rollup_stale`), [], "mark cleared");
  const third = await refreshRollups(store.db, { now: later, windowDays: WINDOW });
  assert.equal(third.daysComputed, 0, "a cleared mark is not computed again");
});

Deno.test("markRollupsStale() has the next refresh compute a changed day and its window again", async () => {
  await using store = await openTestDatabase();
  const { history, late } = await refreshedFleet(store.db);
  const alpha = await history.appId("alpha");
  // History of day 19 changes after its rollup without a mark, as an import would change it.
  history.snapshot(late, { day: d(19), time: "15:00:00" }, { users: 4 });
  await history.write();
  assert.deepEqual(await store.db.query(sql`select * from rollup_stale`), []);
  const unmarked = await refreshRollups(store.db, { now: NOW, windowDays: WINDOW });
  assert.equal(unmarked.daysComputed, 0, "without a mark or an arrival for today, no day");
  assert.equal((await alphaDay(store.db, history, d(19))).reporting, 1, "day 19 is not redone");

  await markRollupsStale(
    store.db,
    [{ appId: alpha, day: d(19) }, { appId: alpha, day: d(19) }],
  );
  // A mark made again while the refresh runs is newer than the one it read: it stays.
  const later = new Date(NOW.getTime() + 60_000);
  const latest = new Date(NOW.getTime() + 120_000);
  let remark: Promise<void> | undefined;
  const report = await refreshRollups(store.db, {
    now: later,
    windowDays: WINDOW,
    onDay: (done) => {
      if (done === 1) remark = markRollupsStale(store.db, [{ appId: alpha, day: d(19) }]);
    },
  });
  await remark;
  assert.equal(report.ran, true);
  await assertRecomputedFrom(history, store.db, d(19), later);
  await assertFleetMatches(store.db, history, WINDOW);
  assert.equal((await alphaDay(store.db, history, d(19))).returned, 1);
  const marks = await store.db.query<{ day: string }>(
    sql`select day::text as day from rollup_stale`,
  );
  assert.deepEqual(marks, [{ day: d(19) }], "the mark made again stays");
  const again = await refreshRollups(store.db, { now: latest, windowDays: WINDOW });
  assert.equal(again.ran, true);
  await assertRecomputedFrom(history, store.db, d(19), latest);
  assert.deepEqual(await store.db.query(sql`select * from rollup_stale`), []);
});

Deno.test("refreshRollups() keeps a mark renewed while it runs, even by a clock a second behind", async () => {
  await using store = await openTestDatabase();
  const { history, late, edgeIn } = await refreshedFleet(store.db);
  history.snapshot(late, { day: d(19), time: "15:00:00", receivedAt: NOW }, { users: 4 });
  await history.write();
  // Once the refresh has computed day 19, another late snapshot of day 19 arrives at a server
  // whose clock is one second behind the one that stored the first.
  let second: Promise<void> | undefined;
  const report = await refreshRollups(store.db, {
    now: new Date(NOW.getTime() + 60_000),
    windowDays: WINDOW,
    onDay: (done) => {
      if (done !== 1) return;
      history.snapshot(edgeIn, {
        day: d(19),
        time: "16:00:00",
        receivedAt: new Date(NOW.getTime() - 1000),
      }, { users: 6 });
      second = history.write();
    },
  });
  await second;
  assert.equal(report.ran, true);
  const marks = await store.db.query<{ day: string }>(
    sql`select day::text as day from rollup_stale`,
  );
  assert.deepEqual(marks, [{ day: d(19) }], "the second snapshot's mark is kept");
  await refreshRollups(store.db, { now: new Date(NOW.getTime() + 120_000), windowDays: WINDOW });
  assert.equal((await alphaDay(store.db, history, d(19))).reporting, 3);
  await assertFleetMatches(store.db, history, WINDOW);
});

Deno.test("refreshRollups() stopped between two days keeps its marks for the next round", async () => {
  await using store = await openTestDatabase();
  const { history, late } = await refreshedFleet(store.db);
  history.snapshot(late, { day: d(19), time: "15:00:00", receivedAt: NOW }, { users: 4 });
  await history.write();
  const stop = new AbortController();
  const stopped = await refreshRollups(store.db, {
    now: NOW,
    windowDays: WINDOW,
    signal: stop.signal,
    onDay: (done) => done === 1 && stop.abort(),
  });
  assert.deepEqual(stopped, { ran: false, daysComputed: 1 });
  assert.equal((await store.db.query(sql`select * from rollup_stale`)).length, 1);
  const next = await refreshRollups(store.db, { now: NOW, windowDays: WINDOW });
  assert.equal(next.ran, true);
  await assertFleetMatches(store.db, history, WINDOW);
  assert.deepEqual(await store.db.query(sql`select * from rollup_stale`), []);
});

Deno.test("refreshRollups() computes again a day computed before it was over", async () => {
  await using store = await openTestDatabase();
  const history = new History(store.db);
  const early = await history.instance("beta");
  const evening = await history.instance("beta");
  history.snapshot(early, { day: d(30), time: "08:00:00" }, { n: 1 });
  await history.write();
  const morning = new Date(`${d(30)}T09:00:00Z`);
  assert.deepEqual(await refreshRollups(store.db, { now: morning, windowDays: WINDOW }), {
    ran: true,
    daysComputed: 1,
  });
  history.snapshot(evening, { day: d(30), time: "20:00:00" }, { n: 2 });
  await history.write();
  assert.deepEqual(await store.db.query(sql`select * from rollup_stale`), [], "not late");
  // The server was down on day 31: the next refresh is on day 33, when day 30 is not recent.
  const report = await refreshRollups(store.db, { now: NOW, windowDays: WINDOW });
  assert.deepEqual(report, { ran: true, daysComputed: 4 });
  await assertRollupsMatch(store.db, history, "beta", { windowDays: WINDOW });
  const beta = await history.appId("beta");
  const [day30] = await appDayRows(store.db, {
    appId: beta,
    scope: "all",
    fromDay: d(30),
    toDay: d(30),
  });
  assert.equal(day30?.reporting, 2);
  const again = await refreshRollups(store.db, { now: NOW, windowDays: WINDOW });
  assert.equal(again.daysComputed, 0, "a day computed after it ended is final");
});

Deno.test("rollUpDay() of a day whose day before has no rollup counts the window from history", async () => {
  await using store = await openTestDatabase();
  const { history } = await writeFleet(store.db);
  const alpha = await history.appId("alpha");
  const facts = history.facts("alpha");
  // No day before these has a rollup; on days 15 and 25 an instance leaves the window.
  for (const day of [d(19), d(15), d(25)]) {
    assert.equal(
      await rollUpDay(store.db, { appId: alpha, day, windowDays: WINDOW, now: NOW }),
      true,
    );
    const [row] = await appDayRows(store.db, {
      appId: alpha,
      scope: "all",
      fromDay: day,
      toDay: day,
    });
    assert.ok(row);
    const { computedAt: _, ...counts } = row;
    assert.deepEqual(
      counts,
      expectedAppDays(facts, { fromDay: day, toDay: day, windowDays: WINDOW })[0],
    );
  }
});

Deno.test("refreshRollups() twice at once leaves one consistent set of rows", async () => {
  await using store = await openTestDatabase();
  const { history } = await writeFleet(store.db);
  const reports = await Promise.all([
    refreshRollups(store.db, { now: NOW, windowDays: WINDOW }),
    refreshRollups(store.db, { now: NOW, windowDays: WINDOW }),
  ]);
  assert.ok(reports.some((r) => r.ran), JSON.stringify(reports));
  const duplicates = await store.db.query(sql`
    select app_id, scope, day, field, value, count(*)::int as n from app_day_shares
    group by app_id, scope, day, field, value having count(*) > 1`);
  assert.deepEqual(duplicates, []);
  await assertFleetMatches(store.db, history, WINDOW);
});

Deno.test("rollUpDay() of one day twice at once stores the day once", async () => {
  await using store = await openTestDatabase();
  const { history } = await refreshedFleet(store.db);
  const appId = await history.appId("alpha");
  const results = await Promise.all(
    Array.from(
      { length: 4 },
      () => rollUpDay(store.db, { appId, day: d(28), windowDays: WINDOW, now: NOW }),
    ),
  );
  assert.ok(results.includes(true));
  await assertFleetMatches(store.db, history, WINDOW);
});

Deno.test("refreshRollups() leaves an application's excluded environments out of its counted rows, day by day", async () => {
  await using store = await openTestDatabase();
  const { history } = await refreshedFleet(store.db);
  // Alpha's "pausing" instance reports staging on day 12 only, production before and after:
  // counted, it is away that day, so new, returned and gone move around it.
  const alpha = await history.appId("alpha");
  await store.db.query(sql`
    update applications set excluded_environments = '{staging}' where id = ${alpha}`);
  const report = await refreshRollups(store.db, { now: NOW, windowDays: WINDOW });
  // Every day of alpha; nothing arrived for the others.
  assert.equal(report.daysComputed, daysBetween(history.firstDay("alpha"), TODAY).length);
  await assertRollupsMatch(store.db, history, "alpha", {
    windowDays: WINDOW,
    excluded: ["staging"],
  });
  const [all, counted] = await Promise.all(
    (["all", "counted"] as const).map(async (scope) =>
      (await appDayRows(store.db, { appId: alpha, scope, fromDay: d(12), toDay: d(12) }))[0]
    ),
  );
  assert.equal(counted!.reporting, all!.reporting - 1, "one instance less on day 12");
  for (const app of APPS.filter((app) => app !== "alpha")) {
    await assertRollupsMatch(store.db, history, app, { windowDays: WINDOW });
  }
});
