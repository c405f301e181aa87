/**
 * How many sign-in attempts are let through, and to whom.
 *
 * A limit per client address alone fails both ways: behind a proxy without
 * `SHM_TRUST_PROXY` every user shares one address, so one attacker's wrong
 * passwords lock everyone out; and an attacker with many addresses guesses
 * one account's password at the full rate of each. So:
 *
 * - **Only failures count.** A sign-in that succeeds gives its tokens back,
 *   so a team signing in through one proxy never limits itself. The tokens
 *   are taken before the password is checked (and given back after), so that
 *   parallel attempts cannot slip past the count and no answer during a
 *   lock-out tells a right password from a wrong one.
 * - **Per address** (10 failures a minute) and **per username** (10 a
 *   minute, from all addresses together): one address cannot try many
 *   accounts fast, many addresses cannot try one account fast.
 * - **Known browsers are counted apart.** A browser that signed in as a user
 *   gets a device cookie (`shm_device`, a random nonce with an HMAC binding it
 *   to that username, under a key made at start). Its attempts for that user
 *   are counted only against its own allowance, never the address's or the
 *   username's. So a flood of wrong passwords from unknown addresses — or
 *   from the one shared proxy address — delays only sign-ins from browsers
 *   the user never used, and only while the flood lasts: the buckets refill
 *   continuously and hold no lock-out state of their own.
 *
 * Everything lives in this process's memory, as the other rate limits: a
 * restart (or another replica) does not know a device cookie, which then
 * counts as an unknown browser until the next successful sign-in.
 */

import { RateLimiter } from "./rate_limit.ts";

/** Failed sign-ins allowed a minute, per address, per username, and per known browser. */
export const SIGN_IN_FAILURES_PER_MINUTE = 10;

/** The answer to an attempt: go ahead (and say later whether it succeeded), or wait. */
export type SignInAdmission =
  | { readonly allowed: true; succeeded(): void }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/** What an attempt is counted by. */
export interface SignInAttempt {
  /** The client's address (never stored). */
  readonly address: string;
  /** The username typed, or null when it cannot be one (then only the address counts). */
  readonly username: string | null;
  /** The device cookie the browser sent, if any. */
  readonly device: string | undefined;
}

const encoder = new TextEncoder();

/**
 * Sign-in limits per address, per username, and per known browser (see the
 * module's comment for why). `perMinute` failures a minute for each.
 */
export class SignInLimits {
  readonly #perAddress: RateLimiter;
  readonly #perUsername: RateLimiter;
  readonly #perDevice: RateLimiter;
  readonly #key: Promise<CryptoKey>;

  constructor(options: { perMinute?: number; now?: () => number } = {}) {
    const perMinute = options.perMinute ?? SIGN_IN_FAILURES_PER_MINUTE;
    const limiter = () =>
      new RateLimiter(perMinute, options.now === undefined ? {} : { now: options.now });
    this.#perAddress = limiter();
    this.#perUsername = limiter();
    this.#perDevice = limiter();
    this.#key = crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]) as Promise<CryptoKey>;
  }

  /**
   * Counts one attempt before its password is checked. Allowed: call
   * `succeeded()` once the password was right, which gives the tokens back.
   * Refused: how many seconds until the next attempt may be made.
   */
  async admit(attempt: SignInAttempt): Promise<SignInAdmission> {
    const nonce = attempt.username === null || attempt.device === undefined
      ? null
      : await this.#deviceNonce(attempt.device, attempt.username);
    const taken: [RateLimiter, string][] = nonce !== null
      ? [[this.#perDevice, nonce]]
      : [[this.#perAddress, attempt.address]];
    if (nonce === null && attempt.username !== null) {
      taken.push([this.#perUsername, attempt.username]);
    }
    for (const [index, [limiter, key]] of taken.entries()) {
      const decision = limiter.take(key);
      if (!decision.allowed) {
        for (const [earlier, earlierKey] of taken.slice(0, index)) earlier.refund(earlierKey);
        return decision;
      }
    }
    return {
      allowed: true,
      succeeded: () => {
        for (const [limiter, key] of taken) limiter.refund(key);
      },
    };
  }

  /** A new device cookie value for a browser that just signed in as `username`. */
  async deviceToken(username: string): Promise<string> {
    const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
    const mac = await crypto.subtle.sign("HMAC", await this.#key, deviceMessage(username, nonce));
    return `${nonce}.${base64url(new Uint8Array(mac))}`;
  }

  /** The nonce of `token` when it is a device cookie this process made for `username`; else null. */
  async #deviceNonce(token: string, username: string): Promise<string | null> {
    const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (match === null) return null;
    const [, nonce = "", mac = ""] = match;
    const valid = await crypto.subtle.verify(
      "HMAC",
      await this.#key,
      fromBase64url(mac),
      deviceMessage(username, nonce),
    );
    return valid ? nonce : null;
  }
}

function deviceMessage(username: string, nonce: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`shm-device\n${username}\n${nonce}`);
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replaceAll("=", "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(
    atob(text.replaceAll("-", "+").replaceAll("_", "/")),
    (c) => c.charCodeAt(0),
  );
}
