import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import { ClientError } from "../errors.ts";
import { type PathParamRule, type RouteHandler, type RouteMatch, Router } from "./router.ts";

/** A rule that takes any value, for the tests of matching itself. */
const ANY: PathParamRule = { test: () => true, expected: "anything" };
const ANY_PARAMS = { params: { slug: ANY, metric: ANY, id: ANY } };

/** A handler that says which route it is, so a test can tell handlers apart. */
function named(name: string): RouteHandler {
  const handler: RouteHandler = () => new Response(name);
  Object.defineProperty(handler, "routeName", { value: name });
  return handler;
}

function routeName(match: RouteMatch): string | undefined {
  if (match.kind !== "found") return undefined;
  return (match.handler as unknown as { routeName?: string }).routeName;
}

function sampleRouter(): Router {
  return new Router(ANY_PARAMS)
    .on("GET", "/api/v1/healthcheck", named("health"))
    .on("POST", "/v1/register", named("register"))
    .on("POST", "/v1/snapshot", named("snapshot"))
    .on("GET", "/badge/:slug/instances", named("badge-instances"))
    .on("GET", "/badge/:slug/metric/:metric", named("badge-metric"))
    .on("GET", "/api/v1/admin/applications/:slug", named("app-detail"))
    .on("DELETE", "/api/v1/admin/applications/:slug", named("app-delete"));
}

Deno.test("Router.match() finds the handler of an exact path", () => {
  const router = sampleRouter();
  const match = router.match("POST", "/v1/register");
  assert.equal(match.kind, "found");
  assert.equal(routeName(match), "register");
  assert.deepEqual(match.kind === "found" && match.params, {});
});

Deno.test("Router.match() captures :name segments as params", () => {
  const match = sampleRouter().match("GET", "/badge/my-app/metric/users.total");
  assert.equal(routeName(match), "badge-metric");
  assert.deepEqual(match.kind === "found" && match.params, {
    slug: "my-app",
    metric: "users.total",
  });
});

Deno.test("Router.match() decodes percent-encoded params, each segment on its own", () => {
  const router = sampleRouter();
  const spaced = router.match("GET", "/badge/cr%C3%A8me%20br%C3%BBl%C3%A9e/instances");
  assert.deepEqual(spaced.kind === "found" && spaced.params, { slug: "crème brûlée" });
  const slashed = router.match("GET", "/badge/a%2Fb/instances");
  assert.equal(routeName(slashed), "badge-instances");
  assert.deepEqual(slashed.kind === "found" && slashed.params, { slug: "a/b" });
});

Deno.test("Router.match() answers not_found for unknown paths and wrong segment counts", () => {
  const router = sampleRouter();
  for (
    const path of [
      "/nothing",
      "/v1",
      "/v1/register/extra",
      "/badge/my-app",
      "/badge/my-app/instances/extra",
      "/badge/my-app/version",
      "/V1/REGISTER",
    ]
  ) {
    assert.deepEqual(router.match("GET", path), { kind: "not_found" }, path);
  }
});

Deno.test("Router.match() answers not_found, not a crash, for bad percent-encoding", () => {
  const router = sampleRouter();
  for (const path of ["/badge/%E0%A4%A/instances", "/badge/%/instances", "/badge/%zz/instances"]) {
    assert.deepEqual(router.match("GET", path), { kind: "not_found" }, path);
  }
});

Deno.test("Router.match() answers wrong_method with the allowed methods", () => {
  const router = sampleRouter();
  assert.deepEqual(router.match("GET", "/v1/register"), {
    kind: "wrong_method",
    allowed: ["POST"],
  });
  assert.deepEqual(router.match("POST", "/api/v1/healthcheck"), {
    kind: "wrong_method",
    allowed: ["GET", "HEAD"],
  });
  const detail = router.match("PUT", "/api/v1/admin/applications/my-app");
  assert.equal(detail.kind, "wrong_method");
  assert.deepEqual(
    detail.kind === "wrong_method" && [...detail.allowed].sort(),
    ["DELETE", "GET", "HEAD"],
  );
});

Deno.test("Router.match() serves HEAD with the GET handler", () => {
  const router = sampleRouter();
  const head = router.match("HEAD", "/badge/x/instances");
  assert.equal(routeName(head), "badge-instances");
  assert.deepEqual(head.kind === "found" && head.params, { slug: "x" });
  assert.equal(router.match("HEAD", "/v1/register").kind, "wrong_method");
});

Deno.test("Router.match() serves several methods on one path with their own handlers", () => {
  const router = sampleRouter();
  assert.equal(routeName(router.match("GET", "/api/v1/admin/applications/a")), "app-detail");
  assert.equal(routeName(router.match("DELETE", "/api/v1/admin/applications/a")), "app-delete");
});

Deno.test("Router.match() reads methods in any case", () => {
  const router = new Router().on("post", "/v1/activate", named("activate"));
  assert.equal(routeName(router.match("POST", "/v1/activate")), "activate");
  assert.equal(routeName(router.match("post", "/v1/activate")), "activate");
});

Deno.test("Router.match() ignores a trailing slash", () => {
  const router = sampleRouter();
  assert.equal(routeName(router.match("POST", "/v1/register/")), "register");
});

Deno.test("Router.match() serves the root path", () => {
  const router = new Router().on("GET", "/", named("root"));
  assert.equal(routeName(router.match("GET", "/")), "root");
  assert.deepEqual(router.match("GET", "/x"), { kind: "not_found" });
});

Deno.test("Router.on() replaces the handler of a method registered twice on one path", () => {
  const router = new Router(ANY_PARAMS)
    .on("GET", "/x/:id", named("first"))
    .on("GET", "/x/:id", named("second"));
  assert.equal(routeName(router.match("GET", "/x/1")), "second");
});

