/**
 * The program run exactly as the single executable runs it. `deno compile`
 * cannot download its runtime on this machine, so the test copies only what
 * the compile embeds (the module graph of `server/main.ts`, the config and
 * lock file, `node_modules`) into a temporary folder, starts that copy with
 * the `compile` task's permission flags from another working directory, and
 * then deletes the copy's `server/`, `shared/`, `islands/` and `migrations/` folders:
 * the server must keep answering, so it reads no source file at run time.
 *
 * It reads through the admin API: the dashboard pages were being written at
 * the same time and are not driven here yet.
 */

import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { MIGRATIONS, migrationStatus, openStore } from "../server/store/mod.ts";
import { httpSender, TestInstance } from "./support/instance_client.ts";
import { adminGet, compilePermissionFlags, startServer, waitForRollup } from "./support/server.ts";
import { freshStoreSetting } from "./support/store.ts";

const REPO = new URL("../", import.meta.url).pathname;

/** Config files `deno compile` reads besides the module graph (the workspace member's manifest too). */
const CONFIG_FILES = ["deno.json", "deno.lock", "sdk/deno.json", "sdk/package.json"];

/** The checkout's files in the module graph of `server/main.ts`, relative to the checkout. */
async function embeddedSourceFiles(): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", `--config=${REPO}deno.json`, `${REPO}server/main.ts`],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string }[];
  };
  return graph.modules
    .map((m) => m.specifier)
    .filter((s) => s.startsWith("file://"))
    .map((s) => relative(REPO, decodeURIComponent(new URL(s).pathname)));
}

/** Copies the embedded files into a new temporary folder; returns it, ending with `/`. */
async function copyWhatCompileEmbeds(files: string[]): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "shm-exe-" });
  for (const file of [...files, ...CONFIG_FILES]) {
    await Deno.mkdir(join(root, dirname(file)), { recursive: true });
    await Deno.copyFile(join(REPO, file), join(root, file));
  }
  const copy = await new Deno.Command("cp", {
    args: ["-a", join(REPO, "node_modules"), join(root, "node_modules")],
  }).output();
  assert.equal(copy.code, 0, new TextDecoder().decode(copy.stderr));
  return `${root}/`;
}

