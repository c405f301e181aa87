/**
 * The demo fleet as pure functions of a seed and a clock: applications with
 * release histories, and for each instance its final state, one history row
 * per UTC day it reported, and its raw snapshots. Rows come out in the form
 * ingestion leaves them in, so they can be written directly.
 */

import { appSlug } from "../ingest/mod.ts";
import type { Instance, InstanceDay, RawSnapshot } from "../store/mod.ts";
import { appTemplate, TRAIT_COUNT } from "./demo_apps.ts";
import { mixSeed, mulberry32, noiseAt, pickWeighted } from "./prng.ts";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** What fleet to make. `now` is the last moment of data; `days` count today. */
export interface DemoOptions {
  readonly apps: number;
  readonly instances: number;
  readonly days: number;
  readonly seed: number;
  readonly now: Date;
}

/** An application of the demo with the day (index in the window) each version came out. */
export interface DemoApp {
  readonly slug: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly versions: readonly string[];
  readonly releaseDays: readonly number[];
}

/** The whole fleet's frame: the window and its applications. */
export interface DemoFleetPlan {
  readonly options: DemoOptions;
  /** UTC midnight of the first day of the window, in ms. */
  readonly firstDayMs: number;
  readonly apps: readonly DemoApp[];
}

/** A store row of the demo with the index of its application in the plan in place of its id. */
type PlannedRow<Row> = Omit<Row, "appId"> & { readonly appIndex: number };

/** An instance's final row. */
export type DemoInstance = PlannedRow<Instance>;

/** An instance's history row for one UTC day. */
export type DemoDay = PlannedRow<InstanceDay>;

/** A raw snapshot. */
export type DemoSnapshot = PlannedRow<RawSnapshot>;

/** One generated instance: its final row, its days, and how to replay its snapshots. */
export interface GeneratedInstance {
  readonly instance: DemoInstance;
  readonly days: readonly DemoDay[];
  /** Its raw snapshots taken on or after `sinceMs`, oldest first. */
  readonly snapshotsSince: (sinceMs: number) => DemoSnapshot[];
}

/** Makes the applications and the window of a fleet. */
export function planFleet(options: DemoOptions): DemoFleetPlan {
  const nowMs = options.now.getTime();
  const firstDayMs = Math.floor(nowMs / DAY_MS) * DAY_MS - (options.days - 1) * DAY_MS;
  const apps = Array.from({ length: options.apps }, (_, index) => {
    const { template, name } = appTemplate(index);
    const count = template.versions.length;
    // The first version predates the window; the others come out spread across it.
    const releaseDays = template.versions.map((_, k) =>
      k === 0 ? -365 : Math.round((options.days * (k - 0.5 + (index % 3) * 0.15)) / (count - 1))
    );
    return {
      slug: appSlug(name),
      name,
      createdAt: new Date(firstDayMs - (400 + index * 20) * DAY_MS),
      versions: template.versions,
      releaseDays,
    };
  });
  return { options, firstDayMs, apps };
}

const OS_ARCH = [
  ["linux/amd64", 55],
  ["linux/arm64", 24],
  ["darwin/arm64", 8],
  ["windows/amd64", 7],
  ["darwin/amd64", 3],
  ["freebsd/amd64", 1],
  [null, 2],
] as const;
const ENVIRONMENTS = [["production", 68], ["staging", 18], ["development", 10], [null, 4]] as const;
const LINUX_MODES = [["docker", 45], ["kubernetes", 32], ["standalone", 20], [null, 3]] as const;
const DESKTOP_MODES = [["standalone", 70], ["docker", 30]] as const;
const INTERVAL_HOURS = [[1, 60], [6, 18], [12, 10], [24, 12]] as const;

/**
 * Generates the instance at `index` (0 ≤ index < instances) of the plan: the
 * same plan and index always give the same instance.
 */
