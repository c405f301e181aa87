/**
 * Property tests of the instance endpoints (protocol.md "Errors": no input,
 * however malformed, produces a 500, and no refused request leaves a trace).
 * Bodies are arbitrary JSON, text and bytes, validly signed where the
 * endpoint wants a signature, with arbitrary header values besides.
 */

import assert from "node:assert/strict";
import { fc } from "./support/dev_deps.ts";
import { setInstanceStatus } from "../server/store/mod.ts";
import { openTestApp, storeFingerprint, type TestApp } from "./support/app.ts";
import { TestInstance } from "./support/instance_client.ts";

const RUNS = 150;
const MINUTE = 60_000;
const DAY = 86_400_000;
const encoder = new TextEncoder();

type Endpoint = "/v1/register" | "/v1/activate" | "/v1/snapshot";

/** The statuses each endpoint may answer (rate limits are off and the store is up here). */
const STATUSES: Record<Endpoint, readonly number[]> = {
  "/v1/register": [200, 201, 400, 403, 409, 413],
  "/v1/activate": [200, 400, 401, 403, 413],
  "/v1/snapshot": [202, 400, 401, 403, 409, 413],
};

// ---------------------------------------------------------------- arbitraries

/** A header value `Headers` accepts: bytes 0x01–0xFF without CR or LF. */
const headerValue = fc.string({
  unit: fc.integer({ min: 1, max: 255 }).filter((c) => c !== 10 && c !== 13).map((c) =>
    String.fromCharCode(c)
  ),
  maxLength: 160,
});

const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) =>
    Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")
  );

/** Text as an SDK might send it, or not: any code points, lone surrogates, NUL, blanks, JSON. */
const textish = (max: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: "binary", maxLength: max + 10 }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: max + 10 }) },
    { weight: 1, arbitrary: fc.constantFrom("", " ", "\u0000", "a\ud800b", "x".repeat(max)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );

/** Any body: JSON of any type (objects often), any text, any bytes. */
const anyBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.jsonValue().map((v) => encoder.encode(JSON.stringify(v))),
  fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })).map((v) =>
    encoder.encode(JSON.stringify(v))
  ),
  fc.string({ unit: "binary", maxLength: 300 }).map((s) => encoder.encode(s)),
  fc.uint8Array({ maxLength: 600 }),
);

/** Headers besides the signature ones, each present or not, any value. */
const otherHeaders: fc.Arbitrary<Record<string, string>> = fc.record({
  "content-type": fc.oneof(fc.constant("application/json"), headerValue),
  "content-length": fc.oneof(fc.nat({ max: 70_000 }).map(String), headerValue),
  "x-forwarded-for": headerValue,
  "authorization": headerValue,
}, { requiredKeys: [] });

/** What goes in X-Instance-ID: the signer's id as is, in another spelling, missing, or anything. */
type IdPick =
  | { kind: "signer" }
  | { kind: "upper" }
  | { kind: "padded" }
  | { kind: "missing" }
  | { kind: "value"; value: string };
const idPick: fc.Arbitrary<IdPick> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<IdPick>({ kind: "signer" }) },
  { weight: 1, arbitrary: fc.constant<IdPick>({ kind: "upper" }) },
  { weight: 1, arbitrary: fc.constant<IdPick>({ kind: "padded" }) },
  { weight: 1, arbitrary: fc.constant<IdPick>({ kind: "missing" }) },
  { weight: 1, arbitrary: fc.uuid().map((value): IdPick => ({ kind: "value", value })) },
  { weight: 1, arbitrary: headerValue.map((value): IdPick => ({ kind: "value", value })) },
);

/** What goes in X-Signature: a valid signature of the body, missing, or anything. */
type SignaturePick = { kind: "valid" } | { kind: "missing" } | { kind: "value"; value: string };
const signaturePick: fc.Arbitrary<SignaturePick> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<SignaturePick>({ kind: "valid" }) },
  { weight: 1, arbitrary: fc.constant<SignaturePick>({ kind: "missing" }) },
  { weight: 1, arbitrary: hex(64).map((value): SignaturePick => ({ kind: "value", value })) },
  { weight: 1, arbitrary: headerValue.map((value): SignaturePick => ({ kind: "value", value })) },
);

