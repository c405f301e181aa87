/**
 * The {@linkcode Host} for Node.js and Bun, which share Node's `process`
 * global and `node:` built-in modules. The built-ins are loaded on first
 * use, so that other runtimes never load them.
 *
 * @module
 */

import type { EnvRead, FileFailureKind, FileRead, FileWrite, Host, MemoryUse } from "./host.ts";
import { normalizeArch, normalizeOs, randomSuffix } from "./host.ts";

/** The part of Node's `process` global the SDK reads. */
interface NodeProcess {
  readonly versions: { readonly node?: string; readonly bun?: string };
  readonly platform?: string;
  readonly arch?: string;
  readonly env?: Record<string, string | undefined>;
  memoryUsage?(): { heapUsed: number; rss: number };
}

/** Returns the host for Node.js or Bun. Call only where `globalThis.process` exists. */
export function createNodeHost(): Host {
  const process = (globalThis as unknown as { process: NodeProcess }).process;
  const bun = process.versions.bun;
  return {
    runtime: bun === undefined ? "node" : "bun",
    runtimeVersion: bun ?? process.versions.node,
    os: process.platform === undefined ? undefined : normalizeOs(process.platform),
    arch: process.arch === undefined ? undefined : normalizeArch(process.arch),
    env: (name) => readEnv(process, name),
    mayConnect: () => true,
    cpuCores,
    memoryUse: () => memoryUse(process),
    pathExists,
    readTextFile,
    ensureDir,
    writeFileAtomic,
    removeFile,
    restrictToOwner: (path) => restrictToOwner(process, path),
    fileMode: (path) => fileMode(process, path),
  };
}

function readEnv(process: NodeProcess, name: string): EnvRead {
  try {
    return { readable: true, value: process.env?.[name] };
  } catch {
    // Node's permission model (--permission) can forbid reading the environment.
    return { readable: false };
  }
}

async function cpuCores(): Promise<number | undefined> {
  const fromNavigator = (globalThis.navigator as { hardwareConcurrency?: unknown } | undefined)
    ?.hardwareConcurrency;
  if (typeof fromNavigator === "number" && fromNavigator > 0) return fromNavigator;
  try {
    // Node.js before 21 has no navigator.
    const os = await import("node:os");
    const count = os.cpus().length;
    return count > 0 ? count : undefined;
  } catch {
    return undefined;
  }
}

function memoryUse(process: NodeProcess): MemoryUse | undefined {
  try {
    const usage = process.memoryUsage?.();
    return usage === undefined ? undefined : { heapUsedBytes: usage.heapUsed, rssBytes: usage.rss };
  } catch {
    return undefined;
  }
}

async function pathExists(path: string): Promise<boolean | undefined> {
  try {
    const fs = await import("node:fs/promises");
    await fs.lstat(path);
    return true;
  } catch (error) {
    return failureKind(error) === "not_found" ? false : undefined;
  }
}

async function readTextFile(path: string): Promise<FileRead> {
  try {
    const fs = await import("node:fs/promises");
    return { ok: true, text: await fs.readFile(path, { encoding: "utf8" }) };
  } catch (error) {
    return { ok: false, kind: failureKind(error), message: describe(error) };
  }
}

async function ensureDir(path: string): Promise<FileWrite> {
  try {
    const fs = await import("node:fs/promises");
    await fs.mkdir(path, { recursive: true });
    return { ok: true };
  } catch (error) {
    return { ok: false, kind: failureKind(error), message: describe(error) };
  }
}

async function writeFileAtomic(path: string, text: string, mode: number): Promise<FileWrite> {
  const temporary = `${path}.${randomSuffix()}.tmp`;
  let fs: typeof import("node:fs/promises") | undefined;
  try {
    fs = await import("node:fs/promises");
    const file = await fs.open(temporary, "wx", mode);
    try {
      await file.writeFile(text, { encoding: "utf8" });
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.rename(temporary, path);
    return { ok: true };
  } catch (error) {
    await fs?.rm(temporary, { force: true }).catch(() => {});
    return { ok: false, kind: failureKind(error), message: describe(error) };
  }
}

async function removeFile(path: string): Promise<FileWrite> {
  try {
    const fs = await import("node:fs/promises");
    await fs.rm(path, { force: true });
    return { ok: true };
  } catch (error) {
    return { ok: false, kind: failureKind(error), message: describe(error) };
  }
}

async function restrictToOwner(process: NodeProcess, path: string): Promise<void> {
  if (process.platform === "win32") return;
  const mode = await fileMode(process, path);
  if (mode === undefined || (mode & 0o077) === 0) return;
  try {
    const fs = await import("node:fs/promises");
    await fs.chmod(path, mode & 0o700);
  } catch {
    // Best effort: a file we cannot chmod is still usable.
  }
}

async function fileMode(process: NodeProcess, path: string): Promise<number | undefined> {
  if (process.platform === "win32") return undefined;
  try {
    const fs = await import("node:fs/promises");
    return (await fs.stat(path)).mode & 0o777;
  } catch {
    return undefined;
  }
}

function failureKind(error: unknown): FileFailureKind {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return "not_found";
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") return "denied";
  // Deno running this host (in tests) reports a missing permission this way.
  if ((error as { name?: unknown } | null)?.name === "NotCapable") return "denied";
  return "other";
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
