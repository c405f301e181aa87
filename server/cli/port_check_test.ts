import assert from "node:assert/strict";
import { portTakenMessage } from "./port_check.ts";

Deno.test("portTakenMessage() names a port in use, and PORT and --port to choose another", () => {
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = held.addr;
  assert.equal(
    portTakenMessage("127.0.0.1", port),
    `shm: cannot start as port ${port} (on 127.0.0.1) is in use by another program, perhaps ` +
      `another shm: stop it, or choose another port with PORT=${port + 1} or --port ${port + 1}`,
  );
});

Deno.test("portTakenMessage() is null for a free port, which it leaves free, and for port 0", () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = probe.addr;
  probe.close();
  assert.equal(portTakenMessage("127.0.0.1", port), null);
  using again = Deno.listen({ hostname: "127.0.0.1", port });
  assert.equal(again.addr.port, port, "the check closed what it opened");
  assert.equal(portTakenMessage("127.0.0.1", 0), null);
});
