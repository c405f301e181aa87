/**
 * The JSON objects the store keeps (an alert rule's params and state, a
 * delivery's payload, an audit line's detail) are stored as jsonb objects on
 * both stores, not as a jsonb string holding their JSON text (what a text
 * parameter cast straight to jsonb became through the PostgreSQL driver);
 * migration 0017 turns the strings earlier versions stored into the objects
 * and leaves any other string as it is; an export file written from such a
 * store imports the objects, and a rule moved to the other store kind and
 * back keeps them as objects.
 */

import assert from "node:assert/strict";
import { MIGRATIONS } from "../migrations/mod.ts";
import {
  type Database,
  findAlertRule,
  insertAlertRule,
  insertAuditEntry,
  insertDelivery,
  listAlertRules,
  listAuditEntries,
  listDeliveries,
  openStore,
  runMigrations,
  saveAlertState,
  sql,
} from "../server/store/mod.ts";
import { exportStore, importStore } from "../server/transfer/export_file.ts";
import {
  freshPostgresDatabase,
  freshStoreSetting,
  openTestDatabase,
  postgresReachable,
  TEST_STORE_KIND,
} from "./support/store.ts";

const reachable = await postgresReachable();
if (!reachable) {
  if (Deno.env.get("CI")) throw new Error("PostgreSQL must be reachable in CI");
  // deno-lint-ignore no-console -- a skip must say why, in the test output
  console.log("SKIPPED (a rule moved to PostgreSQL and back): no PostgreSQL at SHM_TEST_PG_URL");
}

const NOW = new Date("2026-11-30T12:00:00Z");

async function insertApp(db: Database, slug: string): Promise<number> {
  const [row] = await db.query<{ id: number }>(sql`
    insert into applications (slug, name, created_at, updated_at)
    values (${slug}, ${slug}, ${NOW}, ${NOW}) returning id`);
  return row!.id;
}

async function typeOf(db: Database, query: ReturnType<typeof sql>): Promise<string[]> {
  return (await db.query<{ t: string }>(query)).map((r) => r.t);
}

Deno.test("jsonb objects: a rule's params and state are stored as objects and read back", async () => {
  await using store = await openTestDatabase();
  const { db } = store;
  const appId = await insertApp(db, "photo-vault");
  const rule = await insertAlertRule(db, {
    appId,
    now: NOW,
    rule: {
      kind: "version_share",
      params: { kind: "version_share", percent: 40 },
      webhookUrl: "https://hooks.example.com/a",
      email: null,
      secret: "whsec_test",
      state: { baseline: ["1.0.0"] },
    },
  });
  assert.deepEqual(
    await typeOf(
      db,
      sql`select jsonb_typeof(params) || '/' || jsonb_typeof(state) as t
      from alert_rules`,
    ),
    ["object/object"],
  );
  assert.equal(
    (await db.query<{ n: number }>(sql`
      select (params ->> 'percent')::int as n from alert_rules where id = ${rule.id}`))[0]?.n,
    40,
  );
  assert.deepEqual(rule.params, { kind: "version_share", percent: 40 });
  assert.deepEqual(rule.state, { baseline: ["1.0.0"] });

  await saveAlertState(db, {
    ruleId: rule.id,
    firing: true,
    fired: true,
    state: { baseline: ["1.0.0"], announced: ["2.0.0"] },
    now: NOW,
  });
  assert.deepEqual(
    await typeOf(db, sql`select jsonb_typeof(state) as t from alert_rules`),
    ["object"],
  );
  assert.deepEqual(
    (await db.query<{ a: string }>(sql`select state -> 'announced' ->> 0 as a from alert_rules`))
      .map((r) => r.a),
    ["2.0.0"],
  );
  const [listed] = await listAlertRules(db, appId);
  assert.deepEqual(listed?.state, { baseline: ["1.0.0"], announced: ["2.0.0"] });
});

