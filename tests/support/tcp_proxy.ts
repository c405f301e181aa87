/**
 * A TCP proxy a test can cut and restore, to play a database that goes away
 * and comes back without touching the real server behind it.
 */

/** A proxy from a local port to `target`. */
export interface TcpProxy extends AsyncDisposable {
  readonly port: number;
  /** Closes the listener and every open connection: clients see the server vanish. */
  down(): void;
  /** Listens again on the same port. */
  up(): void;
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to `target`. */
export function startTcpProxy(target: { hostname: string; port: number }): TcpProxy {
  let listener: Deno.Listener | null = null;
  const open = new Set<Deno.Conn>();
  let port = 0;

  const accept = async (current: Deno.Listener) => {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await current.accept();
      } catch {
        return;
      }
      void relay(client);
    }
  };
  const relay = async (client: Deno.Conn) => {
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect(target);
    } catch {
      client.close();
      return;
    }
    open.add(client);
    open.add(upstream);
    const close = () => {
      for (const conn of [client, upstream]) {
        if (open.delete(conn)) {
          try {
            conn.close();
          } catch { /* already closed */ }
        }
      }
    };
    await Promise.allSettled([
      client.readable.pipeTo(upstream.writable, { preventClose: true }),
      upstream.readable.pipeTo(client.writable, { preventClose: true }),
    ]).finally(close);
  };
  const listen = () => {
    listener = Deno.listen({ hostname: "127.0.0.1", port });
    port = (listener.addr as Deno.NetAddr).port;
    void accept(listener);
  };

  listen();
  const down = () => {
    listener?.close();
    listener = null;
    for (const conn of open) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    open.clear();
  };
  return {
    get port() {
      return port;
    },
    down,
    up: () => {
      if (listener === null) listen();
    },
    [Symbol.asyncDispose]: () => Promise.resolve(down()),
  };
}
