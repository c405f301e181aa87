/**
 * `GET /metrics` (issue 14): the fleet's aggregates in the Prometheus text
 * format 0.0.4 and OpenMetrics 1.0, behind a bearer token, read from the
 * upkeep's summaries. Every answer is read back by a strict parser of the
 * exposition format written here, and checked by `promtool check metrics`
 * when the Debian package `prometheus` is installed.
 */

import assert from "node:assert/strict";
import { LABEL_VALUES_KEPT } from "../server/metrics_export/mod.ts";
import { writeExposition } from "../server/metrics_export/exposition.ts";
import { openTestApp, TEST_ADMIN_TOKEN, type TestApp } from "./support/app.ts";
import { feedInstance, formToken, openDashboard, signIn } from "./support/dashboard.ts";

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

// ---------------------------------------------------------------- a strict parser

/** One parsed exposition: each series (`name{a="x",b="y"}`, labels sorted) and its value. */
interface Parsed {
  readonly series: Map<string, number>;
  readonly types: Map<string, string>;
  readonly helps: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/**
 * Parses `text` as the Prometheus text format 0.0.4 or, with `openmetrics`,
 * OpenMetrics 1.0, refusing (throwing) anything the format does not allow
 * or that makes a scrape fail: a sample before its family's TYPE, a family
 * split in two, a series twice, an unknown escape, a value that is not a
 * number, a missing final newline; for OpenMetrics, a missing or early `# EOF`.
 */
function parseExposition(text: string, openmetrics: boolean): Parsed {
  if (!text.endsWith("\n")) throw new Error("the exposition does not end with a newline");
  const lines = text.slice(0, -1).split("\n");
  const series = new Map<string, number>();
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const done = new Set<string>();
  let current: string | null = null;
  const enter = (family: string) => {
    if (current === family) return;
    if (done.has(family)) throw new Error(`family ${family} is split`);
    if (current !== null) done.add(current);
    current = family;
  };
  for (const [index, line] of lines.entries()) {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line === "# EOF") {
      if (!openmetrics) throw new Error(`${where}: # EOF outside OpenMetrics`);
      if (index !== lines.length - 1) throw new Error(`${where}: text after # EOF`);
      return { series, types, helps };
    }
    if (line.startsWith("#")) {
      const match = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (match === null) throw new Error(`${where}: an unknown comment`);
      const [, keyword, name, rest] = match as unknown as [string, string, string, string];
      enter(name);
      if (keyword === "TYPE") {
        if (types.has(name)) throw new Error(`${where}: a second TYPE`);
        if (!["gauge", "counter", "untyped", "unknown", "summary", "histogram"].includes(rest)) {
          throw new Error(`${where}: type ${rest}`);
        }
        types.set(name, rest);
      } else {
        if (helps.has(name)) throw new Error(`${where}: a second HELP`);
        if (/\\[^\\n"]/.test(rest.replace(/\\\\/g, ""))) throw new Error(`${where}: bad escape`);
        helps.set(name, rest);
      }
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (name === undefined) throw new Error(`${where}: no metric name`);
    if (!types.has(name)) throw new Error(`${where}: a sample before its TYPE`);
    enter(name);
    let rest = line.slice(name.length);
    const labels: [string, string][] = [];
    if (rest.startsWith("{")) {
      rest = rest.slice(1);
      while (!rest.startsWith("}")) {
        const label = LABEL_NAME.exec(rest)?.[0];
        if (label === undefined || rest[label.length] !== "=" || rest[label.length + 1] !== '"') {
          throw new Error(`${where}: a label without name="value"`);
        }
        rest = rest.slice(label.length + 2);
        let value = "";
        for (;;) {
          const char = rest[0];
          if (char === undefined) throw new Error(`${where}: an unterminated label value`);
          rest = rest.slice(1);
          if (char === '"') break;
          if (char === "\n") throw new Error(`${where}: a raw newline`);
          if (char === "\\") {
            const escaped = rest[0];
            rest = rest.slice(1);
            if (escaped === "\\") value += "\\";
            else if (escaped === '"') value += '"';
            else if (escaped === "n") value += "\n";
            else throw new Error(`${where}: the escape \\${escaped}`);
          } else value += char;
        }
        if (labels.some(([seen]) => seen === label)) throw new Error(`${where}: label twice`);
        labels.push([label, value]);
        if (rest.startsWith(",")) rest = rest.slice(1);
        else if (!rest.startsWith("}")) throw new Error(`${where}: labels not separated`);
      }
      rest = rest.slice(1);
    }
    const valueMatch = /^ (\S+)$/.exec(rest);
    if (valueMatch === null) throw new Error(`${where}: not one value after the labels`);
    const text = valueMatch[1]!;
    const value = text === "+Inf"
      ? Infinity
      : text === "-Inf"
      ? -Infinity
      : text === "NaN"
      ? NaN
      : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)
      ? Number(text)
      : undefined;
    if (value === undefined) throw new Error(`${where}: the value ${text}`);
    const key = `${name}{${
      labels.sort(([a], [b]) => a < b ? -1 : 1).map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(",")
    }}`;
    if (series.has(key)) throw new Error(`${where}: series ${key} twice`);
    series.set(key, value);
  }
  if (openmetrics) throw new Error("no # EOF at the end");
  return { series, types, helps };
}

/** `promtool check metrics` on `text`: null when it is installed and finds nothing, or why it skips. */
async function promtoolCheck(text: string): Promise<{ skipped: string } | { output: string }> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    return { skipped: `promtool is not available: ${(error as Error).message}` };
  }
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const result = await child.output();
  const output = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
  assert.equal(result.code, 0, `promtool check metrics failed:\n${output}\n---\n${text}`);
  return { output };
}

