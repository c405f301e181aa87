/**
 * Webhook URLs are hostile: what one may be (http or https, no credentials,
 * a bounded length), and, unless `SHM_ALERT_PRIVATE_WEBHOOKS` allows them,
 * that it names no private, loopback, link-local or otherwise internal
 * address, checked on the literal address when the rule is made and on
 * every address the name resolves to before each delivery.
 */

import { ClientError } from "../errors.ts";

/** Longest webhook URL taken. */
export const MAX_WEBHOOK_URL_LENGTH = 2000;

/**
 * Reads a webhook URL an operator gave; throws a 400 `invalid_alert` for
 * anything but an absolute http(s) URL of at most 2,000 characters without
 * a user name or password, or (when private webhooks are refused) one whose
 * host is `localhost` or a literal internal address.
 */
export function readWebhookUrl(
  value: unknown,
  options: { allowPrivateWebhooks: boolean },
): string {
  const refuse = (why: string) =>
    new ClientError(
      400,
      "invalid_alert",
      `Cannot use "webhook_url" as ${why}: current value is ${
        (JSON.stringify(value ?? null) ?? "null").slice(0, 120)
      }`,
    );
  if (typeof value !== "string" || value.length > MAX_WEBHOOK_URL_LENGTH) {
    throw refuse(`it must be a URL of at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse("it is not an absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw refuse("only http and https URLs are taken");
  }
  if (url.username !== "" || url.password !== "") {
    throw refuse("a URL may not carry a user name or password (put a secret in its path)");
  }
  if (!options.allowPrivateWebhooks) {
    const host = bareHost(url.hostname);
    if (host === "localhost" || host.endsWith(".localhost") || isInternalAddress(host)) {
      throw refuse(
        "it names an internal address, refused unless SHM_ALERT_PRIVATE_WEBHOOKS=true",
      );
    }
  }
  return url.href;
}

/**
 * Why a delivery to `url` must not be sent now, or null when it may: with
 * private webhooks refused, every address its host resolves to (A and AAAA)
 * must be public (else `final`: trying again will not help), and a host
 * that resolves to none now is refused too (not final: DNS may answer
 * later). `resolve` is `Deno.resolveDns` unless a test passes another.
 */
export async function webhookTargetRefusal(
  url: URL,
  options: {
    allowPrivateWebhooks: boolean;
    resolve?: (host: string, type: "A" | "AAAA") => Promise<string[]>;
  },
): Promise<{ readonly why: string; readonly final: boolean } | null> {
  if (options.allowPrivateWebhooks) return null;
  const host = bareHost(url.hostname);
  if (host === "localhost" || host.endsWith(".localhost")) {
    return { why: `${host} is internal`, final: true };
  }
  if (isIpAddress(host)) {
    return isInternalAddress(host) ? { why: `${host} is an internal address`, final: true } : null;
  }
  const resolve = options.resolve ?? ((name, type) => Deno.resolveDns(name, type));
  const addresses = (await Promise.all(
    (["A", "AAAA"] as const).map((type) => resolve(host, type).catch(() => [] as string[])),
  )).flat();
  if (addresses.length === 0) return { why: `${host} resolves to no address`, final: false };
  const internal = addresses.find(isInternalAddress);
  return internal === undefined
    ? null
    : { why: `${host} resolves to the internal address ${internal}`, final: true };
}

/**
 * Whether `address` (an IPv4 or IPv6 literal) is not a public unicast
 * address: unspecified, loopback, private (10/8, 172.16/12, 192.168/16,
 * fc00::/7), carrier-grade NAT (100.64/10), link-local (169.254/16,
 * fe80::/10), benchmarking, documentation, multicast, reserved, or an
 * IPv4-mapped or translated IPv6 address of one of those. Not an address: false.
 */
export function isInternalAddress(address: string): boolean {
  const v4 = ipv4Bytes(address);
  if (v4 !== null) return internalV4(v4);
  const v6 = ipv6Words(address);
  if (v6 === null) return false;
  const [a = 0, b = 0, , , , f = 0, g = 0, h = 0] = v6;
  if (v6.slice(0, 6).every((w) => w === 0) && (g !== 0 || h > 1)) {
    return internalV4([g >> 8, g & 255, h >> 8, h & 255]); // IPv4-compatible
  }
  if (v6.slice(0, 5).every((w) => w === 0) && f === 0xffff) {
    return internalV4([g >> 8, g & 255, h >> 8, h & 255]); // IPv4-mapped
  }
  if (a === 0x64 && b === 0xff9b) return internalV4([g >> 8, g & 255, h >> 8, h & 255]); // NAT64
  if (v6.every((w) => w === 0)) return true; // ::
  if (v6.slice(0, 7).every((w) => w === 0) && h === 1) return true; // ::1
  if ((a & 0xfe00) === 0xfc00) return true; // unique local
  if ((a & 0xffc0) === 0xfe80) return true; // link-local
  if ((a & 0xff00) === 0xff00) return true; // multicast
  if (a === 0x2001 && b === 0x0db8) return true; // documentation
  if (a === 0x2001 && b < 0x0200) return true; // protocol assignments (Teredo, benchmarking…)
  if (a === 0x2002) return true; // 6to4 relays to any IPv4 address
  return false;
}

function internalV4([a = 0, b = 0, c = 0]: number[]): boolean {
  return a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 192 && b === 88 && c === 99) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113);
}

function isIpAddress(host: string): boolean {
  return ipv4Bytes(host) !== null || ipv6Words(host) !== null;
}

/** The host without the brackets of an IPv6 literal and without a trailing dot. */
function bareHost(hostname: string): string {
  const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  return host.replace(/\.$/, "").toLowerCase();
}

function ipv4Bytes(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    return null;
  }
  return parts.map(Number);
}

function ipv6Words(text: string): number[] | null {
  if (!text.includes(":")) return null;
  let body = text.replace(/%.*$/, "");
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (tail !== null) {
    const v4 = ipv4Bytes(tail[1]!);
    if (v4 === null) return null;
    body = body.slice(0, -tail[1]!.length) +
      `${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const words = (half: string) => half === "" ? [] : half.split(":");
  const head = words(halves[0]!);
  const rest = halves.length === 2 ? words(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (!all.every((w) => /^[0-9a-f]{1,4}$/i.test(w))) return null;
  return all.map((w) => parseInt(w, 16));
}
