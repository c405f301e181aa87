/**
 * A lean HTTP/1.1 load client for the benches: pre-encoded requests sent over
 * keep-alive connections of its own, a request at a time per connection,
 * answers read by their Content-Length. It costs the machine far less than
 * `fetch` per request, so that a bench on the server's machine measures the
 * server more than its client.
 */

/** A request ready for the wire, head and body in one buffer. */
export type EncodedRequest = Uint8Array;

/** Encodes a POST of `body` to `path` with `headers`, keeping the connection open. */
export function encodePost(
  host: string,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
): EncodedRequest {
  const head = [`POST ${path} HTTP/1.1`, `host: ${host}`, `content-length: ${body.byteLength}`]
    .concat(Object.entries(headers).map(([name, value]) => `${name}: ${value}`))
    .join("\r\n") + "\r\n\r\n";
  const headBytes = new TextEncoder().encode(head);
  const bytes = new Uint8Array(headBytes.byteLength + body.byteLength);
  bytes.set(headBytes);
  bytes.set(body, headBytes.byteLength);
  return bytes;
}

/** What a load run saw: wall time, each request's latency (sorted, ms) and status counts. */
export interface LoadRun {
  readonly wallMs: number;
  readonly latencies: number[];
  readonly statuses: Map<number, number>;
}

/**
 * Sends `requests` in order over `connections` keep-alive connections to
 * `hostname:port`: each connection takes the next request once it has its
 * previous answer. Throws if a connection fails or an answer cannot be read.
 */
export async function runLoad(
  address: { hostname: string; port: number },
  requests: readonly EncodedRequest[],
  connections: number,
): Promise<LoadRun> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, async () => {
    const conn = await Deno.connect({ hostname: address.hostname, port: address.port });
    conn.setNoDelay(true);
    const reader = new AnswerReader(conn);
    try {
      while (next < requests.length) {
        const request = requests[next++]!;
        const t = performance.now();
        await writeAll(conn, request);
        const status = await reader.next();
        latencies.push(performance.now() - t);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    } finally {
      conn.close();
    }
  }));
  return {
    wallMs: performance.now() - started,
    latencies: latencies.sort((a, b) => a - b),
    statuses,
  };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) written += await conn.write(bytes.subarray(written));
}

/** Reads answers one after the other from a connection, by their Content-Length. */
class AnswerReader {
  readonly #conn: Deno.Conn;
  #buffer = new Uint8Array(0);
  readonly #chunk = new Uint8Array(64 * 1024);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Reads the next whole answer and returns its status. */
  async next(): Promise<number> {
    let headEnd;
    while ((headEnd = findHeadEnd(this.#buffer)) < 0) await this.#fill();
    const head = new TextDecoder().decode(this.#buffer.subarray(0, headEnd));
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length === null) throw new Error(`an answer without Content-Length:\n${head}`);
    const total = headEnd + 4 + Number(length[1]);
    while (this.#buffer.byteLength < total) await this.#fill();
    this.#buffer = this.#buffer.slice(total);
    return status;
  }

  async #fill(): Promise<void> {
    const n = await this.#conn.read(this.#chunk);
    if (n === null) throw new Error("the server closed the connection");
    const joined = new Uint8Array(this.#buffer.byteLength + n);
    joined.set(this.#buffer);
    joined.set(this.#chunk.subarray(0, n), this.#buffer.byteLength);
    this.#buffer = joined;
  }
}

function findHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.byteLength; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}
