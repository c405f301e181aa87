/**
 * Property tests over every route the server serves (protocol.md "Input the
 * server never trusts"): path segments of any code points, encoded slashes,
 * NULs and prototype names; query parameters and form fields of any name and
 * value, with and without a valid CSRF token and session; cookie, origin,
 * host and forwarding headers of any bytes. With the store up, no answer is
 * a 5xx, none writes an error (a stack trace) to the log, every Location is
 * a path of this server, and a refused request leaves the data as it was.
 * tests/fuzz_test.ts fuzzes the instance endpoints' bodies; this file their
 * paths, queries and headers, and everything else.
 *
 * A last part sends the crafted `next` values of a sign-in over a raw TCP
 * connection to a server process (fetch refuses some of these bytes), where
 * a bad Location header once made Deno's HTTP layer panic and the process exit.
 */

import assert from "node:assert/strict";
import { fc } from "./support/dev_deps.ts";
import { createApiToken, csrfTokenFor } from "../server/accounts/mod.ts";
import { type Database, insertUser, sql } from "../server/store/mod.ts";
import { storeFingerprint, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import {
  cookieValue,
  DASHBOARD_PASSWORD,
  DASHBOARD_USER,
  feedInstance,
  openDashboard,
} from "./support/dashboard.ts";
import { TestInstance } from "./support/instance_client.ts";
import { startServer } from "./support/server.ts";

/** The viewer account the account routes change (alice, the last admin, cannot be). */
const FUZZ_VIEWER = "fuzz-viewer";

/** Runs per route; the sign-in route checks a slow password hash, so it gets fewer. */
const RUNS = 24;
const LOGIN_RUNS = 12;

/** How a route answers, and what it reads besides its path. */
interface RouteSpec {
  readonly kind: "json" | "page" | "badge" | "asset";
  readonly query?: readonly string[];
  /** Fields of the urlencoded form it takes. */
  readonly form?: readonly string[];
  /** Whether it takes a JSON body. */
  readonly json?: boolean;
  /** Whether a success may be a CSV download. */
  readonly csv?: boolean;
  /** Whether a success is the Prometheus or OpenMetrics text exposition. */
  readonly exposition?: boolean;
  /** The JSON body of its plain request, when `{}` would not succeed. */
  readonly plainJson?: string;
  /** The form fields of its plain request (besides the CSRF token), when none would not succeed. */
  readonly plainForm?: readonly (readonly [string, string])[];
}

/** Every route, by method and path as the router lists them: a new route must be added here. */
const ROUTES: Readonly<Record<string, RouteSpec>> = {
  "GET /api/v1/healthcheck": { kind: "json" },
  "GET /api/v1/readyz": { kind: "json" },
  "POST /v1/register": { kind: "json", json: true },
  "POST /v1/activate": { kind: "json", json: true },
  "POST /v1/snapshot": { kind: "json", json: true },
  "POST /v1/erase": { kind: "json", json: true },
  "GET /api/v1/admin/stats": { kind: "json" },
  "GET /api/v1/admin/applications": { kind: "json" },
  "GET /api/v1/admin/applications/:slug": { kind: "json" },
  "GET /api/v1/admin/instances": {
    kind: "json",
    query: ["app", "status", "limit", "cursor", "format"],
    csv: true,
  },
  "GET /api/v1/admin/metrics/:slug": { kind: "json", query: ["days", "format"], csv: true },
  "GET /api/v1/admin/applications/:slug/settings": { kind: "json" },
  "PUT /api/v1/admin/applications/:slug/settings": { kind: "json", json: true },
  "GET /metrics": { kind: "json", exposition: true },
  // The plain create makes alert 1, which the test routes and then the delete use.
  "GET /api/v1/admin/applications/:slug/alerts": { kind: "json" },
  "POST /api/v1/admin/applications/:slug/alerts": {
    kind: "json",
    json: true,
    plainJson: '{"kind":"silence","hours":2,"email":"ops@example.org"}',
  },
  "POST /api/v1/admin/applications/:slug/alerts/:alertId/test": { kind: "json" },
  "POST /apps/:slug/alerts": {
    kind: "page",
    form: ["_csrf", "kind", "percent", "hours", "metric", "above", "below", "webhook_url", "email"],
    plainForm: [["kind", "silence"], ["hours", "2"], ["email", "ops@example.org"]],
  },
  "POST /apps/:slug/alerts/:alertId/test": { kind: "page", form: ["_csrf"] },
  "DELETE /api/v1/admin/applications/:slug/alerts/:alertId": { kind: "json" },
  // After the API's delete: a rule already gone is a 303 back to the page with a notice too.
  "POST /apps/:slug/alerts/:alertId/delete": { kind: "page", form: ["_csrf"] },
  "GET /assets/:asset": { kind: "asset", query: ["v"] },
  "GET /": { kind: "page" },
  "GET /apps/:slug": { kind: "page", query: ["period"] },
  "GET /apps/:slug/export": { kind: "page", query: ["chart", "period"], csv: true },
  "GET /apps/:slug/instances": {
    kind: "page",
    query: ["version", "status", "environment", "q", "sort", "limit", "cursor"],
  },
  "GET /instances/:instanceId": { kind: "page", query: ["confirm", "done"] },
  "GET /apps/:slug/settings": {
    kind: "page",
    query: ["done", "badge", "metric", "agg", "label", "color", "style"],
  },
  "POST /apps/:slug/settings": {
    kind: "page",
    form: ["_csrf", "display_name", "public_badges", "public_page", "public_metrics"],
  },
  "GET /login": { kind: "page", query: ["next"] },
  "POST /login": { kind: "page", query: ["next"], form: ["_csrf", "username", "password"] },
  "GET /login/oidc": { kind: "page", query: ["next"] },
  "GET /login/oidc/callback": {
    kind: "page",
    query: ["code", "state", "iss", "error", "error_description"],
  },
  "POST /logout": { kind: "page", form: ["_csrf"] },
  "GET /settings": { kind: "page", query: ["done"] },
  "POST /settings/tokens": { kind: "page", form: ["_csrf", "name"] },
  "POST /settings/tokens/:tokenId/revoke": { kind: "page", form: ["_csrf"] },
  "POST /settings/password": {
    kind: "page",
    form: ["_csrf", "current_password", "new_password", "confirm_password"],
  },
  "GET /setup": { kind: "page", query: ["token"] },
  "POST /setup": { kind: "page", form: ["token", "username", "password", "confirm_password"] },
  "GET /badge/:slug/:badge": { kind: "badge", query: ["label", "color", "style", "agg", "metric"] },
  "GET /badge/:slug/metric/:metric": { kind: "badge", query: ["label", "color", "style", "agg"] },
  "GET /p/:slug": { kind: "page" },
  // A fuzzed segment without the .json ending is the HTML page's: either type may answer.
  "GET /p/:slug.json": { kind: "page" },
  // Last, as the deletes remove the fixture's instance: the routes above see it. The API's
  // delete comes before the page's, which still answers with a redirect once it is gone.
  "GET /api/v1/admin/audit": { kind: "json", query: ["limit"] },
  "GET /api/v1/admin/instances/:instanceId": { kind: "json" },
  "POST /api/v1/admin/instances/:instanceId/revoke": { kind: "json" },
  "POST /api/v1/admin/instances/:instanceId/restore": { kind: "json" },
  "POST /instances/:instanceId/revoke": { kind: "page", form: ["_csrf"] },
  "POST /instances/:instanceId/restore": { kind: "page", form: ["_csrf"] },
  "DELETE /api/v1/admin/instances/:instanceId": { kind: "json" },
  "POST /instances/:instanceId/delete": { kind: "page", form: ["_csrf"] },
  // Accounts and tokens (issue 15); the account they change is the fixture's viewer, made again
  // before each of these routes, as alice is the last admin and cannot be changed.
  "GET /api/v1/admin/users": { kind: "json" },
  "POST /api/v1/admin/users": {
    kind: "json",
    json: true,
    plainJson: '{"username":"fuzz-invitee","role":"viewer"}',
  },
  "PATCH /api/v1/admin/users/:username": {
    kind: "json",
    json: true,
    plainJson: '{"role":"viewer"}',
  },
  "GET /api/v1/admin/tokens": { kind: "json" },
  "POST /api/v1/admin/tokens": {
    kind: "json",
    json: true,
    plainJson: '{"name":"fuzz","scope":"read","expires_in_days":3}',
  },
  "POST /settings/users": {
    kind: "page",
    form: ["_csrf", "username", "role"],
    plainForm: [["username", "fuzz-page"], ["role", "viewer"]],
  },
  "POST /settings/users/:username/role": {
    kind: "page",
    form: ["_csrf", "role"],
    plainForm: [["role", "viewer"]],
  },
  "POST /settings/users/:username/disable": { kind: "page", form: ["_csrf"] },
  "POST /settings/users/:username/enable": { kind: "page", form: ["_csrf"] },
  "GET /invite": { kind: "page", query: ["token"] },
  "POST /invite": { kind: "page", form: ["token", "password", "confirm_password"] },
  "DELETE /api/v1/admin/tokens/:tokenId": { kind: "json" },
  "DELETE /api/v1/admin/users/:username": { kind: "json" },
  "POST /settings/users/:username/delete": { kind: "page", form: ["_csrf"] },
};

/** A route segment's parameter name and declared suffix: `:slug.json` is slug with `.json`. */
function paramOf(part: string): { name: string; suffix: string } {
  const dot = part.indexOf(".");
  return dot === -1
    ? { name: part.slice(1), suffix: "" }
    : { name: part.slice(1, dot), suffix: part.slice(dot) };
}

/** Statuses any route may give here (the store is up, rate limits apply only to sign-in). */
const STATUSES = new Set([
  200,
  201,
  202,
  204,
  303,
  304,
  400,
  401,
  403,
  404,
  405,
  409,
  410,
  413,
  429,
]);

/** What a Location may be: one leading slash, printable ASCII. */
const SAFE_LOCATION = /^\/(?![/\\])[\x21-\x7e]*$/;

// ---------------------------------------------------------------- arbitraries

/** Names that find something on a plain object's prototype. */
const PROTOTYPE_NAMES = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"];

/** Path segments as they appear in a URL: crafted, encoded text of any code points, or real values. */
const craftedSegment = fc.constantFrom(
  "%00",
  "%0B",
  "%0D%0A",
  "%09",
  "%7F",
  "%C2%85",
  "%E2%80%AE",
  "%2F",
  "%5C",
  "%2F%2Fevil.example",
  "%2E%2E",
  "%",
  "%zz",
  "%E0%A4",
  "%C0%AE",
  "%ED%A0%80",
  "%F0%9F%98%80",
  "a".repeat(3000),
  ...PROTOTYPE_NAMES,
);
const segment = (valid: readonly string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...valid) },
    { weight: 2, arbitrary: craftedSegment },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }).map(encodeURIComponent) },
    {
      weight: 1,
      arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }).map(encodeURIComponent),
    },
  );

