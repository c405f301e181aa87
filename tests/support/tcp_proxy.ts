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

/** A load balancer of the simplest kind, for tests of several server replicas. */
export interface RoundRobinProxy extends AsyncDisposable {
  readonly port: number;
  /** Connections handed to each target so far, in the order of the targets. */
  readonly handed: readonly number[];
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) that hands each new connection to
 * the next of `targets` in turn, skipping one that refuses to connect (a
 * replica that is gone), as a load balancer with health checks would.
 */
export function startRoundRobinProxy(
  targets: readonly { hostname: string; port: number }[],
): RoundRobinProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const handed = targets.map(() => 0);
  let next = 0;
  const connectToNext = async (): Promise<Deno.Conn | null> => {
    for (let tries = 0; tries < targets.length; tries++) {
      const index = next++ % targets.length;
      try {
        const conn = await Deno.connect(targets[index]!);
        handed[index] = (handed[index] ?? 0) + 1;
        return conn;
      } catch { /* gone: the next one */ }
    }
    return null;
  };
  const relay = async (client: Deno.Conn) => {
    const upstream = await connectToNext();
    if (upstream === null) {
      client.close();
      return;
    }
    open.add(client);
    open.add(upstream);
    await Promise.allSettled([
      client.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(client.writable),
    ]);
    for (const conn of [client, upstream]) {
      if (open.delete(conn)) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    }
  };
  void (async () => {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await listener.accept();
      } catch {
        return;
      }
      void relay(client);
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    handed,
    [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      open.clear();
      return Promise.resolve();
    },
  };
}
