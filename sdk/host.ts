/**
 * What the SDK needs from the runtime it runs on, beyond web-standard APIs:
 * environment variables, files, and facts about the process, as the
 * {@linkcode Host} interface, with the path and name helpers its
 * implementations share. Deno gets `deno_host.ts`; Node.js and Bun share
 * `node_host.ts`; `detect_host.ts` picks one. This file imports neither, so
 * the implementations depend on it and never the other way round.
 *
 * @module
 */

/** The runtimes the SDK knows, as reported in `sys_runtime`. */
export type RuntimeName = "deno" | "node" | "bun";

/** An environment variable as read: its value, or the fact that it may not be read. */
export type EnvRead =
  | { readonly readable: true; readonly value: string | undefined }
  | { readonly readable: false };

/** Why a file operation failed: missing, not allowed (permissions, read-only), or other. */
export type FileFailureKind = "not_found" | "denied" | "other";

/** The outcome of reading a text file. */
export type FileRead =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly kind: FileFailureKind; readonly message: string };

/** The outcome of a file write or directory creation. */
export type FileWrite =
  | { readonly ok: true }
  | { readonly ok: false; readonly kind: FileFailureKind; readonly message: string };

/** Memory use of the current process, in bytes. */
export interface MemoryUse {
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
}

/** The runtime-specific operations the SDK performs. No method throws. */
export interface Host {
  /** Which runtime this is. */
  readonly runtime: RuntimeName;
  /** The runtime's own version (e.g. `2.1.4` for Deno, `20.11.0` for Node.js), if known. */
  readonly runtimeVersion: string | undefined;
  /** The operating system in Node.js's vocabulary (`linux`, `darwin`, `win32`, …), if known. */
  readonly os: string | undefined;
  /** The CPU architecture in Node.js's vocabulary (`x64`, `arm64`, …), if known. */
  readonly arch: string | undefined;
  /** Reads an environment variable without ever prompting for a permission. */
  env(name: string): EnvRead;
  /** Whether the SDK may open connections to `url` without prompting for a permission. */
  mayConnect(url: URL): boolean;
  /** Number of logical CPU cores, if the runtime tells. */
  cpuCores(): Promise<number | undefined>;
  /** Memory use of this process, if the runtime tells. */
  memoryUse(): MemoryUse | undefined;
  /** Whether a path exists; `undefined` when that may not be checked. */
  pathExists(path: string): Promise<boolean | undefined>;
  /** Reads a UTF-8 file. */
  readTextFile(path: string): Promise<FileRead>;
  /** Creates a directory and its parents if missing. */
  ensureDir(path: string): Promise<FileWrite>;
  /**
   * Replaces `path` with `text` atomically: writes a temporary file with
   * `mode` beside it, flushes it to disk, then renames it over `path`.
   */
  writeFileAtomic(path: string, text: string, mode: number): Promise<FileWrite>;
  /** Deletes a file; a file that is not there counts as deleted. */
  removeFile(path: string): Promise<FileWrite>;
  /** Removes group and other permission bits from a file (POSIX only; best effort). */
  restrictToOwner(path: string): Promise<void>;
  /** The permission bits of a file (POSIX), if they can be read. */
  fileMode(path: string): Promise<number | undefined>;
}

/** Joins a directory and a file name with `/`, which every supported OS accepts. */
export function joinPath(dir: string, file: string): string {
  if (dir === "") return file;
  return /[\\/]$/.test(dir) ? `${dir}${file}` : `${dir}/${file}`;
}

/** The directory part of a path written with `/` or `\`; `.` when there is none. */
export function parentDir(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < 0) return ".";
  if (cut === 0) return path.slice(0, 1);
  return path.slice(0, cut);
}

/** Maps Deno's and Bun's names of operating systems to Node.js's, the original SDK's vocabulary. */
export function normalizeOs(os: string): string {
  return os === "windows" ? "win32" : os;
}

/** Maps Deno's names of CPU architectures to Node.js's, the original SDK's vocabulary. */
export function normalizeArch(arch: string): string {
  if (arch === "x86_64") return "x64";
  if (arch === "aarch64") return "arm64";
  return arch;
}

/** A short random suffix for temporary file names; uniqueness, not secrecy, is what counts. */
export function randomSuffix(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}
