import assert from "node:assert/strict";
import { createDenoHost } from "./deno_host.ts";
import type { Host } from "./host.ts";
import { normalizeArch, normalizeOs } from "./host.ts";
import { createNodeHost } from "./node_host.ts";
import { collectSystemMetrics, detectDeploymentMode } from "./system_metrics.ts";

Deno.test("collectSystemMetrics() on Deno names the runtime and its facts as the original SDK does", async () => {
  const metrics = await collectSystemMetrics(createDenoHost(), { uptimeMs: 2.9 * 3_600_000 });
  assert.equal(metrics.sys_runtime, "deno");
  assert.equal(metrics.sys_runtime_version, Deno.version.deno);
  assert.equal(metrics.sys_os, Deno.build.os === "windows" ? "win32" : Deno.build.os);
  assert.equal(metrics.sys_arch, normalizeArch(Deno.build.arch));
  assert.equal(metrics.sys_cpu_cores, navigator.hardwareConcurrency);
  assert.equal(metrics.app_uptime_h, 2);
  const memory = Deno.memoryUsage();
  assert.ok(Number.isInteger(metrics.app_mem_rss_mb) && metrics.app_mem_rss_mb! > 0);
  assert.ok(metrics.app_mem_rss_mb! <= Math.ceil(memory.rss / 1048576) + 64);
  assert.ok(Number.isInteger(metrics.app_mem_heap_mb));
  assert.match(String(metrics.sys_mode), /^(standalone|docker|kubernetes)$/);
});

Deno.test("collectSystemMetrics() through the Node host reads Node's process facts", async () => {
  const metrics = await collectSystemMetrics(createNodeHost(), { uptimeMs: 0 });
  const process = (globalThis as unknown as { process: { versions: { node: string } } }).process;
  assert.equal(metrics.sys_runtime, "node");
  assert.equal(metrics.sys_runtime_version, process.versions.node);
  assert.equal(metrics.sys_os, normalizeOs(Deno.build.os === "windows" ? "win32" : Deno.build.os));
  assert.equal(typeof metrics.sys_cpu_cores, "number");
  assert.equal(typeof metrics.app_mem_heap_mb, "number");
  assert.equal(metrics.app_uptime_h, 0);
});

Deno.test("collectSystemMetrics() leaves out what the runtime cannot tell", async () => {
  const blind: Host = {
    ...createDenoHost(),
    runtimeVersion: undefined,
    os: undefined,
    arch: undefined,
    env: () => ({ readable: false }),
    cpuCores: () => Promise.resolve(undefined),
    memoryUse: () => undefined,
    pathExists: () => Promise.resolve(undefined),
    readTextFile: () => Promise.resolve({ ok: false, kind: "denied", message: "no" }),
  };
  const metrics = await collectSystemMetrics(blind, { uptimeMs: Number.NaN });
  assert.deepEqual(metrics, { sys_runtime: "deno" });
});

function linuxHost(facts: {
  env?: string;
  paths?: string[];
  cgroup?: string;
  blind?: boolean;
}): Host {
  return {
    ...createDenoHost(),
    os: "linux",
    env: (name) =>
      facts.blind
        ? { readable: false }
        : { readable: true, value: name === "KUBERNETES_SERVICE_HOST" ? facts.env : undefined },
    pathExists: (path) =>
      Promise.resolve(facts.blind ? undefined : (facts.paths ?? []).includes(path)),
    readTextFile: () =>
      Promise.resolve(
        facts.cgroup === undefined
          ? { ok: false, kind: "not_found", message: "" }
          : { ok: true, text: facts.cgroup },
      ),
  };
}

Deno.test("detectDeploymentMode() tells Kubernetes, containers and plain hosts apart", async () => {
  assert.equal(await detectDeploymentMode(linuxHost({ env: "10.0.0.1" })), "kubernetes");
  assert.equal(
    await detectDeploymentMode(
      linuxHost({ paths: ["/var/run/secrets/kubernetes.io/serviceaccount"] }),
    ),
    "kubernetes",
  );
  assert.equal(await detectDeploymentMode(linuxHost({ paths: ["/.dockerenv"] })), "docker");
  assert.equal(await detectDeploymentMode(linuxHost({ paths: ["/run/.containerenv"] })), "docker");
  assert.equal(
    await detectDeploymentMode(linuxHost({ cgroup: "0::/kubepods/besteffort/pod1" })),
    "kubernetes",
  );
  assert.equal(
    await detectDeploymentMode(linuxHost({ cgroup: "0::/system.slice/docker-abc.scope" })),
    "docker",
  );
  assert.equal(await detectDeploymentMode(linuxHost({ cgroup: "0::/user.slice" })), "standalone");
  assert.equal(await detectDeploymentMode(linuxHost({ blind: true })), undefined);
  assert.equal(
    await detectDeploymentMode({ ...linuxHost({}), os: "darwin" }),
    "standalone",
  );
});
