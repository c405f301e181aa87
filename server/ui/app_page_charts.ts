/**
 * The charts of the application page, each with a stable id: the page draws
 * them and the CSV export (`GET /apps/{slug}/export?chart=…`) writes the same
 * figures, so a download always holds what the chart shows.
 */

import type { ApplicationActivity, ShareSeries } from "../stats/mod.ts";
import { formatFigure } from "./format.ts";

/** One series of a chart: its label and a value per bucket (null where nothing was sent). */
export interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
}

/** One chart of the page over the period's buckets. */
export interface AppPageChart {
  /** Stable id for the export link: lowercase letters, digits and `-`, then a metric name. */
  readonly id: string;
  readonly title: string;
  /** The series the chart draws. */
  readonly series: readonly ChartSeries[];
  /** Series the export adds to those drawn (a metric's sum, count, min and max). */
  readonly extraSeries?: readonly ChartSeries[];
  readonly stacked?: boolean;
  readonly unit?: string;
  readonly note?: string;
  /** Where the page shows it: with the arrivals, with the platforms, or with the metrics. */
  readonly group: "activity" | "platforms" | "metrics";
}

/** The charts of `activity`, in the order the page shows them. */
export function appPageCharts(activity: ApplicationActivity): AppPageChart[] {
  const daily = activity.daily;
  if (daily === null) {
    return [
      {
        id: "reporting",
        title: "Instances reporting, per hour",
        series: [{ label: "Reporting", values: activity.reporting }],
        group: "activity",
      },
      {
        id: "versions",
        title: "Version adoption, per hour",
        stacked: true,
        series: shares(activity.versions),
        group: "activity",
      },
    ];
  }
  return [
    {
      id: "instances",
      title: "Instances per day",
      series: [
        { label: "Reporting", values: activity.reporting },
        { label: "Active", values: daily.active },
      ],
      group: "activity",
    },
    {
      id: "arrivals",
      title: "New, returned and gone instances per day",
      series: [
        { label: "New", values: daily.new },
        { label: "Returned", values: daily.returned },
        { label: "Gone", values: daily.gone },
      ],
      group: "activity",
    },
    {
      id: "versions",
      title: "Version adoption per day",
      stacked: true,
      series: shares(activity.versions),
      group: "activity",
    },
    ...daily.platforms.map((platform): AppPageChart => ({
      id: `platform-${platform.field.replace(/^metric:/, "")}`,
      title: platform.title,
      stacked: true,
      series: shares(platform.series),
      group: "platforms",
    })),
    ...daily.numberMetrics.map((metric): AppPageChart => ({
      id: `metric-${metric.name}`,
      title: `${metric.name}: over instances`,
      unit: metric.name,
      series: [
        { label: "Average", values: metric.avg },
        { label: "Median", values: metric.p50 },
        { label: "p90", values: metric.p90 },
        { label: "p99", values: metric.p99 },
      ],
      extraSeries: [
        { label: "Instances", values: metric.instances },
        { label: "Sum", values: metric.sum },
        { label: "Min", values: metric.min },
        { label: "Max", values: metric.max },
      ],
      note: `Latest sum: ${formatFigure(latest(metric.sum))} over ${
        formatFigure(latest(metric.instances))
      } instances`,
      group: "metrics",
    })),
    ...daily.valueMetrics.map((metric): AppPageChart => ({
      id: `values-${metric.name}`,
      title: `${metric.name}: instances per value`,
      stacked: true,
      series: shares(metric.values),
      group: "metrics",
    })),
  ];
}

function shares(series: readonly ShareSeries[]): ChartSeries[] {
  return series.map((s) => ({ label: s.label, values: s.instances }));
}

function latest(values: readonly (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const value = values[i];
    if (value !== null && value !== undefined) return value;
  }
  return null;
}