async function scrape(app: TestApp, accept?: string) {
  const response = await app.fetch("/metrics", {
    headers: { ...ADMIN, ...(accept === undefined ? {} : { accept }) },
  });
  return { response, text: await response.text() };
}

async function fleet(app: TestApp) {
  await feedInstance(app, {
    appName: "Alpha",
    version: "1.0.0",
    environment: "production",
    metrics: { users: 3, jobs: 10, secret_count: 7, plan: "pro" },
  });
  await feedInstance(app, {
    appName: "Alpha",
    version: "1.1.0",
    environment: "staging",
    metrics: { users: 5, jobs: 2, secret_count: 1 },
  });
  await feedInstance(app, { appName: "Beta", version: '2.0 "quoted" \\ back', metrics: {} });
  const put = await app.fetch("/api/v1/admin/applications/alpha/settings", {
    method: "PUT",
    headers: { ...ADMIN, "content-type": "application/json" },
    body: JSON.stringify({ exported_metrics: ["users", "jobs", "plan", "not_sent"] }),
  });
  const saved = await put.text();
  assert.equal(put.status, 200, saved);
  assert.deepEqual(JSON.parse(saved).exported_metrics, ["users", "jobs", "plan", "not_sent"]);
  await app.rollUp();
}

// ---------------------------------------------------------------- the tests

