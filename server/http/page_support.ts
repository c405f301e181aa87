/**
 * What every dashboard route shares: HTML responses, redirects, the session
 * gate that sends a visitor to `/login`, form bodies and the CSRF check.
 */

import type { VNode } from "preact";
import { sameToken } from "../accounts/mod.ts";
import type { Database } from "../store/mod.ts";
import type { Viewer } from "../ui/Layout.tsx";
import { MessagePage } from "../ui/MessagePage.tsx";
import { htmlResponse } from "../ui/render.ts";
import { readBody } from "./read_body.ts";
import { printableText } from "../../shared/text_rules.ts";
import type { RouteContext, RouteOptions } from "./router.ts";
import { safeLocation } from "./safe_location.ts";
import { type SignedIn, signedIn } from "./session_auth.ts";

/** Largest form body accepted (the dashboard's forms are tiny). */
const MAX_FORM_BYTES = 8 * 1024;

/** An HTML page response. */
export function page(vnode: VNode, status = 200, headers: HeadersInit = {}): Response {
  return htmlResponse(vnode, { status, headers });
}

/**
 * A 303 to `location`, never cached, with more headers if given. The
 * location goes through {@linkcode safeLocation}: a value that is not a
 * path on this server becomes `/`.
 */
export function redirect(location: string | null, headers: HeadersInit = {}): Response {
  const all = new Headers(headers);
  all.set("location", safeLocation(location));
  all.set("cache-control", "no-store");
  return new Response(null, { status: 303, headers: all });
}

/**
 * Options of every page route: a path parameter that breaks its rule (a
 * slug with a NUL, an id that is no UUID) gets the 404 page before any
 * session or query.
 */
export const PAGE_ROUTE: RouteOptions = {
  refuse: (_ctx, problem) => {
    const shown = printableText(problem.value, 100);
    return messagePage(null, {
      status: 404,
      title: "Not found",
      message: NOT_FOUND_MESSAGES.get(problem.name)?.(shown) ??
        `Nothing is here: "${problem.name}" must be ${problem.expected}, not "${shown}".`,
    });
  },
};

/** The 404 sentence of a page whose path names nothing, by parameter (as for an unknown value). */
const NOT_FOUND_MESSAGES: ReadonlyMap<string, (shown: string) => string> = new Map([
  ["slug", (shown: string) => `No application has the slug "${shown}".`],
  ["instanceId", (shown: string) => `No instance has the id "${shown}".`],
  ["tokenId", (shown: string) => `You have no live token with the id "${shown}".`],
  ["asset", () => "No such asset."],
]);

/** The 403 page of a form posted without its valid CSRF token. */
export function csrfRefused(viewer: Viewer | null): Response {
  return page(
    MessagePage({
      title: "Form refused",
      message: "The form was missing its security token or it had expired: reload the page and " +
        "try again.",
      viewer,
    }),
    403,
  );
}

/** A message page with `status` (404 not found, 400 bad parameter). */
export function messagePage(
  viewer: Viewer | null,
  options: { status: number; title: string; message: string },
): Response {
  return page(
    MessagePage({ title: options.title, message: options.message, viewer }),
    options.status,
  );
}

/** The top bar's view of a session. */
export function viewerOf(session: SignedIn): Viewer {
  return { username: session.user.username, csrfToken: session.csrfToken };
}

/** Reads a urlencoded form body (at most 8 KiB). */
export async function readForm(request: Request): Promise<URLSearchParams> {
  const bytes = await readBody(request, MAX_FORM_BYTES);
  return new URLSearchParams(new TextDecoder().decode(bytes));
}

/**
 * Wraps a page handler: without a valid session the visitor is sent to
 * `/login?next=…`; with one the handler runs with it.
 */
export function sessionPage(
  deps: { db: Database; now: () => Date },
  handler: (ctx: RouteContext, session: SignedIn) => Promise<Response>,
): (ctx: RouteContext) => Promise<Response> {
  return async (ctx) => {
    const session = await signedIn(deps.db, ctx.request, deps.now());
    if (session === null) {
      const next = `${ctx.url.pathname}${ctx.url.search}`;
      return redirect(`/login?next=${encodeURIComponent(next)}`);
    }
    return await handler(ctx, session);
  };
}

/**
 * Wraps a form handler: without a session the post is sent to `/login`;
 * without the session's CSRF token it is refused with 403 before the
 * handler runs; otherwise the handler gets the parsed form.
 */
export function sessionForm(
  deps: { db: Database; now: () => Date },
  handler: (ctx: RouteContext, session: SignedIn, form: URLSearchParams) => Promise<Response>,
): (ctx: RouteContext) => Promise<Response> {
  return async (ctx) => {
    const session = await signedIn(deps.db, ctx.request, deps.now());
    if (session === null) return redirect("/login");
    const form = await readForm(ctx.request);
    if (!await sameToken(session.csrfToken, form.get("_csrf") ?? "")) {
      return csrfRefused(viewerOf(session));
    }
    return await handler(ctx, session, form);
  };
}