/** Where a generated timestamp lies, relative to the clock at the time it is sent. */
interface NearTimestamp {
  readonly offsetMs: number;
  readonly digits: number;
  readonly zone: { sign: number; hours: number; minutes: number } | null;
  readonly leap: boolean;
}

/**
 * An RFC 3339 timestamp near now (mostly within minutes, at most 8 days back or 10 minutes ahead), with
 * 0–9 fraction digits, any offset from -23:59 to +23:59 or Z, sometimes a leap
 * second; or any other string or JSON value. Rendered by {@linkcode renderTimestamp}.
 */
const timestampish: fc.Arbitrary<{ near: NearTimestamp } | { raw: unknown }> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      offsetMs: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: -10 * MINUTE, max: 6 * MINUTE }) },
        { weight: 1, arbitrary: fc.integer({ min: -8 * DAY, max: 10 * MINUTE }) },
      ),
      digits: fc.integer({ min: 0, max: 9 }),
      zone: fc.option(
        fc.record({
          sign: fc.constantFrom(1, -1),
          hours: fc.integer({ min: 0, max: 23 }),
          minutes: fc.integer({ min: 0, max: 59 }),
        }),
        { freq: 3 },
      ),
      leap: fc.boolean(),
    }).map((near) => ({ near })),
  },
  { weight: 1, arbitrary: fc.string().map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }).map((raw) => ({ raw })) },
);

function renderTimestamp(spec: { near: NearTimestamp } | { raw: unknown }, now: Date): unknown {
  if (!("near" in spec)) return spec.raw;
  const { offsetMs, digits, zone, leap } = spec.near;
  const zoneMs = zone === null ? 0 : zone.sign * (zone.hours * 60 + zone.minutes) * MINUTE;
  // The local time at that offset, as YYYY-MM-DDTHH:MM:SS.mmmZ.
  const local = new Date(now.getTime() + offsetMs + zoneMs).toISOString();
  const seconds = leap ? "60" : local.slice(17, 19);
  const fraction = digits === 0
    ? ""
    : `.${local.slice(20, 23).padEnd(digits, "7").slice(0, digits)}`;
  const pad = (n: number) => String(n).padStart(2, "0");
  const offset = zone === null
    ? "Z"
    : `${zone.sign < 0 ? "-" : "+"}${pad(zone.hours)}:${pad(zone.minutes)}`;
  return `${local.slice(0, 17)}${seconds}${fraction}${offset}`;
}

/** The optional signed metadata of a snapshot: mostly plain text, sometimes anything. */
const metadataish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 50 }) },
  { weight: 1, arbitrary: textish(50) },
);

/** A metrics key: mostly within the protocol's pattern, sometimes anything. */
const metricKey = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 70 }) },
  { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "a.b", "a..b", ".", "") },
);

/** A metrics value: numbers of every kind (NaN and ±Infinity become null in JSON), text, nesting. */
const metricValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.double(),
    fc.integer(),
    fc.constantFrom(1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, -0),
    fc.boolean(),
    fc.constant(null),
    fc.string({ unit: "binary", maxLength: 300 }),
    fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
    fc.dictionary(metricKey, tie("value"), { maxKeys: 4 }),
  ),
})).value;

