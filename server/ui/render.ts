/** Turning a page's virtual DOM into an HTML response with the dashboard's security headers. */

import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";

/**
 * Headers of every dashboard page: no framing, no sniffing, and a content
 * security policy that allows only this server's scripts (uPlot sets inline
 * styles, hence `style-src 'unsafe-inline'`).
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
};

/** Renders `page` as a complete HTML document. */
export function htmlDocument(page: VNode): string {
  return `<!DOCTYPE html>${renderToString(page)}`;
}

/** Renders `page` as a complete HTML document response. */
export function htmlResponse(
  page: VNode,
  options: { status?: number; headers?: HeadersInit } = {},
): Response {
  const headers = new Headers(PAGE_HEADERS);
  for (const [name, value] of new Headers(options.headers)) headers.append(name, value);
  return new Response(htmlDocument(page), {
    status: options.status ?? 200,
    headers,
  });
}
