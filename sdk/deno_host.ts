/**
 * The {@linkcode Host} for Deno. Every access that needs a permission is
 * queried first with `Deno.permissions.querySync`, so the SDK never makes
 * Deno prompt: a prompt would block the host application's event loop.
 *
 * @module
 */

import type { EnvRead, FileFailureKind, FileRead, FileWrite, Host, MemoryUse } from "./host.ts";
import { normalizeArch, normalizeOs, parentDir, randomSuffix } from "./host.ts";

/** Returns the host for Deno. Call only where `globalThis.Deno` exists. */
export function createDenoHost(): Host {
  return {
    runtime: "deno",
    runtimeVersion: Deno.version.deno,
    os: normalizeOs(Deno.build.os),
    arch: normalizeArch(Deno.build.arch),
    env: readEnv,
    mayConnect: (url) => granted({ name: "net", host: url.host }),
    cpuCores: () => Promise.resolve(cpuCores()),
    memoryUse,
    pathExists,
    readTextFile,
    ensureDir,
    writeFileAtomic,
    removeFile,
    restrictToOwner,
    fileMode,
  };
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

function readEnv(name: string): EnvRead {
  if (!granted({ name: "env", variable: name })) return { readable: false };
  try {
    return { readable: true, value: Deno.env.get(name) };
  } catch {
    return { readable: false };
  }
}

function cpuCores(): number | undefined {
  const cores = (globalThis.navigator as { hardwareConcurrency?: unknown } | undefined)
    ?.hardwareConcurrency;
  return typeof cores === "number" && cores > 0 ? cores : undefined;
}

function memoryUse(): MemoryUse | undefined {
  try {
    const usage = Deno.memoryUsage();
    return { heapUsedBytes: usage.heapUsed, rssBytes: usage.rss };
  } catch {
    return undefined;
  }
}

async function pathExists(path: string): Promise<boolean | undefined> {
  if (!granted({ name: "read", path })) return undefined;
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? false : undefined;
  }
}

async function readTextFile(path: string): Promise<FileRead> {
  if (!granted({ name: "read", path })) {
    return { ok: false, kind: "denied", message: `no read permission for ${path}` };
  }
  try {
    return { ok: true, text: await Deno.readTextFile(path) };
  } catch (error) {
    return { ok: false, kind: failureKind(error), message: describe(error) };
  }
}

async function ensureDir(path: string): Promise<FileWrite> {
  if (!granted({ name: "write", path })) {
    return { ok: false, kind: "denied", message: `no write permission for ${path}` };
  }
  try {
    await Deno.mkdir(path, { recursive: true });
    return { ok: true };
  } catch (error) {
    return { ok: false, kind: failureKind(error), message: describe(error) };
  }
}

async function writeFileAtomic(path: string, text: string, mode: number): Promise<FileWrite> {
  if (!granted({ name: "write", path: parentDir(path) })) {
    return { ok: false, kind: "denied", message: `no write permission for ${parentDir(path)}` };
  }
  const temporary = `${path}.${randomSuffix()}.tmp`;
  try {
    const file = await Deno.open(temporary, { write: true, createNew: true, mode });
    try {
      const bytes = new TextEncoder().encode(text);
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temporary, path);
    return { ok: true };
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    return { ok: false, kind: failureKind(error), message: describe(error) };
  }
}

async function removeFile(path: string): Promise<FileWrite> {
  if (!granted({ name: "write", path })) {
    return { ok: false, kind: "denied", message: `no write permission for ${path}` };
  }
  try {
    await Deno.remove(path);
    return { ok: true };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { ok: true };
    return { ok: false, kind: failureKind(error), message: describe(error) };
  }
}

async function restrictToOwner(path: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const mode = await fileMode(path);
  if (mode === undefined || (mode & 0o077) === 0) return;
  await Deno.chmod(path, mode & 0o700).catch(() => {});
}

async function fileMode(path: string): Promise<number | undefined> {
  if (!granted({ name: "read", path })) return undefined;
  try {
    const mode = (await Deno.stat(path)).mode;
    return mode === null ? undefined : mode & 0o777;
  } catch {
    return undefined;
  }
}

function failureKind(error: unknown): FileFailureKind {
  if (error instanceof Deno.errors.NotFound) return "not_found";
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
    return "denied";
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "EROFS" || code === "EACCES" || code === "EPERM") return "denied";
  return "other";
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