/** Text values: crafted, any code points (lone surrogates too), long, or prototype names. */
const anyText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "",
      "\u0000",
      "a\u0000b",
      "\u000b",
      "/\u000b",
      "/\t/evil.example",
      "//evil.example",
      "/\\evil.example",
      "https://evil.example",
      "/\r\nset-cookie: x=1",
      "/apps/x/instances?environment=生产",
      "\u202eevil",
      "\ud800",
      "x".repeat(5000),
      ...PROTOTYPE_NAMES,
    ),
  },
);

/** A header value `Headers` takes: bytes 0x01–0xFF but CR and LF. */
const headerValue = fc.string({
  unit: fc.integer({ min: 1, max: 255 }).filter((c) => c !== 10 && c !== 13).map((c) =>
    String.fromCharCode(c)
  ),
  maxLength: 120,
});

/** A query string: named parameters with any values, or raw crafted text. */
function queryString(names: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names, ...(names.length ? [] : ["x"])) },
    { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 10 }) },
  );
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.tuple(name, anyText), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constant([]) },
  ).map((pairs) => new URLSearchParams(pairs as [string, string][]).toString()).chain((
    encoded,
  ) =>
    fc.oneof(
      { weight: 5, arbitrary: fc.constant(encoded) },
      {
        weight: 1,
        arbitrary: fc.array(
          fc.constantFrom("%00", "%0B", "%", "%zz", "=", "&", "%E0%A4", "next", "%2F%09%2Fx", "a"),
          { maxLength: 8 },
        ).map((parts) => parts.join("")),
      },
    )
  );
}

