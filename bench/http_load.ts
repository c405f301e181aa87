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
  /** When each answer arrived, ms from the start, in order of arrival. */
  readonly answeredAt: number[];
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
  const answeredAt: number[] = [];
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
        const now = performance.now();
        latencies.push(now - t);
        answeredAt.push(now - started);
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
    answeredAt,
  };
}

/**
 * The longest stretches of a run in which no answer arrived (ms, longest
 * first): a stall of the server (a pause of its garbage collector, a slow
 * commit) shows here where percentiles only blur it.
 */
export function longestSilences(run: LoadRun, count: number): number[] {
  const gaps: number[] = [];
  for (let i = 1; i < run.answeredAt.length; i++) {
    gaps.push(run.answeredAt[i]! - run.answeredAt[i - 1]!);
  }
  return gaps.sort((a, b) => b - a).slice(0, count);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) written += await conn.write(bytes.subarray(written));
}

/** Reads answers one after the other from a connection, by their Content-Length. */
class AnswerReader {
  readonly #conn: Deno.Conn;
  /** Bytes read and not yet taken: `#buffer[#start, #end)`. */
  #buffer = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Reads the next whole answer and returns its status. */
  async next(): Promise<number> {
    let headEnd;
    while ((headEnd = findHeadEnd(this.#buffer, this.#start, this.#end)) < 0) await this.#fill();
    // Heads are ASCII: decoded by hand, one allocation less per answer than a TextDecoder.
    const head = String.fromCharCode(...this.#buffer.subarray(this.#start, headEnd));
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length === null) throw new Error(`an answer without Content-Length:\n${head}`);
    // Relative to the answer's first byte: a fill may move the bytes to the buffer's front.
    const answerBytes = headEnd - this.#start + 4 + Number(length[1]);
    while (this.#end - this.#start < answerBytes) await this.#fill();
    this.#start += answerBytes;
    return status;
  }

  /** Reads more bytes, moving what is left to the front or growing the buffer first. */
  async #fill(): Promise<void> {
    if (this.#start > 0) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buffer.byteLength) {
      const bigger = new Uint8Array(this.#buffer.byteLength * 2);
      bigger.set(this.#buffer);
      this.#buffer = bigger;
    }
    const n = await this.#conn.read(this.#buffer.subarray(this.#end));
    if (n === null) throw new Error("the server closed the connection");
    this.#end += n;
  }
}

function findHeadEnd(bytes: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 3 < to; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}
