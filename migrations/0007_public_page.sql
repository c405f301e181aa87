-- The public stats page of an application (/p/{slug}): off until the owner
-- turns it on, and the metrics it shows as aggregates (metric keys, chosen
-- by the owner; none by default).

alter table applications add column public_page boolean not null default false;
alter table applications add column public_metrics text[] not null default '{}';
