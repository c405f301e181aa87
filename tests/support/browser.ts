/**
 * Debian's chromium as the browser tests and the screenshots task drive it:
 * one path and one set of flags, so both see the same browser.
 */

import type { Page, Request } from "./dev_deps.ts";

/** Where Debian's chromium package installs the browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a headless run on a machine whose only network is its own loopback. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Why the browser cannot be used here (it is not installed), or null when it can. */
export function chromiumMissing(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    return null;
  } catch {
    return `${CHROMIUM} is not installed (apt-get install -y chromium)`;
  }
}

/**
 * Collects what goes wrong in `page` from now on: console errors and
 * warnings, uncaught errors, and failed requests except those
 * `expectedFailure` allows. A test asserts the list stays empty.
 */
export function recordProblems(
  page: Page,
  expectedFailure: (request: Request) => boolean = () => false,
): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      problems.push(`console.${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    if (!expectedFailure(request)) problems.push(`request failed: ${request.url()}`);
  });
  return problems;
}
