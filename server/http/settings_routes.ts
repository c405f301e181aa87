/**
 * The settings page (with the audit log's newest lines) and its forms: API
 * tokens (create, revoke) and changing one's password, each recorded in the
 * audit log in the signed-in user's name.
 */

import { passwordProblem } from "../../shared/account_rules.ts";
import { isDisplayText } from "../../shared/text_rules.ts";
import {
  createApiToken,
  listAccounts,
  revokeUserApiToken,
  setPassword,
  userApiTokens,
} from "../accounts/mod.ts";
import { auditTrail } from "../lifecycle/mod.ts";
import type { Database } from "../store/mod.ts";
import { SettingsPage, type SettingsPageProps } from "../ui/SettingsPage.tsx";
import { messagePage, page, redirect, viewerOf } from "./page_support.ts";
import type { Handler } from "./route_declaration.ts";
import type { SignedIn } from "./session_auth.ts";

/** What the settings routes need. */
export interface SettingsDeps {
  readonly db: Database;
  readonly now: () => Date;
}

/** How many audit lines the settings page shows. */
const AUDIT_LINES_SHOWN = 50;

/** The notices `?done=` names; a Map, so that no request can name a property of Object. */
const NOTICES: ReadonlyMap<string, string> = new Map([
  ["password", "Your password was changed; your other sessions were signed out."],
  ["revoked", "The token was revoked."],
]);

/**
 * The handlers of `GET /settings` (access `session`) and its forms (access
 * `session_form`): create a token, revoke one, change one's password.
 */
export function settingsHandlers(deps: SettingsDeps): {
  page: Handler<"session">;
  createToken: Handler<"session_form">;
  revokeToken: Handler<"session_form">;
  changePassword: Handler<"session_form">;
} {
  const { db, now } = deps;

  const settingsPage = async (
    session: SignedIn,
    extra: Pick<SettingsPageProps, "newToken" | "notice" | "error"> = {},
    status = 200,
  ) => {
    const [accounts, tokens, audit] = await Promise.all([
      listAccounts(db),
      userApiTokens(db, session.user.userId),
      auditTrail(db, AUDIT_LINES_SHOWN),
    ]);
    return page(
      SettingsPage({ viewer: viewerOf(session), accounts, tokens, audit, now: now(), ...extra }),
      status,
    );
  };

  return {
    page: async ({ url, session }) => {
      const notice = NOTICES.get(url.searchParams.get("done") ?? "");
      return await settingsPage(session, notice === undefined ? {} : { notice });
    },

    createToken: async ({ session, form }) => {
      const name = (form.get("name") ?? "").trim();
      if (name === "" || [...name].length > 100 || !isDisplayText(name)) {
        return await settingsPage(session, {
          error: "A token needs a name of 1 to 100 characters, without control characters.",
        }, 400);
      }
      const created = await createApiToken(db, {
        userId: session.user.userId,
        name,
        now: now(),
        actor: session.user.username,
      });
      return await settingsPage(session, { newToken: { name, token: created.token } }, 201);
    },

    revokeToken: async ({ params, session }) => {
      const idText = params["tokenId"] ?? "";
      const id = /^\d{1,9}$/.test(idText) ? Number(idText) : null;
      const revoked = id !== null &&
        await revokeUserApiToken(db, {
          id,
          userId: session.user.userId,
          now: now(),
          actor: session.user.username,
        });
      if (!revoked) {
        return messagePage(viewerOf(session), {
          status: 404,
          title: "Not found",
          message: `You have no live token with the id "${idText.slice(0, 20)}".`,
        });
      }
      return redirect("/settings?done=revoked");
    },

    changePassword: async ({ session, form }) => {
      const current = form.get("current_password") ?? "";
      const next = form.get("new_password") ?? "";
      if (next !== (form.get("confirm_password") ?? "")) {
        return await settingsPage(session, { error: "The two new passwords differ." }, 400);
      }
      const problem = passwordProblem(next);
      if (problem !== null) return await settingsPage(session, { error: problem }, 400);
      const outcome = await setPassword(db, {
        username: session.user.username,
        currentPassword: current,
        newPassword: next,
        keepSessionToken: session.token,
        actor: session.user.username,
        now: now(),
      });
      if (outcome !== "changed") {
        return await settingsPage(session, { error: "The current password is wrong." }, 403);
      }
      return redirect("/settings?done=password");
    },
  };
}
