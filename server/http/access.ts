/**
 * Who may call a route, as the route table (`routes.ts`) declares it, and
 * the one place that enforces it: {@linkcode grantAccess} runs before every
 * handler and either grants (with what it proved: the session, the signed
 * body) or refuses in the shape the access kind promises.
 */

import { type Role, sameToken, SESSION_TTL_MS, startSession } from "../accounts/mod.ts";
import type { AuthProxySetting } from "../config.ts";
import { ClientError } from "../errors.ts";
import { authenticateInstance, type IngestContext, type VerifiedInstance } from "../ingest/mod.ts";
import type { Logger } from "../log.ts";
import type { Database } from "../store/mod.ts";
import { csrfRefused, messagePage, readForm, redirect, viewerOf } from "./page_support.ts";
import { type RateLimiter, refuseOverLimit } from "./rate_limit.ts";
import { proxySignIn } from "./proxy_auth.ts";
import { readBody } from "./read_body.ts";
import { requiredRole, type RouteDeclaration } from "./route_declaration.ts";
import type { RouteContext } from "./router.ts";
import {
  apiTokenOrBearer,
  type Caller,
  cookieHeader,
  SESSION_COOKIE,
  sessionOrBearer,
  type SignedIn,
  signedIn,
} from "./session_auth.ts";

/**
 * The access kinds of the route table:
 *
 * - `public`: anyone (a route may still check a token of its own, as `/setup` does).
 * - `instance`: an instance's signature over the body (`X-Instance-ID`, `X-Signature`);
 *   without it 401, with a bad one 403, each as JSON. Rate limited per address before
 *   and per instance after the signature holds.
 * - `session`: a signed-in browser; without a session, a 303 to `/login?next=…`.
 * - `session_form`: a signed-in browser posting a form with its session's CSRF token;
 *   without a session a 303 to `/login`, without the token a 403 page.
 * - `token_or_session`: the admin read API: a session, an API token or `SHM_ADMIN_TOKEN`
 *   as `Authorization: Bearer`; otherwise 401 JSON.
 * - `token`: admin writes: an API token or `SHM_ADMIN_TOKEN`, never a session (no browser
 *   form can reach them); otherwise 401 JSON (an expired API token: `token_expired`).
 *
 * Past the kind, each route needs a role (`role` in the table, by default `viewer` for a GET
 * and `admin` otherwise): a viewer gets a 403 (a page, or JSON `forbidden`), and a token of
 * scope `read` gets 403 `read_only_token` on anything but a GET.
 */
export type Access =
  | "public"
  | "instance"
  | "session"
  | "session_form"
  | "token_or_session"
  | "token";

/** Every access kind, for tests that walk the table. */
export const ACCESS_KINDS: readonly Access[] = [
  "public",
  "instance",
  "session",
  "session_form",
  "token_or_session",
  "token",
];

/** What an access kind proved, handed to the route's handler. */
export interface Granted {
  public: Record<never, never>;
  instance: { readonly instance: VerifiedInstance; readonly body: Uint8Array };
  session: { readonly session: SignedIn };
  session_form: { readonly session: SignedIn; readonly form: URLSearchParams };
  /** Who called, with `actor` as the audit log names them (a username, `api token NAME`…). */
  token_or_session: { readonly actor: string; readonly caller: Caller };
  /** Who called, with `actor` as the audit log names them: `api token NAME` or `admin token`. */
  token: { readonly actor: string; readonly caller: Caller };
}

/** What the gate reads of a route: its access kind, method and the role it needs. */
export type GatedRoute = Pick<RouteDeclaration, "access" | "method" | "role">;

/** What enforcing access needs, built once at start. */
export interface AccessDeps {
  readonly db: Database;
  readonly now: () => Date;
  readonly ingest: IngestContext;
  /** Requests per minute from one address to the instance endpoints. */
  readonly perAddress: RateLimiter;
  /** Requests per minute from one verified instance. */
  readonly perInstance: RateLimiter;
  /** The `SHM_ADMIN_TOKEN` check: resolves, or throws a 401 ClientError. */
  readonly adminToken: (request: Request) => Promise<void>;
  /** The forward-auth proxy whose user header signs people in (`proxy_auth.ts`); null: none. */
  readonly authProxy: AuthProxySetting | null;
  /** Where a role kept from a proxy's groups is explained. */
  readonly log: Logger;
}

/**
 * Makes the gate of every route: for a route (its access kind, method and
 * role) and a request, what it grants, or the refusal as a response; a
 * refusal that the route's error renderer shapes (401, 403, 429 on the JSON
 * routes) is thrown as a ClientError. After the kind, the caller's role must
 * be the one the route needs ({@linkcode requiredRole}), and a read-only
 * token may only GET: a viewer's page answers a 403 page, the API a 403 JSON.
 */
