/**
 * The README's shell snippets, pasted as a reader would paste them: each ```sh block runs in one
 * bash, from the checkout, and must exit 0 with the output its commands promise.
 *
 * What the test changes, and only this:
 * - `npx -y deno@2.9.6` is the Deno running this test (the same pinned version, without npx's
 *   download);
 * - `localhost:8080` is `localhost:<a free port>`, and the block's environment has `PORT` set to it
 *   and `SHM_DATA_DIR` set to a fresh temporary folder (so `./shm-data` of the snippets is never
 *   the checkout's), no other `SHM_` variable;
 * - a server started in the foreground (`task start` without `&`) is started in the background and
 *   awaited until `/api/v1/readyz` answers, as a reader would open a second terminal;
 * - the servers a block started are stopped when the block ends (the reader's Ctrl-C or `kill %1`);
 * - a block that asks a server without starting one (it follows the admin snippet in the README)
 *   gets one started by the test, with `SHM_ADMIN_TOKEN` exported as the admin snippet does and an
 *   instance registered for every application the block names; its folder is a copy of the
 *   migrated test template, as the reader's server left it (the blocks that start a server start
 *   it on an empty folder, as a first start finds it);
 * - lines that cannot run here are replaced by `:` and listed with the reason (`NOT_RUN`).
 */

import assert from "node:assert/strict";
import { TestInstance } from "./support/instance_client.ts";
import { httpSender } from "./support/instance_client.ts";
import { copyEmbeddedTemplate } from "./support/store_templates.ts";

const REPO = new URL("../", import.meta.url).pathname;
const PINNED_DENO = "npx -y deno@2.9.6";

/** Lines that are not run, by what they say, with the reason printed. */
const NOT_RUN: readonly { readonly line: RegExp; readonly reason: string }[] = [
  { line: /task test\b/, reason: "the test suite itself: it would run this test again" },
  { line: /task check\b/, reason: "fmt, lint and type-check of the whole checkout: CI runs it" },
  { line: /task bench/, reason: "a benchmark: minutes long, and most need PostgreSQL" },
  {
    line: /task docs:settings/,
    reason: "writes README.md in the checkout; tests/readme_settings_test.ts checks its table",
  },
  { line: /task dev\b/, reason: "task start under --watch (run above), running until stopped" },
  {
    line: /SHM_DATABASE_URL=postgres:\/\/user:password@/,
    reason: "needs your PostgreSQL server (user, password and host are the reader's)",
  },
  {
    line: /npm install https:\/\/github\.com\/<owner>\/<repository>\//,
    reason: "names a release of your repository (<owner>/<repository>) on the forge",
  },
  {
    line: /releases\/latest\/download\/install\.sh/,
    reason: "downloads a release from the forge and installs into /usr/local/bin",
  },
];

