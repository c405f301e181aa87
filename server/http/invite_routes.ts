/**
 * The invitation link (`/invite?token=…`), made by an admin on the settings
 * page or with `POST /api/v1/admin/users`: its page asks the invited person
 * for a password; its post makes the account with the invited role, once,
 * and signs it in. Both are public: the link's token is the proof.
 */

import { passwordProblem } from "../../shared/account_rules.ts";
import { acceptInvite, invitationFor, SESSION_TTL_MS, startSession } from "../accounts/mod.ts";
import type { Database } from "../store/mod.ts";
import { InvitePage } from "../ui/InvitePage.tsx";
import { messagePage, page, readForm, redirect } from "./page_support.ts";
import type { Handler } from "./route_declaration.ts";
import { cookieHeader, SESSION_COOKIE } from "./session_auth.ts";

/** What the invitation routes need. */
export interface InviteDeps {
  readonly db: Database;
  readonly now: () => Date;
  /** Whether people may sign in with a password; without, an invitation cannot be taken. */
  readonly localLogin: boolean;
}

/** The page of a link that is unknown, used or expired. */
function invalidLink(): Response {
  return messagePage(null, {
    status: 404,
    title: "Invitation not valid",
    message: "This invitation link is unknown, used or expired: ask an admin for a new one.",
  });
}

/** The page of a link while local sign-in is off: a password chosen here could not be used. */
function localLoginOff(): Response {
  return messagePage(null, {
    status: 409,
    title: "Sign in with your provider",
    message: "Passwords are not used on this server: sign in with OpenID Connect from the " +
      "sign-in page, and your account is made then.",
  });
}

/** The handlers of `GET /invite` (the form) and `POST /invite` (access `public`). */
export function inviteHandlers(deps: InviteDeps): {
  form: Handler<"public">;
  accept: Handler<"public">;
} {
  const { db, now } = deps;
  return {
    form: async ({ url }) => {
      if (!deps.localLogin) return localLoginOff();
      const token = url.searchParams.get("token") ?? "";
      const invite = await invitationFor(db, token, now());
      if (invite === null) return invalidLink();
      return page(InvitePage({ token, ...invite }));
    },

    accept: async ({ request, facts }) => {
      if (!deps.localLogin) return localLoginOff();
      const form = await readForm(request);
      const token = form.get("token") ?? "";
      const invite = await invitationFor(db, token, now());
      if (invite === null) return invalidLink();
      const password = form.get("password") ?? "";
      const again = (error: string) => page(InvitePage({ token, ...invite, error }), 400);
      if (password !== (form.get("confirm_password") ?? "")) {
        return again("The two passwords differ.");
      }
      const problem = passwordProblem(password);
      if (problem !== null) return again(problem);
      const accepted = await acceptInvite(db, { token, password, now: now() });
      if (accepted.kind === "invalid") return invalidLink();
      if (accepted.kind === "exists") {
        return messagePage(null, {
          status: 409,
          title: "Name taken",
          message: `An account named "${invite.username}" exists already: sign in instead.`,
        });
      }
      // Whoever chose the password holds the link: no second sign-in.
      const session = await startSession(db, { userId: accepted.userId, now: now() });
      return redirect("/", {
        "set-cookie": cookieHeader(SESSION_COOKIE, session.token, {
          secure: facts.secure,
          maxAgeSeconds: Math.floor(SESSION_TTL_MS / 1000),
        }),
      });
    },
  };
}
