/**
 * The start banner: what `shm serve` prints for a person reading a terminal, next to the JSON log
 * lines (which stay as they are, and are all there is when the output is not a terminal).
 */

import { redactUrl, type StoreSetting } from "../config.ts";

/** What the banner tells. */
export interface StartFacts {
  readonly version: string;
  /** The URL the server answers on, from its listen address. */
  readonly url: string;
  /** The address users open, when configured (`SHM_PUBLIC_URL`). */
  readonly publicUrl: string | null;
  /** The one-time link that creates the first account, while none exists. */
  readonly setupUrl: string | null;
  readonly store: StoreSetting;
}

/**
 * The banner's lines joined with newlines: the address to open, the first-account link when
 * there is one, where the data is stored, and how to stop. No secret appears in it (a
 * database password shows as `***`).
 */
export function startBanner(facts: StartFacts): string {
  const open = facts.publicUrl === null
    ? `${facts.url}/`
    : `${facts.publicUrl}/ (listening on ${facts.url})`;
  const lines = ["", `SHM ${facts.version} is running.`, `  Open        ${open}`];
  if (facts.setupUrl !== null) {
    lines.push(
      `  First user  ${facts.setupUrl}`,
      "              (a one-time link that creates the first account; or start with",
      "              SHM_ADMIN_PASSWORD set)",
    );
  }
  lines.push(
    facts.store.kind === "embedded"
      ? `  Data        ${facts.store.dataDir} (embedded PostgreSQL, one process at a time)`
      : `  Data        PostgreSQL at ${redactUrl(facts.store.url)}`,
    "  Stop        Ctrl-C",
    "",
  );
  return lines.join("\n");
}
