/** Signing in and out of the dashboard: the login page, its form, and `/logout`. */

import {
  hasAccounts,
  type OidcClient,
  randomToken,
  readLogoutHint,
  sameToken,
  SESSION_TTL_MS,
  signIn,
  signOut,
} from "../accounts/mod.ts";
import type { Database } from "../store/mod.ts";
import { LoginPage } from "../ui/LoginPage.tsx";
import { MessagePage } from "../ui/MessagePage.tsx";
import { SignedOutPage } from "../ui/SignedOutPage.tsx";
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
import { OIDC_SESSION_COOKIE } from "./oidc_routes.ts";

/** How long a browser stays known for sign-in limits after it signed in (a year). */
const DEVICE_COOKIE_MAX_AGE_SECONDS = 365 * 86_400;

/** What signing in needs. */
export interface SignInDeps {
  readonly db: Database;
  readonly now: () => Date;
  /** Sign-in attempts per address, username and known browser. */
  readonly signInLimits: SignInLimits;
  /** The OpenID Connect provider the login page offers; null: none. */
  readonly oidc: OidcClient | null;
  /** Whether the login page takes a username and password (`SHM_LOCAL_LOGIN`). */
  readonly localLogin: boolean;
}

/**
 * The handlers of `GET /login` (the form and the provider's button, or a
 * redirect when signed in already), `POST /login` (public: refused with 403
 * when local sign-in is off; its own CSRF cookie, the sign-in limits, then
 * the password) and `POST /logout` (access `session_form`; a session that
 * came from the provider is offered the provider's sign-out as well, with
 * the sign-in's ID token as `id_token_hint` when it was kept).
 */
export function signInHandlers(deps: SignInDeps): {
  loginPage: Handler<"public">;
  login: Handler<"public">;
  logout: Handler<"session_form">;
} {
  const { db, now } = deps;
  const provider = () =>
    deps.oidc === null ? null : { name: deps.oidc.name, unavailable: deps.oidc.unavailable() };
  return {
    loginPage: async (ctx) => {
      const next = safeLocation(ctx.url.searchParams.get("next"));
      if (await signedIn(db, ctx.request, now()) !== null) return redirect(next);
      const csrfToken = randomToken();
      const noAccountYet = !await hasAccounts(db);
      const login = {
        csrfToken,
        next,
        noAccountYet,
        provider: provider(),
        localLogin: deps.localLogin,
      };
      return page(LoginPage(login), 200, {
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
      if (!deps.localLogin) {
        // Read whole already when it came through the accept loop; a stream otherwise.
        if (!ctx.request.bodyUsed) await ctx.request.body?.cancel();
        return page(
          MessagePage({
            title: "Password sign-in is off",
            message: "This server signs people in with " +
              `${deps.oidc?.name ?? "its single sign-on"} only: use the button on the login page.`,
            viewer: null,
          }),
          403,
        );
      }
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
            provider: provider(),
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
      const secure = ctx.facts.secure;
      const headers = new Headers();
      headers.append("set-cookie", cookieHeader(SESSION_COOKIE, null, { secure }));
      const cookie = readCookie(ctx.request, OIDC_SESSION_COOKIE);
      if (cookie !== undefined) {
        headers.append(
          "set-cookie",
          cookieHeader(OIDC_SESSION_COOKIE, null, { secure, path: "/logout" }),
        );
      }
      // A cookie left by an earlier session (this one signed in with a password) is not this one's.
      const hint = cookie === undefined ? null : await readLogoutHint(ctx.session.token, cookie);
      const endSession = hint?.kind === "provider"
        ? deps.oidc?.endSessionUrl(hint.idToken) ?? null
        : null;
      if (endSession === null || deps.oidc === null) return redirect("/login", headers);
      // A page with a link rather than a redirect: the form's content security policy
      // (form-action 'self') would stop a redirect to the provider.
      return page(
        SignedOutPage({ provider: deps.oidc.name, endSessionUrl: endSession }),
        200,
        headers,
      );
    },
  };
}
