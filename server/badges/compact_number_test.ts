import assert from "node:assert/strict";
import { compactNumber } from "./compact_number.ts";

Deno.test("compactNumber() keeps small numbers and shortens large ones shields style", () => {
  const cases: [number, string][] = [
    [0, "0"],
    [7, "7"],
    [999, "999"],
    [1000, "1k"],
    [1234, "1.2k"],
    [1250, "1.3k"],
    [9_949, "9.9k"],
    [9_950, "10k"],
    [12_345, "12k"],
    [999_499, "999k"],
    [999_500, "1M"],
    [3_400_000, "3.4M"],
    [2_500_000_000, "2.5G"],
    [-1234, "-1.2k"],
    [12.345, "12.3"],
    [0.1234, "0.123"],
    [999.7, "1k"],
    [1e26, "100Y"],
    [1e30, "1.0e+30"],
  ];
  for (const [value, text] of cases) assert.equal(compactNumber(value), text, String(value));
});

Deno.test("compactNumber() answers n/a for numbers that are not finite", () => {
  assert.equal(compactNumber(NaN), "n/a");
  assert.equal(compactNumber(Infinity), "n/a");
});
