/** Signing in to the dashboard in-process, reading its forms, and feeding it instances. */

import assert from "node:assert/strict";
import { hashPassword } from "../../server/accounts/mod.ts";
import { insertUser } from "../../server/store/mod.ts";
import { type FakeClock, openTestApp, type TestApp } from "./app.ts";
import { TestInstance } from "./instance_client.ts";

/** The account every dashboard test app has. */
export const DASHBOARD_USER = "alice";
/** Its password. */
export const DASHBOARD_PASSWORD = "alice-password-1";

/** A test app with no account but {@linkcode DASHBOARD_USER}. */
export async function openDashboard(
  options: { settings?: Record<string, string>; clock?: FakeClock } = {},
): Promise<TestApp> {
  const app = await openTestApp(options);
  // The embedded test store is shared by the tests of a file and emptied of the fleet only.
  await app.db.execScript("truncate users, sessions, api_tokens restart identity cascade");
  await insertUser(app.db, {
    username: DASHBOARD_USER,
    passwordHash: await hashPassword(DASHBOARD_PASSWORD),
    createdAt: app.clock.now(),
  });
  return app;
}

/** The value of cookie `name` a response sets; undefined when it sets none. */
export function cookieValue(response: Response, name: string): string | undefined {
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(";");
    if (pair?.startsWith(`${name}=`)) return pair.slice(name.length + 1);
  }
  return undefined;
}

/** The first CSRF field of a page. */
export function formToken(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(match?.[1], "the page has a CSRF field");
  return match[1];
}

/** Signs in as `username` (default the test user) and returns the session cookie's value. */
export async function signIn(
  app: TestApp,
  account: { username: string; password: string } = {
    username: DASHBOARD_USER,
    password: DASHBOARD_PASSWORD,
  },
): Promise<string> {
  const form = await app.fetch("/login");
  const csrf = cookieValue(form, "shm_login_csrf");
  await form.body?.cancel();
  assert.ok(csrf);
  const response = await app.fetch("/login", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: `shm_login_csrf=${csrf}`,
    },
    body: new URLSearchParams({ _csrf: csrf, ...account }).toString(),
  });
  assert.equal(response.status, 303);
  const session = cookieValue(response, "shm_session");
  assert.ok(session);
  return session;
}

/** `init` with the session cookie. */
export function asSignedIn(session: string, init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...init.headers, cookie: `shm_session=${session}` } };
}

/** Posts a urlencoded form with the session cookie. */
export function postForm(
  app: TestApp,
  path: string,
  options: { session: string; fields: Record<string, string> },
): Promise<Response> {
  return app.fetch(
    path,
    asSignedIn(options.session, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(options.fields).toString(),
    }),
  );
}

/** Registers, activates and reports one instance of `appName` at the app's clock time. */
export async function feedInstance(
  app: TestApp,
  options: {
    appName: string;
    version: string;
    environment?: string;
    metrics?: Record<string, unknown>;
  },
): Promise<TestInstance> {
  const instance = await TestInstance.create();
  const registered = await app.send(
    instance.registerRequest({
      appName: options.appName,
      appVersion: options.version,
      ...(options.environment === undefined ? {} : { extra: { environment: options.environment } }),
    }),
  );
  assert.equal(registered.status, 201);
  assert.equal((await app.send(await instance.activateRequest())).status, 200);
  const snapshot = await app.send(
    await instance.snapshotRequest(options.metrics ?? { users: 3 }, {
      timestamp: app.clock.now(),
    }),
  );
  assert.equal(snapshot.status, 202);
  return instance;
}
