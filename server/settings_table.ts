/**
 * The README's table of settings, written from {@linkcode SETTINGS}: the one source of `shm --help`
 * and of the table. `deno task docs:settings` puts it between the markers of README.md.
 */

import { SETTINGS } from "./config.ts";

/** The line before the table in README.md. */
export const TABLE_START =
  "<!-- settings table: written by `deno task docs:settings` from SETTINGS in server/config.ts -->";
/** The line after the table in README.md. */
export const TABLE_END = "<!-- end of settings table -->";

/**
 * The Markdown table of every setting (flag, environment variables, default, meaning), in the
 * order of `SETTINGS`, padded as `deno fmt` pads a table so that the formatter leaves it alone.
 */
export function settingsTable(): string {
  const rows = Object.values(SETTINGS).map((spec) => [
    `\`--${spec.flag}\``,
    spec.env.map((name) => `\`${name}\``).join(", "),
    spec.fallback === null ? "none" : `\`${spec.fallback}\``,
    spec.help,
  ]);
  const header = ["flag", "environment", "default", "meaning"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length))
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)]
    .join("\n");
}

/**
 * Returns `readme` with the text between {@linkcode TABLE_START} and {@linkcode TABLE_END}
 * replaced by {@linkcode settingsTable}. Throws when either marker is missing or out of order.
 */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(
      `Cannot place the settings table as README.md lacks its markers: "${TABLE_START}" ` +
        `then "${TABLE_END}"`,
    );
  }
  return `${readme.slice(0, start)}${TABLE_START}\n\n${settingsTable()}\n\n${readme.slice(end)}`;
}
