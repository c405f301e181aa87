/**
 * `shm user add|passwd|list` as real processes on a fresh store of this
 * run's kind, with the password written to standard input. The first test
 * starts from an empty store (shm user before any start); the others from a
 * migrated one, as a server leaves it, which saves seconds each.
 */

import assert from "node:assert/strict";
import { verifyPassword } from "../server/accounts/mod.ts";
import type { StoreSetting } from "../server/config.ts";
import { findUserCredentials, openStore } from "../server/store/mod.ts";
import { compilePermissionFlags } from "./support/server.ts";
import { freshStoreSetting } from "./support/store.ts";

const REPO = new URL("../", import.meta.url).pathname;

function storeEnv(store: StoreSetting): Record<string, string> {
  return store.kind === "postgres"
    ? { SHM_DATABASE_URL: store.url }
    : { SHM_DATA_DIR: store.dataDir };
}

/** Runs `shm user <args>` with `stdin` written to its standard input. */
async function runUser(store: StoreSetting, args: string[], stdin = "") {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(Deno.env.toObject())) {
    if (!/^(SHM_|DATABASE_URL$|PORT$)/.test(name)) inherited[name] = value;
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--config=${REPO}deno.json`,
      ...await compilePermissionFlags(),
      `${REPO}server/main.ts`,
      "user",
      ...args,
    ],
    env: { ...inherited, SHM_LOG_LEVEL: "warn", ...storeEnv(store) },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const output = await child.output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  return { code: output.code, text };
}

/**
 * Whether each [username, password] pair matches the stored hash, read with one opening of the
 * store (an embedded store takes seconds to open).
 */
async function passwordsMatch(store: StoreSetting, pairs: [string, string][]) {
  const db = await openStore(store);
  try {
    const matches: boolean[] = [];
    for (const [username, password] of pairs) {
      const user = await findUserCredentials(db, username);
      assert.ok(user, `${username} exists`);
      matches.push(await verifyPassword(password, user.passwordHash));
    }
    return matches;
  } finally {
    await db.close();
  }
}

Deno.test("process: shm user add, list and passwd read the password from standard input", async () => {
  // An empty store: the first account can be made before any start, and shm user migrates it.
  await using owned = await freshStoreSetting();
  const store = owned.setting;

  const added = await runUser(store, ["add", "carol"], "carol-password-1\n");
  assert.equal(added.code, 0, added.text);
  assert.match(added.text, /added "carol"/);
  assert.ok(!added.text.includes("carol-password-1"), "the password is never printed");

  const again = await runUser(store, ["add", "carol"], "another-password\n");
  assert.equal(again.code, 1, again.text);
  assert.match(again.text, /exists/);

  const second = await runUser(store, ["add", "dave@example"], "dave-password-1");
  assert.equal(second.code, 0, second.text);

  const list = await runUser(store, ["list"]);
  assert.equal(list.code, 0, list.text);
  assert.deepEqual(
    list.text.trim().split("\n").map((line) => line.split("\t")[0]),
    ["carol", "dave@example"],
  );

  const changed = await runUser(store, ["passwd", "carol"], "carol-new-pass\r\nignored\n");
  assert.equal(changed.code, 0, changed.text);
  assert.deepEqual(
    await passwordsMatch(store, [
      ["carol", "carol-new-pass"],
      ["carol", "carol-password-1"],
      ["dave@example", "dave-password-1"],
    ]),
    [true, false, true],
  );

  const unknown = await runUser(store, ["passwd", "erin"], "erin-password-1\n");
  assert.equal(unknown.code, 1, unknown.text);
  assert.match(unknown.text, /no such account/);
});

Deno.test("process: shm user refuses short passwords, bad names and bad usage, changing nothing", async () => {
  await using owned = await freshStoreSetting({ migrated: true });
  const store = owned.setting;
  const cases: [string[], string, RegExp][] = [
    [["add", "frank"], "short\n", /at least 8 characters/],
    [["add", "frank"], "", /at least 8 characters/],
    [["add", "bad name"], "good-password-1\n", /cannot use the username/],
    [["add"], "good-password-1\n", /cannot use the username/],
    [["remove", "frank"], "", /unknown use/],
    [["list", "frank"], "", /unknown use/],
  ];
  for (const [args, stdin, pattern] of cases) {
    const result = await runUser(store, args, stdin);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.text}`);
    assert.match(result.text, pattern);
  }
  const list = await runUser(store, ["list"]);
  assert.equal(list.code, 0, list.text);
  assert.equal(list.text.trim(), "", "no account was made");
});

Deno.test("process: shm user add --role viewer makes a viewer, list shows each role, a bad role changes nothing", async () => {
  await using owned = await freshStoreSetting({ migrated: true });
  const store = owned.setting;
  for (
    const [args, pattern] of [
      [["add", "gina", "--role", "owner"], /cannot use the role "owner": use admin or viewer/],
      [["add", "gina", "--role", ""], /cannot use the role "": use admin or viewer/],
      [["list", "--role", "viewer"], /--role is an option of shm user add/],
      [["passwd", "gina", "--role", "viewer"], /--role is an option of shm user add/],
    ] as [string[], RegExp][]
  ) {
    const refused = await runUser(store, args, "good-password-1\n");
    assert.equal(refused.code, 2, `${args.join(" ")}: ${refused.text}`);
    assert.match(refused.text, pattern);
  }
  const viewer = await runUser(store, ["add", "gina", "--role", "viewer"], "gina-password-1\n");
  assert.equal(viewer.code, 0, viewer.text);
  assert.match(viewer.text, /added "gina" \(viewer\)/);
  const admin = await runUser(store, ["add", "hugo"], "hugo-password-1\n");
  assert.match(admin.text, /added "hugo" \(admin\)/);
  const list = await runUser(store, ["list"]);
  assert.equal(list.code, 0, list.text);
  assert.deepEqual(
    list.text.trim().split("\n").map((line) => line.split("\t").slice(0, 2)),
    [["gina", "viewer"], ["hugo", "admin"]],
  );
});
