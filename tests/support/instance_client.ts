/**
 * A test instance that speaks the protocol byte for byte like the original
 * SHM Node.js SDK: unsigned register, activate with `{"action":"activate"}`,
 * snapshots `{instance_id,timestamp,metrics}` signed over the raw body in hex.
 */

/** A request as it goes on the wire: path, raw body bytes and headers. */
export interface WireRequest {
  readonly path: string;
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
}

/** Sends a wire request; the in-process and the socket tests each give their own. */
export type Send = (request: WireRequest) => Promise<Response>;

/** An instance identity: id and Ed25519 key pair. */
export class TestInstance {
  readonly instanceId: string;
  readonly publicKeyHex: string;
  readonly #privateKey: CryptoKey;

  private constructor(instanceId: string, publicKeyHex: string, privateKey: CryptoKey) {
    this.instanceId = instanceId;
    this.publicKeyHex = publicKeyHex;
    this.#privateKey = privateKey;
  }

  /** Makes a new identity with a random UUID and key pair. */
  static async create(instanceId: string = crypto.randomUUID()): Promise<TestInstance> {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    return new TestInstance(instanceId, toHex(raw), pair.privateKey);
  }

  /** Signs `body` and returns the 128-hex-character signature. */
  async sign(body: Uint8Array | string): Promise<string> {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    const signature = await crypto.subtle.sign(
      { name: "Ed25519" },
      this.#privateKey,
      bytes as Uint8Array<ArrayBuffer>,
    );
    return toHex(new Uint8Array(signature));
  }

  /** The register request the original SDK sends (unsigned). */
  registerRequest(
    options: { appName?: string; appVersion?: string; extra?: Record<string, unknown> } = {},
  ): WireRequest {
    return jsonRequest("/v1/register", {
      instance_id: this.instanceId,
      public_key: this.publicKeyHex,
      app_name: options.appName ?? "Test App",
      app_version: options.appVersion ?? "1.0.0",
      deployment_mode: "standalone",
      environment: "production",
      os_arch: "linux/amd64",
      ...options.extra,
    });
  }

  /** A signed request with `body` (an object, serialised as JSON, or raw text). */
  async signedRequest(path: string, body: unknown): Promise<WireRequest> {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const bytes = new TextEncoder().encode(text);
    return {
      path,
      body: bytes,
      headers: {
        "content-type": "application/json",
        "x-instance-id": this.instanceId,
        "x-signature": await this.sign(bytes),
      },
    };
  }

  /** The activate request the original SDK sends. */
  activateRequest(): Promise<WireRequest> {
    return this.signedRequest("/v1/activate", { action: "activate" });
  }

  /** The snapshot request the original SDK sends, with `timestamp` (default now). */
  snapshotRequest(
    metrics: Record<string, unknown>,
    options: { timestamp?: Date | string; extra?: Record<string, unknown> } = {},
  ): Promise<WireRequest> {
    const timestamp = options.timestamp ?? new Date();
    return this.signedRequest("/v1/snapshot", {
      instance_id: this.instanceId,
      timestamp: typeof timestamp === "string" ? timestamp : timestamp.toISOString(),
      metrics,
      ...options.extra,
    });
  }
}

/** An unsigned JSON request. */
export function jsonRequest(path: string, body: unknown): WireRequest {
  return {
    path,
    body: new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body)),
    headers: { "content-type": "application/json" },
  };
}

/** A `Send` that posts over real HTTP to `baseUrl`. */
export function httpSender(baseUrl: string): Send {
  return (request) =>
    fetch(new URL(request.path, baseUrl), {
      method: "POST",
      headers: request.headers,
      body: request.body as Uint8Array<ArrayBuffer>,
    });
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
