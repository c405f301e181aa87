/**
 * The engine behind {@linkcode SHMClient}: loads the identity, registers,
 * activates, sends snapshots on a schedule, backs off on failures, and turns
 * every outcome into a value. Everything it needs from outside (host, timers,
 * clock, fetch) comes in through a {@linkcode Runtime}, so tests can drive it.
 *
 * @module
 */

import { backoffDelayMs } from "./backoff.ts";
import type { Identity } from "./identity.ts";
import { findIdentity, loadOrCreateIdentity } from "./identity.ts";
import type { SHMLogger } from "./log.ts";
import { consoleLogger, OnceLogger } from "./log.ts";
import type { Resolution, Settings, SHMOptions } from "./options.ts";
import { debugMode, resolveSettings } from "./options.ts";
import type {
  InstanceMeta,
  SendErrorCode,
  SnapshotRequest,
  Step,
  StepVerdict,
} from "./protocol.ts";
import {
  ACTIVATE_BODY,
  droppedKeys,
  eraseBody,
  judge,
  registerBody,
  snapshotPayload,
  STEP_PATH,
} from "./protocol.ts";
import type { MetricsProvider } from "./provider.ts";
import type { ForgetResult, PreviewResult, SendFailure, SendResult } from "./results.ts";
import type { Runtime } from "./runtime.ts";
import { firstRunNotice } from "./notice.ts";
import { describeInstance, gatherMetrics } from "./snapshot.ts";
import type { TimerHandle } from "./timers.ts";
import { postSigned } from "./transport.ts";

type Attempt = {
  readonly result: SendResult;
  readonly retry: boolean;
  readonly retryAfterMs?: number | undefined;
};

/** Runs the protocol for one client. No method throws or rejects. */
export class Reporter {
  #resolution: Resolution;
  #runtime: Runtime;
  #log: OnceLogger;
  #provider: MetricsProvider | undefined;
  #identity: Promise<Identity | SendFailure> | undefined;
  #meta: Promise<InstanceMeta> | undefined;
  #registered = false;
  #activated = false;
  #halted: SendResult | undefined;
  #running: AbortController | undefined;
  #generation = 0;
  #inFlight = new AbortController();
  #timer: TimerHandle | undefined;
  #failures = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #lastTimestampMs = 0;
  #forgotten: SendFailure | undefined;

  /** Reads `options` and the environment once; never throws. */
  constructor(options: SHMOptions, runtime: Runtime) {
    this.#runtime = runtime;
    let resolution: Resolution;
    try {
      resolution = resolveSettings(options, runtime.host);
    } catch (error) {
      resolution = {
        enabled: false,
        reason: `the options could not be read: ${error}`,
        warn: true,
      };
    }
    this.#resolution = resolution;
    this.#log = loggerOf(options, runtime);
    if (!resolution.enabled && resolution.warn) {
      this.#log.once("disabled", "warn", `Telemetry is off as ${resolution.reason}`);
    }
    if (resolution.enabled) {
      for (const note of resolution.notes) this.#log.log("warn", note);
      const { ciVariable } = resolution.settings;
      if (ciVariable !== undefined) {
        this.#log.log("debug", `${ciVariable} is set, so this CI run reports environment "ci"`);
      }
    }
  }

  /** The checked settings, or `undefined` when telemetry is off. */
  get settings(): Settings | undefined {
    return this.#resolution.enabled ? this.#resolution.settings : undefined;
  }

  /** Whether a schedule is running. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Sets the function that gives custom metrics; `undefined` removes it. */
  setProvider(provider: MetricsProvider | undefined): void {
    this.#provider = typeof provider === "function" ? provider : undefined;
  }

