/**
 * A server with several accept loops on one port (HTTP workers, PostgreSQL
 * only): each new connection goes to whichever loop the kernel picks, and
 * every rule still holds across them.
 */

import assert from "node:assert/strict";
import { TestInstance, type WireRequest } from "./support/instance_client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { freshPostgresDatabase, postgresReachable, TEST_PG_ADMIN_URL } from "./support/store.ts";
import { readUntilClosed } from "./support/raw_connection.ts";

const reachable = await postgresReachable();
if (!reachable) {
  const why = `PostgreSQL is not reachable at ${TEST_PG_ADMIN_URL}`;
  if (Deno.env.get("CI")) throw new Error(`${why}: CI must provide it`);
  // deno-lint-ignore no-console
  console.warn(`SKIPPING tests/workers_test.ts: ${why} (set SHM_TEST_PG_URL to run them)`);
}

const WORKERS = 3;

/** Sends `request` on a connection of its own, so that any accept loop may get it; its status. */
async function sendOnNewConnection(server: TestServer, request: WireRequest): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const head = [
    `POST ${request.path} HTTP/1.1`,
    `host: 127.0.0.1:${server.port}`,
    `content-length: ${request.body.byteLength}`,
    "connection: close",
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`),
  ].join("\r\n") + "\r\n\r\n";
  await conn.write(new TextEncoder().encode(head));
  await conn.write(request.body);
  const answer = await readUntilClosed(conn, 30_000);
  conn.close();
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer.text)?.[1] ?? "0");
}

async function getOnNewConnection(server: TestServer, path: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await conn.write(
    new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n`),
  );
  const answer = await readUntilClosed(conn, 30_000);
  conn.close();
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer.text)?.[1] ?? "0");
}

Deno.test({
  name: "workers: replayed and out-of-order snapshots are refused whichever accept loop gets them",
  ignore: !reachable,
  async fn() {
    await using database = await freshPostgresDatabase();
    await using server = await startServer({
      store: database.setting,
      env: { SHM_WORKERS: String(WORKERS) },
    });
    const listening = server.lines.find((line) => line["msg"] === "listening");
    assert.equal(listening?.["workers"], WORKERS, "three accept loops listen on the port");
    const instances = await Promise.all(Array.from({ length: 8 }, () => TestInstance.create()));
    for (const instance of instances) {
      assert.equal(await sendOnNewConnection(server, instance.registerRequest()), 201);
    }
    const now = Date.now();
    for (const instance of instances) {
      const older = await instance.snapshotRequest({ seq: 1 }, {
        timestamp: new Date(now - 60_000),
      });
      const newer = await instance.snapshotRequest({ seq: 2 }, {
        timestamp: new Date(now - 30_000),
      });
      // Six copies of the newer snapshot at once, each on a connection of its own.
      const copies = await Promise.all(
        Array.from({ length: 6 }, () => sendOnNewConnection(server, newer)),
      );
      assert.deepEqual(
        copies.toSorted(),
        [202, 409, 409, 409, 409, 409],
        "exactly one copy is stored, whichever loops got them",
      );
      // The older one arrives after it, on yet other connections: out of order, refused.
      const late = await Promise.all(
        Array.from({ length: 3 }, () => sendOnNewConnection(server, older)),
      );
      assert.deepEqual(late, [409, 409, 409]);
    }
  },
});

Deno.test({
  name:
    "workers: every accept loop answers health and readiness, and SIGTERM stops all with exit 0",
  ignore: !reachable,
  async fn() {
    await using database = await freshPostgresDatabase();
    await using server = await startServer({
      store: database.setting,
      env: { SHM_WORKERS: String(WORKERS) },
    });
    // Thirty connections of their own: spread by the kernel over the loops, each must answer.
    const statuses = await Promise.all(
      Array.from(
        { length: 30 },
        (_, i) =>
          getOnNewConnection(server, i % 2 === 0 ? "/api/v1/healthcheck" : "/api/v1/readyz"),
      ),
    );
    assert.deepEqual(statuses, Array(30).fill(200));
    assert.equal(await server.stop("SIGTERM"), 0);
    assert.ok(server.lines.some((line) => line["msg"] === "stopped"));
    const errors = server.lines.filter((line) => line["level"] === "error" || "text" in line);
    assert.deepEqual(errors, []);
  },
});
