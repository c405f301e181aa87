/**
 * The instance pages: an application's instances table, one instance's page,
 * and the page's forms that revoke, restore or delete the instance.
 */

import {
  appInstancePage,
  type AppInstanceQuery,
  instanceDetail,
  isInstanceSort,
  type StatsContext,
} from "../stats/mod.ts";
import {
  deleteInstance,
  type LifecycleContext,
  restoreInstance,
  revokeInstance,
} from "../lifecycle/mod.ts";
import { type ConfirmedAction, InstancePage } from "../ui/InstancePage.tsx";
import { InstancesPage } from "../ui/InstancesPage.tsx";
import { messagePage, page, redirect, viewerOf } from "./page_support.ts";
import type { Handler } from "./route_declaration.ts";
import type { SignedIn } from "./session_auth.ts";
import { isInstanceStatus } from "../../shared/instance_status.ts";
import { isStorableText, printableText } from "../../shared/text_rules.ts";

/** The notices `?done=` names on the instance page; a Map, so no request names a property of Object. */
const NOTICES: ReadonlyMap<string, string> = new Map([
  ["revoked", "The instance was revoked: its requests are refused from now on."],
  ["restored", "The instance was restored: its requests are accepted again."],
]);

/**
 * The handlers of `GET /apps/{slug}/instances` (an application's instances
 * table) and `/instances/{instanceId}` (one instance; `?confirm=revoke` or
 * `?confirm=delete` shows that action's confirmation form), both access
 * `session`, and of the forms `POST /instances/{instanceId}/revoke`,
 * `…/restore` and `…/delete` (access `session_form`), which act in the
 * signed-in user's name and redirect: to the instance page, or after a
 * delete to the application's instances.
 */
export function instancePagesHandlers(
  deps: { stats: StatsContext; now: () => Date; lifecycle: LifecycleContext },
): {
  list: Handler<"session">;
  instance: Handler<"session">;
  revoke: Handler<"session_form">;
  restore: Handler<"session_form">;
  remove: Handler<"session_form">;
} {
  const { stats, lifecycle } = deps;
  const notFound = (session: SignedIn, id: string) =>
    messagePage(viewerOf(session), {
      status: 404,
      title: "Not found",
      message: `No instance has the id "${id.slice(0, 100)}".`,
    });
  return {
    list: async (ctx) => {
      const viewer = viewerOf(ctx.session);
      const query = parseInstanceQuery(ctx.url.searchParams);
      if (typeof query === "string") {
        return messagePage(viewer, { status: 400, title: "Bad filter", message: query });
      }
      const slug = ctx.params["slug"] ?? "";
      const result = await appInstancePage(stats, slug, query);
      if (result.kind === "invalid_cursor") {
        return messagePage(viewer, {
          status: 400,
          title: "Bad page link",
          message: "This page link is not one this server made: start from the first page.",
        });
      }
      if (result.kind === "unknown_app") {
        return messagePage(viewer, {
          status: 404,
          title: "Not found",
          message: `No application has the slug "${slug.slice(0, 100)}".`,
        });
      }
      return page(InstancesPage({ viewer, page: result, query, now: deps.now() }));
    },

    instance: async (ctx) => {
      const id = ctx.params["instanceId"] ?? "";
      const detail = await instanceDetail(stats, id);
      if (detail.kind === "unknown_instance") {
        return messagePage(viewerOf(ctx.session), {
          status: 404,
          title: "Not found",
          message: `No instance has the id "${id.slice(0, 100)}".`,
        });
      }
      const confirm = ctx.url.searchParams.get("confirm");
      const notice = NOTICES.get(ctx.url.searchParams.get("done") ?? "");
      return page(InstancePage({
        viewer: viewerOf(ctx.session),
        detail,
        now: deps.now(),
        ...(isConfirmedAction(confirm) ? { confirm } : {}),
        ...(notice === undefined ? {} : { notice }),
      }));
    },

    revoke: async ({ params, session }) => {
      const id = params["instanceId"] ?? "";
      const result = await revokeInstance(lifecycle, id, session.user.username);
      if (result.kind === "unknown") return notFound(session, id);
      return redirect(`/instances/${id.toLowerCase()}?done=revoked`);
    },

    restore: async ({ params, session }) => {
      const id = params["instanceId"] ?? "";
      const result = await restoreInstance(lifecycle, id, session.user.username);
      if (result.kind === "unknown") return notFound(session, id);
      return redirect(`/instances/${id.toLowerCase()}?done=restored`);
    },

    remove: async ({ params, session }) => {
      const id = params["instanceId"] ?? "";
      const detail = await instanceDetail(stats, id);
      if (
        detail.kind === "unknown_instance" ||
        await deleteInstance(lifecycle, id, session.user.username) === "unknown"
      ) {
        return notFound(session, id);
      }
      return redirect(`/apps/${encodeURIComponent(detail.instance.appSlug)}/instances`);
    },
  };
}

function isConfirmedAction(text: string | null): text is ConfirmedAction {
  return text === "revoke" || text === "delete";
}

/**
 * The instances table's query parameters as a typed query, or a sentence
 * saying which parameter is wrong. Empty values mean "no filter".
 */
function parseInstanceQuery(params: URLSearchParams): AppInstanceQuery | string {
  const text = (name: string) => {
    const value = params.get(name)?.trim() ?? "";
    return value === "" ? undefined : value;
  };
  const sortText = text("sort") ?? "last_seen";
  if (!isInstanceSort(sortText)) {
    return `Cannot sort by "${
      printableText(sortText, 40)
    }": choose last_seen, first_seen or version.`;
  }
  const status = text("status");
  if (status !== undefined && !isInstanceStatus(status)) {
    return `Cannot filter by status "${
      printableText(status, 40)
    }": choose active, pending or revoked.`;
  }
  const q = text("q")?.toLowerCase();
  if (q !== undefined && !/^[0-9a-f-]{1,36}$/.test(q)) {
    return `Cannot search for instance id "${
      printableText(q, 40)
    }": an id has only hex digits and dashes.`;
  }
  const limitText = text("limit") ?? "50";
  const limit = Number(limitText);
  if (!/^\d{1,3}$/.test(limitText) || limit < 1 || limit > 200) {
    return `Cannot show "${printableText(limitText, 20)}" rows a page: choose 1 to 200.`;
  }
  const version = text("version");
  const environment = text("environment");
  for (const [name, value] of [["version", version], ["environment", environment]] as const) {
    // Stored values are storable text of at most 50 characters: anything else matches nothing.
    if (value !== undefined && (!isStorableText(value) || [...value].length > 200)) {
      return `Cannot filter by ${name} "${
        printableText(value, 40)
      }": a value has at most 200 characters, without NUL or broken Unicode.`;
    }
  }
  const cursor = text("cursor");
  return {
    sort: sortText,
    limit,
    filters: {
      ...(version === undefined ? {} : { version }),
      ...(status === undefined ? {} : { status }),
      ...(environment === undefined ? {} : { environment }),
      ...(q === undefined ? {} : { idPrefix: q }),
    },
    ...(cursor === undefined ? {} : { cursor }),
  };
}
