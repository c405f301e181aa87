/**
 * What `shm serve` says at start: a port already taken is said at once, before the store is
 * opened; the setup link is built from SHM_PUBLIC_URL when it is set; the human banner is for a
 * terminal only (piped, the output is the JSON log lines alone).
 */

import assert from "node:assert/strict";
import { runShm } from "./support/cli.ts";
import { startServer } from "./support/server.ts";

Deno.test("process: a port in use stops the start at once, naming it and PORT, before the store opens", async () => {
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = held.addr;
  const dir = await Deno.makeTempDir({ prefix: "shm-port-taken-" });
  try {
    const run = await runShm(["serve"], {
      SHM_HOST: "127.0.0.1",
      PORT: String(port),
      SHM_DATA_DIR: `${dir}/data`,
    });
    assert.equal(run.code, 1, run.text);
    assert.equal(
      run.stdout.trim(),
      `shm: cannot start as port ${port} (on 127.0.0.1) is in use by another program, perhaps ` +
        `another shm: stop it, or choose another port with PORT=${port + 1} or --port ${port + 1}`,
    );
    await assert.rejects(
      Deno.stat(`${dir}/data`),
      Deno.errors.NotFound,
      "the store was not opened",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("process: the setup link is built from SHM_PUBLIC_URL, and a piped start prints no banner", async () => {
  await using server = await startServer({
    freshStore: "empty",
    env: { SHM_PUBLIC_URL: "https://metrics.example.org/" },
  });
  const line = server.lines.find((l) => typeof l["setup_url"] === "string");
  assert.match(
    String(line?.["setup_url"]),
    /^https:\/\/metrics\.example\.org\/setup\?token=[\w-]{43}$/,
  );
  const token = new URL(String(line?.["setup_url"])).searchParams.get("token");
  const form = await fetch(`${server.url}/setup?token=${token}`);
  assert.equal(form.status, 200, "the link's token opens the setup form on this server");
  await form.body?.cancel();
  assert.equal(
    server.lines.some((l) => /is running\.$/.test(String(l["text"] ?? ""))),
    false,
    "no banner when the output is not a terminal",
  );
});

Deno.test("process: with local sign-in off there is no setup link (nobody could use its password); the log says how accounts are made", async () => {
  await using server = await startServer({
    freshStore: "empty",
    env: {
      SHM_PUBLIC_URL: "https://metrics.example.org/",
      // A provider that is not there: discovery fails in the background, the start does not.
      SHM_OIDC_ISSUER: "http://127.0.0.1:9/",
      SHM_OIDC_CLIENT_ID: "shm",
      SHM_OIDC_CLIENT_SECRET: "secret",
      SHM_OIDC_ALLOWED_DOMAINS: "example.org",
      SHM_LOCAL_LOGIN: "false",
    },
  });
  assert.equal(server.lines.some((l) => "setup_url" in l), false);
  assert.ok(
    server.lines.some((l) =>
      /accounts are made at their first OpenID Connect sign-in/.test(
        String(l["msg"] ?? ""),
      )
    ),
    "the log says where the first account comes from",
  );
  const setup = await fetch(`${server.url}/setup?token=${"x".repeat(43)}`);
  assert.notEqual(setup.status, 200, "no setup form");
  await setup.body?.cancel();
});