// ---------------------------------------------------------------- fixture

/** What the fuzzed requests draw on: real slugs, ids, tokens, and a live session. */
interface Fixture {
  readonly slugs: readonly string[];
  readonly instanceIds: readonly string[];
  session: string;
  csrf: string;
  readonly device: string;
  /** The id of an API token that is live, for a plain revoke. */
  liveTokenId: string;
}

async function fixture(app: TestApp): Promise<Fixture> {
  const instance = await feedInstance(app, {
    appName: "Fuzz App",
    version: "1.0.0",
    environment: "生产",
    metrics: { users: 3, plan: "pro" },
  });
  await feedInstance(app, { appName: "Other App", version: "2.0.0" });
  await app.rollUp();
  const { session, device } = await signInAgain(app, undefined);
  return {
    slugs: ["fuzz-app", "other-app", "no-such-app"],
    instanceIds: [instance.instanceId, instance.instanceId.toUpperCase(), crypto.randomUUID()],
    session,
    csrf: await csrfTokenFor(session),
    device,
    liveTokenId: "1",
  };
}

/** Signs the test user in (from its known browser, so that fuzzed failures never hold it). */
async function signInAgain(
  app: TestApp,
  device: string | undefined,
): Promise<{ session: string; device: string }> {
  const cookies = ["shm_login_csrf=fixture-csrf", ...(device ? [`shm_device=${device}`] : [])];
  const response = await app.fetch("/login", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: cookies.join("; "),
      "x-forwarded-for": "192.0.2.250",
    },
    body: new URLSearchParams({
      _csrf: "fixture-csrf",
      username: DASHBOARD_USER,
      password: DASHBOARD_PASSWORD,
    }).toString(),
  });
  assert.equal(response.status, 303);
  const session = cookieValue(response, "shm_session");
  assert.ok(session);
  return { session, device: cookieValue(response, "shm_device") ?? device ?? "" };
}

