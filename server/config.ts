/**
 * Settings: read once at start from flags and the environment into one frozen
 * object, checked there, and passed down. Nothing else reads the environment.
 */

import { isUsername, MIN_PASSWORD_LENGTH } from "../shared/account_rules.ts";
import { type Cidr, parseCidrList } from "./address_ranges.ts";
import { isLogLevel, type LogLevel } from "./log.ts";

/** Where the data lives: an embedded PostgreSQL in a folder, or a PostgreSQL server. */
export type StoreSetting =
  | { readonly kind: "embedded"; readonly dataDir: string }
  | {
    readonly kind: "postgres";
    readonly url: string;
    /** Longest wait for a connection to be ready, in milliseconds (the driver's default: 1 s). */
    readonly connectTimeoutMs?: number;
    /** Connections of each accept loop's pool (the driver's default: 10). */
    readonly poolSize?: number;
    /** Whether statements are prepared on the server (the driver's default: true). */
    readonly prepare?: boolean;
    /** A streaming standby of the database for the dashboard's, badges' and API's reads. */
    readonly readUrl?: string;
    /** Largest lag at which the standby still answers reads, in milliseconds. */
    readonly readMaxLagMs?: number;
  };

/** The whole configuration of a server process. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** The address users open (`https://metrics.example.org`), without a trailing slash; null: unknown. */
  readonly publicUrl: string | null;
  readonly store: StoreSetting;
  /**
   * Longest a request's statement or transaction waits for PostgreSQL before the request is
   * answered 503, in milliseconds (the upkeep and migrations have no such limit).
   */
  readonly storeQueryTimeoutMs: number;
  readonly dataDir: string;
  readonly adminToken: string | null;
  readonly activeDays: number;
  /** How far in the past a snapshot's timestamp may be, in milliseconds. */
  readonly snapshotBacklogMs: number;
  /** Days raw snapshots are kept: the setting, but never more than `historyRetentionDays`. */
  readonly rawRetentionDays: number;
  /** Days per-day history (and raw snapshots) are kept; older days are removed by the upkeep. */
  readonly historyRetentionDays: number;
  /** Instances not seen for this many days are removed with their history by the upkeep. */
  readonly instanceRetentionDays: number;
  /** How often the daily rollups of today and yesterday are computed again, in milliseconds. */
  readonly rollupIntervalMs: number;
  readonly logLevel: LogLevel;
  /** Requests per minute allowed from one IP address on instance endpoints; 0 turns it off. */
  readonly rateLimitPerIp: number;
  /** Requests per minute allowed for one instance; 0 turns it off. */
  readonly rateLimitPerInstance: number;
  /** Whether to take the client address from `X-Forwarded-For` (behind a reverse proxy). */
  readonly trustProxy: boolean;
  /** The forward-auth proxy whose user header signs people in; null: none. */
  readonly authProxy: AuthProxySetting | null;
  /** The OpenID Connect provider people sign in with; null: none. */
  readonly oidc: OidcSetting | null;
  /** Whether the login page takes a username and password (off only with OIDC configured). */
  readonly localLogin: boolean;
  /** Username of the first dashboard account, made at start when no account exists. */
  readonly adminUser: string;
  /** Password of that first account; null leaves the dashboard without an account. */
  readonly adminPassword: string | null;
  /** Seconds browsers and proxies may cache a badge (`Cache-Control: max-age`). */
  readonly badgeMaxAge: number;
  /** Badge numbers drawn from fewer instances than this show `< N`; 0 turns it off. */
  readonly badgeMinInstances: number;
  /** Seconds a badge's number is reused before it is read again; 0 reads it on every request. */
  readonly badgeCacheSeconds: number;
  /** Time a client has to send a request's head, from connecting or the previous answer, in ms. */
  readonly headerTimeoutMs: number;
  /** Time a client has to send a request's body once its head arrived, in milliseconds. */
  readonly bodyTimeoutMs: number;
  /** Connections open at once, in all. */
  readonly maxConnections: number;
  /** Connections open at once from one address (an IPv6 /64 counts as one); 0 turns it off. */
  readonly maxConnectionsPerAddress: number;
  /**
   * Accept loops serving HTTP on the port at once, each in a web Worker with its own database
   * pool (the first in the main thread); always 1 with the embedded store.
   */
  readonly workers: number;
  /** Token sent to the GitHub API when reading applications' repositories; null sends none. */
  readonly githubToken: string | null;
  /** The GitHub API's base URL, without a trailing slash (GitHub Enterprise, tests). */
  readonly githubApiUrl: string;
  /** The SMTP server alerts and digests are mailed through (`smtp://` or `smtps://`); null: none. */
  readonly smtpUrl: string | null;
  /** The sender of alert emails. */
  readonly smtpFrom: string;
  /** Whether alert webhooks may reach private, loopback and link-local addresses. */
  readonly alertPrivateWebhooks: boolean;
}

/**
 * A forward-auth proxy (Authelia, Authentik…) that signs users in with a header: honoured only from
 * peers in `trusted`; header names lowercase.
 */
export interface AuthProxySetting {
  /** The header naming the user, e.g. `remote-user`. */
  readonly header: string;
  /** The proxy's addresses: the header from any other peer is ignored. */
  readonly trusted: readonly Cidr[];
  /** The header listing the user's groups (separated by commas or bars); null: none. */
  readonly groupsHeader: string | null;
  /** The group whose members are made admins on first sight; null: every new user is a viewer. */
  readonly adminGroup: string | null;
}

