/**
 * protocol.md "Input the server never trusts", case by case: redirect
 * targets, small-order public keys, path and query parameters with NUL and
 * control characters, prototype names, application names, and the security
 * headers of every kind of answer. tests/route_fuzz_test.ts holds the same
 * rules over generated input.
 */

import assert from "node:assert/strict";
import { sql } from "../server/store/mod.ts";
import { storedInstance, storeFingerprint, TEST_ADMIN_TOKEN } from "./support/app.ts";
import { asSignedIn, feedInstance, openDashboard, signIn } from "./support/dashboard.ts";
import { jsonRequest, TestInstance } from "./support/instance_client.ts";

const ADMIN = { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } };

/** The seven y encodings of the small-order points; with the sign bit set, seven more. */
const SMALL_ORDER_KEYS = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].flatMap((
  hex,
) => [hex, `${hex.slice(0, 62)}${(parseInt(hex.slice(62), 16) | 0x80).toString(16)}`]);

/** The signature that verifies for any body by the key `01` followed by 31 zero bytes. */
const FORGED_SIGNATURE = `01${"00".repeat(63)}`;

Deno.test("register: every encoding of a small-order public key is a 400 and stores nothing", async () => {
  await using app = await openDashboard();
  assert.equal(SMALL_ORDER_KEYS.length, 14);
  const before = await storeFingerprint(app.db);
  for (const key of [...SMALL_ORDER_KEYS, SMALL_ORDER_KEYS[1]!.toUpperCase()]) {
    const response = await app.send(jsonRequest("/v1/register", {
      instance_id: crypto.randomUUID(),
      public_key: key,
      app_name: "Small Order",
      app_version: "1.0.0",
    }));
    assert.equal(response.status, 400, key);
    const body = await response.json();
    assert.equal(body.error.code, "invalid_field", key);
    assert.match(body.error.message, /"public_key" as it is a small-order Ed25519 point/, key);
  }
  assert.deepEqual(await storeFingerprint(app.db), before);
});

Deno.test("register: a key off the curve, non-canonical or with a small-order part is a 400", async () => {
  await using app = await openDashboard();
  const real = await TestInstance.create();
  const keys = {
    // y = 2 is the y of no point of the curve.
    offCurve: `02${"00".repeat(31)}`,
    // y = p + 3: the value 3 written non-canonically.
    nonCanonical: `f0${"ff".repeat(30)}7f`,
    // A real key with a point of order 8 added: on the curve, but not in the prime-order group.
    mixedOrder: await mixedOrderKey(real.publicKeyHex),
  };
  const before = await storeFingerprint(app.db);
  for (const [name, key] of Object.entries(keys)) {
    const response = await app.send(jsonRequest("/v1/register", {
      instance_id: crypto.randomUUID(),
      public_key: key,
      app_name: "Odd Keys",
      app_version: "1.0.0",
    }));
    assert.equal(response.status, 400, name);
    const body = await response.json();
    assert.equal(body.error.code, "invalid_field", name);
    assert.match(body.error.message, /not an Ed25519 public key/, name);
  }
  assert.deepEqual(await storeFingerprint(app.db), before);
  assert.equal((await app.send(real.registerRequest())).status, 201, "a real key still registers");
});

/** `publicKeyHex` plus a point of order 8, encoded. */
async function mixedOrderKey(publicKeyHex: string): Promise<string> {
  const ed = await import("@noble/ed25519");
  const orderEight = ed.Point.fromHex(SMALL_ORDER_KEYS[4]!);
  return ed.Point.fromHex(publicKeyHex).add(orderEight).toHex();
}