  /**
   * Starts the schedule: a first exchange at once (in the background), then a
   * snapshot every interval. Returns a controller whose `abort()` stops it.
   */
  start(): AbortController {
    if (this.#running !== undefined) return this.#running;
    const controller = new AbortController();
    this.#running = controller;
    controller.signal.addEventListener("abort", () => {
      if (this.#running === controller) void this.stop();
    }, { once: true });
    if (!this.#resolution.enabled) {
      this.#log.log("debug", `Telemetry is off as ${this.#resolution.reason}`);
      return controller;
    }
    const generation = ++this.#generation;
    this.#schedule(generation, 0);
    return controller;
  }

  /** Stops the schedule and aborts a request in flight; resolves when nothing runs. */
  async stop(): Promise<void> {
    const controller = this.#running;
    this.#running = undefined;
    this.#generation++;
    if (this.#timer !== undefined) this.#runtime.timers.clear(this.#timer);
    this.#timer = undefined;
    this.#inFlight.abort();
    this.#inFlight = new AbortController();
    if (controller !== undefined && !controller.signal.aborted) controller.abort();
    await this.#queue.catch(() => {});
  }

  /** Sends one snapshot now (registering first if needed) and resolves with the outcome. */
  sendNow(): Promise<SendResult> {
    // A send asked for before stop() is aborted by it, even if it is still queued.
    const signal = this.#inFlight.signal;
    return this.#serial(() => this.#attemptSafely(signal)).then((attempt) => attempt.result);
  }

  /** The JSON the next snapshot would carry, built as a send builds it, without sending. */
  async preview(): Promise<PreviewResult> {
    const settings = this.settings;
    if (settings === undefined) {
      return { ok: false, code: "disabled", message: this.#disabledMessage() };
    }
    if (this.#forgotten !== undefined) {
      return { ok: false, code: "disabled", message: this.#forgotten.message };
    }
    try {
      const identity = await this.#ensureIdentity(settings);
      if ("ok" in identity) {
        return { ok: false, code: "identity_unavailable", message: identity.message };
      }
      const payload = await this.#snapshot(identity, settings, this.#timestampAfter());
      return { ok: true, endpoint: "/v1/snapshot", json: JSON.stringify(payload), payload };
    } catch (error) {
      return { ok: false, code: "internal_error", message: describe(error) };
    }
  }

  /** Stops, has the server erase this instance, then deletes the identity file. */
  async forget(): Promise<ForgetResult> {
    const settings = this.settings;
    if (settings === undefined) return failure("disabled", this.#disabledMessage());
    await this.stop();
    const signal = this.#inFlight.signal;
    return await this.#serial(async (): Promise<ForgetResult> => {
      try {
        return await this.#erase(settings, signal);
      } catch (error) {
        const message = `Telemetry failed unexpectedly: ${describe(error)}`;
        this.#log.once("internal", "error", message);
        return { ok: false, status: null, code: "internal_error", message, step: "erase" };
      }
    });
  }

  async #erase(settings: Settings, signal: AbortSignal): Promise<ForgetResult> {
    const host = this.#runtime.host!;
    const stored = await findIdentity(host, settings);
    if (stored.kind === "unreadable") {
      return failure(
        "identity_unavailable",
        `Cannot erase as the identity file ${stored.path} cannot be read: ${stored.message}`,
      );
    }
    if (stored.kind === "none") {
      this.#forget("no identity was stored, so nothing had been sent");
      return { ok: true, instanceId: undefined };
    }
    const { identity, path } = stored;
    const timestamp = new Date(this.#runtime.now()).toISOString();
    const verdict = await this.#call("erase", eraseBody(identity, timestamp), identity, signal);
    if (!verdict.ok) {
      const { code, status, message } = verdict;
      if (code !== "aborted" && code !== "dry_run") this.#log.log("warn", message);
      return { ok: false, status, code, message, step: "erase" };
    }
    this.#forget(`forget() erased instance ${identity.instanceId}`);
    const removed = await host.removeFile(path);
    if (!removed.ok) {
      const message = `The server erased instance ${identity.instanceId}, but the identity file ` +
        `${path} cannot be deleted: ${removed.message}; delete it by hand`;
      this.#log.log("warn", message);
      return failure("identity_unavailable", message);
    }
    this.#log.log("info", `Erased instance ${identity.instanceId} and deleted ${path}`);
    return { ok: true, instanceId: identity.instanceId };
  }

  /** From now on this reporter sends nothing: every attempt answers `disabled`. */
  #forget(why: string): void {
    this.#forgotten = failure("disabled", `Telemetry is off as ${why}`);
    this.#halted = this.#forgotten;
    this.#identity = undefined;
    this.#registered = false;
    this.#activated = false;
  }

  async #tick(generation: number): Promise<void> {
    if (generation !== this.#generation) return;
    this.#timer = undefined;
    const signal = this.#inFlight.signal;
    const attempt = await this.#serial(() => this.#attemptSafely(signal));
    if (generation !== this.#generation || this.#halted !== undefined) return;
    const settings = this.settings;
    if (settings === undefined) return;
    let delay = settings.reportIntervalMs;
    if (attempt.retry) {
      this.#failures++;
      delay = backoffDelayMs(this.#failures, {
        capMs: settings.reportIntervalMs,
        random: this.#runtime.random,
        retryAfterMs: attempt.retryAfterMs,
      });
      this.#log.log("debug", `Retrying in ${Math.round(delay / 1000)} s`);
    } else {
      this.#failures = 0;
    }
    this.#schedule(generation, delay);
  }

  /** Runs a tick after `delay` ms on an unref'd timer, or at once (still asynchronously) for 0. */
  #schedule(generation: number, delay: number): void {
    // The first exchange starts without a timer: its requests keep a short-lived
    // program alive until they end, as with the original SDK; the timers never do.
    const run = () => void this.#tick(generation).catch(() => {});
    if (delay === 0) queueMicrotask(run);
    else this.#timer = this.#runtime.timers.set(run, delay);
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #attemptSafely(signal: AbortSignal): Promise<Attempt> {
    try {
      return await this.#attempt(signal, true);
    } catch (error) {
      const message = `Telemetry failed unexpectedly: ${describe(error)}`;
      this.#log.once("internal", "error", message);
      return { result: { ok: false, status: null, code: "internal_error", message }, retry: false };
    }
  }

  async #attempt(signal: AbortSignal, mayRegisterAgain: boolean): Promise<Attempt> {
    const settings = this.settings;
    if (settings === undefined) {
      return { result: failure("disabled", this.#disabledMessage()), retry: false };
    }
    if (this.#halted !== undefined) return { result: this.#halted, retry: false };
    const identity = await this.#ensureIdentity(settings);
    if ("ok" in identity) return { result: identity, retry: false };
    const meta = await this.#ensureMeta(settings);

    let registeredNow = false;
    if (!this.#registered) {
      const verdict = await this.#call("register", registerBody(identity, meta), identity, signal);
      if (!verdict.ok) return this.#failed("register", verdict);
      this.#registered = true;
      this.#activated = false;
      registeredNow = true;
      if (settings.debug !== "dry-run") {
        this.#log.log("info", `Registered instance ${identity.instanceId}`);
      }
    }
    if (!this.#activated) {
      const verdict = await this.#call("activate", ACTIVATE_BODY, identity, signal);
      if (!verdict.ok) {
        return this.#refused("activate", verdict, { signal, registeredNow, mayRegisterAgain });
      }
      this.#activated = true;
    }
    const payload = await this.#snapshot(identity, settings, this.#nextTimestamp());
    const verdict = await this.#call("snapshot", JSON.stringify(payload), identity, signal);
    if (!verdict.ok) {
      return this.#refused("snapshot", verdict, { signal, registeredNow, mayRegisterAgain });
    }

    const dropped = droppedKeys(verdict.body);
    if (dropped.length > 0) {
      this.#log.once("dropped", "warn", `The server dropped metrics: ${dropped.join("; ")}`);
    } else {
      this.#log.clear("dropped");
    }
    this.#log.log("debug", `Snapshot sent for ${identity.instanceId}`);
    return {
      result: { ok: true, status: verdict.status, instanceId: identity.instanceId, dropped },
      retry: false,
    };
  }

  async #refused(
    step: Step,
    verdict: Extract<StepVerdict, { ok: false }>,
    context: {
      readonly signal: AbortSignal;
      readonly registeredNow: boolean;
      readonly mayRegisterAgain: boolean;
    },
  ): Promise<Attempt> {
    // A 403 from a server that once knew this instance means it forgot it
    // (a new database, say): register again, once, and go on.
    if (verdict.code === "unknown_instance" && !context.registeredNow && context.mayRegisterAgain) {
      this.#registered = false;
      this.#activated = false;
      this.#log.log("info", `The server does not know this instance (${step}); registering again`);
      return await this.#attempt(context.signal, false);
    }
    return this.#failed(step, verdict);
  }

  #failed(step: Step, verdict: Extract<StepVerdict, { ok: false }>): Attempt {
    const result: SendResult = {
      ok: false,
      status: verdict.status,
      code: verdict.code,
      message: verdict.message,
      step,
    };
    if (verdict.code === "aborted" || verdict.code === "dry_run") {
      return { result, retry: false };
    }
    if (verdict.code === "replayed") {
      this.#log.log("debug", verdict.message);
    } else if (verdict.code === "key_conflict") {
      this.#halted = result;
      this.#log.once("halted", "error", `Telemetry stops as ${verdict.message}`);
    } else if (verdict.retry) {
      this.#log.once("connection", "warn", `${verdict.message}; will retry`);
    } else {
      this.#log.once(`refused:${step}`, "warn", verdict.message);
    }
    return { result, retry: verdict.retry, retryAfterMs: verdict.retryAfterMs };
  }

  async #call(
    step: Step,
    body: string,
    identity: Identity,
    signal: AbortSignal,
  ): Promise<StepVerdict> {
    const settings = this.settings!;
    const path = STEP_PATH[step];
    if (settings.debug !== "off") {
      const verb = settings.debug === "dry-run" ? "Would send" : "Sending";
      this.#log.log("info", `${verb} POST ${path} ${body}`);
    }
    if (settings.debug === "dry-run") {
      if (step === "register" || step === "activate") return { ok: true, status: 200, body: "" };
      return {
        ok: false,
        code: "dry_run",
        status: null,
        message: `SHM_TELEMETRY_DEBUG=dry-run: the ${
          step === "erase" ? "erase request" : "snapshot"
        } was printed, not sent`,
        retry: false,
      };
    }
    const outcome = await postSigned(`${settings.serverUrl}${path}`, body, {
      identity,
      signal,
      timers: this.#runtime.timers,
      fetch: this.#runtime.fetch,
      now: this.#runtime.now,
    });
    const verdict = judge(step, outcome);
    if (verdict.ok) {
      this.#log.clear("connection");
      this.#log.clear(`refused:${step}`);
    }
    return verdict;
  }

  #ensureIdentity(settings: Settings): Promise<Identity | SendFailure> {
    this.#identity ??= (async () => {
      const host = this.#runtime.host!;
      const loaded = await loadOrCreateIdentity(host, settings);
      if (!loaded.ok) {
        const message = `Telemetry is off as the identity cannot be stored: ${loaded.message}`;
        const halted = failure("identity_unavailable", message);
        this.#halted = halted;
        this.#log.once("halted", "warn", message);
        return halted;
      }
      if (loaded.source === "replaced") {
        this.#log.log(
          "warn",
          `Replaced the identity file ${loaded.path} as ${loaded.replacedBecause}; this instance has a new id`,
        );
      } else if (loaded.source === "created") {
        this.#log.log("debug", `Created the identity file ${loaded.path}`);
        if (settings.notice) this.#log.notice(firstRunNotice(settings));
      }
      return loaded.identity;
    })();
    return this.#identity;
  }

  #ensureMeta(settings: Settings): Promise<InstanceMeta> {
    this.#meta ??= describeInstance(settings, this.#runtime.host!);
    return this.#meta;
  }

  async #snapshot(
    identity: Identity,
    settings: Settings,
    timestampMs: number,
  ): Promise<SnapshotRequest> {
    const meta = await this.#ensureMeta(settings);
    const { metrics, providerProblem } = await gatherMetrics(settings, {
      provider: this.#provider,
      host: this.#runtime.host!,
      timers: this.#runtime.timers,
      uptimeMs: this.#runtime.uptimeMs(),
    });
    if (providerProblem === undefined) this.#log.clear("provider");
    else this.#log.once("provider", "warn", `${providerProblem}; sending system metrics only`);
    const timestamp = new Date(timestampMs).toISOString();
    return snapshotPayload(identity, { timestamp, metrics, meta });
  }

  /** A timestamp strictly after the last one sent, as the server requires. */
  #nextTimestamp(): number {
    this.#lastTimestampMs = this.#timestampAfter();
    return this.#lastTimestampMs;
  }

  #timestampAfter(): number {
    return Math.max(this.#runtime.now(), this.#lastTimestampMs + 1);
  }

  #disabledMessage(): string {
    return this.#resolution.enabled ? "" : `Telemetry is off as ${this.#resolution.reason}`;
  }
}

function failure(code: SendErrorCode, message: string): SendFailure {
  return { ok: false, status: null, code, message };
}

function loggerOf(options: SHMOptions, runtime: Runtime): OnceLogger {
  try {
    const custom = (options as { logger?: unknown } | undefined)?.logger;
    if (isLogger(custom)) return new OnceLogger(custom);
  } catch {
    // An options object whose getter throws gets the default logger.
  }
  const logger = consoleLogger(debugMode(runtime.host) !== "off");
  return new OnceLogger(logger, (message) => logger.notice(message));
}

function isLogger(value: unknown): value is SHMLogger {
  if (typeof value !== "object" || value === null) return false;
  const logger = value as Record<string, unknown>;
  return ["debug", "info", "warn", "error"].every((level) => typeof logger[level] === "function");
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
