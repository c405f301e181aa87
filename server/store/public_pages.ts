/**
 * The public page's stored figures (`app_public_pages`, migration 0015): one
 * row per application whose page is on, written by the rollup upkeep, read by
 * `/p/{slug}` together with the application in one statement. The figures
 * travel as JSON text; what they hold and when a row still applies is the
 * stats layer's concern (`server/stats/public_page.ts`).
 */

import { type Application, APPLICATION_COLUMNS } from "./applications.ts";
import { type Database, sql } from "./drivers/database.ts";

/** An application's stored public figures. */
export interface StoredPublicPage {
  /** What the figures were computed for, as the stats layer spells it. */
  readonly inputs: string;
  readonly computedAt: Date;
  /** JSON text. */
  readonly figures: string;
}

/**
 * Application `slug` with its stored public figures (null when none were
 * stored), or null when no application has that slug: one statement.
 */
export async function findPublicPageApplication(
  db: Database,
  slug: string,
): Promise<{ app: Application; stored: StoredPublicPage | null } | null> {
  const [row] = await db.query<
    Application & { inputs: string | null; storedAt: Date | null; figures: string | null }
  >(sql`
    select ${APPLICATION_COLUMNS}, p.inputs, p.computed_at as "storedAt", p.figures
    from applications left join app_public_pages p on p.app_id = applications.id
    where applications.slug = ${slug}`);
  if (row === undefined) return null;
  const { inputs, storedAt, figures, ...app } = row;
  return {
    app,
    stored: inputs === null || storedAt === null || figures === null
      ? null
      : { inputs, computedAt: new Date(storedAt), figures },
  };
}

/** The applications whose public page is on, by id. */
export async function publicPageApplications(db: Database): Promise<Application[]> {
  return await db.query<Application>(sql`
    select ${APPLICATION_COLUMNS} from applications where public_page order by id`);
}

/**
 * Stores the figures of each application of `pages` (replacing what was
 * stored) and removes those of applications whose page is off, in one
 * transaction.
 */
export async function savePublicPages(
  db: Database,
  pages: readonly ({ readonly appId: number } & StoredPublicPage)[],
): Promise<void> {
  await db.transaction(async (tx) => {
    if (pages.length > 0) {
      await tx.query(sql`
        insert into app_public_pages (app_id, inputs, computed_at, figures)
        select app_id, inputs, computed_at::timestamptz, figures
        from unnest(
          ${pages.map((p) => p.appId)}::int[],
          ${pages.map((p) => p.inputs)}::text[],
          ${pages.map((p) => p.computedAt.toISOString())}::text[],
          ${pages.map((p) => p.figures)}::text[]
        ) as t(app_id, inputs, computed_at, figures)
        on conflict (app_id) do update set inputs = excluded.inputs,
          computed_at = excluded.computed_at, figures = excluded.figures`);
    }
    await tx.query(sql`
      delete from app_public_pages p using applications a
      where a.id = p.app_id and not a.public_page`);
  });
}
