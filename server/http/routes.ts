/**
 * The whole URL space, one line per route: method, path, who may call it
 * (`access`, enforced by `access.ts` before the handler runs), how its errors
 * are answered (`errors`, by `error_renderers.ts`), and its handler. The
 * router is built from this table (`app.ts`); nothing else registers a route.
 * Path parameters follow the rules of `path_params.ts`, checked first.
 */

import type { Access } from "./access.ts";
import { adminHandlers } from "./admin_routes.ts";
import { alertHandlers } from "./alert_routes.ts";
import { appSettingsPageHandlers } from "./app_settings_page_routes.ts";
import { appSettingsApiHandlers } from "./app_settings_routes.ts";
import { badgeHandlers } from "./badge_routes.ts";
import { dashboardHandlers } from "./dashboard_routes.ts";
import { instancePagesHandlers } from "./instance_pages_routes.ts";
import { instanceAdminHandlers } from "./instance_admin_routes.ts";
import { instanceHandlers } from "./instance_routes.ts";
import { inviteHandlers } from "./invite_routes.ts";
import { metricsHandlers } from "./metrics_routes.ts";
import { oidcHandlers } from "./oidc_routes.ts";
import { probeHandlers } from "./probe_routes.ts";
import { publicPageHandlers } from "./public_page_routes.ts";
import { route, type RouteDeclaration } from "./route_declaration.ts";
import { settingsHandlers } from "./settings_routes.ts";
import { setupHandlers } from "./setup_routes.ts";
import { signInHandlers } from "./sign_in_routes.ts";
import { usersApiHandlers } from "./users_routes.ts";
import type { AccessDeps } from "./access.ts";
import type { BadgeRouteDeps } from "./badge_routes.ts";
import type { SignInDeps } from "./sign_in_routes.ts";
import type { StatsContext } from "../stats/mod.ts";
import type { AlertsContext } from "../alerts/mod.ts";

/** What the handlers are built from (`app.ts` wires it once at start). */
export interface RouteServices extends AccessDeps, SignInDeps, BadgeRouteDeps {
  readonly stats: StatsContext;
  /** Alert rules, their deliveries and the senders' options (issue 14). */
  readonly alerts: AlertsContext;
  /** Resolves when the store answers a query; throws StoreUnavailableError when it does not. */
  readonly storeAnswers: () => Promise<void>;
  /** The one-time setup token printed at start; null when no setup link was printed. */
  readonly setupToken: string | null;
}

