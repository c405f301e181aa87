/**
 * The schema migrations, embedded as text so that the program (and the
 * single executable) reads no SQL file at run time. Add each new numbered
 * file here; a test checks that every file in this folder is listed.
 */

import m0001 from "./0001_initial.sql" with { type: "text" };
import m0002 from "./0002_app_settings.sql" with { type: "text" };
import m0003 from "./0003_accounts.sql" with { type: "text" };
import m0004 from "./0004_rollups.sql" with { type: "text" };
import m0005 from "./0005_app_display_name.sql" with { type: "text" };
import m0006 from "./0006_reported_deployment_mode.sql" with { type: "text" };
import m0007 from "./0007_public_page.sql" with { type: "text" };
import m0008 from "./0008_audit_log.sql" with { type: "text" };
import m0009 from "./0009_excluded_environments.sql" with { type: "text" };
import m0010 from "./0010_github.sql" with { type: "text" };
import m0011 from "./0011_roles_and_token_scopes.sql" with { type: "text" };
import m0012 from "./0012_alerts.sql" with { type: "text" };
import m0013 from "./0013_github_release_created.sql" with { type: "text" };
import m0014 from "./0014_oidc_identities.sql" with { type: "text" };
import m0015 from "./0015_public_pages.sql" with { type: "text" };
import m0016 from "./0016_summary_counts.sql" with { type: "text" };
import m0017 from "./0017_jsonb_objects.sql" with { type: "text" };
import m0018 from "./0018_day_counts.sql" with { type: "text" };

/** One migration: its number, its file name and its SQL. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every migration, in the order they apply. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "0001_initial.sql", sql: m0001 },
  { version: 2, name: "0002_app_settings.sql", sql: m0002 },
  { version: 3, name: "0003_accounts.sql", sql: m0003 },
  { version: 4, name: "0004_rollups.sql", sql: m0004 },
  { version: 5, name: "0005_app_display_name.sql", sql: m0005 },
  { version: 6, name: "0006_reported_deployment_mode.sql", sql: m0006 },
  { version: 7, name: "0007_public_page.sql", sql: m0007 },
  { version: 8, name: "0008_audit_log.sql", sql: m0008 },
  { version: 9, name: "0009_excluded_environments.sql", sql: m0009 },
  { version: 10, name: "0010_github.sql", sql: m0010 },
  { version: 11, name: "0011_roles_and_token_scopes.sql", sql: m0011 },
  { version: 12, name: "0012_alerts.sql", sql: m0012 },
  { version: 13, name: "0013_github_release_created.sql", sql: m0013 },
  { version: 14, name: "0014_oidc_identities.sql", sql: m0014 },
  { version: 15, name: "0015_public_pages.sql", sql: m0015 },
  { version: 16, name: "0016_summary_counts.sql", sql: m0016 },
  { version: 17, name: "0017_jsonb_objects.sql", sql: m0017 },
  { version: 18, name: "0018_day_counts.sql", sql: m0018 },
];
