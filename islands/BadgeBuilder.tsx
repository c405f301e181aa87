/**
 * The badge builder: choose a badge, its label, color and style, see it drawn
 * by this server, and copy its Markdown or HTML. Without JavaScript its form
 * is a GET form that asks the server to render the same choice.
 */

import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import CopyButton from "./CopyButton.tsx";
import {
  BADGE_KINDS,
  BADGE_STYLES,
  METRIC_AGGREGATES,
  usesMetric,
} from "../shared/badge_grammar.ts";
import { badgeAlt, type BadgeChoice, badgePath, badgeSnippets } from "../shared/badge_snippets.ts";

/** Props of {@linkcode BadgeBuilder}. */
export interface BadgeBuilderProps {
  readonly slug: string;
  /** This server's public origin, for the snippets (`https://telemetry.example.com`). */
  readonly serverUrl: string;
  /** The numeric metrics the application's active instances send. */
  readonly metrics: readonly string[];
  readonly initial: BadgeChoice;
}

const KIND_NAMES: Record<BadgeChoice["kind"], string> = {
  instances: "Active instances",
  version: "Most used version",
  metric: "A metric",
  combined: "Instances and a metric",
  latest: "Share on the latest release",
};

/** Renders the builder's form, the live preview and the two snippets with copy buttons. */
export default function BadgeBuilder(props: BadgeBuilderProps) {
  const choice = useSignal<BadgeChoice>(props.initial);
  const hydrated = useSignal(false);
  useEffect(() => {
    hydrated.value = true;
  }, []);
  const c = choice.value;
  const set = (change: Partial<BadgeChoice>) => choice.value = { ...choice.value, ...change };
  const text = (event: Event) => (event.currentTarget as HTMLInputElement).value;
  const path = badgePath(props.slug, c);
  const alt = badgeAlt(c);
  const snippets = badgeSnippets(`${props.serverUrl}${path}`, alt);
  const noMetrics = props.metrics.length === 0;
  return (
    <div class="badge-builder">
      <form
        method="get"
        class="badge-form"
        onSubmit={(event) => {
          if (hydrated.value) event.preventDefault();
        }}
      >
        <label>
          Badge
          <select name="badge" onChange={(e) => set({ kind: text(e) as BadgeChoice["kind"] })}>
            {BADGE_KINDS.map((kind) => (
              <option
                value={kind}
                selected={kind === c.kind}
                disabled={usesMetric(kind) && noMetrics}
              >
                {KIND_NAMES[kind]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Metric
          <select
            name="metric"
            disabled={hydrated.value && !usesMetric(c.kind)}
            onChange={(e) => set({ metric: text(e) })}
          >
            {noMetrics ? <option value="">no numeric metric yet</option> : null}
            {props.metrics.map((metric) => (
              <option value={metric} selected={metric === c.metric}>{metric}</option>
            ))}
          </select>
        </label>
        <label>
          Aggregate
          <select
            name="agg"
            disabled={hydrated.value && !usesMetric(c.kind)}
            onChange={(e) => set({ agg: text(e) as BadgeChoice["agg"] })}
          >
            {METRIC_AGGREGATES.map((agg) => (
              <option value={agg} selected={agg === c.agg}>{agg}</option>
            ))}
          </select>
        </label>
        <label>
          Label
          <input
            type="text"
            name="label"
            value={c.label}
            maxLength={100}
            placeholder={badgeAlt({ ...c, label: "" })}
            onInput={(e) => set({ label: text(e) })}
          />
        </label>
        <label>
          Color
          <input
            type="text"
            name="color"
            value={c.color}
            maxLength={40}
            placeholder="brightgreen, 4c1…"
            onInput={(e) => set({ color: text(e).trim().replace(/^#/, "") })}
          />
        </label>
        <label>
          Style
          <select
            name="style"
            onChange={(e) => set({ style: text(e) as BadgeChoice["style"] })}
          >
            {BADGE_STYLES.map((style) => (
              <option value={style} selected={style === c.style}>{style}</option>
            ))}
          </select>
        </label>
        {hydrated.value ? null : <button type="submit">Show</button>}
      </form>
      <p class="badge-preview">
        <img src={path} alt={alt} data-field="badge-preview" />
      </p>
      <h3>Markdown</h3>
      <pre class="snippet"><code data-field="badge-markdown">{snippets.markdown}</code></pre>
      <CopyButton text={snippets.markdown} label="Copy Markdown" />
      <h3>HTML</h3>
      <pre class="snippet"><code data-field="badge-html">{snippets.html}</code></pre>
      <CopyButton text={snippets.html} label="Copy HTML" />
    </div>
  );
}
