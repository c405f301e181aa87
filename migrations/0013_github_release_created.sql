-- When each release was created (issue 14): GitHub's own "latest release" is
-- the newest that is neither a draft nor a prerelease by created_at (the date
-- of the release's commit), not by published_at, so the latest is chosen by
-- it. Rows read before this migration have none (null): they are ordered by
-- their published_at instead, the closest date they hold, until the upkeep's
-- next read of their repository (within the hour) replaces them all.

alter table github_releases add column created_at timestamptz;