/**
 * An OpenID Connect provider (Authentik, Keycloak, Authelia…) people sign in with, by the
 * authorization code flow with PKCE. Who may sign in: a verified e-mail address in
 * `allowedDomains` or a group in `allowedGroups` (at least one list is given).
 */
export interface OidcSetting {
  /** The issuer, exactly as the provider's discovery document names it. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Where the provider sends the browser back: `SHM_PUBLIC_URL` + `/login/oidc/callback`. */
  readonly redirectUri: string;
  /** What the sign-in button names: `Sign in with NAME`. */
  readonly name: string;
  /** The scopes asked for, separated by spaces; always with `openid`. */
  readonly scopes: string;
  /** E-mail domains (lowercase) whose verified addresses may sign in; empty: none by domain. */
  readonly allowedDomains: readonly string[];
  /** Groups whose members may sign in; empty: none by group. */
  readonly allowedGroups: readonly string[];
  /** The group whose members are admins (others viewers), re-synced at every sign-in; null: none. */
  readonly adminGroup: string | null;
}

/** A setting that cannot be used; its message names the setting and the value. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** One setting: its flag, the environment variables it is read from, and its default. */
interface SettingSpec {
  readonly flag: string;
  readonly env: readonly string[];
  readonly fallback: string | null;
  /** What it does and takes, in Markdown: `shm --help` prints it, README.md's table is made from it. */
  readonly help: string;
  readonly secret?: boolean;
  readonly boolean?: boolean;
}

