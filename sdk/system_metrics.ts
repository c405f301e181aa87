/**
 * The system metrics the SDK adds to each snapshot, named as the original SHM
 * SDK names them. A metric the runtime cannot tell is left out, not faked.
 *
 * @module
 */

import type { Host } from "./host.ts";

/**
 * The system metrics of a snapshot. Every key is optional: a runtime that
 * cannot tell one leaves it out.
 *
 * @example Reading the runtime from a preview
 * ```ts
 * import { SHMClient, type SystemMetrics } from "@shm/sdk";
 *
 * const client = new SHMClient({
 *   serverUrl: "https://telemetry.example.com",
 *   appName: "my-app",
 *   appVersion: "1.4.2",
 * });
 * const preview = await client.preview();
 * if (preview.ok) {
 *   const system = preview.payload.metrics as SystemMetrics;
 *   console.log(system.sys_runtime, system.sys_runtime_version);
 * }
 * ```
 */
export interface SystemMetrics {
  /** Operating system, in Node.js's names: `linux`, `darwin`, `win32`, … */
  sys_os?: string;
  /** CPU architecture, in Node.js's names: `x64`, `arm64`, … */
  sys_arch?: string;
  /** Logical CPU cores. */
  sys_cpu_cores?: number;
  /** `kubernetes`, `docker` (any container) or `standalone`. */
  sys_mode?: DeploymentMode;
  /** `deno`, `node` or `bun`. */
  sys_runtime?: string;
  /** The runtime's version, e.g. `2.1.4`. */
  sys_runtime_version?: string;
  /** JavaScript heap in use, in whole MiB. */
  app_mem_heap_mb?: number;
  /** Resident set size of the process, in whole MiB. */
  app_mem_rss_mb?: number;
  /** Whole hours since the process started. */
  app_uptime_h?: number;
}

/**
 * Where the application runs: in Kubernetes, in a container (Docker,
 * Podman, containerd, LXC: all `docker`, as the original SDK names it), or
 * directly on a host.
 *
 * @example Reading the deployment mode of a preview
 * ```ts
 * import { type DeploymentMode, SHMClient } from "@shm/sdk";
 *
 * const client = new SHMClient({
 *   serverUrl: "https://telemetry.example.com",
 *   appName: "my-app",
 *   appVersion: "1.4.2",
 * });
 * const preview = await client.preview();
 * const mode: DeploymentMode | undefined = preview.ok ? preview.payload.deployment_mode : undefined;
 * ```
 */
export type DeploymentMode = "kubernetes" | "docker" | "standalone";

const MIB = 1024 * 1024;

/** Collects the system metrics `host` can tell. `uptimeMs` is the process's age. */
export async function collectSystemMetrics(
  host: Host,
  options: { readonly uptimeMs: number },
): Promise<SystemMetrics> {
  const metrics: SystemMetrics = {};
  if (host.os !== undefined) metrics.sys_os = host.os;
  if (host.arch !== undefined) metrics.sys_arch = host.arch;
  const cores = await host.cpuCores();
  if (cores !== undefined) metrics.sys_cpu_cores = cores;
  const mode = await detectDeploymentMode(host);
  if (mode !== undefined) metrics.sys_mode = mode;
  metrics.sys_runtime = host.runtime;
  if (host.runtimeVersion !== undefined) metrics.sys_runtime_version = host.runtimeVersion;
  const memory = host.memoryUse();
  if (memory !== undefined) {
    metrics.app_mem_heap_mb = Math.floor(memory.heapUsedBytes / MIB);
    metrics.app_mem_rss_mb = Math.floor(memory.rssBytes / MIB);
  }
  if (Number.isFinite(options.uptimeMs) && options.uptimeMs >= 0) {
    metrics.app_uptime_h = Math.floor(options.uptimeMs / 3_600_000);
  }
  return metrics;
}

/**
 * Tells Kubernetes, a container, or a plain host apart, from the environment
 * and from files that container runtimes leave. `undefined` when the SDK may
 * not look (no permission) and so cannot tell.
 */
export async function detectDeploymentMode(host: Host): Promise<DeploymentMode | undefined> {
  const k8sEnv = host.env("KUBERNETES_SERVICE_HOST");
  if (k8sEnv.readable && k8sEnv.value !== undefined && k8sEnv.value !== "") return "kubernetes";
  if (host.os !== "linux") return k8sEnv.readable ? "standalone" : undefined;

  const serviceAccount = await host.pathExists("/var/run/secrets/kubernetes.io/serviceaccount");
  if (serviceAccount === true) return "kubernetes";
  const dockerEnv = await host.pathExists("/.dockerenv");
  const podmanEnv = await host.pathExists("/run/.containerenv");
  if (dockerEnv === true || podmanEnv === true) return "docker";
  const cgroup = await host.readTextFile("/proc/self/cgroup");
  if (cgroup.ok) {
    if (cgroup.text.includes("kubepods")) return "kubernetes";
    if (/docker|containerd|lxc|libpod/.test(cgroup.text)) return "docker";
  }
  const couldLook = k8sEnv.readable && serviceAccount !== undefined &&
    dockerEnv !== undefined && podmanEnv !== undefined;
  return couldLook ? "standalone" : undefined;
}
