/**
 * What the accounts layer gives out: plain values, never store rows, so that
 * pages and routes know accounts without knowing how they are stored.
 */

/** An account as the settings page and `shm user list` show it. */
export interface AccountView {
  readonly username: string;
  readonly createdAt: Date;
}

/** An API token as its owner sees it: never the token itself, nor its hash. */
export interface ApiTokenView {
  readonly id: number;
  readonly name: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** The account a live session belongs to, and when the session ends. */
export interface SessionAccount {
  readonly userId: number;
  readonly username: string;
  readonly expiresAt: Date;
}
