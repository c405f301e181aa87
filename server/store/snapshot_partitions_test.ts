import assert from "node:assert/strict";
import { openTestDatabase } from "../../tests/support/store.ts";
import { sql } from "./drivers/database.ts";
import { maintainSnapshots } from "./snapshot_partitions.ts";

async function partitions(db: Parameters<typeof maintainSnapshots>[0]): Promise<string[]> {
  const rows = await db.query<{ name: string }>(sql`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'snapshots'::regclass order by c.relname`);
  return rows.map((row) => row.name);
}

async function insertRaw(db: Parameters<typeof maintainSnapshots>[0], receivedAt: string) {
  await db.query(sql`
    insert into snapshots (app_id, instance_id, taken_at, received_at, app_version, metrics)
    values (1, ${crypto.randomUUID()}::uuid, ${receivedAt}::timestamptz,
      ${receivedAt}::timestamptz, '1.0', '{}'::jsonb)`);
}

Deno.test("maintainSnapshots() makes today's and the next days' partitions, once", async () => {
  await using store = await openTestDatabase();
  const today = new Date("2026-11-25T15:00:00Z");
  const first = await maintainSnapshots(store.db, { today, retentionDays: 14, daysAhead: 2 });
  assert.deepEqual(first.partitionsCreated, [
    "snapshots_p20261125",
    "snapshots_p20261126",
    "snapshots_p20261127",
  ]);
  const again = await maintainSnapshots(store.db, { today, retentionDays: 14, daysAhead: 2 });
  assert.deepEqual(again.partitionsCreated, []);
  await insertRaw(store.db, "2026-11-26T23:59:59.999Z");
  const [row] = await store.db.query<{ part: string }>(
    sql`select tableoid::regclass::text as part from snapshots`,
  );
  assert.equal(row?.part, "snapshots_p20261126", "a row lands in its UTC day's partition");
});

Deno.test("maintainSnapshots() drops whole partitions past the retention and old stray rows", async () => {
  await using store = await openTestDatabase();
  await maintainSnapshots(store.db, {
    today: new Date("2026-11-01T00:00:00Z"),
    retentionDays: 14,
    daysAhead: 0,
  });
  await insertRaw(store.db, "2026-11-01T10:00:00Z");
  await insertRaw(store.db, "2026-10-20T10:00:00Z"); // no partition: the default one keeps it
  await insertRaw(store.db, "2026-11-10T10:00:00Z"); // default too, still inside the window
  const report = await maintainSnapshots(store.db, {
    today: new Date("2026-11-16T08:00:00Z"),
    retentionDays: 14,
    daysAhead: 0,
  });
  assert.deepEqual(report.partitionsDropped, ["snapshots_p20261101"]);
  assert.equal(report.strayRowsDeleted, 1);
  assert.deepEqual(await partitions(store.db), ["snapshots_default", "snapshots_p20261116"]);
  const left = await store.db.query<{ received: string }>(
    sql`select to_char(received_at at time zone 'UTC', 'YYYY-MM-DD') as received from snapshots`,
  );
  assert.deepEqual(left, [{ received: "2026-11-10" }]);
});

Deno.test("maintainSnapshots() leaves a day whose rows already sit in the default partition", async () => {
  await using store = await openTestDatabase();
  await insertRaw(store.db, "2026-11-25T10:00:00Z");
  const report = await maintainSnapshots(store.db, {
    today: new Date("2026-11-25T12:00:00Z"),
    retentionDays: 14,
    daysAhead: 1,
  });
  assert.deepEqual(report.partitionsCreated, ["snapshots_p20261126"]);
  const [count] = await store.db.query<{ n: number }>(
    sql`select count(*)::int as n from snapshots`,
  );
  assert.equal(count?.n, 1, "the row is kept");
});
