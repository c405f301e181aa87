/** The shape of one line of the route table (`routes.ts`). */

import type { Role } from "../accounts/mod.ts";
import type { Access, Granted } from "./access.ts";
import type { RouteContext } from "./router.ts";

/**
 * How a route's failures reach the client (`error_renderers.ts`): `json` the
 * protocol's `{"error":{code,message}}`, `page` an HTML message page, `badge`
 * a grey badge.
 */
export type ErrorRendering = "json" | "page" | "badge";

/** Every error rendering, for tests that walk the table. */
export const ERROR_RENDERINGS: readonly ErrorRendering[] = ["json", "page", "badge"];

/** A handler of a route with access kind `A`: it receives what the access proved. */
export type Handler<A extends Access> = (
  ctx: RouteContext & Granted[A],
) => Response | Promise<Response>;

/** One route: who may call it, how its errors look, and what answers it. */
export interface RouteDeclaration<A extends Access = Access> {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The path, `:name` for a parameter checked by its rule in `path_params.ts`. */
  readonly path: string;
  /** Who may call it, enforced before the handler runs (`access.ts`). */
  readonly access: A;
  /**
   * The role a signed-in caller needs, checked in `access.ts` after `access`
   * (public and instance routes have no caller); see {@linkcode requiredRole}
   * for the default.
   */
  readonly role?: Role;
  /** How its errors, and a path parameter that breaks its rule, are answered. */
  readonly errors: ErrorRendering;
  /** Answers the request once access is granted. */
  handle(ctx: RouteContext & Granted[A]): Response | Promise<Response>;
}

/** Declares one route; the access kind types what its handler receives. */
export function route<A extends Access>(declaration: RouteDeclaration<A>): RouteDeclaration {
  return declaration;
}

/**
 * The role a route needs: the one it declares, else `viewer` for a GET
 * (viewers see every page and read API) and `admin` for any other method,
 * so that a write nobody thought about is an admin's.
 */
export function requiredRole(route: { readonly method: string; readonly role?: Role }): Role {
  return route.role ?? (route.method === "GET" ? "viewer" : "admin");
}
