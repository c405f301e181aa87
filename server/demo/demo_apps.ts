/**
 * The applications of the demo fleet: names, release histories and the
 * custom metrics each one sends, as functions of an instance's traits and time.
 */

/** A metric value as ingestion stores it after flattening. */
export type MetricValue = string | number | boolean;

/** Flattened metrics: nested keys joined by dots (`db.size_mb`). */
export type DemoMetrics = Record<string, MetricValue>;

/**
 * What a metric function gets: `traits`, uniform numbers in [0, 1) fixed per
 * instance; `t`, days since the instance started reporting (fractional);
 * `version`, the index of the version it runs; `jitter`, a number in [0, 1)
 * that changes every hour.
 */
export interface MetricInput {
  readonly traits: readonly number[];
  readonly t: number;
  readonly version: number;
  readonly jitter: number;
}

/** One kind of application: its name, its versions oldest first, and its metrics. */
export interface AppTemplate {
  readonly name: string;
  readonly versions: readonly string[];
  readonly metrics: (input: MetricInput) => DemoMetrics;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;
/** A heavy-tailed size: most instances small, a few large. */
const size = (u: number, max: number) => 1 + Math.floor(max * u ** 3);
const pick = <T>(values: readonly T[], u: number): T => values[Math.floor(u * values.length)]!;

/** The kinds of application, in the order apps are made; more apps reuse them with a number. */
export const APP_TEMPLATES: readonly AppTemplate[] = [
  {
    name: "Acme Notes",
    versions: ["2.3.1", "2.4.0", "2.5.0", "3.0.0", "3.1.0"],
    metrics: ({ traits: r, t, version, jitter }) => {
      const users = Math.round(size(r[0]!, 400) * (1 + (r[1]! * 0.4 * t) / 30));
      const notes = Math.round(users * (20 + 30 * r[2]!) * (1 + t / 45));
      return {
        users,
        notes,
        "db.size_mb": round1(5 + notes * 0.018 + jitter * 0.5),
        "db.engine": users > 60 || r[3]! < 0.3 ? "postgres" : "sqlite",
        "features.sso": version >= 3 && r[4]! < 0.45,
        "sync.enabled": r[5]! < 0.7,
      };
    },
  },
  {
    name: "Pipeline Runner",
    versions: ["0.9.8", "1.0.0", "1.1.0", "1.2.0"],
    metrics: ({ traits: r, t, version, jitter }) => {
      const perDay = size(r[0]!, 2_000);
      const metrics: DemoMetrics = {
        "jobs.total": Math.round(perDay * (t + 30 * r[1]!)),
        "jobs.failed_24h": Math.round(perDay * 0.04 * r[2]! * (0.5 + jitter)),
        "queue.depth": Math.floor(jitter * jitter * perDay * 0.05),
        workers: 1 + Math.floor(r[3]! * 16),
        executor: pick(["shell", "docker", "docker", "kubernetes"], r[4]!),
        "cache.enabled": r[5]! < 0.6 || version >= 3,
      };
      if (metrics["cache.enabled"]) metrics["cache.hit_ratio"] = round2(0.5 + 0.45 * r[6]!);
      return metrics;
    },
  },
  {
    name: "Mediabox",
    versions: ["4.8.0", "4.9.2", "5.0.0", "5.0.1", "5.1.0", "5.2.0"],
    metrics: ({ traits: r, t, version, jitter }) => {
      const items = Math.round(size(r[0]!, 30_000) * (1 + (r[1]! * t) / 60));
      return {
        libraries: 1 + Math.floor(r[2]! * 6),
        "media.items": items,
        "media.size_gb": round1(items * (0.2 + r[3]!)),
        "streams.active": Math.floor(jitter * (1 + r[4]! * 8)),
        "transcoding.hardware": r[5]! < (version >= 4 ? 0.55 : 0.3),
        "player.default": pick(["web", "web", "tv", "mobile"], r[6]!),
      };
    },
  },
  {
    name: "Ledgerly",
    versions: ["1.12.0", "1.13.0", "1.14.0"],
    metrics: ({ traits: r, t, jitter }) => {
      const accounts = size(r[0]!, 300);
      return {
        accounts,
        "invoices.month": Math.round(accounts * (2 + 8 * r[1]!) * (0.8 + 0.4 * jitter)),
        currency: pick(["EUR", "EUR", "USD", "USD", "GBP", "CHF"], r[2]!),
        "db.size_mb": round1(20 + accounts * (1 + t / 90) * 3),
        "backups.enabled": r[3]! < 0.8,
      };
    },
  },
  {
    name: "Café Wiki",
    versions: ["0.18.0", "0.19.0", "0.20.0", "0.21.0"],
    metrics: ({ traits: r, t, jitter }) => {
      const pages = Math.round(size(r[0]!, 5_000) * (1 + (r[1]! * t) / 40));
      return {
        pages,
        "edits.last_24h": Math.round(pages * 0.02 * jitter),
        "search.backend": pick(["builtin", "builtin", "meilisearch", "elasticsearch"], r[2]!),
        "auth.ldap": r[3]! < 0.25,
        "storage.size_mb": round1(pages * 0.3 + 10),
      };
    },
  },
  {
    name: "Gate Keeper",
    versions: ["3.4.0", "3.5.0", "3.6.0", "4.0.0"],
    metrics: ({ traits: r, jitter, version }) => ({
      "requests.last_24h": Math.round(size(r[0]!, 500_000) * (0.7 + 0.6 * jitter)),
      rules: 1 + Math.floor(r[1]! * 120),
      upstreams: 1 + Math.floor(r[2]! * 12),
      "tls.enabled": r[3]! < 0.9,
      "latency.p95_ms": round1((version >= 3 ? 8 : 14) + 40 * r[4]! * (0.5 + jitter)),
    }),
  },
];

/** How many uniform traits each instance draws for its metrics. */
export const TRAIT_COUNT = 8;

/** The template and display name of the app at `index`: "Mediabox", …, then "Acme Notes 2". */
export function appTemplate(index: number): { template: AppTemplate; name: string } {
  const template = APP_TEMPLATES[index % APP_TEMPLATES.length]!;
  const round = Math.floor(index / APP_TEMPLATES.length);
  return { template, name: round === 0 ? template.name : `${template.name} ${round + 1}` };
}
