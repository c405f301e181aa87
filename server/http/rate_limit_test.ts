import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import { RateLimiter } from "./rate_limit.ts";

/** A clock the test moves by hand. */
class FakeClock {
  ms: number;
  constructor(start = 1_700_000_000_000) {
    this.ms = start;
  }
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

function takeMany(limiter: RateLimiter, key: string, times: number): number {
  let allowed = 0;
  for (let i = 0; i < times; i++) if (limiter.take(key).allowed) allowed++;
  return allowed;
}

Deno.test("RateLimiter allows a burst of perMinute requests at once, then refuses", () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter(5, { now: clock.now });
  for (let i = 0; i < 5; i++) assert.deepEqual(limiter.take("ip"), { allowed: true }, `take ${i}`);
  assert.deepEqual(limiter.take("ip"), { allowed: false, retryAfterSeconds: 12 });
});

Deno.test("RateLimiter says how many seconds until the next request is allowed", () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter(60, { now: clock.now });
  assert.equal(takeMany(limiter, "k", 60), 60);
  assert.deepEqual(limiter.take("k"), { allowed: false, retryAfterSeconds: 1 });

  const slow = new RateLimiter(2, { now: clock.now });
  assert.equal(takeMany(slow, "k", 2), 2);
  assert.deepEqual(slow.take("k"), { allowed: false, retryAfterSeconds: 30 });
  clock.advance(10_000);
  assert.deepEqual(slow.take("k"), { allowed: false, retryAfterSeconds: 20 });
  clock.advance(19_500);
  assert.deepEqual(slow.take("k"), { allowed: false, retryAfterSeconds: 1 });
});

Deno.test("RateLimiter refills at perMinute per minute", () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter(6, { now: clock.now });
  assert.equal(takeMany(limiter, "k", 6), 6);
  assert.equal(limiter.take("k").allowed, false);
  clock.advance(9_999);
  assert.equal(limiter.take("k").allowed, false, "one token takes 10 s at 6 per minute");
  clock.advance(1);
  assert.equal(limiter.take("k").allowed, true);
  assert.equal(limiter.take("k").allowed, false);
  clock.advance(30_000);
  assert.equal(takeMany(limiter, "k", 10), 3);
});

Deno.test("RateLimiter never refills above one burst, however long the wait", () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter(4, { now: clock.now });
  assert.equal(takeMany(limiter, "k", 1), 1);
  clock.advance(24 * 3_600_000);
  assert.equal(takeMany(limiter, "k", 10), 4);
});

Deno.test("RateLimiter allows the request once Retry-After seconds have passed", () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter(7, { now: clock.now });
  assert.equal(takeMany(limiter, "k", 7), 7);
  const refused = limiter.take("k");
  assert.equal(refused.allowed, false);
  assert.ok(!refused.allowed && refused.retryAfterSeconds === 9);
  clock.advance(refused.retryAfterSeconds * 1000);
  assert.equal(limiter.take("k").allowed, true);
});

Deno.test("RateLimiter with perMinute 0 allows everything and tracks nothing", () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter(0, { now: clock.now });
  for (let i = 0; i < 10_000; i++) assert.equal(limiter.take(`k${i % 3}`).allowed, true);
  assert.equal(limiter.size, 0);
});

Deno.test("RateLimiter keeps keys independent", () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter(3, { now: clock.now });
  assert.equal(takeMany(limiter, "a", 5), 3);
  assert.equal(takeMany(limiter, "b", 5), 3);
  assert.equal(limiter.take("a").allowed, false);
  assert.equal(takeMany(limiter, "c", 1), 1);
});

Deno.test("RateLimiter keeps at most maxKeys keys and forgets the least recently used", () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter(2, { now: clock.now, maxKeys: 3 });
  for (const key of ["a", "b", "c"]) assert.equal(takeMany(limiter, key, 2), 2);
  assert.equal(limiter.size, 3);
  assert.equal(limiter.take("a").allowed, false, "a is now the most recently used");
  assert.equal(takeMany(limiter, "d", 1), 1);
  assert.equal(limiter.size, 3);
  // b was the least recently used, so it was forgotten and starts again with a full burst.
  assert.equal(takeMany(limiter, "b", 5), 2);
  assert.equal(limiter.take("a").allowed, false, "a is still tracked");
});

