/**
 * The check `shm serve` makes before anything else: is its port free? Opening and migrating the
 * store takes seconds; a port someone else holds should be said at once, with how to change it.
 */

/**
 * Returns the line that says `port` on `host` is taken and how to choose another, or null when
 * the port can be bound (or is 0: any free port). Other failures to bind (a bad address, no
 * permission) return null and are left to the server's own bind, which says what they are.
 */
export function portTakenMessage(host: string, port: number): string | null {
  if (port === 0) return null;
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname: host, port });
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse)) return null;
    const other = port === 65535 ? 8081 : port + 1;
    return `shm: cannot start as port ${port} (on ${host}) is in use by another program, ` +
      `perhaps another shm: stop it, or choose another port with PORT=${other} or --port ${other}`;
  }
  listener.close();
  return null;
}
