/**
 * Reads and writes of `shm export` / `shm import`: every row of the tables
 * that hold a store's data, as one JSON object each in a form another store
 * can take (an application by slug, an instance with its application's slug
 * and its key in base64, no ids of this store), read in pages and written in
 * batches, so that a store of any size moves between the embedded store and
 * PostgreSQL in bounded memory. Writes merge by natural keys (slug, instance
 * id, day, snapshot time), so importing twice adds nothing. The file around
 * the rows is `server/transfer/`'s.
 */

import { type Database, sql, type SqlQuery } from "../drivers/database.ts";

/**
 * The tables that move, in the order they must be imported: each refers to
 * one before it (rows of an application or instance unknown here are
 * skipped). The GitHub repository and releases last read and the alert
 * rules (with their secrets and state) move; the alerts' delivery log and
 * digest times do not.
 */
export type PortableTable =
  | "applications"
  | "github_repos"
  | "github_releases"
  | "alert_rules"
  | "instances"
  | "instance_days"
  | "snapshots";

/**
 * Yields every row of `table` in `db` as a JSON text, with the fields of
 * `addFields` added to each: applications by slug, instances with their
 * application's slug and their key in base64, history and raw snapshots by
 * instance id. Reads `pageSize` rows at a time (1000 unless given), in key order.
 */
export async function* exportRows(
  db: Database,
  table: PortableTable,
  options: { addFields: Readonly<Record<string, string>>; pageSize?: number },
): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? 1000;
  const added = sql`${JSON.stringify(options.addFields)}::text::jsonb`;
  let after: string | null = null;
  while (true) {
    const rows: { line: string; k: string }[] = await db.query(
      pageQuery(table, { after, limit: pageSize, added }),
    );
    for (const row of rows) yield row.line;
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.k;
  }
}

function pageQuery(
  table: PortableTable,
  options: { after: string | null; limit: number; added: SqlQuery },
): SqlQuery {
  const { after, limit, added } = options;
  switch (table) {
    case "applications":
      return sql`
        select (to_jsonb(a) - 'id' || ${added})::text as line, a.slug as k
        from applications a where ${after}::text is null or a.slug > ${after}::text
        order by a.slug limit ${limit}`;
    case "github_repos":
      return sql`
        select (to_jsonb(g) - 'app_id' || jsonb_build_object('app', a.slug) || ${added})::text
          as line, a.slug as k
        from github_repos g join applications a on a.id = g.app_id
        where ${after}::text is null or a.slug > ${after}::text
        order by a.slug limit ${limit}`;
    case "github_releases":
      // A slug has no "|"; a tag may: the key is cut at its first one.
      return sql`
        select (to_jsonb(r) - 'app_id' || jsonb_build_object('app', a.slug, 'repo', g.repo) ||
          ${added})::text as line, a.slug || '|' || r.tag as k
        from github_releases r join github_repos g on g.app_id = r.app_id
          join applications a on a.id = r.app_id
        where ${after}::text is null or (a.slug, r.tag) > (split_part(${after}::text, '|', 1),
          substr(${after}::text, strpos(${after}::text, '|') + 1))
        order by a.slug, r.tag limit ${limit}`;
    case "alert_rules":
      return sql`
        select (to_jsonb(r) - 'id' - 'app_id' || jsonb_build_object('app', a.slug) || ${added})::text
          as line, r.id::text as k
        from alert_rules r join applications a on a.id = r.app_id
        where ${after}::text is null or r.id > ${after}::text::integer
        order by r.id limit ${limit}`;
    case "instances":
      return sql`
        select (to_jsonb(i) - 'app_id' - 'public_key' || jsonb_build_object('app', a.slug,
          'public_key', encode(i.public_key, 'base64')) || ${added})::text as line,
          i.instance_id::text as k
        from instances i join applications a on a.id = i.app_id
        where ${after}::text is null or i.instance_id > ${after}::uuid
        order by i.instance_id limit ${limit}`;
    case "instance_days":
      return sql`
        select (to_jsonb(d) - 'app_id' || ${added})::text as line,
          d.instance_id::text || '|' || d.day::text as k
        from instance_days d
        where ${after}::text is null or (d.instance_id, d.day) >
          (split_part(${after}::text, '|', 1)::uuid, split_part(${after}::text, '|', 2)::date)
        order by d.instance_id, d.day limit ${limit}`;
    case "snapshots":
      return sql`
        select (to_jsonb(s) - 'app_id' || ${added})::text as line,
          s.instance_id::text || '|' || to_char(s.taken_at at time zone 'UTC',
            'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as k
        from snapshots s
        where ${after}::text is null or (s.instance_id, s.taken_at) >
          (split_part(${after}::text, '|', 1)::uuid,
            split_part(${after}::text, '|', 2)::timestamptz)
        order by s.instance_id, s.taken_at limit ${limit}`;
  }
}

/** What one batch of imported rows became. */
export interface ImportBatchOutcome {
  /** Records stored as new rows, or that replaced older ones. */
  readonly written: number;
  /** Instances left as they were because this store knows them with another key. */
  readonly keyConflicts: readonly string[];
}

