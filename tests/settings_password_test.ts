/**
 * The settings page's password form is for accounts that have a password:
 * an account made by the forward-auth proxy has none, so the page says how
 * it signs in and POST /settings/password is refused with 409 and that
 * sentence, changing nothing; a local account keeps its form. (Accounts made
 * by OpenID Connect and local sign-in off: tests/oidc_test.ts.) Both stores,
 * by SHM_TEST_STORE.
 */

import assert from "node:assert/strict";
import { proxyAccount, startSession } from "../server/accounts/mod.ts";
import { sql } from "../server/store/mod.ts";
import { formToken, openDashboard, signIn } from "./support/dashboard.ts";

Deno.test("settings: an account made by the forward-auth proxy has no password form; POST /settings/password is 409", async () => {
  await using app = await openDashboard();
  const made = await proxyAccount(app.db, {
    username: "pat",
    role: "viewer",
    now: app.clock.now(),
    syncRole: false,
  });
  assert.equal(made.kind, "account");
  const session = (await startSession(app.db, {
    userId: made.kind === "account" ? made.userId : 0,
    now: app.clock.now(),
  })).token;
  const cookie = `shm_session=${session}`;
  const page = await app.fetch("/settings", { headers: { cookie } });
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.doesNotMatch(html, /action="\/settings\/password"/);
  assert.match(
    html,
    /data-field="password-off">This account has no password: it signs in through the forward-auth proxy\.</,
  );

  const [before] = await app.db.query<{ hash: string }>(
    sql`select password_hash as hash from users where username = 'pat'`,
  );
  const refused = await app.fetch("/settings/password", {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      _csrf: formToken(html),
      current_password: "none: signs in through the forward-auth proxy",
      new_password: "a-new-password-2",
      confirm_password: "a-new-password-2",
    }).toString(),
  });
  assert.equal(refused.status, 409);
  assert.match(
    await refused.text(),
    /role="alert">This account has no password: it signs in through the forward-auth proxy\./,
  );
  const [after] = await app.db.query<{ hash: string }>(
    sql`select password_hash as hash from users where username = 'pat'`,
  );
  assert.equal(after?.hash, before?.hash);
  const changes = await app.db.query(
    sql`select 1 from audit_log where action = 'password.change'`,
  );
  assert.equal(changes.length, 0);

  // The local account keeps its form.
  const alice = await app.fetch("/settings", {
    headers: { cookie: `shm_session=${await signIn(app)}` },
  });
  const aliceHtml = await alice.text();
  assert.match(aliceHtml, /action="\/settings\/password"/);
  assert.doesNotMatch(aliceHtml, /data-field="password-off"/);
});
