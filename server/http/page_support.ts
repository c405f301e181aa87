/**
 * What every dashboard route shares: HTML responses, redirects, message
 * pages, form bodies and the page of a form refused for its CSRF token.
 */

import type { VNode } from "preact";
import type { Viewer } from "../ui/Layout.tsx";
import { MessagePage } from "../ui/MessagePage.tsx";
import { htmlResponse } from "../ui/render.ts";
import { readBody } from "./read_body.ts";
import { safeLocation } from "./safe_location.ts";
import type { SignedIn } from "./session_auth.ts";

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

/** A message page with `status` (404 not found, 400 bad parameter) and more headers if given. */
export function messagePage(
  viewer: Viewer | null,
  options: { status: number; title: string; message: string; headers?: HeadersInit },
): Response {
  return page(
    MessagePage({ title: options.title, message: options.message, viewer }),
    options.status,
    options.headers,
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