const metricsish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(metricKey, metricValue, { maxKeys: 12 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

// ---------------------------------------------------------------- checks

/**
 * Checks an answer: a status the endpoint may give, a JSON body, and either
 * the endpoint's success shape or the protocol's error shape. Returns the status.
 */
async function checkAnswer(path: Endpoint, response: Response): Promise<number> {
  const text = await response.text();
  const label = `${path} answered ${response.status}: ${text.slice(0, 300)}`;
  assert.ok(STATUSES[path].includes(response.status), label);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/, label);
  const body = JSON.parse(text);
  if (response.status >= 400) {
    assert.deepEqual(Object.keys(body), ["error"], label);
    assert.deepEqual(Object.keys(body.error).sort(), ["code", "message"], label);
    assert.match(body.error.code, /^[a-z]+(_[a-z]+)*$/, label);
    assert.equal(typeof body.error.message, "string", label);
    assert.ok(body.error.message.length > 0, label);
  } else if (path === "/v1/register") {
    assert.deepEqual(body, { status: "ok", message: "Registered" }, label);
  } else if (path === "/v1/activate") {
    assert.deepEqual(body, { status: "active", message: "Instance activated successfully" }, label);
  } else {
    const { dropped, ...rest } = body;
    assert.deepEqual(rest, { status: "ok", message: "Snapshot received" }, label);
    if (dropped !== undefined) {
      assert.ok(Array.isArray(dropped) && dropped.length > 0, label);
      for (const entry of dropped) assert.match(entry, /^.+: .+$/, label);
    }
  }
  return response.status;
}

/** Posts `body` with `headers`; checks the answer; a refused request must leave the store as it was. */
async function postAndCheck(
  app: TestApp,
  path: Endpoint,
  body: Uint8Array,
  headers: Record<string, string>,
): Promise<number> {
  const before = await storeFingerprint(app.db);
  const response = await app.fetch(path, {
    method: "POST",
    headers,
    body: body as Uint8Array<ArrayBuffer>,
  });
  const status = await checkAnswer(path, response);
  if (status >= 400) {
    assert.deepEqual(await storeFingerprint(app.db), before, `${path} ${status} changed the store`);
  }
  return status;
}

/** The signature headers a pick stands for, signed by `signer` over `body`. */
async function signatureHeaders(
  signer: TestInstance,
  body: Uint8Array,
  id: IdPick,
  signature: SignaturePick,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  switch (id.kind) {
    case "signer":
      headers["x-instance-id"] = signer.instanceId;
      break;
    case "upper":
      headers["x-instance-id"] = signer.instanceId.toUpperCase();
      break;
    case "padded":
      headers["x-instance-id"] = ` ${signer.instanceId}\t`;
      break;
    case "value":
      headers["x-instance-id"] = id.value;
      break;
  }
  if (signature.kind === "valid") headers["x-signature"] = await signer.sign(body);
  if (signature.kind === "value") headers["x-signature"] = signature.value;
  return headers;
}

/** A test app with a pending instance and a revoked one, both able to sign. */
async function fixture(app: TestApp) {
  const pending = await TestInstance.create();
  assert.equal((await app.send(pending.registerRequest())).status, 201);
  const revoked = await TestInstance.create();
  assert.equal((await app.send(revoked.registerRequest())).status, 201);
  assert.equal((await app.send(await revoked.activateRequest())).status, 200);
  assert.ok(await setInstanceStatus(app.db, revoked.instanceId, "revoked"));
  return { signers: [pending, revoked] as const };
}

/** Counts statuses seen, so that a property that never reaches past the first check shows. */
function tally(): { seen: Map<number, number>; note(status: number): void } {
  const seen = new Map<number, number>();
  return { seen, note: (status) => seen.set(status, (seen.get(status) ?? 0) + 1) };
}

// ---------------------------------------------------------------- properties

Deno.test("fuzz register: any body and headers get a protocol status and shape; refusals change nothing", async () => {
  await using app = await openTestApp();
  await fixture(app);
  const statuses = tally();
  await fc.assert(
    fc.asyncProperty(
      anyBody,
      otherHeaders,
      fc.option(fc.oneof(hex(64), headerValue)),
      async (body, headers, signature) => {
        statuses.note(
          await postAndCheck(app, "/v1/register", body, {
            ...headers,
            ...(signature === null ? {} : { "x-signature": signature }),
          }),
        );
      },
    ),
    { numRuns: RUNS },
  );
  assert.ok(statuses.seen.has(400), `statuses seen: ${[...statuses.seen]}`);
});

Deno.test("fuzz register: registration-shaped bodies with arbitrary fields never 500; refusals change nothing", async () => {
  await using app = await openTestApp();
  const { signers } = await fixture(app);
  const [known] = signers;
  const statuses = tally();
  const body = fc.record({
    instance_id: fc.oneof(
      { weight: 3, arbitrary: fc.uuid() },
      { weight: 2, arbitrary: fc.constantFrom(known.instanceId, known.instanceId.toUpperCase()) },
      { weight: 1, arbitrary: textish(40) },
    ),
    public_key: fc.oneof(
      { weight: 3, arbitrary: hex(32) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(known.publicKeyHex, known.publicKeyHex.toUpperCase()),
      },
      { weight: 1, arbitrary: textish(70) },
    ),
    app_name: textish(100),
    app_version: textish(50),
    deployment_mode: textish(50),
    environment: textish(50),
    os_arch: textish(50),
  }, { requiredKeys: ["instance_id", "public_key", "app_name", "app_version"] });
  await fc.assert(
    fc.asyncProperty(
      body,
      fc.integer({ min: 0, max: 2 }),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant("none" as const) },
        { weight: 2, arbitrary: fc.constant("known" as const) },
        { weight: 1, arbitrary: headerValue },
      ),
      otherHeaders,
      async (fields, indent, signature, headers) => {
        const bytes = encoder.encode(JSON.stringify(fields, null, indent));
        const signed = signature === "none"
          ? {}
          : { "x-signature": signature === "known" ? await known.sign(bytes) : signature };
        // A declared length over the limit would stop every one of these bodies at 413.
        const { "content-length": _declared, ...rest } = headers;
        statuses.note(await postAndCheck(app, "/v1/register", bytes, { ...rest, ...signed }));
      },
    ),
    { numRuns: RUNS },
  );
  assert.ok(statuses.seen.has(201) && statuses.seen.has(400), `statuses: ${[...statuses.seen]}`);
});

