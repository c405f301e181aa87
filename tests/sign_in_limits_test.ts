/**
 * Sign-in limits (server/http/sign_in_limits.ts): failures only, per address
 * and per username, with browsers that signed in before counted apart, so
 * that nobody can lock everyone out — not behind one shared proxy address,
 * not with many addresses against one user.
 */

import assert from "node:assert/strict";
import { hashPassword } from "../server/accounts/mod.ts";
import { insertUser } from "../server/store/mod.ts";
import type { TestApp } from "./support/app.ts";
import {
  cookieValue,
  DASHBOARD_PASSWORD,
  DASHBOARD_USER,
  openDashboard,
} from "./support/dashboard.ts";

const BOB = { username: "bob", password: "bob-password-1" };
const ALICE = { username: DASHBOARD_USER, password: DASHBOARD_PASSWORD };
/** Every user of an office behind a proxy without SHM_TRUST_PROXY: one address. */
const PROXY = "203.0.113.10";

/** Signs in from `address` with `device` (a device cookie) if given; returns the response. */
async function attempt(
  app: TestApp,
  account: { username: string; password: string },
  options: { address?: string; device?: string } = {},
): Promise<Response> {
  const address = options.address ?? PROXY;
  const form = await app.fetch("/login", { address });
  await form.body?.cancel();
  const csrf = cookieValue(form, "shm_login_csrf");
  assert.ok(csrf);
  const cookies = [`shm_login_csrf=${csrf}`];
  if (options.device !== undefined) cookies.push(`shm_device=${options.device}`);
  const response = await app.fetch("/login", {
    method: "POST",
    address,
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: cookies.join("; "),
    },
    body: new URLSearchParams({ _csrf: csrf, ...account }).toString(),
  });
  await response.body?.cancel();
  return response;
}

/** Signs in successfully and returns the device cookie the browser keeps. */
async function knownBrowser(
  app: TestApp,
  account: { username: string; password: string },
  address = PROXY,
): Promise<string> {
  const response = await attempt(app, account, { address });
  assert.equal(response.status, 303);
  const device = cookieValue(response, "shm_device");
  assert.ok(device, "a successful sign-in sets the device cookie");
  const header = response.headers.getSetCookie().find((h) => h.startsWith("shm_device="));
  assert.match(header ?? "", /; Path=\/login; HttpOnly; SameSite=Lax; Max-Age=31536000/);
  return device;
}

async function openWithBob(): Promise<TestApp> {
  const app = await openDashboard();
  await insertUser(app.db, {
    username: BOB.username,
    passwordHash: await hashPassword(BOB.password),
    createdAt: app.clock.now(),
  });
  return app;
}

const wrong = (account: { username: string }) => ({ ...account, password: "wrong-password" });

Deno.test("sign-in limits: successful sign-ins never count, so a team behind one address is never limited", async () => {
  await using app = await openDashboard();
  for (let i = 0; i < 11; i++) {
    assert.equal((await attempt(app, ALICE)).status, 303, `sign-in ${i + 1}`);
  }
});

Deno.test("sign-in limits: one attacker behind a shared address cannot lock out users on browsers they used", async () => {
  await using app = await openWithBob();
  const bobsBrowser = await knownBrowser(app, BOB);
  const alicesBrowser = await knownBrowser(app, ALICE);
  for (let i = 0; i < 10; i++) {
    assert.equal((await attempt(app, wrong(ALICE))).status, 401, `failure ${i + 1}`);
  }
  const limited = await attempt(app, BOB);
  assert.equal(limited.status, 429, "a browser never used here waits, like the attacker");
  assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  assert.equal(cookieValue(limited, "shm_session"), undefined);
  assert.equal((await attempt(app, BOB, { device: bobsBrowser })).status, 303);
  assert.equal((await attempt(app, ALICE, { device: alicesBrowser })).status, 303);
});

Deno.test("sign-in limits: many addresses against one user are held per username; other users are not", async () => {
  await using app = await openWithBob();
  const alicesBrowser = await knownBrowser(app, ALICE, "192.0.2.200");
  for (let i = 0; i < 10; i++) {
    const response = await attempt(app, wrong(ALICE), { address: `198.51.100.${i}` });
    assert.equal(response.status, 401, `failure ${i + 1}`);
  }
  const guess = await attempt(app, ALICE, { address: "198.51.100.99" });
  assert.equal(guess.status, 429, "even the right password, from a new address and browser");
  assert.equal(cookieValue(guess, "shm_session"), undefined);
  assert.equal((await attempt(app, BOB, { address: "198.51.100.99" })).status, 303);
  assert.equal(
    (await attempt(app, ALICE, { address: "198.51.100.99", device: alicesBrowser })).status,
    303,
    "alice's own browser still signs in, from any address",
  );
});

Deno.test("sign-in limits: a device cookie counts only for its own user and only as this server made it", async () => {
  await using app = await openWithBob();
  const bobsBrowser = await knownBrowser(app, BOB, "192.0.2.200");
  for (let i = 0; i < 10; i++) await attempt(app, wrong(ALICE));
  const [nonce = "", mac = ""] = bobsBrowser.split(".");
  const forged = `${nonce}.${mac.startsWith("A") ? `B${mac.slice(1)}` : `A${mac.slice(1)}`}`;
  for (const device of [bobsBrowser, forged, "garbage", `${"a".repeat(22)}.${"b".repeat(43)}`]) {
    assert.equal(
      (await attempt(app, ALICE, { device })).status,
      429,
      `alice with ${device} is an unknown browser`,
    );
  }
});

Deno.test("sign-in limits: a known browser has its own allowance of failures", async () => {
  await using app = await openDashboard();
  const browser = await knownBrowser(app, ALICE);
  for (let i = 0; i < 10; i++) {
    const response = await attempt(app, wrong(ALICE), { device: browser });
    assert.equal(response.status, 401, `failure ${i + 1}`);
  }
  const limited = await attempt(app, ALICE, { device: browser });
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  assert.equal(
    (await attempt(app, ALICE, { address: "192.0.2.77" })).status,
    303,
    "its failures were not counted against the address or the username",
  );
});

Deno.test("sign-in limits: a name that cannot be a username is a 401 without a store lookup, never a 500", async () => {
  await using app = await openDashboard();
  for (const username of ["nul\u0000", "a".repeat(65), "tab\there", "\ud800", "x y"]) {
    const response = await attempt(app, { username, password: "whatever-password" }, {
      address: `192.0.2.${username.length}`,
    });
    assert.equal(response.status, 401, JSON.stringify(username));
  }
  assert.ok(!app.logs.some((entry) => entry.level === "error"), "nothing was logged as a fault");
});
