/**
 * The statuses of an instance: `pending` from registration until it
 * activates or sends a valid snapshot, `active` from then on, `revoked` when
 * every request of it is refused (a status imports carry over). The database
 * holds the same list in a CHECK constraint (`migrations/0001_initial.sql`),
 * so a new status needs a migration too.
 */

/** Every status, in the order the pages list them: the usual one first. */
export const INSTANCE_STATUSES = ["active", "pending", "revoked"] as const;

/** One of {@linkcode INSTANCE_STATUSES}. */
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** Whether `text` is a status, as written (lowercase). */
export function isInstanceStatus(text: string): text is InstanceStatus {
  return (INSTANCE_STATUSES as readonly string[]).includes(text);
}