Deno.test("signed endpoints: an instance already stored with a small-order key cannot sign anything", async () => {
  await using app = await openDashboard();
  const instance = await TestInstance.create();
  assert.equal((await app.send(instance.registerRequest())).status, 201);
  // As a store written before register refused such keys would hold it.
  await app.db.query(sql`
    update instances set public_key = decode(${SMALL_ORDER_KEYS[2]!}, 'hex')
    where instance_id = ${instance.instanceId}::uuid`);
  const before = await storeFingerprint(app.db);
  for (const path of ["/v1/activate", "/v1/snapshot"]) {
    const body = JSON.stringify({
      instance_id: instance.instanceId,
      timestamp: app.clock.now().toISOString(),
      metrics: { users: 1 },
    });
    const response = await app.send({
      path,
      body: new TextEncoder().encode(body),
      headers: {
        "content-type": "application/json",
        "x-instance-id": instance.instanceId,
        "x-signature": FORGED_SIGNATURE,
      },
    });
    assert.equal(response.status, 403, path);
    assert.equal((await response.json()).error.code, "bad_signature", path);
  }
  assert.deepEqual(await storeFingerprint(app.db), before);
  assert.equal((await storedInstance(app.db, instance.instanceId))?.["status"], "pending");
});

Deno.test("register: an app_name with control or bidirectional characters is a 400, as a display name is", async () => {
  await using app = await openDashboard();
  const before = await storeFingerprint(app.db);
  for (
    const name of [
      "tab\there",
      "line\nbreak",
      "nul\u0000",
      "c1\u0085",
      "evil\u202egnp.exe",
      "x\u2066y",
    ]
  ) {
    const instance = await TestInstance.create();
    const response = await app.send(instance.registerRequest({ appName: name }));
    assert.equal(response.status, 400, JSON.stringify(name));
    const body = await response.json();
    assert.equal(body.error.code, "invalid_field");
    assert.match(body.error.message, /"app_name" as it holds a (control|NUL) character/);
  }
  assert.deepEqual(await storeFingerprint(app.db), before);
  const fine = await TestInstance.create();
  assert.equal((await app.send(fine.registerRequest({ appName: "Crème 生产 😀" }))).status, 201);
});

Deno.test("path parameters with NUL or control characters are 404 in each route's shape, before any query", async () => {
  await using app = await openDashboard();
  await feedInstance(app, { appName: "Known App", version: "1.0.0" });
  await app.rollUp();
  const session = await signIn(app);
  const json: [string, string][] = [
    ["/api/v1/admin/applications/%00", "unknown_application"],
    ["/api/v1/admin/applications/%0B/settings", "unknown_application"],
    ["/api/v1/admin/metrics/known%00app", "unknown_application"],
    ["/api/v1/admin/applications/%E2%80%AE", "unknown_application"],
  ];
  for (const [path, code] of json) {
    const response = await app.fetch(path, ADMIN);
    assert.equal(response.status, 404, path);
    assert.equal((await response.json()).error.code, code, path);
  }
  const put = await app.fetch("/api/v1/admin/applications/%00/settings", {
    method: "PUT",
    body: '{"display_name":"x"}',
    ...ADMIN,
  });
  assert.equal(put.status, 404);
  await put.body?.cancel();
  for (
    const path of ["/apps/%00", "/apps/%00/instances", "/apps/%01/settings", "/instances/%00"]
  ) {
    const response = await app.fetch(path, asSignedIn(session));
    assert.equal(response.status, 404, path);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/, path);
    assert.match(await response.text(), /<h1>Not found<\/h1>/, path);
  }
  const badges: [string, number, string][] = [
    ["/badge/%00/version", 404, "unknown app"],
    ["/badge/%00/instances.json", 404, "unknown app"],
    ["/badge/known-app/metric/%00", 200, "invalid metric"],
    ["/badge/known-app/combined?metric=%00", 200, "invalid metric"],
    ["/badge/known-app/instances?label=%00", 200, "invalid label"],
  ];
  for (const [path, status, message] of badges) {
    const response = await app.fetch(path);
    assert.equal(response.status, status, path);
    assert.match(await response.text(), new RegExp(message), path);
  }
  const noisy = app.logs.filter((entry) => entry.level === "warn" || entry.level === "error");
  assert.deepEqual(noisy, [], "a refused parameter logs no fault and no stack trace");
});

