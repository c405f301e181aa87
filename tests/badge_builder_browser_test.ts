/**
 * The application settings page and its badge builder in a real browser
 * (Debian's chromium through playwright-core) against a real server process:
 * save a display name, pick a metric badge and a style, see the preview and
 * the Markdown follow, the preview image load, and no error in the console.
 * Without chromium it says why it skips; on CI (`CI` set) it fails instead.
 */

import assert from "node:assert/strict";
import { chromium, type Page } from "./support/dev_deps.ts";
import { httpSender, TestInstance } from "./support/instance_client.ts";
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, recordProblems } from "./support/browser.ts";
import { startServer, waitForRollup } from "./support/server.ts";

const PASSWORD = "builder-test-password";
const SETTINGS = "/apps/builder-app/settings";

const missing = chromiumMissing();
if (missing !== null && Deno.env.get("CI") === undefined) {
  // deno-lint-ignore no-console
  console.warn(`badge_builder_browser_test: skipped, as ${missing}`);
}

/** The little of the page's DOM the waits below read (this file is checked without DOM types). */
interface PreviewDom {
  readonly document: {
    querySelector(selector: string): {
      getAttribute(name: string): string | null;
      readonly complete: boolean;
      readonly naturalWidth: number;
    } | null;
  };
}

/** Waits until the preview shows `src` and its image has loaded; returns its natural width. */
async function previewLoaded(page: Page, src: string): Promise<number> {
  const selector = 'img[data-field="badge-preview"]';
  const handle = await page.waitForFunction(
    (wanted) => {
      const img = (globalThis as unknown as PreviewDom).document.querySelector(wanted.selector);
      return img !== null && img.getAttribute("src") === wanted.src && img.complete
        ? img.naturalWidth
        : false;
    },
    { selector, src },
    { timeout: 10_000 },
  );
  return Number(await handle.jsonValue());
}

Deno.test({
  name: "the badge builder in chromium: display name, metric badge, style, preview and Markdown",
  ignore: missing !== null && Deno.env.get("CI") === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    assert.equal(missing, null, `the browser test cannot run on CI as ${missing}`);
    await using server = await startServer({ env: { SHM_ADMIN_PASSWORD: PASSWORD } });
    const send = httpSender(server.url);
    for (const rows of [5, 7, 9]) {
      const instance = await TestInstance.create();
      assert.equal(
        (await send(instance.registerRequest({ appName: "Builder App", appVersion: "1.0.0" })))
          .status,
        201,
      );
      assert.equal((await send(await instance.activateRequest())).status, 200);
      const snapshot = await send(await instance.snapshotRequest({ users: 2, "db.rows": rows }));
      assert.equal(snapshot.status, 202);
    }
    await waitForRollup(server);

    const profile = await Deno.makeTempDir({ prefix: "shm-chromium-" });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    try {
      const page = await context.newPage();
      // A preview replaced before it finished loading is cancelled by the browser: expected.
      const problems = recordProblems(
        page,
        (request) =>
          request.failure()?.errorText === "net::ERR_ABORTED" &&
          new URL(request.url()).pathname.startsWith("/badge/"),
      );

      await page.goto(`${server.url}${SETTINGS}`);
      assert.equal(new URL(page.url()).pathname, "/login", "the page needs a session");
      await page.fill('input[name="username"]', "admin");
      await page.fill('input[name="password"]', PASSWORD);
      await Promise.all([
        page.waitForURL(`${server.url}${SETTINGS}`),
        page.click('button[type="submit"]'),
      ]);

      await page.fill('input[name="display_name"]', "Builder Deluxe");
      await Promise.all([
        page.waitForURL(`${server.url}${SETTINGS}?done=saved`),
        page.click('form[data-form="app-settings"] button[type="submit"]'),
      ]);
      assert.equal(await page.locator("h1").textContent(), "Settings of Builder Deluxe");
      assert.equal(await page.locator('p.notice[role="status"]').count(), 1);

      // Hydrated: the no-JavaScript "Show" button is gone.
      await page.locator('.badge-form button[type="submit"]').waitFor({
        state: "detached",
        timeout: 10_000,
      });
      const markdown = page.locator('[data-field="badge-markdown"]');
      assert.equal(
        await markdown.textContent(),
        `![instances](${server.url}/badge/builder-app/instances)`,
      );
      assert.ok(await previewLoaded(page, "/badge/builder-app/instances") > 0);
      assert.ok(
        await page.locator('select[name="metric"]').isDisabled(),
        "no metric for an instances badge",
      );

      await page.selectOption('select[name="badge"]', "metric");
      assert.ok(await page.locator('select[name="metric"]').isEnabled());
      await previewLoaded(page, "/badge/builder-app/metric/db.rows");
      await page.selectOption('select[name="agg"]', "max");
      await page.selectOption('select[name="style"]', "for-the-badge");
      await page.fill('input[name="label"]', "Rows");
      const path = "/badge/builder-app/metric/db.rows?agg=max&label=Rows&style=for-the-badge";
      const width = await previewLoaded(page, path);
      assert.ok(width > 0, "the preview image loads");
      assert.equal(await markdown.textContent(), `![Rows](${server.url}${path})`);
      assert.equal(
        await page.locator('[data-field="badge-html"]').textContent(),
        `<img src="${server.url}${path.replaceAll("&", "&amp;")}" alt="Rows">`,
      );
      assert.equal(page.url(), `${server.url}${SETTINGS}?done=saved`, "no page load");
      const drawn = await fetch(`${server.url}${path}`);
      // for-the-badge draws its text in capitals, title included.
      assert.match(await drawn.text(), /<title>ROWS: 9<\/title>/);

      await page.selectOption('select[name="badge"]', "combined");
      await page.selectOption('select[name="metric"]', "users");
      const combined = "/badge/builder-app/combined?metric=users&agg=max&label=Rows" +
        "&style=for-the-badge";
      assert.ok(await previewLoaded(page, combined) > 0);
      assert.equal(await markdown.textContent(), `![Rows](${server.url}${combined})`);

      assert.deepEqual(problems, []);
    } finally {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
});