Deno.test("RateLimiter stays within maxKeys under a flood of distinct keys", () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter(10, { now: clock.now, maxKeys: 100 });
  for (let i = 0; i < 5_000; i++) {
    assert.equal(limiter.take(`198.51.100.${i}`).allowed, true);
    assert.ok(limiter.size <= 100, `size ${limiter.size} after ${i + 1} keys`);
  }
  assert.equal(limiter.size, 100);
});

Deno.test("RateLimiter forgets keys whose bucket has refilled", () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter(60, { now: clock.now });
  assert.equal(takeMany(limiter, "a", 3), 3);
  assert.equal(takeMany(limiter, "b", 1), 1);
  assert.equal(limiter.size, 2);
  clock.advance(3_000);
  assert.equal(takeMany(limiter, "c", 1), 1);
  assert.equal(limiter.size, 1, "a and b are full again and forgotten; only c is tracked");
});

Deno.test("RateLimiter refuses a perMinute that is negative or not whole", () => {
  for (const bad of [-1, 1.5, NaN, Infinity]) {
    assert.throws(
      () => new RateLimiter(bad),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message === `Cannot build a rate limiter for ${bad} per minute`,
      String(bad),
    );
  }
});

// ---- properties ----

const scenario = fc.record({
  perMinute: fc.integer({ min: 1, max: 600 }),
  steps: fc.array(
    fc.record({ key: fc.constantFrom("a", "b", "c"), waitMs: fc.integer({ min: 0, max: 20_000 }) }),
    { maxLength: 200 },
  ),
});

Deno.test("RateLimiter never allows more than a burst plus the refill of the elapsed time (property)", () => {
  fc.assert(fc.property(scenario, ({ perMinute, steps }) => {
    const clock = new FakeClock();
    const start = clock.ms;
    const limiter = new RateLimiter(perMinute, { now: clock.now });
    const allowed = new Map<string, number>();
    for (const { key, waitMs } of steps) {
      clock.advance(waitMs);
      if (limiter.take(key).allowed) allowed.set(key, (allowed.get(key) ?? 0) + 1);
    }
    const bound = perMinute + Math.floor((clock.ms - start) * perMinute / 60_000);
    for (const [key, count] of allowed) assert.ok(count <= bound, `${key}: ${count} > ${bound}`);
  }));
});

Deno.test("RateLimiter allows a refused request after exactly Retry-After seconds (property)", () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 1000 }),
    fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 30 }),
    (perMinute, waits) => {
      const clock = new FakeClock();
      const limiter = new RateLimiter(perMinute, { now: clock.now });
      takeMany(limiter, "k", perMinute);
      for (const wait of waits) {
        clock.advance(wait);
        const decision = limiter.take("k");
        if (decision.allowed) continue;
        assert.ok(Number.isInteger(decision.retryAfterSeconds) && decision.retryAfterSeconds >= 1);
        assert.ok(decision.retryAfterSeconds <= Math.ceil(60 / perMinute));
        clock.advance(decision.retryAfterSeconds * 1000);
        assert.equal(limiter.take("k").allowed, true);
      }
    },
  ));
});

Deno.test("RateLimiter never tracks more than maxKeys keys (property)", () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 20 }),
    fc.integer({ min: 1, max: 10 }),
    fc.array(
      fc.record({ key: fc.nat(40).map(String), waitMs: fc.integer({ min: 0, max: 2_000 }) }),
      { maxLength: 300 },
    ),
    (perMinute, maxKeys, steps) => {
      const clock = new FakeClock();
      const limiter = new RateLimiter(perMinute, { now: clock.now, maxKeys });
      for (const { key, waitMs } of steps) {
        clock.advance(waitMs);
        limiter.take(key);
        assert.ok(limiter.size <= maxKeys, `size ${limiter.size} > ${maxKeys}`);
      }
    },
  ));
});
