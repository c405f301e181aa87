import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import { ClientError } from "../errors.ts";
import { MAX_BODY_BYTES, readBody } from "./read_body.ts";
import { wholeRequest } from "./whole_request.ts";

const TOO_LARGE = "Cannot accept the body as it is larger than 64 KiB";

/** A body that arrives chunk by chunk, only when read, and records what happened to it. */
class StreamedBody {
  chunksSent = 0;
  bytesSent = 0;
  cancelled = false;
  readonly stream: ReadableStream<Uint8Array>;

  /** `chunkSizes` are sent in order; `endless` keeps sending the last size for ever. */
  constructor(chunkSizes: readonly number[], options: { endless?: boolean } = {}) {
    this.stream = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        const size = this.chunksSent < chunkSizes.length
          ? chunkSizes[this.chunksSent]
          : options.endless
          ? chunkSizes.at(-1)
          : undefined;
        if (size === undefined) {
          controller.close();
          return;
        }
        // Each byte tells its position, so a test can check the body came back in order.
        const chunk = new Uint8Array(size).map((_, i) => (this.bytesSent + i) % 251);
        this.chunksSent++;
        this.bytesSent += size;
        controller.enqueue(chunk);
      },
      cancel: () => {
        this.cancelled = true;
      },
    }, { highWaterMark: 0 });
  }

  request(headers: Record<string, string> = {}): Request {
    return new Request("http://shm.test/v1/snapshot", {
      method: "POST",
      body: this.stream,
      headers,
    });
  }
}

function expectedBytes(length: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => i % 251);
}

/** Returns what `promise` rejects with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection, but the promise resolved");
}

function assertTooLarge(error: unknown, message = TOO_LARGE): void {
  assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
  assert.deepEqual(
    { status: error.status, code: error.code, message: error.message },
    { status: 413, code: "body_too_large", message },
  );
}

Deno.test("readBody() limit is 64 KiB", () => {
  assert.equal(MAX_BODY_BYTES, 65_536);
});

Deno.test("readBody() returns a streamed body under the limit, whole and in order", async () => {
  const body = new StreamedBody([1000, 1, 4096, 999]);
  const bytes = await readBody(body.request());
  assert.deepEqual(bytes, expectedBytes(6096));
  assert.equal(body.cancelled, false);
});

Deno.test("readBody() returns a streamed body of exactly 64 KiB", async () => {
  const body = new StreamedBody(Array(64).fill(1024));
  const bytes = await readBody(body.request());
  assert.equal(bytes.byteLength, MAX_BODY_BYTES);
  assert.deepEqual(bytes, expectedBytes(MAX_BODY_BYTES));
});

Deno.test("readBody() refuses a streamed body one byte over 64 KiB with 413 and cancels it", async () => {
  const body = new StreamedBody([...Array(64).fill(1024), 1]);
  assertTooLarge(await rejectionOf(readBody(body.request())));
  assert.equal(body.cancelled, true);
});

Deno.test("readBody() refuses a single chunk larger than the limit", async () => {
  const body = new StreamedBody([MAX_BODY_BYTES + 1]);
  assertTooLarge(await rejectionOf(readBody(body.request())));
  assert.equal(body.cancelled, true);
});

Deno.test("readBody() stops reading an endless body soon after the limit", async () => {
  const body = new StreamedBody([4096], { endless: true });
  assertTooLarge(await rejectionOf(readBody(body.request())));
  assert.equal(body.cancelled, true);
  assert.equal(body.bytesSent, MAX_BODY_BYTES + 4096, "stops at the first chunk past the limit");
});

Deno.test("readBody() enforces the limit while reading even when Content-Length understates it", async () => {
  const body = new StreamedBody([60_000, 60_000]);
  assertTooLarge(await rejectionOf(readBody(body.request({ "content-length": "10" }))));
  assert.equal(body.cancelled, true);
});

Deno.test("readBody() refuses a declared Content-Length over the limit before reading anything", async () => {
  const body = new StreamedBody([10]);
  const request = body.request({ "content-length": String(MAX_BODY_BYTES + 1) });
  assertTooLarge(await rejectionOf(readBody(request)));
  assert.equal(body.chunksSent, 0);
  assert.equal(request.bodyUsed, false);
});

Deno.test("readBody() accepts a declared Content-Length of exactly 64 KiB", async () => {
  const body = new StreamedBody([32_768, 32_768]);
  const bytes = await readBody(body.request({ "content-length": String(MAX_BODY_BYTES) }));
  assert.equal(bytes.byteLength, MAX_BODY_BYTES);
});

Deno.test("readBody() reads a body whose Content-Length is not a number", async () => {
  const body = new StreamedBody([5]);
  const bytes = await readBody(body.request({ "content-length": "lots" }));
  assert.deepEqual(bytes, expectedBytes(5));
});

Deno.test("readBody() returns no bytes for a request without a body", async () => {
  const bytes = await readBody(new Request("http://shm.test/v1/activate", { method: "POST" }));
  assert.deepEqual(bytes, new Uint8Array(0));
});

Deno.test("readBody() reads an ordinary string body", async () => {
  const request = new Request("http://shm.test/v1/activate", {
    method: "POST",
    body: '{"action":"activate"}',
  });
  assert.equal(new TextDecoder().decode(await readBody(request)), '{"action":"activate"}');
});

Deno.test("readBody() applies a limit passed in, naming it in KiB", async () => {
  const under = new StreamedBody([1024, 1024]);
  assert.equal((await readBody(under.request(), 2048)).byteLength, 2048);
  const over = new StreamedBody([1024, 1025]);
  assertTooLarge(
    await rejectionOf(readBody(over.request(), 2048)),
    "Cannot accept the body as it is larger than 2 KiB",
  );
  assert.equal(over.cancelled, true);
});

Deno.test("readBody() returns a body within the limit whatever its chunking, and refuses one over it (property)", async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 12 }),
    async (sizes) => {
      const total = sizes.reduce((sum, size) => sum + size, 0);
      const body = new StreamedBody(sizes);
      const limit = 4096;
      if (total <= limit) {
        assert.deepEqual(await readBody(body.request(), limit), expectedBytes(total));
        assert.equal(body.cancelled, false);
      } else {
        assertTooLarge(
          await rejectionOf(readBody(body.request(), limit)),
          "Cannot accept the body as it is larger than 4 KiB",
        );
        assert.equal(body.cancelled, true);
        assert.ok(body.bytesSent - (sizes[body.chunksSent - 1] ?? 0) <= limit);
      }
    },
  ));
});

Deno.test("readBody() takes a body read whole by the accept loop as it is, with the same limit", async () => {
  const bytes = new TextEncoder().encode('{"instance_id":"x"}');
  const request = new Request("http://localhost/v1/snapshot", {
    method: "POST",
    headers: { "content-length": String(bytes.byteLength) },
    body: bytes,
  });
  const whole = await wholeRequest(request, { bodyTimeoutMs: 1_000, maxBodyBytes: 1_000 });
  assert.ok(whole instanceof Request);
  assert.equal(whole, request, "the request itself, not a copy");
  const body = await readBody(whole);
  assert.deepEqual(body, bytes);
  assert.deepEqual(await readBody(whole), bytes, "read again, the same bytes");
  const over = await wholeRequest(
    new Request("http://localhost/v1/snapshot", { method: "POST", body: new Uint8Array(20) }),
    { bodyTimeoutMs: 1_000, maxBodyBytes: 1_000 },
  );
  assert.ok(over instanceof Request);
  await assert.rejects(
    readBody(over, 10),
    (error) => error instanceof ClientError && error.status === 413,
  );
});
