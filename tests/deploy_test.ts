/**
 * The deployment files: the systemd unit (checked by `systemd-analyze` where it
 * is installed), the Dockerfile and compose file (checked against the program
 * they ship, and by `docker compose config` and `dockerfile-utils lint` where
 * those are installed). A check whose tool is missing is skipped and says so.
 */

import assert from "node:assert/strict";
import { validateDockerfile } from "./support/dev_deps.ts";

const REPO = new URL("../", import.meta.url).pathname;

async function run(
  command: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string } | null> {
  try {
    const output = await new Deno.Command(command, {
      args,
      cwd: options.cwd ?? REPO,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Says in the test output why a test is ignored. */
function ignoredBecause(why: string): true {
  // deno-lint-ignore no-console -- an ignored test must say why, in the test output
  console.log(`ignored: ${why}`);
  return true;
}

/** The `Key=value` lines of one section of a unit file, in order. */
function unitSection(text: string, section: string): [string, string][] {
  const entries: [string, string][] = [];
  let current = "";
  for (const line of text.split("\n")) {
    const header = /^\[(.+)\]$/.exec(line.trim());
    if (header) current = header[1] ?? "";
    else if (current === section && /^[A-Za-z]+=/.test(line)) {
      const at = line.indexOf("=");
      entries.push([line.slice(0, at), line.slice(at + 1).trim()]);
    }
  }
  return entries;
}

const UNIT = await Deno.readTextFile(`${REPO}deploy/shm.service`);

Deno.test("shm.service runs the binary as a dedicated user with its state directory and hardening", () => {
  const service = new Map(unitSection(UNIT, "Service"));
  assert.equal(service.get("ExecStart"), "/usr/local/bin/shm serve");
  assert.equal(service.get("EnvironmentFile"), "/etc/shm/shm.env");
  assert.equal(service.get("User"), "shm");
  assert.equal(service.get("StateDirectory"), "shm");
  assert.equal(service.get("Restart"), "on-failure");
  for (const key of ["NoNewPrivileges", "ProtectHome", "PrivateTmp"]) {
    assert.equal(service.get(key), "yes", key);
  }
  assert.equal(service.get("ProtectSystem"), "strict");
  assert.equal(service.get("CapabilityBoundingSet"), "", "no capabilities at all");
  assert.equal(service.get("AmbientCapabilities"), "");
  const environment = unitSection(UNIT, "Service").filter(([k]) => k === "Environment")
    .map(([, v]) => v);
  assert.ok(environment.includes("SHM_DATA_DIR=/var/lib/shm"), "the data lives in StateDirectory");
  const port = environment.find((v) => v.startsWith("PORT="));
  assert.ok(port !== undefined && Number(port.slice(5)) >= 1024, "no privileged port");
  assert.equal(new Map(unitSection(UNIT, "Install")).get("WantedBy"), "multi-user.target");
});

Deno.test("shm.env.example sets only settings the server knows", async () => {
  const { SETTINGS } = await import("../server/config.ts");
  const known = new Set<string>(Object.values(SETTINGS).flatMap((s) => [...s.env]));
  const text = await Deno.readTextFile(`${REPO}deploy/shm.env.example`);
  const names = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1] ?? "");
  assert.ok(names.length >= 5);
  assert.deepEqual(names.filter((name) => !known.has(name)), []);
  assert.match(text, /^SHM_DATA_DIR=\/var\/lib\/shm$/m);
});

const SYSTEMD_ANALYZE = (await run("systemd-analyze", ["--version"]))?.code === 0;

Deno.test({
  name: "systemd-analyze verify accepts shm.service without a warning",
  ignore: !SYSTEMD_ANALYZE &&
    ignoredBecause("systemd-analyze is not installed (Debian: apt-get install systemd)"),
}, async () => {
  // verify insists that ExecStart exists: point it at a stand-in, nothing else changes.
  const dir = await Deno.makeTempDir({ prefix: "shm-unit-" });
  try {
    await Deno.writeTextFile(`${dir}/shm`, "#!/bin/sh\n", { mode: 0o755 });
    const unit = UNIT.replace(/^ExecStart=\/usr\/local\/bin\/shm /m, `ExecStart=${dir}/shm `);
    assert.notEqual(unit, UNIT);
    await Deno.writeTextFile(`${dir}/shm.service`, unit);
    const verify = await run("systemd-analyze", ["verify", "--man=no", `${dir}/shm.service`]);
    assert.equal(verify?.code, 0, verify?.stderr);
    // verify exits 0 on unknown keys and bad values too, and only warns: none is allowed.
    assert.equal(verify?.stderr.trim(), "", "no warning about the unit");

    const security = await run("systemd-analyze", [
      "security",
      "--offline=true",
      "--no-pager",
      `${dir}/shm.service`,
    ]);
    const exposure = /Overall exposure level for shm\.service: ([\d.]+)/.exec(
      security?.stdout ?? "",
    );
    assert.ok(exposure, security?.stdout + (security?.stderr ?? ""));
    assert.ok(Number(exposure[1]) <= 4, `exposure ${exposure[1]} is above 4 (systemd's "OK")`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const DOCKERFILE = await Deno.readTextFile(`${REPO}Dockerfile`);

Deno.test("Dockerfile builds with the pinned Deno and ships a non-root, health-checked image", async () => {
  const ci = await Deno.readTextFile(`${REPO}.ci/run`);
  const pinned = /^DENO_VERSION=(\S+)$/m.exec(ci)?.[1];
  const stages = [...DOCKERFILE.matchAll(/^FROM (\S+)(?: AS (\w+))?$/gm)];
  assert.equal(stages.length, 2, "multi-stage: build, then runtime");
  assert.equal(stages[0]?.[1], `denoland/deno:${pinned}`, "the Deno CI pins");
  assert.match(DOCKERFILE, /^RUN deno task compile/m);
  assert.match(DOCKERFILE, /^COPY --from=build \/src\/dist\/shm \/usr\/local\/bin\/shm$/m);
  const runtime = DOCKERFILE.slice(stages[1]?.index ?? 0);
  const user = /^USER (\S+)$/m.exec(runtime)?.[1] ?? "";
  assert.ok(user !== "" && !/^(0|root)(:|$)/.test(user), `runs as non-root, not "${user}"`);
  assert.match(runtime, /^VOLUME \["\/data"\]$/m);
  assert.match(runtime, /SHM_DATA_DIR=\/data\b/);
  assert.match(runtime, /^EXPOSE 8080$/m);
  assert.match(runtime, /PORT=8080\b/);
  assert.match(
    runtime,
    /HEALTHCHECK[^\n]*\\\n\s+CMD \["\/usr\/local\/bin\/shm", "healthcheck", "--ready"\]/,
  );
  assert.match(runtime, /^ENTRYPOINT \["\/usr\/local\/bin\/shm"\]$/m);
});

Deno.test("Dockerfile copies every folder the program's module graph comes from", async () => {
  const info = await run(Deno.execPath(), ["info", "--json", "server/main.ts"]);
  assert.equal(info?.code, 0, info?.stderr);
  const graph = JSON.parse(info?.stdout ?? "{}") as { modules: { specifier: string }[] };
  const folders = new Set(
    graph.modules.map((m) => m.specifier)
      .filter((s) => s.startsWith(`file://${REPO}`))
      .map((s) => s.slice(`file://${REPO}`.length).split("/")[0] ?? ""),
  );
  assert.ok(folders.has("server") && folders.has("migrations"));
  for (const folder of folders) {
    assert.match(DOCKERFILE, new RegExp(`^COPY ${folder}/ ${folder}/$`, "m"), folder);
  }
  const ignored = (await Deno.readTextFile(`${REPO}.dockerignore`)).split("\n")
    .map((line) => line.trim()).filter((line) => line && !line.startsWith("#"));
  for (const needed of [...folders, "deno.json", "deno.lock", "sdk"]) {
    assert.ok(!ignored.includes(needed), `.dockerignore keeps ${needed}`);
  }
  assert.ok(ignored.includes(".env"), "the compose secrets stay out of the build context");
});

Deno.test("dockerfile-utils finds no problem in the Dockerfile", () => {
  assert.deepEqual(
    validateDockerfile(DOCKERFILE).map((d) => `${d.range.start.line + 1}: ${d.message}`),
    [],
  );
  // It does look: a broken file is caught.
  assert.equal(validateDockerfile("FROM debian:12\nRUNN true\n").length, 1);
});

const COMPOSE_CLIENT = (await run("docker", ["compose", "version"]))?.code === 0
  ? ["docker", "compose"]
  : (await run("docker-compose", ["version"]))?.code === 0
  ? ["docker-compose"]
  : null;

Deno.test({
  name:
    "compose.yml: PostgreSQL 16 with a volume, SHM once it is healthy, Caddy in front, secrets required",
  ignore: COMPOSE_CLIENT === null &&
    ignoredBecause("neither `docker compose` nor `docker-compose` is installed"),
}, async () => {
  const client = COMPOSE_CLIENT!;
  const dir = await Deno.makeTempDir({ prefix: "shm-compose-" });
  try {
    await Deno.copyFile(`${REPO}compose.yml`, `${dir}/compose.yml`);
    const [command, ...prefix] = client as [string, ...string[]];
    const missing = await run(command, [...prefix, "config"], { cwd: dir });
    assert.notEqual(missing?.code, 0, "without .env the secrets are missing");
    assert.match((missing?.stderr ?? "") + (missing?.stdout ?? ""), /POSTGRES_PASSWORD/);

    const example = await Deno.readTextFile(`${REPO}.env.example`);
    await Deno.writeTextFile(
      `${dir}/.env`,
      example.replace(/^POSTGRES_PASSWORD=$/m, "POSTGRES_PASSWORD=pw0123456789")
        .replace(/^SHM_ADMIN_TOKEN=$/m, "SHM_ADMIN_TOKEN=token-0123456789abcdef"),
    );
    const config = await run(command, [...prefix, "config"], { cwd: dir });
    assert.equal(config?.code, 0, config?.stderr);
    const text = config?.stdout ?? "";
    assert.match(text, /image: postgres:16\b/);
    assert.match(text, /postgres-data:\/var\/lib\/postgresql\/data/);
    assert.match(text, /depends_on:\s+postgres:\s+condition: service_healthy/);
    assert.match(text, /SHM_DATABASE_URL: postgres:\/\/shm:pw0123456789@postgres:5432\/shm/);
    assert.match(text, /SHM_ADMIN_TOKEN: token-0123456789abcdef/);
    assert.match(text, /pg_isready/);
    // Caddy in front, once SHM is ready; plain HTTP on :80 until SHM_DOMAIN is set.
    assert.match(text, /image: caddy:2\b/);
    assert.match(text, /deploy\/Caddyfile/);
    assert.match(text, /SHM_SITE_ADDRESS: :80/);
    assert.match(text, /shm:\s+condition: service_healthy/);
    assert.match(text, /healthcheck:\s+interval: 10s[\s\S]*?- healthcheck\s+- --ready/);
    assert.match(text, /SHM_TRUST_PROXY: "true"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
