/**
 * The last known badge figures of every accept loop, shared over a
 * `BroadcastChannel`: what one loop computed, each loop can answer with
 * while the store cannot be read.
 */

import type { LastKnownShare } from "../stats/mod.ts";
import { openLoopChannel } from "./loop_channel.ts";

/** A share of last known figures that can be closed. */
export interface LastKnownChannel extends LastKnownShare {
  /** Stops sending and receiving; safe to call twice. */
  close(): void;
}

/** What travels on the channel. */
interface FigureMessage {
  readonly key: string;
  readonly value: unknown;
}

/**
 * Joins the channel `name`, which the loops of one server share (and no
 * other server in the process: the name is the server's own). A message that
 * is not a figure is ignored.
 */
export function openLastKnownChannel(name: string): LastKnownChannel {
  const channel = openLoopChannel(name, figureMessage);
  return {
    publish: (key, value) => channel.publish({ key, value }),
    subscribe: (receive) => channel.subscribe(({ key, value }) => receive(key, value)),
    close: () => channel.close(),
  };
}

function figureMessage(message: unknown): FigureMessage | null {
  if (
    typeof message === "object" && message !== null && "key" in message &&
    typeof message.key === "string" && "value" in message
  ) {
    return { key: message.key, value: message.value };
  }
  return null;
}