/** Every route the server serves, in the order the router tries them. */
export function routeTable(s: RouteServices): readonly RouteDeclaration<Access>[] {
  const probes = probeHandlers(s.storeAnswers);
  const instances = instanceHandlers(s);
  const admin = adminHandlers(s.stats);
  const appSettingsApi = appSettingsApiHandlers(s.stats);
  const dashboard = dashboardHandlers(s);
  const signIn = signInHandlers(s);
  const oidc = oidcHandlers(s);
  const setup = setupHandlers(s);
  // What operators do to instances goes through ingestion's key cache, so that it acts at once.
  const lifecycle = { db: s.db, now: s.now, keys: s.ingest.keys };
  const instanceAdmin = instanceAdminHandlers({ stats: s.stats, lifecycle });
  const instancePages = instancePagesHandlers({ ...s, lifecycle });
  const settings = settingsHandlers(s);
  const users = usersApiHandlers(s);
  const invite = inviteHandlers(s);
  const appSettingsPage = appSettingsPageHandlers(s);
  const badges = badgeHandlers(s);
  const publicPage = publicPageHandlers(s);
  const metrics = metricsHandlers(s.db);
  const alerts = alertHandlers({ alerts: s.alerts, stats: s.stats });
  // One route a line, the columns aligned: the table reads better than deno fmt would make it.
  // deno-fmt-ignore
  return [
    // Probes.
    route({ method: "GET",  path: "/api/v1/healthcheck",                       access: "public",           errors: "json",  handle: probes.health }),
    route({ method: "GET",  path: "/api/v1/readyz",                            access: "public",           errors: "json",  handle: probes.ready }),

    // What instances call (protocol.md).
    route({ method: "POST", path: "/v1/register",                              access: "public",           errors: "json",  handle: instances.register }),
    route({ method: "POST", path: "/v1/activate",                              access: "instance",         errors: "json",  handle: instances.activate }),
    route({ method: "POST", path: "/v1/snapshot",                              access: "instance",         errors: "json",  handle: instances.snapshot }),
    route({ method: "POST", path: "/v1/erase",                                 access: "instance",         errors: "json",  handle: instances.erase }),

    // The admin API.
    route({ method: "GET",  path: "/api/v1/admin/stats",                       access: "token_or_session", errors: "json",  handle: admin.fleet }),
    route({ method: "GET",  path: "/api/v1/admin/applications",                access: "token_or_session", errors: "json",  handle: admin.applications }),
    route({ method: "GET",  path: "/api/v1/admin/applications/:slug",          access: "token_or_session", errors: "json",  handle: admin.application }),
    route({ method: "GET",  path: "/api/v1/admin/instances",                   access: "token_or_session", errors: "json",  handle: admin.instances }),
    route({ method: "GET",  path: "/api/v1/admin/instances/:instanceId",       access: "token_or_session", errors: "json",  handle: instanceAdmin.instance }),
    route({ method: "POST", path: "/api/v1/admin/instances/:instanceId/revoke", access: "token",           errors: "json",  handle: instanceAdmin.revoke }),
    route({ method: "POST", path: "/api/v1/admin/instances/:instanceId/restore", access: "token",          errors: "json",  handle: instanceAdmin.restore }),
    route({ method: "DELETE", path: "/api/v1/admin/instances/:instanceId",     access: "token",            errors: "json",  handle: instanceAdmin.remove }),
    route({ method: "GET",  path: "/api/v1/admin/audit",                       access: "token_or_session", errors: "json",  handle: instanceAdmin.audit }),
    route({ method: "GET",  path: "/api/v1/admin/metrics/:slug",               access: "token_or_session", errors: "json",  handle: admin.metrics }),
    route({ method: "GET",  path: "/api/v1/admin/applications/:slug/settings", access: "token",            errors: "json",  handle: appSettingsApi.read }),
    route({ method: "PUT",  path: "/api/v1/admin/applications/:slug/settings", access: "token",            errors: "json",  handle: appSettingsApi.change }),

    // Accounts and API tokens (issue 15): admins only; a GET is an admin's read.
    route({ method: "GET",  path: "/api/v1/admin/users",                       access: "token_or_session", errors: "json",  handle: users.list, role: "admin" }),
    route({ method: "POST", path: "/api/v1/admin/users",                       access: "token",            errors: "json",  handle: users.invite }),
    route({ method: "PATCH", path: "/api/v1/admin/users/:username",            access: "token",            errors: "json",  handle: users.change }),
    route({ method: "DELETE", path: "/api/v1/admin/users/:username",           access: "token",            errors: "json",  handle: users.remove }),
    route({ method: "GET",  path: "/api/v1/admin/tokens",                      access: "token_or_session", errors: "json",  handle: users.tokens, role: "admin" }),
    route({ method: "POST", path: "/api/v1/admin/tokens",                      access: "token",            errors: "json",  handle: users.createToken }),
    route({ method: "DELETE", path: "/api/v1/admin/tokens/:tokenId",           access: "token",            errors: "json",  handle: users.revokeToken }),

    // Prometheus scrapes (issue 14): the fleet's aggregates, with a bearer token.
    route({ method: "GET",  path: "/metrics",                                  access: "token",            errors: "json",  handle: metrics.exposition }),

    // Alerts (issue 14): rules per application, their delivery log, a test sent at once.
    route({ method: "GET",  path: "/api/v1/admin/applications/:slug/alerts",   access: "token_or_session", errors: "json",  handle: alerts.list, role: "admin" }),
    route({ method: "POST", path: "/api/v1/admin/applications/:slug/alerts",   access: "token",            errors: "json",  handle: alerts.create }),
    route({ method: "DELETE", path: "/api/v1/admin/applications/:slug/alerts/:alertId", access: "token",   errors: "json",  handle: alerts.remove }),
    route({ method: "POST", path: "/api/v1/admin/applications/:slug/alerts/:alertId/test", access: "token", errors: "json", handle: alerts.test }),
    route({ method: "POST", path: "/apps/:slug/alerts",                        access: "session_form",     errors: "page",  handle: alerts.createFromPage, role: "admin" }),
    route({ method: "POST", path: "/apps/:slug/alerts/:alertId/test",          access: "session_form",     errors: "page",  handle: alerts.testFromPage, role: "admin" }),
    route({ method: "POST", path: "/apps/:slug/alerts/:alertId/delete",        access: "session_form",     errors: "page",  handle: alerts.removeFromPage, role: "admin" }),

    // The dashboard.
    route({ method: "GET",  path: "/assets/:asset",                            access: "public",           errors: "page",  handle: dashboard.asset }),
    route({ method: "GET",  path: "/",                                         access: "session",          errors: "page",  handle: dashboard.overview }),
    route({ method: "GET",  path: "/apps/:slug",                               access: "session",          errors: "page",  handle: dashboard.application }),
    route({ method: "GET",  path: "/apps/:slug/export",                        access: "session",          errors: "page",  handle: dashboard.export }),
    route({ method: "GET",  path: "/login",                                    access: "public",           errors: "page",  handle: signIn.loginPage }),
    route({ method: "POST", path: "/login",                                    access: "public",           errors: "page",  handle: signIn.login }),
    route({ method: "GET",  path: "/login/oidc",                               access: "public",           errors: "page",  handle: oidc.start }),
    route({ method: "GET",  path: "/login/oidc/callback",                      access: "public",           errors: "page",  handle: oidc.callback }),
    route({ method: "GET",  path: "/apps/:slug/instances",                     access: "session",          errors: "page",  handle: instancePages.list }),
    route({ method: "GET",  path: "/instances/:instanceId",                    access: "session",          errors: "page",  handle: instancePages.instance }),
    route({ method: "POST", path: "/instances/:instanceId/revoke",             access: "session_form",     errors: "page",  handle: instancePages.revoke }),
    route({ method: "POST", path: "/instances/:instanceId/restore",            access: "session_form",     errors: "page",  handle: instancePages.restore }),
    route({ method: "POST", path: "/instances/:instanceId/delete",             access: "session_form",     errors: "page",  handle: instancePages.remove }),
    route({ method: "GET",  path: "/settings",                                 access: "session",          errors: "page",  handle: settings.page }),
    route({ method: "POST", path: "/settings/tokens",                          access: "session_form",     errors: "page",  handle: settings.createToken, role: "viewer" }),
    route({ method: "POST", path: "/settings/tokens/:tokenId/revoke",          access: "session_form",     errors: "page",  handle: settings.revokeToken, role: "viewer" }),
    route({ method: "POST", path: "/settings/password",                        access: "session_form",     errors: "page",  handle: settings.changePassword, role: "viewer" }),
    route({ method: "POST", path: "/settings/users",                           access: "session_form",     errors: "page",  handle: settings.invite }),
    route({ method: "POST", path: "/settings/users/:username/role",            access: "session_form",     errors: "page",  handle: settings.changeRole }),
    route({ method: "POST", path: "/settings/users/:username/disable",         access: "session_form",     errors: "page",  handle: settings.disable }),
    route({ method: "POST", path: "/settings/users/:username/enable",          access: "session_form",     errors: "page",  handle: settings.enable }),
    route({ method: "POST", path: "/settings/users/:username/delete",          access: "session_form",     errors: "page",  handle: settings.removeAccount }),
    route({ method: "POST", path: "/logout",                                   access: "session_form",     errors: "page",  handle: signIn.logout, role: "viewer" }),
    route({ method: "GET",  path: "/setup",                                    access: "public",           errors: "page",  handle: setup.form }),
    route({ method: "POST", path: "/setup",                                    access: "public",           errors: "page",  handle: setup.create }),
    route({ method: "GET",  path: "/invite",                                   access: "public",           errors: "page",  handle: invite.form }),
    route({ method: "POST", path: "/invite",                                   access: "public",           errors: "page",  handle: invite.accept }),
    route({ method: "GET",  path: "/apps/:slug/settings",                      access: "session",          errors: "page",  handle: appSettingsPage.page }),
    route({ method: "POST", path: "/apps/:slug/settings",                      access: "session_form",     errors: "page",  handle: appSettingsPage.save }),

    // Public badges.
    route({ method: "GET",  path: "/badge/:slug/:badge",                       access: "public",           errors: "badge", handle: badges.named }),
    route({ method: "GET",  path: "/badge/:slug/metric/:metric",               access: "public",           errors: "badge", handle: badges.metric }),

    // Public stats pages (issue 13), when the owner turned them on.
    route({ method: "GET",  path: "/p/:slug",                                  access: "public",           errors: "page",  handle: publicPage.page }),
    route({ method: "GET",  path: "/p/:slug.json",                             access: "public",           errors: "json",  handle: publicPage.json }),
  ];
}