Deno.test("jsonb objects: a delivery's payload is stored as an object and read back", async () => {
  await using store = await openTestDatabase();
  const { db } = store;
  const appId = await insertApp(db, "photo-vault");
  const payload = { event: "firing", rule: { kind: "silence", hours: 6 }, text: 'quiet "6 h"' };
  await insertDelivery(db, {
    now: NOW,
    delivery: {
      appId,
      ruleId: null,
      channel: "webhook",
      target: "https://hooks.example.com/a",
      event: "test",
      payload,
    },
  });
  assert.deepEqual(
    await typeOf(db, sql`select jsonb_typeof(payload) as t from alert_deliveries`),
    ["object"],
  );
  assert.deepEqual(
    (await db.query<{ h: number }>(sql`
      select (payload -> 'rule' ->> 'hours')::int as h from alert_deliveries`)).map((r) => r.h),
    [6],
  );
  const [listed] = await listDeliveries(db, { appId, limit: 10 });
  assert.deepEqual(listed?.payload, payload);
});

Deno.test("jsonb objects: an audit line's detail is stored as an object and read back", async () => {
  await using store = await openTestDatabase();
  const { db } = store;
  const detail = { before: { public_badges: false }, after: { public_badges: true }, name: "ö" };
  await insertAuditEntry(db, {
    at: NOW,
    actor: "cli",
    action: "app.settings",
    target: "photo-vault",
    detail,
  });
  assert.deepEqual(
    await typeOf(db, sql`select jsonb_typeof(detail) as t from audit_log`),
    ["object"],
  );
  const [line] = await listAuditEntries(db, 10);
  assert.deepEqual(line?.detail, detail);
});

Deno.test("jsonb objects: migration 0017 turns strings holding an object's JSON into the object, and leaves other strings", async () => {
  await using fresh = await freshStoreSetting();
  const db = await openStore(fresh.setting);
  try {
    await runMigrations(db, MIGRATIONS.filter((m) => m.version < 17));
    const appId = await insertApp(db, "photo-vault");
    // As the PostgreSQL driver stored them before: a jsonb string holding the JSON text.
    const asString = (value: unknown) => sql`to_jsonb(${JSON.stringify(value)}::text)`;
    const text = (value: string) => sql`to_jsonb(${value}::text)`;
    const rules: [string, ReturnType<typeof sql>, ReturnType<typeof sql>][] = [
      ["s1", asString({ kind: "silence", hours: 6 }), asString({ seen: ["1.0.0"], n: 2 })],
      ["s2", text("not json {"), text("just a note")],
      ["s3", text("[1, 2]"), text("42")],
      ["s4", sql`'{"kind": "active_drop", "percent": 30}'::jsonb`, sql`'{}'::jsonb`],
      ["s5", text('{"broken": '), text("")],
    ];
    for (const [secret, params, state] of rules) {
      await db.query(sql`
        insert into alert_rules (app_id, kind, params, email, secret, state, created_at)
        values (${appId}, 'silence', ${params}, 'ops@example.org', ${secret}, ${state}, ${NOW})`);
    }
    const payloads = [asString({ event: "test", nested: '{"x": 1}' }), text("plain")];
    for (const payload of payloads) {
      await db.query(sql`
        insert into alert_deliveries (app_id, channel, target, event, payload, next_attempt_at,
          created_at)
        values (${appId}, 'email', 'ops@example.org', 'test', ${payload}, ${NOW}, ${NOW})`);
    }
    const details = [asString({ before: 1, after: 2 }), text("a legit string"), text("null")];
    for (const [i, detail] of details.entries()) {
      await db.query(sql`
        insert into audit_log (at, actor, action, target, detail)
        values (${NOW}, 'cli', 'app.settings', ${`t${i}`}, ${detail})`);
    }

    // 0017 alone, whatever later migrations add after it.
    assert.deepEqual(
      await runMigrations(db, MIGRATIONS.filter((m) => m.version <= 17)),
      ["0017_jsonb_objects.sql"],
    );

    const stored = async (query: ReturnType<typeof sql>) =>
      (await db.query<{ v: string }>(query)).map((r) => r.v);
    assert.deepEqual(
      await stored(sql`select params::text || ' | ' || state::text as v
        from alert_rules order by secret`),
      [
        '{"kind": "silence", "hours": 6} | {"n": 2, "seen": ["1.0.0"]}',
        '"not json {" | "just a note"',
        '"[1, 2]" | "42"',
        '{"kind": "active_drop", "percent": 30} | {}',
        '"{\\"broken\\": " | ""',
      ],
    );
    assert.deepEqual(
      await stored(sql`select payload::text as v from alert_deliveries order by id`),
      ['{"event": "test", "nested": "{\\"x\\": 1}"}', '"plain"'],
    );
    assert.deepEqual(
      await stored(sql`select detail::text as v from audit_log order by id`),
      ['{"after": 2, "before": 1}', '"a legit string"', '"null"'],
    );
    // The readers hand the objects back.
    const [first] = await listAlertRules(db, appId);
    assert.deepEqual(first?.params, { kind: "silence", hours: 6 });
    assert.deepEqual(
      (await findAlertRule(db, { appId, ruleId: first!.id }))?.state,
      { seen: ["1.0.0"], n: 2 },
    );
  } finally {
    await db.close();
  }
});

