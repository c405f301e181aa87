/**
 * The server behind PgBouncer in transaction mode, the usual way to keep the
 * connections of many server processes within PostgreSQL's budget: with
 * `SHM_DB_PREPARE=false` every route and the upkeep work through it, since
 * nothing of the server needs a session of its own (its locks are
 * transaction locks, its `set` statements are `set local`).
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { httpSender, TestInstance } from "./support/instance_client.ts";
import { adminGet, startServer, waitForRollup } from "./support/server.ts";
import { freshPostgresDatabase, TEST_PG_ADMIN_URL, TEST_STORE_KIND } from "./support/store.ts";

const PGBOUNCER = Deno.env.get("SHM_TEST_PGBOUNCER") ?? "/usr/sbin/pgbouncer";

async function unavailableReason(): Promise<string | null> {
  if (TEST_STORE_KIND !== "postgres") {
    return "SHM_TEST_STORE is not postgres: PgBouncer stands in front of PostgreSQL only";
  }
  try {
    await Deno.stat(PGBOUNCER);
  } catch {
    return `PgBouncer not found at ${PGBOUNCER} (Debian package pgbouncer; or set SHM_TEST_PGBOUNCER)`;
  }
  if (Deno.uid() !== 0) {
    return "not running as root, so PgBouncer cannot run as the postgres account";
  }
  return null;
}

const skipReason = await unavailableReason();
if (skipReason !== null) {
  if (TEST_STORE_KIND === "postgres" && Deno.env.get("CI")) {
    throw new Error(`Cannot run tests/pgbouncer_test.ts: ${skipReason}`);
  }
  // deno-lint-ignore no-console
  console.warn(`SKIPPING tests/pgbouncer_test.ts: ${skipReason}`);
}

/** A PgBouncer in transaction mode on a free port, in front of the test PostgreSQL server. */
async function startPgBouncer(): Promise<{ port: number } & AsyncDisposable> {
  const target = new URL(TEST_PG_ADMIN_URL);
  const root = await Deno.makeTempDir({ prefix: "shm-pgbouncer-" });
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  await Deno.writeTextFile(`${root}/users.txt`, `"${target.username || "postgres"}" ""\n`);
  await Deno.writeTextFile(
    `${root}/pgbouncer.ini`,
    [
      "[databases]",
      `* = host=${target.hostname} port=${target.port || "5432"}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${root}/users.txt`,
      "pool_mode = transaction",
      // Fewer server connections than the server's pools ask for: the pooler shares them.
      "default_pool_size = 4",
      "max_client_conn = 500",
      `logfile = ${root}/pgbouncer.log`,
      `pidfile = ${root}/pgbouncer.pid`,
    ].join("\n") + "\n",
  );
  const chown = await new Deno.Command("chown", { args: ["-R", "postgres:postgres", root] })
    .output();
  assert.ok(chown.success, "chown the PgBouncer folder");
  const child = new Deno.Command("runuser", {
    args: ["-u", "postgres", "--", PGBOUNCER, `${root}/pgbouncer.ini`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0;; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch (error) {
      if (i >= 100) throw new Error(`PgBouncer did not listen on ${port}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    port,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

Deno.test({
  name: "pgbouncer: behind PgBouncer in transaction mode with SHM_DB_PREPARE=false, two accept " +
    "loops migrate, ingest, count and erase, and every row is stored once",
  ignore: skipReason !== null,
  async fn() {
    await using database = await freshPostgresDatabase();
    await using bouncer = await startPgBouncer();
    assert.equal(database.setting.kind, "postgres");
    const direct = new URL(database.setting.kind === "postgres" ? database.setting.url : "");
    const through = new URL(direct);
    through.hostname = "127.0.0.1";
    through.port = String(bouncer.port);
    await using server = await startServer({
      store: { kind: "postgres", url: through.toString() },
      env: { SHM_DB_PREPARE: "false", SHM_DB_POOL_SIZE: "6", SHM_WORKERS: "2" },
    });
    const listening = server.lines.find((line) => line["msg"] === "listening");
    assert.equal(listening?.["workers"], 2);
    const starting = server.lines.find((line) => line["msg"] === "starting");
    assert.equal(starting?.["db_prepare"], false);
    assert.equal(starting?.["db_connections_at_most"], 12);

    const send = httpSender(server.url);
    const instances = await Promise.all(Array.from({ length: 12 }, () => TestInstance.create()));
    for (const instance of instances) {
      assert.equal((await send(instance.registerRequest({ appName: "Pooled App" }))).status, 201);
      assert.equal((await send(await instance.activateRequest())).status, 200);
    }
    // Many snapshots at once, more than the pooler's server connections.
    const now = Date.now();
    const statuses = await Promise.all(
      instances.flatMap((instance) =>
        [3, 2, 1].map(async (ago) =>
          (await send(
            await instance.snapshotRequest({ users: ago }, {
              timestamp: new Date(now - ago * 60_000),
            }),
          )).status
        )
      ),
    );
    const accepted = statuses.filter((status) => status === 202).length;
    // Sent at once, a later snapshot may arrive before an earlier one of its instance (409).
    assert.ok(statuses.every((s) => s === 202 || s === 409), `statuses ${statuses}`);
    assert.ok(accepted >= instances.length, `${accepted} accepted`);

    const erased = instances[0]!;
    const erase = await erased.signedRequest("/v1/erase", {
      instance_id: erased.instanceId,
      action: "erase",
      timestamp: new Date().toISOString(),
    });
    assert.equal((await send(erase)).status, 200);
    await waitForRollup(server);
    const stats = await adminGet(server, "/api/v1/admin/stats") as {
      instances: { total: number; active: number };
    };
    assert.equal(stats.instances.total, instances.length - 1);
    assert.equal(stats.instances.active, instances.length - 1);

    // Straight to PostgreSQL: one row per accepted snapshot, none of the erased instance.
    const sql = postgres(direct.toString(), { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ snapshots: number; duplicates: number; of_erased: number }[]>`
        select count(*)::int as snapshots,
          (select count(*)::int from (select instance_id, taken_at from snapshots
            group by 1, 2 having count(*) > 1) d) as duplicates,
          count(*) filter (where instance_id = ${erased.instanceId})::int as of_erased
        from snapshots`;
      assert.equal(row?.duplicates, 0);
      assert.equal(row?.of_erased, 0);
      const acceptedOfOthers = accepted - statuses.slice(0, 3).filter((s) => s === 202).length;
      assert.equal(row?.snapshots, acceptedOfOthers, "every acknowledged snapshot is stored");
    } finally {
      await sql.end();
    }
  },
});
