import assert from "node:assert/strict";
import {
  closeQuietly,
  type RawExchange,
  readUntilClosed,
} from "../../tests/support/raw_connection.ts";
import { readBody } from "./read_body.ts";
import { createLogger, type Logger } from "../log.ts";
import {
  type ConnectionListener,
  type ConnectionRules,
  serveConnections,
} from "./serve_connections.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const RULES: ConnectionRules = {
  headerTimeoutMs: 300,
  bodyTimeoutMs: 300,
  maxBodyBytes: 1024,
  maxConnections: 50,
  maxConnectionsPerAddress: 0,
};

/** A logger that keeps its lines, parsed. */
function keptLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: createLogger("debug", (line) => lines.push(JSON.parse(line))), lines };
}

/** A server on a free port that echoes method, body length and client address. */
function echoServer(rules: Partial<ConnectionRules> = {}, extra: {
  listen?: (address: { hostname: string; port: number }) => ConnectionListener;
  log?: Logger;
} = {}) {
  const server = serveConnections({
    hostname: "127.0.0.1",
    port: 0,
    rules: { ...RULES, ...rules },
    log: extra.log ?? keptLogger().log,
    ...(extra.listen ? { listen: extra.listen } : {}),
    handler: async (request, client) => {
      // As the routes do: the accept loop has read the body whole already.
      const body = await readBody(request);
      return Response.json({
        method: request.method,
        bytes: body.byteLength,
        from: client.remoteAddr.hostname,
      });
    },
  });
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.shutdown() });
}

/** Sends `bytes` on a fresh connection and reads until the server closes it or `waitMs` pass. */
async function rawExchange(port: number, bytes: string, waitMs: number): Promise<RawExchange> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    if (bytes !== "") await conn.write(encoder.encode(bytes));
    return await readUntilClosed(conn, waitMs);
  } finally {
    closeQuietly(conn);
  }
}

Deno.test("serveConnections() answers requests with their whole body and the client address", async () => {
  await using server = echoServer();
  const url = `http://127.0.0.1:${server.addr.port}/x`;
  const got = await fetch(url, { method: "POST", body: "hello" });
  assert.equal(got.status, 200);
  assert.deepEqual(await got.json(), { method: "POST", bytes: 5, from: "127.0.0.1" });
  const head = await fetch(url, { method: "HEAD" });
  assert.equal(head.status, 200);
  await head.body?.cancel();
});

Deno.test("serveConnections() closes a connection that sends no request head in time", async () => {
  await using server = echoServer();
  const idle = await rawExchange(server.addr.port, "", 5_000);
  assert.deepEqual(idle, { text: "", closedByServer: true });
  const partial = await rawExchange(server.addr.port, "GET / HTTP/1.1\r\nHost: a\r\n", 5_000);
  assert.deepEqual(partial, { text: "", closedByServer: true });
});

