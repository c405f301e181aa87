/**
 * What this build is. A release build writes the git commit into
 * `BUILD_COMMIT` before `deno task compile` (`.github/workflows/release.yml`);
 * a checkout run as is says it is a development build.
 */

/** The git commit this program was built from, or null for a development build. */
export const BUILD_COMMIT: string | null = null; // BUILD_COMMIT: the release workflow writes it here

/**
 * The version line of `shm version`: the version, then the Deno version, the
 * target and the commit (or "development build").
 */
export function buildDescription(version: string): string {
  const commit = BUILD_COMMIT === null ? "development build" : `commit ${BUILD_COMMIT}`;
  return `shm ${version} (deno ${Deno.version.deno}, ${Deno.build.target}, ${commit})`;
}
