import assert from "node:assert/strict";
import { CI_VARIABLES, detectCi } from "./ci.ts";
import { createDenoHost } from "./deno_host.ts";
import type { EnvRead } from "./host.ts";
import type { SHMOptions } from "./options.ts";
import { resolveSettings } from "./options.ts";
import { withEnv } from "./testing/fakes.ts";

const BASE: SHMOptions = {
  serverUrl: "https://telemetry.example.com",
  appName: "my-app",
  appVersion: "1.4.2",
};

const hostWith = (env: Record<string, string> = {}) => withEnv(createDenoHost(), env);

function environmentWith(env: Record<string, string>, options: Partial<SHMOptions> = {}) {
  const resolution = resolveSettings({ ...BASE, ...options }, hostWith(env));
  assert.ok(resolution.enabled);
  return { environment: resolution.settings.environment, by: resolution.settings.ciVariable };
}

for (const name of CI_VARIABLES) {
  Deno.test(`${name} set makes the run report environment "ci"`, () => {
    for (const value of ["true", "1", "True", "https://ci.example.com/", "woodpecker"]) {
      assert.deepEqual(environmentWith({ [name]: value }), { environment: "ci", by: name }, value);
    }
    for (const value of ["", "  ", "0", "false", "FALSE", " False "]) {
      assert.deepEqual(
        environmentWith({ [name]: value }),
        { environment: undefined, by: undefined },
        JSON.stringify(value),
      );
    }
  });
}

Deno.test("the common CI variables are all read", () => {
  for (
    const name of [
      "CI",
      "GITHUB_ACTIONS",
      "GITLAB_CI",
      "BUILDKITE",
      "JENKINS_URL",
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
    ]
  ) {
    assert.ok(CI_VARIABLES.includes(name), name);
  }
});

Deno.test("an environment the application set wins over CI detection", () => {
  assert.deepEqual(environmentWith({ CI: "true" }, { environment: "production" }), {
    environment: "production",
    by: undefined,
  });
  assert.deepEqual(environmentWith({ GITHUB_ACTIONS: "true" }, { environment: "ci-nightly" }), {
    environment: "ci-nightly",
    by: undefined,
  });
});

Deno.test("CI=false does not hide another service's variable", () => {
  assert.deepEqual(environmentWith({ CI: "false", GITLAB_CI: "true" }), {
    environment: "ci",
    by: "GITLAB_CI",
  });
});

Deno.test("detectCi() counts a variable it may not read as unset, and reads each CI variable once", () => {
  const asked: string[] = [];
  const host = {
    ...hostWith(),
    env: (name: string): EnvRead => {
      asked.push(name);
      return name === "CI" ? { readable: false } : { readable: true, value: undefined };
    },
  };
  assert.equal(detectCi(host), undefined);
  assert.deepEqual(asked, [...CI_VARIABLES]);
});

Deno.test("sdk/README.md lists every CI variable the SDK reads", async () => {
  const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
  const missing = CI_VARIABLES.filter((name) => !readme.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});
