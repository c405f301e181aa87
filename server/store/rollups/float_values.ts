/**
 * Numbers as floats. Metric values are kept as JSON numbers, which may carry
 * more than a float does (imported history can hold 1e400 or 1e-400); the
 * rollups and summaries store floats, and PostgreSQL refuses a numeric
 * beyond a float's range either way, which would stop the day's rollup.
 */

import { sql, type SqlQuery } from "../drivers/database.ts";

/**
 * The SQL numeric `value` as a float8 that never fails: beyond the largest
 * float it is the largest of its sign, and a magnitude smaller than the
 * smallest normal float (2.2250738585072014e-308) is 0. Null stays null.
 */
export function floatOf(value: SqlQuery): SqlQuery {
  // greatest and least skip nulls: a null must not become the largest negative float
  return sql`(case when ${value} is null then null::float8
    when abs(${value}) < 2.2250738585072014e-308 then 0::float8
    else least(greatest(${value}, -1.7976931348623157e308), 1.7976931348623157e308)::float8 end)`;
}
