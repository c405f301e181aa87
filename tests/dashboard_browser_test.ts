/**
 * The dashboard in a real browser (Debian's chromium through
 * playwright-core) against a real server process: sign in, the overview,
 * an application, a period change, sign out, redirects, CSRF, and no error
 * in the browser console. Without chromium it says why it skips; on CI
 * (`CI` set) it fails instead.
 */

import assert from "node:assert/strict";
import { chromium } from "./support/dev_deps.ts";
import { httpSender, TestInstance } from "./support/instance_client.ts";
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, recordProblems } from "./support/browser.ts";
import { startServer, waitForRollup } from "./support/server.ts";

const PASSWORD = "browser-test-password";

const missing = chromiumMissing();
if (missing !== null && Deno.env.get("CI") === undefined) {
  // deno-lint-ignore no-console
  console.warn(`dashboard_browser_test: skipped, as ${missing}`);
}

Deno.test({
  name:
    "the dashboard in chromium: sign in, overview, application, period, instances, tokens, sign out",
  ignore: missing !== null && Deno.env.get("CI") === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    assert.equal(missing, null, `the browser test cannot run on CI as ${missing}`);
    await using server = await startServer({ env: { SHM_ADMIN_PASSWORD: PASSWORD } });
    const send = httpSender(server.url);
    for (const version of ["2.1.0", "2.1.0", "2.0.0"]) {
      const instance = await TestInstance.create();
      assert.equal(
        (await send(instance.registerRequest({ appName: "Browser App", appVersion: version })))
          .status,
        201,
      );
      assert.equal((await send(await instance.activateRequest())).status, 200);
      assert.equal((await send(await instance.snapshotRequest({ users: 2 }))).status, 202);
    }
    await waitForRollup(server);

    const unauthenticated = await fetch(`${server.url}/apps/browser-app`, { redirect: "manual" });
    await unauthenticated.body?.cancel();
    assert.equal(unauthenticated.status, 303);
    assert.equal(
      unauthenticated.headers.get("location"),
      `/login?next=${encodeURIComponent("/apps/browser-app")}`,
    );

    const profile = await Deno.makeTempDir({ prefix: "shm-chromium-" });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    try {
      const page = await context.newPage();
      const problems = recordProblems(page);

      await page.goto(`${server.url}/`);
      assert.equal(
        new URL(page.url()).pathname,
        "/login",
        "a page without session opens the login",
      );

      await page.fill('input[name="username"]', "admin");
      await page.fill('input[name="password"]', PASSWORD);
      await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
      const card = page.locator('a.card[data-app="browser-app"]');
      assert.equal(await card.locator('[data-field="active"]').textContent(), "3");
      assert.equal(await card.locator('[data-field="top-version"]').textContent(), "2.1.0 (2)");

      await Promise.all([page.waitForURL(/\/apps\/browser-app$/), card.click()]);
      const activity = page.locator("figure.chart").first();
      await activity.locator("canvas").waitFor({ timeout: 10_000 });
      assert.equal(await activity.getAttribute("data-points"), "30");
      const charts = await page.locator("figure.chart").count();
      assert.ok(charts >= 6, `instances, arrivals, versions, platforms: ${charts} charts`);
      await page.locator("figure.chart canvas").nth(charts - 1).waitFor({ timeout: 10_000 });
      assert.equal(await page.locator("figure.chart canvas").count(), charts, "every chart drawn");

      await Promise.all([
        page.waitForURL(/\?period=7d$/),
        page.click('nav.periods a[data-period="7d"]'),
      ]);
      const weekChart = page.locator("figure.chart").first();
      await weekChart.locator("canvas").waitFor({ timeout: 10_000 });
      assert.equal(await weekChart.getAttribute("data-points"), "7");
      assert.equal(
        await page.locator('nav.periods a[aria-current="page"]').getAttribute("data-period"),
        "7d",
      );

      await Promise.all([
        page.waitForURL(/\/apps\/browser-app\/instances$/),
        page.click('a[data-link="instances"]'),
      ]);
      assert.equal(await page.locator("tr[data-instance]").count(), 3);
      const filtered = `${server.url}/apps/browser-app/instances?version=2.0.0`;
      await page.goto(filtered);
      const row = page.locator("tr[data-instance]");
      assert.equal(await row.count(), 1, "the version filter keeps one instance");
      const instanceId = await row.getAttribute("data-instance");
      await Promise.all([
        page.waitForURL(`${server.url}/instances/${instanceId}`),
        row.locator("a").click(),
      ]);
      assert.equal(await page.locator('[data-field="version"]').textContent(), "2.0.0");
      assert.equal(await page.locator('tr[data-metric="users"] td').textContent(), "2");

      await Promise.all([
        page.waitForURL(`${server.url}/settings`),
        page.click('a[href="/settings"]'),
      ]);
      await page.fill('input[name="name"]', "browser token");
      await Promise.all([
        page.waitForURL(`${server.url}/settings/tokens`),
        page.click('form[action="/settings/tokens"] button'),
      ]);
      const token = await page.locator('[data-field="new-token"]').textContent() ?? "";
      const adminStats = async () => {
        const response = await fetch(`${server.url}/api/v1/admin/stats`, {
          headers: { authorization: `Bearer ${token}` },
        });
        await response.body?.cancel();
        return response.status;
      };
      assert.equal(await adminStats(), 200, "the new token opens the admin API");
      await Promise.all([
        page.waitForURL(/\/settings\?done=revoked$/),
        page.click('form[action$="/revoke"] button'),
      ]);
      assert.equal(await adminStats(), 401, "the revoked token does not");
      await page.goto(`${server.url}/apps/browser-app?period=7d`);

      const forged = await context.request.post(`${server.url}/logout`, {
        form: { note: "no csrf token" },
        maxRedirects: 0,
      });
      assert.equal(forged.status(), 403, "a form post without the CSRF token is refused");
      await page.reload();
      assert.equal(new URL(page.url()).pathname, "/apps/browser-app", "still signed in");

      await Promise.all([
        page.waitForURL(/\/login$/),
        page.click('header form[action="/logout"] button'),
      ]);
      await page.goto(`${server.url}/apps/browser-app`);
      assert.equal(new URL(page.url()).pathname, "/login", "signed out");

      assert.deepEqual(problems, []);
    } finally {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
});
