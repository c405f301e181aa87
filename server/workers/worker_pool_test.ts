import assert from "node:assert/strict";
import { readConfig } from "../config.ts";
import type { LineSink } from "../log.ts";
import { startHttpWorkers } from "./worker_pool.ts";

const config = readConfig({}, () => undefined);

/** A worker module given as source: what the pool sees of a worker is its messages. */
function moduleOf(source: string): string {
  return `data:application/javascript,${encodeURIComponent(source)}`;
}

function recordingOutput(): LineSink & { text: string[] } {
  const text: string[] = [];
  return { text, out: (t) => void text.push(t), err: (t) => void text.push(t) };
}

Deno.test("startHttpWorkers() passes on log text, and a worker failing later is reported once", async () => {
  const output = recordingOutput();
  const workers = await startHttpWorkers({
    count: 2,
    config,
    setupToken: null,
    port: 1,
    figureChannel: null,
    output,
    module: moduleOf(`
      self.onmessage = (event) => {
        if (event.data.kind === "start") {
          self.postMessage({ kind: "log", stream: "out", text: "worker " + event.data.index + "\\n" });
          self.postMessage({ kind: "listening" });
          if (event.data.index === 2) setTimeout(() => { throw new Error("worker 2 broke"); }, 10);
        } else {
          self.postMessage({ kind: "stopped" });
        }
      };
    `),
  });
  assert.equal(workers.count, 2);
  const failure = await workers.failure;
  assert.match(failure, /^HTTP worker 2 failed: .*worker 2 broke/);
  assert.deepEqual(output.text.sort(), ["worker 1\n", "worker 2\n"]);
  // The failed worker is ended already; the other one still stops when asked.
  await workers.stop(1_000);
});

Deno.test("startHttpWorkers() rejects when a worker cannot start, and ends the others", async () => {
  const error = await startHttpWorkers({
    count: 2,
    config,
    setupToken: null,
    port: 1,
    figureChannel: null,
    output: recordingOutput(),
    module: moduleOf(`
      self.onmessage = (event) => {
        if (event.data.index === 1) self.postMessage({ kind: "listening" });
        else self.postMessage({ kind: "start_failed", message: "address in use" });
      };
    `),
  }).then(() => null, (error: unknown) => error);
  assert.ok(error instanceof Error);
  assert.equal(error.message, "HTTP worker 2 cannot start: address in use");
});

Deno.test("startHttpWorkers() stops every worker, each asked to drain within the grace", async () => {
  const output = recordingOutput();
  const workers = await startHttpWorkers({
    count: 3,
    config,
    setupToken: null,
    port: 1,
    figureChannel: null,
    output,
    module: moduleOf(`
      self.onmessage = (event) => {
        if (event.data.kind === "start") self.postMessage({ kind: "listening" });
        else {
          self.postMessage({ kind: "log", stream: "out", text: "drained in " + event.data.graceMs + "\\n" });
          self.postMessage({ kind: "stopped" });
        }
      };
    `),
  });
  await workers.stop(2_500);
  assert.deepEqual(output.text, Array(3).fill("drained in 2500\n"));
});
