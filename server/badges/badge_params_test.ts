import assert from "node:assert/strict";
import { badgeColor, parseBadgeOptions } from "./badge_params.ts";

Deno.test("badgeColor() takes shields names and hex, and refuses anything else", () => {
  assert.equal(badgeColor("brightgreen"), "brightgreen");
  assert.equal(badgeColor("Blue"), "blue");
  assert.equal(badgeColor("ff8800"), "ff8800");
  assert.equal(badgeColor("#ABC"), "abc");
  for (const bad of ["", "f", "ff88", "ggg", "red;", "url(#x)", "12345678", "javascript:1"]) {
    assert.equal(badgeColor(bad), null, bad);
  }
});

Deno.test("parseBadgeOptions() gives defaults and names the first bad parameter", () => {
  assert.deepEqual(parseBadgeOptions(new URLSearchParams("")), {
    ok: true,
    options: { label: undefined, color: undefined, style: "flat", aggregate: "sum" },
  });
  assert.deepEqual(
    parseBadgeOptions(new URLSearchParams("label=users&color=red&style=plastic&agg=max&x=1")),
    { ok: true, options: { label: "users", color: "red", style: "plastic", aggregate: "max" } },
  );
  const problem = (query: string) => {
    const parsed = parseBadgeOptions(new URLSearchParams(query));
    return parsed.ok ? null : parsed.problem;
  };
  assert.equal(problem("style=social"), "invalid style");
  assert.equal(problem("color=nope"), "invalid color");
  assert.equal(problem("agg=median"), "invalid agg");
  assert.equal(problem(`label=${"x".repeat(101)}`), "label too long");
  assert.equal(problem(`label=${"x".repeat(100)}`), null);
});
