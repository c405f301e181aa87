/**
 * Signing in through a forward-auth proxy (`SHM_AUTH_PROXY_*`): the user
 * header is believed only when the request's peer (the socket's other end,
 * never a forwarded address) is in the trusted ranges; from anyone else it
 * is ignored. A value that cannot be a username is refused, never trimmed
 * into another name.
 */

import { isUsername, USERNAME_RULE } from "../../shared/account_rules.ts";
import { proxyAccount, type Role } from "../accounts/mod.ts";
import { inRanges } from "../address_ranges.ts";
import type { AuthProxySetting } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Database } from "../store/mod.ts";

/** Longest groups header read, in characters. */
const MAX_GROUPS_LENGTH = 4096;

/** What the proxy's headers say about a request. */
export type ProxyClaim =
  /** No claim: no proxy set, the peer not trusted, or no user header. */
  | { readonly kind: "none" }
  /** A trusted peer sent a user header that cannot be used; `problem` says why, in a sentence. */
  | { readonly kind: "bad"; readonly problem: string }
  /**
   * A trusted peer named `username`, whose groups map to `role`; `groupsSent` says whether the
   * request carried the groups header at all (without it, the role is not re-synced).
   */
  | {
    readonly kind: "user";
    readonly username: string;
    readonly role: Role;
    readonly groupsSent: boolean;
  };

/**
 * Reads the proxy's claim of `request`, whose socket peer is `peerAddress`:
 * `none` unless `setting` is given, the peer is trusted and the user header
 * is present; `bad` for a user header that is empty, too long or not a
 * username (control characters, spaces…), or a groups header over 4 KiB.
 */
export function proxyClaim(
  request: Request,
  peerAddress: string,
  setting: AuthProxySetting | null,
): ProxyClaim {
  if (setting === null || !inRanges(peerAddress, setting.trusted)) return { kind: "none" };
  const value = request.headers.get(setting.header);
  if (value === null) return { kind: "none" };
  if (value === "") {
    return { kind: "bad", problem: `The proxy's ${setting.header} header is empty.` };
  }
  if (!isUsername(value)) {
    return {
      kind: "bad",
      problem: `The proxy's ${setting.header} header is not a username (${USERNAME_RULE}).`,
    };
  }
  const groupsHeader = setting.groupsHeader === null
    ? null
    : request.headers.get(setting.groupsHeader);
  const groupsText = groupsHeader ?? "";
  if (groupsText.length > MAX_GROUPS_LENGTH) {
    return {
      kind: "bad",
      problem: `The proxy's ${setting.groupsHeader} header is longer than ${MAX_GROUPS_LENGTH} ` +
        "characters.",
    };
  }
  const groups = groupsText.split(/[,|]/).map((group) => group.trim());
  const admin = setting.adminGroup !== null && groups.includes(setting.adminGroup);
  return {
    kind: "user",
    username: value,
    role: admin ? "admin" : "viewer",
    groupsSent: groupsHeader !== null,
  };
}

/** Who the proxy signed in, once the account is found or made; or why not. */
export type ProxySignIn =
  | { readonly kind: "none" }
  | {
    readonly kind: "refused";
    readonly status: 400 | 403;
    readonly code: "bad_proxy_header" | "account_disabled";
    readonly message: string;
  }
  | {
    readonly kind: "account";
    readonly userId: number;
    readonly username: string;
    readonly role: Role;
  };

/**
 * The account a trusted proxy signs `request` in as (made on first sight,
 * `proxyAccount`), `none` without a claim, or the refusal of a bad header
 * (400) or a disabled account (403). With an admin group configured, the
 * account's role follows the groups header on every request that carries it
 * (audited when it changes; the last active admin is kept, and the log says
 * why); otherwise an account keeps the role it has.
 */
export async function proxySignIn(
  deps: { db: Database; now: () => Date; authProxy: AuthProxySetting | null; log: Logger },
  request: Request,
  peerAddress: string,
): Promise<ProxySignIn> {
  const claim = proxyClaim(request, peerAddress, deps.authProxy);
  if (claim.kind === "none") return claim;
  if (claim.kind === "bad") {
    return {
      kind: "refused",
      status: 400,
      code: "bad_proxy_header",
      message: `Cannot sign in through the proxy: ${claim.problem}`,
    };
  }
  const setting = deps.authProxy!;
  const account = await proxyAccount(deps.db, {
    username: claim.username,
    role: claim.role,
    now: deps.now(),
    syncRole: claim.groupsSent && setting.adminGroup !== null,
  });
  if (account.kind === "disabled") {
    return {
      kind: "refused",
      status: 403,
      code: "account_disabled",
      message: `Cannot sign in as "${claim.username}" as the account is disabled: ask an admin.`,
    };
  }
  if (account.keptLastAdmin) {
    deps.log.warn("role kept: the last active admin is not demoted", {
      username: claim.username,
      by: "auth proxy",
    });
  }
  return { kind: "account", userId: account.userId, username: claim.username, role: account.role };
}