/** Everything stored, fleet and accounts: a refused request must leave it unchanged. */
async function dataFingerprint(db: Database): Promise<unknown> {
  return {
    fleet: await storeFingerprint(db),
    accounts: await db.query(sql`
      select
        (select json_agg(u order by u.id) from users u) as users,
        (select json_agg(encode(s.token_hash, 'hex') order by s.token_hash) from sessions s)
          as sessions,
        (select json_agg(t order by t.id) from api_tokens t) as tokens,
        (select json_agg(json_build_array(a.slug, a.display_name, a.public_badges)
          order by a.slug) from applications a) as settings`),
  };
}

// ---------------------------------------------------------------- one request

/** A generated request to one route. */
interface Shape {
  readonly segments: readonly string[];
  readonly query: string;
  readonly method: string;
  readonly signedIn: boolean;
  readonly bearer: "admin" | "none" | "junk";
  readonly csrf: "session" | "login" | "none" | "junk";
  readonly form: readonly (readonly [string, string])[];
  readonly json: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly cookieJunk: string;
}

function shapeFor(key: string, spec: RouteSpec, fixture: Fixture): fc.Arbitrary<Shape> {
  const [method = "GET", path = "/"] = key.split(" ");
  const valid: Record<string, readonly string[]> = {
    slug: fixture.slugs,
    instanceId: fixture.instanceIds,
    metric: ["users", "users.json", "plan", "nothing"],
    badge: ["instances", "version", "combined", "version.json", "metric", "whatever"],
    asset: ["client.js", "styles.css", "nope.js"],
    tokenId: ["1", "2", "999999999"],
    username: [FUZZ_VIEWER, DASHBOARD_USER, "nobody"],
    alertId: ["1", "2", "999999999"],
  };
  const segments = fc.tuple(
    ...path.split("/").filter(Boolean).map((part) =>
      part.startsWith(":")
        ? segment((valid[paramOf(part).name] ?? ["x"]).map((v) => v + paramOf(part).suffix))
        : fc.constant(part)
    ),
  );
  const fieldValue = (name: string) =>
    fc.oneof(
      { weight: 2, arbitrary: anyText },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          ...(name === "username" ? [DASHBOARD_USER, "nobody"] : []),
          ...(name === "password" ? [DASHBOARD_PASSWORD] : []),
          ...(name === "public_badges" ? ["on"] : []),
          "valid-looking value",
        ),
      },
    );
  const fields = fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...(spec.form ?? ["x"])) },
      { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
    ).chain((name) => fieldValue(name).map((value) => [name, value] as const)),
    { maxLength: 5 },
  );
  const json = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    fc.record({ display_name: anyText, public_badges: fc.jsonValue({ maxDepth: 0 }) }, {
      requiredKeys: [],
    }).map((v) => JSON.stringify(v)),
    fc.string({ unit: "binary", maxLength: 60 }),
  );
  return fc.record({
    segments,
    query: queryString(spec.query ?? []),
    method: fc.oneof(
      { weight: 12, arbitrary: fc.constant(method) },
      { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD") },
    ),
    signedIn: fc.boolean(),
    bearer: fc.constantFrom("admin", "none", "junk"),
    csrf: fc.constantFrom("session", "login", "none", "junk"),
    form: fields,
    json,
    headers: fc.record({
      origin: headerValue,
      host: headerValue,
      "x-forwarded-for": headerValue,
      "x-forwarded-host": headerValue,
      "x-forwarded-proto": fc.oneof(fc.constant("https"), headerValue),
      "if-none-match": headerValue,
      "content-type": fc.oneof(fc.constant("application/x-www-form-urlencoded"), headerValue),
    }, { requiredKeys: [] }),
    cookieJunk: headerValue,
  });
}

