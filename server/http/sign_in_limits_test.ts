import assert from "node:assert/strict";
import { SignInLimits } from "./sign_in_limits.ts";

function clock() {
  let ms = 1_700_000_000_000;
  return { now: () => ms, advance: (by: number) => ms += by };
}

const attacker = { address: "198.51.100.1", username: "alice", device: undefined };

Deno.test("SignInLimits: failures are counted, a success gives its tokens back", async () => {
  const time = clock();
  const limits = new SignInLimits({ perMinute: 3, now: time.now });
  for (let i = 0; i < 20; i++) {
    const admission = await limits.admit(attacker);
    assert.ok(admission.allowed, `success ${i + 1}`);
    admission.succeeded();
  }
  for (let i = 0; i < 3; i++) assert.ok((await limits.admit(attacker)).allowed);
  assert.deepEqual(await limits.admit(attacker), { allowed: false, retryAfterSeconds: 20 });
});

Deno.test("SignInLimits: a refusal by the username limit gives the address its token back", async () => {
  const time = clock();
  const limits = new SignInLimits({ perMinute: 2, now: time.now });
  for (const address of ["192.0.2.1", "192.0.2.2"]) {
    assert.ok((await limits.admit({ ...attacker, address })).allowed);
  }
  assert.equal((await limits.admit({ ...attacker, address: "192.0.2.3" })).allowed, false);
  // 192.0.2.3 spent nothing on the refused attempt: it still has both of its tokens for bob.
  for (let i = 0; i < 2; i++) {
    const bob = await limits.admit({ address: "192.0.2.3", username: "bob", device: undefined });
    assert.ok(bob.allowed, `bob ${i + 1}`);
  }
});

Deno.test("SignInLimits: under a flood that never stops, the user's known browser still signs in", async () => {
  const time = clock();
  const limits = new SignInLimits({ perMinute: 10, now: time.now });
  const device = await limits.deviceToken("alice");
  let refused = 0;
  // An hour of one wrong password a second from ever new addresses.
  for (let second = 0; second < 3600; second++) {
    time.advance(1000);
    const flood = await limits.admit({ ...attacker, address: `198.51.${second >> 8}.${second}` });
    if (!flood.allowed) refused++;
    if (second % 60 === 0) {
      const own = await limits.admit({ address: "192.0.2.9", username: "alice", device });
      assert.ok(own.allowed, `alice at second ${second}`);
      own.succeeded();
    }
  }
  // The flood itself gets 10 a minute through, plus the first burst: 60 × 10 + 10.
  assert.ok(3600 - refused <= 610, `the flood is held: ${3600 - refused} of 3600 let through`);
});

Deno.test("SignInLimits: once a flood stops, an unknown browser signs in again within a minute", async () => {
  const time = clock();
  const limits = new SignInLimits({ perMinute: 10, now: time.now });
  for (let i = 0; i < 500; i++) {
    time.advance(100);
    await limits.admit({ ...attacker, address: `198.51.100.${i % 250}` });
  }
  const during = await limits.admit({ address: "192.0.2.9", username: "alice", device: undefined });
  assert.equal(during.allowed, false);
  time.advance(6_000);
  const after = await limits.admit({ address: "192.0.2.9", username: "alice", device: undefined });
  assert.ok(after.allowed, "no lock-out outlives the flood: the buckets refill steadily");
});

Deno.test("SignInLimits: a device token is bound to its username and to this process's key", async () => {
  const limits = new SignInLimits({ perMinute: 1 });
  const other = new SignInLimits({ perMinute: 1 });
  const token = await limits.deviceToken("alice");
  assert.match(token, /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
  assert.ok((await limits.admit({ ...attacker, username: "alice", device: undefined })).allowed);
  assert.equal((await limits.admit({ ...attacker, device: undefined })).allowed, false);
  assert.ok((await limits.admit({ ...attacker, device: token })).allowed, "alice's browser");
  const bob = await limits.admit({ address: "192.0.2.5", username: "bob", device: token });
  assert.ok(bob.allowed);
  assert.equal(
    (await limits.admit({ address: "192.0.2.5", username: "bob", device: token })).allowed,
    false,
    "for bob the token counts as no token: the address is spent",
  );
  assert.equal((await other.admit({ ...attacker, device: token })).allowed, true);
  assert.equal(
    (await other.admit({ ...attacker, device: token })).allowed,
    false,
    "another process's key does not know the token",
  );
});
