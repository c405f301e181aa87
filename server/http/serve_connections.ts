/**
 * Serving HTTP from an accept loop of our own, so that the server decides
 * which connections it keeps and for how long: `Deno.serve` has no deadline
 * for request heads, bodies or idle connections, no cap on connections, and
 * stops for good on an accept error such as "too many open files". Each
 * admitted connection is handed to Deno's own HTTP engine (hyper), so
 * parsing and HTTP/1.1 and HTTP/2 stay Deno's.
 */

import type { Logger } from "../log.ts";
import {
  addressKey,
  capAfterRunningOutOfFiles,
  clientAddress,
  ConnectionLimits,
  isOutOfFiles,
} from "./connection_limits.ts";
import { errorResponse } from "./respond.ts";
import { type BodyRules, wholeRequest } from "./whole_request.ts";

/** Deadlines and caps for connections and requests. */
export interface ConnectionRules extends BodyRules {
  /** Time a client has to send a request's head, from connecting or from the previous answer. */
  readonly headerTimeoutMs: number;
  /** Connections open at once, in all (lowered for good if the open-file limit is reached). */
  readonly maxConnections: number;
  /** Connections open at once from one address (an IPv6 /64 counts as one); 0: no cap. */
  readonly maxConnectionsPerAddress: number;
}

/** The client side of a connection, as the request handler sees it. */
export interface ConnectionClient {
  readonly remoteAddr: { readonly hostname: string };
}

/** What {@linkcode serveConnections} needs. */
export interface ServeConnectionsOptions {
  readonly hostname: string;
  readonly port: number;
  readonly rules: ConnectionRules;
  readonly log: Logger;
  /** Answers one request whose body, if any, has arrived whole. Should not throw. */
  readonly handler: (request: Request, client: ConnectionClient) => Response | Promise<Response>;
  /** How often the counts of cut and refused connections are logged (default a minute). */
  readonly reportIntervalMs?: number;
  /**
   * Whether other sockets (other accept loops of this server) may listen on the same port,
   * Linux spreading new connections over them (`SO_REUSEPORT`). Default false.
   */
  readonly reusePort?: boolean;
  /** Opens the listening socket; by default `Deno.listen` (tests pass one that fails at will). */
  readonly listen?: (address: { hostname: string; port: number }) => ConnectionListener;
}

/** The part of a TCP listener the accept loop uses. */
export interface ConnectionListener {
  readonly addr: Deno.NetAddr;
  accept(): Promise<Deno.TcpConn>;
  close(): void;
}

/** A listening server. */
export interface ConnectionServer {
  readonly addr: Deno.NetAddr;
  /** Resolves once the server stopped: not accepting, every connection closed. */
  readonly finished: Promise<void>;
  /**
   * Stops accepting; requests in flight may finish within `graceMs` (default
   * 10 s) while new ones on open connections get 503; then closes every
   * connection. Safe to call twice.
   */
  shutdown(graceMs?: number): Promise<void>;
}

/** What happened to connections since the last report. */
interface ConnectionCounts {
  refused_over_total: number;
  refused_over_address: number;
  cut_without_request: number;
  cut_slow_body: number;
  cut_slow_reader: number;
  refused_large_body: number;
}

