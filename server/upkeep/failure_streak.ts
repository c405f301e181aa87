/** A background job's failures in a row, logged once per streak rather than once per failure. */

import type { Logger } from "../log.ts";

/**
 * One job's failures in a row, logged once: a warning (with the error) at the
 * first, a debug line for each one after, and one line with their count when
 * the job works again, so that an outage does not flood the log.
 */
export class FailureStreak {
  /** Where the job's other lines go too. */
  readonly log: Logger;
  readonly #job: string;
  #failures = 0;
  #since = 0;

  /** A streak counter for the job named `job`, logging to `log`. */
  constructor(log: Logger, job: string) {
    this.log = log;
    this.#job = job;
  }

  /** The job failed with `error`. */
  failed(error: unknown): void {
    if (this.#failures++ === 0) {
      this.#since = Date.now();
      this.log.warn(`${this.#job} failed; will retry`, { error });
    } else {
      this.log.debug(`${this.#job} failed again`, {
        failures: this.#failures,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** The job worked; ends a streak of failures, if there was one. */
  succeeded(): void {
    if (this.#failures === 0) return;
    this.log.info(`${this.#job} works again`, {
      failures: this.#failures,
      failing_ms: Date.now() - this.#since,
    });
    this.#failures = 0;
  }
}
