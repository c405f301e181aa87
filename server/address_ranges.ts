/**
 * Address ranges in CIDR notation, IPv4 and IPv6, and whether a peer's
 * address falls in one: which proxies the server believes (`SHM_AUTH_PROXY_TRUSTED`), read by
 * `config.ts` and checked for each request by `server/http/proxy_auth.ts`.
 * An IPv4 address seen as IPv6 (`::ffff:192.0.2.1`) matches its IPv4 range.
 */

/** One address range: its family, its bytes and how many leading bits count. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly bits: number;
}

/**
 * Parses a comma-separated list of ranges (`10.0.0.0/8, fd00::/8`; an
 * address alone is itself only). Throws a TypeError naming the first entry
 * that is not a range.
 */
export function parseCidrList(text: string): Cidr[] {
  return text.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "").map(
    (entry) => {
      const cidr = parseCidr(entry);
      if (cidr === null) {
        throw new TypeError(
          `"${entry.slice(0, 60)}" is not an address range such as 10.0.0.0/8 or fd00::/8`,
        );
      }
      return cidr;
    },
  );
}

/** Whether `address` (as the socket reports it) is in one of `ranges`; false for anything unparsable. */
export function inRanges(address: string, ranges: readonly Cidr[]): boolean {
  const parsed = parseAddress(address.replace(/^\[|\]$/g, "").replace(/%.*$/, ""));
  if (parsed === null) return false;
  const v4 = parsed.family === 6 && isMappedV4(parsed.bytes)
    ? { family: 4 as const, bytes: parsed.bytes.slice(12) }
    : null;
  return ranges.some((range) => contains(range, parsed) || (v4 !== null && contains(range, v4)));
}

function contains(range: Cidr, address: { family: 4 | 6; bytes: Uint8Array }): boolean {
  if (range.family !== address.family) return false;
  for (let bit = 0; bit < range.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    const index = Math.floor(bit / 8);
    if (((range.bytes[index] ?? 0) & mask) !== ((address.bytes[index] ?? 0) & mask)) return false;
  }
  return true;
}

function parseCidr(entry: string): Cidr | null {
  const [addressText = "", bitsText, extra] = entry.split("/");
  if (extra !== undefined) return null;
  const address = parseAddress(addressText);
  if (address === null) return null;
  const max = address.family === 4 ? 32 : 128;
  if (bitsText === undefined) return { ...address, bits: max };
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) return null;
  return { ...address, bits: Number(bitsText) };
}

function parseAddress(text: string): { family: 4 | 6; bytes: Uint8Array } | null {
  const v4 = parseV4(text);
  if (v4 !== null) return { family: 4, bytes: v4 };
  const v6 = parseV6(text);
  return v6 === null ? null : { family: 6, bytes: v6 };
}

function parseV4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return null;
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseV6(text: string): Uint8Array | null {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseV4(part);
        if (v4 === null) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(part)) return null;
        out.push(parseInt(part, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] ?? "");
  const tail = halves.length === 2 ? groups(halves[1] ?? "") : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

function isMappedV4(bytes: Uint8Array): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}
