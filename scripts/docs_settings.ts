/**
 * `deno task docs:settings`: writes README.md's table of settings from SETTINGS in
 * server/config.ts (the source of `shm --help` too). A test fails while the two disagree.
 */

import { withSettingsTable } from "../server/settings_table.ts";

const README = new URL("../README.md", import.meta.url);

const before = await Deno.readTextFile(README);
const after = withSettingsTable(before);
if (after === before) {
  // deno-lint-ignore no-console
  console.log("README.md: the settings table already matches SETTINGS");
} else {
  await Deno.writeTextFile(README, after);
  // deno-lint-ignore no-console
  console.log("README.md: settings table written from SETTINGS in server/config.ts");
}
