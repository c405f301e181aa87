import assert from "node:assert/strict";
import { fc } from "../tests/support/dev_deps.ts";
import { BACKOFF_BASE_MS, backoffDelayMs, parseRetryAfter } from "./backoff.ts";

const HOUR = 3_600_000;

Deno.test("backoffDelayMs() doubles its range with each attempt", () => {
  const low = (attempt: number) => backoffDelayMs(attempt, { capMs: HOUR, random: () => 0 });
  const high = (attempt: number) =>
    backoffDelayMs(attempt, { capMs: HOUR, random: () => 0.999999 });
  assert.equal(low(1), BACKOFF_BASE_MS / 2);
  assert.equal(low(2), BACKOFF_BASE_MS);
  assert.equal(low(3), BACKOFF_BASE_MS * 2);
  assert.equal(high(1), BACKOFF_BASE_MS);
  assert.equal(high(3), BACKOFF_BASE_MS * 4);
});

Deno.test("backoffDelayMs() never waits longer than the interval", () => {
  assert.equal(backoffDelayMs(50, { capMs: 60_000, random: () => 0.999999 }), 60_000);
  assert.equal(backoffDelayMs(50, { capMs: 60_000, random: () => 0 }), 30_000);
  assert.equal(
    backoffDelayMs(1, { capMs: 60_000, random: () => 0, retryAfterMs: 10 * HOUR }),
    60_000,
  );
});

Deno.test("backoffDelayMs() waits at least what Retry-After asks, within the cap", () => {
  assert.equal(backoffDelayMs(1, { capMs: HOUR, random: () => 0, retryAfterMs: 120_000 }), 120_000);
  assert.equal(backoffDelayMs(1, { capMs: HOUR, random: () => 0, retryAfterMs: 1_000 }), 15_000);
});

Deno.test("backoffDelayMs() stays within [half the exponential step, the cap] for any input", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200 }),
      fc.integer({ min: 60_000, max: 2 ** 31 - 1 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (attempt, capMs, r) => {
        const delay = backoffDelayMs(attempt, { capMs, random: () => r });
        const step = Math.min(BACKOFF_BASE_MS * 2 ** Math.min(attempt - 1, 30), capMs);
        assert.ok(delay >= Math.floor(step / 2) && delay <= capMs, `${delay} for ${attempt}`);
      },
    ),
  );
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates, and ignores the rest", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("120", now), 120_000);
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:01:00 GMT", now), 60_000);
  assert.equal(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter(null, now), undefined);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter("-5", now), undefined);
});
