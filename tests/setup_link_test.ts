/**
 * The one-time setup link: printed at start with no account and no
 * password, it creates the first account once; otherwise it does not exist.
 */

import assert from "node:assert/strict";
import { openTestApp } from "./support/app.ts";
import { cookieValue } from "./support/dashboard.ts";
import { startServer } from "./support/server.ts";

Deno.test("process: with no account and no password, the printed setup link creates the first account once", async () => {
  // A first start: the link belongs to the start that made the store.
  await using server = await startServer({ freshStore: "empty" });
  const line = server.lines.find((l) => typeof l["setup_url"] === "string");
  assert.ok(line, "the start prints a setup link");
  const link = new URL(String(line["setup_url"]));
  assert.equal(link.pathname, "/setup");
  const token = link.searchParams.get("token") ?? "";
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);

  const get = (path: string) => fetch(`${server.url}${path}`, { redirect: "manual" });
  const post = (fields: Record<string, string>) =>
    fetch(`${server.url}/setup`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  const form = await get(`/setup?token=${token}`);
  assert.equal(form.status, 200);
  assert.match(await form.text(), /Create the first account/);
  const wrongLink = await get(`/setup?token=${"A".repeat(43)}`);
  await wrongLink.body?.cancel();
  assert.equal(wrongLink.status, 404);

  const account = { username: "owner", password: "owner-password-1" };
  const cases: [Record<string, string>, number][] = [
    [{ ...account, confirm_password: account.password, token: "forged" }, 404],
    [{ ...account, confirm_password: account.password }, 404],
    [{ ...account, confirm_password: "something-else", token }, 400],
    [{ username: "owner", password: "short", confirm_password: "short", token }, 400],
    [
      { username: "two words", password: "pw-12345678", confirm_password: "pw-12345678", token },
      400,
    ],
  ];
  for (const [fields, status] of cases) {
    const response = await post(fields);
    await response.body?.cancel();
    assert.equal(response.status, status, JSON.stringify(fields));
  }
  const hint = await get("/login");
  assert.match(await hint.text(), /No account yet: open the setup link/);
  const created = await post({ ...account, confirm_password: account.password, token });
  await created.body?.cancel();
  assert.equal(created.status, 303);
  assert.equal(created.headers.get("location"), "/", "the new account is signed in");
  const session = cookieValue(created, "shm_session");
  assert.ok(session);
  const overview = await fetch(`${server.url}/`, {
    redirect: "manual",
    headers: { cookie: `shm_session=${session}` },
  });
  assert.equal(overview.status, 200, "the session works at once");
  assert.match(await overview.text(), /owner/);

  const reused = await post({
    username: "intruder",
    password: "intruder-pw-1",
    confirm_password: "intruder-pw-1",
    token,
  });
  await reused.body?.cancel();
  assert.equal(reused.status, 410, "the link works once");
  const used = await get(`/setup?token=${token}`);
  await used.body?.cancel();
  assert.equal(used.status, 410);

  const login = await get("/login");
  const csrf = cookieValue(login, "shm_login_csrf") ?? "";
  assert.doesNotMatch(await login.text(), /No account yet/, "the hint goes once an account exists");
  const signedIn = await fetch(`${server.url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: `shm_login_csrf=${csrf}`,
    },
    body: new URLSearchParams({ _csrf: csrf, ...account }).toString(),
  });
  await signedIn.body?.cancel();
  assert.equal(signedIn.status, 303, "the new account signs in");
  assert.ok(cookieValue(signedIn, "shm_session"));
});

Deno.test("without a printed setup link, /setup answers 404 whatever the token", async () => {
  await using app = await openTestApp();
  for (const path of ["/setup", "/setup?token=anything", `/setup?token=${"A".repeat(43)}`]) {
    const response = await app.fetch(path);
    await response.body?.cancel();
    assert.equal(response.status, 404, path);
  }
  const post = await app.fetch("/setup", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "token=&username=x&password=pw-12345678&confirm_password=pw-12345678",
  });
  await post.body?.cancel();
  assert.equal(post.status, 404);
});
