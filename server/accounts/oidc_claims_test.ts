import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import { readOidcClaims } from "./oidc_claims.ts";

Deno.test("readOidcClaims() reads the claims it uses and defaults the absent ones", () => {
  assert.deepEqual(readOidcClaims({ sub: "123" }), {
    kind: "ok",
    claims: {
      subject: "123",
      email: null,
      emailVerified: false,
      preferredUsername: null,
      groups: [],
    },
  });
  assert.deepEqual(
    readOidcClaims({
      sub: "u-1",
      email: "Ada@Example.org",
      email_verified: true,
      preferred_username: "ada",
      groups: ["a", "b c"],
      other: { anything: 1 },
    }),
    {
      kind: "ok",
      claims: {
        subject: "u-1",
        email: "Ada@Example.org",
        emailVerified: true,
        preferredUsername: "ada",
        groups: ["a", "b c"],
      },
    },
  );
  // Only the boolean true is a verified address.
  const unverified = readOidcClaims({ sub: "x", email: "a@b.c", email_verified: false });
  assert.equal(unverified.kind === "ok" && unverified.claims.emailVerified, false);
});

Deno.test("readOidcClaims() refuses each claim of the wrong type or size, saying which", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /subject \(sub\)/],
    [{ sub: 5 }, /subject \(sub\)/],
    [{ sub: "" }, /subject \(sub\)/],
    [{ sub: "x".repeat(256) }, /subject \(sub\)/],
    [{ sub: "a\nb" }, /subject \(sub\)/],
    [{ sub: "s", email: ["a@b.c"] }, /email claim/],
    [{ sub: "s", email: "no-at-sign" }, /email claim/],
    [{ sub: "s", email: "a b@c.d" }, /email claim/],
    [{ sub: "s", email: `${"a".repeat(250)}@b.cd` }, /email claim/],
    [{ sub: "s", email_verified: "true" }, /email_verified/],
    [{ sub: "s", preferred_username: 7 }, /preferred_username/],
    [{ sub: "s", groups: "admins" }, /groups claim/],
    [{ sub: "s", groups: ["ok", 3] }, /groups claim/],
    [{ sub: "s", groups: [""] }, /groups claim/],
    [{ sub: "s", groups: ["x".repeat(201)] }, /groups claim/],
    [{ sub: "s", groups: Array.from({ length: 1001 }, (_, i) => `g${i}`) }, /groups claim/],
  ];
  for (const [claims, pattern] of cases) {
    const read = readOidcClaims(claims);
    assert.equal(read.kind, "bad", JSON.stringify(claims).slice(0, 80));
    assert.match(read.kind === "bad" ? read.problem : "", pattern);
  }
});

Deno.test("readOidcClaims() never throws and never lets a non-string through (property)", () => {
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.constantFrom("sub", "email", "email_verified", "preferred_username", "groups", "x"),
        fc.jsonValue(),
      ),
      (claims) => {
        const read = readOidcClaims(claims);
        if (read.kind === "bad") return;
        assert.equal(typeof read.claims.subject, "string");
        assert.ok(read.claims.email === null || typeof read.claims.email === "string");
        assert.ok(read.claims.groups.every((group) => typeof group === "string"));
      },
    ),
  );
});
