/**
 * What goes into a snapshot besides its id and time: the instance's
 * description (version, environment, deployment facts) and its metrics (the
 * provider's, then the system's).
 *
 * @module
 */

import type { Host } from "./host.ts";
import type { Settings } from "./options.ts";
import type { InstanceMeta } from "./protocol.ts";
import type { Metrics, MetricsProvider } from "./provider.ts";
import { runProvider } from "./provider.ts";
import { collectSystemMetrics, detectDeploymentMode } from "./system_metrics.ts";
import type { Timers } from "./timers.ts";

/**
 * The instance's description. Deployment mode and `os/arch` are system facts,
 * so they are left out when system metrics are off.
 */
export async function describeInstance(settings: Settings, host: Host): Promise<InstanceMeta> {
  const system = settings.collectSystemMetrics;
  const deploymentMode = system ? await detectDeploymentMode(host) : undefined;
  const osArch = system && host.os !== undefined && host.arch !== undefined
    ? `${host.os}/${host.arch}`
    : undefined;
  return {
    appName: settings.appName,
    appVersion: settings.appVersion,
    environment: settings.environment,
    deploymentMode,
    osArch,
  };
}

/** The metrics of one snapshot, and what went wrong with the provider, if anything. */
export interface GatheredMetrics {
  readonly metrics: Metrics;
  readonly providerProblem: string | undefined;
}

/**
 * The provider's metrics (none if it fails), then the system metrics when
 * they are on; a system metric wins a name clash, as in the original SDK.
 */
export async function gatherMetrics(
  settings: Settings,
  context: {
    readonly provider: MetricsProvider | undefined;
    readonly host: Host;
    readonly timers: Timers;
    readonly uptimeMs: number;
  },
): Promise<GatheredMetrics> {
  let custom: Metrics = {};
  let providerProblem: string | undefined;
  if (context.provider !== undefined) {
    const provided = await runProvider(context.provider, {
      timeoutMs: settings.providerTimeoutMs,
      timers: context.timers,
    });
    if (provided.ok) custom = provided.metrics;
    else providerProblem = provided.message;
  }
  if (!settings.collectSystemMetrics) return { metrics: custom, providerProblem };
  const system = await collectSystemMetrics(context.host, { uptimeMs: context.uptimeMs });
  return { metrics: { ...custom, ...system }, providerProblem };
}
