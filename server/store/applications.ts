/**
 * Per-application settings an operator chooses: whether public badges answer,
 * and the display name the dashboard shows instead of the reported one.
 */

import { type Database, sql } from "./drivers/database.ts";

/** An application's settings, with the name its instances report. */
export interface ApplicationSettings {
  readonly slug: string;
  /** The name the instances report (set at registration). */
  readonly reportedName: string;
  /** The name the dashboard shows instead; null shows `reportedName`. */
  readonly displayName: string | null;
  readonly publicBadges: boolean;
}

/** A change of settings: an absent field is left as it is; `displayName` null clears it. */
export interface ApplicationSettingsChange {
  readonly publicBadges?: boolean;
  readonly displayName?: string | null;
}

/** Returns an application's settings, or null when the slug is unknown. */
export async function findApplicationSettings(
  db: Database,
  slug: string,
): Promise<ApplicationSettings | null> {
  const [row] = await db.query<ApplicationSettings>(sql`
    select slug, name as "reportedName", display_name as "displayName",
      public_badges as "publicBadges"
    from applications where slug = ${slug}`);
  return row ?? null;
}

/**
 * Applies `change` to application `slug` in one statement; returns the
 * settings as saved, or null when the slug is unknown (nothing is written).
 */
export async function updateApplicationSettings(
  db: Database,
  options: { slug: string; change: ApplicationSettingsChange; now: Date },
): Promise<ApplicationSettings | null> {
  const { change } = options;
  const sets = [sql`updated_at = ${options.now}`];
  if (change.publicBadges !== undefined) sets.push(sql`public_badges = ${change.publicBadges}`);
  if (change.displayName !== undefined) sets.push(sql`display_name = ${change.displayName}`);
  const assignments = sets.reduce((all, next) => sql`${all}, ${next}`);
  const [row] = await db.query<ApplicationSettings>(sql`
    update applications set ${assignments}
    where slug = ${options.slug}
    returning slug, name as "reportedName", display_name as "displayName",
      public_badges as "publicBadges"`);
  return row ?? null;
}
