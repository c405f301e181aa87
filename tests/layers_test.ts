/**
 * The direction of imports between the middle floor's folders, read from the
 * source (docs/architecture.md, "Imports point one way"): route handlers in
 * server/http/ call stats, ingest or accounts and never the store (only the
 * wiring, http/app.ts, builds on it; the others may name the `Database`
 * type, to pass the handle along); server/stats/ and server/badges/ never
 * import server/http/.
 */

import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Every `.ts`/`.tsx` file under `folder` (relative to the repository), tests included. */
function sourceFiles(folder: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) walk(path);
      else if (/\.tsx?$/.test(entry.name)) files.push(path);
    }
  };
  walk(join(ROOT, folder));
  return files.sort();
}

/** One import or re-export of a file: what it names, from which file, and whether only types. */
interface ImportLine {
  readonly target: string;
  readonly names: string;
  readonly typeOnly: boolean;
  readonly text: string;
}

/** The static imports, re-exports and dynamic imports of `file`, their targets resolved. */
function importsOf(file: string): ImportLine[] {
  const source = Deno.readTextFileSync(file);
  const lines: ImportLine[] = [];
  const statement = /\b(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']/g;
  for (const match of source.matchAll(statement)) {
    const specifier = match[4]!;
    if (!specifier.startsWith(".")) continue;
    lines.push({
      target: resolve(dirname(file), specifier),
      names: match[3]!,
      typeOnly: match[2] !== undefined,
      text: match[0],
    });
  }
  for (const match of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
    if (!match[1]!.startsWith(".")) continue;
    lines.push({
      target: resolve(dirname(file), match[1]!),
      names: "*",
      typeOnly: false,
      text: match[0],
    });
  }
  return lines;
}

function isUnder(path: string, folder: string): boolean {
  return !relative(join(ROOT, folder), path).startsWith("..");
}

/** The one import of the store the route handlers may have: the database handle's type. */
function onlyTheDatabaseType(line: ImportLine): boolean {
  const names = line.names.replace(/^\{|\}$/g, "").split(",").map((name) => name.trim())
    .filter((name) => name !== "");
  return names.length > 0 &&
    names.every((name) => name === "Database" || name === "type Database") &&
    (line.typeOnly || names.every((name) => name.startsWith("type ")));
}

Deno.test("layers: no file under server/http/ but the wiring (app.ts) imports the store, except the Database type", () => {
  const files = sourceFiles("server/http");
  assert.ok(files.length > 20, `${files.length} files under server/http`);
  const wiring = join(ROOT, "server/http/app.ts");
  const offending = files.filter((file) => file !== wiring).flatMap((file) =>
    importsOf(file)
      .filter((line) => isUnder(line.target, "server/store") && !onlyTheDatabaseType(line))
      .map((line) => `${relative(ROOT, file)}: ${line.text}`)
  );
  assert.deepEqual(offending, [], "call stats, ingest or accounts instead");
});

Deno.test("layers: server/stats/ and server/badges/ never import server/http/", () => {
  const files = [...sourceFiles("server/stats"), ...sourceFiles("server/badges")];
  assert.ok(files.length > 10, `${files.length} files`);
  const offending = files.flatMap((file) =>
    importsOf(file).filter((line) => isUnder(line.target, "server/http"))
      .map((line) => `${relative(ROOT, file)}: ${line.text}`)
  );
  assert.deepEqual(offending, []);
});

Deno.test("layers: the import reader sees what the rules are about", () => {
  // The rules above pass on an empty reading too: check the reader on this repository's own files.
  const app = importsOf(join(ROOT, "server/http/app.ts"));
  assert.ok(app.some((line) => isUnder(line.target, "server/store") && !onlyTheDatabaseType(line)));
  const access = importsOf(join(ROOT, "server/http/access.ts"));
  assert.ok(
    access.some((line) => isUnder(line.target, "server/store") && onlyTheDatabaseType(line)),
  );
  const badgeRoutes = importsOf(join(ROOT, "server/http/badge_routes.ts"));
  assert.ok(badgeRoutes.some((line) => isUnder(line.target, "server/badges")));
  assert.ok(
    !onlyTheDatabaseType({
      target: "",
      names: "{ type Database, findApplication }",
      typeOnly: false,
      text: "",
    }),
  );
});
