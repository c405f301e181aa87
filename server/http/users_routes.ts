/**
 * The admin API's accounts and API tokens (issue 15): list, invite, change
 * and remove accounts; list, create and revoke tokens. The route table says
 * who may call each (admins; a read token only the GETs), so no handler
 * checks a role.
 */

import { isUsername, USERNAME_RULE } from "../../shared/account_rules.ts";
import { isDisplayText } from "../../shared/text_rules.ts";
import {
  type AccountChangeOutcome,
  type AccountView,
  type ApiTokenView,
  changeAccount,
  createApiToken,
  inviteAccount,
  isRole,
  isTokenScope,
  listAccounts,
  MAX_TOKEN_DAYS,
  removeAccount,
  revokeUserApiToken,
  userApiTokens,
} from "../accounts/mod.ts";
import { ClientError } from "../errors.ts";
import type { Database } from "../store/mod.ts";
import { readBody } from "./read_body.ts";
import { jsonResponse } from "./respond.ts";
import type { Handler } from "./route_declaration.ts";

/** Largest body these routes accept. */
const MAX_BODY_BYTES = 4096;

/** Longest token name, in characters. */
export const MAX_TOKEN_NAME_LENGTH = 100;

/** What the accounts API needs. */
export interface UsersApiDeps {
  readonly db: Database;
  readonly now: () => Date;
  /** Whether people may sign in with a password; without, nobody is invited to choose one. */
  readonly localLogin: boolean;
}

/**
 * The handlers of `GET /api/v1/admin/users` (every account: username,
 * role, created_at, disabled), `POST /api/v1/admin/users`
 * (`{"username","role"}` → 201 `{"invite_url","expires_at"}`; 409
 * `account_exists`), `PATCH /api/v1/admin/users/{name}` (`{"role"?,
 * "disabled"?}` → the account), `DELETE /api/v1/admin/users/{name}` (204),
 * `GET /api/v1/admin/tokens`, `POST /api/v1/admin/tokens`
 * (`{"name","scope","expires_in_days"?}` → 201 `{"token",…}`, shown once)
 * and `DELETE /api/v1/admin/tokens/{id}` (204). A body that breaks a rule
 * is a 400 `invalid_body` and changes nothing; an unknown account a 404
 * `unknown_user`; a change that would leave no active admin a 409 `last_admin`.
 */
