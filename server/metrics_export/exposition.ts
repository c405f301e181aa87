/**
 * The text exposition formats Prometheus scrapes: Prometheus text 0.0.4 and
 * OpenMetrics 1.0 (which ends with `# EOF`). Pure functions from metric
 * families to text; what the families hold is `fleet_families.ts`'s.
 */

/** Which format an answer is written in. */
export type ExpositionFormat = "prometheus" | "openmetrics";

/** The Content-Type of each format. */
export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  prometheus: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/** One sample: its labels (names valid, values any text) and its value. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A gauge family: its name (valid, `shm_` prefixed), help text and samples. */
export interface GaugeFamily {
  readonly name: string;
  readonly help: string;
  readonly samples: readonly Sample[];
}

/**
 * The format an `Accept` header asks for: OpenMetrics when it names
 * `application/openmetrics-text` with a quality above zero, else the
 * Prometheus text format (also for a missing or unreadable header).
 */
export function formatFor(accept: string | null): ExpositionFormat {
  for (const range of (accept ?? "").split(",")) {
    const [type, ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    if (type !== "application/openmetrics-text") continue;
    const q = params.find((param) => param.startsWith("q="));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    if (Number.isFinite(quality) && quality > 0) return "openmetrics";
  }
  return "prometheus";
}

/**
 * Writes `families` in `format`: for each family its `# HELP` and `# TYPE`
 * lines and one line a sample (label values escaped: backslash, double
 * quote, line feed), in the order given; OpenMetrics ends with `# EOF`.
 * Names are trusted to be valid: they are the program's own.
 */
export function writeExposition(
  families: readonly GaugeFamily[],
  format: ExpositionFormat,
): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} gauge`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels)
        .map(([name, value]) => `${name}="${escapeLabelValue(value)}"`)
        .join(",");
      lines.push(`${family.name}${labels === "" ? "" : `{${labels}}`} ${numberText(sample.value)}`);
    }
  }
  if (format === "openmetrics") lines.push("# EOF");
  return lines.join("\n") + "\n";
}

/** A label value as both formats write it between double quotes. */
export function escapeLabelValue(value: string): string {
  return value.toWellFormed().replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Help text: backslash and line feed escaped (both formats). */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value: integers without a fraction, `NaN`, `+Inf`, `-Inf`. */
function numberText(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