/**
 * The plain request to a route, tried first: real values, signed in, with
 * the admin token and the CSRF token (and, for sign-in, the right password),
 * so that each route is also seen answering with success.
 */
function plainShape(key: string, fixture: Fixture): Shape {
  const [method = "GET", path = "/"] = key.split(" ");
  const valid: Record<string, string> = {
    slug: fixture.slugs[0] ?? "x",
    instanceId: fixture.instanceIds[0] ?? "x",
    metric: "users",
    badge: "instances",
    asset: "client.js",
    tokenId: fixture.liveTokenId,
    username: FUZZ_VIEWER,
    alertId: "1",
  };
  return {
    segments: path.split("/").filter(Boolean).map((part) =>
      part.startsWith(":") ? (valid[paramOf(part).name] ?? "x") + paramOf(part).suffix : part
    ),
    query: "",
    method,
    signedIn: true,
    bearer: "admin",
    csrf: key === "POST /login" ? "login" : "session",
    form: key === "POST /login"
      ? [["username", DASHBOARD_USER], ["password", DASHBOARD_PASSWORD]]
      : key === "POST /settings/tokens"
      ? [["name", "fuzz token"]]
      : ROUTES[key]?.plainForm ?? [],
    // A form route's plain request is its form with the CSRF token (an empty form would be sent
    // as the JSON body instead, without the token, and refused).
    json: ROUTES[key]?.plainJson !== undefined
      ? ROUTES[key]!.plainJson!
      : key.startsWith("PUT ")
      ? '{"display_name":"Fuzzed"}'
      : ROUTES[key]?.form === undefined
      ? "{}"
      : "",
    headers: {},
    cookieJunk: "",
  };
}

/** Builds the request a shape stands for. */
function requestOf(shape: Shape, fixture: Fixture): { path: string; init: RequestInit } {
  const cookies = [shape.cookieJunk];
  if (shape.signedIn) cookies.push(`shm_session=${fixture.session}`);
  if (shape.csrf === "login") cookies.push("shm_login_csrf=fuzz-login-csrf");
  const csrf = { session: fixture.csrf, login: "fuzz-login-csrf", none: null, junk: "junk" }[
    shape.csrf
  ];
  const headers: Record<string, string> = { ...shape.headers, cookie: cookies.join("; ") };
  if (shape.bearer === "admin") headers["authorization"] = `Bearer ${TEST_ADMIN_TOKEN}`;
  if (shape.bearer === "junk") headers["authorization"] = `Bearer shm_${shape.cookieJunk}`;
  let body: string | undefined;
  if (shape.method === "POST" || shape.method === "PUT" || shape.method === "PATCH") {
    const form = new URLSearchParams(shape.form as [string, string][]);
    if (csrf !== null) form.set("_csrf", csrf);
    body = shape.json !== "" && shape.form.length === 0 ? shape.json : form.toString();
  }
  const path = `/${shape.segments.join("/")}${shape.query === "" ? "" : `?${shape.query}`}`;
  return {
    path,
    init: { method: shape.method, headers, ...(body === undefined ? {} : { body }) },
  };
}

/** Turns the public page and the badges of the fixture's applications on, through the admin API. */
async function showPublicPagesAndBadges(app: TestApp, fix: Fixture): Promise<void> {
  for (const slug of fix.slugs.filter((slug) => slug !== "no-such-app")) {
    const response = await app.fetch(`/api/v1/admin/applications/${slug}/settings`, {
      method: "PUT",
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
      body: '{"public_page": true, "public_badges": true}',
    });
    assert.equal(response.status, 200, await response.text());
  }
}

