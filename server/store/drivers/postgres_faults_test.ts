import assert from "node:assert/strict";
import {
  handlePostgresFaults,
  isArrayTypesFailure,
  isWriteOnClosedSocket,
} from "./postgres_faults.ts";

function writeOnClosedSocket(): TypeError {
  const error = new TypeError("Cannot read properties of null (reading 'write')");
  error.stack = `${error.message}\n    at Immediate.nextWrite (file:///srv/node_modules/.deno/` +
    "postgres@3.4.9/node_modules/postgres/src/connection.js:255:22)";
  return error;
}

Deno.test("a write on a closed postgres.js socket is caught and every pool replaces its connections", () => {
  let replaced = 0;
  const stop = handlePostgresFaults(() => replaced++);
  try {
    const caught = !globalThis.dispatchEvent(
      new ErrorEvent("error", { error: writeOnClosedSocket(), cancelable: true }),
    );
    assert.equal(caught, true, "the process goes on");
    assert.equal(replaced, 1);
    const other = new TypeError("Cannot read properties of null (reading 'write')");
    const passed = globalThis.dispatchEvent(
      new ErrorEvent("error", { error: other, cancelable: true }),
    );
    assert.equal(passed, true, "any other error stays fatal");
    assert.equal(replaced, 1);
  } finally {
    stop();
  }
});

Deno.test("the faults are told apart from every other error", () => {
  assert.equal(isWriteOnClosedSocket(writeOnClosedSocket()), true);
  assert.equal(
    isWriteOnClosedSocket(new Error("Cannot read properties of null (reading 'write')")),
    false,
  );
  const typesQuery = Object.assign(new Error("canceling statement due to statement timeout"), {
    query: "select b.oid, b.typarray from pg_catalog.pg_type a left join pg_catalog.pg_type b",
  });
  assert.equal(isArrayTypesFailure(typesQuery), true);
  assert.equal(isArrayTypesFailure(Object.assign(new Error("x"), { query: "select 1" })), false);
  assert.equal(isArrayTypesFailure("text"), false);
});
