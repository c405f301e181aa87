/**
 * The documented deployment's reverse proxy: deploy/Caddyfile, run by a real
 * Caddy in front of a real server process, as compose.yml runs it. Where
 * Caddy is not installed the tests are ignored and say why (Debian:
 * `apt-get install caddy`; `.ci/run` installs it).
 */

import assert from "node:assert/strict";
import { TestInstance } from "./support/instance_client.ts";
import { startServer } from "./support/server.ts";

const REPO = new URL("../", import.meta.url).pathname;
const CADDY = await findCaddy();

if (CADDY === null) {
  // deno-lint-ignore no-console -- an ignored test must say why, in the test output
  console.log("reverse proxy tests ignored: caddy is not installed (apt-get install caddy)");
}

async function findCaddy(): Promise<string | null> {
  try {
    const output = await new Deno.Command("caddy", { args: ["version"], stdout: "null" }).output();
    return output.code === 0 ? "caddy" : null;
  } catch {
    return null;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** deploy/Caddyfile with the compose service name replaced by `upstream`. */
async function caddyfileFor(upstream: string): Promise<string> {
  const text = await Deno.readTextFile(`${REPO}deploy/Caddyfile`);
  assert.match(text, /reverse_proxy shm:8080/, "the Caddyfile proxies to the compose service");
  return text.replace("reverse_proxy shm:8080", `reverse_proxy ${upstream}`);
}

/** Caddy running deploy/Caddyfile on a free port in front of `upstream`. */
async function startCaddy(upstream: string) {
  const dir = await Deno.makeTempDir({ prefix: "shm-caddy-" });
  const port = freePort();
  const config = `${dir}/Caddyfile`;
  await Deno.writeTextFile(config, await caddyfileFor(upstream));
  const env = {
    SHM_SITE_ADDRESS: `:${port}`,
    HOME: dir,
    XDG_DATA_HOME: `${dir}/data`,
    XDG_CONFIG_HOME: `${dir}/config`,
  };
  const child = new Deno.Command(CADDY!, {
    args: ["run", "--adapter", "caddyfile", "--config", config],
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const answered = await fetch(`${url}/api/v1/healthcheck`).then(async (response) => {
      await response.body?.cancel();
      return response.status === 200;
    }, () => false);
    if (answered) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    port,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.stderr.cancel();
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test({
  name: "deploy/Caddyfile is a valid Caddy configuration",
  ignore: CADDY === null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "shm-caddy-" });
    try {
      await Deno.writeTextFile(`${dir}/Caddyfile`, await caddyfileFor("127.0.0.1:8080"));
      const output = await new Deno.Command(CADDY!, {
        args: ["validate", "--adapter", "caddyfile", "--config", `${dir}/Caddyfile`],
        env: { SHM_SITE_ADDRESS: ":8080", HOME: dir },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, text);
      assert.match(text, /Valid configuration/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "Caddy in front: requests reach SHM, and the client address cannot be forged",
  ignore: CADDY === null,
  sanitizeResources: false,
  async fn() {
    await using server = await startServer({
      env: { SHM_TRUST_PROXY: "true", SHM_RATE_LIMIT_IP: "3" },
    });
    await using caddy = await startCaddy(`127.0.0.1:${server.port}`);
    const health = await fetch(`${caddy.url}/api/v1/healthcheck`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });

    // Three registrations are allowed per minute from one address: a client that claims a new
    // address in X-Forwarded-For each time is still one address, the one Caddy saw.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const instance = await TestInstance.create();
      const request = instance.registerRequest();
      const response = await fetch(`${caddy.url}${request.path}`, {
        method: "POST",
        headers: { ...request.headers, "x-forwarded-for": `198.51.100.${i}` },
        body: request.body as Uint8Array<ArrayBuffer>,
      });
      statuses.push(response.status);
      await response.body?.cancel();
    }
    assert.deepEqual(statuses.slice(0, 3), [201, 201, 201]);
    assert.deepEqual(statuses.slice(3), [429, 429]);
  },
});

Deno.test({
  name: "Caddy in front: a body over 1 MB is refused before it reaches SHM",
  ignore: CADDY === null,
  sanitizeResources: false,
  async fn() {
    await using server = await startServer({ env: { SHM_TRUST_PROXY: "true" } });
    await using caddy = await startCaddy(`127.0.0.1:${server.port}`);
    const response = await fetch(`${caddy.url}/v1/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Uint8Array(2 * 1024 * 1024),
    });
    // Caddy 2.7 and later answer 413; Debian's 2.6 ends the proxied request with 502.
    assert.ok([413, 502].includes(response.status), `status ${response.status}`);
    await response.body?.cancel();
    const logged = server.lines.filter((line) => line["path"] === "/v1/register");
    assert.deepEqual(logged, [], "the request never reached the server");
  },
});
