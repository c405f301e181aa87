import assert from "node:assert/strict";
import { buildClientModule, GENERATED_MODULE } from "../scripts/build_client.ts";

Deno.test("the committed client bundle is what `deno task build:client` makes from islands/", async () => {
  const committed = await Deno.readTextFile(new URL(`../${GENERATED_MODULE}`, import.meta.url));
  const fresh = await buildClientModule();
  assert.ok(
    committed === fresh,
    `${GENERATED_MODULE} is out of date with islands/: run \`deno task build:client\``,
  );
  assert.match(fresh, /export const CLIENT_JS: string = "/);
  assert.match(fresh, /\.uplot/, "uPlot's stylesheet is bundled");
});