for (const path of ["/v1/activate", "/v1/snapshot"] as const) {
  Deno.test(`fuzz ${path}: any validly signed body, any headers, gets a protocol status and shape; refusals change nothing`, async () => {
    await using app = await openTestApp();
    const { signers } = await fixture(app);
    const statuses = tally();
    await fc.assert(
      fc.asyncProperty(
        anyBody,
        fc.constantFrom(0, 0, 0, 1),
        idPick,
        signaturePick,
        otherHeaders,
        async (body, signerIndex, id, signature, headers) => {
          const signer = signers[signerIndex] ?? signers[0];
          const signing = await signatureHeaders(signer, body, id, signature);
          statuses.note(await postAndCheck(app, path, body, { ...headers, ...signing }));
        },
      ),
      { numRuns: RUNS },
    );
    assert.ok(statuses.seen.has(400) && statuses.seen.has(403), `statuses: ${[...statuses.seen]}`);
    if (path === "/v1/activate") {
      assert.ok(statuses.seen.has(200), `statuses: ${[...statuses.seen]}`);
    }
  });
}

Deno.test("fuzz snapshot: snapshot-shaped signed bodies with arbitrary timestamps and metrics never 500; refusals change nothing", async () => {
  await using app = await openTestApp();
  const { signers } = await fixture(app);
  const [signer, revoked] = signers;
  const statuses = tally();
  const body = fc.record({
    instance_id: fc.oneof(
      { weight: 8, arbitrary: fc.constant(signer.instanceId) },
      { weight: 1, arbitrary: fc.constant(signer.instanceId.toUpperCase()) },
      { weight: 1, arbitrary: fc.constant(revoked.instanceId) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
    ),
    timestamp: timestampish,
    metrics: metricsish,
    app_version: metadataish,
    environment: metadataish,
    deployment_mode: metadataish,
    os_arch: metadataish,
  }, { requiredKeys: ["instance_id", "timestamp", "metrics"] });
  await fc.assert(
    fc.asyncProperty(body, fc.integer({ min: 0, max: 2 }), async (fields, indent) => {
      // Time moves on between runs, so that later snapshots can be accepted too.
      app.clock.advance(10 * MINUTE);
      const sent = { ...fields, timestamp: renderTimestamp(fields.timestamp, app.clock.now()) };
      const bytes = encoder.encode(JSON.stringify(sent, null, indent));
      const headers = {
        "content-type": "application/json",
        "x-instance-id": signer.instanceId,
        "x-signature": await signer.sign(bytes),
      };
      statuses.note(await postAndCheck(app, "/v1/snapshot", bytes, headers));
    }),
    { numRuns: RUNS },
  );
  assert.ok(statuses.seen.has(202) && statuses.seen.has(400), `statuses: ${[...statuses.seen]}`);
});
