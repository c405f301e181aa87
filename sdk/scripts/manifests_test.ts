import assert from "node:assert/strict";
import {
  type DenoManifest,
  manifestProblems,
  npmImports,
  type NpmManifest,
  sdkSources,
} from "./manifests.ts";

const SDK = new URL("../", import.meta.url);

const DENO: DenoManifest = {
  name: "@shm/sdk",
  version: "1.0.0",
  exports: { ".": "./mod.ts" },
};
const IMPORTED = { "@noble/ed25519": "^3.2.0" };
const NPM: NpmManifest = {
  name: "@shm/sdk",
  version: "1.0.0",
  exports: { ".": { types: "./mod.d.ts", default: "./mod.js" } },
  dependencies: { "@noble/ed25519": "^3.2.0" },
};

Deno.test("the SDK's deno.json, package.json and sources describe one package", async () => {
  const deno = JSON.parse(await Deno.readTextFile(new URL("deno.json", SDK)));
  const npm = JSON.parse(await Deno.readTextFile(new URL("package.json", SDK)));
  const imported = npmImports(await sdkSources(SDK));
  assert.deepEqual(imported, { "@noble/ed25519": "^3.2.0" });
  assert.deepEqual(manifestProblems(deno, npm, imported), []);
});

Deno.test("the SDK has no import map: it is imported by path from anywhere", async () => {
  const deno = JSON.parse(await Deno.readTextFile(new URL("deno.json", SDK)));
  assert.equal("imports" in deno, false, "sdk/deno.json has no imports");
  for (const source of await sdkSources(SDK)) {
    assert.doesNotMatch(
      source,
      /^(?:import|export)\b[^;]*?\bfrom\s+["'](?![.]{1,2}\/|npm:|node:)/m,
    );
  }
});

Deno.test("npmImports() reads each package's range, and refuses two ranges or none", () => {
  assert.deepEqual(
    npmImports([
      'import * as ed from "npm:@noble/ed25519@^3.2.0";',
      'import x from "npm:a@1/sub";',
    ]),
    { "@noble/ed25519": "^3.2.0", a: "1" },
  );
  assert.throws(
    () => npmImports(['import a from "npm:a@1";', 'import b from "npm:a@2";']),
    /both 1 and 2/,
  );
  assert.throws(() => npmImports(['import a from "npm:a";']), /no version range/);
});

Deno.test("manifestProblems() names each disagreement", () => {
  assert.deepEqual(manifestProblems(DENO, NPM, IMPORTED), []);
  assert.deepEqual(manifestProblems({ ...DENO, version: "1.0.1" }, NPM, IMPORTED), [
    "versions differ: 1.0.1 / 1.0.0",
  ]);
  assert.deepEqual(
    manifestProblems(
      { ...DENO, exports: { ".": "./mod.ts", "./extra": "./extra.ts" } },
      NPM,
      IMPORTED,
    ),
    ["entry points differ: .,./extra / ."],
  );
  assert.deepEqual(manifestProblems({ ...DENO, exports: { ".": "./main.ts" } }, NPM, IMPORTED), [
    'entry . is ./main.ts on JSR but {"types":"./mod.d.ts","default":"./mod.js"} on npm',
  ]);
  assert.deepEqual(
    manifestProblems(DENO, { ...NPM, dependencies: { "@noble/ed25519": "^3.3.0" } }, IMPORTED),
    ["dependency @noble/ed25519: npm:@noble/ed25519@^3.2.0 in the sources, ^3.3.0 in package.json"],
  );
  assert.deepEqual(manifestProblems(DENO, { ...NPM, dependencies: {} }, IMPORTED), [
    "dependency @noble/ed25519: npm:@noble/ed25519@^3.2.0 in the sources, absent in package.json",
  ]);
  assert.deepEqual(manifestProblems(DENO, NPM, {}), [
    "dependency @noble/ed25519: not imported in the sources, ^3.2.0 in package.json",
  ]);
  assert.deepEqual(manifestProblems({ ...DENO, name: "@shm/other" }, NPM, IMPORTED), [
    "names differ: @shm/other / @shm/sdk",
  ]);
});
