-- SHM on Citus (distributed PostgreSQL): the DDL of the plan in docs/scaling.md.
--
-- ************************************************************************************************
-- UNTESTED, ON PAPER. Citus could not be installed where this file was written: no statement below
-- has been run. It is not a migration either: `shm migrate` never reads it, and the embedded store
-- (PGlite) has no Citus. Try it on a test cluster first: apply it after the migrations, point
-- SHM_TEST_PG_URL at the coordinator and run the test suite on PostgreSQL (docs/scaling.md).
-- What is checked (tests/citus_sql_test.ts, on both stores, at every run of the tests): after all
-- the migrations, with empty stand-in functions of the same names and parameters in place of
-- Citus's, the file runs to its end (so its plain statements, the key names and the calls' syntax
-- hold). Nothing of Citus's own behaviour.
-- ************************************************************************************************
--
-- Written for PostgreSQL 15 or 16 and Citus 12, and for the schema the migrations make: every
-- table they create is given its kind below (distributed, reference, or kept on the coordinator).
-- Reviewed through migration 0018 (0016 added the summary tables; 0017 only rewrote values;
-- 0018 the counts today's and yesterday's rollups are kept from). A
-- later migration that adds a table must say here which kind it is and move that number on;
-- tests/citus_sql_test.ts fails when a table of a migration up to that number is not named here,
-- and prints the tables of the later ones still to be decided. A migration that adds no table
-- needs no change here.
--
-- The plan in one paragraph: the tables that grow with the fleet (instances, instance_days,
-- snapshots, the summary's shares and change notes per instance, summary_members and
-- summary_changes, and the recent days' shares per instance-day, day_members) are distributed by
-- instance_id and co-located, so that everything one snapshot
-- touches is on one shard; applications is a reference table (a copy on every node); every other
-- table, whose size is per application or per account and not per instance, stays on the
-- coordinator, where the badges, pages, rollups, alerts and accounts read and write it as today.
--
-- Run once, as a superuser, on the coordinator, with no SHM server running:
--   * on a database made by `shm migrate` and still empty (then move the data in with
--     `shm export` from the old database and `shm import` into this one), or
--   * on a database restored from the single PostgreSQL: create_distributed_table then copies each
--     table's rows to the workers and blocks writes to it while it does.

-- 0. The cluster (once; hosts are examples). Citus must be in shared_preload_libraries on every
--    node, and the extension created in this database on every node. The coordinator is added to
--    the metadata, so that its local tables can join reference tables and keep foreign keys to
--    them.
--
--   create extension if not exists citus;                     -- on every node, this database
--   select citus_set_coordinator_host('shm-coordinator.internal', 5432);
--   select citus_add_node('shm-worker-1.internal', 5432);
--   select citus_add_node('shm-worker-2.internal', 5432);
--
--    Percentiles of the daily rollups, once they use t-digest instead of percentile_cont
--    (docs/scaling.md, "What the rollups become"): the extension on every node too.
--
--   create extension if not exists tdigest;

-- One transaction, so that a failure leaves the schema as it was. If the Citus release in use
-- refuses one of the calls below inside a transaction block, run the file without begin and commit,
-- on the still empty database (nothing to lose then; start again from `shm migrate`).
begin;

-- 1. Foreign keys that cross the new kinds of tables are dropped first and made again at the end
--    (Citus checks a key's two tables when the key is made; a coordinator table may reference a
--    reference table only once it is in Citus's metadata, step 4). The names are PostgreSQL's
--    defaults for the keys of migrations 0001, 0010, 0012 and 0015.

alter table instances drop constraint instances_app_id_fkey;
alter table github_repos drop constraint github_repos_app_id_fkey;
alter table github_releases drop constraint github_releases_app_id_fkey;
alter table alert_rules drop constraint alert_rules_app_id_fkey;
alter table alert_deliveries drop constraint alert_deliveries_app_id_fkey;
alter table alert_deliveries drop constraint alert_deliveries_rule_id_fkey;
alter table alert_digests drop constraint alert_digests_app_id_fkey;
alter table app_public_pages drop constraint app_public_pages_app_id_fkey;

-- 2. Reference table. applications is small (one row per application), joined with instances by
--    the admin lists and the instance page, and referenced by foreign keys of every other kind of
--    table. Its identity (applications.id) keeps being drawn on the coordinator, where SHM writes.
--    Every write of a reference table goes to every node (two-phase commit): registration must
--    stop upserting the application on every new instance (server/store/instances.ts,
--    registerInstance: read it first, insert only a new one), or registrations of one application
--    queue behind each other on all nodes.

select create_reference_table('applications');

-- 3. The distributed tables, by instance_id, in one co-location group.
--
--    instances carries the summary triggers of migration 0016 (instances_summary_inserted,
--    _deleted, _changed), which note a changed instance in summary_changes. On a distributed
--    table they fire on the shards, and Citus distributes a table with triggers only with the
--    setting below; what makes it safe here is that the one table they write, summary_changes, is
--    distributed by the same instance_id in the same co-location group, so each note lands on the
--    shard beside the row that caused it. If the release in use refuses the two statement
--    triggers with transition tables, make them row triggers calling note_summary_row() (for the
--    delete, with old in place of new) before this step.

set local citus.enable_unsafe_triggers = on;
--
--    instances: primary key (instance_id), the distribution column: unique across the cluster as
--    today. A snapshot's signature check and write find the row by it: one shard.
--
--    64 shards: enough for 16 worker cores now and room to move shards to new workers later
--    (citus_rebalance_start); the count itself does not change without distributing again.

select create_distributed_table('instances', 'instance_id', shard_count => 64);

--    instance_days: primary key (app_id, day, instance_id) contains the distribution column, so
--    ingestion's upsert (on conflict (app_id, day, instance_id)) stays a one-shard statement, and
--    the rollup's probe of an instance's previous day (correlated on instance_id) runs inside each
--    shard. Index instance_days_instance (instance_id, day desc) serves the instance page.

select create_distributed_table('instance_days', 'instance_id', colocate_with => 'instances');

--    snapshots: partitioned by received_at (a partition per day, made ahead and dropped whole by
--    the upkeep, server/store/snapshot_partitions.ts). Distributing the parent distributes its
--    partitions; a partition the upkeep makes later with `create table ... partition of snapshots`
--    on the coordinator is distributed with it, and `drop table` of a partition drops its shards,
--    so the upkeep's code stays as it is. No primary key (none today). If the Citus release in use
--    refuses the default partition (snapshots_default), detach it before this call and make the
--    partitions ahead instead (the upkeep already makes two days ahead), e.g. with
--    select create_time_partitions('snapshots', interval '1 day', now() + interval '3 days');

select create_distributed_table('snapshots', 'instance_id', colocate_with => 'instances');

--    summary_members (migration 0016): one row per instance, its share of the application's
--    summary as last counted, so it grows with the fleet as instances does. Its primary key is
--    instance_id alone (the upsert is `on conflict (instance_id)`), and the upkeep's round joins
--    it to instances on instance_id: co-located, that join runs inside each shard. By app_id its
--    key would have to become (app_id, instance_id), and the join would cross shards.

select create_distributed_table('summary_members', 'instance_id', colocate_with => 'instances');

--    summary_changes (migration 0016): the notes the triggers on instances write, one per changed
--    instance until the next round takes them (`delete ... where app_id = ... returning`, a
--    multi-shard delete). Distributed by instance_id beside instances so that the triggers write
--    on their own shard (above). Its primary key (id, a bigserial) must contain the distribution
--    column: it becomes (instance_id, id); nothing reads a note by its id alone.

alter table summary_changes drop constraint summary_changes_pkey;
alter table summary_changes add primary key (instance_id, id);
select create_distributed_table('summary_changes', 'instance_id', colocate_with => 'instances');

--    day_members (migration 0018): one row per instance-day of today and yesterday, the share of
--    the day's rollup each counted with, so it grows with the fleet as instance_days does. Its key
--    (app_id, day, instance_id) contains instance_id, and the upkeep's round joins it to
--    instance_days and instances on instance_id: co-located, that join runs inside each shard.

select create_distributed_table('day_members', 'instance_id', colocate_with => 'instances');

-- 4. Tables kept on the coordinator, added to Citus's metadata as local tables: their foreign
--    keys to the reference table are allowed then, and they join reference tables and (pulled
--    through the coordinator) distributed ones. Their size grows with applications and days, not
--    with instances: a few kilobytes per application and day.
--
--    The rollups and summaries: badges, the overview, the application and public pages and the
--    admin metrics read them by app_id, on the coordinator alone, with no change to their SQL. The
--    upkeep writes them with INSERT ... SELECT from instance_days, instances and snapshots, which
--    Citus runs as a distributed aggregate whose few result rows come back to the coordinator.
--    rollup_stale.mark (bigserial) is drawn on the coordinator.

select citus_add_local_table_to_metadata('app_days');
select citus_add_local_table_to_metadata('app_day_shares');
select citus_add_local_table_to_metadata('app_day_metrics');
select citus_add_local_table_to_metadata('app_summaries');
select citus_add_local_table_to_metadata('app_hours');
select citus_add_local_table_to_metadata('rollup_stale');
--    What each application's summary adds up to (migration 0016): summary_counts, a row per
--    application, field and value (versions, environments, statuses, metrics), and
--    summary_metric_values, a row per application, numeric metric and distinct value (at most
--    the active instances times their numeric metrics, far fewer for counters and flags). Both
--    are keyed by app_id first, written by the upkeep's round with one application's lock and
--    read by app_id alone (the summary's figures, a metric's extremes by the key's order): on the
--    coordinator, as the other rollups, with no change to their SQL.
select citus_add_local_table_to_metadata('summary_counts');
select citus_add_local_table_to_metadata('summary_metric_values');
--    What today's and yesterday's rollups add up to (migration 0018): day_counts, a row per
--    application, day, field and value, day_metric_values, a row per application, day, numeric
--    metric and distinct value, and day_count_states, a row per application and day. Keyed by
--    app_id first, written by the round under the rollup lock and read by application and day:
--    on the coordinator, as summary_counts, with no change to their SQL.
select citus_add_local_table_to_metadata('day_counts');
select citus_add_local_table_to_metadata('day_metric_values');
select citus_add_local_table_to_metadata('day_count_states');
--    The public page's stored figures (migration 0015), one row per application, read by app_id.
select citus_add_local_table_to_metadata('app_public_pages');

--    Alerts and GitHub: small, and claimed across applications with
--    `for update skip locked` (server/store/alerts.ts, server/store/github.ts), which Citus runs
--    on one shard only; on the coordinator they work as today.

select citus_add_local_table_to_metadata('github_repos');
select citus_add_local_table_to_metadata('github_releases');
select citus_add_local_table_to_metadata('alert_rules');
select citus_add_local_table_to_metadata('alert_deliveries');
select citus_add_local_table_to_metadata('alert_digests');

--    Accounts, sessions, tokens, invitations, OpenID Connect identities, the audit log
--    (audit_log) and schema_migrations stay plain tables of the coordinator: none is joined with a
--    distributed or reference table, and their keys (sessions, api_tokens, invites and
--    oidc_identities -> users) are between plain tables.

-- 5. The foreign keys again.
--    A distributed table may reference a reference table; a coordinator local table may too. No
--    key joins two distributed tables (those would have to be co-located and include instance_id
--    on both sides). If the Citus release in use refuses an `on delete cascade` towards the
--    reference table, make that key without it: SHM never deletes an application (nothing
--    relies on the cascade).

alter table instances add foreign key (app_id) references applications (id);
alter table github_repos add foreign key (app_id) references applications (id) on delete cascade;
alter table github_releases add foreign key (app_id) references github_repos (app_id)
  on delete cascade;
alter table alert_rules add foreign key (app_id) references applications (id) on delete cascade;
alter table alert_deliveries add foreign key (app_id) references applications (id)
  on delete cascade;
alter table alert_deliveries add foreign key (rule_id) references alert_rules (id)
  on delete set null;
alter table alert_digests add foreign key (app_id) references applications (id) on delete cascade;
alter table app_public_pages add foreign key (app_id) references applications (id)
  on delete cascade;

commit;

-- 6. Optional, and worth it on a single PostgreSQL too: instance_days partitioned by day, so that
--    history retention (SHM_HISTORY_RETENTION_DAYS) drops a month at a time instead of deleting
--    rows in batches of 2,000 (server/store/retention.ts would then drop partitions, as the raw
--    snapshots' upkeep does). The primary key (app_id, day, instance_id) already contains the
--    partition column. It needs a new table and a copy of the rows, so it belongs in a migration
--    of its own, before step 3:
--
--   create table instance_days_by_month (like instance_days including all)
--     partition by range (day);
--   select create_time_partitions('instance_days_by_month', interval '1 month',
--     now() + interval '2 months', now() - interval '400 days');
--   -- insert ... select, swap the names, distribute by instance_id as above.

-- 7. What the server's SQL must change for this layout (docs/scaling.md has the reasons); this file
--    changes no code:
--    * the snapshot writer's batches hold one shard's instances (or one instance per statement),
--      and the stale mark of a late day moves out of the snapshot statement into a second
--      statement of the same transaction, run only for a day before yesterday;
--    * percentile_cont in the daily metrics -> tdigest_percentile (figures become estimates);
--    * refreshSummaries: its CTE over instances, read seven times, becomes aggregates pushed down
--      to the shards;
--    * the summary's counting statement (server/store/rollups/summary_counts.ts, countAgain): one
--      statement whose data-modifying CTEs read and write distributed tables (instances,
--      summary_members, summary_changes) and coordinator tables (summary_counts,
--      summary_metric_values) at once; Citus plans such CTEs one by one through the coordinator,
--      if it takes them at all, so it becomes the same steps as separate statements in the
--      transaction that holds the application's lock (take the notes, read the touched
--      instances, upsert the counts and values, upsert and delete the members);
--    * refreshHourlyActivity: grouping sets -> two queries; the choice of applications with
--      snapshots -> one query grouped by app_id;
--    * daysToRollUp: the first day and the recent days per application -> queries grouped by
--      app_id (Citus runs correlated subqueries across shards only on the distribution column);
--    * deleteInstancesNotSeenSince: `select ... for update skip locked` over instances (one shard
--      only in Citus) -> select the ids, then delete each batch checking last_seen again;
--    * deleteHistoryBefore: `delete ... using (select ... limit n)` -> dropping partitions (6).

-- 8. Checks after it ran (read only):
--
--   select table_name, citus_table_type, distribution_column, colocation_id, shard_count
--   from citus_tables order by 1;
--
--   -- one shard: the plan says "Task Count: 1"
--   explain select public_key, status from instances
--   where instance_id = '00000000-0000-4000-8000-000000000000';
--
--   -- every shard, merged on the coordinator (the instances page)
--   explain select instance_id from instances where app_id = 1
--   order by first_seen desc, instance_id desc limit 50;

-- Alternative, for a fleet spread over many applications (a hosted SHM for hundreds of projects,
-- none with more than a few per cent of the instances): distribute by app_id instead. Every
-- per-application question, rollups included, is then one shard; one large application would sit
-- on one shard, which is why it is not the plan above. Instead of steps 3 and 4 (rollups):
--
--   -- instances' primary key and unique constraints must contain app_id; instance_id then is
--   -- unique only per application, and ingestion must know an instance's app_id before it writes
--   -- (registerInstance's `on conflict (instance_id)` and every `where instance_id = ...` change)
--   alter table instances drop constraint instances_pkey;
--   alter table instances add primary key (app_id, instance_id);
--   select create_distributed_table('instances', 'app_id', shard_count => 64);
--   select create_distributed_table('instance_days', 'app_id', colocate_with => 'instances');
--   select create_distributed_table('snapshots', 'app_id', colocate_with => 'instances');
--   -- the rollup tables: their primary keys ((app_id, scope, day), (app_id, scope, day, metric),
--   -- (app_id, scope), (app_id, day)) already start with app_id
--   select create_distributed_table('app_days', 'app_id', colocate_with => 'instances');
--   select create_distributed_table('app_day_shares', 'app_id', colocate_with => 'instances');
--   select create_distributed_table('app_day_metrics', 'app_id', colocate_with => 'instances');
--   select create_distributed_table('app_summaries', 'app_id', colocate_with => 'instances');
--   select create_distributed_table('app_hours', 'app_id', colocate_with => 'instances');
--   select create_distributed_table('rollup_stale', 'app_id', colocate_with => 'instances');
--   select create_distributed_table('app_public_pages', 'app_id', colocate_with => 'instances');
--   -- the summary tables of migration 0016: summary_counts and summary_metric_values have keys
--   -- that start with app_id; summary_members' key (instance_id) and summary_changes' (id) must
--   -- take it in front
--   select create_distributed_table('summary_counts', 'app_id', colocate_with => 'instances');
--   select create_distributed_table('summary_metric_values', 'app_id',
--     colocate_with => 'instances');
--   alter table summary_members drop constraint summary_members_pkey;
--   alter table summary_members add primary key (app_id, instance_id);
--   select create_distributed_table('summary_members', 'app_id', colocate_with => 'instances');
--   alter table summary_changes drop constraint summary_changes_pkey;
--   alter table summary_changes add primary key (app_id, id);
--   select create_distributed_table('summary_changes', 'app_id', colocate_with => 'instances');
--   -- then `applications a left join app_summaries s` (the overview, /metrics) puts a
--   -- distributed table on the inner side of an outer join with a reference table, which Citus
--   -- has refused in multi-shard queries (check the release in use): read the summaries by
--   -- app_id and join in the server.
