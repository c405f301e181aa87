import assert from "node:assert/strict";
import { StoreUnavailableError } from "../../errors.ts";
import { classifyPostgresError } from "./postgres_errors.ts";

function coded(code: string, message = `failed with ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

Deno.test("classifyPostgresError() makes a lost connection a StoreUnavailableError worth a probe", () => {
  for (
    const code of [
      "ECONNREFUSED",
      "ECONNRESET",
      "CONNECT_TIMEOUT",
      "CONNECTION_CLOSED",
      "CONNECTION_DESTROYED",
      "57P01",
      "57P03",
      "53300",
      "08006",
    ]
  ) {
    const cause = coded(code);
    const { error, lost } = classifyPostgresError(cause);
    assert.ok(error instanceof StoreUnavailableError, code);
    assert.equal(error.message, `PostgreSQL is unavailable: failed with ${code}`);
    assert.equal(error.cause, cause);
    assert.equal(lost, true, code);
  }
});

Deno.test("classifyPostgresError() makes a cancelled statement a 503 that needs no probe", () => {
  const { error, lost } = classifyPostgresError(
    coded("57014", "canceling statement due to user request"),
  );
  assert.ok(error instanceof StoreUnavailableError);
  assert.equal(
    error.message,
    "PostgreSQL cancelled the statement: canceling statement due to user request",
  );
  assert.equal(lost, false);
});

Deno.test("classifyPostgresError() leaves a query's own fault as it is", () => {
  for (const code of ["23505", "42601", "40P01", ""]) {
    const cause = coded(code);
    assert.deepEqual(classifyPostgresError(cause), { error: cause, lost: false }, code);
  }
  const ours = new StoreUnavailableError("PostgreSQL gave no answer within 1500 ms");
  assert.deepEqual(classifyPostgresError(ours), { error: ours, lost: false });
  assert.deepEqual(classifyPostgresError("text"), { error: "text", lost: false });
});
