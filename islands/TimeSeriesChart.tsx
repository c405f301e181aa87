/**
 * A time-series chart drawn with uPlot in the browser. On the server (and
 * without JavaScript) it renders its title and a one-line summary; uPlot is
 * loaded and drawn only after hydration.
 */

import { useEffect, useRef } from "preact/hooks";
import type uPlot from "uplot";

/** One line (or stacked band) of a chart. */
export interface ChartSeries {
  readonly label: string;
  /** One value per point of `x`; null where there is no data. */
  readonly values: readonly (number | null)[];
}

/** Props of {@linkcode TimeSeriesChart}: plain data, serialisable as JSON. */
export interface TimeSeriesChartProps {
  readonly title: string;
  /** What a value counts, shown in tooltips (e.g. "instances"). */
  readonly unit: string;
  /** Point times, in seconds since the epoch. */
  readonly x: readonly number[];
  readonly series: readonly ChartSeries[];
  /** Draw the series stacked on one another (shares of a whole). */
  readonly stacked?: boolean;
  /** Whether points are hours or days, for the axis labels. */
  readonly step: "hour" | "day";
  /** Vertical markers (releases): a time in seconds since the epoch and a short label. */
  readonly markers?: readonly ChartMarker[];
}

/** A vertical marker of a chart, such as a release. */
export interface ChartMarker {
  readonly x: number;
  readonly label: string;
}

/** Series colours that read on light and dark backgrounds alike. */
const PALETTE = [
  "#3b82f6",
  "#f59e0b",
  "#10b981",
  "#ef4444",
  "#8b5cf6",
  "#06b6d4",
  "#ec4899",
  "#84cc16",
];

/** Renders the chart's frame and summary; draws the chart with uPlot once hydrated. */
export default function TimeSeriesChart(props: TimeSeriesChartProps) {
  const canvas = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const target = canvas.current;
    if (target === null) return;
    let chart: uPlot | null = null;
    let stopped = false;
    const scheme = matchMedia("(prefers-color-scheme: dark)");
    const draw = async () => {
      const { default: UPlot } = await import("uplot");
      if (stopped) return;
      chart?.destroy();
      chart = new UPlot(chartOptions(props, target), chartData(props), target);
    };
    const resize = new ResizeObserver(() => {
      chart?.setSize({ width: target.clientWidth, height: chartHeight() });
    });
    const redraw = () => void draw();
    void draw();
    resize.observe(target);
    scheme.addEventListener("change", redraw);
    return () => {
      stopped = true;
      resize.disconnect();
      scheme.removeEventListener("change", redraw);
      chart?.destroy();
    };
  }, [props]);

  return (
    <figure
      class="chart"
      data-points={props.x.length}
      data-series={props.series.length}
      data-markers={props.markers?.length ?? 0}
    >
      <figcaption>{props.title}</figcaption>
      <div class="chart-canvas" ref={canvas} />
      <p class="chart-summary">{summary(props)}</p>
      {props.markers === undefined || props.markers.length === 0 ? null : (
        <p class="chart-markers">
          Releases: {props.markers.map((m) => `${m.label} (${formatTime(m.x, "day")})`).join(", ")}
        </p>
      )}
    </figure>
  );
}

function summary(props: TimeSeriesChartProps): string {
  if (props.x.length === 0 || props.series.length === 0) return "No data in this period yet.";
  const latest = props.series.map((s) => `${s.label}: ${formatValue(s.values.at(-1))}`);
  return `Latest ${props.step}: ${latest.slice(0, 6).join(", ")}${
    latest.length > 6 ? ", …" : ""
  } (${props.unit})`;
}

function chartHeight(): number {
  return 240;
}

function chartData(props: TimeSeriesChartProps): uPlot.AlignedData {
  // Stacked shares count missing values as none; lines leave a gap.
  const rows = props.series.map((s) => s.values.map((v) => props.stacked ? v ?? 0 : v));
  if (props.stacked) {
    for (let i = 1; i < rows.length; i++) {
      const below = rows[i - 1] ?? [];
      rows[i] = (rows[i] ?? []).map((v, j) => (v ?? 0) + (below[j] ?? 0));
    }
  }
  return [props.x.slice(), ...rows] as uPlot.AlignedData;
}

function chartOptions(props: TimeSeriesChartProps, target: HTMLElement): uPlot.Options {
  const style = getComputedStyle(target);
  const axisColor = style.getPropertyValue("--chart-axis").trim() || "#666";
  const gridColor = style.getPropertyValue("--chart-grid").trim() || "rgba(128,128,128,0.2)";
  const axis = {
    stroke: axisColor,
    grid: { stroke: gridColor, width: 1 },
    ticks: { stroke: gridColor, width: 1 },
  };
  const raw = (seriesIndex: number, dataIndex: number | null) =>
    dataIndex === null ? "–" : formatValue(props.series[seriesIndex - 1]?.values[dataIndex]);
  const series: uPlot.Series[] = props.series.map((s, i) => {
    const color = PALETTE[i % PALETTE.length] ?? "#888";
    return {
      label: s.label,
      stroke: color,
      width: 2,
      ...(props.stacked ? { fill: `${color}55` } : {}),
      value: (_u: uPlot, _v: number | null, seriesIndex: number, dataIndex: number | null) =>
        `${raw(seriesIndex, dataIndex)} ${props.unit}`,
    };
  });
  return {
    width: target.clientWidth || 600,
    height: chartHeight(),
    series: [
      { value: (_u, v) => (v === null ? "–" : formatTime(v, props.step)) },
      ...series,
    ],
    axes: [axis, { ...axis, size: 50 }],
    scales: {
      x: { time: true },
      y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] },
    },
    ...(props.stacked
      ? {
        bands: props.series.slice(1).map((_s, i) => ({
          series: [i + 2, i + 1] as [number, number],
        })),
      }
      : {}),
    cursor: { drag: { x: false, y: false } },
    ...(props.markers === undefined || props.markers.length === 0
      ? {}
      : { plugins: [markerPlugin(props.markers, axisColor)] }),
  };
}

/** Draws each marker as a dashed vertical line with its label at the top of the plot. */
function markerPlugin(markers: readonly ChartMarker[], color: string): uPlot.Plugin {
  return {
    hooks: {
      draw: [(u: uPlot) => {
        const ctx = u.ctx;
        const { left, top, width, height } = u.bbox;
        ctx.save();
        ctx.strokeStyle = color;
        ctx.fillStyle = color;
        ctx.lineWidth = devicePixelRatio;
        ctx.setLineDash([4 * devicePixelRatio, 4 * devicePixelRatio]);
        ctx.font = `${11 * devicePixelRatio}px sans-serif`;
        ctx.textBaseline = "top";
        for (const marker of markers) {
          const x = Math.round(u.valToPos(marker.x, "x", true));
          if (x < left || x > left + width) continue;
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.fillText(marker.label.slice(0, 24), x + 3 * devicePixelRatio, top + 2);
        }
        ctx.restore();
      }],
    },
  };
}

function formatTime(seconds: number, step: "hour" | "day"): string {
  const iso = new Date(seconds * 1000).toISOString();
  return step === "hour" ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso.slice(0, 10);
}

function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return value.toLocaleString("en-US", { maximumFractionDigits: 3 });
}