Deno.test("jsonb objects: an export written while params and state were strings imports the objects", async () => {
  await using store = await openTestDatabase();
  const { db } = store;
  const dir = await Deno.makeTempDir({ prefix: "shm-jsonb-import-" });
  try {
    const file = `${dir}/old.jsonl`;
    const header = {
      format: "shm-export",
      version: 1,
      schema_version: 16,
      exported_at: "2026-11-25T12:00:00.000Z",
    };
    const application = {
      type: "application",
      slug: "gadget",
      name: "Gadget",
      created_at: "2026-01-01T00:00:00+00:00",
      updated_at: "2026-01-02T00:00:00+00:00",
    };
    const rule = (secret: string, params: unknown, state: unknown) => ({
      type: "alert_rule",
      app: "gadget",
      kind: "active_drop",
      params,
      webhook_url: null,
      email: "ops@example.org",
      secret,
      firing: false,
      state,
      last_evaluated_at: null,
      last_fired_at: null,
      created_at: "2026-11-02T00:00:00+00:00",
    });
    const records = [
      header,
      application,
      rule(
        "whsec_a",
        JSON.stringify({ kind: "active_drop", percent: 30 }),
        JSON.stringify({ seen: [] }),
      ),
      rule("whsec_b", { kind: "active_drop", percent: 20 }, "not json {"),
    ];
    await Deno.writeTextFile(file, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    await importStore(db, file);
    assert.deepEqual(
      (await db.query<{ v: string }>(sql`
        select secret || ' ' || params::text || ' ' || state::text as v
        from alert_rules order by secret`)).map((r) => r.v),
      [
        'whsec_a {"kind": "active_drop", "percent": 30} {"seen": []}',
        'whsec_b {"kind": "active_drop", "percent": 20} "not json {"',
      ],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "jsonb objects: a rule moved to the other store kind and back keeps params and state " +
    "as objects",
  ignore: !reachable,
  async fn() {
    await using store = await openTestDatabase();
    const { db } = store;
    const appId = await insertApp(db, "photo-vault");
    const rule = await insertAlertRule(db, {
      appId,
      now: NOW,
      rule: {
        kind: "silence",
        params: { kind: "silence", hours: 6 },
        webhookUrl: null,
        email: "ops@example.org",
        secret: "whsec_move",
        state: {},
      },
    });
    await saveAlertState(db, {
      ruleId: rule.id,
      firing: true,
      fired: true,
      state: { since: "2026-11-30" },
      now: NOW,
    });
    const stored = async (target: Database) =>
      (await target.query<{ v: string }>(sql`
        select jsonb_typeof(params) || ' ' || params::text || ' ' || jsonb_typeof(state) || ' ' ||
          state::text as v from alert_rules`)).map((r) => r.v);
    const expected = ['object {"kind": "silence", "hours": 6} object {"since": "2026-11-30"}'];
    assert.deepEqual(await stored(db), expected);

    const dir = await Deno.makeTempDir({ prefix: "shm-jsonb-move-" });
    const pg = TEST_STORE_KIND === "postgres" ? null : await freshPostgresDatabase();
    const other = await openStore(pg?.setting ?? { kind: "embedded", dataDir: "memory://" });
    try {
      await runMigrations(other, MIGRATIONS);
      await exportStore(db, `${dir}/there.jsonl`);
      await importStore(other, `${dir}/there.jsonl`);
      assert.deepEqual(await stored(other), expected, "on the other store kind");
      await db.query(sql`delete from alert_rules`);
      await exportStore(other, `${dir}/back.jsonl`);
      await importStore(db, `${dir}/back.jsonl`);
      assert.deepEqual(await stored(db), expected, "back");
    } finally {
      await other.close();
      await pg?.[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
