/** Per-application settings under `/api/v1/admin/applications/{slug}/settings` (admin only). */

import { ClientError } from "../errors.ts";
import {
  type ApplicationSettings,
  findApplicationSettings,
  setPublicBadges,
} from "../store/mod.ts";
import type { Database } from "../store/mod.ts";
import { readBody } from "./read_body.ts";
import { jsonResponse } from "./respond.ts";
import type { RouteContext, Router } from "./router.ts";

/** Largest settings body accepted. */
const MAX_SETTINGS_BYTES = 4096;
const SETTING_NAMES = ["public_badges"] as const;

/**
 * Adds `GET` and `PUT /api/v1/admin/applications/{slug}/settings`, behind
 * `authenticate`. `PUT` takes a JSON object with `public_badges` (boolean);
 * any other key or type is a 400, an unknown slug a 404.
 */
export function addAppSettingsRoutes(
  router: Router,
  deps: { db: Database; now: () => Date; authenticate: (request: Request) => Promise<void> },
): void {
  const path = "/api/v1/admin/applications/:slug/settings";
  router.on("GET", path, async ({ request, params }: RouteContext) => {
    await deps.authenticate(request);
    const slug = params["slug"] ?? "";
    return jsonResponse(
      settingsView(await findApplicationSettings(deps.db, slug) ?? unknown(slug)),
    );
  });
  router.on("PUT", path, async ({ request, params }: RouteContext) => {
    await deps.authenticate(request);
    const slug = params["slug"] ?? "";
    const publicBadges = parseSettings(await readBody(request, MAX_SETTINGS_BYTES));
    const saved = await setPublicBadges(deps.db, { slug, publicBadges, now: deps.now() });
    return jsonResponse(settingsView(saved ?? unknown(slug)));
  });
}

/** Reads the body's `public_badges`; throws a 400 for anything but `{"public_badges": <boolean>}`. */
function parseSettings(bytes: Uint8Array): boolean {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new ClientError(400, "malformed_json", "Cannot parse the body as UTF-8 JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ClientError(400, "invalid_body", "Cannot accept the body as it is not a JSON object");
  }
  const unknownKey = Object.keys(body).find((key) =>
    !(SETTING_NAMES as readonly string[]).includes(key)
  );
  if (unknownKey !== undefined) {
    throw new ClientError(
      400,
      "invalid_setting",
      `Cannot change "${unknownKey.slice(0, 80)}" as it is not a setting: use ${
        SETTING_NAMES.join(", ")
      }`,
    );
  }
  const value = (body as Record<string, unknown>)["public_badges"];
  if (typeof value !== "boolean") {
    throw new ClientError(
      400,
      "invalid_setting",
      `Cannot use "public_badges" as it must be true or false: current value is ${
        JSON.stringify(value ?? null).slice(0, 80)
      }`,
    );
  }
  return value;
}

function settingsView(settings: ApplicationSettings) {
  return { slug: settings.slug, public_badges: settings.publicBadges };
}

function unknown(slug: string): never {
  throw new ClientError(
    404,
    "unknown_application",
    `No application has the slug "${slug.slice(0, 100)}"`,
  );
}
