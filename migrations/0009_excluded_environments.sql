-- Environments left out of public numbers, per application (issue 13): an
-- instance whose environment, trimmed and lower-cased, is in the list counts
-- in the "all" scope only. Badges, the public page and the overview read the
-- "counted" scope; the application page reads either.

alter table applications add column excluded_environments text[] not null
  default '{ci,test,dev,development}';

-- Every rollup and summary row now belongs to a scope: 'all' (every instance)
-- or 'counted' (the instances outside the application's excluded
-- environments). The rows stored so far are 'all'; the upkeep computes the
-- 'counted' ones it finds missing, as it does for a day it has no rollup of.
-- excluded_environments is the list a row was computed with: a row whose list
-- differs from its application's is computed again at the next round.

alter table app_days add column scope text not null default 'all'
  check (scope in ('all', 'counted'));
alter table app_days add column excluded_environments text[] not null default '{}';
alter table app_days drop constraint app_days_pkey;
alter table app_days add primary key (app_id, scope, day);

alter table app_day_shares add column scope text not null default 'all'
  check (scope in ('all', 'counted'));
drop index app_day_shares_app_day;
create index app_day_shares_app_scope_day on app_day_shares (app_id, scope, day, field);

alter table app_day_metrics add column scope text not null default 'all'
  check (scope in ('all', 'counted'));
alter table app_day_metrics drop constraint app_day_metrics_pkey;
alter table app_day_metrics add primary key (app_id, scope, day, metric);

alter table app_summaries add column scope text not null default 'all'
  check (scope in ('all', 'counted'));
alter table app_summaries add column excluded_environments text[] not null default '{}';
alter table app_summaries drop constraint app_summaries_pkey;
alter table app_summaries add primary key (app_id, scope);

alter table app_hours add column scope text not null default 'all'
  check (scope in ('all', 'counted'));
drop index app_hours_app_hour;
create index app_hours_app_scope_hour on app_hours (app_id, scope, hour);
