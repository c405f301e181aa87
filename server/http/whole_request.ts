/** Reading a request's body whole before it is handled, within a deadline and a size cap. */

import { errorResponse } from "./respond.ts";

/** How long a body may take to arrive, and how large it may be. */
export interface BodyRules {
  /** Time a client has to send a request's body once its head arrived. */
  readonly bodyTimeoutMs: number;
  /** Largest body; a larger one is refused before or while it arrives. */
  readonly maxBodyBytes: number;
}

/**
 * The request with its body read whole, within the body deadline and the
 * size cap (kept for {@linkcode bodyInMemory}); or the answer that refuses
 * it (400, 408 or 413, each asking to close the connection).
 */
export async function wholeRequest(
  request: Request,
  rules: BodyRules,
): Promise<Request | Response> {
  const close = { connection: "close" };
  const length = request.headers.get("content-length");
  if (length !== null && Number(length) > rules.maxBodyBytes) {
    request.body?.getReader().read().catch(() => {});
    return tooLarge(rules.maxBodyBytes, close);
  }
  if (length === null && request.body === null) return request;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), rules.bodyTimeoutMs);
  });
  if (length !== null) {
    // A declared length within the cap: one read of the whole body, no stream of chunks. Deno's
    // HTTP engine ends the body at its declared length, so it cannot grow past the cap.
    const whole = await Promise.race([request.arrayBuffer(), late]).catch(() => "broken" as const);
    clearTimeout(timer);
    if (whole === "late") return tooSlow(rules.bodyTimeoutMs, close);
    if (whole === "broken") return incomplete(close);
    if (whole.byteLength > rules.maxBodyBytes) return tooLarge(rules.maxBodyBytes, close);
    return withBody(request, new Uint8Array(whole));
  }
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      // On refusal a read stays pending and the reader is not cancelled: Deno then closes the
      // connection once the answer is sent; otherwise it would wait for the rest of the body.
      const next = await Promise.race([reader.read(), late]).catch(() => "broken" as const);
      if (next === "late") return tooSlow(rules.bodyTimeoutMs, close);
      if (next === "broken") return incomplete(close);
      if (next.done) break;
      size += next.value.byteLength;
      if (size > rules.maxBodyBytes) {
        reader.read().catch(() => {});
        return tooLarge(rules.maxBodyBytes, close);
      }
      chunks.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return withBody(request, body);
}

/** The bodies `wholeRequest` read whole, by their request. */
const bodiesInMemory = new WeakMap<Request, Uint8Array>();

/**
 * The body of `request` when it was read whole by {@linkcode wholeRequest};
 * otherwise null (a request made elsewhere, such as in a test, whose body is
 * still a stream). Routes read bodies through `readBody`, which asks this
 * first: the request's own body stream is used up by then.
 */
export function bodyInMemory(request: Request): Uint8Array | null {
  return bodiesInMemory.get(request) ?? null;
}

/**
 * `request`, its body now read (its stream used up) and kept as `body` for
 * {@linkcode bodyInMemory}. The request itself is kept, not copied: a copy
 * with the body as bytes cost about 28 µs a request (its headers copied one
 * by one), a tenth of a snapshot's time on the server.
 */
function withBody(request: Request, body: Uint8Array): Request {
  bodiesInMemory.set(request, body);
  return request;
}

function tooSlow(timeoutMs: number, headers: Record<string, string>): Response {
  return errorResponse(
    408,
    "request_timeout",
    `Cannot wait longer for the request body: it did not arrive within ${timeoutMs / 1000} s`,
    headers,
  );
}

function incomplete(headers: Record<string, string>): Response {
  return errorResponse(
    400,
    "incomplete_body",
    "Cannot read the whole body: the connection ended before it was complete",
    headers,
  );
}

function tooLarge(limit: number, headers: Record<string, string>): Response {
  return errorResponse(
    413,
    "body_too_large",
    `Cannot accept the body as it is larger than ${limit / 1024} KiB`,
    headers,
  );
}