/** Checks one answer; returns its status. */
async function check(
  app: TestApp,
  spec: RouteSpec,
  request: { path: string; init: RequestInit },
): Promise<number> {
  const errorsBefore = app.logs.filter((entry) => entry.level === "error").length;
  const before = await dataFingerprint(app.db);
  const response = await app.fetch(request.path, request.init);
  const text = await response.text();
  const label = `${request.init.method} ${request.path.slice(0, 200)} answered ${response.status}` +
    `: ${text.slice(0, 200)}`;
  assert.ok(STATUSES.has(response.status), label);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff", label);
  const location = response.headers.get("location");
  if (location !== null) assert.match(location, SAFE_LOCATION, label);
  const type = response.headers.get("content-type") ?? "";
  // A `.` or `..` segment (`%2E%2E` too) is resolved by the URL parser before routing, so the
  // request is then for another route, whose shape this spec does not describe.
  const otherRoute = (request.path.split("?")[0] ?? "").split("/").some((segment) =>
    /^(\.|%2e){1,2}$/i.test(segment)
  );
  if (
    !otherRoute && ![204, 303, 304].includes(response.status) && request.init.method !== "HEAD"
  ) {
    const types = {
      json: /^application\/json/,
      page: /^(text\/html|application\/json)/,
      badge: /^(image\/svg\+xml|application\/json)/,
      asset: /^(text\/javascript|text\/css|text\/html|application\/json)/,
    };
    const exposition = /^(text\/plain; version=0\.0\.4|application\/openmetrics-text);/;
    if (
      !(spec.csv && response.status === 200 && type === "text/csv; charset=utf-8") &&
      !(spec.exposition && response.status === 200 && exposition.test(type))
    ) {
      assert.match(type, types[spec.kind], label);
    }
  }
  // (A badge's JSON is the shields endpoint form, even for a problem.)
  if (
    response.status >= 400 && type.startsWith("application/json") &&
    spec.kind !== "badge" && !otherRoute
  ) {
    const body = JSON.parse(text);
    assert.deepEqual(Object.keys(body), ["error"], label);
    assert.match(body.error.code, /^[a-z]+(_[a-z]+)*$/, label);
  }
  const errors = app.logs.filter((entry) => entry.level === "error").slice(errorsBefore);
  assert.deepEqual(errors, [], `${label}: logged as a fault`);
  if (response.status >= 400) {
    assert.deepEqual(await dataFingerprint(app.db), before, `${label}: changed the data`);
  }
  return response.status;
}

// ---------------------------------------------------------------- properties

Deno.test("route fuzz: the fuzz list names every route the server serves, and only those", async () => {
  await using app = await openDashboard();
  const served = app.handler.routes().map((route) => `${route.method} ${route.path}`).sort();
  assert.deepEqual(served, Object.keys(ROUTES).sort(), "add a new route to ROUTES in this file");
});

