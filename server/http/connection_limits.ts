/** Counting open connections, in total and per client address, against their caps. */

/** Why a connection was refused, or that it may stay. */
export type ConnectionDecision =
  | { readonly kind: "admitted" }
  | { readonly kind: "over_total"; readonly limit: number }
  | { readonly kind: "over_address"; readonly limit: number };

/**
 * Admits connections while fewer than `maxTotal` are open in all and fewer
 * than `maxPerAddress` from the connecting address (0 turns the per-address
 * cap off). Every admitted connection must be released exactly once; memory
 * holds one entry per address with a connection open, nothing more.
 */
export class ConnectionLimits {
  #maxTotal: number;
  readonly #maxPerAddress: number;
  readonly #byAddress = new Map<string, number>();
  #open = 0;

  constructor(options: { maxTotal: number; maxPerAddress: number }) {
    for (const [name, value] of Object.entries(options)) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new RangeError(`Cannot limit connections with ${name} ${value}`);
      }
    }
    if (options.maxTotal < 1) throw new RangeError("Cannot limit connections to none at all");
    this.#maxTotal = options.maxTotal;
    this.#maxPerAddress = options.maxPerAddress;
  }

  /** Admits a connection from `address` (and counts it), or says which cap refuses it. */
  admit(address: string): ConnectionDecision {
    if (this.#open >= this.#maxTotal) return { kind: "over_total", limit: this.#maxTotal };
    const fromAddress = this.#byAddress.get(address) ?? 0;
    if (this.#maxPerAddress > 0 && fromAddress >= this.#maxPerAddress) {
      return { kind: "over_address", limit: this.#maxPerAddress };
    }
    this.#open++;
    this.#byAddress.set(address, fromAddress + 1);
    return { kind: "admitted" };
  }

  /** Forgets one admitted connection from `address`. */
  release(address: string): void {
    const fromAddress = this.#byAddress.get(address);
    if (fromAddress === undefined) return;
    this.#open--;
    if (fromAddress <= 1) this.#byAddress.delete(address);
    else this.#byAddress.set(address, fromAddress - 1);
  }

  /** Lowers the total cap to `maxTotal` (never raises it); open connections stay open. */
  lowerTotal(maxTotal: number): void {
    if (Number.isSafeInteger(maxTotal) && maxTotal >= 1) {
      this.#maxTotal = Math.min(this.#maxTotal, maxTotal);
    }
  }

  /** The total cap now. */
  get maxTotal(): number {
    return this.#maxTotal;
  }

  /** Connections open now. */
  get open(): number {
    return this.#open;
  }

  /** Addresses with at least one connection open now. */
  get addresses(): number {
    return this.#byAddress.size;
  }
}

/**
 * The cap to keep once accepting failed for want of file descriptors with
 * `open` connections open: a little below, so that a refused connection can
 * still be accepted to be told 503, and the database and the logs keep room.
 */
export function capAfterRunningOutOfFiles(open: number): number {
  return Math.max(1, open - Math.min(64, Math.floor(open / 4)));
}

/** Whether an accept error means the process or the system has no file descriptor left. */
export function isOutOfFiles(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /os error 2[34]\b|too many open files/i.test(message);
}

/** The client's address as the handler sees it: IPv4-mapped IPv6 addresses as plain IPv4. */
export function clientAddress(addr: Deno.Addr): string {
  const hostname = "hostname" in addr ? addr.hostname : "unknown";
  return hostname.toLowerCase().startsWith("::ffff:") && hostname.includes(".")
    ? hostname.slice(7)
    : hostname;
}

/**
 * The key a connection is counted under: an IPv4 address as it is, an IPv6
 * address by its /64 network (one host owns a whole /64, so counting single
 * IPv6 addresses would cap nothing).
 */
export function addressKey(address: string): string {
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.toLowerCase().split("::", 2);
  const front = head === "" ? [] : head.split(":");
  const back = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined
    ? front
    : [...front, ...Array(Math.max(0, 8 - front.length - back.length)).fill("0"), ...back];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return address;
  return `${groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16)).join(":")}::/64`;
}
