/**
 * What the server believes about a request besides its method and path: the
 * client's address, whether it came over HTTPS, and the origin browsers reach
 * this server at. Computed once per request, here, and the only place that
 * reads the forwarding headers: `SHM_TRUST_PROXY` is resolved in
 * {@linkcode requestFacts} and nowhere else.
 */

/** The client side of a connection, as `Deno.serve` reports it. */
export interface ClientInfo {
  readonly remoteAddr: { readonly hostname?: string } | Deno.Addr;
}

/** The facts of one request. */
export interface RequestFacts {
  /** The client's address; used for rate limiting only, never stored or logged. */
  readonly clientAddress: string;
  /**
   * The address of the socket's other end, whatever the forwarding headers say: the proxy's
   * behind one. The forward-auth header is believed only from trusted peers (`proxy_auth.ts`).
   */
  readonly peerAddress: string;
  /** Whether the browser reached us over HTTPS (cookies get `Secure`). */
  readonly secure: boolean;
  /** The origin browsers and instances reach this server at, for the SDK and badge snippets. */
  readonly origin: string;
}

/**
 * The facts of `request` (whose parsed URL is `url`) from `client`. Without
 * `trustProxy` only the socket and the URL count; with it, behind a proxy we
 * trust, the last `X-Forwarded-For` address, the first `X-Forwarded-Proto`
 * and the first `X-Forwarded-Host` are believed.
 */
export function requestFacts(
  request: Request,
  options: { url: URL; client: ClientInfo; trustProxy: boolean },
): RequestFacts {
  const { url, client, trustProxy } = options;
  const socketAddress = (client.remoteAddr as { hostname?: string }).hostname ?? "unknown";
  if (!trustProxy) {
    return {
      clientAddress: socketAddress,
      peerAddress: socketAddress,
      secure: url.protocol === "https:",
      origin: url.origin,
    };
  }
  const headers = request.headers;
  const forwardedFor = headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
  const proto = headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  const secure = url.protocol === "https:" || proto === "https";
  return {
    clientAddress: forwardedFor || socketAddress,
    peerAddress: socketAddress,
    secure,
    origin: forwardedOrigin(url, headers.get("x-forwarded-host"), secure),
  };
}

function forwardedOrigin(url: URL, forwardedHost: string | null, secure: boolean): string {
  const origin = new URL(url.origin);
  const host = forwardedHost?.split(",")[0]?.trim();
  if (host) origin.host = host;
  if (secure) origin.protocol = "https:";
  return origin.origin;
}