export function generateInstance(plan: DemoFleetPlan, index: number): GeneratedInstance {
  const { options, firstDayMs, apps } = plan;
  const seed = mixSeed(options.seed, index);
  const rng = mulberry32(seed);
  const nowMs = options.now.getTime();
  const lastDay = options.days - 1;

  // Earlier apps have larger fleets.
  const appIndex = pickWeighted(apps.map((_, k) => [k, 1 / (k + 1) ** 0.6] as const), rng());
  const app = apps[appIndex]!;
  const instanceId = uuidFrom(rng);
  const publicKey = Uint8Array.from({ length: 32 }, () => Math.floor(rng() * 256));
  const osArch = pickWeighted(OS_ARCH, rng());
  const linux = osArch === null || osArch.startsWith("linux") || osArch.startsWith("freebsd");
  const deploymentMode = pickWeighted(linux ? LINUX_MODES : DESKTOP_MODES, rng());
  const environment = pickWeighted(ENVIRONMENTS, rng());
  const intervalMs = pickWeighted(INTERVAL_HOURS, rng()) * HOUR_MS;
  const phaseMs = Math.floor(rng() * intervalMs);
  const traits = Array.from({ length: TRAIT_COUNT }, () => rng());

  // Life: already running when the window opens, or joining later (more join late).
  const preexisting = rng() < 0.55;
  const startDay = preexisting ? 0 : Math.min(lastDay, Math.floor(options.days * Math.sqrt(rng())));
  const runs: [number, number][] = [[startDay, lastDay]];
  if (rng() < 0.22 && startDay < lastDay) {
    const endDay = startDay + Math.floor(rng() * (lastDay - startDay));
    runs[0] = [startDay, endDay];
    const back = endDay + 3 + Math.floor(rng() * Math.max(0, lastDay - endDay - 3));
    if (rng() < 0.35 && back <= lastDay) runs.push([back, lastDay]);
  }
  const pending = rng() < 0.02;
  const revokeAt = rng() < 0.007 ? rng() : null;

  // Upgrades: each release reaches the instance after a delay drawn on an S-curve (logistic,
  // median two weeks); a few instances never upgrade. New installs take the latest release.
  const neverUpgrades = rng() < 0.08;
  const upgradeDays = app.releaseDays.map((release) => {
    const u = Math.min(0.999, Math.max(0.001, rng()));
    return neverUpgrades ? Infinity : release + Math.max(0, 14 + 4 * Math.log(u / (1 - u)));
  });
  const installedVersion = latestReleaseBefore(app.releaseDays, startDay - (rng() < 0.15 ? 10 : 0));
  const versionOn = (day: number) => {
    let version = installedVersion;
    upgradeDays.forEach((at, k) => {
      if (at <= day && k > version) version = k;
    });
    return version;
  };

  const metricsAt = (ms: number, version: number) =>
    appTemplate(appIndex).template.metrics({
      traits,
      t: (ms - firstDayMs) / DAY_MS - startDay + (preexisting ? 30 * traits[7]! : 0),
      version,
      jitter: noiseAt(seed, Math.floor(ms / HOUR_MS)),
    });
  const reportTimes = (day: number) => {
    const times: number[] = [];
    for (
      let ms = firstDayMs + day * DAY_MS + phaseMs;
      ms < firstDayMs + (day + 1) * DAY_MS;
      ms += intervalMs
    ) {
      if (ms <= nowMs) times.push(ms);
    }
    return times;
  };

  const reportDays: number[] = [];
  if (!pending) {
    for (const [from, to] of runs) {
      for (let day = from; day <= to; day++) {
        // Now and then an instance misses a day (down, offline), never the first of a run.
        if (day > from && noiseAt(seed ^ 0x5eed, day) < 0.03) continue;
        if (reportTimes(day).length > 0) reportDays.push(day);
      }
    }
  }
  if (revokeAt !== null && reportDays.length > 1) {
    reportDays.length = Math.max(1, Math.floor(reportDays.length * revokeAt));
  }

  const days: DemoDay[] = reportDays.map((day) => {
    const times = reportTimes(day);
    const lastAt = times[times.length - 1]!;
    const version = versionOn(day);
    return {
      appIndex,
      day: new Date(firstDayMs + day * DAY_MS).toISOString().slice(0, 10),
      instanceId,
      appVersion: app.versions[version]!,
      environment,
      deploymentMode,
      osArch,
      metrics: metricsAt(lastAt, version),
      snapshots: times.length,
      lastAt: new Date(lastAt),
    };
  });

  const receivedDelay = (ms: number) => 80 + Math.floor(noiseAt(seed ^ 0xde1a, ms / 1000) * 1500);
  const last = days[days.length - 1];
  let instance: DemoInstance;
  if (last === undefined) {
    // Registered and never sent a snapshot: pending, seen once.
    const firstSeen = firstDayMs + Math.floor(rng() * (nowMs - firstDayMs));
    instance = {
      instanceId,
      appIndex,
      publicKey,
      status: "pending",
      appVersion: app.versions[versionOn(Math.floor((firstSeen - firstDayMs) / DAY_MS))]!,
      environment,
      deploymentMode,
      osArch,
      firstSeen: new Date(firstSeen),
      lastSeen: new Date(Math.min(nowMs, firstSeen + 2_000)),
      lastSnapshotAt: null,
      metrics: {},
    };
  } else {
    const firstAt = days[0]!.lastAt.getTime() - (days[0]!.snapshots - 1) * intervalMs;
    const firstSeen = preexisting
      ? firstDayMs - Math.floor((10 + rng() * 300) * DAY_MS)
      : firstAt - 3_000;
    const lastAt = last.lastAt.getTime();
    const revoked = revokeAt !== null;
    instance = {
      instanceId,
      appIndex,
      publicKey,
      status: revoked ? "revoked" : "active",
      appVersion: last.appVersion,
      environment,
      deploymentMode,
      osArch,
      firstSeen: new Date(firstSeen),
      // A revoked instance kept knocking for a while after its last accepted snapshot.
      lastSeen: new Date(Math.min(nowMs, lastAt + (revoked ? 6 * HOUR_MS : receivedDelay(lastAt)))),
      lastSnapshotAt: last.lastAt,
      metrics: last.metrics,
    };
  }

  const snapshotsSince = (sinceMs: number) =>
    days.filter((d) => d.lastAt.getTime() >= sinceMs).flatMap((d) => {
      const day = Math.round((Date.parse(`${d.day}T00:00:00Z`) - firstDayMs) / DAY_MS);
      const version = versionOn(day);
      return reportTimes(day).filter((ms) => ms >= sinceMs).map((ms) => ({
        appIndex,
        instanceId,
        takenAt: new Date(ms),
        receivedAt: new Date(Math.min(nowMs, ms + receivedDelay(ms))),
        appVersion: d.appVersion,
        metrics: metricsAt(ms, version),
      }));
    });
  return { instance, days, snapshotsSince };
}

/** The index of the newest version released on or before `day`. */
function latestReleaseBefore(releaseDays: readonly number[], day: number): number {
  let latest = 0;
  releaseDays.forEach((release, k) => {
    if (release <= day) latest = k;
  });
  return latest;
}

/** A random (version 4) UUID drawn from `rng`. */
function uuidFrom(rng: () => number): string {
  const bytes = Array.from({ length: 16 }, () => Math.floor(rng() * 256));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}
