/**
 * Raw TCP clients for the tests that must see what a server does to a
 * connection itself (cut it, refuse it, answer before reading), which
 * `fetch` hides.
 */

const decoder = new TextDecoder();

/** What a raw client saw: the bytes the server sent until it closed, or until the wait ended. */
export interface RawExchange {
  readonly text: string;
  readonly closedByServer: boolean;
}

/** Reads from `conn` until the server closes it or `waitMs` pass. */
export async function readUntilClosed(conn: Deno.Conn, waitMs: number): Promise<RawExchange> {
  let text = "";
  const buffer = new Uint8Array(4096);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), waitMs));
  try {
    while (true) {
      const read = await Promise.race([conn.read(buffer).catch(() => null), late]);
      if (read === "late") return { text, closedByServer: false };
      if (read === null) return { text, closedByServer: true };
      text += decoder.decode(buffer.subarray(0, read));
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Closes `conn` unless the server closed it already. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Closed by the server.
  }
}
