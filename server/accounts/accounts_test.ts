import assert from "node:assert/strict";
import { openTestDatabase } from "../../tests/support/store.ts";
import { hasAccounts, listAccounts } from "./account_list.ts";
import { apiTokenUser, createApiToken, revokeUserApiToken, userApiTokens } from "./api_tokens.ts";
import { createAccount } from "./create_account.ts";
import { sessionAccount, signIn } from "./sessions.ts";

Deno.test("createAccount() with firstOnly makes only the first account; without, any free username", async () => {
  await using store = await openTestDatabase();
  const now = new Date("2026-03-01T10:00:00Z");
  assert.equal(await hasAccounts(store.db), false);
  const first = { username: "alice", password: "alice-password", now };
  assert.equal(await createAccount(store.db, first, { firstOnly: true, actor: "cli" }), "created");
  const second = { username: "bob", password: "bob-password", now };
  assert.equal(await createAccount(store.db, second, { firstOnly: true, actor: "cli" }), "exists");
  assert.equal(await createAccount(store.db, second, { actor: "cli" }), "created");
  assert.equal(
    await createAccount(store.db, { ...first, password: "other-password" }, { actor: "cli" }),
    "exists",
  );
  assert.equal(await hasAccounts(store.db), true);
  assert.deepEqual(await listAccounts(store.db), [
    { username: "alice", role: "admin", createdAt: now, disabledAt: null },
    { username: "bob", role: "admin", createdAt: now, disabledAt: null },
  ]);
  // The password is stored so that it signs in, and the refused second try changed nothing.
  assert.notEqual(await signIn(store.db, { ...first, now }), null);
  assert.equal(await signIn(store.db, { ...first, password: "other-password", now }), null);
});

Deno.test("the accounts layer gives out views, never store rows", async () => {
  await using store = await openTestDatabase();
  const now = new Date("2026-03-01T10:00:00Z");
  await createAccount(store.db, { username: "carol", password: "carol-password", now }, {
    actor: "cli",
  });
  const session = await signIn(store.db, { username: "carol", password: "carol-password", now });
  assert.ok(session !== null);
  const account = await sessionAccount(store.db, session.token, now);
  assert.deepEqual(Object.keys(account ?? {}).sort(), ["expiresAt", "role", "userId", "username"]);
  const userId = account?.userId ?? 0;
  const created = await createApiToken(store.db, { userId, name: "CI", now, actor: "carol" });
  assert.equal(await apiTokenUser(store.db, created.token, now), userId);
  assert.equal(
    await revokeUserApiToken(store.db, { id: created.id, userId: userId + 1, now, actor: "carol" }),
    false,
  );
  assert.equal(
    await revokeUserApiToken(store.db, { id: created.id, userId, now, actor: "carol" }),
    true,
  );
  assert.deepEqual(await userApiTokens(store.db, userId), [
    {
      id: created.id,
      name: "CI",
      scope: "write",
      username: "carol",
      createdAt: now,
      expiresAt: null,
      lastUsedAt: now,
      revokedAt: now,
    },
  ]);
  assert.equal(await apiTokenUser(store.db, created.token, now), null);
});
