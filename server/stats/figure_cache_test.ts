import assert from "node:assert/strict";
import { FigureCache } from "./figure_cache.ts";

Deno.test("FigureCache computes once within the time to live, again after it", async () => {
  const cache = new FigureCache(1000);
  let calls = 0;
  const compute = () => Promise.resolve(++calls);
  assert.equal(await cache.get("a", 0, compute), 1);
  assert.equal(await cache.get("a", 999, compute), 1);
  assert.equal(await cache.get("b", 999, compute), 2, "keys are separate");
  assert.equal(await cache.get("a", 1000, compute), 3, "expired at the time to live");
});

Deno.test("FigureCache shares one computation between callers asking at once", async () => {
  const cache = new FigureCache(1000);
  let calls = 0;
  let release: (n: number) => void = () => {};
  const compute = () => {
    calls++;
    return new Promise<number>((resolve) => release = resolve);
  };
  const both = Promise.all([cache.get("k", 0, compute), cache.get("k", 1, compute)]);
  release(7);
  assert.deepEqual(await both, [7, 7]);
  assert.equal(calls, 1);
});

Deno.test("FigureCache does not remember a failed computation", async () => {
  const cache = new FigureCache(1000);
  await assert.rejects(cache.get("k", 0, () => Promise.reject(new Error("down"))), /down/);
  assert.equal(await cache.get("k", 1, () => Promise.resolve(5)), 5);
});

Deno.test("FigureCache with a time to live of 0 always computes, and stays bounded", async () => {
  const off = new FigureCache(0);
  let calls = 0;
  await off.get("k", 0, () => Promise.resolve(++calls));
  await off.get("k", 0, () => Promise.resolve(++calls));
  assert.equal(calls, 2);
  assert.equal(off.size, 0);
  const small = new FigureCache(1000, { maxEntries: 3 });
  for (let i = 0; i < 10; i++) await small.get(`k${i}`, 0, () => Promise.resolve(i));
  assert.equal(small.size, 3);
  assert.throws(() => new FigureCache(-1), RangeError);
});

Deno.test("FigureCache keeps the last figure of each key for when computing fails", async () => {
  for (const ttlMs of [1000, 0]) {
    const cache = new FigureCache(ttlMs, { maxEntries: 2 });
    assert.equal(cache.lastKnown("k"), undefined, "none before the first computation");
    await cache.get("k", 0, () => Promise.resolve(1));
    await cache.get("k", 5_000, () => Promise.resolve(2));
    await assert.rejects(cache.get("k", 10_000, () => Promise.reject(new Error("down"))), /down/);
    assert.deepEqual(cache.lastKnown("k"), { value: 2 }, `the last success (ttl ${ttlMs})`);
    await cache.get("a", 10_000, () => Promise.resolve(3));
    await cache.get("b", 10_000, () => Promise.resolve(4));
    assert.equal(cache.lastKnown("k"), undefined, "pushed out by newer keys");
    assert.deepEqual(cache.lastKnown("b"), { value: 4 });
  }
});

Deno.test("FigureCache with a share: a figure one cache computed is the other's last known", async () => {
  const listeners: ((key: string, value: unknown) => void)[] = [];
  const shareOf = (self: number) => ({
    publish: (key: string, value: unknown) =>
      listeners.forEach((receive, index) => index !== self && receive(key, value)),
    subscribe: (receive: (key: string, value: unknown) => void) => {
      listeners[self] = receive;
    },
  });
  const first = new FigureCache(1000, { share: shareOf(0) });
  const second = new FigureCache(1000, { share: shareOf(1) });
  assert.equal(second.lastKnown("k"), undefined);
  assert.equal(await first.get("k", 0, () => Promise.resolve(41)), 41);
  assert.deepEqual(second.lastKnown("k"), { value: 41 }, "the other cache knows it");
  assert.equal(second.size, 0, "but does not answer with it as fresh");
  assert.equal(await second.get("k", 0, () => Promise.resolve(42)), 42);
  assert.deepEqual(first.lastKnown("k"), { value: 42 }, "and the newest figure wins everywhere");
  await assert.rejects(first.get("j", 0, () => Promise.reject(new Error("down"))));
  assert.equal(second.lastKnown("j"), undefined, "a failure is not shared");
});
