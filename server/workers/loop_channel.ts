/**
 * A `BroadcastChannel` between the accept loops of one server, carrying one
 * kind of message: what is received is checked before it is handed on, and a
 * closed channel sends and receives nothing.
 */

/** A channel of messages `M` between a server's accept loops. */
export interface LoopChannel<M> {
  /** Sends `message` to the other loops on the channel (nothing once closed). */
  publish(message: M): void;
  /** Calls `receive` with each message another loop sends that `read` accepts. */
  subscribe(receive: (message: M) => void): void;
  /** Stops sending and receiving; safe to call twice. */
  close(): void;
}

/**
 * Joins the channel `name`, which the loops of one server share (and no
 * other server in the process: the name is the server's own). `read` turns
 * what arrives into a message, or null for anything else, which is ignored.
 */
export function openLoopChannel<M>(
  name: string,
  read: (data: unknown) => M | null,
): LoopChannel<M> {
  const channel = new BroadcastChannel(name);
  let closed = false;
  return {
    publish(message) {
      if (!closed) channel.postMessage(message);
    },
    subscribe(receive) {
      channel.onmessage = (event: MessageEvent<unknown>) => {
        const message = read(event.data);
        if (message !== null) receive(message);
      };
    },
    close() {
      if (closed) return;
      closed = true;
      channel.close();
    },
  };
}
