/**
 * The PostgreSQL driver against a server that is slow, stopped or frozen: a
 * private cluster (tests/support/pg_cluster.ts), never the shared one.
 */

import assert from "node:assert/strict";
import { fc } from "../../../tests/support/dev_deps.ts";
import { StoreUnavailableError } from "../../errors.ts";
import { pgClusterUnavailableReason, startPgCluster } from "../../../tests/support/pg_cluster.ts";
import { TEST_STORE_KIND } from "../../../tests/support/store.ts";
import { type AvailabilityChange, type Database, sql } from "./database.ts";
import { openPostgresDatabase } from "./postgres_database.ts";
import { runWithinStoreBudget } from "./request_budget.ts";

const skipReason = TEST_STORE_KIND !== "postgres"
  ? "SHM_TEST_STORE is not postgres (the embedded store has no connection to lose)"
  : await pgClusterUnavailableReason();
if (skipReason !== null) {
  if (TEST_STORE_KIND === "postgres" && Deno.env.get("CI")) {
    throw new Error(`Cannot run the driver's outage tests: ${skipReason}`);
  }
  // deno-lint-ignore no-console
  console.warn(`SKIPPING server/store/drivers/postgres_pool_test.ts: ${skipReason}`);
}

/** Polls `check` every 20 ms until it holds; throws after `timeoutMs`. */
async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  while (!await check()) {
    if (performance.now() > deadline) throw new Error(`Waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves with the `performance.now()` at which `select 1` through `db` first succeeds. */
async function firstSuccess(db: Database, timeoutMs: number): Promise<number> {
  let at = 0;
  await waitFor("a query to succeed", async () => {
    try {
      await db.withDeadline(1_000).query(sql`select 1`);
      at = performance.now();
      return true;
    } catch (error) {
      assert.ok(error instanceof StoreUnavailableError, String(error));
      return false;
    }
  }, timeoutMs);
  return at;
}

async function sleepingStatements(db: Database): Promise<number> {
  const [row] = await db.query<{ n: number }>(sql`
    select count(*)::int as n from pg_stat_activity
    where state = 'active' and query like 'select pg_sleep%'`);
  return row?.n ?? 0;
}

Deno.test({
  name:
    "the PostgreSQL driver keeps its deadlines and recovers from a slow, stopped or frozen server",
  ignore: skipReason !== null,
  async fn(t) {
    await using cluster = await startPgCluster();
    const url = await cluster.createDatabase("driver_test");
    const db = openPostgresDatabase(url, { connectTimeoutMs: 500, reconnectDelayMs: 100 });
    const changes: AvailabilityChange[] = [];
    db.onAvailabilityChange((change) => changes.push(change));
    try {
      await t.step(
        "a slow statement fails at its deadline, is cancelled, and nothing is down",
        async () => {
          const started = performance.now();
          await assert.rejects(
            db.withDeadline(300).query(sql`select pg_sleep(5)`),
            (error) =>
              error instanceof StoreUnavailableError &&
              error.message === "PostgreSQL gave no answer within 300 ms",
          );
          assert.ok(performance.now() - started < 1_300, "rejected at its deadline, not after");
          await waitFor(
            "the statement to be cancelled",
            async () => await sleepingStatements(db) === 0,
          );
          assert.deepEqual(changes, [], "an answering server is no outage");
        },
      );

      await t.step("a request's statements one after another share its budget", async () => {
        const started = performance.now();
        await assert.rejects(
          runWithinStoreBudget(800, async () => {
            await db.withDeadline(1_000).query(sql`select pg_sleep(0.5)`);
            await db.withDeadline(1_000).query(sql`select pg_sleep(0.5)`);
          }),
          StoreUnavailableError,
        );
        const elapsed = performance.now() - started;
        assert.ok(elapsed < 1_300, `refused when the 800 ms were spent, after ${elapsed} ms`);
        await waitFor(
          "the statement to be cancelled",
          async () => await sleepingStatements(db) === 0,
        );
      });

      await t.step("arrays of any text go to the server and back unchanged", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.option(fc.string({ unit: "grapheme" }).map((s) => s.replaceAll("\0", "")))),
            async (values) => {
              // Read back as JSON: postgres.js reads a NULL in an array result as "NULL".
              const [row] = await db.query<{ values: (string | null)[] }>(sql`
                select coalesce(json_agg(v order by i), '[]') as values
                from unnest(${values}::text[]) with ordinality u(v, i)`);
              assert.deepEqual(row?.values, values);
            },
          ),
          { numRuns: 60 },
        );
      });

      await t.step("a transaction past its deadline is rolled back", async () => {
        await db.execScript("create table marks (n int)");
        await assert.rejects(
          db.withDeadline(300).transaction(async (tx) => {
            await tx.query(sql`insert into marks values (1)`);
            await tx.query(sql`select pg_sleep(5)`);
            await tx.query(sql`insert into marks values (2)`);
          }),
          StoreUnavailableError,
        );
        await waitFor(
          "the statement to be cancelled",
          async () => await sleepingStatements(db) === 0,
        );
        const [count] = await db.query<{ n: number }>(sql`select count(*)::int as n from marks`);
        assert.equal(count?.n, 0, "nothing of the transaction was committed");
      });

      await t.step(
        "a connection whose start failed ends no process and still takes arrays",
        async () => {
          // A 1 ms statement timeout cancels postgres.js's array types query on a new connection:
          // its dropped promise would be an unhandled rejection (porsager/postgres#1192), and the
          // connection goes on without array types (porsager/postgres#1223).
          const strict = openPostgresDatabase(`${url}?statement_timeout=1`, { maxConnections: 1 });
          try {
            await strict.query(sql`select 1`).catch((error) => assert.ok(error instanceof Error));
            await waitFor("the timeout to be lifted", async () => {
              try {
                await strict.execScript("set statement_timeout = 0");
                return true;
              } catch {
                return false;
              }
            });
            const [row] = await strict.query<{ ids: string[] }>(sql`
            select json_agg(id) as ids from unnest(${["a", "b"]}::text[]) as u(id)`);
            assert.deepEqual(row?.ids, ["a", "b"]);
          } finally {
            await strict.close();
          }
        },
      );

      await t.step("waiting in line for a connection counts toward the deadline", async () => {
        const narrow = openPostgresDatabase(url, { maxConnections: 1 });
        try {
          const long = narrow.query(sql`select pg_sleep(1)`);
          const started = performance.now();
          await assert.rejects(
            narrow.withDeadline(200).query(sql`select 1`),
            StoreUnavailableError,
          );
          assert.ok(performance.now() - started < 900, "refused before the long statement ended");
          await long;
        } finally {
          await narrow.close();
        }
      });

      await t.step(
        "a stopped server: calls fail at once, then work within 2 s of its return",
        async () => {
          await db.query(sql`select 1`);
          await cluster.stop("immediate");
          await assert.rejects(db.query(sql`select 1`), StoreUnavailableError);
          await waitFor("the outage to be noticed", () => changes.length === 1);
          assert.equal(changes[0]?.available, false);
          for (let i = 0; i < 20; i++) {
            const started = performance.now();
            await assert.rejects(db.query(sql`select 1`), StoreUnavailableError);
            assert.ok(performance.now() - started < 1_000, "refused without waiting for a timeout");
          }
          await cluster.start();
          const back = await cluster.waitUntilAnswering();
          const served = await firstSuccess(db, 10_000);
          assert.ok(served - back < 2_000, `first success ${Math.round(served - back)} ms after`);
          await waitFor("the recovery to be reported", () => changes.length === 2);
          assert.equal(changes[1]?.available, true);
        },
      );

      await t.step(
        "a frozen server: statements fail within their deadline, stuck ones are cut",
        async () => {
          await db.query(sql`select 1`);
          changes.length = 0;
          const background = db.query(sql`select pg_sleep(0.5)`).then(
            () => "answered",
            (error) => error,
          );
          await cluster.freeze();
          try {
            const started = performance.now();
            const outcomes = await Promise.allSettled(
              Array.from({ length: 15 }, () => db.withDeadline(500).query(sql`select 1`)),
            );
            const elapsed = performance.now() - started;
            for (const outcome of outcomes) {
              assert.equal(outcome.status, "rejected");
              assert.ok(outcome.reason instanceof StoreUnavailableError, String(outcome.reason));
            }
            assert.ok(elapsed < 1_500, `all 15 refused within their deadline: ${elapsed} ms`);
            await waitFor("the outage to be noticed", () => changes.length === 1);
            const cut = await background;
            assert.ok(
              cut instanceof StoreUnavailableError,
              `the statement without deadline: ${cut}`,
            );
          } finally {
            await cluster.thaw();
          }
          const back = await cluster.waitUntilAnswering();
          const served = await firstSuccess(db, 10_000);
          assert.ok(served - back < 2_000, `first success ${Math.round(served - back)} ms after`);
        },
      );
    } finally {
      await db.close();
    }
  },
});