Deno.test("serveConnections() keeps a connection between requests only for the header timeout", async () => {
  await using server = echoServer({ headerTimeoutMs: 600 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    for (let i = 0; i < 3; i++) {
      await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
      const buffer = new Uint8Array(4096);
      const read = await conn.read(buffer);
      assert.match(decoder.decode(buffer.subarray(0, read ?? 0)), /^HTTP\/1\.1 200/);
      // Shorter pauses than the timeout keep the connection.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const after = await readUntilClosed(conn, 5_000);
    assert.deepEqual(after, { text: "", closedByServer: true });
  } finally {
    conn.close();
  }
});

Deno.test("serveConnections() answers 408 and closes when a body does not arrive in time", async () => {
  await using server = echoServer({ headerTimeoutMs: 10_000 });
  const slow = await rawExchange(
    server.addr.port,
    'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{"a":',
    5_000,
  );
  assert.match(slow.text, /^HTTP\/1\.1 408 /);
  assert.match(slow.text, /"code":"request_timeout"/);
  assert.equal(slow.closedByServer, true);
});

Deno.test("serveConnections() refuses a body over the size cap with 413, declared or streamed", async () => {
  await using server = echoServer({ headerTimeoutMs: 10_000 });
  const declared = await rawExchange(
    server.addr.port,
    "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n",
    5_000,
  );
  assert.match(declared.text, /^HTTP\/1\.1 413 /);
  assert.equal(declared.closedByServer, true);
  const chunk = "x".repeat(600);
  const streamed = await rawExchange(
    server.addr.port,
    "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
      `258\r\n${chunk}\r\n258\r\n${chunk}\r\n`,
    5_000,
  );
  assert.match(streamed.text, /^HTTP\/1\.1 413 /);
  assert.equal(streamed.closedByServer, true);
});

Deno.test("serveConnections() answers 503 over the total cap and 429 over the address cap", async () => {
  const kept = keptLogger();
  await using server = echoServer({ headerTimeoutMs: 10_000, maxConnections: 3 }, {
    log: kept.log,
  });
  const held = await Promise.all(
    [1, 2, 3].map(() => Deno.connect({ hostname: "127.0.0.1", port: server.addr.port })),
  );
  try {
    // The three are admitted once the server has accepted them; a request proves it.
    await held[0]!.write(encoder.encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    await held[0]!.read(new Uint8Array(4096));
    const refused = await rawExchange(server.addr.port, "", 5_000);
    assert.match(refused.text, /^HTTP\/1\.1 503 /);
    assert.match(refused.text, /retry-after: 5/);
    assert.equal(refused.closedByServer, true);
  } finally {
    for (const conn of held) conn.close();
  }
  // Released connections make room again.
  let answer: Response | null = null;
  for (let attempt = 0; attempt < 50 && answer?.status !== 200; attempt++) {
    await answer?.body?.cancel();
    answer = await fetch(`http://127.0.0.1:${server.addr.port}/`);
    if (answer.status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(answer?.status, 200);
  await answer?.body?.cancel();

  await using perAddress = echoServer({ headerTimeoutMs: 10_000, maxConnectionsPerAddress: 2 });
  const two = await Promise.all(
    [1, 2].map(() => Deno.connect({ hostname: "127.0.0.1", port: perAddress.addr.port })),
  );
  try {
    await two[1]!.write(encoder.encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    await two[1]!.read(new Uint8Array(4096));
    const third = await rawExchange(perAddress.addr.port, "", 5_000);
    assert.match(third.text, /^HTTP\/1\.1 429 /);
    assert.match(third.text, /Too many connections from your address/);
  } finally {
    for (const conn of two) conn.close();
  }
});

Deno.test("serveConnections() survives accept errors, logging one line per streak", async () => {
  const kept = keptLogger();
  let failuresLeft = 3;
  await using server = echoServer({}, {
    log: kept.log,
    listen: (address) => {
      const real = Deno.listen(address);
      return {
        addr: real.addr,
        close: () => real.close(),
        accept: () => {
          if (failuresLeft > 0) {
            failuresLeft--;
            return Promise.reject(new Error("Too many open files (os error 24)"));
          }
          return real.accept();
        },
      };
    },
  });
  const answer = await fetch(`http://127.0.0.1:${server.addr.port}/`);
  assert.equal(answer.status, 200);
  await answer.body?.cancel();
  const messages = kept.lines.map((line) => line["msg"]);
  assert.deepEqual(messages.filter((m) => m === "cannot accept connections: retrying").length, 1);
  assert.ok(messages.includes("accepting connections again"));
});

Deno.test("serveConnections() counts refused and cut connections in its periodic report", async () => {
  const kept = keptLogger();
  const server = serveConnections({
    hostname: "127.0.0.1",
    port: 0,
    rules: { ...RULES, maxConnections: 1 },
    log: kept.log,
    reportIntervalMs: 100,
    handler: () => new Response("ok"),
  });
  try {
    const held = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await rawExchange(server.addr.port, "", 2_000);
    // The held connection sends nothing: it is cut by the header timeout.
    await readUntilClosed(held, 5_000);
    held.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    await server.shutdown();
  }
  const reports = kept.lines.filter((line) => line["msg"] === "connections cut or refused");
  const sum = (field: string) => reports.reduce((n, line) => n + Number(line[field] ?? 0), 0);
  assert.equal(sum("refused_over_total"), 1);
  assert.equal(sum("cut_without_request"), 1);
});

Deno.test("serveConnections() shutdown lets a request in flight finish", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  const server = serveConnections({
    hostname: "127.0.0.1",
    port: 0,
    rules: RULES,
    log: keptLogger().log,
    handler: async () => {
      await gate;
      return new Response("late but whole");
    },
  });
  const pending = fetch(`http://127.0.0.1:${server.addr.port}/`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const stopped = server.shutdown();
  release();
  const answer = await pending;
  assert.equal(await answer.text(), "late but whole");
  await stopped;
  await server.finished;
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }));
});
