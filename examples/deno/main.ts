/**
 * A minimal Deno application that reports itself to an SHM server.
 *
 *     SHM_SERVER_URL=http://localhost:8080 deno run \
 *       --allow-net --allow-env --allow-read=./data --allow-write=./data main.ts
 *
 * It prints what it would send, starts the client (which returns at once),
 * does its work and exits: the client's timers never keep a process alive.
 * A long-running server would call `await client.stop()` on shutdown.
 */

// deno-lint-ignore-file no-console
import { SHMClient } from "@shm/sdk";

const notes = ["buy milk", "call Ada"];

const client = new SHMClient({
  serverUrl: Deno.env.get("SHM_SERVER_URL") ?? "http://localhost:8080",
  appName: "Example Deno App",
  appVersion: "1.0.0",
  dataDir: Deno.env.get("EXAMPLE_DATA_DIR") ?? "./data",
});
client.setProvider(() => ({ notes_count: notes.length }));

const preview = await client.preview();
console.log(preview.ok ? `Telemetry will send: ${preview.json}` : `Telemetry: ${preview.message}`);

client.start();
console.log(`Notes: ${notes.join(", ")}`);
