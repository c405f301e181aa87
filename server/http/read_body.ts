/** Reading a request body with a size limit enforced while it arrives. */

import { ClientError } from "../errors.ts";
import { bodyInMemory } from "./whole_request.ts";

/** Largest body an instance endpoint accepts. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads the whole body of `request`, stopping as soon as it passes
 * `limit` bytes (a 413 {@linkcode ClientError}), so an oversized body is
 * never held in memory whole. A declared `Content-Length` over the limit is
 * refused before reading anything.
 */
export async function readBody(request: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge(limit);
  const whole = bodyInMemory(request);
  if (whole !== null) {
    if (whole.byteLength > limit) throw tooLarge(limit);
    return whole;
  }
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read().catch(() => {
        throw new ClientError(
          400,
          "incomplete_body",
          "Cannot read the whole body: the connection ended before it was complete",
        );
      });
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function tooLarge(limit: number): ClientError {
  return new ClientError(
    413,
    "body_too_large",
    `Cannot accept the body as it is larger than ${limit / 1024} KiB`,
  );
}
