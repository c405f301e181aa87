/**
 * The public stats page in a real browser (Debian's chromium through
 * playwright-core) against a real server process: it renders without a
 * session, its charts draw, nothing is logged in the console, and with
 * JavaScript off the figures are in the page all the same. Without chromium
 * it says why it skips; on CI (`CI` set) it fails instead.
 */

import assert from "node:assert/strict";
import { chromium } from "./support/dev_deps.ts";
import { httpSender, TestInstance } from "./support/instance_client.ts";
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, recordProblems } from "./support/browser.ts";
import { startServer, waitForRollup } from "./support/server.ts";

const missing = chromiumMissing();
if (missing !== null && Deno.env.get("CI") === undefined) {
  // deno-lint-ignore no-console
  console.warn(`public_page_browser_test: skipped, as ${missing}`);
}

Deno.test({
  name:
    "the public page in chromium: renders, draws its charts, no console error, works without JS",
  ignore: missing !== null && Deno.env.get("CI") === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    assert.equal(missing, null, `the browser test cannot run on CI as ${missing}`);
    await using server = await startServer({ env: { SHM_BADGE_MIN_INSTANCES: "3" } });
    const send = httpSender(server.url);
    for (const [i, version] of ["2.1.0", "2.1.0", "2.1.0", "2.0.0"].entries()) {
      const instance = await TestInstance.create();
      const registered = await send(
        instance.registerRequest({ appName: "Open App", appVersion: version }),
      );
      assert.equal(registered.status, 201);
      assert.equal((await send(await instance.activateRequest())).status, 200);
      const metrics = { users: i + 1, sys_runtime: "deno" };
      assert.equal((await send(await instance.snapshotRequest(metrics))).status, 202);
    }
    const settings = await fetch(`${server.url}/api/v1/admin/applications/open-app/settings`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${server.adminToken}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ public_page: true, public_metrics: ["users"] }),
    });
    assert.equal(settings.status, 200, await settings.text());
    await waitForRollup(server);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    try {
      const withScripts = await browser.newContext();
      const page = await withScripts.newPage();
      const problems = recordProblems(page);
      const response = await page.goto(`${server.url}/p/open-app`);
      assert.equal(response?.status(), 200);
      assert.equal(await page.locator("h1").textContent(), "Open App: public statistics");
      assert.equal(await page.locator('[data-field="active-now"]').textContent(), "4");
      const charts = page.locator("figure.chart");
      assert.equal(await charts.count(), 2, "active instances and version adoption");
      for (let i = 0; i < 2; i++) {
        await charts.nth(i).locator("canvas").first().waitFor({ timeout: 10_000 });
        assert.equal(await charts.nth(i).getAttribute("data-points"), "90");
      }
      assert.equal(
        await page.locator('tr[data-metric="users"] td').nth(2).textContent(),
        "10",
        "the sum of users",
      );
      assert.deepEqual(problems, [], "no console error, page error or failed request");
      await withScripts.close();

      const withoutScripts = await browser.newContext({ javaScriptEnabled: false });
      const still = await withoutScripts.newPage();
      const stillProblems = recordProblems(still);
      assert.equal((await still.goto(`${server.url}/p/open-app`))?.status(), 200);
      assert.equal(await still.locator("canvas").count(), 0, "nothing drawn without JS");
      assert.equal(await still.locator('[data-field="active-now"]').textContent(), "4");
      const versions = await still.locator('table[data-table="versions"] tbody tr')
        .allTextContents();
      assert.deepEqual(versions, ["2.1.0375.0 %", "otherfewer than 3–"]);
      assert.match(
        await still.locator('table[data-table="runtimes"]').textContent() ?? "",
        /deno4100\.0 %/,
      );
      assert.match(await still.locator("#sends").textContent() ?? "", /What Open App sends/);
      assert.match(
        await still.locator('[data-field="opt-out"]').textContent() ?? "",
        /DO_NOT_TRACK=1/,
      );
      assert.deepEqual(stillProblems, []);
      await withoutScripts.close();
    } finally {
      await browser.close();
    }
  },
});
