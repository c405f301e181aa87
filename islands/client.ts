/**
 * The client entry: finds each island marker the server wrote, reads its
 * props, and hydrates it in place. A broken island is logged and skipped;
 * the rest of the page keeps working.
 */

import { h, hydrate } from "preact";
import { ISLANDS } from "./mod.ts";

/** Hydrates every island under `root`; returns how many were hydrated and how many skipped. */
export function hydrateIslands(root: ParentNode): { hydrated: number; skipped: number } {
  let hydrated = 0;
  let skipped = 0;
  for (const marker of root.querySelectorAll<HTMLElement>("[data-island]")) {
    const name = marker.dataset["island"] ?? "";
    try {
      const component = (ISLANDS as Record<string, unknown>)[name];
      if (typeof component !== "function") throw new Error(`no island is named "${name}"`);
      const propsText = document.getElementById(`island-props-${marker.dataset["islandId"]}`)
        ?.textContent;
      if (propsText === undefined || propsText === null) {
        throw new Error(`its props script island-props-${marker.dataset["islandId"]} is missing`);
      }
      const props = JSON.parse(propsText);
      hydrate(h(component as (p: unknown) => null, props), marker);
      hydrated++;
    } catch (error) {
      skipped++;
      // deno-lint-ignore no-console
      console.warn(`Cannot hydrate island "${name}", skipped:`, error);
    }
  }
  return { hydrated, skipped };
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => hydrateIslands(document));
  } else {
    hydrateIslands(document);
  }
}
