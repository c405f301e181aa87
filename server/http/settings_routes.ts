/** The settings page and its forms: API tokens (create, revoke) and changing one's password. */

import { passwordProblem } from "../../shared/account_rules.ts";
import { isDisplayText } from "../../shared/text_rules.ts";
import {
  createApiToken,
  listAccounts,
  revokeUserApiToken,
  setPassword,
  userApiTokens,
} from "../accounts/mod.ts";
import type { Database } from "../store/mod.ts";
import { SettingsPage, type SettingsPageProps } from "../ui/SettingsPage.tsx";
import {
  messagePage,
  page,
  PAGE_ROUTE,
  redirect,
  sessionForm,
  sessionPage,
  viewerOf,
} from "./page_support.ts";
import type { Router } from "./router.ts";
import type { SignedIn } from "./session_auth.ts";

/** What the settings routes need. */
export interface SettingsDeps {
  readonly db: Database;
  readonly now: () => Date;
}

/** The notices `?done=` names; a Map, so that no request can name a property of Object. */
const NOTICES: ReadonlyMap<string, string> = new Map([
  ["password", "Your password was changed; your other sessions were signed out."],
  ["revoked", "The token was revoked."],
]);

/** Adds `/settings` and its form posts to `router`. */
export function addSettingsRoutes(router: Router, deps: SettingsDeps): void {
  const { db, now } = deps;

  const settingsPage = async (
    session: SignedIn,
    extra: Pick<SettingsPageProps, "newToken" | "notice" | "error"> = {},
    status = 200,
  ) => {
    const [accounts, tokens] = await Promise.all([
      listAccounts(db),
      userApiTokens(db, session.user.userId),
    ]);
    return page(
      SettingsPage({ viewer: viewerOf(session), accounts, tokens, now: now(), ...extra }),
      status,
    );
  };

  router.on(
    "GET",
    "/settings",
    sessionPage(deps, async (ctx, session) => {
      const notice = NOTICES.get(ctx.url.searchParams.get("done") ?? "");
      return await settingsPage(session, notice === undefined ? {} : { notice });
    }),
  );

  router.on(
    "POST",
    "/settings/tokens",
    sessionForm(deps, async (_ctx, session, form) => {
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
      });
      return await settingsPage(session, { newToken: { name, token: created.token } }, 201);
    }),
  );

  router.on(
    "POST",
    "/settings/tokens/:tokenId/revoke",
    sessionForm(deps, async (ctx, session) => {
      const idText = ctx.params["tokenId"] ?? "";
      const id = /^\d{1,9}$/.test(idText) ? Number(idText) : null;
      const revoked = id !== null &&
        await revokeUserApiToken(db, { id, userId: session.user.userId, now: now() });
      if (!revoked) {
        return messagePage(viewerOf(session), {
          status: 404,
          title: "Not found",
          message: `You have no live token with the id "${idText.slice(0, 20)}".`,
        });
      }
      return redirect("/settings?done=revoked");
    }),
    PAGE_ROUTE,
  );

  router.on(
    "POST",
    "/settings/password",
    sessionForm(deps, async (_ctx, session, form) => {
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
      });
      if (outcome !== "changed") {
        return await settingsPage(session, { error: "The current password is wrong." }, 403);
      }
      return redirect("/settings?done=password");
    }),
  );
}
