import assert from "node:assert/strict";
import { type DenoManifest, manifestProblems, type NpmManifest } from "./manifests.ts";

const SDK = new URL("../", import.meta.url);

const DENO: DenoManifest = {
  name: "@shm/sdk",
  version: "1.0.0",
  exports: { ".": "./mod.ts" },
  imports: { "@noble/ed25519": "npm:@noble/ed25519@^3.2.0" },
};
const NPM: NpmManifest = {
  name: "@shm/sdk",
  version: "1.0.0",
  exports: { ".": { types: "./mod.d.ts", default: "./mod.js" } },
  dependencies: { "@noble/ed25519": "^3.2.0" },
};

Deno.test("the SDK's deno.json and package.json describe one package", async () => {
  const deno = JSON.parse(await Deno.readTextFile(new URL("deno.json", SDK)));
  const npm = JSON.parse(await Deno.readTextFile(new URL("package.json", SDK)));
  assert.deepEqual(manifestProblems(deno, npm), []);
});

Deno.test("manifestProblems() names each disagreement", () => {
  assert.deepEqual(manifestProblems(DENO, NPM), []);
  assert.deepEqual(manifestProblems({ ...DENO, version: "1.0.1" }, NPM), [
    "versions differ: 1.0.1 / 1.0.0",
  ]);
  assert.deepEqual(
    manifestProblems({ ...DENO, exports: { ".": "./mod.ts", "./extra": "./extra.ts" } }, NPM),
    ["entry points differ: .,./extra / ."],
  );
  assert.deepEqual(manifestProblems({ ...DENO, exports: { ".": "./main.ts" } }, NPM), [
    'entry . is ./main.ts on JSR but {"types":"./mod.d.ts","default":"./mod.js"} on npm',
  ]);
  assert.deepEqual(
    manifestProblems(DENO, { ...NPM, dependencies: { "@noble/ed25519": "^3.3.0" } }),
    ["dependency @noble/ed25519: npm:@noble/ed25519@^3.2.0 in deno.json, ^3.3.0 in package.json"],
  );
  assert.deepEqual(manifestProblems({ ...DENO, name: "@shm/other" }, NPM), [
    "names differ: @shm/other / @shm/sdk",
  ]);
});
