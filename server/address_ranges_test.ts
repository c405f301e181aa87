import assert from "node:assert/strict";
import { fc } from "../tests/support/dev_deps.ts";
import { inRanges, parseCidrList } from "./address_ranges.ts";

Deno.test("inRanges() matches IPv4 and IPv6 ranges, and an IPv4 address seen as IPv6", () => {
  const ranges = parseCidrList("10.0.0.0/8, 192.0.2.7, fd00::/8, 2001:db8::1/128");
  for (
    const inside of ["10.1.2.3", "192.0.2.7", "fd12:3456::1", "2001:db8::1", "::ffff:10.9.9.9"]
  ) {
    assert.equal(inRanges(inside, ranges), true, inside);
  }
  for (
    const outside of [
      "11.0.0.1",
      "192.0.2.8",
      "fe80::1",
      "2001:db8::2",
      "::ffff:11.0.0.1",
      "",
      "unknown",
      "10.0.0",
      "10.0.0.256",
    ]
  ) {
    assert.equal(inRanges(outside, ranges), false, outside);
  }
  assert.equal(inRanges("203.0.113.9", parseCidrList("0.0.0.0/0")), true);
  assert.equal(inRanges("::1", parseCidrList("0.0.0.0/0")), false, "an IPv4 range holds no IPv6");
  assert.equal(inRanges("::1", parseCidrList("::1")), true);
  assert.equal(inRanges("[::1]", parseCidrList("::1")), true);
});

Deno.test("parseCidrList() refuses what is not a range, naming it", () => {
  for (
    const bad of [
      "10.0.0.0/33",
      "10.0.0/8",
      "fd00::/129",
      "a.b.c.d",
      "10.0.0.1/8/1",
      "1::2::3",
      "::g",
    ]
  ) {
    assert.throws(
      () => parseCidrList(`127.0.0.1, ${bad}`),
      (error: unknown) =>
        error instanceof TypeError && error.message.includes(`"${bad}" is not an address range`),
    );
  }
  assert.deepEqual(parseCidrList(" , "), []);
});

Deno.test("inRanges() never throws, whatever the address", () => {
  const ranges = parseCidrList("10.0.0.0/8, ::/0");
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 60 }), (text) => {
    assert.equal(typeof inRanges(text, ranges), "boolean");
  }));
});
