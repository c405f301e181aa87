/**
 * The one line the SDK shows the person who runs the application, once,
 * when it creates this instance's identity: what is sent, where, and how to
 * turn it off.
 *
 * @module
 */

import type { Settings } from "./options.ts";

/**
 * The notice for `settings`, e.g. `Telemetry: My App sends usage statistics
 * to telemetry.example.com every hour (a random instance id, its version, OS
 * and runtime facts, and its own counters). Turn it off with DO_NOT_TRACK=1.`
 * Names the application's `optOutEnv` too when it has one, and leaves out
 * the system facts when they are not collected.
 */
export function firstRunNotice(settings: Settings): string {
  const host = new URL(settings.serverUrl).host;
  const facts = settings.collectSystemMetrics
    ? "a random instance id, its version, OS and runtime facts, and its own counters"
    : "a random instance id, its version and its own counters";
  const off = settings.optOutEnv === undefined
    ? "DO_NOT_TRACK=1"
    : `DO_NOT_TRACK=1 or ${settings.optOutEnv}=1`;
  return `Telemetry: ${settings.appName} sends usage statistics to ${host} ` +
    `${every(settings.reportIntervalMs)} (${facts}). Turn it off with ${off}.`;
}

function every(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes % 60 !== 0) return minutes === 1 ? "every minute" : `every ${minutes} minutes`;
  const hours = minutes / 60;
  return hours === 1 ? "every hour" : `every ${hours} hours`;
}
