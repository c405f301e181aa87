/**
 * What an alert says: the webhook's JSON (with a `text` field Slack reads
 * and a `content` field Discord reads), and the email's subject and bodies;
 * the weekly digest's table.
 */

import type { AlertParams } from "./rule_input.ts";

/** The application and rule a message is about. */
export interface MessageSubject {
  readonly slug: string;
  readonly appName: string;
  readonly ruleId: number;
  readonly params: AlertParams;
}

/** The webhook payload of a rule's event: `firing`, `cleared` or `test`. */
export function alertPayload(
  subject: MessageSubject,
  event: {
    kind: "firing" | "cleared" | "test";
    text: string;
    observed: Readonly<Record<string, unknown>>;
    at: Date;
  },
): Record<string, unknown> {
  const title = {
    firing: `${subject.appName}: ${describeRule(subject.params)}`,
    cleared: `${subject.appName}: cleared, ${describeRule(subject.params)}`,
    test: `${subject.appName}: test of the alert "${describeRule(subject.params)}"`,
  }[event.kind];
  const text = `[SHM] ${title}: ${event.text}`;
  return {
    text,
    content: text.slice(0, 2000),
    event: event.kind,
    application: { slug: subject.slug, name: subject.appName },
    alert: { id: subject.ruleId, ...subject.params },
    observed: event.observed,
    at: event.at.toISOString(),
  };
}

/** The rule in words: "active instances fell by 50% against the 7-day average". */
export function describeRule(params: AlertParams): string {
  switch (params.kind) {
    case "active_drop":
      return `active instances fell by ${params.percent}% against the 7-day average`;
    case "silence":
      return `no snapshot from any instance for ${params.hours} hours`;
    case "version_share":
      return `a new version reached ${params.percent}% of the active instances`;
    case "metric_threshold":
      return `the sum of ${params.metric} went ${
        params.above !== null ? `above ${params.above}` : `below ${params.below}`
      }`;
  }
}

/** An alert's payload as an email: the subject and the text, in plain text and HTML. */
export function alertEmail(payload: Readonly<Record<string, unknown>>): {
  subject: string;
  text: string;
  html: string;
} {
  const text = typeof payload["text"] === "string" ? payload["text"] : "SHM alert";
  const details = JSON.stringify(payload["observed"] ?? {}, null, 2);
  return {
    subject: oneLine(text).slice(0, 200),
    text: `${text}\n\n${details}\n`,
    html: `<p>${escapeHtml(text)}</p><pre>${escapeHtml(details)}</pre>`,
  };
}

/** One application's week, as the digest shows it. */
export interface DigestFigures {
  readonly slug: string;
  readonly appName: string;
  readonly active: number;
  readonly newInstances: number;
  readonly goneInstances: number;
  readonly topVersions: readonly { readonly version: string; readonly instances: number }[];
  readonly weekEnding: Date;
}

/** The digest's payload, kept in the delivery log and mailed as {@linkcode digestEmail}. */
export function digestPayload(figures: DigestFigures): Record<string, unknown> {
  return {
    text: `[SHM] ${figures.appName}: weekly digest, ${figures.active} active instances`,
    event: "digest",
    application: { slug: figures.slug, name: figures.appName },
    week_ending: figures.weekEnding.toISOString().slice(0, 10),
    active: figures.active,
    new: figures.newInstances,
    gone: figures.goneInstances,
    top_versions: figures.topVersions.map((v) => ({ version: v.version, instances: v.instances })),
  };
}

/** The weekly digest as an email: a table of active, new, gone, and the top versions. */
export function digestEmail(payload: Readonly<Record<string, unknown>>): {
  subject: string;
  text: string;
  html: string;
} {
  const app = (payload["application"] ?? {}) as { name?: string };
  const versions = Array.isArray(payload["top_versions"])
    ? payload["top_versions"] as { version: string; instances: number }[]
    : [];
  const rows: [string, string][] = [
    ["Active instances", String(payload["active"] ?? 0)],
    ["New this week", String(payload["new"] ?? 0)],
    ["Gone this week", String(payload["gone"] ?? 0)],
    ...versions.map((v): [string, string] => [`Version ${v.version}`, String(v.instances)]),
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const title = `${oneLine(app.name ?? "")}: week ending ${String(payload["week_ending"] ?? "")}`;
  return {
    subject: `SHM weekly digest: ${title}`.slice(0, 200),
    text: `${title}\n\n${rows.map(([l, v]) => `${l.padEnd(width)}  ${v}`).join("\n")}\n`,
    html: `<h1>${escapeHtml(title)}</h1><table><tbody>${
      rows.map(([l, v]) =>
        `<tr><th align="left">${escapeHtml(l)}</th><td>${escapeHtml(v)}</td></tr>`
      )
        .join("")
    }</tbody></table>`,
  };
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
