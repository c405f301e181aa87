/**
 * The settings page's forms that make an alert rule: one per preset (active
 * instances fell, silence, a new version's share, a metric's sum), each
 * posting the fields the admin API takes (`kind`, its parameters,
 * `webhook_url`, `email`) with the session's CSRF token to
 * `POST /apps/{slug}/alerts`, where the API's own rules check them. A form
 * refused comes back with its error and what was typed.
 */

import { ALERT_PRESETS, type AlertParams } from "../alerts/mod.ts";

type AlertKind = AlertParams["kind"];

/** A form shown again after the server refused it: its kind, what was typed, and why. */
export interface TypedAlertForm {
  readonly kind: AlertKind;
  readonly values: Readonly<Record<string, string>>;
  readonly error: string;
}

/** What the forms need. */
export interface AlertRuleFormsProps {
  readonly slug: string;
  readonly csrfToken: string;
  /** The numeric metrics the instances send, offered for the metric form. */
  readonly metricKeys: readonly string[];
  /** The form refused, shown again; the others start from the presets. */
  readonly typed?: TypedAlertForm;
}

/** One number field of a form: its name, its words before and after, its range. */
interface NumberField {
  readonly name: string;
  readonly label: string;
  readonly unit: string;
  readonly min?: number;
  readonly max?: number;
  readonly preset?: number;
}

const FORMS: readonly { kind: AlertKind; title: string; fields: readonly NumberField[] }[] = [
  {
    kind: "active_drop",
    title: "Active instances fell",
    fields: [{
      name: "percent",
      label: "Fell by",
      unit: "% against the 7-day average",
      min: 1,
      max: 100,
      preset: ALERT_PRESETS.active_drop.percent,
    }],
  },
  {
    kind: "silence",
    title: "No snapshot at all",
    fields: [{
      name: "hours",
      label: "No snapshot from any instance for",
      unit: "hours",
      min: 1,
      max: 8760,
      preset: ALERT_PRESETS.silence.hours,
    }],
  },
  {
    kind: "version_share",
    title: "A new version took over",
    fields: [{
      name: "percent",
      label: "A new version reached",
      unit: "% of the active instances",
      min: 1,
      max: 100,
      preset: ALERT_PRESETS.version_share.percent,
    }],
  },
  {
    kind: "metric_threshold",
    title: "A metric's sum crossed a threshold",
    fields: [
      { name: "above", label: "The sum went above", unit: "" },
      { name: "below", label: "or below (fill one of the two)", unit: "" },
    ],
  },
];

/** Renders the four forms; the refused one carries its error and its typed values. */
export function AlertRuleForms(props: AlertRuleFormsProps) {
  const action = `/apps/${encodeURIComponent(props.slug)}/alerts`;
  return (
    <div data-field="alert-forms">
      <h3>New alert</h3>
      <p class="muted">
        Each alert goes to a webhook (a JSON POST signed with{" "}
        <code>X-SHM-Signature</code>; its secret is shown once, when it is made), to an email
        address, or both.
      </p>
      <datalist id="alert-metrics">
        {props.metricKeys.map((metric) => <option key={metric} value={metric} />)}
      </datalist>
      {FORMS.map((form) => {
        const typed = props.typed?.kind === form.kind ? props.typed : undefined;
        const value = (name: string, preset?: number) =>
          typed === undefined ? (preset === undefined ? "" : String(preset)) : typed.values[name] ??
            "";
        return (
          <form
            key={form.kind}
            method="post"
            action={action}
            class="panel stacked-form"
            data-alert-form={form.kind}
          >
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            <input type="hidden" name="kind" value={form.kind} />
            <h4>{form.title}</h4>
            {typed === undefined
              ? null
              : <p class="error" role="alert" data-field="alert-error">{typed.error}</p>}
            {form.kind === "metric_threshold"
              ? (
                <label>
                  Metric
                  <input
                    type="text"
                    name="metric"
                    value={value("metric")}
                    list="alert-metrics"
                    maxLength={200}
                  />
                </label>
              )
              : null}
            {form.fields.map((field) => (
              <label key={field.name}>
                {field.label}
                <input
                  type="number"
                  step="any"
                  name={field.name}
                  value={value(field.name, field.preset)}
                  {...(field.min === undefined ? {} : { min: field.min })}
                  {...(field.max === undefined ? {} : { max: field.max })}
                />
                {field.unit === "" ? null : <span class="muted">{field.unit}</span>}
              </label>
            ))}
            <label>
              Webhook URL
              <input
                type="text"
                inputMode="url"
                name="webhook_url"
                value={value("webhook_url")}
                placeholder="https://hooks.example.com/…"
                maxLength={2000}
              />
            </label>
            <label>
              Email
              <input
                type="text"
                inputMode="email"
                name="email"
                value={value("email")}
                placeholder="ops@example.org"
                maxLength={254}
              />
            </label>
            <button type="submit">Add alert</button>
          </form>
        );
      })}
    </div>
  );
}
