/** A small router: exact paths and `:name` segments, with 404 and 405 answered for you. */

import { ClientError } from "../errors.ts";
import { printableText } from "../../shared/text_rules.ts";
import type { RequestFacts } from "./request_facts.ts";

/** What a route handler receives besides the request. */
export interface RouteContext {
  readonly request: Request;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  /** The client's address, origin and scheme, computed once per request (`request_facts.ts`). */
  readonly facts: RequestFacts;
  /** Lets a handler name the instance for the request log line. */
  noteInstance(instanceId: string): void;
}

/** A route handler. */
export type RouteHandler = (ctx: RouteContext) => Response | Promise<Response>;

/** The rule a path parameter's decoded value must follow before any handler sees it. */
export interface PathParamRule {
  /** Whether `value` is acceptable. */
  test(value: string): boolean;
  /** What the value must be, for a person: "an application slug". */
  readonly expected: string;
}

/** A path parameter whose value broke its rule. */
export interface ParamProblem {
  readonly name: string;
  readonly value: string;
  readonly expected: string;
}

/**
 * Answers a request whose path parameter broke its rule, in the shape of its
 * route (a page, a badge). `ctx.params` hold the raw values: never query with them.
 */
export type RefusalHandler = (
  ctx: RouteContext,
  problem: ParamProblem,
) => Response | Promise<Response>;

/** Options of one route. */
export interface RouteOptions {
  /** Answers a bad path parameter; without it the router throws a 404 `not_found` ClientError. */
  readonly refuse?: RefusalHandler;
}

/** A registered route, as {@linkcode Router.routes} lists it. */
export interface RouteEntry {
  readonly method: string;
  readonly path: string;
}

interface Route {
  readonly path: string;
  readonly segments: readonly string[];
  readonly methods: Map<string, { handler: RouteHandler; refuse: RefusalHandler | undefined }>;
}

/** What matching a request found. */
export type RouteMatch =
  | { kind: "found"; handler: RouteHandler; params: Record<string, string> }
  | { kind: "wrong_method"; allowed: string[] }
  | { kind: "not_found" };

/**
 * Routes by method and path. Paths are matched segment by segment; `:name`
 * captures one segment (`:name.json` one that ends in `.json`, without it), which must follow the rule given for `name` when the
 * router was made: a value that breaks it never reaches the handler (the
 * route's `refuse` answers instead, or a 404).
 */
export class Router {
  readonly #routes: Route[] = [];
  readonly #rules: Readonly<Record<string, PathParamRule>>;

  /** Makes a router whose path parameters follow `params` (a rule per parameter name). */
  constructor(options: { params?: Readonly<Record<string, PathParamRule>> } = {}) {
    this.#rules = options.params ?? {};
  }

  /**
   * Adds `handler` for `method` on `path` (e.g. `/badge/:slug/instances`);
   * GET also answers HEAD. Throws when a `:name` of `path` has no rule.
   * Returns the router.
   */
  on(method: string, path: string, handler: RouteHandler, options: RouteOptions = {}): this {
    const segments = path.split("/").filter(Boolean);
    for (const segment of segments) {
      if (segment.startsWith(":") && !Object.hasOwn(this.#rules, parameterOf(segment).name)) {
        throw new TypeError(`Cannot add route ${path} as ${segment} has no rule`);
      }
    }
    let route = this.#routes.find((r) => r.segments.join("/") === segments.join("/"));
    if (route === undefined) {
      route = { path, segments, methods: new Map() };
      this.#routes.push(route);
    }
    const entry = { handler, refuse: options.refuse };
    route.methods.set(method.toUpperCase(), entry);
    if (method.toUpperCase() === "GET") route.methods.set("HEAD", entry);
    return this;
  }

  /** Every method and path added, in order (HEAD only where it was added itself). */
  routes(): RouteEntry[] {
    return this.#routes.flatMap((route) =>
      [...route.methods].filter(([method, entry]) =>
        method !== "HEAD" || route.methods.get("GET") !== entry
      ).map(([method]) => ({ method, path: route.path }))
    );
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
    let refused: RouteMatch | undefined;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (params === null) continue;
      const entry = route.methods.get(method.toUpperCase());
      if (entry === undefined) {
        for (const name of route.methods.keys()) allowed.add(name);
        continue;
      }
      const problem = this.#problem(params);
      if (problem === null) return { kind: "found", handler: entry.handler, params };
      refused ??= { kind: "found", handler: refusal(entry.refuse, problem, pathname), params };
    }
    if (refused !== undefined) return refused;
    return allowed.size > 0
      ? { kind: "wrong_method", allowed: [...allowed] }
      : { kind: "not_found" };
  }

  #problem(params: Record<string, string>): ParamProblem | null {
    for (const [name, value] of Object.entries(params)) {
      const rule = this.#rules[name];
      if (rule !== undefined && !rule.test(value)) {
        return { name, value, expected: rule.expected };
      }
    }
    return null;
  }
}

/** The handler that answers a bad parameter: the route's own refusal, or a 404. */
function refusal(
  refuse: RefusalHandler | undefined,
  problem: ParamProblem,
  pathname: string,
): RouteHandler {
  if (refuse !== undefined) return (ctx) => refuse(ctx, problem);
  return () => {
    throw new ClientError(
      404,
      "not_found",
      `Cannot find ${printableText(pathname, 200)} as "${problem.name}" must be ` +
        `${problem.expected}: current value is ${JSON.stringify(printableText(problem.value, 80))}`,
    );
  };
}

/**
 * A parameter segment's name and the literal suffix it declares: `:slug` is
 * the whole segment, `:slug.json` a segment ending in `.json` whose rest is
 * the value of `slug` (so the rule of `slug` needs no `.json` form of its own).
 */
function parameterOf(segment: string): { name: string; suffix: string } {
  const dot = segment.indexOf(".");
  return dot === -1
    ? { name: segment.slice(1), suffix: "" }
    : { name: segment.slice(1, dot), suffix: segment.slice(dot) };
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
    if (expected.startsWith(":")) {
      const { name, suffix } = parameterOf(expected);
      if (!actual.endsWith(suffix) || actual.length === suffix.length) return null;
      params[name] = actual.slice(0, actual.length - suffix.length);
    } else if (expected !== actual) return null;
  }
  return params;
}
