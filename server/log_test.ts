import assert from "node:assert/strict";
import { createLogger, LineBuffer } from "./log.ts";

/** A sink that records each write, to count the writes and see their order. */
function recordingSink() {
  const writes: { stream: "out" | "err"; text: string }[] = [];
  return {
    writes,
    sink: {
      out: (text: string) => void writes.push({ stream: "out", text }),
      err: (text: string) => void writes.push({ stream: "err", text }),
    },
  };
}

Deno.test("LineBuffer writes the lines gathered before a flush in one write, in order", () => {
  const { writes, sink } = recordingSink();
  const buffer = new LineBuffer(sink);
  const log = createLogger("debug", buffer.write);
  log.info("request", { path: "/a", status: 202 });
  log.warn("slow", { ms: 12.5 });
  log.debug("detail");
  assert.equal(writes.length, 0, "nothing is written before the flush");
  buffer.flush();
  assert.equal(writes.length, 1);
  const lines = writes[0]!.text.split("\n");
  assert.equal(lines.pop(), "", "the text ends with a newline");
  assert.deepEqual(lines.map((line) => JSON.parse(line).msg), ["request", "slow", "detail"]);
  assert.equal(JSON.parse(lines[0]!).path, "/a");
  buffer.flush();
  assert.equal(writes.length, 1, "an empty flush writes nothing");
});

Deno.test("LineBuffer writes an error line at once, after the lines waiting before it", () => {
  const { writes, sink } = recordingSink();
  const buffer = new LineBuffer(sink);
  const log = createLogger("info", buffer.write);
  log.info("first");
  log.error("broken", { error: new Error("boom") });
  assert.deepEqual(writes.map((write) => write.stream), ["out", "err"]);
  assert.equal(JSON.parse(writes[0]!.text).msg, "first");
  const error = JSON.parse(writes[1]!.text);
  assert.equal(error.level, "error");
  assert.equal(error.error.message, "boom", "an Error field is written with its message");
  buffer.flush();
});

Deno.test("LineBuffer writes waiting lines by itself soon after, without a flush", async () => {
  const { writes, sink } = recordingSink();
  const buffer = new LineBuffer(sink);
  buffer.write(JSON.stringify({ msg: "waiting" }), "info");
  for (let i = 0; i < 200 && writes.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(writes, [{ stream: "out", text: '{"msg":"waiting"}\n' }]);
});

Deno.test("createLogger() writes the same JSON line for plain fields as with the replacer", () => {
  const lines: string[] = [];
  const log = createLogger("info", (line) => lines.push(line));
  log.info("request", { method: "POST", status: 202, ok: true, none: null, gone: undefined });
  log.info("big", { rows: 12n, nested: { error: new TypeError("bad") } });
  const plain = JSON.parse(lines[0]!);
  assert.deepEqual(Object.keys(plain), ["time", "level", "msg", "method", "status", "ok", "none"]);
  assert.equal(plain.status, 202);
  const replaced = JSON.parse(lines[1]!);
  assert.equal(replaced.rows, "12");
  assert.equal(replaced.nested.error.message, "bad");
});
