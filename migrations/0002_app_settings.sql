-- Per-application settings. public_badges: whether /badge/{slug}/* answers
-- with numbers (true) or as if the application were unknown (false).

alter table applications add column public_badges boolean not null default true;