Deno.test("route fuzz: any path, query, form and header on every route: no 5xx, no fault logged, safe Location, refusals change nothing", async () => {
  // Behind a trusted proxy, so that forwarded headers are read (and fuzzed) too; with an OpenID
  // Connect provider that does not answer (tests/oidc_test.ts signs in at a real one).
  await using app = await openDashboard({
    settings: {
      SHM_TRUST_PROXY: "true",
      SHM_PUBLIC_URL: "http://shm.test",
      SHM_OIDC_ISSUER: `http://127.0.0.1:${closedPort()}`,
      SHM_OIDC_CLIENT_ID: "fuzz",
      SHM_OIDC_CLIENT_SECRET: "fuzz-secret",
      SHM_OIDC_ALLOWED_DOMAINS: "example.org",
    },
  });
  const fix = await fixture(app);
  const seen = new Map<string, Set<number>>();
  for (const [key, spec] of Object.entries(ROUTES)) {
    const statuses = new Set<number>();
    seen.set(key, statuses);
    if (key.startsWith("DELETE ") || key.endsWith("/delete")) {
      // The delete before this one removed the fixture's instance: it registers again (same id),
      // so that this route's plain request has an instance to delete too.
      const again = await TestInstance.create(fix.instanceIds[0]);
      const registered = await app.send(again.registerRequest({ appName: "Fuzz App" }));
      assert.ok([201, 409].includes(registered.status), `register again: ${registered.status}`);
    }
    if (key.includes(":username")) {
      await insertUser(app.db, {
        username: FUZZ_VIEWER,
        passwordHash: "unusable",
        createdAt: app.clock.now(),
        role: "viewer",
      });
    }
    if (key === "DELETE /api/v1/admin/tokens/:tokenId") {
      const made = await createApiToken(app.db, {
        userId: null,
        name: "to revoke",
        now: app.clock.now(),
        actor: "test",
      });
      fix.liveTokenId = String(made.id);
    }
    // The settings form fuzzed before may have switched the public pages or badges off.
    if (key.startsWith("GET /p/") || key.startsWith("GET /badge/")) {
      await showPublicPagesAndBadges(app, fix);
    }
    await fc.assert(
      fc.asyncProperty(shapeFor(key, spec, fix), async (shape) => {
        const status = await check(app, spec, requestOf(shape, fix));
        statuses.add(status);
        if (key === "POST /logout" && shape.signedIn && shape.csrf === "session") {
          // The fuzzed request may have signed the fixture's session out: sign in again.
          const again = await signInAgain(app, fix.device);
          fix.session = again.session;
          fix.csrf = await csrfTokenFor(again.session);
        }
      }),
      { numRuns: key === "POST /login" ? LOGIN_RUNS : RUNS, examples: [[plainShape(key, fix)]] },
    );
  }
  // The fuzz reaches past the first checks: every route answered with a success at least once,
  // but those whose success needs a signed body or the one-time setup token.
  const rarelyOk = new Set([
    "POST /v1/register",
    "POST /v1/activate",
    "POST /v1/snapshot",
    "POST /v1/erase",
    "GET /setup",
    "POST /setup",
    // An invitation link's token is the admin's to send: tests/accounts_admin_test.ts uses one.
    "GET /invite",
    "POST /invite",
    // A callback succeeds only with the cookie of a sign-in the provider answered.
    "GET /login/oidc/callback",
  ]);
  for (const [key, statuses] of seen) {
    if (rarelyOk.has(key)) continue;
    assert.ok([...statuses].some((s) => s < 400), `${key} only answered ${[...statuses]}`);
  }
  // And the server still answers, signed in or not.
  assert.equal((await app.fetch("/api/v1/healthcheck")).status, 200);
  const overview = await app.fetch("/", { headers: { cookie: `shm_session=${fix.session}` } });
  assert.equal(overview.status, 200);
  await overview.body?.cancel();
});

/** A loopback port nothing listens on (it was free a moment ago). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

// ---------------------------------------------------------------- a real socket

/** Sends raw bytes on a new connection and reads the whole answer (the server closes it). */
async function rawExchange(port: number, request: Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), 10_000);
  try {
    for (let written = 0; written < request.length;) {
      written += await conn.write(request.subarray(written));
    }
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(16_384);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    return new TextDecoder("latin1").decode(
      chunks.reduce((all, chunk) => new Uint8Array([...all, ...chunk]), new Uint8Array()),
    );
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer or the server */ }
  }
}

/** A request's bytes: `head` is latin-1 text (raw bytes 0x00–0xFF), then the body. */
function rawRequest(head: string, body = ""): Uint8Array {
  return Uint8Array.from(`${head}\r\n\r\n${body}`, (char) => char.charCodeAt(0) & 0xff);
}

/** Status and lower-cased headers of a raw answer. */
function parseAnswer(raw: string): { status: number; headers: Map<string, string[]> } {
  const [head = ""] = raw.split("\r\n\r\n");
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status: Number(statusLine.split(" ")[1]), headers };
}

/** `next` values as they travel in a request target: percent-encoded, or raw bytes. */
const CRAFTED_NEXT = [
  ...Array.from({ length: 32 }, (_, c) => `/%${c.toString(16).padStart(2, "0")}`),
  "/%7F",
  "/%C2%85",
  "%2F%09%2Fevil.example",
  "%2F%0D%0ASet-Cookie:%20x=1",
  "//evil.example",
  "/%5Cevil.example",
  "https://evil.example/",
  "/%E2%80%AE",
  "/%ED%A0%80",
  "/%FF",
  "/\xe7\x94\x9f",
  "/\x80\xff",
  "/\x0b",
  "/\x7f",
];