/** Every setting the server reads, in the order `--help` lists them. */
export const SETTINGS = {
  port: {
    flag: "port",
    env: ["PORT"],
    fallback: "8080",
    help: "TCP port to listen on (0: any free port)",
  },
  host: { flag: "host", env: ["SHM_HOST"], fallback: "0.0.0.0", help: "address to listen on" },
  publicUrl: {
    flag: "public-url",
    env: ["SHM_PUBLIC_URL"],
    fallback: null,
    help: "the address users open (`https://metrics.example.org`, e.g. behind a proxy); the " +
      "setup link printed at start is built from it, else from the listen address",
  },
  databaseUrl: {
    flag: "database-url",
    env: ["SHM_DATABASE_URL", "DATABASE_URL", "SHM_DB_DSN"],
    fallback: null,
    help:
      "PostgreSQL URL (`postgres://user:pass@host:5432/db`); without it the embedded store is used",
    secret: true,
  },
  databaseReadUrl: {
    flag: "database-read-url",
    env: ["SHM_DATABASE_READ_URL"],
    fallback: null,
    help: "a streaming standby of the PostgreSQL database: figures for pages, badges and the " +
      "admin API are read from it while it keeps up; writes and the upkeep use the primary",
    secret: true,
  },
  databaseReadMaxLag: {
    flag: "database-read-max-lag",
    env: ["SHM_DATABASE_READ_MAX_LAG"],
    fallback: "30s",
    help: "reads go to the primary while the standby is further behind than this (1s to 1h)",
  },
  dbConnectTimeout: {
    flag: "db-connect-timeout",
    env: ["SHM_DB_CONNECT_TIMEOUT"],
    fallback: "1s",
    help:
      "longest wait for a PostgreSQL connection (TCP, TLS, sign-in): `500ms`, `2s` (100ms to 1m)",
  },
  dbPoolSize: {
    flag: "db-pool-size",
    env: ["SHM_DB_POOL_SIZE"],
    fallback: "10",
    help: "PostgreSQL connections of each accept loop (1 to 1000); the server opens up to " +
      "SHM_WORKERS times this many, and one more now and then to probe a database that is gone",
  },
  dbPrepare: {
    flag: "db-prepare",
    env: ["SHM_DB_PREPARE"],
    fallback: "true",
    help: "prepare statements on the PostgreSQL server; `false` behind a pooler in transaction " +
      "mode that cannot keep them (PgBouncer before 1.21, or without `max_prepared_statements`)",
  },
  dbQueryTimeout: {
    flag: "db-query-timeout",
    env: ["SHM_DB_QUERY_TIMEOUT"],
    fallback: "1500ms",
    help: "longest a request waits for PostgreSQL before it is answered 503 (100ms to 1h)",
  },
  dataDir: {
    flag: "data-dir",
    env: ["SHM_DATA_DIR"],
    fallback: "./shm-data",
    help: "folder of the embedded store (one process at a time)",
  },
  adminToken: {
    flag: "admin-token",
    env: ["SHM_ADMIN_TOKEN"],
    fallback: null,
    help:
      "bearer token of `/api/v1/admin/*`, at least 16 characters, no spaces; the admin API also " +
      "takes a signed-in session or an API token made on `/settings`",
    secret: true,
  },
  activeDays: {
    flag: "active-days",
    env: ["SHM_ACTIVE_DAYS"],
    fallback: "30",
    help: "an instance is active if its last activation or snapshot is this recent (days)",
  },
  snapshotBacklog: {
    flag: "snapshot-backlog",
    env: ["SHM_SNAPSHOT_BACKLOG"],
    fallback: "7d",
    help: "oldest snapshot timestamp accepted (`90m`, `12h`, `7d`; 1m to 366d)",
  },
  rawRetentionDays: {
    flag: "raw-retention-days",
    env: ["SHM_RAW_RETENTION_DAYS"],
    fallback: "14",
    help: "days raw snapshots are kept (at most `SHM_HISTORY_RETENTION_DAYS`)",
  },
  historyRetentionDays: {
    flag: "history-retention-days",
    env: ["SHM_HISTORY_RETENTION_DAYS"],
    fallback: "400",
    help: "days per-day history is kept; older days are removed (their rollups stay)",
  },
  instanceRetentionDays: {
    flag: "instance-retention-days",
    env: ["SHM_INSTANCE_RETENTION_DAYS"],
    fallback: "400",
    help: "instances not seen for this many days are removed with their history",
  },
  rollupInterval: {
    flag: "rollup-interval",
    env: ["SHM_ROLLUP_INTERVAL"],
    fallback: "5m",
    help: "longest pause between two upkeep rounds of summaries and rollups " +
      "(`30s`, `5m`; 1s to 1d)",
  },
  logLevel: {
    flag: "log-level",
    env: ["SHM_LOG_LEVEL"],
    fallback: "info",
    help: "`debug`, `info`, `warn` or `error`",
  },
  rateLimitPerIp: {
    flag: "rate-limit-ip",
    env: ["SHM_RATE_LIMIT_IP"],
    fallback: "300",
    help: "requests per minute from one IP address on the instance endpoints (0: off)",
  },
  rateLimitPerInstance: {
    flag: "rate-limit-instance",
    env: ["SHM_RATE_LIMIT_INSTANCE"],
    fallback: "60",
    help: "requests per minute from one instance, counted after its signature holds (0: off)",
  },
  trustProxy: {
    flag: "trust-proxy",
    env: ["SHM_TRUST_PROXY"],
    fallback: "false",
    help: "take the client address from `X-Forwarded-For` (only behind a reverse proxy you run)",
    boolean: true,
  },
  authProxyHeader: {
    flag: "auth-proxy-header",
    env: ["SHM_AUTH_PROXY_HEADER"],
    fallback: null,
    help: "header a forward-auth proxy (Authelia, Authentik) names the signed-in user in, e.g. " +
      "`Remote-User`; honoured only from `SHM_AUTH_PROXY_TRUSTED` (docs/deploy.md)",
  },
  authProxyTrusted: {
    flag: "auth-proxy-trusted",
    env: ["SHM_AUTH_PROXY_TRUSTED"],
    fallback: null,
    help: "addresses of that proxy, as a CIDR list (`10.0.0.5/32,fd00::/8`); required with the " +
      "header, nothing is trusted by default",
  },
  authProxyGroupsHeader: {
    flag: "auth-proxy-groups-header",
    env: ["SHM_AUTH_PROXY_GROUPS_HEADER"],
    fallback: null,
    help: "header listing the user's groups, separated by commas or bars (e.g. `Remote-Groups`)",
  },
  authProxyAdminGroup: {
    flag: "auth-proxy-admin-group",
    env: ["SHM_AUTH_PROXY_ADMIN_GROUP"],
    fallback: null,
    help: "group whose members are admins, others viewers: when first seen, and again on each " +
      "request whose groups header says otherwise (the last active admin is never demoted)",
  },
  oidcIssuer: {
    flag: "oidc-issuer",
    env: ["SHM_OIDC_ISSUER"],
    fallback: null,
    help: "OpenID Connect issuer URL (Authentik, Keycloak, Authelia: docs/deploy.md); turns on " +
      "'Sign in with…' on the login page; needs `SHM_PUBLIC_URL`, the client id and secret",
  },
  oidcClientId: {
    flag: "oidc-client-id",
    env: ["SHM_OIDC_CLIENT_ID"],
    fallback: null,
    help: "client id registered at the provider, with the redirect URI " +
      "`SHM_PUBLIC_URL/login/oidc/callback`",
  },
  oidcClientSecret: {
    flag: "oidc-client-secret",
    env: ["SHM_OIDC_CLIENT_SECRET"],
    fallback: null,
    help: "client secret of that client (sent with HTTP Basic authentication)",
    secret: true,
  },
  oidcName: {
    flag: "oidc-name",
    env: ["SHM_OIDC_NAME"],
    fallback: null,
    help: "what the login button names (`Sign in with NAME`); by default the issuer's host",
  },
  oidcScopes: {
    flag: "oidc-scopes",
    env: ["SHM_OIDC_SCOPES"],
    fallback: "openid email profile groups",
    help: "scopes asked for, separated by spaces (`openid` is always asked)",
  },
  oidcAllowedDomains: {
    flag: "oidc-allowed-domains",
    env: ["SHM_OIDC_ALLOWED_DOMAINS"],
    fallback: null,
    help: "comma list of e-mail domains whose verified addresses may sign in (`example.org`); " +
      "this or the allowed groups is required",
  },
  oidcAllowedGroups: {
    flag: "oidc-allowed-groups",
    env: ["SHM_OIDC_ALLOWED_GROUPS"],
    fallback: null,
    help: "comma list of groups (the `groups` claim) whose members may sign in",
  },
  oidcAdminGroup: {
    flag: "oidc-admin-group",
    env: ["SHM_OIDC_ADMIN_GROUP"],
    fallback: null,
    help: "group whose members are admins, others viewers, set again at every sign-in; without " +
      "it new accounts are viewers and roles are left to admins",
  },
  localLogin: {
    flag: "local-login",
    env: ["SHM_LOCAL_LOGIN"],
    fallback: "true",
    help: "whether the login page takes a username and password; `false` needs OpenID Connect",
    boolean: true,
  },
  adminUser: {
    flag: "admin-user",
    env: ["SHM_ADMIN_USER"],
    fallback: "admin",
    help: "username of the first dashboard account, made at start when no account exists",
  },
  adminPassword: {
    flag: "admin-password",
    env: ["SHM_ADMIN_PASSWORD"],
    fallback: null,
    help:
      `password of that first account (at least ${MIN_PASSWORD_LENGTH} characters); without it ` +
      "and with no account, the start prints a one-time setup link",
    secret: true,
  },
  badgeMaxAge: {
    flag: "badge-max-age",
    env: ["SHM_BADGE_MAX_AGE"],
    fallback: "300",
    help: "seconds a public badge may be cached (`Cache-Control: public, max-age=N`)",
  },
  badgeMinInstances: {
    flag: "badge-min-instances",
    env: ["SHM_BADGE_MIN_INSTANCES"],
    fallback: "3",
    help: "badge numbers drawn from fewer instances than this show `< N` (0: off)",
  },
  badgeCacheSeconds: {
    flag: "badge-cache-seconds",
    env: ["SHM_BADGE_CACHE_SECONDS"],
    fallback: "60",
    help: "seconds a badge's number is reused before the store is read again (0: off)",
  },
  headerTimeout: {
    flag: "header-timeout",
    env: ["SHM_HEADER_TIMEOUT"],
    fallback: "10s",
    help: "time a client has to send a request's headers, from connecting or its previous " +
      "answer, also how long an idle connection stays open (1s to 1h)",
  },
  bodyTimeout: {
    flag: "body-timeout",
    env: ["SHM_BODY_TIMEOUT"],
    fallback: "10s",
    help:
      "time a client has to send a request's body once its headers arrived, else 408 (1s to 1h)",
  },
  maxConnections: {
    flag: "max-connections",
    env: ["SHM_MAX_CONNECTIONS"],
    fallback: "10000",
    help: "connections open at once; beyond, 503 and closed (lowered for good if the open-file " +
      "limit is reached first)",
  },
  maxConnectionsPerAddress: {
    flag: "max-connections-per-address",
    env: ["SHM_MAX_CONNECTIONS_PER_ADDRESS"],
    fallback: "256",
    help: "connections open at once from one address, an IPv6 /64 counting as one; beyond, " +
      "429 (0: off; not applied with `--trust-proxy`)",
  },
  workers: {
    flag: "workers",
    env: ["SHM_WORKERS"],
    fallback: "cores",
    help: "accept loops serving HTTP on the port, each on a core of its own with its own " +
      "database pool (`cores`: as many as the machine has); always 1 with the embedded store " +
      "and outside Linux. Rate limits are kept per loop; badges' last figures are shared",
  },
  githubToken: {
    flag: "github-token",
    env: ["SHM_GITHUB_TOKEN"],
    fallback: null,
    help: "GitHub token used to read applications' repositories (stars, releases); without it " +
      "GitHub allows 60 requests an hour per address, and a read takes two or more",
    secret: true,
  },
  githubApiUrl: {
    flag: "github-api-url",
    env: ["SHM_GITHUB_API_URL"],
    fallback: "https://api.github.com",
    help: "the GitHub API's address (GitHub Enterprise: `https://github.example.com/api/v3`)",
  },
  smtpUrl: {
    flag: "smtp-url",
    env: ["SHM_SMTP_URL"],
    fallback: null,
    help:
      "SMTP server for alert emails and weekly digests (`smtps://user:pass@mail.example.org`, " +
      "`smtp://host:587` upgrades with STARTTLS when offered); without it, alerts go by webhook only",
    secret: true,
  },
  smtpFrom: {
    flag: "smtp-from",
    env: ["SHM_SMTP_FROM"],
    fallback: "shm@localhost",
    help: "sender address of alert emails (`SHM <alerts@example.org>`)",
  },
  alertPrivateWebhooks: {
    flag: "alert-private-webhooks",
    env: ["SHM_ALERT_PRIVATE_WEBHOOKS"],
    fallback: "false",
    help: "let alert webhooks reach private, loopback and link-local addresses (off: such a URL " +
      "is refused when made and before each delivery, against SSRF)",
    boolean: true,
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

/** Raw setting values as given on the command line, by setting name. */
export type SettingFlags = Partial<Record<SettingName, string | boolean>>;

/**
 * Builds the configuration from command-line flags (which win) and the
 * environment. Throws {@linkcode ConfigError} naming the first bad setting.
 */
export function readConfig(
  flags: SettingFlags,
  env: (name: string) => string | undefined,
): Config {
  const raw = (name: SettingName): { value: string | null; source: string } => {
    const spec: SettingSpec = SETTINGS[name];
    const flag = flags[name];
    if (flag !== undefined) return { value: String(flag), source: `--${spec.flag}` };
    for (const variable of spec.env) {
      const value = env(variable);
      if (value !== undefined && value !== "") return { value, source: variable };
    }
    return { value: spec.fallback, source: spec.env[0] ?? `--${spec.flag}` };
  };

  const port = integerSetting(raw("port"), { min: 0, max: 65535 });
  const host = requiredText(raw("host"));
  const publicUrl = publicUrlSetting(raw("publicUrl"));
  const dataDir = requiredText(raw("dataDir"));
  const databaseUrl = raw("databaseUrl");
  const adminToken = raw("adminToken");
  if (adminToken.value !== null && /\s/.test(adminToken.value)) {
    throw new ConfigError(
      `Cannot use ${adminToken.source} as it contains white space, which an ` +
        "Authorization header cannot carry: choose a token without spaces",
    );
  }
  if (adminToken.value !== null && adminToken.value.length < 16) {
    throw new ConfigError(
      `Cannot use ${adminToken.source} as it is shorter than 16 characters: ` +
        `choose a long random token, e.g. from \`openssl rand -hex 32\``,
    );
  }
  const historyRetentionDays = integerSetting(raw("historyRetentionDays"), { min: 1, max: 36500 });
  const dbConnectTimeoutMs = durationSetting(raw("dbConnectTimeout"), {
    minMs: 100,
    maxMs: 60_000,
  });
  const readUrl = raw("databaseReadUrl");
  if (readUrl.value !== null && databaseUrl.value === null) {
    throw new ConfigError(
      `Cannot use ${readUrl.source} without a database URL: a read replica stands beside ` +
        "a PostgreSQL primary, and the embedded store has none",
    );
  }
  const logLevel = raw("logLevel");
  if (logLevel.value === null || !isLogLevel(logLevel.value)) {
    throw new ConfigError(
      `Cannot use ${logLevel.source} as it is not debug, info, warn or error: ` +
        `current value is "${logLevel.value}"`,
    );
  }
  return Object.freeze({
    port,
    host,
    publicUrl,
    store: databaseUrl.value === null
      ? Object.freeze({ kind: "embedded" as const, dataDir })
      : Object.freeze({
        kind: "postgres" as const,
        url: postgresUrl(databaseUrl),
        connectTimeoutMs: dbConnectTimeoutMs,
        poolSize: integerSetting(raw("dbPoolSize"), { min: 1, max: 1000 }),
        prepare: booleanSetting(raw("dbPrepare")),
        ...(readUrl.value === null ? {} : {
          readUrl: postgresUrl(readUrl),
          readMaxLagMs: durationSetting(raw("databaseReadMaxLag"), {
            minMs: 1_000,
            maxMs: 3_600_000,
          }),
        }),
      }),
    storeQueryTimeoutMs: durationSetting(raw("dbQueryTimeout"), { minMs: 100, maxMs: 3_600_000 }),
    dataDir,
    adminToken: adminToken.value,
    activeDays: integerSetting(raw("activeDays"), { min: 1, max: 3650 }),
    snapshotBacklogMs: durationSetting(raw("snapshotBacklog"), {
      minMs: 60_000,
      maxMs: 366 * 86_400_000,
    }),
    // Raw snapshots are kept no longer than the history they were folded into.
    rawRetentionDays: Math.min(
      integerSetting(raw("rawRetentionDays"), { min: 1, max: 3650 }),
      historyRetentionDays,
    ),
    historyRetentionDays,
    instanceRetentionDays: integerSetting(raw("instanceRetentionDays"), { min: 1, max: 36500 }),
    rollupIntervalMs: durationSetting(raw("rollupInterval"), { minMs: 1_000, maxMs: 86_400_000 }),
    logLevel: logLevel.value,
    rateLimitPerIp: integerSetting(raw("rateLimitPerIp"), { min: 0, max: 1_000_000 }),
    rateLimitPerInstance: integerSetting(raw("rateLimitPerInstance"), {
      min: 0,
      max: 1_000_000,
    }),
    trustProxy: booleanSetting(raw("trustProxy")),
    authProxy: authProxySetting(
      raw("authProxyHeader"),
      raw("authProxyTrusted"),
      raw("authProxyGroupsHeader"),
      raw("authProxyAdminGroup"),
    ),
    ...signInSettings(raw, publicUrl),
    ...firstAccount(raw("adminUser"), raw("adminPassword")),
    badgeMaxAge: integerSetting(raw("badgeMaxAge"), { min: 0, max: 31_536_000 }),
    badgeMinInstances: integerSetting(raw("badgeMinInstances"), { min: 0, max: 1_000_000 }),
    badgeCacheSeconds: integerSetting(raw("badgeCacheSeconds"), { min: 0, max: 86_400 }),
    headerTimeoutMs: durationSetting(raw("headerTimeout"), { minMs: 1_000, maxMs: 3_600_000 }),
    bodyTimeoutMs: durationSetting(raw("bodyTimeout"), { minMs: 1_000, maxMs: 3_600_000 }),
    maxConnections: integerSetting(raw("maxConnections"), { min: 1, max: 1_000_000 }),
    maxConnectionsPerAddress: integerSetting(raw("maxConnectionsPerAddress"), {
      min: 0,
      max: 1_000_000,
    }),
    // The embedded store is one process's files: one accept loop serves it.
    workers: Math.min(workerCount(raw("workers")), databaseUrl.value === null ? 1 : 256),
    githubToken: githubTokenSetting(raw("githubToken")),
    githubApiUrl: httpAddress(raw("githubApiUrl"), "https://api.github.com"),
    smtpUrl: smtpUrlSetting(raw("smtpUrl")),
    smtpFrom: smtpFromSetting(raw("smtpFrom")),
    alertPrivateWebhooks: booleanSetting(raw("alertPrivateWebhooks")),
  });
}

/**
 * The number of accept loops: `cores` is the machine's count. Outside Linux
 * it is 1, as only Linux spreads a port's connections over several sockets.
 */
function workerCount(setting: RawSetting): number {
  const count = setting.value?.trim() === "cores"
    ? navigator.hardwareConcurrency
    : integerSetting(setting, { min: 1, max: 256 });
  return Deno.build.os === "linux" ? count : 1;
}

/**
 * Describes the configuration in one line for the start-up log, with the
 * database password and the admin token left out.
 */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    port: config.port,
    host: config.host,
    public_url: config.publicUrl ?? "not set",
    store: config.store.kind === "embedded"
      ? `embedded (${config.store.dataDir})`
      : `postgres (${redactUrl(config.store.url)})`,
    ...(config.store.kind === "postgres"
      ? {
        db_connect_timeout: formatDuration(config.store.connectTimeoutMs ?? 1_000),
        db_pool_size: config.store.poolSize ?? 10,
        db_connections_at_most: config.workers * (config.store.poolSize ?? 10),
        db_prepare: config.store.prepare ?? true,
        read_replica: config.store.readUrl === undefined
          ? "not set"
          : `${redactUrl(config.store.readUrl)} (up to ${
            formatDuration(config.store.readMaxLagMs ?? 30_000)
          } behind)`,
        db_query_timeout: formatDuration(config.storeQueryTimeoutMs),
      }
      : {}),
    admin_token: config.adminToken === null ? "not set" : "set",
    active_days: config.activeDays,
    snapshot_backlog: formatDuration(config.snapshotBacklogMs),
    raw_retention_days: config.rawRetentionDays,
    history_retention_days: config.historyRetentionDays,
    instance_retention_days: config.instanceRetentionDays,
    rollup_interval: formatDuration(config.rollupIntervalMs),
    log_level: config.logLevel,
    rate_limit_ip: config.rateLimitPerIp,
    rate_limit_instance: config.rateLimitPerInstance,
    trust_proxy: config.trustProxy,
    oidc_issuer: config.oidc?.issuer ?? "not set",
    local_login: config.localLogin,
    admin_user: config.adminUser,
    admin_password: config.adminPassword === null ? "not set" : "set",
    badge_max_age: config.badgeMaxAge,
    badge_min_instances: config.badgeMinInstances,
    badge_cache_seconds: config.badgeCacheSeconds,
    header_timeout: formatDuration(config.headerTimeoutMs),
    body_timeout: formatDuration(config.bodyTimeoutMs),
    max_connections: config.maxConnections,
    max_connections_per_address: config.maxConnectionsPerAddress,
    workers: config.workers,
    github_token: config.githubToken === null ? "not set" : "set",
    github_api_url: config.githubApiUrl,
    smtp_url: config.smtpUrl === null ? "not set" : redactUrl(config.smtpUrl),
    smtp_from: config.smtpFrom,
    alert_private_webhooks: config.alertPrivateWebhooks,
  };
}

