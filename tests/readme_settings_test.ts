import assert from "node:assert/strict";
import { withSettingsTable } from "../server/settings_table.ts";

Deno.test("README.md's configuration table is the one written from SETTINGS", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const written = withSettingsTable(readme);
  assert.ok(
    written === readme,
    "README.md's settings table disagrees with SETTINGS in server/config.ts: " +
      "run `npx -y deno@2.9.6 task docs:settings` and commit README.md",
  );
});
