-- An application's GitHub repository (issue 14), chosen by its owner, and
-- what the upkeep last read of it: its stars and its releases. A row exists
-- only while a repository is set; choosing another repository starts over.
--   next_check_at: when the upkeep reads the repository next (now when set)
--   checked_at:    when it was last read, successfully or not (null: never)
--   error:         why the last read failed, as the settings page shows it

create table github_repos (
  app_id integer primary key references applications (id) on delete cascade,
  repo text not null,
  stars integer check (stars >= 0),
  checked_at timestamptz,
  error text,
  next_check_at timestamptz not null
);

create index github_repos_due on github_repos (next_check_at);

-- Published releases (neither drafts nor prereleases) as of the last read.
create table github_releases (
  app_id integer not null references github_repos (app_id) on delete cascade,
  tag text not null,
  published_at timestamptz not null,
  primary key (app_id, tag)
);