export function usersApiHandlers(deps: UsersApiDeps): {
  list: Handler<"token_or_session">;
  invite: Handler<"token">;
  change: Handler<"token">;
  remove: Handler<"token">;
  tokens: Handler<"token_or_session">;
  createToken: Handler<"token">;
  revokeToken: Handler<"token">;
} {
  const { db, now } = deps;
  const accountJson = async (username: string) => {
    const account = (await listAccounts(db)).find((a) => a.username === username);
    if (account === undefined) throw unknownUser(username);
    return userJson(account);
  };
  return {
    list: async () => jsonResponse({ users: (await listAccounts(db)).map(userJson) }),

    invite: async ({ request, caller, facts }) => {
      if (!deps.localLogin) {
        throw new ClientError(
          409,
          "local_login_off",
          "Cannot invite with a password while local sign-in is off (SHM_LOCAL_LOGIN=false): " +
            "people sign in with OpenID Connect, and their account is made when they first do",
        );
      }
      const body = await readObject(request, ["username", "role"]);
      const username = body["username"];
      if (typeof username !== "string" || !isUsername(username)) {
        throw invalidBody(`"username" must be ${USERNAME_RULE}`);
      }
      const role = body["role"];
      if (!isRole(role)) throw invalidBody(`"role" must be "admin" or "viewer"`);
      const invited = await inviteAccount(db, {
        username,
        role,
        now: now(),
        actor: caller.actor,
        invitedBy: caller.userId,
      });
      if (invited.kind === "exists") {
        throw new ClientError(409, "account_exists", `An account named "${username}" exists`);
      }
      const url = new URL("/invite", facts.origin);
      url.searchParams.set("token", invited.token);
      return jsonResponse({
        username,
        role,
        invite_url: url.href,
        expires_at: invited.expiresAt.toISOString(),
      }, 201);
    },

    change: async ({ request, params, actor }) => {
      const username = params["username"] ?? "";
      const body = await readObject(request, ["role", "disabled"]);
      const role = body["role"];
      const disabled = body["disabled"];
      if (role !== undefined && !isRole(role)) {
        throw invalidBody(`"role" must be "admin" or "viewer"`);
      }
      if (disabled !== undefined && typeof disabled !== "boolean") {
        throw invalidBody(`"disabled" must be true or false`);
      }
      const outcome = await changeAccount(db, {
        username,
        ...(role === undefined ? {} : { role }),
        ...(disabled === undefined ? {} : { disabled }),
        now: now(),
        actor,
      });
      refuseOutcome(outcome, username);
      return jsonResponse(await accountJson(username));
    },

    remove: async ({ params, actor }) => {
      const username = params["username"] ?? "";
      refuseOutcome(await removeAccount(db, { username, now: now(), actor }), username);
      return new Response(null, { status: 204 });
    },

    tokens: async () => jsonResponse({ tokens: (await userApiTokens(db, null)).map(tokenJson) }),

    createToken: async ({ request, caller }) => {
      const body = await readObject(request, ["name", "scope", "expires_in_days"]);
      const name = typeof body["name"] === "string" ? body["name"].trim() : null;
      if (
        name === null || name === "" || [...name].length > MAX_TOKEN_NAME_LENGTH ||
        !isDisplayText(name)
      ) {
        throw invalidBody(
          `"name" must be 1 to ${MAX_TOKEN_NAME_LENGTH} characters without control characters`,
        );
      }
      const scope = body["scope"];
      if (!isTokenScope(scope)) throw invalidBody(`"scope" must be "read" or "write"`);
      const days = body["expires_in_days"];
      if (
        days !== undefined && days !== null &&
        !(Number.isSafeInteger(days) && (days as number) >= 1 && (days as number) <= MAX_TOKEN_DAYS)
      ) {
        throw invalidBody(`"expires_in_days" must be a whole number from 1 to ${MAX_TOKEN_DAYS}`);
      }
      const created = await createApiToken(db, {
        userId: caller.userId,
        name,
        scope,
        now: now(),
        actor: caller.actor,
        ...(typeof days === "number" ? { expiresInDays: days } : {}),
      });
      return jsonResponse({
        id: created.id,
        name,
        scope,
        expires_at: created.expiresAt?.toISOString() ?? null,
        token: created.token,
      }, 201);
    },

    revokeToken: async ({ params, actor }) => {
      const idText = params["tokenId"] ?? "";
      const revoked = await revokeUserApiToken(db, {
        id: Number(idText),
        userId: null,
        now: now(),
        actor,
      });
      if (!revoked) {
        throw new ClientError(404, "unknown_token", `No live API token has the id ${idText}`);
      }
      return new Response(null, { status: 204 });
    },
  };
}

/** An account as the API shows it. */
function userJson(account: AccountView) {
  return {
    username: account.username,
    role: account.role,
    created_at: account.createdAt.toISOString(),
    disabled: account.disabledAt !== null,
    disabled_at: account.disabledAt?.toISOString() ?? null,
  };
}

/** A token as the API shows it: never the token itself. */
function tokenJson(token: ApiTokenView) {
  return {
    id: token.id,
    name: token.name,
    scope: token.scope,
    username: token.username,
    created_at: token.createdAt.toISOString(),
    expires_at: token.expiresAt?.toISOString() ?? null,
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
    revoked_at: token.revokedAt?.toISOString() ?? null,
  };
}

/** Reads a JSON object body with only the keys `allowed`; anything else is a 400 `invalid_body`. */
async function readObject(
  request: Request,
  allowed: readonly string[],
): Promise<Readonly<Record<string, unknown>>> {
  const bytes = await readBody(request, MAX_BODY_BYTES);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw invalidBody("the body must be a JSON object");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidBody("the body must be a JSON object");
  }
  const unknown = Object.keys(value).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    throw invalidBody(
      `unknown key "${unknown.slice(0, 40)}": use ${allowed.map((k) => `"${k}"`).join(", ")}`,
    );
  }
  return value as Record<string, unknown>;
}

/** Throws the API's answer to an account change that did not happen. */
function refuseOutcome(outcome: AccountChangeOutcome, username: string): void {
  if (outcome === "no_such_user") throw unknownUser(username);
  if (outcome === "last_admin") {
    throw new ClientError(
      409,
      "last_admin",
      `Cannot change "${username}" as it is the last active admin: make another admin first`,
    );
  }
}

function unknownUser(username: string): ClientError {
  return new ClientError(404, "unknown_user", `No account is named "${username.slice(0, 64)}"`);
}

function invalidBody(problem: string): ClientError {
  return new ClientError(400, "invalid_body", `Cannot accept the body as ${problem}`);
}
