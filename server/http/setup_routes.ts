/**
 * The one-time setup link: when the server starts with no account and no
 * `SHM_ADMIN_PASSWORD`, it prints `/setup?token=…`; that page creates the
 * first account, once, and signs it in. The token lives only in this
 * process's memory.
 */

import { isUsername, passwordProblem, USERNAME_RULE } from "../../shared/account_rules.ts";
import { createAccount, hasAccounts, sameToken, SESSION_TTL_MS, signIn } from "../accounts/mod.ts";
import type { Database } from "../store/mod.ts";
import { SetupPage } from "../ui/SetupPage.tsx";
import { messagePage, page, readForm, redirect } from "./page_support.ts";
import type { Handler } from "./route_declaration.ts";
import { cookieHeader, SESSION_COOKIE } from "./session_auth.ts";

/** What the setup routes need. */
export interface SetupDeps {
  readonly db: Database;
  readonly now: () => Date;
  /** The token the start printed; null when no setup link was printed. */
  readonly setupToken: string | null;
}

/**
 * The handlers of `GET /setup` (the form) and `POST /setup` (its post, which
 * creates the account and signs it in), both public: each checks the link's
 * token itself.
 */
export function setupHandlers(deps: SetupDeps): {
  form: Handler<"public">;
  create: Handler<"public">;
} {
  const { db, now, setupToken } = deps;

  /** Null when the link is valid and unused, else the response that says why not. */
  const refusal = async (token: string): Promise<Response | null> => {
    if (setupToken === null || !await sameToken(setupToken, token)) {
      return messagePage(null, {
        status: 404,
        title: "Not found",
        message: "This setup link is not valid: use the one the server printed at start.",
      });
    }
    if (await hasAccounts(db)) {
      return messagePage(null, {
        status: 410,
        title: "Setup is done",
        message: "An account exists already: sign in instead.",
      });
    }
    return null;
  };

  const form: Handler<"public"> = async (ctx) => {
    const token = ctx.url.searchParams.get("token") ?? "";
    return await refusal(token) ?? page(SetupPage({ setupToken: token }));
  };

  const create: Handler<"public"> = async (ctx) => {
    const form = await readForm(ctx.request);
    const token = form.get("token") ?? "";
    const refused = await refusal(token);
    if (refused !== null) return refused;
    const username = (form.get("username") ?? "").trim();
    const password = form.get("password") ?? "";
    const again = (error: string) =>
      page(SetupPage({ setupToken: token, username: username.slice(0, 64), error }), 400);
    if (!isUsername(username)) return again(`A username has ${USERNAME_RULE}`);
    if (password !== (form.get("confirm_password") ?? "")) {
      return again("The two passwords differ.");
    }
    const problem = passwordProblem(password);
    if (problem !== null) return again(problem);
    const created = await createAccount(db, { username, password, now: now() }, {
      firstOnly: true,
      actor: "setup link",
    });
    if (created === "exists") {
      return messagePage(null, {
        status: 410,
        title: "Setup is done",
        message: "An account exists already: sign in instead.",
      });
    }
    // The person who just chose the password is the one at the keyboard: no second sign-in.
    const session = await signIn(db, { username, password, now: now() });
    if (session === null) return redirect("/login");
    return redirect("/", {
      "set-cookie": cookieHeader(SESSION_COOKIE, session.token, {
        secure: ctx.facts.secure,
        maxAgeSeconds: Math.floor(SESSION_TTL_MS / 1000),
      }),
    });
  };

  return { form, create };
}
