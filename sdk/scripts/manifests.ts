/**
 * The two manifests of the SDK, `deno.json` for JSR and `package.json` for
 * npm, must describe one package: this says where they disagree.
 *
 * @module
 */

/** The fields of `deno.json` (the JSR manifest) that the npm build relies on. */
export interface DenoManifest {
  name: string;
  version: string;
  exports: Record<string, string>;
  imports: Record<string, string>;
}

/** The fields of `package.json` (the npm manifest) that the npm build relies on. */
export interface NpmManifest {
  name: string;
  version: string;
  exports: Record<string, { types: string; default: string }>;
  dependencies: Record<string, string>;
}

/** Problems between `deno.json` (JSR) and `package.json` (npm); empty when they agree. */
export function manifestProblems(deno: DenoManifest, npm: NpmManifest): string[] {
  const problems: string[] = [];
  if (deno.name !== npm.name) problems.push(`names differ: ${deno.name} / ${npm.name}`);
  if (deno.version !== npm.version) {
    problems.push(`versions differ: ${deno.version} / ${npm.version}`);
  }
  const denoEntries = Object.keys(deno.exports).sort();
  const npmEntries = Object.keys(npm.exports).sort();
  if (JSON.stringify(denoEntries) !== JSON.stringify(npmEntries)) {
    problems.push(`entry points differ: ${denoEntries} / ${npmEntries}`);
  }
  for (const [entry, source] of Object.entries(deno.exports)) {
    const built = npm.exports[entry];
    const js = source.replace(/\.ts$/, ".js");
    const dts = source.replace(/\.ts$/, ".d.ts");
    if (built !== undefined && (built.default !== js || built.types !== dts)) {
      problems.push(`entry ${entry} is ${source} on JSR but ${JSON.stringify(built)} on npm`);
    }
  }
  for (const [name, range] of Object.entries(npm.dependencies)) {
    const specifier = deno.imports[name];
    if (specifier !== `npm:${name}@${range}`) {
      problems.push(`dependency ${name}: ${specifier} in deno.json, ${range} in package.json`);
    }
  }
  return problems;
}