Deno.test("executable: the module graph is only server/, shared/, islands/ and migrations/, SQL included", async () => {
  const files = await embeddedSourceFiles();
  assert.ok(files.includes("server/main.ts"));
  for (const migration of MIGRATIONS) {
    assert.ok(files.includes(`migrations/${migration.name}`), `${migration.name} is embedded`);
  }
  const outside = files.filter((f) => !/^(server|shared|islands|migrations)\//.test(f));
  assert.deepEqual(outside, [], "the executable embeds nothing from tests/, sdk/ or elsewhere");
  assert.ok(!files.some((f) => f.endsWith("_test.ts")), "no test file in the executable");
  const flags = await compilePermissionFlags();
  assert.ok(flags.length > 0 && !flags.includes("--allow-all") && !flags.includes("-A"));
});

Deno.test("executable: a copy of what compile embeds serves from another folder with its sources deleted", async () => {
  const root = await copyWhatCompileEmbeds(await embeddedSourceFiles());
  await using store = await freshStoreSetting();
  try {
    const server = await startServer({
      root,
      store: store.setting,
      // The executable's default accept loops (one per core with PostgreSQL), not the tests' one.
      env: { SHM_ADMIN_USER: "ops", SHM_ADMIN_PASSWORD: "boxed-password-1", SHM_WORKERS: "cores" },
    });
    try {
      const listening = server.lines.find((line) => line["msg"] === "listening");
      assert.equal(
        listening?.["workers"],
        store.setting.kind === "postgres" ? navigator.hardwareConcurrency : 1,
        "with PostgreSQL an accept loop per core, the workers' module embedded too",
      );
      // The fresh store was migrated at start, by the serve command itself.
      const migrated = server.lines.find((line) => line["msg"] === "migrated");
      assert.deepEqual(migrated?.["applied"], MIGRATIONS.map((m) => m.name));

      await Deno.remove(`${root}server`, { recursive: true });
      await Deno.remove(`${root}migrations`, { recursive: true });
      await Deno.remove(`${root}shared`, { recursive: true });
      await Deno.remove(`${root}islands`, { recursive: true }).catch(() => {});
      await assert.rejects(Deno.stat(`${root}server/main.ts`), Deno.errors.NotFound);

      const send = httpSender(server.url);
      const instance = await TestInstance.create();
      assert.equal((await send(instance.registerRequest({ appName: "Boxed App" }))).status, 201);
      assert.equal((await send(await instance.activateRequest())).status, 200);
      const snapshot = await send(
        await instance.snapshotRequest({ users: 7, storage: { gb: 1.5 } }, {
          timestamp: new Date(Date.now() - 1000),
        }),
      );
      assert.equal(snapshot.status, 202);

      await waitForRollup(server);
      const stats = await adminGet(server, "/api/v1/admin/stats") as {
        applications: number;
        instances: Record<string, number>;
      };
      assert.equal(stats.applications, 1);
      assert.deepEqual(stats.instances, { total: 1, active: 1, pending: 0, revoked: 0 });
      const listed = await adminGet(server, "/api/v1/admin/instances?app=boxed-app") as {
        instances: { instance_id: string; status: string; metrics: Record<string, unknown> }[];
      };
      assert.deepEqual(
        listed.instances.map((i) => [i.instance_id, i.status, i.metrics]),
        [[instance.instanceId, "active", { users: 7, "storage.gb": 1.5 }]],
      );
      const health = await fetch(`${server.url}/api/v1/healthcheck`);
      assert.deepEqual(await health.json(), { status: "ok" });
      await assertDashboardServes(server.url, { username: "ops", password: "boxed-password-1" });

      assert.equal(await server.stop("SIGTERM"), 0);
      const errors = server.lines.filter((line) => line["level"] === "error" || "text" in line);
      assert.deepEqual(errors, [], "nothing went wrong in the server without its sources");
    } finally {
      await server[Symbol.asyncDispose]();
    }
    // Every embedded migration is recorded in the store the server made.
    const db = await openStore(store.setting);
    try {
      const states = await migrationStatus(db, MIGRATIONS);
      assert.deepEqual(states.filter((s) => s.appliedAt === null), []);
    } finally {
      await db.close();
    }
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

/**
 * Signs in through the login form and reads the overview page and the client
 * bundle it links: the pages and the browser code come from the program itself.
 */
async function assertDashboardServes(
  baseUrl: string,
  account: { username: string; password: string },
): Promise<void> {
  const form = await fetch(`${baseUrl}/login`);
  assert.equal(form.status, 200);
  const csrfCookie = form.headers.getSetCookie().map((h) => h.split(";")[0] ?? "")
    .find((pair) => pair.startsWith("shm_login_csrf="));
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  assert.ok(csrfCookie && csrf, "the login form carries its CSRF token");
  const login = await fetch(`${baseUrl}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie },
    body: new URLSearchParams({ _csrf: csrf, ...account }).toString(),
  });
  assert.equal(login.status, 303);
  await login.body?.cancel();
  const session = login.headers.getSetCookie().map((h) => h.split(";")[0] ?? "")
    .find((pair) => pair.startsWith("shm_session="));
  assert.ok(session, "signing in sets a session cookie");
  const overview = await fetch(`${baseUrl}/`, { headers: { cookie: session } });
  assert.equal(overview.status, 200);
  const html = await overview.text();
  assert.match(html, /Boxed App/, "the overview shows the application that reported");
  const script = /<script[^>]+src="(\/assets\/[^"]+\.js[^"]*)"/.exec(html)?.[1];
  assert.ok(script, "the page links the client bundle");
  const bundle = await fetch(`${baseUrl}${script}`);
  assert.equal(bundle.status, 200);
  assert.ok((await bundle.text()).length > 1000, "the client bundle is served from the program");
}
