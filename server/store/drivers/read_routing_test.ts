import assert from "node:assert/strict";
import { StoreUnavailableError } from "../../errors.ts";
import { type Database, sql, type SqlQuery } from "./database.ts";
import { type ReadSource, routeReads } from "./read_routing.ts";

/** A database that records the statements it is given and answers as told. */
function recordingDatabase(name: string, answer: (query: SqlQuery) => unknown[]) {
  const seen: string[] = [];
  let closed = 0;
  const db: Database = {
    kind: "postgres",
    query<Row>(query: SqlQuery): Promise<Row[]> {
      seen.push(query.text.trim().split(/\s+/).slice(0, 2).join(" "));
      try {
        return Promise.resolve(answer(query) as Row[]);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    execScript: () => Promise.resolve(void seen.push("script")),
    transaction: (work) => (seen.push("transaction"), work(db)),
    withDeadline: () => db,
    onAvailabilityChange: () => () => {},
    close: () => Promise.resolve(void closed++),
  };
  return { db, seen, name, closes: () => closed };
}

/** A standby `behindBytes` behind, `sinceReplayMs` since its last replay; `down` fails all. */
function standbyState(state: { behindBytes: number; sinceReplayMs: number; down: boolean }) {
  const primary = recordingDatabase(
    "primary",
    (query) =>
      query.text.includes("pg_wal_lsn_diff")
        ? [{ bytes: state.behindBytes }]
        : [{ from: "primary" }],
  );
  const standby = recordingDatabase("standby", (query) => {
    if (state.down) throw new StoreUnavailableError("gone");
    return query.text.includes("pg_is_in_recovery")
      ? [{ recovering: true, replayed: "0/3000000", sinceReplayMs: state.sinceReplayMs }]
      : [{ from: "standby" }];
  });
  return { primary, standby };
}

Deno.test("routeReads() reads from a standby that keeps up, writes and transactions on the primary", async () => {
  const state = { behindBytes: 0, sinceReplayMs: 60_000, down: false };
  const { primary, standby } = standbyState(state);
  const sources: ReadSource[] = [];
  const routed = routeReads(primary.db, standby.db, {
    maxLagMs: 1_000,
    primaryAfterWriteMs: 60_000,
    onSourceChange: (source) => sources.push(source),
  });
  try {
    while (sources.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // Caught up (nothing left to replay): lag 0, however long since the last replay.
    assert.deepEqual(sources, [{ kind: "standby", lagMs: 0 }]);
    assert.deepEqual(await routed.query(sql`select 1`), [{ from: "standby" }]);
    assert.deepEqual(await routed.query(sql`  SELECT x from t`), [{ from: "standby" }]);
    assert.deepEqual(
      await routed.query(sql`select * from t for update`),
      [{ from: "primary" }],
      "a row lock is a write",
    );
    await routed.transaction((tx) => tx.query(sql`select 1`));
    assert.ok(primary.seen.includes("transaction"));
    assert.deepEqual(await routed.query(sql`update t set x = 1`), [{ from: "primary" }]);
    // After a write, reads go to the primary for a while: a page after a form sees the change.
    assert.deepEqual(await routed.query(sql`select 1`), [{ from: "primary" }]);
  } finally {
    await routed.close();
    await routed.close();
  }
  assert.equal(standby.closes(), 1, "the standby's pool closed once");
  assert.equal(primary.closes(), 0, "the primary's pool is not the router's");
});

Deno.test("routeReads() reads from the primary when the standby is too far behind or fails", async () => {
  const state = { behindBytes: 4096, sinceReplayMs: 5_000, down: false };
  const { primary, standby } = standbyState(state);
  const sources: ReadSource[] = [];
  const routed = routeReads(primary.db, standby.db, {
    maxLagMs: 1_000,
    checkEveryMs: 10,
    onSourceChange: (source) => sources.push(source),
  });
  try {
    while (sources.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(sources[0], { kind: "primary", reason: "the read replica is 5 s behind" });
    assert.deepEqual(await routed.query(sql`select 1`), [{ from: "primary" }]);
    state.sinceReplayMs = 200;
    while (routed.source().kind !== "standby") await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(routed.source(), { kind: "standby", lagMs: 200 });
    assert.deepEqual(await routed.query(sql`select 1`), [{ from: "standby" }]);
    // The standby fails a read: the primary answers it, and reads stay there until it is back.
    state.down = true;
    assert.deepEqual(await routed.query(sql`select 1`), [{ from: "primary" }]);
    assert.equal(routed.source().kind, "primary");
    while (sources.at(-1)?.kind !== "primary") await new Promise((r) => setTimeout(r, 5));
    state.down = false;
    while (routed.source().kind !== "standby") await new Promise((r) => setTimeout(r, 5));
  } finally {
    await routed.close();
  }
});
