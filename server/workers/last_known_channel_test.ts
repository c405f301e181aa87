import assert from "node:assert/strict";
import { openLastKnownChannel } from "./last_known_channel.ts";

/** Resolves with the next figure `channel` receives. */
function nextFigure(channel: ReturnType<typeof openLastKnownChannel>) {
  return new Promise<[string, unknown]>((resolve) => {
    channel.subscribe((key, value) => resolve([key, value]));
  });
}

Deno.test("openLastKnownChannel() carries figures between the loops of one server, not another's", async () => {
  const name = `test-${crypto.randomUUID()}`;
  const sender = openLastKnownChannel(name);
  const receiver = openLastKnownChannel(name);
  const stranger = openLastKnownChannel(`test-${crypto.randomUUID()}`);
  let strangerHeard = false;
  stranger.subscribe(() => strangerHeard = true);
  try {
    const received = nextFigure(receiver);
    sender.publish("instances|app", { kind: "value", value: 12 });
    assert.deepEqual(await received, ["instances|app", { kind: "value", value: 12 }]);
    // A message that is not a figure (from anything else on the channel) is ignored.
    const raw = new BroadcastChannel(name);
    const afterJunk = nextFigure(receiver);
    raw.postMessage("junk");
    raw.postMessage({ value: 1 });
    sender.publish("version|app", { kind: "value", value: "1.2.0" });
    assert.deepEqual(await afterJunk, ["version|app", { kind: "value", value: "1.2.0" }]);
    raw.close();
    assert.equal(strangerHeard, false);
  } finally {
    sender.close();
    sender.close();
    receiver.close();
    stranger.close();
  }
  sender.publish("after|close", 1); // closed: sends nothing, throws nothing
});
