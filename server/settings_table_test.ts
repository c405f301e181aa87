import assert from "node:assert/strict";
import { SETTINGS } from "./config.ts";
import { settingsTable, TABLE_END, TABLE_START, withSettingsTable } from "./settings_table.ts";

Deno.test("settingsTable() has one row per setting, with its flag, variables and default", () => {
  const rows = settingsTable().split("\n").slice(2);
  const specs = Object.values(SETTINGS);
  assert.equal(rows.length, specs.length);
  specs.forEach((spec, index) => {
    const cells = (rows[index] ?? "").split(" | ").map((cell) => cell.replace(/^\| |\s*\|?$/g, ""));
    assert.equal(cells[0], `\`--${spec.flag}\``);
    assert.equal(cells[1], spec.env.map((name) => `\`${name}\``).join(", "));
    assert.equal(cells[2], spec.fallback === null ? "none" : `\`${spec.fallback}\``);
    assert.equal(cells[3], spec.help);
  });
});

Deno.test("no setting's help breaks the table with a pipe or a line break", () => {
  for (const spec of Object.values(SETTINGS)) {
    assert.doesNotMatch(spec.help, /[|\n]/, spec.flag);
  }
});

Deno.test("withSettingsTable() replaces only what lies between the markers", () => {
  const readme = `before\n${TABLE_START}\nold table\n${TABLE_END}\nafter\n`;
  assert.equal(
    withSettingsTable(readme),
    `before\n${TABLE_START}\n\n${settingsTable()}\n\n${TABLE_END}\nafter\n`,
  );
  assert.throws(
    () => withSettingsTable("no markers"),
    (error: unknown) => error instanceof Error && /lacks its markers/.test(error.message),
  );
});
