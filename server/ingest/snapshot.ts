/** POST /v1/snapshot: an instance reports its metrics. */

import { METADATA_MAX_LENGTHS as MAX } from "../../shared/instance_metadata.ts";
import { ClientError } from "../errors.ts";
import { revokedInstance, unknownInstance, type VerifiedInstance } from "./authenticate.ts";
import { type IngestContext, MAX_FUTURE_SKEW_MS } from "./context.ts";
import { acceptableText, optionalText, requireUuid } from "./field_rules.ts";
import { flattenMetrics } from "./flatten_metrics.ts";
import { parseJsonObject } from "./json_body.ts";
import { describeOffset, requireTimestamp } from "./timestamp.ts";

/** What was stored: the keys dropped from the metrics, each as `"key: reason"`. */
export interface SnapshotResult {
  readonly dropped: readonly string[];
}

/**
 * Stores a snapshot from a verified instance after checking every rule of the
 * protocol, each before anything is written: the body's `instance_id` is the
 * signer's (403), the timestamp is in the accepted window (400) and strictly
 * later than the last accepted one (409), the metrics have a usable shape
 * (400). Single unusable metric values are dropped and reported.
 */
export async function acceptSnapshot(
  ctx: IngestContext,
  instance: VerifiedInstance,
  body: Uint8Array,
): Promise<SnapshotResult> {
  const fields = parseJsonObject(body);
  const bodyInstanceId = requireUuid(fields, "instance_id");
  if (bodyInstanceId !== instance.instanceId) {
    throw new ClientError(
      403,
      "instance_id_mismatch",
      `Cannot accept a snapshot for instance ${bodyInstanceId} signed by instance ` +
        `${instance.instanceId}: an instance may only write its own records`,
    );
  }
  const timestamp = checkTimestamp(ctx, fields["timestamp"]);
  const { metrics, dropped } = flattenMetrics(fields["metrics"]);
  const appVersion = optionalText(fields, "app_version", MAX.app_version);
  const outcome = await ctx.snapshots.write({
    instanceId: instance.instanceId,
    takenAt: timestamp,
    metrics,
    appVersion: appVersion?.trim() ?? null,
    metadata: {
      environment: optionalText(fields, "environment", MAX.environment),
      deploymentMode: optionalText(fields, "deployment_mode", MAX.deployment_mode),
      osArch: optionalText(fields, "os_arch", MAX.os_arch),
    },
    ...reportedDeploymentMode(metrics),
  }, ctx.now());
  switch (outcome) {
    case "accepted":
      return { dropped };
    case "not_newer":
      throw new ClientError(
        409,
        "snapshot_not_newer",
        `Cannot accept the snapshot as its timestamp ${timestamp} is not later than the ` +
          "last accepted one: it is replayed or out of order",
      );
    case "revoked":
      throw revokedInstance(instance.instanceId);
    case "unknown":
      throw unknownInstance(instance.instanceId);
  }
}

/**
 * The original SDKs never send `deployment_mode`; their `sys_mode` metric
 * says it. A value that would not pass as `deployment_mode`, or that holds a
 * control character, is ignored.
 */
function reportedDeploymentMode(
  metrics: Readonly<Record<string, unknown>>,
): { reportedDeploymentMode?: string } {
  const mode = acceptableText(metrics["sys_mode"], MAX.deployment_mode);
  return mode === null ? {} : { reportedDeploymentMode: mode };
}

function checkTimestamp(ctx: IngestContext, value: unknown): string {
  const parsed = requireTimestamp(value);
  const now = ctx.now().getTime();
  if (parsed.epochMs > now + MAX_FUTURE_SKEW_MS || parsed.epochMs < now - ctx.snapshotBacklogMs) {
    throw new ClientError(
      400,
      "timestamp_out_of_window",
      `Cannot accept the snapshot as its timestamp is ${
        describeOffset(parsed.epochMs, now)
      }: ${parsed.text} (accepted: up to 5 min ahead, ${
        Math.round(ctx.snapshotBacklogMs / 3_600_000)
      } h back)`,
    );
  }
  return parsed.text;
}
