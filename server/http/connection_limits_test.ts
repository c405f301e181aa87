import assert from "node:assert/strict";
import {
  addressKey,
  capAfterRunningOutOfFiles,
  clientAddress,
  ConnectionLimits,
  isOutOfFiles,
} from "./connection_limits.ts";

Deno.test("ConnectionLimits admits up to the total cap, then refuses with over_total", () => {
  const limits = new ConnectionLimits({ maxTotal: 3, maxPerAddress: 0 });
  for (const address of ["a", "b", "c"]) {
    assert.deepEqual(limits.admit(address), { kind: "admitted" });
  }
  assert.deepEqual(limits.admit("d"), { kind: "over_total", limit: 3 });
  limits.release("b");
  assert.deepEqual(limits.admit("d"), { kind: "admitted" });
  assert.equal(limits.open, 3);
});

Deno.test("ConnectionLimits caps one address without touching the others", () => {
  const limits = new ConnectionLimits({ maxTotal: 100, maxPerAddress: 2 });
  assert.deepEqual(limits.admit("10.0.0.1"), { kind: "admitted" });
  assert.deepEqual(limits.admit("10.0.0.1"), { kind: "admitted" });
  assert.deepEqual(limits.admit("10.0.0.1"), { kind: "over_address", limit: 2 });
  assert.deepEqual(limits.admit("10.0.0.2"), { kind: "admitted" });
  limits.release("10.0.0.1");
  assert.deepEqual(limits.admit("10.0.0.1"), { kind: "admitted" });
  assert.equal(limits.open, 3);
});

Deno.test("ConnectionLimits forgets an address once its last connection is released", () => {
  const limits = new ConnectionLimits({ maxTotal: 10, maxPerAddress: 5 });
  limits.admit("x");
  limits.admit("x");
  limits.release("x");
  assert.equal(limits.addresses, 1);
  limits.release("x");
  assert.equal(limits.addresses, 0);
  assert.equal(limits.open, 0);
  // A release without an admission changes nothing.
  limits.release("x");
  assert.equal(limits.open, 0);
});

Deno.test("ConnectionLimits refuses caps it cannot keep", () => {
  assert.throws(() => new ConnectionLimits({ maxTotal: 0, maxPerAddress: 0 }), RangeError);
  assert.throws(() => new ConnectionLimits({ maxTotal: 5, maxPerAddress: -1 }), RangeError);
  assert.throws(() => new ConnectionLimits({ maxTotal: 1.5, maxPerAddress: 0 }), RangeError);
});

Deno.test("ConnectionLimits lowers its total cap, never raises it", () => {
  const limits = new ConnectionLimits({ maxTotal: 10, maxPerAddress: 0 });
  limits.admit("a");
  limits.admit("b");
  limits.lowerTotal(2);
  assert.equal(limits.maxTotal, 2);
  assert.deepEqual(limits.admit("c"), { kind: "over_total", limit: 2 });
  limits.lowerTotal(50);
  limits.lowerTotal(0);
  assert.equal(limits.maxTotal, 2);
});

Deno.test("capAfterRunningOutOfFiles() keeps room below where the files ran out", () => {
  assert.equal(capAfterRunningOutOfFiles(10_000), 9_936);
  assert.equal(capAfterRunningOutOfFiles(230), 173);
  assert.equal(capAfterRunningOutOfFiles(8), 6);
  assert.equal(capAfterRunningOutOfFiles(1), 1);
  assert.equal(capAfterRunningOutOfFiles(0), 1);
});

Deno.test("isOutOfFiles() knows EMFILE and ENFILE, and nothing else", () => {
  assert.equal(isOutOfFiles(new Error("Too many open files (os error 24)")), true);
  assert.equal(isOutOfFiles(new Error("Too many open files in system (os error 23)")), true);
  assert.equal(isOutOfFiles(new Error("Software caused connection abort (os error 103)")), false);
  assert.equal(isOutOfFiles(new Error("os error 240")), false);
});

Deno.test("clientAddress() shows IPv4-mapped addresses as IPv4", () => {
  const addr = (hostname: string): Deno.NetAddr => ({ transport: "tcp", hostname, port: 1 });
  assert.equal(clientAddress(addr("::ffff:203.0.113.9")), "203.0.113.9");
  assert.equal(clientAddress(addr("203.0.113.9")), "203.0.113.9");
  assert.equal(clientAddress(addr("2001:db8::1")), "2001:db8::1");
});

Deno.test("addressKey() counts an IPv6 address by its /64 and IPv4 as it is", () => {
  assert.equal(addressKey("203.0.113.9"), "203.0.113.9");
  assert.equal(addressKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:0db8:0001:0002:ffff:0:0:9"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:db8::1"), "2001:db8:0:0::/64");
  assert.equal(addressKey("::1"), "0:0:0:0::/64");
  assert.equal(addressKey("fe80::1%eth0"), "fe80::1%eth0");
});
