/**
 * The settings page (with the audit log's newest lines) and its forms: API
 * tokens (create with a scope and an expiry, revoke) and changing one's
 * password, for every account that has one while local sign-in is on (else
 * the page says how the account signs in, and the form is refused with 409);
 * inviting, changing, disabling and removing accounts, for admins (the route
 * table says so). Each change is recorded in the audit log in the signed-in
 * user's name.
 */

import { passwordProblem } from "../../shared/account_rules.ts";
import { isDisplayText } from "../../shared/text_rules.ts";
import { isUsername, USERNAME_RULE } from "../../shared/account_rules.ts";
import {
  type AccountChangeOutcome,
  accountSignInWay,
  changeAccount,
  createApiToken,
  inviteAccount,
  isRole,
  isTokenScope,
  listAccounts,
  MAX_TOKEN_DAYS,
  type OidcClient,
  pendingInvites,
  removeAccount,
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
  /** Whether people may sign in with a password; without, nobody is invited to choose one. */
  readonly localLogin: boolean;
  /** The OpenID Connect provider; with local sign-in off, the page says accounts come from it. */
  readonly oidc: OidcClient | null;
}

/** How many audit lines the settings page shows. */
const AUDIT_LINES_SHOWN = 50;

/** The notices `?done=` names; a Map, so that no request can name a property of Object. */
const NOTICES: ReadonlyMap<string, string> = new Map([
  ["password", "Your password was changed; your other sessions were signed out."],
  ["revoked", "The token was revoked."],
  ["role", "The account's role was changed."],
  ["disabled", "The account was disabled and its sessions ended."],
  ["enabled", "The account was enabled."],
  ["removed", "The account was removed."],
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
  invite: Handler<"session_form">;
  changeRole: Handler<"session_form">;
  disable: Handler<"session_form">;
  enable: Handler<"session_form">;
  removeAccount: Handler<"session_form">;
} {
  const { db, now } = deps;
  // Config refuses local sign-in off without a provider; the provider's name is the fallback's.
  const providerAccounts = deps.localLogin ? undefined : {
    provider: deps.oidc?.name ?? "the single sign-on provider",
    adminGroup: deps.oidc?.adminGroup ?? null,
  };

  /**
   * Why the signed-in account cannot change its password here, in one
   * sentence; null when it can (local sign-in on, and the account has a password).
   */
  const passwordOff = async (session: SignedIn): Promise<string | null> => {
    const way = await accountSignInWay(db, session.user.username);
    const provider = deps.oidc?.name ?? "OpenID Connect";
    const signsIn = way === "auth_proxy" ? "through the forward-auth proxy" : `with ${provider}`;
    if (!deps.localLogin) {
      return `Passwords are off on this server (SHM_LOCAL_LOGIN=false): you sign in ${signsIn}.`;
    }
    if (way === "openid_connect" || way === "auth_proxy") {
      return `This account has no password: it signs in ${signsIn}.`;
    }
    return way === "none" ? "This account has no password, so there is none to change." : null;
  };

  const settingsPage = async (
    session: SignedIn,
    extra: Pick<SettingsPageProps, "newToken" | "newInvite" | "notice" | "error"> = {},
    status = 200,
  ) => {
    const [accounts, invites, tokens, audit, noPassword] = await Promise.all([
      listAccounts(db),
      pendingInvites(db, now()),
      userApiTokens(db, session.user.userId),
      auditTrail(db, AUDIT_LINES_SHOWN),
      passwordOff(session),
    ]);
    return page(
      SettingsPage({
        viewer: viewerOf(session),
        role: session.user.role,
        accounts,
        invites,
        tokens,
        audit,
        now: now(),
        ...(providerAccounts === undefined ? {} : { providerAccounts }),
        ...(noPassword === null ? {} : { passwordOff: noPassword }),
        ...extra,
      }),
      status,
    );
  };

  /** The answer to an admin's change of an account: its notice, or the page saying why not. */
  const changed = async (
    session: SignedIn,
    outcome: AccountChangeOutcome,
    options: { username: string; done: string },
  ) => {
    if (outcome === "no_such_user") {
      return messagePage(viewerOf(session), {
        status: 404,
        title: "Not found",
        message: `No account is named "${options.username.slice(0, 64)}".`,
      });
    }
    if (outcome === "last_admin") {
      return await settingsPage(session, {
        error: `"${options.username}" is the last active admin: make another admin first.`,
      }, 409);
    }
    return redirect(`/settings?done=${options.done}`);
  };

  const accountChange = (
    done: string,
    change: (form: URLSearchParams) => { role?: "admin" | "viewer"; disabled?: boolean } | null,
  ): Handler<"session_form"> =>
  async ({ params, session, form }) => {
    const username = params["username"] ?? "";
    const wanted = change(form);
    if (wanted === null) {
      return await settingsPage(session, { error: "Choose the role admin or viewer." }, 400);
    }
    const outcome = await changeAccount(db, {
      username,
      ...wanted,
      now: now(),
      actor: session.user.username,
    });
    return await changed(session, outcome, { username, done });
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
      // A form without the field (an older page) makes what the account may do.
      const scope = form.get("scope") ?? (session.user.role === "admin" ? "write" : "read");
      if (!isTokenScope(scope)) {
        return await settingsPage(session, { error: "A token's scope is read or write." }, 400);
      }
      if (scope === "write" && session.user.role !== "admin") {
        return await settingsPage(session, {
          error: "A viewer's tokens can only read: choose the scope read.",
        }, 403);
      }
      const daysText = (form.get("expires_in_days") ?? "").trim();
      const days = daysText === "" ? undefined : Number(daysText);
      if (
        days !== undefined &&
        !(/^\d{1,4}$/.test(daysText) && days >= 1 && days <= MAX_TOKEN_DAYS)
      ) {
        return await settingsPage(session, {
          error: `A token expires in 1 to ${MAX_TOKEN_DAYS} days, or never (left empty).`,
        }, 400);
      }
      const created = await createApiToken(db, {
        userId: session.user.userId,
        name,
        scope,
        now: now(),
        actor: session.user.username,
        ...(days === undefined ? {} : { expiresInDays: days }),
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
      const off = await passwordOff(session);
      if (off !== null) return await settingsPage(session, { error: off }, 409);
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
      if (outcome === "no_password") {
        // Made passwordless since the check above (an admin's change, a sign-in elsewhere).
        const why = await passwordOff(session) ?? "This account has no password.";
        return await settingsPage(session, { error: why }, 409);
      }
      if (outcome !== "changed") {
        return await settingsPage(session, { error: "The current password is wrong." }, 403);
      }
      return redirect("/settings?done=password");
    },

    invite: async ({ session, form, facts }) => {
      if (!deps.localLogin) {
        return await settingsPage(session, {
          error: "Local sign-in is off (SHM_LOCAL_LOGIN=false): nobody is invited to choose a " +
            "password. People sign in with OpenID Connect, and their account is made then.",
        }, 409);
      }
      const username = (form.get("username") ?? "").trim();
      if (!isUsername(username)) {
        return await settingsPage(session, { error: `A username has ${USERNAME_RULE}.` }, 400);
      }
      const role = form.get("role") ?? "";
      if (!isRole(role)) {
        return await settingsPage(session, { error: "Choose the role admin or viewer." }, 400);
      }
      const invited = await inviteAccount(db, {
        username,
        role,
        now: now(),
        actor: session.user.username,
        invitedBy: session.user.userId,
      });
      if (invited.kind === "exists") {
        return await settingsPage(session, {
          error: `An account named "${username}" exists already.`,
        }, 409);
      }
      const url = new URL("/invite", facts.origin);
      url.searchParams.set("token", invited.token);
      return await settingsPage(session, { newInvite: { username, role, url: url.href } }, 201);
    },

    changeRole: accountChange("role", (form) => {
      const role = form.get("role");
      return isRole(role) ? { role } : null;
    }),
    disable: accountChange("disabled", () => ({ disabled: true })),
    enable: accountChange("enabled", () => ({ disabled: false })),

    removeAccount: async ({ params, session }) => {
      const username = params["username"] ?? "";
      const outcome = await removeAccount(db, {
        username,
        now: now(),
        actor: session.user.username,
      });
      return await changed(session, outcome, { username, done: "removed" });
    },
  };
}
