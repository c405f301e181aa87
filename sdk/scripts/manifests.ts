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
}

/** The fields of `package.json` (the npm manifest) that the npm build relies on. */
export interface NpmManifest {
  name: string;
  version: string;
  exports: Record<string, { types: string; default: string }>;
  dependencies: Record<string, string>;
}

/**
 * The npm packages `sources` import by `npm:` specifier (the SDK has no import map, so that it
 * can be imported by path from anywhere), as package name to version range. Throws when one
 * package is imported with two ranges, or without one.
 */
export function npmImports(sources: readonly string[]): Record<string, string> {
  const found: Record<string, string> = {};
  for (const source of sources) {
    for (const match of source.matchAll(/\bfrom\s+["']npm:(@?[^@"']+)(?:@([^/"']+))?[^"']*["']/g)) {
      const [, name = "", range] = match;
      if (range === undefined) {
        throw new Error(`Cannot read the SDK's dependencies as npm:${name} has no version range`);
      }
      if (found[name] !== undefined && found[name] !== range) {
        throw new Error(
          `Cannot read the SDK's dependencies as npm:${name} is imported as both ` +
            `${found[name]} and ${range}`,
        );
      }
      found[name] = range;
    }
  }
  return found;
}

/**
 * Problems between `deno.json` (JSR), `package.json` (npm) and the `npm:` imports of the sources
 * (as {@linkcode npmImports} reads them); empty when they agree.
 */
export function manifestProblems(
  deno: DenoManifest,
  npm: NpmManifest,
  imported: Record<string, string>,
): string[] {
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
  const names = new Set([...Object.keys(npm.dependencies), ...Object.keys(imported)]);
  for (const name of [...names].sort()) {
    const range = npm.dependencies[name];
    const source = imported[name];
    if (range !== source) {
      problems.push(
        `dependency ${name}: ${source === undefined ? "not imported" : `npm:${name}@${source}`} ` +
          `in the sources, ${range ?? "absent"} in package.json`,
      );
    }
  }
  return problems;
}

/** The text of every published source of the SDK in `sdk` (its `.ts` files but tests, at the top). */
export async function sdkSources(sdk: URL): Promise<string[]> {
  const sources: string[] = [];
  for await (const entry of Deno.readDir(sdk)) {
    if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      sources.push(await Deno.readTextFile(new URL(entry.name, sdk)));
    }
  }
  return sources;
}
