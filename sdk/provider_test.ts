import assert from "node:assert/strict";
import { runProvider } from "./provider.ts";
import { ManualTimers } from "./testing/fakes.ts";

Deno.test("runProvider() returns a JSON-clean copy of the metrics, sync or async", async () => {
  const timers = new ManualTimers();
  const date = new Date("2026-01-02T03:04:05.000Z");
  const sync = await runProvider(() => ({ a: 1, when: date, skip: undefined }), {
    timeoutMs: 100,
    timers,
  });
  assert.deepEqual(sync, { ok: true, metrics: { a: 1, when: "2026-01-02T03:04:05.000Z" } });
  const async = await runProvider(() => Promise.resolve({ nested: { b: true } }), {
    timeoutMs: 100,
    timers,
  });
  assert.deepEqual(async, { ok: true, metrics: { nested: { b: true } } });
  assert.equal(timers.pending.size, 0, "the timeout timer is cleared");
});

Deno.test("runProvider() turns every failure of the provider into a message", async () => {
  const cases: [() => unknown, RegExp][] = [
    [() => {
      throw new Error("db down");
    }, /it threw: db down/],
    [() => Promise.reject("nope"), /it threw: nope/],
    [() => null, /returned null, not an object/],
    [() => [1], /returned an array, not an object/],
    [() => 5, /returned number, not an object/],
    [() => ({ n: 1n }), /its result is not JSON/],
  ];
  for (const [provider, message] of cases) {
    const timers = new ManualTimers();
    const result = await runProvider(provider as () => Record<string, unknown>, {
      timeoutMs: 100,
      timers,
    });
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.message : "", message);
    assert.equal(timers.pending.size, 0);
  }
});

Deno.test("runProvider() gives up on a provider that does not answer in time", async () => {
  const timers = new ManualTimers();
  const running = runProvider(() => new Promise(() => {}), { timeoutMs: 2_500, timers });
  (await timers.next((ms) => ms === 2_500)).callback();
  assert.deepEqual(await running, {
    ok: false,
    message: "Cannot use the metrics provider as it did not answer within 2500 ms",
  });
});
