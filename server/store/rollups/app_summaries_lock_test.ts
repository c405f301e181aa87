import assert from "node:assert/strict";
import postgres from "postgres";
import { openTestDatabase, TEST_STORE_KIND } from "../../../tests/support/store.ts";
import { registerInstance, sql } from "../mod.ts";
import { refreshSummaries } from "./app_summaries.ts";

const skipReason = TEST_STORE_KIND !== "postgres"
  ? "SHM_TEST_STORE is not postgres: the embedded store has one connection, so no other " +
    "server can hold the lock"
  : null;
if (skipReason !== null) {
  // deno-lint-ignore no-console
  console.warn(`SKIPPING server/store/rollups/app_summaries_lock_test.ts: ${skipReason}`);
}

Deno.test({
  name: "refreshSummaries leaves an application whose summary another server is computing to it",
  ignore: skipReason !== null,
  async fn() {
    await using store = await openTestDatabase();
    if (store.setting.kind !== "postgres") throw new Error("needs PostgreSQL");
    const now = new Date("2026-12-02T12:00:00Z");
    for (const slug of ["first", "second"]) {
      await registerInstance(store.db, {
        instanceId: crypto.randomUUID(),
        publicKey: new Uint8Array(32),
        appSlug: slug,
        appName: slug,
        appVersion: "1.0.0",
        environment: null,
        deploymentMode: null,
        osArch: null,
      }, now);
    }
    const apps = await store.db.query<{ id: number; slug: string }>(
      sql`select id, slug from applications order by id`,
    );
    const second = apps.find((a) => a.slug === "second")!;
    // Another server, mid-summary of "second": its transaction holds the application's lock.
    const other = postgres(store.setting.url, { max: 1, onnotice: () => {} });
    try {
      await other.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(7368776, ${second.id}::int)`;
        assert.equal(await refreshSummaries(store.db, { now, windowDays: 30 }), 1);
      });
      const summed = await store.db.query<{ slug: string }>(sql`
        select distinct a.slug from app_summaries s join applications a on a.id = s.app_id
        order by a.slug`);
      assert.deepEqual(summed.map((r) => r.slug), ["first"], "only the unlocked one");
      // Once the other server is done, the next round sums it up again.
      assert.equal(await refreshSummaries(store.db, { now, windowDays: 30 }), 2);
    } finally {
      await other.end();
    }
  },
});