/** Returns `url` with its password replaced by `***`; non-URLs come back as `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "***";
  }
}

interface RawSetting {
  value: string | null;
  source: string;
}

function requiredText({ value, source }: RawSetting): string {
  if (value === null || value.trim() === "") {
    throw new ConfigError(`Cannot start as ${source} is empty`);
  }
  return value;
}

function integerSetting(
  { value, source }: RawSetting,
  range: { min: number; max: number },
): number {
  const text = value?.trim() ?? "";
  const number = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(number) || number < range.min || number > range.max) {
    throw new ConfigError(
      `Cannot use ${source} as it is not a whole number from ${range.min} to ${range.max}: ` +
        `current value is "${value}"`,
    );
  }
  return number;
}

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

function durationSetting(
  { value, source }: RawSetting,
  range: { minMs: number; maxMs: number },
): number {
  const match = /^(\d+)\s*(ms|[smhd])$/.exec(value?.trim() ?? "");
  const ms = match ? Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? ""] ?? NaN) : NaN;
  if (!Number.isSafeInteger(ms) || ms < range.minMs || ms > range.maxMs) {
    throw new ConfigError(
      `Cannot use ${source} as it is not a duration from ${formatDuration(range.minMs)} to ` +
        `${formatDuration(range.maxMs)} such as 7d, 12h or 90m: ` +
        `current value is "${value}"`,
    );
  }
  return ms;
}

function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m"] as const) {
    const size = DURATION_UNITS_MS[unit] ?? 1;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function firstAccount(
  user: RawSetting,
  password: RawSetting,
): { adminUser: string; adminPassword: string | null } {
  const adminUser = requiredText(user).trim();
  if (!isUsername(adminUser)) {
    throw new ConfigError(
      `Cannot use ${user.source} as it is not 1 to 64 letters, digits or ._@-: ` +
        `current value is "${adminUser.slice(0, 80)}"`,
    );
  }
  if (password.value !== null && password.value.length < MIN_PASSWORD_LENGTH) {
    // The value is not echoed: it is a password.
    throw new ConfigError(
      `Cannot use ${password.source} as it is shorter than ${MIN_PASSWORD_LENGTH} characters: ` +
        "choose a longer password",
    );
  }
  return { adminUser, adminPassword: password.value };
}

/** Headers and group names the forward-auth settings take: an HTTP token, at most 100 characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

/**
 * The forward-auth proxy settings: null without `SHM_AUTH_PROXY_HEADER`;
 * with it, the trusted ranges are required (nothing is trusted by default).
 */
