/**
 * Screenshots of the main dashboard pages for the README: seeds a demo fleet
 * into a temporary embedded store (`shm demo`), starts a real server on it,
 * signs in with the browser of the browser test (Debian's chromium through
 * playwright-core) and saves PNGs to `docs/screenshots/`. Everything it starts
 * or makes (server, store, browser profile) is removed at the end.
 *
 * Run with `deno task screenshots`.
 */

import { chromium, type Page } from "npm:playwright-core@^1.65.1";
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from "../tests/support/browser.ts";
import { startServer } from "../tests/support/server.ts";

const REPO = new URL("../", import.meta.url).pathname;
const OUT = `${REPO}docs/screenshots/`;
// Scrollbars would show in the images; otherwise the browser the tests use.
const SCREENSHOT_ARGS = [...CHROMIUM_ARGS, "--hide-scrollbars"];
const VIEWPORT = { width: 1280, height: 800 };
const USER = "admin";
const PASSWORD = `screenshots-${crypto.randomUUID()}`;
const MAX_BYTES = 400 * 1024;

function say(text: string): void {
  // deno-lint-ignore no-console
  console.log(text);
}

/** Fills the store in `dataDir` with a demo fleet, as `shm demo` does. */
async function seed(dataDir: string): Promise<void> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(Deno.env.toObject())) {
    if (!/^(SHM_|DATABASE_URL$|PORT$)/.test(name)) env[name] = value;
  }
  env["SHM_DATA_DIR"] = dataDir;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--config=${REPO}deno.json`,
      "-A",
      `${REPO}server/main.ts`,
      "demo",
      "--instances",
      "600",
      "--days",
      "90",
      "--apps",
      "3",
    ],
    cwd: dataDir,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const decoder = new TextDecoder();
    throw new Error(
      `shm demo failed:\n${decoder.decode(output.stdout)}\n${decoder.decode(output.stderr)}`,
    );
  }
}

/** Saves the viewport of `page` as `name` and fails when it is too large for the README. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate("document.fonts.ready");
  const path = `${OUT}${name}`;
  await page.screenshot({ path, fullPage: false, animations: "disabled", caret: "hide" });
  const bytes = (await Deno.stat(path)).size;
  if (bytes > MAX_BYTES) throw new Error(`${name} is ${bytes} bytes, over ${MAX_BYTES}`);
  say(`${name}: ${Math.round(bytes / 1024)} KB`);
}

/** Waits until every chart of the page has drawn its canvas. */
async function chartsDrawn(page: Page): Promise<void> {
  await page.locator("figure.chart canvas").first().waitFor({ timeout: 15_000 });
  const charts = await page.locator("figure.chart").count();
  for (let index = 0; index < charts; index++) {
    await page.locator("figure.chart").nth(index).locator("canvas").waitFor({ timeout: 15_000 });
  }
}

/** Scrolls the period buttons near the top, so that both charts are in the viewport. */
async function scrollToCharts(page: Page): Promise<void> {
  const box = await page.locator("nav.periods").boundingBox();
  if (box !== null) await page.evaluate(`scrollTo(0, ${Math.max(0, box.y - 80)})`);
}

async function main(): Promise<void> {
  const missing = chromiumMissing();
  if (missing !== null) throw new Error(missing);
  await Deno.mkdir(OUT, { recursive: true });
  const dataDir = await Deno.makeTempDir({ prefix: "shm-screenshots-store-" });
  const profile = await Deno.makeTempDir({ prefix: "shm-screenshots-chromium-" });
  try {
    say("seeding a demo fleet…");
    await seed(dataDir);
    await using server = await startServer({
      store: { kind: "embedded", dataDir },
      env: { SHM_ADMIN_USER: USER, SHM_ADMIN_PASSWORD: PASSWORD },
    });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: SCREENSHOT_ARGS,
      viewport: VIEWPORT,
      colorScheme: "light",
      locale: "en-US",
      timezoneId: "UTC",
    });
    try {
      const problems: string[] = [];
      const page = await context.newPage();
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console.error: ${message.text()}`);
      });

      await page.goto(`${server.url}/login`);
      await page.fill('input[name="username"]', USER);
      await page.fill('input[name="password"]', PASSWORD);
      await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
      await page.locator("a.card[data-app]").first().waitFor();
      await shoot(page, "overview.png");

      const slug = await page.locator("a.card[data-app]").first().getAttribute("data-app");
      if (slug === null) throw new Error("the overview shows no application");
      await page.goto(`${server.url}/apps/${slug}?period=30d`);
      await chartsDrawn(page);
      await scrollToCharts(page);
      await shoot(page, "app.png");
      await page.locator("h3", { hasText: "Platforms" }).first().scrollIntoViewIfNeeded();
      await page.evaluate("scrollBy(0, 200)");
      await shoot(page, "app-metrics.png");

      await page.emulateMedia({ colorScheme: "dark" });
      await page.goto(`${server.url}/apps/${slug}?period=30d`);
      await chartsDrawn(page);
      await shoot(page, "app-dark.png");
      await page.emulateMedia({ colorScheme: "light" });

      await page.goto(`${server.url}/apps/${slug}/instances`);
      const row = page.locator("tr[data-instance]").first();
      await row.waitFor();
      await shoot(page, "instances.png");

      const instanceId = await row.getAttribute("data-instance");
      await page.goto(`${server.url}/instances/${instanceId}`);
      await page.locator('[data-field="version"]').waitFor();
      await shoot(page, "instance.png");

      await page.goto(`${server.url}/apps/${slug}/settings?badge=combined&style=flat-square`);
      await page.locator('[data-island="BadgeBuilder"] img').first().waitFor();
      await page.locator("h2", { hasText: "Badges" }).scrollIntoViewIfNeeded();
      await shoot(page, "badges.png");

      if (problems.length > 0) throw new Error(`the browser reported:\n${problems.join("\n")}`);
    } finally {
      await context.close();
    }
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
  say(`saved to ${OUT}`);
}

await main();
