import assert from "node:assert/strict";
import { fc } from "../tests/support/dev_deps.ts";
import {
  type Config,
  ConfigError,
  describeConfig,
  readConfig,
  redactUrl,
  type SettingFlags,
} from "./config.ts";

const TOKEN = "s3cr3t-admin-token-0123456789abcdef";
const PASSWORD = "Pa55w0rd-very-secret";

/** An environment that holds exactly `vars`. */
function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => Object.hasOwn(vars, name) ? vars[name] : undefined;
}

function configFrom(vars: Record<string, string>, flags: SettingFlags = {}): Config {
  return readConfig(flags, envOf(vars));
}

/** Returns what `fn` throws; fails the test when it returns normally. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected an error, but none was thrown");
}

function assertConfigError(error: unknown, message: string): void {
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
  assert.equal(error.name, "ConfigError");
  assert.equal(error.message, message);
}

Deno.test("readConfig() uses the documented defaults when nothing is set", () => {
  assert.deepEqual({ ...configFrom({}) }, {
    port: 8080,
    host: "0.0.0.0",
    publicUrl: null,
    store: { kind: "embedded", dataDir: "./shm-data" },
    storeQueryTimeoutMs: 1_500,
    dataDir: "./shm-data",
    adminToken: null,
    activeDays: 30,
    snapshotBacklogMs: 7 * 86_400_000,
    rawRetentionDays: 14,
    historyRetentionDays: 400,
    instanceRetentionDays: 400,
    rollupIntervalMs: 300_000,
    logLevel: "info",
    rateLimitPerIp: 300,
    rateLimitPerInstance: 60,
    trustProxy: false,
    authProxy: null,
    oidc: null,
    localLogin: true,
    adminUser: "admin",
    adminPassword: null,
    badgeMaxAge: 300,
    badgeMinInstances: 3,
    badgeCacheSeconds: 60,
    headerTimeoutMs: 10_000,
    bodyTimeoutMs: 10_000,
    maxConnections: 10_000,
    maxConnectionsPerAddress: 256,
    workers: 1,
    githubToken: null,
    githubApiUrl: "https://api.github.com",
    smtpUrl: null,
    smtpFrom: "shm@localhost",
    alertPrivateWebhooks: false,
  });
});

Deno.test("readConfig() reads every setting from the environment", () => {
  const config = configFrom({
    PORT: "9000",
    SHM_HOST: "127.0.0.1",
    SHM_PUBLIC_URL: "https://metrics.example.org/",
    SHM_DATA_DIR: "/var/lib/shm",
    SHM_ADMIN_TOKEN: TOKEN,
    SHM_ACTIVE_DAYS: "7",
    SHM_SNAPSHOT_BACKLOG: "12h",
    SHM_RAW_RETENTION_DAYS: "90",
    SHM_ROLLUP_INTERVAL: "30s",
    SHM_LOG_LEVEL: "debug",
    SHM_RATE_LIMIT_IP: "0",
    SHM_RATE_LIMIT_INSTANCE: "10",
    SHM_TRUST_PROXY: "true",
    SHM_ADMIN_USER: "ops",
    SHM_ADMIN_PASSWORD: "s3cret-pass",
    SHM_BADGE_MAX_AGE: "60",
    SHM_BADGE_MIN_INSTANCES: "0",
    SHM_BADGE_CACHE_SECONDS: "5",
    SHM_DB_QUERY_TIMEOUT: "3s",
    SHM_HEADER_TIMEOUT: "5s",
    SHM_BODY_TIMEOUT: "1m",
    SHM_MAX_CONNECTIONS: "500",
    SHM_MAX_CONNECTIONS_PER_ADDRESS: "0",
    SHM_WORKERS: "4",
    SHM_GITHUB_TOKEN: "ghp_example0123456789",
    SHM_GITHUB_API_URL: "https://github.example.com/api/v3/",
    SHM_SMTP_URL: `smtps://mailer:${PASSWORD}@mail.example.org:465`,
    SHM_SMTP_FROM: "SHM <alerts@example.org>",
    SHM_ALERT_PRIVATE_WEBHOOKS: "true",
  });
  assert.deepEqual({ ...config }, {
    port: 9000,
    host: "127.0.0.1",
    publicUrl: "https://metrics.example.org",
    store: { kind: "embedded", dataDir: "/var/lib/shm" },
    storeQueryTimeoutMs: 3_000,
    dataDir: "/var/lib/shm",
    adminToken: TOKEN,
    activeDays: 7,
    snapshotBacklogMs: 12 * 3_600_000,
    rawRetentionDays: 90,
    historyRetentionDays: 400,
    instanceRetentionDays: 400,
    rollupIntervalMs: 30_000,
    logLevel: "debug",
    rateLimitPerIp: 0,
    rateLimitPerInstance: 10,
    trustProxy: true,
    authProxy: null,
    oidc: null,
    localLogin: true,
    adminUser: "ops",
    adminPassword: "s3cret-pass",
    badgeMaxAge: 60,
    badgeMinInstances: 0,
    badgeCacheSeconds: 5,
    headerTimeoutMs: 5_000,
    bodyTimeoutMs: 60_000,
    maxConnections: 500,
    maxConnectionsPerAddress: 0,
    // The embedded store has one accept loop whatever the setting.
    workers: 1,
    githubToken: "ghp_example0123456789",
    githubApiUrl: "https://github.example.com/api/v3",
    smtpUrl: `smtps://mailer:${PASSWORD}@mail.example.org:465`,
    smtpFrom: "SHM <alerts@example.org>",
    alertPrivateWebhooks: true,
  });
});

Deno.test("readConfig() keeps raw snapshots no longer than the history: SHM_RAW_RETENTION_DAYS is capped by SHM_HISTORY_RETENTION_DAYS", () => {
  const capped = configFrom({ SHM_RAW_RETENTION_DAYS: "90", SHM_HISTORY_RETENTION_DAYS: "30" });
  assert.equal(capped.rawRetentionDays, 30);
  assert.equal(capped.historyRetentionDays, 30);
  const within = configFrom({ SHM_RAW_RETENTION_DAYS: "14", SHM_INSTANCE_RETENTION_DAYS: "90" });
  assert.equal(within.rawRetentionDays, 14);
  assert.equal(within.instanceRetentionDays, 90);
  for (const name of ["SHM_HISTORY_RETENTION_DAYS", "SHM_INSTANCE_RETENTION_DAYS"]) {
    assert.throws(() => configFrom({ [name]: "0" }), new RegExp(name));
  }
});

Deno.test("readConfig() lets a flag win over the environment", () => {
  const config = configFrom(
    { PORT: "9000", SHM_LOG_LEVEL: "debug", SHM_TRUST_PROXY: "true", SHM_DATA_DIR: "/env" },
    { port: "9100", logLevel: "warn", trustProxy: false, dataDir: "/flag" },
  );
  assert.equal(config.port, 9100);
  assert.equal(config.logLevel, "warn");
  assert.equal(config.trustProxy, false);
  assert.equal(config.dataDir, "/flag");
  assert.deepEqual(config.store, { kind: "embedded", dataDir: "/flag" });
});

Deno.test("readConfig() takes a boolean flag given without a value as true", () => {
  assert.equal(configFrom({}, { trustProxy: true }).trustProxy, true);
});

Deno.test("readConfig() names the flag, not the variable, when a bad value came from a flag", () => {
  assertConfigError(
    thrownBy(() => configFrom({ PORT: "9000" }, { port: "eighty" })),
    'Cannot use --port as it is not a whole number from 0 to 65535: current value is "eighty"',
  );
});

Deno.test("readConfig() treats an empty variable as unset", () => {
  const config = configFrom({ PORT: "", SHM_LOG_LEVEL: "", SHM_DATABASE_URL: "" });
  assert.equal(config.port, 8080);
  assert.equal(config.logLevel, "info");
  assert.equal(config.store.kind, "embedded");
});

Deno.test("readConfig() uses PostgreSQL from SHM_DATABASE_URL, then DATABASE_URL, then SHM_DB_DSN", () => {
  const first = "postgres://a@db1/shm";
  const second = "postgresql://b@db2/shm";
  const third = "postgres://c@db3/shm?sslmode=disable";
  assert.deepEqual(
    configFrom({ SHM_DATABASE_URL: first, DATABASE_URL: second, SHM_DB_DSN: third }).store,
    { kind: "postgres", url: first, connectTimeoutMs: 1_000, poolSize: 10, prepare: true },
  );
  assert.deepEqual(configFrom({ DATABASE_URL: second, SHM_DB_DSN: third }).store, {
    kind: "postgres",
    url: second,
    connectTimeoutMs: 1_000,
    poolSize: 10,
    prepare: true,
  });
  assert.deepEqual(configFrom({ SHM_DB_DSN: third }).store, {
    kind: "postgres",
    url: third,
    connectTimeoutMs: 1_000,
    poolSize: 10,
    prepare: true,
  });
  assert.deepEqual(
    configFrom({ SHM_DATABASE_URL: "", DATABASE_URL: second }).store,
    { kind: "postgres", url: second, connectTimeoutMs: 1_000, poolSize: 10, prepare: true },
  );
});

Deno.test("readConfig() lets --database-url win over every database variable", () => {
  const config = configFrom(
    { SHM_DATABASE_URL: "postgres://env@db/shm" },
    { databaseUrl: "postgres://flag@db/shm" },
  );
  assert.deepEqual(config.store, {
    kind: "postgres",
    url: "postgres://flag@db/shm",
    connectTimeoutMs: 1_000,
    poolSize: 10,
    prepare: true,
  });
});

Deno.test("readConfig() reads the database timeouts in ms or s, within their ranges", () => {
  const url = { SHM_DATABASE_URL: "postgres://u@h/db" };
  const config = configFrom({
    ...url,
    SHM_DB_CONNECT_TIMEOUT: "500ms",
    SHM_DB_QUERY_TIMEOUT: "2s",
  });
  assert.deepEqual(config.store, {
    kind: "postgres",
    url: url.SHM_DATABASE_URL,
    connectTimeoutMs: 500,
    poolSize: 10,
    prepare: true,
  });
  assert.equal(config.storeQueryTimeoutMs, 2_000);
  assert.equal(configFrom({ SHM_DB_QUERY_TIMEOUT: "250ms" }).storeQueryTimeoutMs, 250);
  assertConfigError(
    thrownBy(() => configFrom({ SHM_DB_QUERY_TIMEOUT: "50ms" })),
    "Cannot use SHM_DB_QUERY_TIMEOUT as it is not a duration from 100ms to 1h such as 7d, 12h or " +
      '90m: current value is "50ms"',
  );
  assertConfigError(
    thrownBy(() => configFrom({ SHM_DB_CONNECT_TIMEOUT: "2m" })),
    "Cannot use SHM_DB_CONNECT_TIMEOUT as it is not a duration from 100ms to 1m such as 7d, 12h " +
      'or 90m: current value is "2m"',
  );
  assert.throws(() => configFrom({ SHM_DB_QUERY_TIMEOUT: "1.5s" }), ConfigError);
});

Deno.test("readConfig() returns a frozen configuration, store included", () => {
  const embedded = configFrom({});
  const postgres = configFrom({ DATABASE_URL: "postgres://u@h/db" });
  for (const config of [embedded, postgres]) {
    assert.equal(Object.isFrozen(config), true);
    assert.equal(Object.isFrozen(config.store), true);
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.equal(config.port, 8080);
  }
});

Deno.test("readConfig() refuses PORT=abc, naming PORT and the value", () => {
  assertConfigError(
    thrownBy(() => configFrom({ PORT: "abc" })),
    'Cannot use PORT as it is not a whole number from 0 to 65535: current value is "abc"',
  );
});

Deno.test("readConfig() refuses ports that are not whole numbers from 0 to 65535", () => {
  for (const port of ["65536", "-1", "80.5", "1e3", "+80", "0x50", "８０"]) {
    const error = thrownBy(() => configFrom({ PORT: port }));
    assertConfigError(
      error,
      `Cannot use PORT as it is not a whole number from 0 to 65535: current value is "${port}"`,
    );
  }
  assert.equal(configFrom({ PORT: "0" }).port, 0);
  assert.equal(configFrom({ PORT: "65535" }).port, 65535);
  assert.equal(configFrom({ PORT: " 8081 " }).port, 8081);
});

Deno.test("readConfig() refuses SHM_ACTIVE_DAYS=0, naming the setting", () => {
  assertConfigError(
    thrownBy(() => configFrom({ SHM_ACTIVE_DAYS: "0" })),
    'Cannot use SHM_ACTIVE_DAYS as it is not a whole number from 1 to 3650: current value is "0"',
  );
});

Deno.test("readConfig() refuses a raw retention of 0 days, naming the setting", () => {
  assertConfigError(
    thrownBy(() => configFrom({ SHM_RAW_RETENTION_DAYS: "0" })),
    'Cannot use SHM_RAW_RETENTION_DAYS as it is not a whole number from 1 to 3650: current value is "0"',
  );
});

Deno.test("readConfig() refuses SHM_SNAPSHOT_BACKLOG=7 (no unit), naming the setting", () => {
  assertConfigError(
    thrownBy(() => configFrom({ SHM_SNAPSHOT_BACKLOG: "7" })),
    "Cannot use SHM_SNAPSHOT_BACKLOG as it is not a duration from 1m to 366d such as 7d, 12h or 90m: " +
      'current value is "7"',
  );
});

Deno.test("readConfig() refuses a rollup interval under 1 s or over a day, naming the range", () => {
  assertConfigError(
    thrownBy(() => configFrom({ SHM_ROLLUP_INTERVAL: "0s" })),
    "Cannot use SHM_ROLLUP_INTERVAL as it is not a duration from 1s to 1d such as 7d, 12h or 90m: " +
      'current value is "0s"',
  );
  assert.throws(() => configFrom({ SHM_ROLLUP_INTERVAL: "25h" }), ConfigError);
  assert.equal(configFrom({ SHM_ROLLUP_INTERVAL: "1s" }).rollupIntervalMs, 1_000);
  assert.equal(configFrom({ SHM_ROLLUP_INTERVAL: "24h" }).rollupIntervalMs, 86_400_000);
});

Deno.test("readConfig() reads backlog durations in s, m, h and d within 1m to 366d", () => {
  const backlog = (value: string) => configFrom({ SHM_SNAPSHOT_BACKLOG: value }).snapshotBacklogMs;
  assert.equal(backlog("90m"), 90 * 60_000);
  assert.equal(backlog("12h"), 12 * 3_600_000);
  assert.equal(backlog("366d"), 366 * 86_400_000);
  assert.equal(backlog("1m"), 60_000);
  assert.equal(backlog("60s"), 60_000);
  for (const bad of ["59s", "0d", "367d", "7w", "d", "-1d", "1.5d", "7 days"]) {
    assert.throws(
      () => backlog(bad),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.startsWith("Cannot use SHM_SNAPSHOT_BACKLOG") &&
        error.message.endsWith(`current value is "${bad}"`),
      bad,
    );
  }
});

Deno.test("readConfig() refuses SHM_LOG_LEVEL=loud, naming the setting", () => {
  assertConfigError(
    thrownBy(() => configFrom({ SHM_LOG_LEVEL: "loud" })),
    'Cannot use SHM_LOG_LEVEL as it is not debug, info, warn or error: current value is "loud"',
  );
  for (const level of ["debug", "info", "warn", "error"] as const) {
    assert.equal(configFrom({ SHM_LOG_LEVEL: level }).logLevel, level);
  }
});

Deno.test("readConfig() refuses a log level named like an Object method", () => {
  assertConfigError(
    thrownBy(() => configFrom({ SHM_LOG_LEVEL: "toString" })),
    'Cannot use SHM_LOG_LEVEL as it is not debug, info, warn or error: current value is "toString"',
  );
});

Deno.test("readConfig() refuses an admin token shorter than 16 characters without echoing it", () => {
  const short = "tooShort-15char";
  assert.equal(short.length, 15);
  const error = thrownBy(() => configFrom({ SHM_ADMIN_TOKEN: short }));
  assertConfigError(
    error,
    "Cannot use SHM_ADMIN_TOKEN as it is shorter than 16 characters: " +
      "choose a long random token, e.g. from `openssl rand -hex 32`",
  );
  assert.ok(!(error as Error).message.includes(short));
  assert.equal(configFrom({ SHM_ADMIN_TOKEN: "x".repeat(16) }).adminToken, "x".repeat(16));
});

Deno.test("readConfig() refuses a database URL that is not postgres://, naming the variable", () => {
  assertConfigError(
    thrownBy(() => configFrom({ SHM_DATABASE_URL: "mysql://root@db/shm" })),
    "Cannot use SHM_DATABASE_URL as it is not a postgres:// or postgresql:// URL (value not shown, as it may hold a password)",
  );
  assertConfigError(
    thrownBy(() => configFrom({ DATABASE_URL: "not a url" })),
    "Cannot use DATABASE_URL as it is not a postgres:// or postgresql:// URL (value not shown, as it may hold a password)",
  );
  assertConfigError(
    thrownBy(() => configFrom({ SHM_DB_DSN: "host=db user=shm" })),
    "Cannot use SHM_DB_DSN as it is not a postgres:// or postgresql:// URL (value not shown, as it may hold a password)",
  );
});

Deno.test("readConfig() never echoes the password of a refused database URL", () => {
  for (
    const url of [
      `mysql://shm:${PASSWORD}@db/shm`,
      `http://shm:${PASSWORD}@db:5432/shm`,
      `shm:${PASSWORD}@db:5432/shm`,
      `host=db user=shm password=${PASSWORD}`,
    ]
  ) {
    const error = thrownBy(() => configFrom({ SHM_DATABASE_URL: url }));
    assert.ok(error instanceof ConfigError, url);
    assert.ok(
      error.message.startsWith("Cannot use SHM_DATABASE_URL as it is not a postgres://"),
    );
    assert.ok(!error.message.includes(PASSWORD), `password leaked: ${error.message}`);
  }
});

Deno.test("readConfig() refuses SHM_TRUST_PROXY=maybe, naming the setting", () => {
  assertConfigError(
    thrownBy(() => configFrom({ SHM_TRUST_PROXY: "maybe" })),
    'Cannot use SHM_TRUST_PROXY as it is not true or false: current value is "maybe"',
  );
});

Deno.test("readConfig() reads the usual spellings of true and false", () => {
  for (const yes of ["1", "true", "TRUE", "Yes", "on", " true "]) {
    assert.equal(configFrom({ SHM_TRUST_PROXY: yes }).trustProxy, true, yes);
  }
  for (const no of ["0", "false", "False", "no", "OFF"]) {
    assert.equal(configFrom({ SHM_TRUST_PROXY: no }).trustProxy, false, no);
  }
});

Deno.test("readConfig() refuses rate limits that are not whole numbers, naming the setting", () => {
  assertConfigError(
    thrownBy(() => configFrom({ SHM_RATE_LIMIT_IP: "-5" })),
    'Cannot use SHM_RATE_LIMIT_IP as it is not a whole number from 0 to 1000000: current value is "-5"',
  );
  assertConfigError(
    thrownBy(() => configFrom({ SHM_RATE_LIMIT_INSTANCE: "lots" })),
    "Cannot use SHM_RATE_LIMIT_INSTANCE as it is not a whole number from 0 to 1000000: " +
      'current value is "lots"',
  );
});

Deno.test("readConfig() refuses a blank host, naming the setting", () => {
  assertConfigError(
    thrownBy(() => configFrom({ SHM_HOST: "   " })),
    "Cannot start as SHM_HOST is empty",
  );
});

Deno.test("readConfig() refuses connection deadlines and caps it cannot keep", () => {
  assertConfigError(
    thrownBy(() => configFrom({ SHM_HEADER_TIMEOUT: "0s" })),
    "Cannot use SHM_HEADER_TIMEOUT as it is not a duration from 1s to 1h such as 7d, 12h or 90m: " +
      'current value is "0s"',
  );
  assertConfigError(
    thrownBy(() => configFrom({ SHM_BODY_TIMEOUT: "forever" })),
    "Cannot use SHM_BODY_TIMEOUT as it is not a duration from 1s to 1h such as 7d, 12h or 90m: " +
      'current value is "forever"',
  );
  assertConfigError(
    thrownBy(() => configFrom({ SHM_MAX_CONNECTIONS: "0" })),
    'Cannot use SHM_MAX_CONNECTIONS as it is not a whole number from 1 to 1000000: current value is "0"',
  );
  assertConfigError(
    thrownBy(() => configFrom({ SHM_MAX_CONNECTIONS_PER_ADDRESS: "-1" })),
    "Cannot use SHM_MAX_CONNECTIONS_PER_ADDRESS as it is not a whole number from 0 to 1000000: " +
      'current value is "-1"',
  );
});

Deno.test("describeConfig() summarises the settings in one object", () => {
  const config = configFrom({
    SHM_DATABASE_URL: `postgres://shm:${PASSWORD}@db.internal:5432/metrics`,
    SHM_ADMIN_TOKEN: TOKEN,
    SHM_SNAPSHOT_BACKLOG: "36h",
  });
  assert.deepEqual(describeConfig(config), {
    port: 8080,
    host: "0.0.0.0",
    public_url: "not set",
    store: "postgres (postgres://shm:***@db.internal:5432/metrics)",
    db_connect_timeout: "1s",
    db_pool_size: 10,
    db_connections_at_most: 10 * (Deno.build.os === "linux" ? navigator.hardwareConcurrency : 1),
    db_prepare: true,
    read_replica: "not set",
    db_query_timeout: "1500ms",
    admin_token: "set",
    active_days: 30,
    snapshot_backlog: "36h",
    raw_retention_days: 14,
    history_retention_days: 400,
    instance_retention_days: 400,
    rollup_interval: "5m",
    log_level: "info",
    rate_limit_ip: 300,
    rate_limit_instance: 60,
    trust_proxy: false,
    oidc_issuer: "not set",
    local_login: true,
    admin_user: "admin",
    admin_password: "not set",
    badge_max_age: 300,
    badge_min_instances: 3,
    badge_cache_seconds: 60,
    header_timeout: "10s",
    body_timeout: "10s",
    max_connections: 10_000,
    max_connections_per_address: 256,
    workers: Deno.build.os === "linux" ? navigator.hardwareConcurrency : 1,
    github_token: "not set",
    github_api_url: "https://api.github.com",
    smtp_url: "not set",
    smtp_from: "shm@localhost",
    alert_private_webhooks: false,
  });
  const embedded = describeConfig(configFrom({ SHM_DATA_DIR: "/data" }));
  assert.equal(embedded["store"], "embedded (/data)");
  assert.equal(embedded["admin_token"], "not set");
  assert.equal(embedded["snapshot_backlog"], "7d");
});

Deno.test("readConfig() refuses a GitHub API address that is not http(s) and a token with spaces, without echoing the token", () => {
  for (const url of ["ftp://github.example.com", "github.example.com", "https://x/?q=1"]) {
    assertConfigError(
      thrownBy(() => configFrom({ SHM_GITHUB_API_URL: url })),
      "Cannot use SHM_GITHUB_API_URL as it is not an http:// or https:// address such as " +
        `https://api.github.com: current value is "${url}"`,
    );
  }
  const secret = "ghp_secret value";
  const error = thrownBy(() => configFrom({ SHM_GITHUB_TOKEN: secret }));
  assertConfigError(
    error,
    "Cannot use SHM_GITHUB_TOKEN as it is not a GitHub token (1 to 255 printable characters, " +
      "no spaces)",
  );
  assert.equal(describeConfig(configFrom({ SHM_GITHUB_TOKEN: "ghp_x" }))["github_token"], "set");
});

Deno.test("describeConfig() never contains the database password or the admin token", () => {
  const urls = [
    `postgres://shm:${PASSWORD}@db:5432/metrics`,
    `postgresql://shm:${encodeURIComponent("p@ss:w/rd" + PASSWORD)}@db/metrics?sslmode=require`,
    `postgres://shm:${PASSWORD}@[::1]:5432/metrics`,
  ];
  for (const url of urls) {
    const text = JSON.stringify(
      describeConfig(configFrom({ DATABASE_URL: url, SHM_ADMIN_TOKEN: TOKEN })),
    );
    assert.ok(!text.includes(PASSWORD), `password in ${text}`);
    assert.ok(!text.includes(encodeURIComponent(PASSWORD)), `password in ${text}`);
    assert.ok(!text.includes(TOKEN), `token in ${text}`);
    assert.ok(text.includes("***"), text);
  }
});

Deno.test("describeConfig() never contains the password or token, whatever they are (property)", () => {
  const secret = fc.string({ unit: "grapheme-ascii", minLength: 16, maxLength: 40 })
    .filter((text) => !/\s/.test(text));
  fc.assert(fc.property(secret, secret, (password, token) => {
    const url = `postgres://shm:${encodeURIComponent(password)}@db.example:5432/metrics`;
    const text = JSON.stringify(
      describeConfig(configFrom({ SHM_DATABASE_URL: url, SHM_ADMIN_TOKEN: token })),
    );
    assert.ok(!text.includes(password), `password in ${text}`);
    assert.ok(!text.includes(encodeURIComponent(password)), `password in ${text}`);
    assert.ok(!text.includes(token), `token in ${text}`);
  }));
});

Deno.test("redactUrl() hides the password and keeps the rest of the URL", () => {
  assert.equal(
    redactUrl(`postgres://shm:${PASSWORD}@db:5432/metrics?sslmode=disable`),
    "postgres://shm:***@db:5432/metrics?sslmode=disable",
  );
  assert.equal(redactUrl("postgres://shm@db/metrics"), "postgres://shm@db/metrics");
  assert.equal(redactUrl("not a url"), "***");
  assert.equal(redactUrl(""), "***");
});

Deno.test("readConfig() refuses a first-account password under 8 characters without echoing it", () => {
  assert.throws(
    () => configFrom({ SHM_ADMIN_PASSWORD: "short7!" }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^Cannot use SHM_ADMIN_PASSWORD as it is shorter than 8/);
      assert.ok(!error.message.includes("short7!"));
      return true;
    },
  );
  assert.throws(() => configFrom({ SHM_ADMIN_USER: "two words" }), ConfigError);
  const config = configFrom({ SHM_ADMIN_PASSWORD: "long-enough" });
  assert.equal(describeConfig(config)["admin_password"], "set");
  assert.ok(!JSON.stringify(describeConfig(config)).includes("long-enough"));
});

Deno.test("readConfig() takes an http(s) public URL without its trailing slash, and refuses others", () => {
  assert.equal(
    configFrom({ SHM_PUBLIC_URL: "https://metrics.example.org/shm/" }).publicUrl,
    "https://metrics.example.org/shm",
  );
  assert.equal(
    configFrom({ SHM_PUBLIC_URL: "http://10.0.0.5:8080" }).publicUrl,
    "http://10.0.0.5:8080",
  );
  for (const bad of ["metrics.example.org", "ftp://example.org", "https://example.org/?a=1"]) {
    assertConfigError(
      thrownBy(() => configFrom({ SHM_PUBLIC_URL: bad })),
      "Cannot use SHM_PUBLIC_URL as it is not an http:// or https:// address such as " +
        `https://metrics.example.org: current value is "${bad}"`,
    );
  }
});

Deno.test("readConfig() runs an accept loop per core with PostgreSQL, one with the embedded store", () => {
  const url = "postgres://shm@db/shm";
  const linux = Deno.build.os === "linux";
  assert.equal(
    configFrom({ SHM_DATABASE_URL: url }).workers,
    linux ? navigator.hardwareConcurrency : 1,
  );
  assert.equal(configFrom({ SHM_DATABASE_URL: url, SHM_WORKERS: "3" }).workers, linux ? 3 : 1);
  assert.equal(
    configFrom({ SHM_DATABASE_URL: url, SHM_WORKERS: "cores" }).workers,
    linux ? navigator.hardwareConcurrency : 1,
  );
  assert.equal(configFrom({ SHM_WORKERS: "3" }).workers, 1);
  assertConfigError(
    thrownBy(() => configFrom({ SHM_DATABASE_URL: url, SHM_WORKERS: "0" })),
    'Cannot use SHM_WORKERS as it is not a whole number from 1 to 256: current value is "0"',
  );
});

Deno.test("readConfig() takes the pool size and whether to prepare statements, and refuses bad ones", () => {
  const url = "postgres://shm@db/shm";
  const store =
    configFrom({ SHM_DATABASE_URL: url, SHM_DB_POOL_SIZE: "4", SHM_DB_PREPARE: "false" })
      .store;
  assert.equal(store.kind, "postgres");
  assert.equal(store.kind === "postgres" && store.poolSize, 4);
  assert.equal(store.kind === "postgres" && store.prepare, false);
  const defaults = configFrom({ SHM_DATABASE_URL: url }).store;
  assert.deepEqual(
    defaults.kind === "postgres" && [defaults.poolSize, defaults.prepare],
    [10, true],
  );
  for (
    const [name, value] of [
      ["SHM_DB_POOL_SIZE", "0"],
      ["SHM_DB_POOL_SIZE", "1001"],
      ["SHM_DB_POOL_SIZE", "ten"],
      ["SHM_DB_PREPARE", "maybe"],
    ]
  ) {
    assert.throws(
      () => configFrom({ SHM_DATABASE_URL: url, [name!]: value! }),
      (error: Error) => error instanceof ConfigError && error.message.includes(name!),
      `${name}=${value}`,
    );
  }
});

Deno.test("readConfig() takes a read replica beside a PostgreSQL primary only, with its lag limit", () => {
  const primary = "postgres://shm:secret@db/shm";
  const standby = "postgres://shm:secret@standby/shm";
  const config = configFrom({
    SHM_DATABASE_URL: primary,
    SHM_DATABASE_READ_URL: standby,
    SHM_DATABASE_READ_MAX_LAG: "5s",
  });
  assert.equal(config.store.kind === "postgres" && config.store.readUrl, standby);
  assert.equal(config.store.kind === "postgres" && config.store.readMaxLagMs, 5_000);
  assert.equal(
    describeConfig(config)["read_replica"],
    "postgres://shm:***@standby/shm (up to 5s behind)",
    "the password is not shown",
  );
  assertConfigError(
    thrownBy(() => configFrom({ SHM_DATABASE_READ_URL: standby })),
    "Cannot use SHM_DATABASE_READ_URL without a database URL: a read replica stands beside a " +
      "PostgreSQL primary, and the embedded store has none",
  );
  assert.throws(
    () => configFrom({ SHM_DATABASE_URL: primary, SHM_DATABASE_READ_URL: "mysql://x" }),
    (error: Error) => error instanceof ConfigError && !error.message.includes("mysql"),
  );
  assert.throws(
    () =>
      configFrom({
        SHM_DATABASE_URL: primary,
        SHM_DATABASE_READ_URL: standby,
        SHM_DATABASE_READ_MAX_LAG: "10ms",
      }),
    ConfigError,
  );
});

Deno.test("readConfig() refuses an SHM_SMTP_URL that is not smtp(s) without echoing it, and a bad SHM_SMTP_FROM", () => {
  for (const url of ["http://mail.example.org", "mail.example.org", `smtp://:${PASSWORD}@`]) {
    const error = thrownBy(() => configFrom({ SHM_SMTP_URL: url }));
    assertConfigError(
      error,
      "Cannot use SHM_SMTP_URL as it is not an smtp:// or smtps:// URL such as " +
        "smtps://user:password@mail.example.org",
    );
  }
  assert.match(
    String(thrownBy(() => configFrom({ SHM_SMTP_FROM: "no address\r\nBcc: x@evil.example" }))),
    /Cannot use SHM_SMTP_FROM as it is not an email address/,
  );
  const described = describeConfig(
    configFrom({ SHM_SMTP_URL: `smtp://mailer:${PASSWORD}@mail.example.org:587` }),
  );
  assert.equal(described["smtp_url"], "smtp://mailer:***@mail.example.org:587");
});
