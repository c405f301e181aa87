/**
 * The server process against clients that hold connections open: idle,
 * half-sent heads, bodies sent a byte at a time, more connections than its
 * caps or its open-file limit allow. It must cut them by its deadlines,
 * refuse what is over its caps, keep answering everyone else, and never
 * stop (SECURITY.md "Limits").
 */

import assert from "node:assert/strict";
import { closeQuietly, type RawExchange, readUntilClosed } from "./support/raw_connection.ts";
import { httpSender, TestInstance } from "./support/instance_client.ts";
import { startServer, type TestServer } from "./support/server.ts";

const encoder = new TextEncoder();

/** Slow connections held open while the server is measured. */
const SLOW_CONNECTIONS = 5_000;

/** Opens `count` connections to `port`, `parallel` at a time, each sending `first(i)` if any. */
async function openConnections(
  port: number,
  count: number,
  first: (i: number) => string,
): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  const parallel = 100;
  for (let start = 0; start < count; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - start) }, async (_, j) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const bytes = first(start + j);
      if (bytes !== "") await conn.write(encoder.encode(bytes));
      return conn;
    });
    conns.push(...await Promise.all(batch));
  }
  return conns;
}

/** The p-th percentile (0–100) of `values`, by nearest rank. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function healthy(server: TestServer): Promise<number> {
  const response = await fetch(`${server.url}/api/v1/healthcheck`);
  await response.body?.cancel();
  return response.status;
}

Deno.test({
  name:
    "slow connections: under 5,000 idle and half-sent ones still hanging, every health check and snapshot is answered (latencies printed, not asserted)",
  sanitizeResources: false,
  async fn() {
    // Deno raises its open-file limit to the hard limit; both ends of every connection are here.
    const limit = Number(
      /Max open files\s+(\d+)/.exec(await Deno.readTextFile("/proc/self/limits"))?.[1] ?? "0",
    );
    const slow = Math.min(SLOW_CONNECTIONS, Math.floor((limit - 512) / 2));
    if (slow < SLOW_CONNECTIONS) {
      // deno-lint-ignore no-console -- a smaller run must say why, in the test output
      console.log(
        `(this machine allows ${limit} open files: holding ${slow} slow connections, not ${SLOW_CONNECTIONS})`,
      );
    }
    await using server = await startServer({
      env: {
        SHM_HEADER_TIMEOUT: "10m",
        SHM_BODY_TIMEOUT: "10m",
        SHM_MAX_CONNECTIONS_PER_ADDRESS: "0",
      },
    });
    const send = httpSender(server.url);
    const instances = await Promise.all(Array.from({ length: 20 }, () => TestInstance.create()));
    for (const instance of instances) {
      assert.equal((await send(instance.registerRequest())).status, 201);
    }

    const heads = [
      () => "",
      () => "GET /api/v1/healthcheck HTTP/1.1\r\nHost: a\r\nX-Slow: ",
      () => 'POST /v1/snapshot HTTP/1.1\r\nHost: a\r\nContent-Length: 4000\r\n\r\n{"instance_id":',
    ];
    const held = await openConnections(server.port, slow, (i) => heads[i % heads.length]!());
    try {
      const healthMs: number[] = [];
      const snapshotMs: number[] = [];
      for (let round = 0; round < 10; round++) {
        for (const [n, instance] of instances.entries()) {
          let started = performance.now();
          assert.equal(await healthy(server), 200);
          healthMs.push(performance.now() - started);
          const request = await instance.snapshotRequest({ round, n }, {
            timestamp: new Date(Date.now() - 60_000 + round * 1_000),
          });
          started = performance.now();
          const response = await send(request);
          snapshotMs.push(performance.now() - started);
          assert.equal(response.status, 202, await response.text());
        }
      }
      // Every request was answered, one after another, while the slow connections were held:
      // counted, not timed (a test never asserts a time; the figures are printed for the reader).
      assert.equal(healthMs.length, 10 * instances.length);
      assert.equal(snapshotMs.length, 10 * instances.length);
      // deno-lint-ignore no-console -- the figures the issue asks for, in the test output
      console.log(
        `${held.length} slow connections held: healthcheck p50 ${
          percentile(healthMs, 50).toFixed(1)
        } ms, p99 ${percentile(healthMs, 99).toFixed(1)} ms; signed snapshot p50 ${
          percentile(snapshotMs, 50).toFixed(1)
        } ms, p99 ${percentile(snapshotMs, 99).toFixed(1)} ms (${healthMs.length} each)`,
      );

      // And the slow ones still hang after all of that: none was answered or cut, so the
      // requests above were served beside them, not after them.
      const seen = await Promise.all(held.map((conn) => readUntilClosed(conn, 50)));
      const answeredOrCut = seen.filter((s) => s.closedByServer || s.text !== "");
      assert.equal(answeredOrCut.length, 0, JSON.stringify(answeredOrCut.slice(0, 3)));
    } finally {
      held.forEach(closeQuietly);
    }
    assert.equal(await healthy(server), 200);
  },
});

Deno.test({
  name: "slow connections: heads, bodies and idle connections are cut by their deadlines",
  sanitizeResources: false,
  async fn() {
    await using server = await startServer({
      env: { SHM_HEADER_TIMEOUT: "1s", SHM_BODY_TIMEOUT: "1s" },
    });
    const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const halfHead = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await halfHead.write(encoder.encode("GET /api/v1/healthcheck HTTP/1.1\r\nHost: a\r\n"));
    // A head dribbled a byte at a time, as slowloris does, is cut all the same.
    const dribble = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const dribbling = (async () => {
      for (
        const byte of encoder.encode("GET /api/v1/healthcheck HTTP/1.1\r\nX-A: bbbbbbbbbbbbbbb")
      ) {
        if (await dribble.write(new Uint8Array([byte])).then(() => false, () => true)) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const slowBody = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await slowBody.write(
      encoder.encode("POST /v1/snapshot HTTP/1.1\r\nHost: a\r\nContent-Length: 500\r\n\r\n{"),
    );
    const keptAlive = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await keptAlive.write(encoder.encode("GET /api/v1/healthcheck HTTP/1.1\r\nHost: a\r\n\r\n"));
    try {
      const [idleSeen, headSeen, dribbleSeen, bodySeen, aliveSeen] = await Promise.all(
        [idle, halfHead, dribble, slowBody, keptAlive].map((conn) => readUntilClosed(conn, 30_000)),
      ) as [RawExchange, RawExchange, RawExchange, RawExchange, RawExchange];
      await dribbling;
      assert.deepEqual(idleSeen, { text: "", closedByServer: true });
      assert.deepEqual(headSeen, { text: "", closedByServer: true });
      assert.deepEqual(dribbleSeen, { text: "", closedByServer: true });
      assert.match(bodySeen.text, /^HTTP\/1\.1 408 /);
      assert.match(bodySeen.text, /"code":"request_timeout"/);
      assert.equal(bodySeen.closedByServer, true);
      // Answered, then closed once idle for the header timeout.
      assert.match(aliveSeen.text, /^HTTP\/1\.1 200 /);
      assert.equal(aliveSeen.closedByServer, true);
    } finally {
      [idle, halfHead, dribble, slowBody, keptAlive].forEach(closeQuietly);
    }
    assert.equal(await healthy(server), 200);
    const cut = server.lines.filter((line) => line["msg"] === "connections cut or refused");
    assert.deepEqual(cut, [], "the minute's report comes later; nothing is logged per connection");
  },
});

Deno.test({
  name: "slow connections: over the per-address cap 429, over the total cap 503, then room again",
  sanitizeResources: false,
  async fn() {
    await using perAddress = await startServer({
      // One accept loop: with several, each holds a share of the caps (tests/workers_test.ts).
      env: { SHM_MAX_CONNECTIONS_PER_ADDRESS: "8", SHM_HEADER_TIMEOUT: "1m", SHM_WORKERS: "1" },
    });
    const eight = await openConnections(perAddress.port, 8, () => "");
    try {
      const ninth = await Deno.connect({ hostname: "127.0.0.1", port: perAddress.port });
      const seen = await readUntilClosed(ninth, 10_000);
      closeQuietly(ninth);
      assert.match(seen.text, /^HTTP\/1\.1 429 /);
      assert.match(seen.text, /retry-after: 5/i);
      assert.equal(seen.closedByServer, true);
    } finally {
      eight.forEach(closeQuietly);
    }
    assert.equal(await eventuallyHealthy(perAddress), 200);

    await using total = await startServer({
      env: {
        SHM_MAX_CONNECTIONS: "8",
        SHM_MAX_CONNECTIONS_PER_ADDRESS: "0",
        SHM_HEADER_TIMEOUT: "1m",
        SHM_WORKERS: "1",
      },
    });
    const full = await openConnections(total.port, 8, () => "");
    try {
      const response = await fetch(`${total.url}/api/v1/healthcheck`);
      assert.equal(response.status, 503);
      assert.equal((await response.json()).error.code, "too_many_connections");
    } finally {
      full.forEach(closeQuietly);
    }
    assert.equal(await eventuallyHealthy(total), 200);
  },
});

Deno.test({
  name: "slow connections: more connections than open files are refused, never fatal",
  sanitizeResources: false,
  async fn() {
    await using server = await startServer({
      launcher: ["prlimit", "--nofile=256:256", "--"],
      env: { SHM_MAX_CONNECTIONS_PER_ADDRESS: "0", SHM_HEADER_TIMEOUT: "1m", SHM_WORKERS: "1" },
    });
    const waves: { open: number; refused: number; cut: number }[] = [];
    for (let wave = 0; wave < 2; wave++) {
      const many = await openConnections(server.port, 400, () => "");
      try {
        const seen = await Promise.all(many.map((conn) => readUntilClosed(conn, 3_000)));
        const refused = seen.filter((s) => s.closedByServer && s.text !== "");
        assert.ok(refused.every((s) => /^HTTP\/1\.1 503 /.test(s.text)), refused[0]?.text);
        waves.push({
          open: seen.filter((s) => !s.closedByServer).length,
          refused: refused.length,
          cut: seen.filter((s) => s.closedByServer && s.text === "").length,
        });
      } finally {
        many.forEach(closeQuietly);
      }
      assert.equal(await eventuallyHealthy(server), 200);
    }
    const learnt = server.lines.filter((line) =>
      String(line["msg"]).startsWith("the open-file limit is reached")
    );
    assert.equal(learnt.length, 1, "the limit is learnt once");
    const cap = Number(learnt[0]?.["max_connections"]);
    assert.ok(cap > 50 && cap < 256, `cap ${cap}`);
    // The second wave meets the learnt cap (the health check's kept-alive connection may hold
    // a place): no accept fails, no connection is cut, the rest are told 503.
    const second = waves[1]!;
    assert.ok(second.open <= cap && second.open >= cap - 2, JSON.stringify(waves));
    assert.deepEqual(second, { open: second.open, refused: 400 - second.open, cut: 0 });
    assert.ok(waves[0]!.open <= cap, JSON.stringify(waves));
    assert.equal(
      server.lines.filter((line) => line["msg"] === "cannot accept connections: retrying").length,
      1,
    );
  },
});

/**
 * The healthcheck's status once the server has noticed closed connections
 * (at most ~5 s). A connection refused over a cap is answered before its
 * request is read, which `fetch` reports as a failure: that counts as not yet.
 */
async function eventuallyHealthy(server: TestServer): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    status = await healthy(server).catch(() => 0);
  }
  return status;
}
