/**
 * Sending one delivery: a webhook (a JSON POST signed with HMAC-SHA256,
 * redirects not followed, a timeout, at most 16 KiB of the answer read) or
 * an email through SMTP with nodemailer. Each answers what happened, never
 * throws: the caller records it and decides on a retry.
 */

import nodemailer from "nodemailer";
import { webhookTargetRefusal } from "./webhook_target.ts";

/** Bytes of a webhook's answer read at most; the rest is never read. */
export const MAX_WEBHOOK_ANSWER_BYTES = 16 * 1024;

/** What sending needs, built once at start. */
export interface SendOptions {
  /** Whether webhooks may reach internal addresses (`SHM_ALERT_PRIVATE_WEBHOOKS`). */
  readonly allowPrivateWebhooks: boolean;
  /** Longest wait for a webhook or the SMTP server, in milliseconds. */
  readonly timeoutMs: number;
  /** The SMTP server (`SHM_SMTP_URL`) and sender (`SHM_SMTP_FROM`); null: email is off. */
  readonly smtp: { readonly url: string; readonly from: string } | null;
  /** Resolves a host name (tests); `Deno.resolveDns` otherwise. */
  readonly resolve?: (host: string, type: "A" | "AAAA") => Promise<string[]>;
}

/** How an attempt went: sent, or why not and whether trying again may help. */
export type SendOutcome =
  | { readonly ok: true; readonly responseStatus: number | null }
  | {
    readonly ok: false;
    readonly responseStatus: number | null;
    readonly error: string;
    readonly retry: boolean;
  };

/**
 * POSTs `body` to `url` with `Content-Type: application/json`,
 * `X-SHM-Signature: sha256=<hex HMAC-SHA256 of the body with secret>` and
 * `X-SHM-Event`; a 2xx answer is success. An internal target (when refused)
 * fails for good; a timeout, a network error, a redirect or another status
 * may be tried again.
 */
export async function sendWebhook(
  options: SendOptions,
  message: { url: string; body: string; secret: string; event: string; deliveryId: number },
): Promise<SendOutcome> {
  const url = new URL(message.url);
  const refusal = await webhookTargetRefusal(url, options);
  if (refusal !== null) {
    return {
      ok: false,
      responseStatus: null,
      error: `refused: ${refusal.why} (SHM_ALERT_PRIVATE_WEBHOOKS is off)`,
      retry: !refusal.final,
    };
  }
  try {
    const response = await fetch(url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": "SHM-alerts",
        "x-shm-event": message.event,
        "x-shm-delivery": String(message.deliveryId),
        "x-shm-signature": `sha256=${await hmacSha256Hex(message.secret, message.body)}`,
      },
      body: message.body,
    });
    const answer = await readCapped(response, MAX_WEBHOOK_ANSWER_BYTES);
    if (response.status >= 200 && response.status < 300) {
      return { ok: true, responseStatus: response.status };
    }
    return {
      ok: false,
      responseStatus: response.status,
      error: `answered ${response.status}${answer === "" ? "" : `: ${answer.slice(0, 200)}`}`,
      retry: true,
    };
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return {
      ok: false,
      responseStatus: null,
      error: timedOut
        ? `no answer within ${options.timeoutMs} ms`
        : `cannot reach it: ${String((error as Error).message ?? error).slice(0, 200)}`,
      retry: true,
    };
  }
}

/** Sends an email through `SHM_SMTP_URL`; with no SMTP server set, fails for good. */
export async function sendEmail(
  options: SendOptions,
  message: { to: string; subject: string; text: string; html: string },
): Promise<SendOutcome> {
  if (options.smtp === null) {
    return { ok: false, responseStatus: null, error: "SHM_SMTP_URL is not set", retry: false };
  }
  const transport = (nodemailer as unknown as Mailer).createTransport(options.smtp.url, {
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  });
  try {
    await transport.sendMail({ from: options.smtp.from, ...message });
    return { ok: true, responseStatus: null };
  } catch (error) {
    return {
      ok: false,
      responseStatus: null,
      error: `the SMTP server refused it: ${
        String((error as Error).message ?? error).slice(0, 200)
      }`,
      retry: true,
    };
  } finally {
    transport.close();
  }
}

/** The part of nodemailer used here (it ships no types). */
interface Mailer {
  createTransport(url: string, defaults: Record<string, unknown>): {
    sendMail(mail: Record<string, string>): Promise<unknown>;
    close(): void;
  };
}

/** The hex HMAC-SHA256 of `body` with key `secret` (both UTF-8). */
export async function hmacSha256Hex(secret: string, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(body)));
  return [...mac].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** At most `max` bytes of the answer as text; the rest is cancelled unread. */
async function readCapped(response: Response, max: number): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value.subarray(0, max - size));
      size += Math.min(value.length, max - size);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}
