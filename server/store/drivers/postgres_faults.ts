/**
 * Two faults of postgres.js 3.4 that would end the whole server, caught here
 * and only these: the rest of the process keeps Deno's rule that an uncaught
 * error is fatal.
 *
 * - It runs a query of its own as the first on each new connection (the array
 *   types, `fetch_types`) and drops its promise: when the connection fails
 *   during it, the rejection is unhandled (porsager/postgres#1192). The
 *   caller's own statement fails on its own and is answered as usual.
 * - It queues small writes for the next turn of the event loop; when the
 *   connection closes first, the write hits a socket that is gone and throws
 *   where nothing can catch it (porsager/postgres#1154, #1208). That
 *   connection is left unable to send: every pool is replaced, so that what
 *   hangs on it is cut (see `GuardedPool`).
 */

const replaceConnections = new Set<() => void>();
let listening = false;

/**
 * Handles both faults from now on; `onConnectionLost` is called when the
 * second one happens. Returns a function that stops calling it.
 */
export function handlePostgresFaults(onConnectionLost: () => void): () => void {
  replaceConnections.add(onConnectionLost);
  if (!listening) {
    listening = true;
    globalThis.addEventListener("unhandledrejection", (event) => {
      if (isArrayTypesFailure(event.reason)) event.preventDefault();
    });
    globalThis.addEventListener("error", (event) => {
      if (!isWriteOnClosedSocket(event.error)) return;
      event.preventDefault();
      for (const replace of replaceConnections) replace();
    });
  }
  return () => replaceConnections.delete(onConnectionLost);
}

/** Whether `reason` is the failure of postgres.js's own array types query, told by its SQL. */
export function isArrayTypesFailure(reason: unknown): boolean {
  if (typeof reason !== "object" || reason === null) return false;
  const query = (reason as { query?: unknown }).query;
  return typeof query === "string" && query.includes("pg_catalog.pg_type") &&
    query.includes("typarray");
}

/** Whether `error` is postgres.js writing to the socket of a connection already closed. */
export function isWriteOnClosedSocket(error: unknown): boolean {
  return error instanceof TypeError && error.message.includes("reading 'write'") &&
    (error.stack ?? "").includes("nextWrite") && (error.stack ?? "").includes("postgres");
}
