import assert from "node:assert/strict";
import { createDenoHost } from "./deno_host.ts";
import type { Host } from "./host.ts";
import {
  identityPath,
  loadOrCreateIdentity,
  parseIdentity,
  serializeIdentity,
} from "./identity.ts";
import { createNodeHost } from "./node_host.ts";
import { fromHex, publicKeyOf, toHex } from "./signing.ts";
import { withFailures } from "./testing/fakes.ts";

const HOSTS: [string, () => Host][] = [["Deno host", createDenoHost], [
  "Node host",
  createNodeHost,
]];
const IS_WINDOWS = Deno.build.os === "windows";

// A file as the original SHM Node SDK wrote it, with the key of RFC 8032 TEST 1.
const ORIGINAL_FILE = JSON.stringify(
  {
    instanceId: "6F1C2B3A-9D4E-4F5A-8B6C-7D8E9F0A1B2C",
    privateKey: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60" +
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
  },
  null,
  2,
);

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "shm_identity_test_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

for (const [hostName, makeHost] of HOSTS) {
  Deno.test(`${hostName}: loadOrCreateIdentity() creates the directory and a 0600 file, then reuses it`, async () => {
    await withTempDir(async (root) => {
      const host = makeHost();
      const dataDir = `${root}/nested/data`;
      const created = await loadOrCreateIdentity(host, { dataDir, appName: "My App" });
      assert.equal(created.ok && created.source, "created");
      assert.ok(created.ok);
      assert.equal(created.path, `${dataDir}/my-app_shm_identity.json`);

      const stored = JSON.parse(await Deno.readTextFile(created.path));
      assert.deepEqual(stored, { ...created.identity });
      assert.match(stored.instanceId, /^[0-9a-f-]{36}$/);
      assert.equal(stored.privateKey.slice(64), stored.publicKey);
      const seed = fromHex(stored.privateKey.slice(0, 64));
      assert.equal(toHex(await publicKeyOf(seed)), stored.publicKey);
      if (!IS_WINDOWS) assert.equal((await Deno.stat(created.path)).mode! & 0o777, 0o600);
      assert.deepEqual(await listDir(dataDir), ["my-app_shm_identity.json"]);

      const again = await loadOrCreateIdentity(host, { dataDir, appName: "My App" });
      assert.ok(again.ok);
      assert.equal(again.source, "loaded");
      assert.deepEqual(again.identity, created.identity);
    });
  });

  Deno.test(`${hostName}: loadOrCreateIdentity() keeps the identity the original SDK wrote`, async () => {
    await withTempDir(async (dataDir) => {
      const path = identityPath(dataDir, "Café App");
      assert.equal(path, `${dataDir}/cafe-app_shm_identity.json`);
      await Deno.writeTextFile(path, ORIGINAL_FILE, { mode: 0o600 });
      const loaded = await loadOrCreateIdentity(makeHost(), { dataDir, appName: "Café App" });
      assert.ok(loaded.ok);
      assert.equal(loaded.source, "loaded");
      assert.equal(loaded.identity.instanceId, "6f1c2b3a-9d4e-4f5a-8b6c-7d8e9f0a1b2c");
      assert.equal(loaded.identity.publicKey, JSON.parse(ORIGINAL_FILE).publicKey);
      assert.equal(await Deno.readTextFile(path), ORIGINAL_FILE);
    });
  });

  Deno.test(`${hostName}: loadOrCreateIdentity() finds a file named by the original SDK's slug`, async () => {
    await withTempDir(async (dataDir) => {
      const legacy = `${dataDir}/eton_shm_identity.json`;
      await Deno.writeTextFile(legacy, ORIGINAL_FILE, { mode: 0o600 });
      const loaded = await loadOrCreateIdentity(makeHost(), { dataDir, appName: "Žeton" });
      assert.ok(loaded.ok);
      assert.equal(loaded.path, legacy);
      assert.equal(loaded.source, "loaded");
      assert.deepEqual(await listDir(dataDir), ["eton_shm_identity.json"]);
    });
  });

  Deno.test(`${hostName}: loadOrCreateIdentity() replaces a corrupt file, atomically, by a new identity`, async () => {
    const corruptions: [string, string][] = [
      ["not JSON", "{ this is not json"],
      ["not an object", "[1, 2, 3]"],
      ["a bad instanceId", ORIGINAL_FILE.replace("6F1C2B3A-", "nope-")],
      ["keys that do not match", ORIGINAL_FILE.replace(/"publicKey": "d7/, '"publicKey": "e7')],
      ["a short private key", ORIGINAL_FILE.replace(/"privateKey": "9d61/, '"privateKey": "')],
      ["an empty file", ""],
    ];
    for (const [what, text] of corruptions) {
      await withTempDir(async (dataDir) => {
        const path = identityPath(dataDir, "app");
        await Deno.writeTextFile(path, text);
        // A second name for the old file: an in-place write would change what it shows.
        await Deno.link(path, `${dataDir}/old`);
        const result = await loadOrCreateIdentity(makeHost(), { dataDir, appName: "app" });
        assert.ok(result.ok, what);
        assert.equal(result.source, "replaced", what);
        assert.match(result.replacedBecause ?? "", /its|JSON/, what);
        assert.notEqual(result.identity.instanceId, "6f1c2b3a-9d4e-4f5a-8b6c-7d8e9f0a1b2c");
        assert.equal(await Deno.readTextFile(`${dataDir}/old`), text, what);
        const reparsed = await parseIdentity(await Deno.readTextFile(path));
        assert.ok(reparsed.ok, what);
        assert.deepEqual(reparsed.identity, result.identity);
        if (!IS_WINDOWS) assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600, what);
        assert.deepEqual(await listDir(dataDir), ["app_shm_identity.json", "old"], what);
      });
    }
  });

  Deno.test(`${hostName}: loadOrCreateIdentity() makes a readable-by-others file private`, {
    ignore: IS_WINDOWS,
  }, async () => {
    await withTempDir(async (dataDir) => {
      const path = identityPath(dataDir, "app");
      await Deno.writeTextFile(path, ORIGINAL_FILE);
      await Deno.chmod(path, 0o644);
      const loaded = await loadOrCreateIdentity(makeHost(), { dataDir, appName: "app" });
      assert.equal(loaded.ok && loaded.source, "loaded");
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    });
  });

  Deno.test(`${hostName}: loadOrCreateIdentity() fails, writing nothing, in a read-only directory`, async (t) => {
    await withTempDir(async (dataDir) => {
      const locked = await makeReadOnly(dataDir);
      try {
        if (!locked.ok) {
          // deno-lint-ignore no-console -- a skip must say why, in the test output
          console.log(`SKIPPED: cannot make a directory read-only here: ${locked.why}`);
          await t.step({ name: "read-only directory", ignore: true, fn: () => {} });
          return;
        }
        const result = await loadOrCreateIdentity(makeHost(), { dataDir, appName: "app" });
        assert.equal(result.ok, false);
        assert.match(!result.ok ? result.message : "", /Cannot write/);
      } finally {
        await locked.undo();
      }
      assert.deepEqual(await listDir(dataDir), []);
    });
  });
}

Deno.test("loadOrCreateIdentity() replaces a file it may not read, and says why", async () => {
  await withTempDir(async (dataDir) => {
    const host = withFailures(createDenoHost(), {
      read: { ok: false, kind: "denied", message: "Permission denied (os error 13)" },
    });
    const result = await loadOrCreateIdentity(host, { dataDir, appName: "app" });
    assert.ok(result.ok);
    assert.equal(result.source, "replaced");
    assert.equal(result.replacedBecause, "it could not be read: Permission denied (os error 13)");
    assert.ok((await parseIdentity(await Deno.readTextFile(result.path))).ok);
  });
});

Deno.test("serializeIdentity() writes the original SDK's layout", () => {
  const identity = { instanceId: "i", publicKey: "p", privateKey: "s" };
  assert.equal(
    serializeIdentity(identity),
    '{\n  "instanceId": "i",\n  "privateKey": "s",\n  "publicKey": "p"\n}',
  );
});

/**
 * Makes `dir` refuse new files: mode 0555, or, for root (whom modes do not
 * stop), the immutable attribute. Says why when neither works here.
 */
async function makeReadOnly(
  dir: string,
): Promise<
  { ok: true; undo: () => Promise<void> } | { ok: false; why: string; undo: () => Promise<void> }
> {
  const nothing = () => Promise.resolve();
  if (IS_WINDOWS) return { ok: false, why: "Windows has no read-only directories", undo: nothing };
  await Deno.chmod(dir, 0o555);
  const undoMode = () => Deno.chmod(dir, 0o755);
  if (!(await canWrite(dir))) return { ok: true, undo: undoMode };
  let chattr: Deno.CommandOutput;
  try {
    chattr = await new Deno.Command("chattr", { args: ["+i", dir], stderr: "piped" }).output();
  } catch (error) {
    await undoMode();
    return { ok: false, why: `running as root and chattr is missing: ${error}`, undo: nothing };
  }
  const undo = async () => {
    await new Deno.Command("chattr", { args: ["-i", dir] }).output();
    await undoMode();
  };
  if (chattr.success && !(await canWrite(dir))) return { ok: true, undo };
  await undo();
  const stderr = new TextDecoder().decode(chattr.stderr).trim();
  return { ok: false, why: `running as root and chattr +i did not work: ${stderr}`, undo: nothing };
}

async function canWrite(dir: string): Promise<boolean> {
  try {
    await Deno.writeTextFile(`${dir}/probe`, "");
    await Deno.remove(`${dir}/probe`);
    return true;
  } catch {
    return false;
  }
}
