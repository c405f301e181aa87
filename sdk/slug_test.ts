import assert from "node:assert/strict";
import { fc } from "../tests/support/dev_deps.ts";
import { identitySlug, legacyIdentitySlug } from "./slug.ts";

Deno.test("identitySlug() follows the rules of the identity file name", () => {
  const cases: [string, string][] = [
    ["my-app", "my-app"],
    ["My App", "my-app"],
    ["Café Déjà Vu", "cafe-deja-vu"],
    ["ÀÉÎÕÜ ñ ç", "aeiou-n-c"],
    ["  __Hello--World__  ", "hello-world"],
    ["app.name@2.0!", "appname20"],
    ["Žeton Łódź", "zeton-odz"],
    ["e\u0301cole", "ecole"],
    ["日本語", "app"],
    ["", "app"],
    ["---", "app"],
  ];
  for (const [name, slug] of cases) assert.equal(identitySlug(name), slug, name);
});

Deno.test("legacyIdentitySlug() folds only Latin-1 letters, as the original SDK did", () => {
  assert.equal(legacyIdentitySlug("Café Déjà Vu"), "cafe-deja-vu");
  assert.equal(legacyIdentitySlug("Žeton"), "eton");
  assert.equal(identitySlug("Žeton"), "zeton");
});

Deno.test("identitySlug() always gives a non-empty run of [a-z0-9] words joined by single dashes", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (name) => {
      const slug = identitySlug(name);
      assert.match(slug, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.equal(identitySlug(slug), slug);
    }),
  );
});

Deno.test("the two slugs agree on every name without letters beyond Latin-1", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), (raw) => {
      const name = [...raw].filter((c) => c <= "\u00ff").join("");
      assert.equal(legacyIdentitySlug(name), identitySlug(name));
    }),
  );
});
