/**
 * What this build is. A release build replaces `BUILD_COMMIT` with the git
 * commit before `deno task compile` (e.g. `sed` in CI); a checkout run as is
 * says it is a development build.
 */

/** The git commit this program was built from, or null for a development build. */
export const BUILD_COMMIT: string | null = null;

/**
 * The version line of `shm version`: the version, then the Deno version, the
 * target and the commit (or "development build").
 */
export function buildDescription(version: string): string {
  const commit = BUILD_COMMIT === null ? "development build" : `commit ${BUILD_COMMIT}`;
  return `shm ${version} (deno ${Deno.version.deno}, ${Deno.build.target}, ${commit})`;
}