function authProxySetting(
  header: RawSetting,
  trusted: RawSetting,
  groupsHeader: RawSetting,
  adminGroup: RawSetting,
): AuthProxySetting | null {
  if (header.value === null) {
    for (const other of [trusted, groupsHeader, adminGroup]) {
      if (other.value !== null) {
        throw new ConfigError(
          `Cannot use ${other.source} without SHM_AUTH_PROXY_HEADER: it only tunes the ` +
            "forward-auth proxy, which that header turns on",
        );
      }
    }
    return null;
  }
  for (const name of [header, groupsHeader]) {
    if (name.value !== null && !HEADER_NAME.test(name.value)) {
      throw new ConfigError(
        `Cannot use ${name.source} as it is not a header name: current value is ` +
          `"${name.value.slice(0, 60)}"`,
      );
    }
  }
  if (trusted.value === null) {
    throw new ConfigError(
      `Cannot use ${header.source} without SHM_AUTH_PROXY_TRUSTED: name the addresses of the ` +
        "proxy that sets the header (CIDR list, e.g. 10.0.0.5/32,fd00::/8); nothing is trusted " +
        "by default, as anyone else could send the header",
    );
  }
  let ranges: Cidr[];
  try {
    ranges = parseCidrList(trusted.value);
  } catch (error) {
    throw new ConfigError(`Cannot use ${trusted.source} as ${(error as Error).message}`);
  }
  if (ranges.length === 0) {
    throw new ConfigError(`Cannot use ${trusted.source} as it names no address range`);
  }
  if (
    adminGroup.value !== null &&
    (adminGroup.value.length > 200 || /[\p{Cc},|]/u.test(adminGroup.value))
  ) {
    throw new ConfigError(
      `Cannot use ${adminGroup.source} as a group name: at most 200 characters, without control ` +
        "characters, commas or bars",
    );
  }
  return Object.freeze({
    header: header.value.toLowerCase(),
    trusted: Object.freeze(ranges),
    groupsHeader: groupsHeader.value?.toLowerCase() ?? null,
    adminGroup: adminGroup.value,
  });
}

