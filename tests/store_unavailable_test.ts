/**
 * What the public surface does while the store cannot be read, in-process on
 * either store: the store is wrapped so that it fails as a driver does when
 * the database is gone (`StoreUnavailableError`). Badges keep their last
 * figure, readiness says 503, liveness stays 200, and nothing floods the log.
 */

import assert from "node:assert/strict";
import { readConfig } from "../server/config.ts";
import { StoreUnavailableError } from "../server/errors.ts";
import { createHandler } from "../server/http/mod.ts";
import { createLogger, type LogLevel } from "../server/log.ts";
import type { Database } from "../server/store/mod.ts";
import { runRollupRound } from "../server/upkeep/mod.ts";
import { FakeClock } from "./support/app.ts";
import { TestInstance, type WireRequest } from "./support/instance_client.ts";
import { openTestDatabase } from "./support/store.ts";

/** `db`, failing every call with `StoreUnavailableError` while `isDown()` says so. */
function failingWhile(db: Database, isDown: () => boolean): Database {
  const gone = () => {
    if (isDown()) {
      throw new StoreUnavailableError("PostgreSQL is unavailable: connect ECONNREFUSED");
    }
  };
  return {
    kind: db.kind,
    query: async (query) => (gone(), await db.query(query)),
    execScript: async (script) => (gone(), await db.execScript(script)),
    transaction: async (work) => (gone(), await db.transaction(work)),
    withDeadline: (ms) => failingWhile(db.withDeadline(ms), isDown),
    onAvailabilityChange: (listener) => db.onAvailabilityChange(listener),
    close: () => db.close(),
  };
}

async function openOutageApp() {
  const store = await openTestDatabase();
  const clock = new FakeClock();
  let down = false;
  const settings: Record<string, string> = {
    SHM_RATE_LIMIT_IP: "0",
    SHM_RATE_LIMIT_INSTANCE: "0",
    // Every badge request reads the store, so that the outage is what answers.
    SHM_BADGE_CACHE_SECONDS: "0",
    // The outage here is simulated; a loaded test machine must not make one of its own.
    SHM_DB_QUERY_TIMEOUT: "15s",
  };
  const config = readConfig({}, (name) => settings[name]);
  const logs: { level: LogLevel; msg: string }[] = [];
  const log = createLogger(
    "debug",
    (line, level) => logs.push({ level, msg: JSON.parse(line).msg }),
  );
  const handler = createHandler({
    config,
    db: failingWhile(store.db, () => down),
    log,
    now: clock.now,
  });
  const fetchApp = (path: string, init: RequestInit = {}) =>
    handler(new Request(new URL(path, "http://shm.test"), init), {
      remoteAddr: { hostname: "192.0.2.1" },
    });
  const send = (request: WireRequest) =>
    fetchApp(request.path, {
      method: "POST",
      headers: request.headers,
      body: request.body as Uint8Array<ArrayBuffer>,
    });
  // Three active instances of "Outage App", and its summary computed.
  for (let i = 0; i < 3; i++) {
    const instance = await TestInstance.create();
    assert.equal((await send(instance.registerRequest({ appName: "Outage App" }))).status, 201);
    const snapshot = await instance.snapshotRequest({ users: 10 }, { timestamp: clock.now() });
    assert.equal((await send(snapshot)).status, 202);
  }
  await runRollupRound(store.db, { now: clock.now(), windowDays: config.activeDays });
  return {
    fetch: fetchApp,
    logs,
    setDown: (value: boolean) => down = value,
    [Symbol.asyncDispose]: () => store[Symbol.asyncDispose](),
  };
}

Deno.test("a badge keeps its last figure, cached briefly, while the store is unavailable", async () => {
  await using app = await openOutageApp();
  const before = await app.fetch("/badge/outage-app/instances");
  assert.equal(before.status, 200);
  assert.equal(before.headers.get("cache-control"), "public, max-age=300");
  const figure = await before.text();
  assert.match(figure, />3</);

  app.setDown(true);
  for (const path of ["/badge/outage-app/instances", "/badge/outage-app/instances"]) {
    const stale = await app.fetch(path);
    assert.equal(stale.status, 200);
    assert.equal(stale.headers.get("cache-control"), "public, max-age=30");
    assert.equal(stale.headers.get("etag"), before.headers.get("etag"));
    assert.equal(await stale.text(), figure, "the same badge as before the outage");
  }

  app.setDown(false);
  const after = await app.fetch("/badge/outage-app/instances");
  assert.equal(after.headers.get("cache-control"), "public, max-age=300", "fresh again");
  await after.body?.cancel();
});

Deno.test("a badge with no figure known yet is the grey unavailable badge, never cached", async () => {
  await using app = await openOutageApp();
  app.setDown(true);
  for (const path of ["/badge/outage-app/version", "/badge/outage-app/metric/users.json"]) {
    const response = await app.fetch(path);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.match(await response.text(), /unavailable/);
  }
});

Deno.test("readyz answers 503 store_unavailable and healthcheck 200 while the store is unavailable", async () => {
  await using app = await openOutageApp();
  app.setDown(true);
  const ready = await app.fetch("/api/v1/readyz");
  assert.equal(ready.status, 503);
  assert.equal((await ready.json()).error.code, "store_unavailable");
  const live = await app.fetch("/api/v1/healthcheck");
  assert.equal(live.status, 200);
  assert.deepEqual(await live.json(), { status: "ok" });

  app.setDown(false);
  const back = await app.fetch("/api/v1/readyz");
  assert.equal(back.status, 200);
  assert.deepEqual(await back.json(), { status: "ready" });
});

Deno.test("requests refused while the store is unavailable write no warning each", async () => {
  await using app = await openOutageApp();
  app.setDown(true);
  const instance = await TestInstance.create();
  for (let i = 0; i < 20; i++) {
    const register = await app.fetch("/v1/register", {
      method: "POST",
      body: instance.registerRequest({ appName: "Outage App" }).body as Uint8Array<ArrayBuffer>,
    });
    assert.equal(register.status, 503);
    assert.equal((await register.json()).error.code, "store_unavailable");
    await (await app.fetch("/badge/outage-app/instances")).body?.cancel();
    await (await app.fetch("/api/v1/readyz")).body?.cancel();
  }
  const loud = app.logs.filter((line) => line.level === "warn" || line.level === "error");
  assert.deepEqual(loud, [], "60 refusals, no warning or error line");
  assert.ok(app.logs.some((line) => line.level === "debug" && line.msg === "store unavailable"));
});
