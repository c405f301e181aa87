/** Signing in and out of the dashboard: the login page, its form, and `/logout`. */

import {
  hasAccounts,
  randomToken,
  sameToken,
  SESSION_TTL_MS,
  signIn,
  signOut,
} from "../accounts/mod.ts";
import type { Database } from "../store/mod.ts";
import { LoginPage } from "../ui/LoginPage.tsx";
import { MessagePage } from "../ui/MessagePage.tsx";
import { isUsername } from "../../shared/account_rules.ts";
import { printableText } from "../../shared/text_rules.ts";
import { csrfRefused, page, readForm, redirect } from "./page_support.ts";
import type { Handler } from "./route_declaration.ts";
import { safeLocation } from "./safe_location.ts";
import {
  cookieHeader,
  DEVICE_COOKIE,
  LOGIN_CSRF_COOKIE,
  readCookie,
  SESSION_COOKIE,
  signedIn,
} from "./session_auth.ts";
import type { SignInLimits } from "./sign_in_limits.ts";

/** How long a browser stays known for sign-in limits after it signed in (a year). */
const DEVICE_COOKIE_MAX_AGE_SECONDS = 365 * 86_400;

/** What signing in needs. */
export interface SignInDeps {
  readonly db: Database;
  readonly now: () => Date;
  /** Sign-in attempts per address, username and known browser. */
  readonly signInLimits: SignInLimits;
}

/**
 * The handlers of `GET /login` (the form, or a redirect when signed in
 * already), `POST /login` (public: its own CSRF cookie, the sign-in limits,
 * then the password) and `POST /logout` (access `session_form`).
 */
export function signInHandlers(deps: SignInDeps): {
  loginPage: Handler<"public">;
  login: Handler<"public">;
  logout: Handler<"session_form">;
} {
  const { db, now } = deps;
  return {
    loginPage: async (ctx) => {
      const next = safeLocation(ctx.url.searchParams.get("next"));
      if (await signedIn(db, ctx.request, now()) !== null) return redirect(next);
      const csrfToken = randomToken();
      const noAccountYet = !await hasAccounts(db);
      return page(LoginPage({ csrfToken, next, noAccountYet }), 200, {
        "set-cookie": cookieHeader(LOGIN_CSRF_COOKIE, csrfToken, {
          secure: ctx.facts.secure,
          path: "/login",
          maxAgeSeconds: 3600,
        }),
      });
    },

    login: async (ctx) => {
      const secure = ctx.facts.secure;
      const next = safeLocation(ctx.url.searchParams.get("next"));
      const form = await readForm(ctx.request);
      const cookieToken = readCookie(ctx.request, LOGIN_CSRF_COOKIE);
      const formToken = form.get("_csrf") ?? "";
      if (cookieToken === undefined || !await sameToken(cookieToken, formToken)) {
        return csrfRefused(null);
      }
      const username = (form.get("username") ?? "").trim();
      const password = form.get("password") ?? "";
      const knownName = isUsername(username);
      const decision = await deps.signInLimits.admit({
        address: ctx.facts.clientAddress,
        username: knownName ? username : null,
        device: readCookie(ctx.request, DEVICE_COOKIE),
      });
      if (!decision.allowed) {
        return page(
          MessagePage({
            title: "Too many sign-in attempts",
            message: `Wait ${decision.retryAfterSeconds} s and try again.`,
            viewer: null,
          }),
          429,
          { "retry-after": String(decision.retryAfterSeconds) },
        );
      }
      // A name that cannot be a username never reaches the store (it may hold a NUL).
      const session = !knownName || password === ""
        ? null
        : await signIn(db, { username, password, now: now() });
      if (session === null) {
        return page(
          LoginPage({
            csrfToken: cookieToken,
            next,
            username: printableText(username, 64),
            error: "Wrong username or password.",
            noAccountYet: !await hasAccounts(db),
          }),
          401,
        );
      }
      decision.succeeded();
      const headers = new Headers();
      headers.append(
        "set-cookie",
        cookieHeader(SESSION_COOKIE, session.token, {
          secure,
          maxAgeSeconds: Math.floor(SESSION_TTL_MS / 1000),
        }),
      );
      headers.append(
        "set-cookie",
        cookieHeader(LOGIN_CSRF_COOKIE, null, { secure, path: "/login" }),
      );
      headers.append(
        "set-cookie",
        cookieHeader(DEVICE_COOKIE, await deps.signInLimits.deviceToken(username), {
          secure,
          path: "/login",
          maxAgeSeconds: DEVICE_COOKIE_MAX_AGE_SECONDS,
        }),
      );
      return redirect(next, headers);
    },

    logout: async (ctx) => {
      await signOut(db, ctx.session.token);
      return redirect("/login", {
        "set-cookie": cookieHeader(SESSION_COOKIE, null, { secure: ctx.facts.secure }),
      });
    },
  };
}
