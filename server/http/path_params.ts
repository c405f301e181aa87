/**
 * The rule of every path parameter the server's routes capture, by name. The
 * router checks each value against its rule before any handler (and so any
 * query) sees it, and refuses to add a route whose parameter has no rule here.
 */

import { isUsername, USERNAME_RULE } from "../../shared/account_rules.ts";
import { isAppSlug, isMetricKey, isUuid } from "../../shared/text_rules.ts";
import type { PathParamRule } from "./router.ts";

/** A rule from a pattern. */
function pattern(regex: RegExp, expected: string): PathParamRule {
  return { test: (value) => regex.test(value), expected };
}

/** The path parameters of every route, by name. */
export const PATH_PARAMS: Readonly<Record<string, PathParamRule>> = Object.freeze({
  slug: {
    test: isAppSlug,
    expected: "an application slug (a-z, 0-9 and inner dashes, at most 200)",
  },
  instanceId: { test: isUuid, expected: "an instance id (a UUID)" },
  /** A metric badge's name, optionally followed by `.json` (the shields endpoint form). */
  metric: {
    test: (value) => isMetricKey(value.endsWith(".json") ? value.slice(0, -5) : value),
    expected: "a metric name (1 to 64 of A-Z a-z 0-9 _ . : -)",
  },
  badge: pattern(/^[a-z]{1,20}(?:\.json)?$/, "a badge name such as instances or version.json"),
  asset: pattern(/^[a-z0-9_-]{1,40}\.[a-z]{1,8}$/, "an asset file name"),
  tokenId: pattern(/^[0-9]{1,9}$/, "an API token id (digits)"),
  alertId: pattern(/^[1-9][0-9]{0,8}$/, "an alert id (digits)"),
  username: { test: isUsername, expected: `a username (${USERNAME_RULE})` },
});
