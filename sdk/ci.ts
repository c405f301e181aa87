/**
 * Telling a CI run from a real installation, so that an application's test
 * runs report `environment: "ci"` and stay out of its public counts: the
 * environment variables that CI services set, and the rule that reads them.
 *
 * @module
 */

import type { Host } from "./host.ts";

/**
 * The variables that reveal a CI run, in the order they are read: the
 * generic `CI`, which most services set, then one of each service's own,
 * for those that do not set `CI` or did not always.
 */
export const CI_VARIABLES: readonly string[] = Object.freeze([
  "CI",
  "CONTINUOUS_INTEGRATION",
  "GITHUB_ACTIONS",
  "GITLAB_CI",
  "BUILDKITE",
  "JENKINS_URL",
  "HUDSON_URL",
  "TF_BUILD",
  "CIRCLECI",
  "TRAVIS",
  "TEAMCITY_VERSION",
  "BITBUCKET_BUILD_NUMBER",
  "CODEBUILD_BUILD_ID",
  "DRONE",
  "APPVEYOR",
  "SEMAPHORE",
  "CIRRUS_CI",
  "BITRISE_IO",
  "BUDDY",
  "CF_BUILD_ID",
  "CM_BUILD_ID",
  "GO_PIPELINE_LABEL",
  "HARNESS_BUILD_ID",
  "SCREWDRIVER",
  "CI_NAME",
  "EAS_BUILD",
]);

/**
 * The first of {@linkcode CI_VARIABLES} that says this is a CI run, or
 * `undefined` when none does. A variable says so when it is set to anything
 * but an empty value, `0` or `false` (any case, spaces ignored): `CI=false`
 * is how a user says "not CI". A variable that may not be read (a Deno
 * permission not granted) counts as unset; nothing ever prompts.
 */
export function detectCi(host: Host): string | undefined {
  return CI_VARIABLES.find((name) => {
    const read = host.env(name);
    return read.readable && saysCi(read.value);
  });
}

function saysCi(value: string | undefined): boolean {
  const v = (value ?? "").trim().toLowerCase();
  return v !== "" && v !== "0" && v !== "false";
}
