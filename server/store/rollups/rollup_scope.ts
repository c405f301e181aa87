/**
 * The two scopes every rollup and summary is computed in: `all` counts every
 * instance, `counted` leaves out those whose environment (trimmed, lower-case)
 * is one of the application's excluded environments. Badges, the public page
 * and the overview read `counted`; the application page reads either.
 */

import { sql, type SqlQuery } from "../drivers/database.ts";

/** The scopes, in the order they are computed. */
export const ROLLUP_SCOPES = ["all", "counted"] as const;

/** One of {@linkcode ROLLUP_SCOPES}. */
export type RollupScope = (typeof ROLLUP_SCOPES)[number];

/**
 * The condition that a row whose environment is `environment` (a column, as
 * SQL) belongs to `scope` when `excluded` are left out: always true for
 * `all`; for `counted`, true unless the environment matches one of them (an
 * instance that sent no environment always counts).
 */
export function inScope(
  scope: RollupScope,
  options: { environment: SqlQuery; excluded: readonly string[] },
): SqlQuery {
  if (scope === "all") return sql`true`;
  return sql`not coalesce(lower(btrim(${options.environment})) = any(${[
    ...options.excluded,
  ]}::text[]), false)`;
}