Deno.test("route fuzz, real socket: crafted next values of a sign-in never crash the process", async () => {
  await using server = await startServer({
    env: { SHM_ADMIN_USER: "alice", SHM_ADMIN_PASSWORD: "alice-password-1" },
  });
  const form = await fetch(`${server.url}/login`);
  await form.body?.cancel();
  const csrf = /shm_login_csrf=([^;]+)/.exec(form.headers.get("set-cookie") ?? "")?.[1];
  assert.ok(csrf);
  const signIn = (next: string) =>
    rawRequest(
      [
        `POST /login?next=${next} HTTP/1.1`,
        "Host: 127.0.0.1",
        "Content-Type: application/x-www-form-urlencoded",
        `Cookie: shm_login_csrf=${csrf}`,
        `Content-Length: ${`_csrf=${csrf}&username=alice&password=alice-password-1`.length}`,
        "Connection: close",
      ].join("\r\n"),
      `_csrf=${csrf}&username=alice&password=alice-password-1`,
    );

  const first = parseAnswer(await rawExchange(server.port, signIn("%2Fapps")));
  assert.equal(first.status, 303);
  const session = /shm_session=([^;]+)/.exec((first.headers.get("set-cookie") ?? []).join("\n"))
    ?.[1];
  assert.ok(session);

  const survived = async (what: string) => {
    const health = await fetch(`${server.url}/api/v1/healthcheck`);
    assert.equal(health.status, 200, `the process answers after ${what}`);
    await health.body?.cancel();
  };
  for (const next of CRAFTED_NEXT) {
    const head = [
      `GET /login?next=${next} HTTP/1.1`,
      "Host: 127.0.0.1",
      `Cookie: shm_session=${session}`,
      "Connection: close",
    ].join("\r\n");
    const answer = parseAnswer(await rawExchange(server.port, rawRequest(head)));
    const label = `GET /login?next=${JSON.stringify(next)} answered ${answer.status}`;
    assert.ok(answer.status >= 200 && answer.status < 500, label);
    for (const location of answer.headers.get("location") ?? []) {
      assert.match(location, SAFE_LOCATION, label);
    }
    await survived(label);
  }
  // The password is checked each time (a slow hash): a few of them through the sign-in itself.
  const signedIn = parseAnswer(
    await rawExchange(
      server.port,
      signIn("%2Fapps%2Fx%2Finstances%3Fenvironment%3D%E7%94%9F%E4%BA%A7"),
    ),
  );
  assert.equal(signedIn.status, 303);
  assert.deepEqual(signedIn.headers.get("location"), [
    "/apps/x/instances?environment=%E7%94%9F%E4%BA%A7",
  ]);
  assert.match((signedIn.headers.get("set-cookie") ?? []).join("\n"), /shm_session=/);
  const signIns: [string, string][] = [
    ["/%0B", "/"],
    ["%2F%09%2Fevil.example", "/"],
    // Raw UTF-8 in the request target is read as the path it spells, and encoded.
    ["/\xe7\x94\x9f", "/%E7%94%9F"],
  ];
  for (const [next, expected] of signIns) {
    const answer = parseAnswer(await rawExchange(server.port, signIn(next)));
    const label = `POST /login?next=${JSON.stringify(next)} answered ${answer.status}`;
    assert.ok(answer.status < 500, label);
    if (answer.status === 303) {
      assert.deepEqual(answer.headers.get("location"), [expected], label);
      assert.match((answer.headers.get("set-cookie") ?? []).join("\n"), /shm_session=/, label);
    }
    await survived(label);
  }
  // Odd Host, cookie and forwarding bytes on a page, a badge and the API.
  for (const path of ["/", "/apps/fuzz-app", "/badge/%00/version", "/api/v1/admin/stats"]) {
    for (const host of ["", "a b", "evil.example:99999", "[::1", "\x7f", "x".repeat(4000)]) {
      const head = [
        `GET ${path} HTTP/1.1`,
        `Host: ${host}`,
        `Cookie: shm_session=${session}; junk=\x01\xff`,
        "X-Forwarded-For: \xff, 1.2.3.4",
        "Origin: null",
        "Connection: close",
      ].join("\r\n");
      const answer = parseAnswer(await rawExchange(server.port, rawRequest(head)));
      assert.ok(answer.status < 500, `${path} with Host ${JSON.stringify(host.slice(0, 20))}`);
    }
  }
  await survived("every crafted request");
  const faults = server.lines.filter((line) =>
    line["level"] === "error" || /panic/i.test(String(line["text"] ?? ""))
  );
  assert.deepEqual(faults, [], "no fault and no panic was logged");
});
