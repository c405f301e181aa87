import assert from "node:assert/strict";
import { PublicKeyCache } from "../ingest/mod.ts";
import { openKeyChannel } from "./key_channel.ts";

/** Waits until `check` holds (messages between channels arrive on a later turn). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.fail(`never: ${what}`);
}

async function newPublicKey(): Promise<Uint8Array> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  return new Uint8Array(await crypto.subtle.exportKey("raw", (pair as CryptoKeyPair).publicKey));
}

Deno.test("key channel: a key one loop learns is every loop's; an erased instance leaves every loop; a failed key only its own", async () => {
  const name = `test-keys-${crypto.randomUUID()}`;
  const channels = [openKeyChannel(name), openKeyChannel(name), openKeyChannel(name)];
  const stranger = openKeyChannel(`test-keys-${crypto.randomUUID()}`);
  const [first, second, third] = channels.map((share) => new PublicKeyCache(100, { share })) as [
    PublicKeyCache,
    PublicKeyCache,
    PublicKeyCache,
  ];
  const outsider = new PublicKeyCache(100, { share: stranger });
  try {
    const id = crypto.randomUUID();
    assert.ok(first.remember(id, await newPublicKey()));
    await until(() => second.cached(id) !== undefined, "the second loop has the key");
    await until(() => third.cached(id) !== undefined, "the third loop has the key");
    assert.equal(outsider.cached(id), undefined, "another server's loops hear nothing");

    // A key that failed a check is dropped where it failed, and read again there only.
    second.forget(id);
    assert.equal(second.cached(id), undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(first.cached(id) !== undefined && third.cached(id) !== undefined);

    // An erased, deleted or revoked instance is dropped everywhere.
    third.forget(id, { everywhere: true });
    await until(() => first.cached(id) === undefined, "the first loop dropped the key");

    // A key a loop holds already is not imported again when another announces it; another key
    // for the same instance (erased and registered again elsewhere) replaces it.
    const again = crypto.randomUUID();
    const key = await newPublicKey();
    assert.ok(first.remember(again, key));
    await until(() => second.cached(again) !== undefined, "the second loop has the key");
    const held = second.cached(again);
    assert.ok(third.remember(again, key));
    const replacement = await newPublicKey();
    const probe = crypto.randomUUID();
    assert.ok(third.remember(probe, await newPublicKey()));
    await until(() => second.cached(probe) !== undefined, "the announcements after it arrived");
    assert.equal(second.cached(again), held, "the same imported key, not a new import");
    assert.ok(first.remember(again, replacement));
    await until(() => second.cached(again) !== held, "the other key replaced it");

    // Junk on the channel, or a key of the wrong size, is ignored.
    const raw = new BroadcastChannel(name);
    const junkId = crypto.randomUUID();
    raw.postMessage("junk");
    raw.postMessage({ kind: "key", instanceId: junkId, publicKey: new Uint8Array(31) });
    raw.postMessage({ kind: "key", instanceId: junkId, publicKey: "not bytes" });
    const nextId = crypto.randomUUID();
    assert.ok(second.remember(nextId, await newPublicKey()));
    await until(() => first.cached(nextId) !== undefined, "a later key still arrives");
    assert.equal(first.cached(junkId), undefined);
    raw.close();
  } finally {
    for (const channel of channels) channel.close();
    stranger.close();
  }
});