Deno.test("GET /metrics answers the fleet in the Prometheus text format 0.0.4, read back by a strict parser and promtool", async () => {
  await using app = await openTestApp();
  await fleet(app);
  const { response, text } = await scrape(app);
  assert.equal(response.status, 200, text);
  assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.ok(!text.includes("# EOF"));
  const parsed = parseExposition(text, false);
  const at = (key: string) => parsed.series.get(key);
  assert.equal(at('shm_active_instances{app="alpha"}'), 2);
  assert.equal(at('shm_active_instances{app="beta"}'), 1);
  assert.equal(at('shm_known_instances{app="alpha"}'), 2);
  assert.equal(at('shm_active_instances_by_version{app="alpha",version="1.0.0"}'), 1);
  assert.equal(at('shm_active_instances_by_version{app="alpha",version="1.1.0"}'), 1);
  assert.equal(
    at('shm_active_instances_by_version{app="beta",version="2.0 \\"quoted\\" \\\\ back"}'),
    1,
    "quote and backslash escaped and read back",
  );
  assert.equal(at('shm_active_instances_by_environment{app="alpha",environment="staging"}'), 1);
  assert.equal(at('shm_active_instances_by_environment{app="beta",environment="production"}'), 1);
  assert.equal(at('shm_metric_summed{app="alpha",metric="users"}'), 8);
  assert.equal(at('shm_metric_average{app="alpha",metric="users"}'), 4);
  assert.equal(at('shm_metric_summed{app="alpha",metric="jobs"}'), 12);
  assert.equal(at('shm_metric_reporting_instances{app="alpha",metric="jobs"}'), 2);
  const metricNames = [...parsed.series.keys()].filter((key) => key.includes("metric="));
  assert.ok(
    metricNames.every((key) => /metric="(users|jobs)"/.test(key)),
    `only the exported numeric metrics: ${metricNames.join(" ")}`,
  );
  for (const key of parsed.series.keys()) {
    assert.match(key, /^shm_[a-z_]+\{app="[a-z0-9-]+"/, "every series is shm_ and has app");
    assert.ok(!/instance/i.test(key.replace(/_instances/g, "")), `no per-instance label: ${key}`);
  }
  for (const name of parsed.types.keys()) assert.ok(parsed.helps.has(name), `${name} has HELP`);
  const promtool = await promtoolCheck(text);
  // deno-lint-ignore no-console -- a skipped part must say why, in the test output
  if ("skipped" in promtool) console.log(`promtool part skipped: ${promtool.skipped}`);
});

Deno.test("GET /metrics answers OpenMetrics 1.0 with # EOF when Accept asks for it, as Prometheus sends it", async () => {
  await using app = await openTestApp();
  await fleet(app);
  const accept =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75," +
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  const { response, text } = await scrape(app, accept);
  assert.equal(response.status, 200, text);
  assert.equal(
    response.headers.get("content-type"),
    "application/openmetrics-text; version=1.0.0; charset=utf-8",
  );
  assert.ok(text.endsWith("# EOF\n"));
  const parsed = parseExposition(text, true);
  assert.equal(parsed.series.get('shm_metric_summed{app="alpha",metric="users"}'), 8);
  const prometheus = parseExposition((await scrape(app)).text, false);
  assert.deepEqual([...parsed.series], [...prometheus.series], "the same series either way");
  // q=0 refuses OpenMetrics: the Prometheus text format is answered.
  const refused = await scrape(app, "application/openmetrics-text;q=0, text/plain");
  assert.match(refused.response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  assert.throws(() => parseExposition(text.replace("# EOF\n", ""), true), /no # EOF/);
});

Deno.test("GET /metrics keeps the label values of a breakdown few: the long tail folds into other", async () => {
  await using app = await openTestApp();
  const versions = LABEL_VALUES_KEPT + 5;
  for (let i = 0; i < versions; i++) {
    await feedInstance(app, { appName: "Wide", version: `1.${i}.0` });
  }
  await app.rollUp();
  const { text } = await scrape(app);
  const parsed = parseExposition(text, false);
  const byVersion = [...parsed.series].filter(([key]) =>
    key.startsWith('shm_active_instances_by_version{app="wide"')
  );
  assert.equal(byVersion.length, LABEL_VALUES_KEPT + 1, "the kept values and other");
  assert.equal(parsed.series.get('shm_active_instances_by_version{app="wide",version="other"}'), 5);
  assert.equal(byVersion.reduce((sum, [, value]) => sum + value, 0), versions, "none lost");
  await promtoolCheck(text);
});

Deno.test("GET /metrics needs a bearer token: none, a junk one and a session are refused 401, nothing is read", async () => {
  await using app = await openTestApp();
  await fleet(app);
  for (
    const headers of [{}, { authorization: "Bearer not-the-token-at-all" }, {
      cookie: "shm_session=x",
    }]
  ) {
    const response = await app.fetch("/metrics", { headers });
    assert.equal(response.status, 401);
    const body = await response.json();
    assert.equal(body.error.code, "unauthorized", JSON.stringify(body));
  }
});

Deno.test("GET /metrics before the first summary, and for an application with no exported metric, answers valid families", async () => {
  await using app = await openTestApp();
  const empty = await scrape(app);
  assert.equal(empty.response.status, 200);
  const parsed = parseExposition(empty.text, false);
  assert.equal(parsed.series.size, 0);
  assert.ok(parsed.types.has("shm_active_instances"));
  await promtoolCheck(empty.text);
  await feedInstance(app, { appName: "Fresh", version: "1.0.0" });
  const before = parseExposition((await scrape(app)).text, false);
  assert.equal(before.series.get('shm_active_instances{app="fresh"}'), 0, "no summary yet");
});

Deno.test("exported_metrics is validated by the settings API: 400 invalid_setting, nothing written", async () => {
  await using app = await openTestApp();
  await feedInstance(app, { appName: "Alpha", version: "1.0.0" });
  const put = (body: string) =>
    app.fetch("/api/v1/admin/applications/alpha/settings", {
      method: "PUT",
      headers: { ...ADMIN, "content-type": "application/json" },
      body,
    });
  assert.equal((await put('{"exported_metrics": ["users"]}')).status, 200);
  for (
    const bad of [
      '{"exported_metrics": "users"}',
      '{"exported_metrics": [1]}',
      '{"exported_metrics": ["has space"]}',
      '{"exported_metrics": ["a\\nb"]}',
      JSON.stringify({ exported_metrics: Array.from({ length: 51 }, (_, i) => `m${i}`) }),
      '{"exported_metrics": null}',
    ]
  ) {
    const response = await put(bad);
    assert.equal(response.status, 400, bad);
    assert.equal((await response.json()).error.code, "invalid_setting", bad);
  }
  const read = await app.fetch("/api/v1/admin/applications/alpha/settings", { headers: ADMIN });
  assert.deepEqual((await read.json()).exported_metrics, ["users"]);
});

Deno.test("writeExposition escapes backslash, quote and newline in label values and help, and the parser reads them back", async () => {
  const values = ['a"b', "c\\d", "line\nbreak", "\\n literally", "plain"];
  const families = [{
    name: "shm_test_values",
    help: "Help with a \\ backslash\nand a newline.",
    samples: values.map((value, i) => ({ labels: { app: "x", value }, value: i + 0.5 })),
  }];
  for (const format of ["prometheus", "openmetrics"] as const) {
    const text = writeExposition(families, format);
    assert.ok(!text.includes("line\nbreak"), "no raw newline in a value");
    const parsed = parseExposition(text, format === "openmetrics");
    for (const [i, value] of values.entries()) {
      assert.equal(
        parsed.series.get(`shm_test_values{app="x",value=${JSON.stringify(value)}}`),
        i + 0.5,
        value,
      );
    }
    if (format === "prometheus") await promtoolCheck(text);
  }
  // The parser refuses what a scrape would refuse.
  assert.throws(() => parseExposition('# TYPE x gauge\nx{a="\\t"} 1\n', false), /escape/);
  assert.throws(() => parseExposition("x 1\n", false), /before its TYPE/);
  assert.throws(() => parseExposition("# TYPE x gauge\nx 1\nx 2\n", false), /twice/);
  assert.throws(() => parseExposition("# TYPE x gauge\nx one\n", false), /value/);
  assert.throws(
    () => parseExposition("# TYPE x gauge\n# TYPE y gauge\ny 1\nx 1\n", false),
    /split/,
  );
});

Deno.test("the app settings page offers the numeric metrics as exportable and saves the choice", async () => {
  await using app = await openDashboard();
  await feedInstance(app, { appName: "Alpha", version: "1.0.0", metrics: { users: 3, jobs: 1 } });
  await app.rollUp();
  const cookie = `shm_session=${await signIn(app)}`;
  const page = await (await app.fetch("/apps/alpha/settings", { headers: { cookie } })).text();
  assert.match(page, /name="exported_metrics" value="jobs"/);
  assert.match(page, /name="exported_metrics" value="users"/);
  const form = new URLSearchParams({ _csrf: formToken(page), exported_metrics: "users" });
  const saved = await app.fetch("/apps/alpha/settings", {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  assert.equal(saved.status, 303);
  const read = await app.fetch("/api/v1/admin/applications/alpha/settings", { headers: ADMIN });
  assert.deepEqual((await read.json()).exported_metrics, ["users"]);
  const parsed = parseExposition((await scrape(app)).text, false);
  assert.equal(parsed.series.get('shm_metric_summed{app="alpha",metric="users"}'), 3);
  assert.equal(parsed.series.get('shm_metric_summed{app="alpha",metric="jobs"}'), undefined);
  const bad = new URLSearchParams({ _csrf: formToken(page), exported_metrics: "not a name" });
  const refused = await app.fetch("/apps/alpha/settings", {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: bad.toString(),
  });
  assert.equal(refused.status, 400);
  await refused.body?.cancel();
  const kept = await app.fetch("/api/v1/admin/applications/alpha/settings", { headers: ADMIN });
  assert.deepEqual((await kept.json()).exported_metrics, ["users"], "nothing written");
});
