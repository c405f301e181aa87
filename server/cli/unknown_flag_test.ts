import assert from "node:assert/strict";
import { unknownFlagMessage } from "./unknown_flag.ts";

const KNOWN = ["port", "host", "database-url", "data-dir", "admin-token", "help", "force"];

Deno.test("unknownFlagMessage() names the nearest known flag", () => {
  assert.equal(
    unknownFlagMessage("--prot", KNOWN),
    "shm: unknown flag --prot, did you mean --port? (see shm --help)",
  );
  assert.equal(
    unknownFlagMessage("--databse-url=postgres://x", KNOWN),
    "shm: unknown flag --databse-url, did you mean --database-url? (see shm --help)",
  );
  assert.equal(
    unknownFlagMessage("-x", KNOWN),
    "shm: unknown flag --x (see shm --help)",
  );
});

Deno.test("unknownFlagMessage() guesses nothing when no flag is near", () => {
  assert.equal(
    unknownFlagMessage("--no-such-flag", KNOWN),
    "shm: unknown flag --no-such-flag (see shm --help)",
  );
});