/**
 * OpenID Connect and local sign-in: `oidc` null without `SHM_OIDC_ISSUER`; with it the client id,
 * secret, `SHM_PUBLIC_URL` and an allowed domain or group are required. Local sign-in may be off
 * only with OIDC on, so that some way in remains.
 */
function signInSettings(
  raw: (name: SettingName) => RawSetting,
  publicUrl: string | null,
): { oidc: OidcSetting | null; localLogin: boolean } {
  const issuer = raw("oidcIssuer");
  const localLogin = raw("localLogin");
  const others = [
    "oidcClientId",
    "oidcClientSecret",
    "oidcName",
    "oidcAllowedDomains",
    "oidcAllowedGroups",
    "oidcAdminGroup",
  ] as const;
  if (issuer.value === null) {
    for (const name of others) {
      const other = raw(name);
      if (other.value !== null) {
        throw new ConfigError(
          `Cannot use ${other.source} without SHM_OIDC_ISSUER: it only tunes the OpenID ` +
            "Connect sign-in, which the issuer turns on",
        );
      }
    }
    if (!booleanSetting(localLogin)) {
      throw new ConfigError(
        `Cannot turn local sign-in off (${localLogin.source}) without SHM_OIDC_ISSUER: nobody ` +
          "could sign in",
      );
    }
    return { oidc: null, localLogin: true };
  }
  const issuerUrl = loopbackOrHttps(issuer);
  if (publicUrl === null) {
    throw new ConfigError(
      `Cannot use ${issuer.source} without SHM_PUBLIC_URL: the provider sends people back to ` +
        "SHM_PUBLIC_URL/login/oidc/callback",
    );
  }
  const clientId = oidcText(raw("oidcClientId"), { required: true })!;
  const clientSecret = raw("oidcClientSecret");
  if (clientSecret.value === null || !/^[\x21-\x7e]{1,512}$/.test(clientSecret.value)) {
    // The value is not echoed: it is a secret.
    throw new ConfigError(
      `Cannot use ${issuer.source} without ${clientSecret.source}: 1 to 512 printable ` +
        "characters without spaces, as the provider gave it for the client",
    );
  }
  const allowedDomains = nameList(raw("oidcAllowedDomains")).map((domain) => domain.toLowerCase());
  for (const domain of allowedDomains) {
    if (!/^(?=.{1,253}$)([a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}$/.test(domain)) {
      throw new ConfigError(
        `Cannot use SHM_OIDC_ALLOWED_DOMAINS as "${domain.slice(0, 80)}" is not a domain name ` +
          "such as example.org",
      );
    }
  }
  const allowedGroups = nameList(raw("oidcAllowedGroups"));
  if (allowedDomains.length === 0 && allowedGroups.length === 0) {
    throw new ConfigError(
      `Cannot use ${issuer.source} without SHM_OIDC_ALLOWED_DOMAINS or SHM_OIDC_ALLOWED_GROUPS: ` +
        "say whose accounts at the provider may sign in",
    );
  }
  const scopes = (raw("oidcScopes").value ?? "").split(/\s+/).filter((scope) => scope !== "");
  if (scopes.some((scope) => !/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/.test(scope))) {
    throw new ConfigError("Cannot use SHM_OIDC_SCOPES as it holds a character a scope cannot have");
  }
  const adminGroup = raw("oidcAdminGroup");
  return {
    oidc: Object.freeze({
      issuer: issuerUrl,
      clientId,
      clientSecret: clientSecret.value,
      redirectUri: `${publicUrl}/login/oidc/callback`,
      name: oidcText(raw("oidcName"), { required: false }) ?? new URL(issuerUrl).host,
      scopes: [...new Set(["openid", ...scopes])].join(" "),
      allowedDomains: Object.freeze(allowedDomains),
      allowedGroups: Object.freeze(allowedGroups),
      adminGroup: adminGroup.value === null ? null : nameList(adminGroup)[0] ?? null,
    }),
    localLogin: booleanSetting(localLogin),
  };
}

/** An issuer URL: https, or http to a loopback host only (a provider on the same machine). */
function loopbackOrHttps(setting: RawSetting): string {
  const url = httpAddress(setting, "https://auth.example.org/application/o/shm");
  const host = new URL(url).hostname;
  const loopback = host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (url.startsWith("http:") && !loopback) {
    throw new ConfigError(
      `Cannot use ${setting.source} as it is http:// to another machine: tokens would cross ` +
        `the network in clear; use https:// (current value is "${url.slice(0, 200)}")`,
    );
  }
  // The issuer must equal the discovery document's, slashes included: keep what was given.
  return setting.value!.trim();
}

/** A short printable text setting (1 to 200 characters, no control characters). */
function oidcText(setting: RawSetting, options: { required: boolean }): string | null {
  if (setting.value === null) {
    if (!options.required) return null;
    throw new ConfigError(`Cannot use SHM_OIDC_ISSUER without ${setting.source}`);
  }
  const text = setting.value.trim();
  if (text === "" || text.length > 200 || /\p{Cc}/u.test(text)) {
    throw new ConfigError(
      `Cannot use ${setting.source} as it is not 1 to 200 printable characters`,
    );
  }
  return text;
}

/** A comma list of names (domains, groups): each trimmed, 1 to 200 characters, no control ones. */
function nameList(setting: RawSetting): string[] {
  if (setting.value === null) return [];
  const names = setting.value.split(",").map((name) => name.trim()).filter((name) => name !== "");
  for (const name of names) {
    if (name.length > 200 || /[\p{Cc}|]/u.test(name)) {
      throw new ConfigError(
        `Cannot use ${setting.source} as "${name.slice(0, 80)}" is not a name: at most 200 ` +
          "characters, without control characters or bars",
      );
    }
  }
  if (names.length === 0) {
    throw new ConfigError(`Cannot use ${setting.source} as it names nothing`);
  }
  return names;
}

function booleanSetting({ value, source }: RawSetting): boolean {
  const text = value?.trim().toLowerCase() ?? "";
  if (["1", "true", "yes", "on"].includes(text)) return true;
  if (["0", "false", "no", "off", ""].includes(text)) return false;
  throw new ConfigError(
    `Cannot use ${source} as it is not true or false: current value is "${value}"`,
  );
}

function publicUrlSetting(setting: RawSetting): string | null {
  return setting.value === null ? null : httpAddress(setting, "https://metrics.example.org");
}

/**
 * The setting as an http(s) address without query, fragment or credentials,
 * its trailing slashes dropped; else a `ConfigError` naming `example`.
 */
function httpAddress({ value, source }: RawSetting, example: string): string {
  let parsed: URL | null = null;
  try {
    parsed = new URL((value ?? "").trim());
  } catch {
    parsed = null;
  }
  if (
    parsed === null || !["http:", "https:"].includes(parsed.protocol) || parsed.search !== "" ||
    parsed.hash !== "" || parsed.username !== "" || parsed.password !== ""
  ) {
    throw new ConfigError(
      `Cannot use ${source} as it is not an http:// or https:// address such as ` +
        `${example}: current value is "${(value ?? "").slice(0, 200)}"`,
    );
  }
  return parsed.href.replace(/\/+$/, "");
}

function githubTokenSetting({ value, source }: RawSetting): string | null {
  if (value === null) return null;
  const token = value.trim();
  if (token === "" || !/^[\x21-\x7e]{1,255}$/.test(token)) {
    // The value is not echoed: it is a secret.
    throw new ConfigError(
      `Cannot use ${source} as it is not a GitHub token (1 to 255 printable characters, no spaces)`,
    );
  }
  return token;
}

function smtpUrlSetting({ value, source }: RawSetting): string | null {
  if (value === null) return null;
  let parsed: URL | null = null;
  try {
    parsed = new URL(value.trim());
  } catch {
    parsed = null;
  }
  if (parsed === null || !["smtp:", "smtps:"].includes(parsed.protocol) || parsed.hostname === "") {
    // The value is not echoed: it may hold a password.
    throw new ConfigError(
      `Cannot use ${source} as it is not an smtp:// or smtps:// URL such as ` +
        "smtps://user:password@mail.example.org",
    );
  }
  return parsed.href;
}

function smtpFromSetting({ value, source }: RawSetting): string {
  const from = (value ?? "").trim();
  if (!/^[^\r\n@]*<?[^\s@<>]+@[^\s@<>]+>?$/.test(from) || from.length > 254) {
    throw new ConfigError(
      `Cannot use ${source} as it is not an email address such as SHM <alerts@example.org>: ` +
        `current value is "${from.slice(0, 100)}"`,
    );
  }
  return from;
}

function postgresUrl({ value, source }: RawSetting): string {
  const text = value?.trim() ?? "";
  let parsed: URL | null = null;
  try {
    parsed = new URL(text);
  } catch {
    parsed = null;
  }
  if (parsed === null || !["postgres:", "postgresql:"].includes(parsed.protocol)) {
    // The value is not echoed: a malformed URL may still hold a password.
    throw new ConfigError(
      `Cannot use ${source} as it is not a postgres:// or postgresql:// URL ` +
        "(value not shown, as it may hold a password)",
    );
  }
  return text;
}
