/**
 * Applications: the one look-up by slug, and the settings an operator
 * chooses (whether public badges answer, and the display name the dashboard
 * shows instead of the reported one, whether its public stats page answers
 * and which metrics it shows). An application is made by the first
 * registration of its slug (`registerInstance`) or by a bulk mover.
 */

import { type Database, sql } from "./drivers/database.ts";

/** An application: the row of `applications`, with the name it is shown by. */
export interface Application {
  readonly id: number;
  readonly slug: string;
  /** The name shown: the display name when one is set, else the reported one. */
  readonly name: string;
  /** The name the instances report (set at registration). */
  readonly reportedName: string;
  /** The name the dashboard shows instead; null shows `reportedName`. */
  readonly displayName: string | null;
  readonly publicBadges: boolean;
  /** Whether the public stats page `/p/{slug}` answers (off by default). */
  readonly publicPage: boolean;
  /** The metric keys the public page shows as aggregates, in the owner's order. */
  readonly publicMetrics: readonly string[];
  /**
   * Environments (trimmed, lower-case) whose instances are left out of the
   * public numbers: badges, the public page, the overview's active figure.
   */
  readonly excludedEnvironments: readonly string[];
  /** The numeric metric keys `GET /metrics` exports, in the owner's order. */
  readonly exportedMetrics: readonly string[];
  readonly createdAt: Date;
}

/** An application's settings, with the name its instances report. */
export type ApplicationSettings = Pick<
  Application,
  | "slug"
  | "reportedName"
  | "displayName"
  | "publicBadges"
  | "publicPage"
  | "publicMetrics"
  | "excludedEnvironments"
  | "exportedMetrics"
>;

/** A change of settings: an absent field is left as it is; `displayName` null clears it. */
export interface ApplicationSettingsChange {
  readonly publicBadges?: boolean;
  readonly displayName?: string | null;
  readonly publicPage?: boolean;
  /** Replaces the list whole. */
  readonly publicMetrics?: readonly string[];
  /** Replaces the list whole; each entry already trimmed and lower-case. */
  readonly excludedEnvironments?: readonly string[];
  /** Replaces the list whole. */
  readonly exportedMetrics?: readonly string[];
}

/** The columns of an {@linkcode Application}, as every query that returns one selects them. */
export const APPLICATION_COLUMNS = sql`id, slug, coalesce(display_name, name) as name,
  name as "reportedName", display_name as "displayName", public_badges as "publicBadges",
  public_page as "publicPage", public_metrics as "publicMetrics",
  excluded_environments as "excludedEnvironments", exported_metrics as "exportedMetrics",
  created_at as "createdAt"`;

/** Finds the application with `slug`; null when there is none. */
export async function findApplication(db: Database, slug: string): Promise<Application | null> {
  const [row] = await db.query<Application>(sql`
    select ${APPLICATION_COLUMNS} from applications where slug = ${slug}`);
  return row ?? null;
}

/**
 * Applies `change` to application `slug` in one statement; returns the
 * application as saved, or null when the slug is unknown (nothing is written).
 */
export async function updateApplicationSettings(
  db: Database,
  options: { slug: string; change: ApplicationSettingsChange; now: Date },
): Promise<Application | null> {
  const { change } = options;
  const sets = [sql`updated_at = ${options.now}`];
  if (change.publicBadges !== undefined) sets.push(sql`public_badges = ${change.publicBadges}`);
  if (change.displayName !== undefined) sets.push(sql`display_name = ${change.displayName}`);
  if (change.publicPage !== undefined) sets.push(sql`public_page = ${change.publicPage}`);
  if (change.publicMetrics !== undefined) {
    sets.push(sql`public_metrics = ${[...change.publicMetrics]}::text[]`);
  }
  if (change.excludedEnvironments !== undefined) {
    sets.push(sql`excluded_environments = ${[...change.excludedEnvironments]}::text[]`);
  }
  if (change.exportedMetrics !== undefined) {
    sets.push(sql`exported_metrics = ${[...change.exportedMetrics]}::text[]`);
  }
  const assignments = sets.reduce((all, next) => sql`${all}, ${next}`);
  const [row] = await db.query<Application>(sql`
    update applications set ${assignments}
    where slug = ${options.slug}
    returning ${APPLICATION_COLUMNS}`);
  return row ?? null;
}
