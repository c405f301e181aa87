/**
 * What only a PostgreSQL server can show: several server processes on one
 * database, and a database that goes away and comes back.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { MIGRATIONS } from "../migrations/mod.ts";
import { httpSender, TestInstance } from "./support/instance_client.ts";
import { adminGet, startServer } from "./support/server.ts";
import { freshPostgresDatabase, postgresReachable, TEST_PG_ADMIN_URL } from "./support/store.ts";
import { startTcpProxy } from "./support/tcp_proxy.ts";

const reachable = await postgresReachable();
if (!reachable) {
  const why = `PostgreSQL is not reachable at ${TEST_PG_ADMIN_URL}`;
  if (Deno.env.get("CI")) throw new Error(`${why}: CI must provide it`);
  // deno-lint-ignore no-console
  console.warn(`SKIPPING tests/postgres_test.ts: ${why} (set SHM_TEST_PG_URL to run them)`);
}

Deno.test({
  name: "postgres: two servers starting at once on a new database migrate it once",
  ignore: !reachable,
  async fn() {
    await using database = await freshPostgresDatabase();
    const [a, b] = await Promise.all([
      startServer({ store: database.setting }),
      startServer({ store: database.setting }),
    ]);
    await using _a = a;
    await using _b = b;
    const migrated = [a, b].filter((s) => s.lines.some((l) => l["msg"] === "migrated"));
    assert.equal(migrated.length, 1, "exactly one of the two applied the migrations");
    const sql = postgres(database.setting.kind === "postgres" ? database.setting.url : "", {
      max: 1,
      onnotice: () => {},
    });
    try {
      const rows = await sql`select version from schema_migrations order by version`;
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
    } finally {
      await sql.end();
    }
  },
});

Deno.test({
  name: "postgres: two servers receiving the same snapshots at once store each exactly once",
  ignore: !reachable,
  async fn() {
    await using database = await freshPostgresDatabase();
    await using a = await startServer({ store: database.setting });
    await using b = await startServer({ store: database.setting });
    const sendA = httpSender(a.url);
    const sendB = httpSender(b.url);
    const instances = await Promise.all(Array.from({ length: 10 }, () => TestInstance.create()));
    for (const instance of instances) {
      assert.equal((await sendA(instance.registerRequest())).status, 201);
    }
    const now = Date.now();
    const requests = await Promise.all(
      instances.flatMap((instance) =>
        [0, 1, 2].map((i) =>
          instance.snapshotRequest({ seq: i }, { timestamp: new Date(now - 60_000 + i * 1000) })
        )
      ),
    );
    // Every request goes to both servers at the same moment.
    const statuses = await Promise.all(requests.flatMap((request) => [
      sendA(request).then((r) => r.status),
      sendB(request).then((r) => r.status),
    ]));
    const accepted = statuses.filter((s) => s === 202).length;
    const refused = statuses.filter((s) => s === 409).length;
    assert.equal(accepted + refused, statuses.length, `only 202 and 409: ${statuses}`);
    const sql = postgres(database.setting.kind === "postgres" ? database.setting.url : "", {
      max: 1,
      onnotice: () => {},
    });
    try {
      const [{ n }] = await sql`select count(*)::int as n from snapshots` as unknown as [
        { n: number },
      ];
      assert.equal(n, accepted, "one stored row per 202, none for a 409");
      const perPair = await sql`
        select instance_id, taken_at, count(*)::int as n from snapshots
        group by instance_id, taken_at having count(*) > 1`;
      assert.equal(perPair.length, 0, "no snapshot stored twice");
    } finally {
      await sql.end();
    }
    assert.ok(accepted >= instances.length, "each instance got at least its first one in");
  },
});

Deno.test({
  name: "postgres: a database that goes away gives 503, and the server recovers without restart",
  ignore: !reachable,
  async fn() {
    await using database = await freshPostgresDatabase();
    if (database.setting.kind !== "postgres") throw new Error("unreachable");
    const real = new URL(database.setting.url);
    await using proxy = startTcpProxy({ hostname: real.hostname, port: Number(real.port || 5432) });
    const viaProxy = new URL(real);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    await using server = await startServer({
      store: { kind: "postgres", url: viaProxy.toString() },
    });
    const send = httpSender(server.url);
    const first = await TestInstance.create();
    assert.equal((await send(first.registerRequest())).status, 201);

    proxy.down();
    const second = await TestInstance.create();
    const down = await send(second.registerRequest());
    assert.equal(down.status, 503);
    assert.ok(down.headers.get("retry-after"));
    assert.equal((await down.json()).error.code, "store_unavailable");
    const snapshot = await first.snapshotRequest({ n: 1 }, { timestamp: new Date() });
    assert.equal((await send(snapshot)).status, 503);
    assert.equal((await fetch(`${server.url}/api/v1/healthcheck`)).status, 200, "still alive");

    proxy.up();
    assert.equal((await send(second.registerRequest())).status, 201, "recovered");
    assert.equal((await send(snapshot)).status, 202, "the refused snapshot was not half-written");
    const listed = await adminGet(server, "/api/v1/admin/instances") as {
      instances: { instance_id: string }[];
    };
    assert.equal(listed.instances.length, 2);
  },
});
