import assert from "node:assert/strict";
import { StoreUnavailableError } from "../errors.ts";
import { openTestDatabase } from "../../tests/support/store.ts";
import {
  type Database,
  registerInstance,
  runWithinStoreBudget,
  setInstanceStatus,
  type SnapshotRecord,
  sql,
  type SqlQuery,
} from "../store/mod.ts";
import { SnapshotWriter } from "./snapshot_writer.ts";

const NOW = new Date("2026-11-25T12:00:00Z");

async function fleet(db: Parameters<typeof registerInstance>[0], count: number) {
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  for (const id of ids) {
    await registerInstance(db, {
      instanceId: id,
      publicKey: new Uint8Array(32),
      appSlug: "app",
      appName: "App",
      appVersion: "1.0.0",
      environment: null,
      deploymentMode: null,
      osArch: null,
    }, NOW);
  }
  return ids;
}

function record(instanceId: string, second: number, metrics = { n: second }): SnapshotRecord {
  return {
    instanceId,
    takenAt: new Date(NOW.getTime() - 3_600_000 + second * 1000).toISOString(),
    metrics,
    appVersion: null,
    metadata: { environment: null, deploymentMode: null, osArch: null },
  };
}

Deno.test("SnapshotWriter stores many concurrent snapshots of many instances, each once", async () => {
  await using store = await openTestDatabase();
  const ids = await fleet(store.db, 40);
  const writer = new SnapshotWriter(store.db, { maxBatch: 8, maxConcurrent: 2 });
  const outcomes = await Promise.all(
    [0, 1, 2].flatMap((second) => ids.map((id) => writer.write(record(id, second), NOW))),
  );
  assert.deepEqual(new Set(outcomes), new Set(["accepted"]));
  const [count] = await store.db.query<{ n: number }>(
    sql`select count(*)::int as n from snapshots`,
  );
  assert.equal(count?.n, 120);
  const latest = await store.db.query<{ metrics: unknown }>(
    sql`select distinct metrics from instances`,
  );
  assert.deepEqual(latest, [{ metrics: { n: 2 } }], "every instance ends on its last snapshot");
  assert.ok(writer.rowsInBatches >= 100, `batches stored ${writer.rowsInBatches} of 120`);
});

Deno.test("SnapshotWriter keeps one instance's snapshots in the order they arrived", async () => {
  await using store = await openTestDatabase();
  const [id] = await fleet(store.db, 1) as [string];
  const writer = new SnapshotWriter(store.db, { maxBatch: 50, maxConcurrent: 4 });
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, (_, second) => writer.write(record(id, second), NOW)),
  );
  assert.deepEqual(outcomes, Array(10).fill("accepted"));
});

Deno.test("SnapshotWriter gives each refused snapshot in a batch its own reason", async () => {
  await using store = await openTestDatabase();
  const [fresh, replayed, revoked] = await fleet(store.db, 3) as [string, string, string];
  // One batch at a time: the first write goes alone, the three after it share a batch.
  const writer = new SnapshotWriter(store.db, { maxBatch: 10, maxConcurrent: 1 });
  assert.equal(await writer.write(record(replayed, 5), NOW), "accepted");
  await setInstanceStatus(store.db, revoked, "revoked");
  const outcomes = await Promise.all([
    writer.write(record(fresh, 1), NOW),
    writer.write(record(replayed, 4), NOW),
    writer.write(record(revoked, 1), NOW),
    writer.write(record(crypto.randomUUID(), 1), NOW),
  ]);
  assert.deepEqual(outcomes, ["accepted", "not_newer", "revoked", "unknown"]);
  const [count] = await store.db.query<{ n: number }>(
    sql`select count(*)::int as n from snapshots`,
  );
  assert.equal(count?.n, 2);
});

Deno.test("SnapshotWriter keeps every digit of a microsecond timestamp", async () => {
  await using store = await openTestDatabase();
  const ids = await fleet(store.db, 3);
  const writer = new SnapshotWriter(store.db, { maxConcurrent: 1 });
  const outcomes = await Promise.all(
    ids.map((id) =>
      writer.write({ ...record(id, 0), takenAt: "2026-11-25T11:00:00.123456Z" }, NOW)
    ),
  );
  assert.deepEqual(outcomes, ["accepted", "accepted", "accepted"]);
  assert.equal(writer.rowsInBatches, 2, "the second and third went together");
  const rows = await store.db.query<{ t: string }>(
    sql`select to_char(last_snapshot_at at time zone 'UTC', 'HH24:MI:SS.US') as t from instances`,
  );
  assert.deepEqual(rows.map((r) => r.t), Array(3).fill("11:00:00.123456"));
});

