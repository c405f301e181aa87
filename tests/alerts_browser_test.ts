/**
 * Alert rules on the settings page in a real server process and chromium
 * (issue 14): an admin fills the "new version" form with the address of a
 * local webhook receiver, sees the secret once and the rule listed, sends a
 * test that the receiver gets signed with that secret, and deletes the rule
 * through its confirmation step; no console error. Without chromium it says
 * why it skips; on CI (`CI` set) it fails instead.
 */

import assert from "node:assert/strict";
import { hmacSha256Hex } from "../server/alerts/mod.ts";
import { chromium } from "./support/dev_deps.ts";
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, recordProblems } from "./support/browser.ts";
import { httpSender, TestInstance } from "./support/instance_client.ts";
import { startServer } from "./support/server.ts";

const PASSWORD = "alerts-browser-password";
const missing = chromiumMissing();
if (missing !== null && Deno.env.get("CI") === undefined) {
  // deno-lint-ignore no-console
  console.warn(`alerts_browser_test: skipped, as ${missing}`);
}

/** A webhook receiver on the loopback: every POST it got, with its signature header. */
function webhookReceiver() {
  const received: { body: string; signature: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
    received.push({ body: await r.text(), signature: r.headers.get("x-shm-signature") });
    return new Response("ok");
  });
  return {
    received,
    url: `http://127.0.0.1:${server.addr.port}/hooks/shm`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test({
  name: "alerts in a real server and chromium: a rule made on the settings page, listed, a test " +
    "delivered signed to a local receiver, deleted after confirming, no console error",
  ignore: missing !== null && Deno.env.get("CI") === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    assert.equal(missing, null, `the browser test cannot run on CI as ${missing}`);
    await using receiver = webhookReceiver();
    await using server = await startServer({
      // The receiver listens on the loopback, an internal address refused by default.
      env: { SHM_ADMIN_PASSWORD: PASSWORD, SHM_ALERT_PRIVATE_WEBHOOKS: "true" },
    });
    const send = httpSender(server.url);
    const instance = await TestInstance.create();
    const registered = await send(
      instance.registerRequest({ appName: "Pager", appVersion: "1.0.0" }),
    );
    assert.equal(registered.status, 201);
    assert.equal((await send(await instance.activateRequest())).status, 200);

    const profile = await Deno.makeTempDir({ prefix: "shm-chromium-" });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    try {
      const page = await context.newPage();
      const problems = recordProblems(page);
      page.on("dialog", (dialog) => problems.push(`unexpected dialog: ${dialog.message()}`));
      await page.goto(`${server.url}/login`);
      await page.fill('input[name="username"]', "admin");
      await page.fill('input[name="password"]', PASSWORD);
      await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);

      await page.goto(`${server.url}/apps/pager/settings`);
      const form = page.locator('form[data-alert-form="version_share"]');
      await form.locator('input[name="percent"]').fill("75");
      await form.locator('input[name="webhook_url"]').fill(receiver.url);
      await Promise.all([
        page.waitForURL(`${server.url}/apps/pager/alerts`),
        form.locator('button[type="submit"]').click(),
      ]);
      const secret = await page.locator('[data-field="alert-secret"]').textContent();
      assert.match(secret ?? "", /^whsec_[0-9a-f]{64}$/);
      const row = page.locator("tr[data-alert]");
      assert.equal(await row.count(), 1);
      assert.match(
        await row.locator("td").first().textContent() ?? "",
        /a new version reached 75% of the active instances/,
      );
      assert.equal(await row.locator("code").textContent(), receiver.url);

      // Send test: delivered at once, signed with the secret shown.
      await Promise.all([
        page.waitForURL(/\/apps\/pager\/settings\?done=test_sent/),
        row.locator('button:has-text("Send test")').click(),
      ]);
      assert.equal(
        await page.locator('p.notice[role="status"]').textContent(),
        "The test was delivered.",
      );
      assert.equal(receiver.received.length, 1);
      const [hook] = receiver.received;
      assert.equal(hook!.signature, `sha256=${await hmacSha256Hex(secret!, hook!.body)}`);
      const payload = JSON.parse(hook!.body);
      assert.equal(payload.event, "test");
      assert.equal(payload.alert.kind, "version_share");
      assert.equal(payload.alert.percent, 75);
      assert.match(payload.text, /^\[SHM\] Pager: test of the alert/);
      assert.match(
        await page.locator('table[data-field="deliveries"]').textContent() ?? "",
        /test: .*delivered \(1 attempt\)/,
      );

      // Delete: the link asks first, Cancel keeps it, the confirmed form removes it.
      await page.locator("tr[data-alert] a[data-delete]").click();
      const confirm = page.locator('[data-confirm="delete-alert"]');
      assert.match(
        await confirm.textContent() ?? "",
        /Delete the alert “a new version reached 75%/,
      );
      await confirm.locator('a:has-text("Cancel")').click();
      assert.equal(await page.locator('[data-confirm="delete-alert"]').count(), 0);
      assert.equal(await page.locator("tr[data-alert]").count(), 1);
      await page.locator("tr[data-alert] a[data-delete]").click();
      await Promise.all([
        page.waitForURL(/\/apps\/pager\/settings\?done=alert_deleted/),
        page.locator('[data-confirm="delete-alert"] button[type="submit"]').click(),
      ]);
      assert.equal(
        await page.locator('p.notice[role="status"]').textContent(),
        "The alert was deleted.",
      );
      assert.equal(await page.locator("tr[data-alert]").count(), 0);
      const listed = await fetch(`${server.url}/api/v1/admin/applications/pager/alerts`, {
        headers: { authorization: `Bearer ${server.adminToken}` },
      });
      const list = await listed.json();
      assert.deepEqual(list.alerts, []);
      assert.equal(list.deliveries.length, 1, "the test's delivery stays in the log");
      assert.deepEqual(problems, [], "no console error, page error or failed request");
    } finally {
      await context.close();
      await Deno.remove(profile, { recursive: true });
    }
  },
});
