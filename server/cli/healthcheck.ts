/**
 * `shm healthcheck`: asks the server on this machine whether it is alive
 * (`/api/v1/healthcheck`) or, with `--ready`, whether it can serve, its store
 * answering (`/api/v1/readyz`), for container health checks on images that
 * carry no curl.
 */

import type { Config } from "../config.ts";

/** How long the probe waits for an answer. */
const PROBE_TIMEOUT_MS = 5_000;

/** Which question a probe asks: is the process alive, or is it ready to serve (its store answers)? */
export type HealthProbe = "live" | "ready";

/** The path and the `status` a healthy answer carries, for each probe. */
const PROBES: Record<HealthProbe, { path: string; status: string }> = {
  live: { path: "/api/v1/healthcheck", status: "ok" },
  ready: { path: "/api/v1/readyz", status: "ready" },
};

/**
 * The healthcheck URL (or, for `"ready"`, the readiness URL) of the server
 * that `config` describes, as seen from the same machine: a wildcard
 * listening address is reached on loopback.
 */
export function localHealthcheckUrl(
  config: Pick<Config, "host" | "port">,
  probe: HealthProbe = "live",
): string {
  const host = ["0.0.0.0", "", "::"].includes(config.host)
    ? "127.0.0.1"
    : config.host.includes(":")
    ? `[${config.host}]`
    : config.host;
  return `http://${host}:${config.port}${PROBES[probe].path}`;
}

/**
 * GETs `url` and answers whether it said 200 with `{"status":"ok"}` (for the
 * `"ready"` probe: `{"status":"ready"}`), with a one-line reason either way.
 * Never throws: a refused connection or a timeout is an unhealthy answer.
 */
export async function probeHealth(
  url: string,
  options: { timeoutMs?: number; probe?: HealthProbe } = {},
): Promise<{ healthy: boolean; detail: string }> {
  const expected = PROBES[options.probe ?? "live"].status;
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
    if (response.status === 200 && status === expected) {
      return { healthy: true, detail: `${url}: ${expected}` };
    }
    return { healthy: false, detail: `${url}: answered ${response.status} ${text.slice(0, 200)}` };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { healthy: false, detail: `${url}: ${message.split("\n")[0]}` };
  }
}
