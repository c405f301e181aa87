/** A signed-in dashboard client for the benches: a session cookie, the admin token, plain GETs. */

import { cookieValue } from "../tests/support/dashboard.ts";
import type { TestServer } from "../tests/support/server.ts";

/** What a bench needs to request pages and the admin API of `server`. */
export interface BenchClient {
  readonly pageHeaders: Record<string, string>;
  readonly adminHeaders: Record<string, string>;
  /** GETs `path` and returns its body; throws unless the answer is 200. */
  getText(path: string, headers?: Record<string, string>): Promise<string>;
}

/** Signs in to `server` as a browser would (CSRF cookie and field, then the session cookie). */
export async function signInBench(
  server: TestServer,
  account: { username: string; password: string },
): Promise<BenchClient> {
  const form = await fetch(`${server.url}/login`);
  const csrf = cookieValue(form, "shm_login_csrf");
  await form.body?.cancel();
  if (csrf === undefined) throw new Error("GET /login set no CSRF cookie");
  const login = await fetch(`${server.url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: `shm_login_csrf=${csrf}`,
    },
    body: new URLSearchParams({ _csrf: csrf, ...account }).toString(),
  });
  await login.body?.cancel();
  const session = cookieValue(login, "shm_session");
  if (login.status !== 303 || session === undefined) {
    throw new Error(`POST /login answered ${login.status} without a session`);
  }
  const pageHeaders = { cookie: `shm_session=${session}` };
  return {
    pageHeaders,
    adminHeaders: { authorization: `Bearer ${server.adminToken}` },
    async getText(path, headers = pageHeaders) {
      const response = await fetch(`${server.url}${path}`, { headers, redirect: "manual" });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
      return body;
    },
  };
}

/** The link of the "next page" anchor of an instances page, unescaped; null on the last page. */
export function nextPageLink(html: string): string | null {
  const next = /<a rel="next" href="([^"]+)"/.exec(html)?.[1];
  return next === undefined ? null : unescapeHtml(next);
}

/** Undoes the HTML escaping of an attribute value. */
export function unescapeHtml(text: string): string {
  return text.replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#39;", "'");
}
