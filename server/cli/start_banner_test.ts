import assert from "node:assert/strict";
import { startBanner } from "./start_banner.ts";

Deno.test("startBanner() gives the address, the setup link and the data folder", () => {
  assert.equal(
    startBanner({
      version: "1.2.3",
      url: "http://localhost:8080",
      publicUrl: null,
      setupUrl: "http://localhost:8080/setup?token=abc",
      store: { kind: "embedded", dataDir: "./shm-data" },
    }),
    [
      "",
      "SHM 1.2.3 is running.",
      "  Open        http://localhost:8080/",
      "  First user  http://localhost:8080/setup?token=abc",
      "              (a one-time link that creates the first account; or start with",
      "              SHM_ADMIN_PASSWORD set)",
      "  Data        ./shm-data (embedded PostgreSQL, one process at a time)",
      "  Stop        Ctrl-C",
      "",
    ].join("\n"),
  );
});

Deno.test("startBanner() opens the public URL when set, and hides the database password", () => {
  const banner = startBanner({
    version: "1.2.3",
    url: "http://localhost:8080",
    publicUrl: "https://metrics.example.org",
    setupUrl: null,
    store: { kind: "postgres", url: "postgres://shm:hunter2-secret@db:5432/shm" },
  });
  assert.match(
    banner,
    /^ {2}Open {8}https:\/\/metrics\.example\.org\/ \(listening on http:\/\/localhost:8080\)$/m,
  );
  assert.match(banner, /^ {2}Data {8}PostgreSQL at postgres:\/\/shm:\*\*\*@db:5432\/shm$/m);
  assert.doesNotMatch(banner, /hunter2|First user/);
});
