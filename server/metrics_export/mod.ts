/**
 * `GET /metrics`: the fleet's aggregates for Prometheus, read from the
 * upkeep's per-application summaries (never the instances), in the
 * Prometheus text format or OpenMetrics.
 */

import { type Database, listExportedFigures } from "../store/mod.ts";
import { CONTENT_TYPES, type ExpositionFormat, writeExposition } from "./exposition.ts";
import { fleetFamilies } from "./fleet_families.ts";

export { CONTENT_TYPES, type ExpositionFormat, formatFor } from "./exposition.ts";
export { LABEL_VALUES_KEPT, OTHER_VALUE, UNKNOWN_VALUE } from "./fleet_families.ts";

/** Most applications exported, those with the most active instances first. */
export const MAX_EXPORTED_APPLICATIONS = 1000;

/** The exposition of the whole fleet: its text and Content-Type. */
export interface FleetExposition {
  readonly body: string;
  readonly contentType: string;
}

/**
 * The fleet's figures in `format` (see `fleetFamilies`): at most
 * {@linkcode MAX_EXPORTED_APPLICATIONS} applications, each with the numeric
 * metrics its owner marked exportable. Throws what the store throws.
 */
export async function fleetExposition(
  db: Database,
  format: ExpositionFormat,
): Promise<FleetExposition> {
  const figures = await listExportedFigures(db, MAX_EXPORTED_APPLICATIONS);
  return {
    body: writeExposition(fleetFamilies(figures), format),
    contentType: CONTENT_TYPES[format],
  };
}
