/**
 * A read replica (`SHM_DATABASE_READ_URL`): a real streaming standby made in
 * the test (`pg_basebackup -R` from a private primary; never the machine's
 * shared cluster). Figures come from the standby while it keeps up; a
 * standby further behind than the limit, or gone, sends reads to the primary,
 * and the figures carry the time they were computed, so a page says how old
 * they are.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { httpSender, TestInstance } from "./support/instance_client.ts";
import { pgClusterUnavailableReason, startPgCluster } from "./support/pg_cluster.ts";
import { adminGet, startServer, type TestServer } from "./support/server.ts";
import { TEST_STORE_KIND } from "./support/store.ts";

const skipReason = TEST_STORE_KIND !== "postgres"
  ? "SHM_TEST_STORE is not postgres: a read replica stands beside a PostgreSQL primary"
  : await pgClusterUnavailableReason();
if (skipReason !== null) {
  if (TEST_STORE_KIND === "postgres" && Deno.env.get("CI")) {
    throw new Error(`Cannot run tests/read_replica_test.ts: ${skipReason}`);
  }
  // deno-lint-ignore no-console
  console.warn(`SKIPPING tests/read_replica_test.ts: ${skipReason}`);
}

interface FleetStats {
  instances: { total: number };
  computed_at: string | null;
}

/** Polls `read` until `done` holds of its answer; throws after 60 s with the last answer. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 600; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never came true; last: ${JSON.stringify(last)}`);
}

function logged(server: TestServer, message: string): boolean {
  return server.lines.some((line) => line["msg"] === message);
}

Deno.test({
  name: "read replica: figures come from the standby; a lagging or stopped standby sends " +
    "reads to the primary, never a 503",
  ignore: skipReason !== null,
  async fn() {
    await using primary = await startPgCluster();
    const primaryUrl = await primary.createDatabase("shm_primary");
    await using standby = await startPgCluster({ standbyOf: primary });
    const standbyUrl = standby.databaseUrl("shm_primary");
    const store = { kind: "postgres" as const, url: primaryUrl };
    // Patient: reads stay on the standby unless it is an hour behind.
    await using patient = await startServer({
      store,
      env: { SHM_DATABASE_READ_URL: standbyUrl, SHM_DATABASE_READ_MAX_LAG: "1h" },
    });
    const stats = (server: TestServer) =>
      adminGet(server, "/api/v1/admin/stats") as Promise<FleetStats>;
    await eventually(
      () => Promise.resolve(logged(patient, "reading figures from the read replica")),
      Boolean,
    );

    const send = httpSender(patient.url);
    const register = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const instance = await TestInstance.create();
        assert.equal(
          (await send(instance.registerRequest({ appName: "Replica App" }))).status,
          201,
        );
        assert.equal((await send(await instance.activateRequest())).status, 200);
      }
    };
    await register(3);
    // The upkeep writes the summaries on the primary; the standby replays them.
    await eventually(() => stats(patient), (s) => s.instances.total === 3);

    // Replay paused: the standby falls behind while the primary goes on.
    const onStandby = postgres(standbyUrl, { max: 1, onnotice: () => {} });
    const onPrimary = postgres(primaryUrl, { max: 1, onnotice: () => {} });
    try {
      await onStandby`select pg_wal_replay_pause()`;
      await register(2);
      const [fresh] = await eventually(
        () =>
          onPrimary<{ total: number; at: Date }[]>`
          select coalesce(sum(instances), 0)::int as total, max(computed_at) as at
          from app_summaries where scope = 'all'`,
        (rows) => rows[0]?.total === 5,
      );
      // The patient server still reads the standby: the old figures, with their old time.
      const stale = await stats(patient);
      assert.equal(stale.instances.total, 3, "figures from the standby");
      assert.ok(stale.computed_at !== null && Date.parse(stale.computed_at) < fresh!.at.getTime());
      const appPage = await fetch(`${patient.url}/api/v1/admin/applications/replica-app`, {
        headers: { authorization: `Bearer ${patient.adminToken}` },
      });
      assert.equal(appPage.status, 200);
      await appPage.body?.cancel();

      // A server that allows only a second of lag reads the primary instead.
      await using strict = await startServer({
        store,
        env: { SHM_DATABASE_READ_URL: standbyUrl, SHM_DATABASE_READ_MAX_LAG: "1s" },
      });
      await eventually(() => stats(strict), (s) => s.instances.total === 5);
      // The log says why (its lines are written in batches: wait for it).
      await eventually(
        () =>
          Promise.resolve(
            strict.lines.some((line) =>
              line["msg"] === "reading figures from the primary" &&
              String(line["reason"]).includes("behind")
            ),
          ),
        Boolean,
      );
    } finally {
      await onStandby.end({ timeout: 1 });
      await onPrimary.end({ timeout: 1 });
    }

    // The standby gone: the patient server reads the primary, and answers every page meanwhile.
    await standby.stop("fast");
    const afterStop = await stats(patient);
    assert.ok([3, 5].includes(afterStop.instances.total));
    await eventually(() => stats(patient), (s) => s.instances.total === 5);
    for (const path of ["/badge/replica-app/instances", "/api/v1/admin/applications"]) {
      const response = await fetch(`${patient.url}${path}`, {
        headers: { authorization: `Bearer ${patient.adminToken}` },
      });
      assert.equal(response.status, 200, path);
      await response.body?.cancel();
    }
    assert.ok(logged(patient, "reading figures from the primary"));
  },
});
