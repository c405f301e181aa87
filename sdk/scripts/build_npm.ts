/**
 * Builds the npm package of the SDK into `sdk/npm/`, ready for `npm pack`:
 * ES modules and `.d.ts` declarations made by TypeScript's compiler from the
 * same `.ts` sources JSR publishes (their `.ts` imports rewritten to `.js`),
 * plus `package.json`, `README.md` and `LICENSE`.
 *
 * Before building it checks that the two manifests agree (name, version,
 * entry points, the `@noble/ed25519` range); after, that the declarations
 * stand alone (type-check with no Deno or Node types) and that the package
 * has no file it should not.
 *
 *     deno task sdk:npm                                  # into sdk/npm/
 *     deno run -A sdk/scripts/build_npm.ts /tmp/elsewhere  # into another directory
 *
 * @module
 */

// deno-lint-ignore-file no-console
// The compiler is imported here, not through an import map, so that no install of the server
// or of the SDK fetches it: only this build does.
import ts from "npm:typescript@~6.0.3";
import {
  type DenoManifest,
  manifestProblems,
  npmImports,
  type NpmManifest,
  sdkSources,
} from "./manifests.ts";

const SDK = new URL("../", import.meta.url);

async function readJson<T>(url: URL): Promise<T> {
  return JSON.parse(await Deno.readTextFile(url)) as T;
}

function report(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnosticsWithColorAndContext(diagnostics, {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => Deno.cwd(),
    getNewLine: () => "\n",
  });
}

async function listFiles(dir: URL, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      files.push(...await listFiles(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`));
    } else files.push(`${prefix}${entry.name}`);
  }
  return files.sort();
}

async function build(out: URL): Promise<void> {
  const denoManifest = await readJson<DenoManifest>(new URL("deno.json", SDK));
  const npmManifest = await readJson<NpmManifest>(new URL("package.json", SDK));
  const problems = manifestProblems(denoManifest, npmManifest, npmImports(await sdkSources(SDK)));
  if (problems.length > 0) {
    throw new Error(`Cannot build as the manifests disagree:\n${problems.join("\n")}`);
  }

  await Deno.remove(out, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });

  const entries = Object.values(denoManifest.exports).map((path) => new URL(path, SDK).pathname);
  // Type checking is `deno check`'s job (it knows both Deno's and Node's APIs);
  // here TypeScript only emits, and isolatedDeclarations guarantees that each
  // declaration file follows from its own source's annotations.
  const program = ts.createProgram(entries, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    rewriteRelativeImportExtensions: true,
    allowImportingTsExtensions: true,
    declaration: true,
    isolatedDeclarations: true,
    noCheck: true,
    skipLibCheck: true,
    rootDir: SDK.pathname,
    outDir: out.pathname,
    newLine: ts.NewLineKind.LineFeed,
    removeComments: false,
  });
  const emitted = program.emit();
  const emitProblems = [...program.getSyntacticDiagnostics(), ...emitted.diagnostics];
  if (emitted.emitSkipped || emitProblems.length > 0) {
    throw new Error(`Cannot build as TypeScript failed:\n${report(emitProblems)}`);
  }

  // TypeScript rewrites `.ts` imports in the JavaScript only; declarations
  // keep them, which older TypeScript versions and other tools refuse. The
  // sources' `npm:name@range` imports become `name`, a dependency of package.json.
  const emittedFiles = (await listFiles(out)).filter((f) => /\.(d\.ts|js)$/.test(f))
    .map((f) => new URL(f, out).pathname);
  for (const path of emittedFiles) {
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(
      path,
      text.replace(/((?:from|import\()\s*["']\.{1,2}\/[^"']+)\.ts(["'])/g, "$1.js$2")
        .replace(/((?:from|import\()\s*["'])npm:(@?[^@"']+)@[^/"']+/g, "$1$2"),
    );
  }
  const declarations = emittedFiles.filter((path) => path.endsWith(".d.ts"));

  // The declarations must stand alone for a TypeScript user on Node.js:
  // standard library and DOM types only, no Deno or Node types.
  const consumer = ts.createProgram(declarations, {
    noEmit: true,
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    types: [],
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const typeProblems = ts.getPreEmitDiagnostics(consumer);
  if (typeProblems.length > 0) {
    throw new Error(
      `Cannot build as the declarations do not stand alone:\n${report(typeProblems)}`,
    );
  }

  await Deno.writeTextFile(
    new URL("package.json", out),
    JSON.stringify(npmManifest, null, 2) + "\n",
  );
  await Deno.copyFile(new URL("README.md", SDK), new URL("README.md", out));
  await Deno.copyFile(new URL("LICENSE", SDK), new URL("LICENSE", out));

  const files = await listFiles(out);
  const stray = files.filter((f) => /(_test|\/testing\/|^testing\/|^scripts\/)/.test(f));
  if (stray.length > 0) throw new Error(`Cannot build as test or build files leaked in: ${stray}`);
  if (!files.includes("mod.js") || !files.includes("mod.d.ts")) {
    throw new Error(`Cannot build as the entry point is missing from: ${files}`);
  }
  console.log(
    `Built ${npmManifest.name}@${npmManifest.version} in ${out.pathname} (${files.length} files)`,
  );
}

if (import.meta.main) {
  try {
    const out = Deno.args[0];
    await build(
      out === undefined
        ? new URL("npm/", SDK)
        : new URL(`${out.replace(/\/?$/, "/")}`, `file://${Deno.cwd()}/`),
    );
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