Deno.test("Router.match() still finds a later route when an earlier one matches the path with other methods", () => {
  const router = new Router(ANY_PARAMS)
    .on("DELETE", "/api/v1/admin/applications/:slug", named("delete"))
    .on("GET", "/api/v1/admin/applications/export", named("export"));
  assert.equal(routeName(router.match("GET", "/api/v1/admin/applications/export")), "export");
  const put = router.match("PUT", "/api/v1/admin/applications/export");
  assert.equal(put.kind, "wrong_method");
  assert.deepEqual(
    put.kind === "wrong_method" && [...put.allowed].sort(),
    ["DELETE", "GET", "HEAD"],
    "every route that matches the path contributes its methods",
  );
});

Deno.test("Router.match() gives any segment, decoded, as the param (property)", () => {
  const router = sampleRouter();
  const segment = fc.string({ unit: "binary", minLength: 1, maxLength: 30 });
  fc.assert(fc.property(segment, (slug) => {
    const match = router.match("GET", `/badge/${encodeURIComponent(slug)}/instances`);
    assert.equal(routeName(match), "badge-instances");
    assert.deepEqual(match.kind === "found" && match.params, { slug });
  }));
});

Deno.test("Router.match() never throws, whatever the path (property)", () => {
  const router = sampleRouter();
  const path = fc.oneof(
    fc.string({ unit: "binary", maxLength: 60 }),
    fc.array(fc.constantFrom("/", "%", "badge", "a", "%2F", "%E0", "instances", ":slug", ".."), {
      maxLength: 12,
    }).map((parts) => parts.join("")),
  );
  const method = fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "get", "BREW");
  fc.assert(fc.property(method, path, (m, p) => {
    const match = router.match(m, p);
    assert.ok(["found", "wrong_method", "not_found"].includes(match.kind));
  }));
});

/** A router whose `:slug` must be lowercase letters, with a refusal on one route. */
function strictRouter(): Router {
  const slug: PathParamRule = { test: (v) => /^[a-z]+$/.test(v), expected: "lowercase letters" };
  return new Router({ params: { slug } })
    .on("GET", "/apps/:slug", named("app"), {
      refuse: (_ctx, problem) => new Response(`refused ${problem.name}`, { status: 404 }),
    })
    .on("GET", "/api/:slug", named("api"));
}

function context(path: string, params: Record<string, string>) {
  return {
    request: new Request(`http://x${path}`),
    url: new URL(`http://x${path}`),
    params,
    facts: {
      clientAddress: "192.0.2.1",
      peerAddress: "192.0.2.1",
      secure: false,
      origin: "http://x",
    },
    noteInstance: () => {},
  };
}

Deno.test("Router.on() refuses a route whose parameter has no rule", () => {
  assert.throws(
    () => new Router().on("GET", "/x/:id", named("x")),
    { name: "TypeError", message: "Cannot add route /x/:id as :id has no rule" },
  );
});

Deno.test("Router.match() never hands a parameter that breaks its rule to the handler", async () => {
  const router = strictRouter();
  assert.equal(routeName(router.match("GET", "/apps/abc")), "app");
  const refused = router.match("GET", "/apps/%00");
  assert.equal(refused.kind, "found");
  assert.equal(routeName(refused), undefined, "not the route's handler");
  if (refused.kind !== "found") return;
  const response = await refused.handler(context("/apps/%00", refused.params));
  assert.equal(response.status, 404);
  assert.equal(await response.text(), "refused slug");

  const api = router.match("GET", "/api/A%2FB");
  assert.equal(routeName(api), undefined);
  if (api.kind !== "found") return;
  await assert.rejects(
    async () => await api.handler(context("/api/A%2FB", api.params)),
    (error: unknown) =>
      error instanceof ClientError && error.status === 404 && error.code === "not_found" &&
      error.message === 'Cannot find /api/A%2FB as "slug" must be lowercase letters: ' +
          'current value is "A/B"',
  );
});

Deno.test("Router.routes() lists every method and path added, HEAD only when added itself", () => {
  const router = new Router(ANY_PARAMS)
    .on("GET", "/a", named("a"))
    .on("POST", "/a", named("a-post"))
    .on("HEAD", "/b", named("b"))
    .on("PUT", "/x/:id", named("x"));
  assert.deepEqual(router.routes(), [
    { method: "GET", path: "/a" },
    { method: "POST", path: "/a" },
    { method: "HEAD", path: "/b" },
    { method: "PUT", path: "/x/:id" },
  ]);
});

Deno.test("Router.match() takes a declared suffix off a :name.json segment before the rule sees it", () => {
  const slugRule: PathParamRule = { test: (v) => /^[a-z-]+$/.test(v), expected: "a slug" };
  const router = new Router({ params: { slug: slugRule } })
    .on("GET", "/p/:slug", named("page"))
    .on("GET", "/p/:slug.json", named("json"));
  const page = router.match("GET", "/p/my-app");
  assert.equal(routeName(page), "page");
  assert.deepEqual(page.kind === "found" ? page.params : null, { slug: "my-app" });
  const json = router.match("GET", "/p/my-app.json");
  assert.equal(routeName(json), "json");
  assert.deepEqual(json.kind === "found" ? json.params : null, { slug: "my-app" });
  // Only the end counts as the suffix; a bare suffix or a value the rule refuses is no match.
  for (const path of ["/p/.json", "/p/my.app.json", "/p/my-app.json.json", "/p/my-app.jsonx"]) {
    const match = router.match("GET", path);
    assert.equal(routeName(match), undefined, path);
  }
  assert.throws(
    () => new Router({ params: {} }).on("GET", "/p/:slug.json", named("x")),
    /has no rule/,
  );
});
