/**
 * Several server replicas on one PostgreSQL database behind a load balancer:
 * each instance's snapshots spread over all of them, one replica killed in the
 * middle, and still exactly one row per accepted timestamp, no acknowledged
 * snapshot lost, and rollups equal to computing them again from the history.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { TestInstance, type WireRequest } from "./support/instance_client.ts";
import { startServer, type TestServer, waitForRollup } from "./support/server.ts";
import { freshPostgresDatabase, TEST_STORE_KIND } from "./support/store.ts";
import { startRoundRobinProxy } from "./support/tcp_proxy.ts";
import { openStore, sql as query } from "../server/store/mod.ts";
import {
  appDayMetricRows,
  appDayRows,
  appDayShareRows,
} from "../server/store/rollups/rollup_queries.ts";
import { rollUpDay } from "../server/store/rollups/rollups.ts";

const skipReason = TEST_STORE_KIND !== "postgres"
  ? "SHM_TEST_STORE is not postgres: replicas share a PostgreSQL database"
  : null;
if (skipReason !== null) {
  // deno-lint-ignore no-console
  console.warn(`SKIPPING tests/replicas_test.ts: ${skipReason}`);
}

const REPLICAS = 3;
const INSTANCES = 24;
const SNAPSHOTS_EACH = 12;

/** Sends `request` on a connection of its own (so the balancer picks a replica); null if cut. */
async function sendThroughBalancer(
  client: Deno.HttpClient,
  port: number,
  request: WireRequest,
): Promise<number | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${request.path}`, {
      method: "POST",
      headers: request.headers,
      body: request.body as Uint8Array<ArrayBuffer>,
      client,
      signal: AbortSignal.timeout(30_000),
    });
    await response.body?.cancel();
    return response.status;
  } catch {
    return null; // the replica died with the request: not acknowledged
  }
}

Deno.test({
  name: "replicas: three servers behind a balancer, one killed mid-run: one row per accepted " +
    "timestamp, no acknowledged snapshot lost, rollups equal to a recomputation",
  ignore: skipReason !== null,
  async fn() {
    await using database = await freshPostgresDatabase();
    const url = database.setting.kind === "postgres" ? database.setting.url : "";
    const servers: TestServer[] = [];
    try {
      for (let i = 0; i < REPLICAS; i++) {
        servers.push(await startServer({ store: database.setting }));
      }
      await using balancer = startRoundRobinProxy(
        servers.map((server) => ({ hostname: "127.0.0.1", port: server.port })),
      );
      // No connection reuse: every request goes through the balancer's choice.
      using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      const send = (request: WireRequest) => sendThroughBalancer(client, balancer.port, request);

      const instances = await Promise.all(
        Array.from({ length: INSTANCES }, () => TestInstance.create()),
      );
      for (const instance of instances) {
        assert.equal(await send(instance.registerRequest({ appName: "Replicated App" })), 201);
        assert.equal(await send(await instance.activateRequest()), 200);
      }

      // Each instance sends its snapshots in order, a minute of its time apart; a snapshot whose
      // answer was lost is sent again, as the SDKs do at their next round.
      const start = Date.now() - (SNAPSHOTS_EACH + 1) * 60_000;
      const acknowledged = new Map<string, Set<string>>();
      let sent = 0;
      let killed: Promise<number> | null = null;
      await Promise.all(instances.map(async (instance) => {
        const mine = new Set<string>();
        acknowledged.set(instance.instanceId, mine);
        for (let n = 0; n < SNAPSHOTS_EACH; n++) {
          const at = new Date(start + n * 60_000);
          for (let attempt = 0; attempt < 5; attempt++) {
            if (++sent === Math.floor((INSTANCES * SNAPSHOTS_EACH) / 2)) {
              killed = servers[1]!.stop("SIGKILL"); // half-way: one replica dies
            }
            const status = await send(
              await instance.snapshotRequest({ seq: n, users: n % 5 }, { timestamp: at }),
            );
            if (status === 202) mine.add(at.toISOString());
            // 409 after a lost answer: the first copy was stored; either way this one is done.
            if (status !== null && status !== 503) break;
          }
        }
      }));
      assert.ok(killed !== null, "a replica was killed during the run");
      await killed;
      assert.ok(
        balancer.handed.every((count) => count > 0),
        `every replica got connections: ${balancer.handed}`,
      );

      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const rows = await sql<{ instance_id: string; taken_at: Date; copies: number }[]>`
          select instance_id::text, taken_at, count(*)::int as copies
          from snapshots group by 1, 2`;
        assert.ok(rows.every((row) => row.copies === 1), "exactly one row per timestamp");
        const stored = new Map<string, Set<string>>();
        for (const row of rows) {
          const set = stored.get(row.instance_id) ?? new Set<string>();
          set.add(row.taken_at.toISOString());
          stored.set(row.instance_id, set);
        }
        let acked = 0;
        for (const [instanceId, timestamps] of acknowledged) {
          for (const at of timestamps) {
            acked++;
            assert.ok(
              stored.get(instanceId)?.has(at),
              `acknowledged ${instanceId} ${at} is stored`,
            );
          }
        }
        assert.ok(acked > INSTANCES * SNAPSHOTS_EACH / 2, `${acked} snapshots acknowledged`);
      } finally {
        await sql.end();
      }

      // The replicas left take turns at the rollups; then, with all stopped, every day computed
      // again from the history gives the same numbers.
      const alive = [servers[0]!, servers[2]!];
      await waitForRollup(alive[0]!);
      await waitForRollup(alive[1]!);
      for (const server of alive) await server.stop();

      const db = await openStore(database.setting);
      try {
        const apps = await db.query<{ id: number }>(query`select id from applications`);
        assert.equal(apps.length, 1);
        const app = apps[0]!;
        const today = new Date().toISOString().slice(0, 10);
        const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
        const range = { appId: app.id, scope: "all" as const, fromDay: yesterday, toDay: today };
        const read = async () => ({
          days: (await appDayRows(db, range)).map(({ computedAt: _, ...row }) => row),
          shares: await appDayShareRows(db, range),
          metrics: await appDayMetricRows(db, range),
        });
        const byReplicas = await read();
        assert.ok(byReplicas.days.length > 0, "the replicas stored rollups");
        for (const { day } of byReplicas.days) {
          assert.ok(
            await rollUpDay(db, { appId: app.id, day, windowDays: 30, now: new Date() }),
            "no replica holds the rollup lock any more",
          );
        }
        assert.deepEqual(await read(), byReplicas);
      } finally {
        await db.close();
      }
    } finally {
      for (const server of servers) await server[Symbol.asyncDispose]();
    }
  },
});

Deno.test({
  name:
    "replicas: rate limits are kept per replica, as documented: behind N replicas an instance " +
    "gets up to N times SHM_RATE_LIMIT_INSTANCE",
  ignore: skipReason !== null,
  async fn() {
    await using database = await freshPostgresDatabase();
    const servers: TestServer[] = [];
    try {
      for (let i = 0; i < REPLICAS; i++) {
        servers.push(
          await startServer({ store: database.setting, env: { SHM_RATE_LIMIT_INSTANCE: "2" } }),
        );
      }
      await using balancer = startRoundRobinProxy(
        servers.map((server) => ({ hostname: "127.0.0.1", port: server.port })),
      );
      using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      const send = (request: WireRequest) => sendThroughBalancer(client, balancer.port, request);
      const instance = await TestInstance.create();
      // Registration takes one replica's turn and is not counted per instance.
      assert.equal(await send(instance.registerRequest({ appName: "Limited App" })), 201);
      const statuses: (number | null)[] = [];
      const start = Date.now() - 60_000;
      for (let n = 0; n < 3 * REPLICAS; n++) {
        statuses.push(
          await send(await instance.snapshotRequest({ n }, { timestamp: new Date(start + n) })),
        );
      }
      const accepted = statuses.filter((status) => status === 202).length;
      const limited = statuses.filter((status) => status === 429).length;
      assert.equal(accepted + limited, statuses.length, `statuses ${statuses}`);
      assert.equal(accepted, 2 * REPLICAS, `each replica lets 2 through: ${statuses}`);
    } finally {
      for (const server of servers) await server[Symbol.asyncDispose]();
    }
  },
});
