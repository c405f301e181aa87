/**
 * Every island, by the name the server writes in its marker. The server
 * renders these components; the client entry hydrates them by this name.
 */

import type { FunctionComponent } from "preact";
import BadgeBuilder from "./BadgeBuilder.tsx";
import CopyButton from "./CopyButton.tsx";
import TimeSeriesChart from "./TimeSeriesChart.tsx";

/** Island components by name. */
export const ISLANDS = {
  BadgeBuilder,
  CopyButton,
  TimeSeriesChart,
} as const satisfies Record<string, FunctionComponent<never>>;

/** The name of an island. */
export type IslandName = keyof typeof ISLANDS;

export type { BadgeBuilderProps } from "./BadgeBuilder.tsx";
export type { CopyButtonProps } from "./CopyButton.tsx";
export type { ChartSeries, TimeSeriesChartProps } from "./TimeSeriesChart.tsx";
