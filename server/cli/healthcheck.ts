/**
 * `shm healthcheck`: asks the server on this machine whether it is alive, for
 * container health checks on images that carry no curl.
 */

import type { Config } from "../config.ts";

/** How long the probe waits for an answer. */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * The healthcheck URL of the server that `config` describes, as seen from
 * the same machine: a wildcard listening address is reached on loopback.
 */
export function localHealthcheckUrl(config: Pick<Config, "host" | "port">): string {
  const host = ["0.0.0.0", "", "::"].includes(config.host)
    ? "127.0.0.1"
    : config.host.includes(":")
    ? `[${config.host}]`
    : config.host;
  return `http://${host}:${config.port}/api/v1/healthcheck`;
}

/**
 * GETs `url` and answers whether it said 200 with `{"status":"ok"}`, with a
 * one-line reason either way. Never throws: a refused connection or a
 * timeout is an unhealthy answer.
 */
export async function probeHealth(
  url: string,
  options: { timeoutMs?: number } = {},
): Promise<{ healthy: boolean; detail: string }> {
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? PROBE_TIMEOUT_MS),
    });
    const text = await response.text();
    let status: unknown = null;
    try {
      status = (JSON.parse(text) as { status?: unknown }).status;
    } catch {
      status = null;
    }
    if (response.status === 200 && status === "ok") return { healthy: true, detail: `${url}: ok` };
    return { healthy: false, detail: `${url}: answered ${response.status} ${text.slice(0, 200)}` };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { healthy: false, detail: `${url}: ${message.split("\n")[0]}` };
  }
}
