import assert from "node:assert/strict";
import { OIDC_NO_PASSWORD } from "./oidc_accounts.ts";
import { hashPassword } from "./password_hash.ts";
import { PROXY_NO_PASSWORD } from "./proxy_accounts.ts";
import { signInWayOf } from "./sign_in_way.ts";

Deno.test("signInWayOf() tells a password's hash from the markers of accounts without one", async () => {
  assert.equal(signInWayOf(await hashPassword("pw-123456", { iterations: 100_000 })), "password");
  assert.equal(signInWayOf(OIDC_NO_PASSWORD), "openid_connect");
  assert.equal(signInWayOf(PROXY_NO_PASSWORD), "auth_proxy");
  for (const other of ["", "none", "pbkdf2-sha256", "sha1$1$a$b", " pbkdf2-sha256$1$a$b"]) {
    assert.equal(signInWayOf(other), "none", other);
  }
});
