/**
 * `shm healthcheck`, the container health probe: exit 0 while the server
 * answers, 1 after; with `--ready`, while its store answers `/api/v1/readyz`.
 */

import assert from "node:assert/strict";
import { localHealthcheckUrl } from "../server/cli/healthcheck.ts";
import { openTestApp } from "./support/app.ts";
import { runShm } from "./support/cli.ts";
import { startServer } from "./support/server.ts";

async function runHealthcheck(
  env: Record<string, string>,
  flags: string[] = [],
): Promise<{ code: number; out: string }> {
  const { code, text } = await runShm(["healthcheck", ...flags], env);
  return { code, out: text };
}

Deno.test("localHealthcheckUrl() reaches a wildcard address on loopback", () => {
  assert.equal(
    localHealthcheckUrl({ host: "0.0.0.0", port: 8080 }),
    "http://127.0.0.1:8080/api/v1/healthcheck",
  );
  assert.equal(
    localHealthcheckUrl({ host: "::", port: 80 }),
    "http://127.0.0.1:80/api/v1/healthcheck",
  );
  assert.equal(
    localHealthcheckUrl({ host: "::1", port: 9000 }),
    "http://[::1]:9000/api/v1/healthcheck",
  );
  assert.equal(
    localHealthcheckUrl({ host: "10.0.0.5", port: 8080 }),
    "http://10.0.0.5:8080/api/v1/healthcheck",
  );
  assert.equal(
    localHealthcheckUrl({ host: "0.0.0.0", port: 8080 }, "ready"),
    "http://127.0.0.1:8080/api/v1/readyz",
  );
});

Deno.test("GET /api/v1/readyz answers 200 ready while the store answers, on either store", async () => {
  await using app = await openTestApp();
  const response = await app.fetch("/api/v1/readyz");
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "ready" });
});

Deno.test("shm healthcheck --ready refuses a liveness answer: readiness needs status ready", async () => {
  await using impostor = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    () => Response.json({ status: "ok" }),
  );
  const result = await runHealthcheck(
    { PORT: String(impostor.addr.port), SHM_HOST: "127.0.0.1" },
    ["--ready"],
  );
  assert.equal(result.code, 1, result.out);
  assert.match(result.out, /answered 200 \{"status":"ok"\}/);
});

Deno.test("--ready belongs to shm healthcheck only", async () => {
  const { code, text } = await runShm(["version", "--ready"], {});
  assert.equal(code, 2);
  assert.match(text, /--ready is an option of healthcheck, not of version/);
});

// One server for both probes (a server start costs seconds): each is run while it answers, then
// after it stopped.
Deno.test("shm healthcheck exits 0 while the server answers and 1 once it is gone; --ready likewise while its store answers", async () => {
  await using server = await startServer();
  // SHM_HOST 0.0.0.0: the probe reaches a wildcard address on loopback.
  const liveEnv = { PORT: String(server.port), SHM_HOST: "0.0.0.0" };
  const readyEnv = { PORT: String(server.port), SHM_HOST: "127.0.0.1" };
  const [alive, ready] = await Promise.all([
    runHealthcheck(liveEnv),
    runHealthcheck(readyEnv, ["--ready"]),
  ]);
  assert.equal(alive.code, 0, alive.out);
  assert.match(alive.out, new RegExp(`127\\.0\\.0\\.1:${server.port}/api/v1/healthcheck: ok`));
  assert.equal(ready.code, 0, ready.out);
  assert.match(ready.out, new RegExp(`127\\.0\\.0\\.1:${server.port}/api/v1/readyz: ready`));

  assert.equal(await server.stop(), 0);
  const [gone, goneReady] = await Promise.all([
    runHealthcheck(liveEnv),
    runHealthcheck(readyEnv, ["--ready"]),
  ]);
  assert.equal(gone.code, 1, gone.out);
  assert.match(gone.out, /shm healthcheck: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/healthcheck: /);
  assert.doesNotMatch(gone.out, /: ok$/m);
  assert.equal(goneReady.code, 1, goneReady.out);
  assert.match(goneReady.out, /shm healthcheck: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/readyz: /);
});

Deno.test("shm healthcheck exits 1 when something else answers on the port", async () => {
  await using impostor = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    () => new Response("nope", { status: 500 }),
  );
  const result = await runHealthcheck({ PORT: String(impostor.addr.port), SHM_HOST: "127.0.0.1" });
  assert.equal(result.code, 1, result.out);
  assert.match(result.out, /answered 500 nope/);
});