/** Deno's HTTP engine on one accepted connection (an internal of Deno, checked at start). */
type ServeOnConnection = (
  connection: Deno.TcpConn,
  signal: AbortSignal,
  handler: (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>,
  onError: (error: unknown) => Response,
  onListen: () => void,
) => { readonly finished: Promise<void>; shutdown(): Promise<void> };

/** How long a connection that was answered with "close" may linger before it is cut. */
const CLOSE_GRACE_MS = 1_000;

/** How long a request may take from its head to its answer's last byte sent. */
const RESPONSE_DELIVERY_MS = 120_000;

/** How long a stopping server lets requests in flight finish, unless told otherwise. */
const DEFAULT_GRACE_MS = 10_000;

/**
 * Listens on `hostname:port` and serves each admitted connection with the
 * handler, under `rules`: a connection over a cap is answered 503 (in all)
 * or 429 (from its address) and closed at once; one that sends no complete
 * request head within the header timeout (also between requests) is
 * closed; a body that does not arrive within the body timeout gets 408, one
 * over the size cap 413, each closing the connection; an answer the client
 * does not take within two minutes is cut. An accept error is logged once
 * per streak and retried with a short backoff, never fatal. Throws when the
 * address cannot be bound.
 */
export function serveConnections(options: ServeConnectionsOptions): ConnectionServer {
  const { rules, log } = options;
  const serveOn = denoServeOnConnection();
  if (serveOn === null) {
    log.warn(
      "this Deno cannot serve single connections: connection caps and deadlines are off, " +
        "put a reverse proxy in front (docs/deploy.md)",
    );
    return serveUnguarded(options);
  }
  const reusePort = options.reusePort ?? false;
  const listen = options.listen ??
    ((address) => Deno.listen(reusePort ? { ...address, reusePort } : address));
  const listener = listen({ hostname: options.hostname, port: options.port });
  const limits = new ConnectionLimits({
    maxTotal: rules.maxConnections,
    maxPerAddress: rules.maxConnectionsPerAddress,
  });
  const open = new Set<OpenConnection>();
  const requests = new RequestsInFlight();
  const counts = emptyCounts();
  let draining = false;

  const report = setInterval(() => {
    if (Object.values(counts).every((n) => n === 0)) return;
    log.info("connections cut or refused", { ...counts, open: limits.open });
    Object.assign(counts, emptyCounts());
  }, options.reportIntervalMs ?? 60_000);
  Deno.unrefTimer(report);

  const serveAdmitted = (conn: Deno.TcpConn, address: string, key: string) => {
    const client: ConnectionClient = { remoteAddr: { hostname: address } };
    let answered = 0;
    let closed = false;
    let headTimer: ReturnType<typeof setTimeout> | undefined;
    const hardStop = new AbortController();
    const connection: OpenConnection = {
      inFlight: 0,
      // Deno closes a connection's resource just before its `finished` settles, with no timer
      // able to run in between: once `closed` is set, aborting would throw inside Deno.
      cut: () => {
        if (!closed) hardStop.abort();
      },
      shutdown: () => server.shutdown(),
      finished: Promise.resolve(),
    };
    const armHeadTimer = () => {
      headTimer = setTimeout(() => {
        if (answered === 0) counts.cut_without_request++;
        connection.cut();
      }, rules.headerTimeoutMs);
    };
    const server = serveOn(conn, hardStop.signal, async (request, info) => {
      clearTimeout(headTimer);
      connection.inFlight++;
      requests.started();
      // A client that does not take its answer is cut, as one that does not send its request.
      const delivery = setTimeout(() => {
        counts.cut_slow_reader++;
        connection.cut();
      }, RESPONSE_DELIVERY_MS);
      const done = () => {
        clearTimeout(delivery);
        connection.inFlight--;
        answered++;
        requests.ended();
        if (connection.inFlight === 0 && !closed && !draining) armHeadTimer();
      };
      info.completed.then(done, done);
      if (draining) {
        return errorResponse(503, "shutting_down", "The server is stopping: retry in a moment", {
          connection: "close",
          "retry-after": "5",
        });
      }
      const whole = await wholeRequest(request, rules);
      if (whole instanceof Response) {
        if (whole.status === 408) counts.cut_slow_body++;
        if (whole.status === 413) counts.refused_large_body++;
        Deno.unrefTimer(setTimeout(connection.cut, CLOSE_GRACE_MS));
        return whole;
      }
      return await options.handler(whole, client);
    }, (error) => {
      log.error("request failed", { error });
      return errorResponse(500, "internal_error", "The server failed to handle the request");
    }, () => {});
    armHeadTimer();
    open.add(connection);
    const onClosed = () => {
      closed = true;
      clearTimeout(headTimer);
      open.delete(connection);
      limits.release(key);
    };
    connection.finished = server.finished.then(onClosed, onClosed);
  };

  // The open-file limit is not readable with the server's permissions: it is learnt when
  // accepting first fails for want of files. From then on the cap stays below it, and the
  // newest idle connections are closed to make room at once.
  const runOutOfFiles = () => {
    const cap = capAfterRunningOutOfFiles(limits.open);
    if (cap >= limits.maxTotal) return;
    limits.lowerTotal(cap);
    log.warn(
      "the open-file limit is reached: fewer connections from now on; raise it " +
        "(systemd LimitNOFILE=, docker --ulimit nofile=) to allow more",
      { max_connections: cap, configured: rules.maxConnections },
    );
    let excess = limits.open - cap;
    for (const connection of [...open].reverse()) {
      if (excess <= 0) break;
      if (connection.inFlight > 0) continue;
      connection.cut();
      excess--;
    }
  };

  const accepting = (async () => {
    let failures = 0;
    while (!draining) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (draining) break;
        if (failures === 0) {
          log.warn("cannot accept connections: retrying", {
            error: error instanceof Error ? error.message : String(error),
            open: limits.open,
          });
          // Once per streak: the connections cut to make room take a moment to close.
          if (isOutOfFiles(error)) runOutOfFiles();
        }
        failures++;
        await delay(Math.min(1_000, 10 * 2 ** Math.min(failures, 7)));
        continue;
      }
      if (failures > 0) {
        log.info("accepting connections again", { failed_attempts: failures });
        failures = 0;
      }
      const address = clientAddress(conn.remoteAddr);
      const key = addressKey(address);
      const decision = limits.admit(key);
      if (decision.kind === "admitted") {
        serveAdmitted(conn, address, key);
      } else if (decision.kind === "over_total") {
        counts.refused_over_total++;
        await refuse(conn, 503, "The server has too many connections open");
      } else {
        counts.refused_over_address++;
        await refuse(conn, 429, "Too many connections from your address");
      }
    }
  })();

  let markFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => markFinished = resolve);
  let stopped: Promise<void> | null = null;
  const shutdown = (graceMs = DEFAULT_GRACE_MS) =>
    stopped ??= (async () => {
      draining = true;
      clearInterval(report);
      try {
        listener.close();
      } catch {
        // Already closed.
      }
      await accepting;
      await requests.idle(graceMs);
      // Idle connections close now; any request still running after the grace is cut.
      for (const connection of open) {
        if (connection.inFlight > 0) connection.cut();
        else connection.shutdown().catch(() => {});
      }
      await Promise.all([...open].map((connection) => connection.finished));
      markFinished();
    })();
  return { addr: listener.addr, finished, shutdown };
}