/** A database whose every query waits until `answer` or `fail` is called, recording each one. */
function stalledDatabase() {
  const sent: SqlQuery[] = [];
  const answers: { resolve: (rows: unknown[]) => void; reject: (error: unknown) => void }[] = [];
  const db: Database = {
    kind: "postgres",
    query: <Row>(query: SqlQuery) => {
      sent.push(query);
      return new Promise<Row[]>((resolve, reject) =>
        answers.push({ resolve: resolve as (rows: unknown[]) => void, reject })
      );
    },
    execScript: () => Promise.resolve(),
    transaction: (work) => work(db),
    withDeadline: () => db,
    onAvailabilityChange: () => () => {},
    close: () => Promise.resolve(),
  };
  return {
    db,
    sent,
    answer: (rows: unknown[]) => answers.shift()?.resolve(rows),
    fail: (error: unknown) => answers.shift()?.reject(error),
  };
}

Deno.test("SnapshotWriter answers 503 when the request's store budget runs out, writing nothing still queued", async () => {
  const stalled = stalledDatabase();
  const writer = new SnapshotWriter(stalled.db, { maxConcurrent: 1 });
  const id = crypto.randomUUID();
  const outcomes = await runWithinStoreBudget(
    150,
    () => Promise.allSettled([writer.write(record(id, 1), NOW), writer.write(record(id, 2), NOW)]),
  );
  for (const outcome of outcomes) {
    assert.equal(outcome.status, "rejected");
    assert.ok(outcome.reason instanceof StoreUnavailableError, String(outcome.reason));
  }
  assert.equal(stalled.sent.length, 1, "only the first snapshot's batch was sent");
  stalled.answer([{ instance_id: id }]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(stalled.sent.length, 1, "the second, refused while queued, is never written");
});

Deno.test("SnapshotWriter refuses the queued snapshots at once when a batch finds the store unavailable", async () => {
  const stalled = stalledDatabase();
  const writer = new SnapshotWriter(stalled.db, { maxConcurrent: 1 });
  const writes = [1, 2, 3].map((n) => writer.write(record(crypto.randomUUID(), n), NOW));
  assert.equal(stalled.sent.length, 1, "the first alone in a batch; the others wait for it");
  stalled.fail(new StoreUnavailableError("PostgreSQL is unavailable: gone"));
  const outcomes = await Promise.allSettled(writes);
  assert.deepEqual(
    outcomes.map((o) => o.status === "rejected" && o.reason instanceof StoreUnavailableError),
    [true, true, true],
  );
  assert.equal(stalled.sent.length, 1, "the waiting ones were refused without a statement");
});

Deno.test("SnapshotWriter gathers snapshots behind a batch in flight and adds a second batch only when a full one waits", async () => {
  const stalled = stalledDatabase();
  const writer = new SnapshotWriter(stalled.db, { maxBatch: 4, maxConcurrent: 2 });
  const ids = Array.from({ length: 12 }, () => crypto.randomUUID());
  const writes = [writer.write(record(ids[0]!, 1), NOW)];
  assert.equal(stalled.sent.length, 1, "with nothing in flight, a snapshot goes at once, alone");
  for (const id of ids.slice(1, 4)) writes.push(writer.write(record(id, 1), NOW));
  assert.equal(stalled.sent.length, 1, "three waiting (less than a batch) wait for the first");
  writes.push(writer.write(record(ids[4]!, 1), NOW));
  assert.equal(stalled.sent.length, 2, "a full batch waiting goes beside the one in flight");
  for (const id of ids.slice(5)) writes.push(writer.write(record(id, 1), NOW));
  assert.equal(stalled.sent.length, 2, "never more than maxConcurrent at once");
  const answerAll = (from: number, to: number) =>
    stalled.answer(ids.slice(from, to).map((id) => ({ instance_id: id })));
  answerAll(0, 1);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(stalled.sent.length, 3, "the first's slot takes the next four");
  answerAll(1, 5);
  answerAll(5, 9);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(stalled.sent.length, 4, "the last three go together once a slot is free");
  answerAll(9, 12);
  assert.deepEqual(await Promise.all(writes), Array(12).fill("accepted"));
  assert.equal(stalled.sent.length, 4, "twelve snapshots in four statements");
});