Deno.test("query parameters and form fields that cannot be stored are refused before any query", async () => {
  await using app = await openDashboard();
  await feedInstance(app, { appName: "Known App", version: "1.0.0", environment: "生产" });
  await app.rollUp();
  const session = await signIn(app);
  for (const query of ["environment=%00", "version=a%00b", `environment=${"x".repeat(201)}`]) {
    const response = await app.fetch(`/apps/known-app/instances?${query}`, asSignedIn(session));
    assert.equal(response.status, 400, query);
    assert.match(await response.text(), /Cannot filter by/, query);
  }
  const found = await app.fetch(
    `/apps/known-app/instances?environment=${encodeURIComponent("生产")}`,
    asSignedIn(session),
  );
  assert.equal(found.status, 200);
  await found.body?.cancel();
  const admin = await app.fetch("/api/v1/admin/instances?app=%00", ADMIN);
  assert.equal(admin.status, 400);
  assert.equal((await admin.json()).error.code, "invalid_parameter");
  assert.deepEqual(app.logs.filter((entry) => entry.level === "error"), []);
});

Deno.test("prototype names find nothing: assets and notices are looked up in Maps", async () => {
  await using app = await openDashboard();
  const session = await signIn(app);
  for (const name of ["constructor", "toString", "valueOf", "__proto__", "hasOwnProperty"]) {
    const asset = await app.fetch(`/assets/${name}`);
    assert.equal(asset.status, 404, name);
    assert.match(asset.headers.get("content-type") ?? "", /^text\/html/, name);
    await asset.body?.cancel();
    const settings = await app.fetch(`/settings?done=${name}`, asSignedIn(session));
    assert.equal(settings.status, 200, name);
    assert.doesNotMatch(await settings.text(), /class="notice"/, name);
  }
  const real = await app.fetch("/assets/client.js");
  assert.equal(real.status, 200);
  assert.match(real.headers.get("content-type") ?? "", /^text\/javascript/);
  await real.body?.cancel();
});

Deno.test("next: a same-origin path of printable ASCII, percent-encoded when it is a valid path with non-ASCII, else /", async () => {
  await using app = await openDashboard();
  const session = await signIn(app);
  const cases: [string, string][] = [
    ["/%0B", "/"],
    ["%2F%09%2Fevil.example", "/"],
    ["/%0D%0Aset-cookie:x", "/"],
    ["/%00", "/"],
    ["//evil.example", "/"],
    ["/%5Cevil.example", "/"],
    ["https://evil.example/", "/"],
    [
      "%2Fapps%2Fx%2Finstances%3Fenvironment%3D%E7%94%9F%E4%BA%A7",
      "/apps/x/instances?environment=%E7%94%9F%E4%BA%A7",
    ],
    ["%2Fapps%2Fa%3Fperiod%3D7d", "/apps/a?period=7d"],
  ];
  for (const [next, location] of cases) {
    const response = await app.fetch(`/login?next=${next}`, asSignedIn(session));
    assert.equal(response.status, 303, next);
    assert.equal(response.headers.get("location"), location, next);
  }
  const page = await app.fetch("/login?next=%2Fapps%2F%E7%94%9F");
  assert.match(await page.text(), /action="\/login\?next=%2Fapps%2F%25E7%2594%259F"/);
});

Deno.test("headers: admin JSON is no-store and nosniff; pages refuse framing; badges keep public caching", async () => {
  await using app = await openDashboard();
  await feedInstance(app, { appName: "Known App", version: "1.0.0" });
  await app.rollUp();
  const session = await signIn(app);
  const noStore = [
    await app.fetch("/api/v1/admin/stats", ADMIN),
    await app.fetch("/api/v1/admin/applications/nope", ADMIN),
    await app.fetch("/api/v1/admin/stats"),
    await app.fetch("/api/v1/healthcheck"),
    await app.fetch("/nothing-here"),
    await app.fetch("/apps/known-app"),
  ];
  for (const response of noStore) {
    const label = `${response.url} ${response.status}`;
    assert.equal(response.headers.get("cache-control"), "no-store", label);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff", label);
    assert.equal(response.headers.get("x-frame-options"), "DENY", label);
    assert.equal(response.headers.get("referrer-policy"), "same-origin", label);
    assert.match(response.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    await response.body?.cancel();
  }
  const page = await app.fetch("/", asSignedIn(session));
  assert.equal(page.headers.get("cache-control"), "no-store");
  assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  await page.body?.cancel();
  const badge = await app.fetch("/badge/known-app/instances");
  assert.equal(badge.headers.get("cache-control"), "public, max-age=300");
  assert.equal(badge.headers.get("x-content-type-options"), "nosniff");
  await badge.body?.cancel();
});
