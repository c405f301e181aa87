-- Issue 14: the numeric metrics GET /metrics exports per application (chosen
-- by the owner; none by default), alert rules, and the log of their deliveries.

alter table applications add column exported_metrics text[] not null default '{}';

-- One rule of an application. params holds the kind's parameters as the API
-- took them; state what the evaluation remembers between rounds (the
-- versions a version_share rule already announced). firing is true from the
-- round the condition held until the round it stops holding: a rule fires
-- once until it clears. secret signs its webhook deliveries.
create table alert_rules (
  id integer generated always as identity primary key,
  app_id integer not null references applications (id) on delete cascade,
  kind text not null
    check (kind in ('active_drop', 'silence', 'version_share', 'metric_threshold')),
  params jsonb not null,
  webhook_url text,
  email text,
  secret text not null,
  firing boolean not null default false,
  state jsonb not null default '{}'::jsonb,
  last_evaluated_at timestamptz,
  last_fired_at timestamptz,
  created_at timestamptz not null,
  check (webhook_url is not null or email is not null)
);

create index alert_rules_app on alert_rules (app_id, id);

-- Each message sent or to be sent: a rule firing or clearing, a test, or an
-- application's weekly digest (rule_id null). A pending row is due at
-- next_attempt_at; whoever sends it first moves next_attempt_at on (the claim)
-- and counts the attempt, so two replicas never send it twice at once.
create table alert_deliveries (
  id integer generated always as identity primary key,
  app_id integer not null references applications (id) on delete cascade,
  rule_id integer references alert_rules (id) on delete set null,
  channel text not null check (channel in ('webhook', 'email')),
  target text not null,
  event text not null check (event in ('firing', 'cleared', 'test', 'digest')),
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  response_status integer,
  last_error text,
  created_at timestamptz not null,
  finished_at timestamptz
);

create index alert_deliveries_due on alert_deliveries (next_attempt_at) where status = 'pending';
create index alert_deliveries_app on alert_deliveries (app_id, id desc);

-- When each application's weekly digest was last queued.
create table alert_digests (
  app_id integer primary key references applications (id) on delete cascade,
  sent_at timestamptz not null
);
