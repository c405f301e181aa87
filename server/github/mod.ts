/**
 * GitHub: an application's repository (`owner/name`), read by the upkeep
 * hourly for its stars and published releases, and what those tell about
 * the fleet (the share on the latest release, how long releases took to
 * reach half of it, the `latest` badge's figure).
 */

export {
  type GithubApiSettings,
  type GithubRead,
  type GithubReadProblem,
  type GithubRelease,
  MAX_TAG_LENGTH,
  readGithubRepo,
} from "./github_api.ts";
export {
  GITHUB_READ_INTERVAL_MS,
  type GithubRoundReport,
  refreshGithubRepos,
} from "./refresh_repos.ts";
export {
  type GithubStatus,
  type ReleaseFigures,
  releaseFigures,
  type ReleaseUptake,
  releaseUptakes,
  starsBySlug,
  type StoredRelease,
  versionIsTag,
} from "./release_figures.ts";
export { latestReleaseFigure } from "./latest_badge.ts";
export {
  type GithubRepoReading,
  isGithubRepo,
  MAX_GITHUB_REPO_LENGTH,
  parseGithubRepo,
} from "./repo_name.ts";
