/**
 * The instances' public keys every accept loop learns, shared over a
 * `BroadcastChannel`: a key one loop stored at registration or read from the
 * store is known to the others without a read of theirs, and an instance one
 * loop erased, deleted or revoked is dropped from every loop's cache.
 */

import type { KeyNews, KeyShare } from "../ingest/mod.ts";
import { openLoopChannel } from "./loop_channel.ts";

/** A share of keys that can be closed. */
export interface KeyChannel extends KeyShare {
  /** Stops sending and receiving; safe to call twice. */
  close(): void;
}

/**
 * Joins the channel `name`, which the loops of one server share (and no
 * other server in the process: the name is the server's own). A message that
 * is not news of a key is ignored; the cache checks a key's bytes as it checks
 * any key before using it.
 */
export function openKeyChannel(name: string): KeyChannel {
  return openLoopChannel(name, keyNews);
}

function keyNews(message: unknown): KeyNews | null {
  if (typeof message !== "object" || message === null) return null;
  const { kind, instanceId, publicKey } = message as Record<string, unknown>;
  if (typeof instanceId !== "string") return null;
  if (kind === "gone") return { kind, instanceId };
  if (kind === "key" && publicKey instanceof Uint8Array) return { kind, instanceId, publicKey };
  return null;
}
