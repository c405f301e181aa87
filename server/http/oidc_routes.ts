/**
 * Signing in with OpenID Connect: `GET /login/oidc` sends the browser to
 * the provider with a fresh state, nonce and PKCE challenge, kept in a
 * short-lived HttpOnly cookie; `GET /login/oidc/callback` takes the
 * provider's answer back, compares the state, has the code exchanged and the
 * ID token checked (`accounts/oidc_client.ts`), finds or makes the account
 * and starts an ordinary session, its ID token kept for the sign-out. A
 * callback without the cookie, with another state or with the provider's
 * error is a page saying so (400, 403), and nothing is made.
 */

import {
  type LoginState,
  logoutHintCookie,
  oidcAccount,
  type OidcClient,
  OidcRefusal,
  SESSION_TTL_MS,
  startSession,
} from "../accounts/mod.ts";
import type { Logger } from "../log.ts";
import type { Database } from "../store/mod.ts";
import { MessagePage } from "../ui/MessagePage.tsx";
import { page, redirect } from "./page_support.ts";
import type { Handler } from "./route_declaration.ts";
import { safeLocation } from "./safe_location.ts";
import { cookieHeader, readCookie, SESSION_COOKIE } from "./session_auth.ts";

/** The cookie holding a sign-in's state, nonce, PKCE verifier and where to go after. */
export const OIDC_LOGIN_COOKIE = "shm_oidc_login";

/**
 * The cookie saying a session came from the provider, so that signing out
 * offers its sign-out: tied to the session, with the ID token of the sign-in
 * for `id_token_hint` (`accounts/oidc_logout_hint.ts`), sent to `/logout` only.
 */
export const OIDC_SESSION_COOKIE = "shm_oidc_session";

/** Where the sign-in cookie is sent: the start and the callback only. */
const COOKIE_PATH = "/login/oidc";

/** How long a sign-in at the provider may take, in seconds. */
const LOGIN_MAX_AGE_SECONDS = 600;

const RANDOM_PART = /^[A-Za-z0-9_-]{22,128}$/;

/** What signing in with a provider needs. */
export interface OidcRouteDeps {
  readonly db: Database;
  readonly now: () => Date;
  readonly log: Logger;
  /** The provider; null when OpenID Connect is not configured (the routes answer 404). */
  readonly oidc: OidcClient | null;
  /** Whether local sign-in is on (the login page shown on a failure offers it). */
  readonly localLogin: boolean;
}

/** The handlers of `GET /login/oidc` and `GET /login/oidc/callback`. */
export function oidcHandlers(deps: OidcRouteDeps): {
  start: Handler<"public">;
  callback: Handler<"public">;
} {
  const notConfigured = () =>
    page(
      MessagePage({
        title: "Not found",
        message: "This server does not sign in with OpenID Connect.",
        viewer: null,
      }),
      404,
    );
  return {
    start: async (ctx) => {
      const oidc = deps.oidc;
      if (oidc === null) return notConfigured();
      const next = safeLocation(ctx.url.searchParams.get("next"));
      let started: Awaited<ReturnType<OidcClient["begin"]>>;
      try {
        started = await oidc.begin();
      } catch (error) {
        if (!(error instanceof OidcRefusal)) throw error;
        // The login page says why, and local sign-in (when on) still works from it.
        return redirect(`/login?next=${encodeURIComponent(next)}`);
      }
      const { state, nonce, verifier } = started.saved;
      const headers = new Headers({ location: started.url.href, "cache-control": "no-store" });
      headers.append(
        "set-cookie",
        cookieHeader(OIDC_LOGIN_COOKIE, [state, nonce, verifier, encodeNext(next)].join("."), {
          secure: ctx.facts.secure,
          path: COOKIE_PATH,
          maxAgeSeconds: LOGIN_MAX_AGE_SECONDS,
        }),
      );
      return new Response(null, { status: 303, headers });
    },

    callback: async (ctx) => {
      const oidc = deps.oidc;
      if (oidc === null) return notConfigured();
      const secure = ctx.facts.secure;
      const headers = new Headers();
      // The sign-in cookie is used once, whatever the outcome.
      headers.append(
        "set-cookie",
        cookieHeader(OIDC_LOGIN_COOKIE, null, { secure, path: COOKIE_PATH }),
      );
      const refused = (status: number, title: string, message: string) =>
        page(MessagePage({ title, message, viewer: null }), status, headers);
      const saved = parseLoginCookie(readCookie(ctx.request, OIDC_LOGIN_COOKIE));
      if (saved === null) {
        return refused(
          400,
          "Sign-in refused",
          "This browser has no sign-in with the provider in progress (it took longer than " +
            `${LOGIN_MAX_AGE_SECONDS / 60} minutes, or cookies are blocked): start again from ` +
            "the login page.",
        );
      }
      let signedIn;
      try {
        signedIn = await oidc.finish(ctx.url.searchParams, saved);
      } catch (error) {
        if (!(error instanceof OidcRefusal)) throw error;
        return refused(error.status, error.title, error.message);
      }
      const account = await oidcAccount(deps.db, { ...signedIn.person, now: deps.now() });
      if (account.kind === "disabled") {
        return refused(
          403,
          "Cannot sign in",
          `Cannot sign in as "${account.username}" as the account is disabled: ask an admin.`,
        );
      }
      if (account.kind === "name_taken") {
        return refused(
          409,
          "Cannot sign in",
          `Cannot make an account "${account.username}" for you as another account has that ` +
            "name and was not made by this provider: ask an admin to rename or remove it.",
        );
      }
      if (account.keptLastAdmin) {
        deps.log.warn("role kept: the last active admin is not demoted", {
          username: account.username,
          by: "openid connect",
        });
      }
      const session = await startSession(deps.db, { userId: account.userId, now: deps.now() });
      const maxAgeSeconds = Math.floor(SESSION_TTL_MS / 1000);
      headers.append(
        "set-cookie",
        cookieHeader(SESSION_COOKIE, session.token, { secure, maxAgeSeconds }),
      );
      const hint = await logoutHintCookie(session.token, signedIn.idToken);
      if (hint.skipped !== null) {
        deps.log.info("id token not kept for the sign-out at the provider", {
          username: account.username,
          reason: hint.skipped,
          length: signedIn.idToken.length,
        });
      }
      headers.append(
        "set-cookie",
        cookieHeader(OIDC_SESSION_COOKIE, hint.value, { secure, path: "/logout", maxAgeSeconds }),
      );
      return redirect(saved.next, headers);
    },
  };
}

/** The sign-in cookie's parts, or null when it is absent or not one this server set. */
function parseLoginCookie(value: string | undefined): (LoginState & { next: string }) | null {
  const parts = value?.split(".") ?? [];
  if (parts.length !== 4) return null;
  const [state, nonce, verifier, next] = parts as [string, string, string, string];
  if (![state, nonce, verifier].every((part) => RANDOM_PART.test(part))) return null;
  return { state, nonce, verifier, next: decodeNext(next) };
}

/** A local path as base64url, so that it fits a cookie value. */
function encodeNext(next: string): string {
  const bytes = new TextEncoder().encode(next);
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replaceAll("=", "");
}

/** The path {@linkcode encodeNext} wrote, checked again; `/` for anything else. */
function decodeNext(encoded: string): string {
  try {
    const binary = atob(encoded.replaceAll("-", "+").replaceAll("_", "/"));
    const text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(binary, (char) => char.charCodeAt(0)),
    );
    return safeLocation(text);
  } catch {
    return "/";
  }
}
