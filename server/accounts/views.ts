/**
 * What the accounts layer gives out: plain values, never store rows, so that
 * pages and routes know accounts without knowing how they are stored.
 */

import type { Role, TokenScope } from "./roles.ts";

/** An account as the settings page, the admin API and `shm user list` show it. */
export interface AccountView {
  readonly username: string;
  readonly role: Role;
  readonly createdAt: Date;
  /** When an admin disabled it; null while it may sign in. */
  readonly disabledAt: Date | null;
}

/** A pending invitation: who may make an account, with which role, until when. */
export interface InviteView {
  readonly username: string;
  readonly role: Role;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** An API token as its owner (or an admin) sees it: never the token itself, nor its hash. */
export interface ApiTokenView {
  readonly id: number;
  readonly name: string;
  readonly scope: TokenScope;
  /** The account holding it; null for a token made with `SHM_ADMIN_TOKEN`. */
  readonly username: string | null;
  readonly createdAt: Date;
  /** When it stops working; null for never. */
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** The account a live session belongs to, its role, and when the session ends. */
export interface SessionAccount {
  readonly userId: number;
  readonly username: string;
  readonly role: Role;
  readonly expiresAt: Date;
}
