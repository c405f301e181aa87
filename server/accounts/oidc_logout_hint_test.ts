import assert from "node:assert/strict";
import { logoutHintCookie, MAX_ID_TOKEN_HINT_LENGTH, readLogoutHint } from "./oidc_logout_hint.ts";
import { randomToken } from "./sessions.ts";

/** A compact JWS of exactly `length` characters (its parts are not checked here). */
function jws(length: number): string {
  return `eyJhbGciOiJSUzI1NiJ9.${"a".repeat(length - 25)}.sig`;
}

Deno.test("logoutHintCookie() keeps an ID token up to the bound, read back by its session only", async () => {
  const session = randomToken();
  const token = jws(MAX_ID_TOKEN_HINT_LENGTH);
  assert.equal(token.length, MAX_ID_TOKEN_HINT_LENGTH);
  const kept = await logoutHintCookie(session, token);
  assert.equal(kept.skipped, null);
  assert.ok(kept.value.endsWith(`.${token}`));
  assert.ok(`shm_oidc_session=${kept.value}`.length < 4096, "fits every browser's cookie");
  assert.deepEqual(await readLogoutHint(session, kept.value), { kind: "provider", idToken: token });
  assert.deepEqual(await readLogoutHint(randomToken(), kept.value), { kind: "other" });
});

Deno.test("logoutHintCookie() keeps only the session's tie for a token too long or not a compact JWS", async () => {
  const session = randomToken();
  for (
    const [token, skipped] of [
      [jws(MAX_ID_TOKEN_HINT_LENGTH + 1), "too_long"],
      ["not a jwt; Path=/", "not_compact"],
      ["a.b.c.d.e", "not_compact"],
      ["", "not_compact"],
    ] as const
  ) {
    const cookie = await logoutHintCookie(session, token);
    assert.equal(cookie.skipped, skipped, token.slice(0, 20));
    assert.match(cookie.value, /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(await readLogoutHint(session, cookie.value), {
      kind: "provider",
      idToken: null,
    });
  }
});

Deno.test("readLogoutHint() takes the older value 1 as the provider's session without a token, and refuses anything else", async () => {
  const session = randomToken();
  assert.deepEqual(await readLogoutHint(session, "1"), { kind: "provider", idToken: null });
  const { value } = await logoutHintCookie(session, jws(100));
  const tie = value.slice(0, 22);
  for (const forged of ["", ".", "x".repeat(22), `${tie}.not-a-jwt`, `${tie}.a.b`, `${tie}x`]) {
    assert.deepEqual(await readLogoutHint(session, forged), { kind: "other" }, forged);
  }
});
