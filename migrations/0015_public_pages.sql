-- The public stats page's figures (issue 13), computed by the rollup upkeep after each round for
-- every application whose page is on, already folded by k and without any instance id, so that
-- GET /p/{slug} reads one row by primary key instead of the rollups of 90 days.
create table app_public_pages (
  app_id integer primary key references applications (id) on delete cascade,
  -- what the figures were computed for (k, name, chosen metrics, excluded environments, the last
  -- day); a page whose settings no longer match computes its figures from the rollups instead
  inputs text not null,
  computed_at timestamptz not null,
  -- the figures as JSON text (the server's PublicPageFigures)
  figures text not null
);
