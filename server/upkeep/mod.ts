/**
 * The server's background work: raw snapshot partitions, retention, and the
 * rollup rounds that keep summaries, hourly and daily counts current.
 */

export { startUpkeep, type Upkeep } from "./start_upkeep.ts";
export { type RollupRoundReport, runRollupRound } from "./rollup_round.ts";
export { enforceRetention, type RetentionReport } from "./retention.ts";
