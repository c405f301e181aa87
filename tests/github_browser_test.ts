/**
 * GitHub releases through a real server process and a real browser (issue
 * 14): the repository set through the admin API is read by the server's own
 * upkeep from a local fake of the GitHub API within a minute, the overview
 * card shows the stars, and the application page in chromium shows the
 * latest release with its share and draws its charts with a release marker,
 * with no console error. Without chromium it says why it skips; on CI
 * (`CI` set) it fails instead.
 */

import assert from "node:assert/strict";
import { chromium } from "./support/dev_deps.ts";
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, recordProblems } from "./support/browser.ts";
import { FakeGithub } from "./support/fake_github.ts";
import { httpSender, TestInstance } from "./support/instance_client.ts";
import { startServer, waitForRollup } from "./support/server.ts";

const PASSWORD = "github-browser-password";
const missing = chromiumMissing();
if (missing !== null && Deno.env.get("CI") === undefined) {
  // deno-lint-ignore no-console
  console.warn(`github_browser_test: skipped, as ${missing}`);
}

Deno.test({
  name: "GitHub in a real server and chromium: read by the upkeep within a minute, stars, latest " +
    "release, share, a release marker on the charts, no console error",
  ignore: missing !== null && Deno.env.get("CI") === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    assert.equal(missing, null, `the browser test cannot run on CI as ${missing}`);
    await using github = new FakeGithub();
    const published = new Date(Date.now() - 2 * 86_400_000);
    github.repos.set("acme/shipper", {
      stars: 4321,
      releases: [
        { tag: "v3.0.0-rc.1", publishedAt: new Date().toISOString(), prerelease: true },
        { tag: "v2.1.0", publishedAt: published.toISOString() },
      ],
    });
    await using server = await startServer({
      env: {
        SHM_ADMIN_PASSWORD: PASSWORD,
        SHM_GITHUB_API_URL: github.url,
        SHM_GITHUB_TOKEN: "ghp_browser_test",
      },
    });
    const send = httpSender(server.url);
    for (const version of ["2.1.0", "2.1.0", "2.1.0", "2.0.0"]) {
      const instance = await TestInstance.create();
      const registered = await send(
        instance.registerRequest({ appName: "Shipper", appVersion: version }),
      );
      assert.equal(registered.status, 201);
      assert.equal((await send(await instance.activateRequest())).status, 200);
      assert.equal((await send(await instance.snapshotRequest({ users: 1 }))).status, 202);
    }
    const admin = { authorization: `Bearer ${server.adminToken}` };
    const set = await fetch(`${server.url}/api/v1/admin/applications/shipper/settings`, {
      method: "PUT",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ github_repo: "acme/shipper" }),
    });
    assert.equal(set.status, 200, await set.text());
    await waitForRollup(server);

    // The upkeep looks for due repositories every 30 s: the read comes within a minute.
    let detail: { github: Record<string, unknown>; latest_release_share: number | null } | null =
      null;
    for (let tries = 0; tries < 150; tries++) {
      const response = await fetch(`${server.url}/api/v1/admin/applications/shipper`, {
        headers: admin,
      });
      detail = await response.json();
      if (detail?.github["checked_at"] !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.ok(detail?.github["checked_at"], "the repository was read by the server's upkeep");
    assert.equal(detail.github["stars"], 4321);
    assert.deepEqual(detail.github["latest_release"], {
      tag: "v2.1.0",
      published_at: published.toISOString(),
    });
    assert.equal(detail.github["error"], null);
    assert.equal(detail.latest_release_share, 0.75);
    assert.ok(github.requests.length >= 2);
    assert.ok(github.requests.every((r) => r.authorization === "Bearer ghp_browser_test"));

    const profile = await Deno.makeTempDir({ prefix: "shm-chromium-" });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    try {
      const page = await context.newPage();
      const problems = recordProblems(page);
      await page.goto(`${server.url}/login`);
      await page.fill('input[name="username"]', "admin");
      await page.fill('input[name="password"]', PASSWORD);
      await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
      const card = page.locator('a.card[data-app="shipper"]');
      assert.equal(await card.locator('[data-field="stars"]').textContent(), "4,321");

      await page.goto(`${server.url}/apps/shipper?period=30d`);
      assert.equal(
        await page.locator('[data-field="latest-release"]').textContent(),
        `v2.1.0, ${published.toISOString().slice(0, 10)}`,
      );
      assert.equal(await page.locator('[data-field="latest-share"]').textContent(), "75% of 4");
      const marked = page.locator('figure.chart[data-markers="1"]');
      assert.ok(await marked.count() >= 2, "the over-time charts carry the release marker");
      await marked.first().locator("canvas").first().waitFor({ timeout: 15_000 });
      assert.deepEqual(problems, [], "no console error, page error or failed request");
    } finally {
      await context.close();
      await Deno.remove(profile, { recursive: true });
    }
  },
});
