/** A small router: exact paths and `:name` segments, with 404 and 405 answered for you. */

/** What a route handler receives besides the request. */
export interface RouteContext {
  readonly request: Request;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  /** The client's address; used for rate limiting only, never stored or logged. */
  readonly clientAddress: string;
  /** Lets a handler name the instance for the request log line. */
  noteInstance(instanceId: string): void;
}

/** A route handler. */
export type RouteHandler = (ctx: RouteContext) => Response | Promise<Response>;

interface Route {
  readonly segments: readonly string[];
  readonly methods: Map<string, RouteHandler>;
}

/** What matching a request found. */
export type RouteMatch =
  | { kind: "found"; handler: RouteHandler; params: Record<string, string> }
  | { kind: "wrong_method"; allowed: string[] }
  | { kind: "not_found" };

/** Routes by method and path. Paths are matched segment by segment; `:name` captures one segment. */
export class Router {
  readonly #routes: Route[] = [];

  /** Adds `handler` for `method` on `path` (e.g. `/badge/:slug/instances`). Returns the router. */
  on(method: string, path: string, handler: RouteHandler): this {
    const segments = path.split("/").filter(Boolean);
    let route = this.#routes.find((r) => r.segments.join("/") === segments.join("/"));
    if (route === undefined) {
      route = { segments, methods: new Map() };
      this.#routes.push(route);
    }
    route.methods.set(method.toUpperCase(), handler);
    if (method.toUpperCase() === "GET") route.methods.set("HEAD", handler);
    return this;
  }

  /** Finds the handler for a method and path, or says why there is none. */
  match(method: string, pathname: string): RouteMatch {
    let parts: string[];
    try {
      parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      return { kind: "not_found" };
    }
    const allowed = new Set<string>();
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (params === null) continue;
      const handler = route.methods.get(method.toUpperCase());
      if (handler !== undefined) return { kind: "found", handler, params };
      for (const name of route.methods.keys()) allowed.add(name);
    }
    return allowed.size > 0
      ? { kind: "wrong_method", allowed: [...allowed] }
      : { kind: "not_found" };
  }
}

function matchSegments(
  pattern: readonly string[],
  parts: readonly string[],
): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] ?? "";
    const actual = parts[i] ?? "";
    if (expected.startsWith(":")) params[expected.slice(1)] = actual;
    else if (expected !== actual) return null;
  }
  return params;
}
