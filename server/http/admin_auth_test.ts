import assert from "node:assert/strict";
import { fc } from "../../tests/support/dev_deps.ts";
import { ConfigError, readConfig } from "../config.ts";
import { ClientError } from "../errors.ts";
import { type BearerCheckOptions, bearerTokenCheck } from "./admin_auth.ts";

const TOKEN = "0123456789abcdef-admin-token";
const NO_ADMIN_TOKEN = "Cannot serve the admin API without authentication (this server has no " +
  "SHM_ADMIN_TOKEN): send Authorization: Bearer <token> with an API token made on the " +
  "dashboard's settings page (/settings), or sign in to the dashboard";
const OFF = "The admin API is off as no SHM_ADMIN_TOKEN is set and no API token exists: set " +
  "SHM_ADMIN_TOKEN (at least 16 characters) and restart the server, or make an API token on " +
  "the dashboard's settings page (/settings)";
const UNAUTHORIZED = "Cannot serve the admin API without a valid token: send Authorization: " +
  "Bearer <token> with SHM_ADMIN_TOKEN or an API token made on the dashboard's settings page " +
  "(/settings), or sign in to the dashboard";

function adminRequest(authorization?: string): Request {
  const headers = new Headers();
  if (authorization !== undefined) headers.set("authorization", authorization);
  return new Request("http://shm.test/api/v1/admin/stats", { headers });
}

/** Returns what `promise` rejects with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection, but the promise resolved");
}

function assertUnauthorized(error: unknown): void {
  assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
  assert.deepEqual(
    { status: error.status, code: error.code, message: error.message, headers: error.headers },
    {
      status: 401,
      code: "unauthorized",
      message: UNAUTHORIZED,
      headers: { "www-authenticate": 'Bearer realm="shm"' },
    },
  );
}

Deno.test("bearerTokenCheck() without a configured token refuses every request with 401 admin_disabled, saying how to authenticate", async () => {
  const cases: [BearerCheckOptions, string][] = [
    [{}, NO_ADMIN_TOKEN],
    [{ apiTokensExist: () => Promise.resolve(true) }, NO_ADMIN_TOKEN],
    [{ apiTokensExist: () => Promise.resolve(false) }, OFF],
  ];
  for (const [options, message] of cases) {
    const check = bearerTokenCheck(null, options);
    for (const header of [undefined, "Bearer anything-at-all-here", "Bearer "]) {
      const error = await rejectionOf(check(adminRequest(header)));
      assert.ok(error instanceof ClientError);
      assert.deepEqual(
        { status: error.status, code: error.code, message: error.message },
        { status: 401, code: "admin_disabled", message },
      );
    }
  }
});

Deno.test("bearerTokenCheck() says the API is off only when asked whether API tokens exist, and none does", async () => {
  let asked = 0;
  const check = bearerTokenCheck(null, {
    apiTokensExist: () => {
      asked++;
      return Promise.resolve(true);
    },
  });
  const error = await rejectionOf(check(adminRequest()));
  assert.ok(error instanceof ClientError);
  assert.doesNotMatch(error.message, /is off/);
  assert.equal(asked, 1);
  const withToken = await rejectionOf(
    bearerTokenCheck(TOKEN, { apiTokensExist: () => Promise.resolve(false) })(adminRequest()),
  );
  assertUnauthorized(withToken);
});

Deno.test("bearerTokenCheck() lets the right token through", async () => {
  const check = bearerTokenCheck(TOKEN);
  assert.equal(await check(adminRequest(`Bearer ${TOKEN}`)), undefined);
});

Deno.test("bearerTokenCheck() reads the Bearer scheme in any case and with extra spaces", async () => {
  const check = bearerTokenCheck(TOKEN);
  for (const header of [`bearer ${TOKEN}`, `BEARER ${TOKEN}`, `Bearer    ${TOKEN}`]) {
    assert.equal(await check(adminRequest(header)), undefined, header);
  }
});

Deno.test("bearerTokenCheck() refuses a request without an Authorization header with 401", async () => {
  assertUnauthorized(await rejectionOf(bearerTokenCheck(TOKEN)(adminRequest())));
});

Deno.test("bearerTokenCheck() refuses a wrong token with 401", async () => {
  const check = bearerTokenCheck(TOKEN);
  for (
    const wrong of [
      "0123456789abcdef-admin-tokem",
      TOKEN.slice(0, -1),
      `${TOKEN}x`,
      TOKEN.toUpperCase(),
      `x${TOKEN}`,
    ]
  ) {
    assertUnauthorized(await rejectionOf(check(adminRequest(`Bearer ${wrong}`))));
  }
});

Deno.test("bearerTokenCheck() refuses malformed Authorization headers with 401", async () => {
  const check = bearerTokenCheck(TOKEN);
  for (
    const header of [
      "",
      "Bearer",
      "Bearer ",
      TOKEN,
      `Basic ${btoa(`admin:${TOKEN}`)}`,
      `Token ${TOKEN}`,
      `Bearer${TOKEN}`,
      `Bearer ${TOKEN} extra`,
      `Bearer ${TOKEN},Bearer ${TOKEN}`,
      `Bearer "${TOKEN}"`,
    ]
  ) {
    assertUnauthorized(await rejectionOf(check(adminRequest(header))));
  }
});

Deno.test("bearerTokenCheck() accepts only the configured token, whatever it is (property)", async () => {
  const token = fc.string({ unit: "grapheme-ascii", minLength: 16, maxLength: 64 })
    .filter((t) => /^\S+$/.test(t));
  await fc.assert(fc.asyncProperty(token, token, async (configured, sent) => {
    const check = bearerTokenCheck(configured);
    assert.equal(await check(adminRequest(`Bearer ${configured}`)), undefined);
    if (sent !== configured) {
      assertUnauthorized(await rejectionOf(check(adminRequest(`Bearer ${sent}`))));
    }
  }));
});

Deno.test("bearerTokenCheck() accepts every admin token the configuration accepts", async () => {
  // Either the configuration refuses such a token, naming it, or the token must work once set.
  for (
    const token of [
      "correct horse battery staple",
      " 0123456789abcdef",
      "0123456789abcdef ",
      "tab\tseparated\ttoken-1234",
    ]
  ) {
    let outcome: unknown;
    try {
      outcome = readConfig({}, (name) => name === "SHM_ADMIN_TOKEN" ? token : undefined);
    } catch (error) {
      outcome = error;
    }
    if (outcome instanceof ConfigError) {
      assert.match(outcome.message, /SHM_ADMIN_TOKEN/, JSON.stringify(token));
      continue;
    }
    assert.ok(!(outcome instanceof Error), String(outcome));
    const check = bearerTokenCheck(token);
    const result = await check(adminRequest(`Bearer ${token}`)).then(
      () => "allowed",
      (error: unknown) => error instanceof ClientError ? error.code : String(error),
    );
    assert.equal(result, "allowed", `configured token ${JSON.stringify(token)} cannot be used`);
  }
});