/** What a run line must print, by what it says. */
const EXPECTED: readonly { readonly line: RegExp; readonly output: RegExp }[] = [
  { line: /task start/, output: /"msg":"listening"/ },
  { line: /\/api\/v1\/admin\/stats/, output: /\{"applications":\d+,"instances":\{"total":/ },
  { line: /"display_name": "Acme Server"/, output: /"display_name":"Acme Server"/ },
  { line: /format=csv/, output: /^instance_id,app_slug,app_version,status,/m },
  { line: /task demo/, output: /demo: 3 applications, 1,500 instances/ },
];

interface Block {
  /** The line of the README where the block starts. */
  readonly at: number;
  /** Its commands, continuation lines joined. */
  readonly lines: readonly string[];
}

/** The ```sh blocks of `markdown`, each with its logical lines (a `\` continues a line). */
function shellBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let current: { at: number; text: string[] } | null = null;
  markdown.split("\n").forEach((line, index) => {
    if (current === null) {
      if (/^\s*```(sh|bash|shell)\s*$/.test(line)) current = { at: index + 1, text: [] };
    } else if (line.trimStart().startsWith("```")) {
      // A line ending in a backslash goes on with the next one.
      const parts = current.text.join("\n").split(/(?<!\\)\n/);
      blocks.push({ at: current.at, lines: parts.filter((part) => part.trim() !== "") });
      current = null;
    } else {
      // A block inside a list item is indented; the shell does not mind.
      current.text.push(line.trimStart());
    }
  });
  return blocks;
}

function notRunReason(line: string): string | null {
  return NOT_RUN.find((rule) => rule.line.test(line))?.reason ?? null;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** The environment of a block: this process's, without settings, plus `extra`. */
function blockEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(Deno.env.toObject())) {
    if (!/^(SHM_|DATABASE_URL$|PORT$)/.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/** Rewrites one README line as the test runs it (see the file's comment). */
function rewrite(line: string, port: number): string {
  const deno = `"${Deno.execPath()}"`;
  let text = line.replaceAll(PINNED_DENO, deno).replaceAll("localhost:8080", `localhost:${port}`);
  if (/task start\b/.test(text) && !/&\s*(#.*)?$/.test(text)) {
    text = `${text.replace(/\s+#.*$/, "")} &\nshm_wait_ready`;
  }
  return text;
}

const PREAMBLE = (port: number) => `
set -e
trap 'kill $(jobs -p) 2>/dev/null || true; wait' EXIT
shm_wait_ready() {
  for _ in $(seq 600); do
    curl -fs http://localhost:${port}/api/v1/readyz >/dev/null && return 0
    kill -0 $! 2>/dev/null || { echo "the server stopped before it was ready" >&2; return 1; }
    sleep 0.25
  done
  echo "the server was not ready within 150 s" >&2
  return 1
}
`;

/** Runs `script` in bash (its own process group, all stopped after `timeoutMs`). */
async function runBash(
  script: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command("setsid", {
    args: ["bash", "-c", script],
    cwd: REPO,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, timeoutMs);
  try {
    const { code, stdout, stderr } = await child.output();
    const decoder = new TextDecoder();
    return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** A server the test starts for a block that asks one without starting it. */
async function startServerFor(
  block: Block,
  env: Record<string, string>,
  port: number,
): Promise<AsyncDisposable> {
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "task", "start"],
    cwd: REPO,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      Deno.kill(-child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
  };
  try {
    const base = `http://localhost:${port}`;
    for (let attempt = 0;; attempt++) {
      const ready = await fetch(`${base}/api/v1/readyz`).then((r) =>
        r.body?.cancel().then(() => r.ok)
      )
        .catch(() => false);
      if (ready) break;
      if (attempt > 600) throw new Error("the test's server was not ready within 150 s");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const send = httpSender(base);
    const apps = new Set(
      block.lines.flatMap((line) => [...line.matchAll(/\/applications\/([a-z0-9-]+)/g)])
        .map((match) => match[1] ?? ""),
    );
    for (const slug of apps) {
      const instance = await TestInstance.create();
      const answer = await send(instance.registerRequest({ appName: slug }));
      await answer.body?.cancel();
      assert.equal(answer.status, 201, `registering an instance of ${slug}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { [Symbol.asyncDispose]: stop };
}

const README = await Deno.readTextFile(`${REPO}README.md`);
const BLOCKS = shellBlocks(README);

Deno.test("README: its shell blocks are found, the admin snippet among them", () => {
  assert.ok(BLOCKS.length >= 4, `${BLOCKS.length} shell blocks`);
  const admin = BLOCKS.find((block) => block.lines.some((line) => line.includes("admin/stats")));
  assert.ok(admin, "the admin API snippet");
  assert.ok(
    admin.lines.some((line) => /^export SHM_ADMIN_TOKEN=/.test(line)),
    "the admin token is exported, so the curl line sees it",
  );
});

for (const block of BLOCKS) {
  const run = block.lines.filter((line) => notRunReason(line) === null);
  const name = `README line ${block.at}: ${block.lines[0]?.slice(0, 60)}`;
  Deno.test({
    name,
    ignore: run.length === 0,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const port = freePort();
      const dataDir = await Deno.makeTempDir({ prefix: "shm-readme-" });
      try {
        const startsServer = run.some((line) => /task start\b/.test(line));
        const asksServer = run.some((line) => line.includes("localhost:8080"));
        const adminToken = `readme-${crypto.randomUUID()}`;
        const env = blockEnv({
          PORT: String(port),
          SHM_DATA_DIR: dataDir,
          ...(startsServer ? {} : { SHM_ADMIN_TOKEN: adminToken }),
        });
        const testServer = asksServer && !startsServer;
        // The reader's server has run before: its store is migrated (seconds saved per block).
        if (testServer) await copyEmbeddedTemplate(dataDir);
        await using _server = testServer ? await startServerFor(block, env, port) : null;
        const script = PREAMBLE(port) + block.lines.map((line) => {
          const reason = notRunReason(line);
          return reason === null ? rewrite(line, port) : `: # not run (${reason})`;
        }).join("\n");
        const { code, output } = await runBash(script, env, 180_000);
        assert.equal(code, 0, `the block exits 0; its output:\n${output}`);
        for (const line of run) {
          for (const expected of EXPECTED.filter((rule) => rule.line.test(line))) {
            assert.match(
              output,
              expected.output,
              `${line}\nprints ${expected.output}; it printed:\n${output}`,
            );
          }
        }
      } finally {
        await Deno.remove(dataDir, { recursive: true });
      }
    },
  });
  for (const line of block.lines) {
    const reason = notRunReason(line);
    // deno-lint-ignore no-console
    if (reason !== null) console.log(`README line ${block.at}: not run: ${line}\n  (${reason})`);
  }
}
