-- The audit log: who changed what and when, for operators' actions on
-- instances and every settings change. Rows are only ever added.
--   actor:  a username, "admin token", "api token NAME", "cli", "setup link" or "startup"
--   action: what was done, e.g. "instance.revoke", "api_token.create"
--   target: what it was done to (an instance id, an application slug, a username…)
--   detail: what more there is to say, as a JSON object

create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null,
  actor text not null,
  action text not null,
  target text not null,
  detail jsonb not null default '{}'
);

create index audit_log_newest on audit_log (at desc, id desc);