/**
 * Writes a batch of exported rows of one `table` (parsed JSON objects, as
 * {@linkcode exportRows} made them) in one statement. Applications new by slug are created;
 * a GitHub repository is added to an application without one (or its reading updated when it is
 * the same repository read later), its releases under that same repository; an alert rule is added
 * unless its application has one with the same secret; instances are stored
 * with their id, key, status, times and latest metrics, or merged into the
 * same instance already here (the later last seen and latest snapshot win,
 * the stronger status wins); a day of history replaces the one here only if
 * its last snapshot is later; a raw snapshot is added unless one with the
 * same instance and time is here. Records of instances unknown here (or
 * known with another key, see `keyConflicts`) are skipped.
 */
export async function importRows(
  db: Database,
  table: PortableTable,
  objects: readonly unknown[],
): Promise<ImportBatchOutcome> {
  if (objects.length === 0) return { written: 0, keyConflicts: [] };
  const batch = JSON.stringify(table === "alert_rules" ? objects.map(ruleWithObjects) : objects);
  switch (table) {
    case "applications": {
      const rows = await db.query(sql`
        insert into applications (slug, name, created_at, updated_at, public_badges,
          display_name, public_page, public_metrics, exported_metrics, excluded_environments)
        select r.slug, r.name, r.created_at, r.updated_at, coalesce(r.public_badges, true),
          r.display_name, coalesce(r.public_page, false), coalesce(r.public_metrics, '{}'),
          coalesce(r.exported_metrics, '{}'),
          -- a file written before migration 0009 has none: the column's default
          coalesce(r.excluded_environments, '{ci,test,dev,development}')
        from jsonb_to_recordset(${batch}::text::jsonb) as r(slug text, name text,
          created_at timestamptz, updated_at timestamptz, public_badges boolean,
          display_name text, public_page boolean, public_metrics text[],
          exported_metrics text[], excluded_environments text[])
        on conflict (slug) do nothing
        returning slug`);
      return { written: rows.length, keyConflicts: [] };
    }
    case "github_repos": {
      // A repository here is kept; the file's reading replaces its own only when it is the same
      // repository read later. The next read stays as this store planned it.
      const rows = await db.query(sql`
        insert into github_repos as g (app_id, repo, stars, checked_at, error, next_check_at)
        select a.id, r.repo, r.stars, r.checked_at, r.error, coalesce(r.next_check_at, now())
        from jsonb_to_recordset(${batch}::text::jsonb) as r(app text, repo text, stars integer,
          checked_at timestamptz, error text, next_check_at timestamptz)
        join applications a on a.slug = r.app
        on conflict (app_id) do update set stars = excluded.stars,
          checked_at = excluded.checked_at, error = excluded.error
        where g.repo = excluded.repo and
          excluded.checked_at > coalesce(g.checked_at, '-infinity')
        returning 1`);
      return { written: rows.length, keyConflicts: [] };
    }
    case "github_releases": {
      // Only under the same repository here; a release already here gains created_at when it had
      // none (read before migration 0013). A file from before 0013 carries none: null, the
      // published_at order, until the next read.
      const rows = await db.query(sql`
        insert into github_releases as x (app_id, tag, published_at, created_at)
        select distinct on (g.app_id, r.tag) g.app_id, r.tag, r.published_at, r.created_at
        from jsonb_to_recordset(${batch}::text::jsonb) as r(app text, repo text, tag text,
          published_at timestamptz, created_at timestamptz)
        join applications a on a.slug = r.app
        join github_repos g on g.app_id = a.id and g.repo = r.repo
        on conflict (app_id, tag) do update set created_at = excluded.created_at
        where x.created_at is null and excluded.created_at is not null
        returning 1`);
      return { written: rows.length, keyConflicts: [] };
    }
    case "alert_rules": {
      // A rule is known by its application and its secret (random, and what its webhook's
      // receiver checks signatures with): one here already is left as it is.
      const rows = await db.query(sql`
        insert into alert_rules (app_id, kind, params, webhook_url, email, secret, firing, state,
          last_evaluated_at, last_fired_at, created_at)
        select distinct on (a.id, r.secret) a.id, r.kind, r.params, r.webhook_url, r.email,
          r.secret, coalesce(r.firing, false), coalesce(r.state, '{}'::jsonb),
          r.last_evaluated_at, r.last_fired_at, r.created_at
        from jsonb_to_recordset(${batch}::text::jsonb) as r(app text, kind text, params jsonb,
          webhook_url text, email text, secret text, firing boolean, state jsonb,
          last_evaluated_at timestamptz, last_fired_at timestamptz, created_at timestamptz)
        join applications a on a.slug = r.app
        where not exists (select 1 from alert_rules here
          where here.app_id = a.id and here.secret = r.secret)
        returning 1`);
      return { written: rows.length, keyConflicts: [] };
    }
    case "instances": {
      // The outer select sees the table as it was before the insert: a key differing there is
      // a conflict; an upsert that would change nothing is skipped, so it counts as not written.
      const rows = await db.query<{ instance_id: string; written: boolean; conflict: boolean }>(
        sql`
        with r as (
          select r.*, a.id as app_id, decode(r.public_key, 'base64') as key
          from jsonb_to_recordset(${batch}::text::jsonb) as r(instance_id uuid, app text,
            public_key text, status text, app_version text, environment text,
            deployment_mode text, os_arch text, first_seen timestamptz, last_seen timestamptz,
            last_snapshot_at timestamptz, metrics jsonb)
          join applications a on a.slug = r.app
        ),
        upserted as (
          insert into instances as i (instance_id, app_id, public_key, status, app_version,
            environment, deployment_mode, os_arch, first_seen, last_seen, last_snapshot_at,
            metrics)
          select instance_id, app_id, key, status, app_version, environment, deployment_mode,
            os_arch, first_seen, last_seen, last_snapshot_at, coalesce(metrics, '{}'::jsonb)
          from r
          on conflict (instance_id) do update set
            status = case
              when 'revoked' in (i.status, excluded.status) then 'revoked'
              when 'active' in (i.status, excluded.status) then 'active'
              else 'pending' end,
            first_seen = least(i.first_seen, excluded.first_seen),
            last_seen = greatest(i.last_seen, excluded.last_seen),
            last_snapshot_at = greatest(i.last_snapshot_at, excluded.last_snapshot_at),
            metrics = case
              when excluded.last_snapshot_at > coalesce(i.last_snapshot_at, '-infinity')
              then excluded.metrics else i.metrics end,
            app_version = case when excluded.last_seen > i.last_seen
              then excluded.app_version else i.app_version end
          where i.public_key = excluded.public_key and (
            excluded.first_seen < i.first_seen or excluded.last_seen > i.last_seen or
            excluded.last_snapshot_at > coalesce(i.last_snapshot_at, '-infinity') or
            (i.status <> 'revoked' and excluded.status = 'revoked') or
            (i.status = 'pending' and excluded.status = 'active'))
          returning instance_id
        )
        select r.instance_id::text, u.instance_id is not null as written,
          coalesce(here.public_key <> r.key, false) as conflict
        from r
        left join upserted u on u.instance_id = r.instance_id
        left join instances here on here.instance_id = r.instance_id`,
      );
      return {
        written: rows.filter((row) => row.written).length,
        keyConflicts: rows.filter((row) => row.conflict).map((row) => row.instance_id),
      };
    }
    case "instance_days": {
      const rows = await db.query(sql`
        with written as (
          insert into instance_days as d (app_id, day, instance_id, app_version, environment,
            deployment_mode, os_arch, metrics, snapshots, last_at)
          select i.app_id, r.day, r.instance_id, r.app_version, r.environment, r.deployment_mode,
            r.os_arch, r.metrics, r.snapshots, r.last_at
          from jsonb_to_recordset(${batch}::text::jsonb) as r(day date, instance_id uuid,
            app_version text, environment text, deployment_mode text, os_arch text,
            metrics jsonb, snapshots integer, last_at timestamptz)
          join instances i on i.instance_id = r.instance_id
          on conflict (app_id, day, instance_id) do update set
            app_version = excluded.app_version, environment = excluded.environment,
            deployment_mode = excluded.deployment_mode, os_arch = excluded.os_arch,
            metrics = excluded.metrics, snapshots = excluded.snapshots, last_at = excluded.last_at
          where excluded.last_at > d.last_at
          returning d.app_id, d.day
        ),
        stale as (
          -- the rollups of these days are computed again by the next upkeep
          insert into rollup_stale (app_id, day)
          select distinct app_id, day from written
          on conflict (app_id, day) do update set mark = excluded.mark
        )
        select 1 from written`);
      return { written: rows.length, keyConflicts: [] };
    }
    case "snapshots": {
      const rows = await db.query(sql`
        insert into snapshots (app_id, instance_id, taken_at, received_at, app_version, metrics)
        select distinct on (r.instance_id, r.taken_at) i.app_id, r.instance_id, r.taken_at,
          r.received_at, r.app_version, r.metrics
        from jsonb_to_recordset(${batch}::text::jsonb) as r(instance_id uuid, taken_at timestamptz,
          received_at timestamptz, app_version text, metrics jsonb)
        join instances i on i.instance_id = r.instance_id
        where not exists (select 1 from snapshots s
          where s.instance_id = r.instance_id and s.taken_at = r.taken_at)
        returning 1`);
      return { written: rows.length, keyConflicts: [] };
    }
  }
}

/**
 * An exported alert rule with its params and state as objects: a file written before migration
 * 0017 from PostgreSQL may hold them as strings of their JSON text. A string that is not an
 * object's JSON stays as it is.
 */
function ruleWithObjects(record: unknown): unknown {
  if (typeof record !== "object" || record === null) return record;
  const fields = record as Record<string, unknown>;
  return {
    ...fields,
    params: objectOfText(fields["params"]),
    state: objectOfText(fields["state"]),
  };
}

function objectOfText(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed : value;
  } catch {
    return value;
  }
}