export function accessGate(
  deps: AccessDeps,
): (route: GatedRoute, ctx: RouteContext) => Promise<Granted[Access] | Response> {
  const tokenOrSession = sessionOrBearer(deps, deps.adminToken);
  const token = apiTokenOrBearer(deps, deps.adminToken);
  return async (route, ctx) => {
    const role = requiredRole(route);
    switch (route.access) {
      case "public":
        return {};
      case "instance":
        return await signedBody(deps, ctx);
      case "session": {
        const signed = await signedIn(deps.db, ctx.request, deps.now());
        const proxied = await proxiedSession(deps, ctx, signed);
        if (proxied instanceof Response) return proxied;
        const session = proxied ?? signed;
        if (session === null) {
          return redirect(
            `/login?next=${encodeURIComponent(`${ctx.url.pathname}${ctx.url.search}`)}`,
          );
        }
        return mayAct(session.user.role, role) ? { session } : roleRefused(session);
      }
      case "session_form": {
        const signed = await signedIn(deps.db, ctx.request, deps.now());
        const proxied = await proxiedSession(deps, ctx, signed);
        if (proxied instanceof Response) return proxied;
        const session = proxied ?? signed;
        if (session === null) return redirect("/login");
        const form = await readForm(ctx.request);
        if (!await sameToken(session.csrfToken, form.get("_csrf") ?? "")) {
          return csrfRefused(viewerOf(session));
        }
        return mayAct(session.user.role, role) ? { session, form } : roleRefused(session);
      }
      case "token_or_session":
      case "token": {
        const caller = route.access === "token"
          ? await token(ctx.request)
          : await proxiedCaller(deps, ctx) ?? await tokenOrSession(ctx.request);
        refuseCaller(caller, { method: route.method, role });
        return { actor: caller.actor, caller };
      }
    }
  };
}

/**
 * With a trusted proxy's user header on a page: null when there is no
 * header; the request's own session with the role the proxy's groups gave
 * it when it is that user's; else the answer: a 303 to the same page with a
 * new session of that user (its account made on first sight), or the page
 * refusing a bad header (400) or a disabled account (403).
 */
async function proxiedSession(
  deps: AccessDeps,
  ctx: RouteContext,
  session: SignedIn | null,
): Promise<Response | SignedIn | null> {
  if (deps.authProxy === null) return null;
  const proxied = await proxySignIn(deps, ctx.request, ctx.facts.peerAddress);
  if (proxied.kind === "none") return null;
  if (proxied.kind === "refused") {
    return messagePage(null, {
      status: proxied.status,
      title: "Cannot sign in",
      message: proxied.message,
    });
  }
  if (session?.user.userId === proxied.userId) {
    return { ...session, user: { ...session.user, role: proxied.role } };
  }
  const started = await startSession(deps.db, { userId: proxied.userId, now: deps.now() });
  // A form posted meanwhile cannot carry the new session's CSRF token: it goes to the overview.
  const back = ctx.request.method === "GET" || ctx.request.method === "HEAD"
    ? `${ctx.url.pathname}${ctx.url.search}`
    : "/";
  return redirect(back, {
    "set-cookie": cookieHeader(SESSION_COOKIE, started.token, {
      secure: ctx.facts.secure,
      maxAgeSeconds: Math.floor(SESSION_TTL_MS / 1000),
    }),
  });
}

/**
 * With a trusted proxy's user header on the admin read API: the caller it
 * names (null without a header); a bad header is a 400, a disabled account a 403.
 */
async function proxiedCaller(deps: AccessDeps, ctx: RouteContext): Promise<Caller | null> {
  if (deps.authProxy === null) return null;
  const proxied = await proxySignIn(deps, ctx.request, ctx.facts.peerAddress);
  if (proxied.kind === "none") return null;
  if (proxied.kind === "refused") {
    throw new ClientError(proxied.status, proxied.code, proxied.message);
  }
  return { actor: proxied.username, role: proxied.role, scope: "write", userId: proxied.userId };
}

/** Whether an account of role `has` may call a route that needs `needs`. */
function mayAct(has: Role, needs: Role): boolean {
  return needs === "viewer" || has === "admin";
}

/** The 403 page of a signed-in viewer at a route only an admin may use. */
function roleRefused(session: SignedIn): Response {
  return messagePage(viewerOf(session), {
    status: 403,
    title: "Not allowed",
    message: `Only an admin can do this: the account "${session.user.username}" is a viewer, ` +
      "which sees every page but changes nothing. Ask an admin to change its role.",
  });
}

/** Throws the API's 403 when `caller` may not call a route of `method` that needs `role`. */
function refuseCaller(caller: Caller, route: { method: string; role: Role }): void {
  if (route.method !== "GET" && caller.scope === "read") {
    throw new ClientError(
      403,
      "read_only_token",
      `Cannot ${route.method} with ${caller.actor} as its scope is read: use a token of ` +
        "scope write, made by an admin",
    );
  }
  if (!mayAct(caller.role, route.role)) {
    throw new ClientError(
      403,
      "forbidden",
      `Cannot serve this to ${caller.actor} as it is a viewer's: only an admin may ` +
        (route.method === "GET" ? "read it" : "change it"),
    );
  }
}

/** The signed body of an instance's request, once its signature holds. */
async function signedBody(deps: AccessDeps, ctx: RouteContext): Promise<Granted["instance"]> {
  refuseOverLimit(deps.perAddress, ctx.facts.clientAddress);
  const body = await readBody(ctx.request);
  const instance = await authenticateInstance(deps.ingest, {
    instanceId: ctx.request.headers.get("x-instance-id"),
    signature: ctx.request.headers.get("x-signature"),
  }, body);
  ctx.noteInstance(instance.instanceId);
  // Only after the signature holds, so nobody can exhaust another instance's allowance.
  refuseOverLimit(deps.perInstance, instance.instanceId);
  return { instance, body };
}
