/**
 * A small stand-in for the SHM server, for the SDK's unit tests: it speaks
 * the instance side of the protocol (register, activate, snapshot, erase), checks
 * every signature with WebCrypto's own Ed25519 (not the SDK's code), records
 * each request, and can be told to answer otherwise.
 *
 * @module
 */

/** One request as the fake server saw it. */
export interface RecordedRequest {
  readonly path: string;
  readonly headers: Headers;
  readonly body: string;
  /** Whether `X-Signature` verifies over the raw body with the instance's key. */
  readonly signatureValid: boolean;
}

/** Decides an answer; `undefined` lets the fake protocol answer. */
export type Override = (
  request: RecordedRequest,
) => Response | undefined | Promise<Response | undefined>;

/** A running fake server. */
export interface FakeServer extends AsyncDisposable {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the override (or clears it with `undefined`). */
  override(override: Override | undefined): void;
  /** Forgets every instance, as a server with a new database would. */
  forget(): void;
  /** Resolves with the first request (past or future) that `matches`. */
  waitFor(matches: (request: RecordedRequest) => boolean): Promise<RecordedRequest>;
  /** The request bodies sent to `path`, parsed. */
  bodies(path: string): Record<string, unknown>[];
}

interface KnownInstance {
  publicKey: string;
  lastTimestamp: number;
}

/** Starts a fake server on a free port of 127.0.0.1. */
export function startFakeServer(override?: Override): FakeServer {
  const instances = new Map<string, KnownInstance>();
  const requests: RecordedRequest[] = [];
  const waiters: {
    matches: (r: RecordedRequest) => boolean;
    resolve: (r: RecordedRequest) => void;
  }[] = [];
  let current = override;

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      const body = await request.text();
      const signatureValid = await checkSignature(request.headers, body, path, instances);
      const recorded: RecordedRequest = { path, headers: request.headers, body, signatureValid };
      requests.push(recorded);
      for (const waiter of [...waiters]) {
        if (waiter.matches(recorded)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(recorded);
        }
      }
      const answer = await current?.(recorded);
      return answer ?? protocolAnswer(recorded, instances);
    },
  );

  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    override: (next) => {
      current = next;
    },
    forget: () => instances.clear(),
    waitFor(matches) {
      const seen = requests.find(matches);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ matches, resolve }));
    },
    bodies: (path) =>
      requests.filter((r) => r.path === path).map((r) =>
        JSON.parse(r.body) as Record<string, unknown>
      ),
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** A JSON answer. */
export function json(status: number, value: unknown, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

function protocolAnswer(request: RecordedRequest, instances: Map<string, KnownInstance>): Response {
  const body = JSON.parse(request.body) as Record<string, unknown>;
  const id = request.headers.get("X-Instance-ID") ?? "";
  if (request.path === "/v1/register") {
    if (request.headers.has("X-Signature") && !request.signatureValid) {
      return json(403, { error: { code: "bad_signature", message: "bad signature" } });
    }
    const instanceId = String(body.instance_id);
    const known = instances.get(instanceId);
    if (known === undefined) {
      instances.set(instanceId, { publicKey: String(body.public_key), lastTimestamp: 0 });
      return json(201, { status: "ok", message: "Registered" });
    }
    if (known.publicKey !== body.public_key) {
      return json(409, { error: { code: "key_conflict", message: "key conflict" } });
    }
    return json(200, { status: "ok", message: "Registered" });
  }
  const known = instances.get(id);
  if (known === undefined || !request.signatureValid) {
    return json(403, { error: { code: "unknown_instance", message: "unknown instance" } });
  }
  if (request.path === "/v1/activate") {
    return json(200, { status: "active", message: "Instance activated successfully" });
  }
  if (request.path === "/v1/snapshot") {
    if (body.instance_id !== id) return json(403, { error: { code: "id_mismatch", message: "" } });
    const timestamp = Date.parse(String(body.timestamp));
    if (!(timestamp > known.lastTimestamp)) {
      return json(409, { error: { code: "replayed", message: "replayed snapshot" } });
    }
    known.lastTimestamp = timestamp;
    return json(202, { status: "ok", message: "Snapshot received" });
  }
  if (request.path === "/v1/erase") {
    if (body.instance_id !== id) return json(403, { error: { code: "id_mismatch", message: "" } });
    if (body.action !== "erase") {
      return json(400, { error: { code: "invalid_field", message: "" } });
    }
    if (!(Math.abs(Date.parse(String(body.timestamp)) - Date.now()) <= 5 * 60_000)) {
      return json(400, { error: { code: "timestamp_out_of_window", message: "" } });
    }
    instances.delete(id);
    return json(200, { status: "erased" });
  }
  return json(404, { error: { code: "not_found", message: "no such endpoint" } });
}

async function checkSignature(
  headers: Headers,
  body: string,
  path: string,
  instances: Map<string, KnownInstance>,
): Promise<boolean> {
  const signature = headers.get("X-Signature");
  if (signature === null) return false;
  let publicKey: string | undefined;
  if (path === "/v1/register") {
    try {
      publicKey = String((JSON.parse(body) as { public_key?: unknown }).public_key);
    } catch {
      return false;
    }
  } else {
    publicKey = instances.get(headers.get("X-Instance-ID") ?? "")?.publicKey;
  }
  if (publicKey === undefined || !/^[0-9a-f]{64}$/i.test(publicKey)) return false;
  if (!/^[0-9a-f]{128}$/i.test(signature)) return false;
  try {
    const key = await crypto.subtle.importKey("raw", bytes(publicKey), "Ed25519", false, [
      "verify",
    ]);
    return await crypto.subtle.verify(
      "Ed25519",
      key,
      bytes(signature),
      new TextEncoder().encode(body),
    );
  } catch {
    return false;
  }
}

function bytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
