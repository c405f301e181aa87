/**
 * Which {@linkcode Host} the SDK runs on, decided once by feature detection:
 * the only file that knows every host implementation.
 *
 * @module
 */

import { createDenoHost } from "./deno_host.ts";
import type { Host } from "./host.ts";
import { createNodeHost } from "./node_host.ts";

/**
 * Returns the host for the runtime this code runs on, or `undefined` on a
 * runtime the SDK does not support (a browser, a worker without file access).
 */
export function detectHost(): Host | undefined {
  const deno = (globalThis as { Deno?: { version?: { deno?: unknown } } }).Deno;
  if (typeof deno?.version?.deno === "string") return createDenoHost();
  const process = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  if (typeof process?.versions?.node === "string") return createNodeHost();
  return undefined;
}