/** One admitted connection, as the accept loop and the shutdown see it. */
interface OpenConnection {
  inFlight: number;
  /** Closes the connection now, whatever it is doing. */
  cut(): void;
  /** Closes the connection once its requests are answered. */
  shutdown(): Promise<void>;
  /** Settles once the connection is closed. */
  finished: Promise<void>;
}

/** Counts requests from their head to their answer's last byte, and tells when none is left. */
class RequestsInFlight {
  #count = 0;
  #waiters: (() => void)[] = [];

  started(): void {
    this.#count++;
  }

  ended(): void {
    this.#count--;
    if (this.#count === 0) this.#waiters.splice(0).forEach((wake) => wake());
  }

  /** Resolves once no request is in flight, or after `graceMs`. */
  async idle(graceMs: number): Promise<void> {
    if (this.#count === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#waiters.push(resolve)),
      new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs)),
    ]);
    clearTimeout(timer);
  }
}

/**
 * Answers a refused connection in one write and closes it. The write goes
 * into the empty send buffer of a new socket, so it does not wait on the
 * client; awaiting it keeps refusals from holding file descriptors in bulk.
 */
async function refuse(conn: Deno.TcpConn, status: 429 | 503, message: string): Promise<void> {
  const body = JSON.stringify({
    error: { code: "too_many_connections", message: `${message}: retry in a moment` },
  });
  const reason = status === 429 ? "Too Many Requests" : "Service Unavailable";
  const head = `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\n` +
    `content-length: ${body.length}\r\nretry-after: 5\r\nconnection: close\r\n\r\n`;
  try {
    await conn.write(new TextEncoder().encode(head + body));
  } catch {
    // The client left already.
  }
  try {
    conn.close();
  } catch {
    // Closed meanwhile.
  }
}

function emptyCounts(): ConnectionCounts {
  return {
    refused_over_total: 0,
    refused_over_address: 0,
    cut_without_request: 0,
    cut_slow_body: 0,
    cut_slow_reader: 0,
    refused_large_body: 0,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Deno's function that serves HTTP on one accepted connection, where this Deno has it. */
function denoServeOnConnection(): ServeOnConnection | null {
  const symbol = (Deno as unknown as { internal?: symbol }).internal;
  if (symbol === undefined) return null;
  const internals = (Deno as unknown as Record<symbol, unknown>)[symbol];
  if (typeof internals !== "object" || internals === null) return null;
  const serve = (internals as Record<string, unknown>)["serveHttpOnConnection"];
  return typeof serve === "function" ? serve as ServeOnConnection : null;
}

/** `Deno.serve` without caps or deadlines, for a Deno that lacks the single-connection server. */
function serveUnguarded(options: ServeConnectionsOptions): ConnectionServer {
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    ...(options.reusePort ? { reusePort: true } : {}),
    onListen: () => {},
  }, async (request, info) => {
    const whole = await wholeRequest(request, options.rules);
    if (whole instanceof Response) return whole;
    return await options.handler(whole, {
      remoteAddr: { hostname: clientAddress(info.remoteAddr) },
    });
  });
  return {
    addr: server.addr,
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}
