/**
 * Reading a repository from GitHub (issue 14), against a local fake of the
 * API answering GitHub's shapes: stars, releases over `Link` pages, and every
 * way an answer goes wrong (rate limits, 404, garbage, a timeout, no
 * server, a page link elsewhere, an answer too large). Also the repository
 * name rule and how a reported version is compared with a tag.
 */

import assert from "node:assert/strict";
import {
  MAX_TAG_LENGTH,
  parseGithubRepo,
  readGithubRepo,
  versionIsTag,
} from "../server/github/mod.ts";
import { FakeGithub, rateLimited } from "./support/fake_github.ts";

const NOW = new Date("2026-11-25T12:00:00Z");

Deno.test("parseGithubRepo() takes owner/name by GitHub's rules and says which rule a value broke", () => {
  for (const good of ["denoland/deno", "a/b", "My-Org/repo.name_x-1", "octo-cat/.github"]) {
    assert.deepEqual(parseGithubRepo(good), { ok: true, repo: good }, good);
  }
  assert.deepEqual(parseGithubRepo("  denoland/fresh "), { ok: true, repo: "denoland/fresh" });
  assert.deepEqual(parseGithubRepo(null), { ok: true, repo: null });
  assert.deepEqual(parseGithubRepo("   "), { ok: true, repo: null });
  const bad: [unknown, RegExp][] = [
    [42, /"owner\/name" or null/],
    [["a/b"], /"owner\/name" or null/],
    ["denoland", /not of the form/],
    ["a/b/c", /not of the form/],
    ["/b", /owner/],
    ["-a/b", /owner/],
    ["a-/b", /owner/],
    ["a--b/c", /owner/],
    ["a_b/c", /owner/],
    [`${"o".repeat(40)}/c`, /owner/],
    ["a/", /name/],
    ["a/.", /name/],
    ["a/..", /name/],
    ["a/repo.git", /name/],
    ["a/b c", /name/],
    ["a/é", /name/],
    ["a/<script>", /name/],
    [`a/${"n".repeat(101)}`, /name/],
    [`a/${"n".repeat(200)}`, /longer than 140/],
  ];
  for (const [value, problem] of bad) {
    const reading = parseGithubRepo(value);
    assert.equal(reading.ok, false, JSON.stringify(value));
    if (!reading.ok) assert.match(reading.problem, problem, JSON.stringify(value));
  }
});

Deno.test("versionIsTag() compares a version with a tag with and without a leading v", () => {
  assert.ok(versionIsTag("1.4.0", "v1.4.0"));
  assert.ok(versionIsTag("v1.4.0", "1.4.0"));
  assert.ok(versionIsTag("1.4.0", "1.4.0"));
  assert.ok(!versionIsTag("1.4.0", "v1.4.1"));
  assert.ok(!versionIsTag("1.4", "v1.4.0"));
  assert.ok(!versionIsTag("vendor", "endor"), "a v before a letter is part of the name");
});

Deno.test("readGithubRepo() reads the stars and the published releases over every Link page, newest first", async () => {
  await using github = new FakeGithub();
  github.pageSize = 2;
  github.repos.set("acme/widget", {
    stars: 1234,
    releases: [
      { tag: "v2.1.0-rc.1", publishedAt: "2026-11-20T10:00:00Z", prerelease: true },
      { tag: "v2.0.0", publishedAt: "2026-11-10T09:30:00Z" },
      { tag: "v2.0.1-draft", publishedAt: null, draft: true },
      { tag: "v1.9.0", publishedAt: "2026-10-01T08:00:00Z" },
      { tag: "t".repeat(MAX_TAG_LENGTH + 1), publishedAt: "2026-09-01T08:00:00Z" },
      { tag: "bad\u0000tag", publishedAt: "2026-09-02T08:00:00Z" },
      { tag: "v1.8.9", publishedAt: "yesterday" },
      { tag: "v9.9.9", publishedAt: "2031-01-01T00:00:00Z" },
      { tag: "v1.8.0", publishedAt: "2026-08-15T00:00:00.000+02:00" },
    ],
  });
  const read = await readGithubRepo("acme/widget", {
    settings: { apiUrl: github.url, token: "ghp_test_token" },
    now: NOW,
  });
  assert.deepEqual(read, {
    ok: true,
    stars: 1234,
    releases: [
      {
        tag: "v2.0.0",
        publishedAt: new Date("2026-11-10T09:30:00Z"),
        createdAt: new Date("2026-11-10T09:30:00Z"),
      },
      {
        tag: "v1.9.0",
        publishedAt: new Date("2026-10-01T08:00:00Z"),
        createdAt: new Date("2026-10-01T08:00:00Z"),
      },
      {
        tag: "v1.8.0",
        publishedAt: new Date("2026-08-14T22:00:00Z"),
        createdAt: new Date("2026-08-14T22:00:00Z"),
      },
    ],
  });
  assert.deepEqual(github.requests.map((r) => `${r.path}${r.search}`), [
    "/repos/acme/widget",
    "/repos/acme/widget/releases?per_page=100",
    "/repos/acme/widget/releases?per_page=100&page=2",
    "/repos/acme/widget/releases?per_page=100&page=3",
    "/repos/acme/widget/releases?per_page=100&page=4",
    "/repos/acme/widget/releases?per_page=100&page=5",
  ]);
  assert.ok(github.requests.every((r) => r.authorization === "Bearer ghp_test_token"));
});

Deno.test("readGithubRepo() orders releases as GitHub's latest does: by created_at, not published_at", async () => {
  await using github = new FakeGithub();
  github.pageSize = 2;
  github.repos.set("acme/widget", {
    stars: 1,
    releases: [
      // Published last, but made from an older commit than v2.0.0: not GitHub's latest.
      { tag: "v1.9.1", publishedAt: "2026-11-12T10:00:00Z", createdAt: "2026-11-01T08:00:00Z" },
      { tag: "v2.0.0", publishedAt: "2026-11-10T09:30:00Z", createdAt: "2026-11-05T12:00:00Z" },
      // A commit older than GitHub itself is a believable created_at.
      { tag: "v0.1.0", publishedAt: "2026-01-02T00:00:00Z", createdAt: "2004-06-01T00:00:00Z" },
      // Newest by created_at, but a prerelease: left out.
      {
        tag: "v2.1.0-rc.1",
        publishedAt: "2026-11-11T00:00:00Z",
        createdAt: "2026-11-09T00:00:00Z",
        prerelease: true,
      },
      // A created_at that cannot be believed or read leaves the release out, as a bad published_at does.
      { tag: "v3.0.0", publishedAt: "2026-11-20T00:00:00Z", createdAt: "2031-01-01T00:00:00Z" },
      { tag: "v3.0.1", publishedAt: "2026-11-20T00:00:00Z", createdAt: "last week" },
      { tag: "v3.0.2", publishedAt: "2026-11-20T00:00:00Z", createdAt: "1969-12-31T23:59:59Z" },
    ],
  });
  const read = await readGithubRepo("acme/widget", {
    settings: { apiUrl: github.url, token: null },
    now: NOW,
  });
  assert.equal(read.ok, true);
  if (!read.ok) return;
  assert.deepEqual(read.releases.map((r) => [r.tag, r.createdAt.toISOString()]), [
    ["v2.0.0", "2026-11-05T12:00:00.000Z"],
    ["v1.9.1", "2026-11-01T08:00:00.000Z"],
    ["v0.1.0", "2004-06-01T00:00:00.000Z"],
  ]);
  assert.deepEqual(read.releases[1]?.publishedAt, new Date("2026-11-12T10:00:00Z"));
});

Deno.test("readGithubRepo() sends no Authorization without a token, and a repository without releases has none", async () => {
  await using github = new FakeGithub();
  github.repos.set("acme/empty", { stars: 0, releases: [] });
  const read = await readGithubRepo("acme/empty", {
    settings: { apiUrl: github.url, token: null },
    now: NOW,
  });
  assert.deepEqual(read, { ok: true, stars: 0, releases: [] });
  assert.deepEqual(github.requests.map((r) => r.authorization), [null, null]);
});

Deno.test("readGithubRepo() answers a spent rate limit with its reset time, and 429 retry-after likewise", async () => {
  await using github = new FakeGithub();
  github.repos.set("acme/widget", { stars: 5, releases: [] });
  const reset = Math.floor(NOW.getTime() / 1000) + 1800;
  github.answer = () => rateLimited(reset);
  const limited = await readGithubRepo("acme/widget", {
    settings: { apiUrl: github.url, token: null },
    now: NOW,
  });
  assert.equal(limited.ok, false);
  if (!limited.ok) {
    assert.equal(limited.problem, "rate_limited");
    assert.deepEqual(limited.retryAt, new Date(reset * 1000));
    assert.match(limited.note, /rate limit was reached.*2026-11-25 12:30 UTC.*SHM_GITHUB_TOKEN/);
  }
  assert.equal(github.requests.length, 1, "nothing more is asked once limited");

  github.answer = (url) =>
    url.pathname.endsWith("/releases")
      ? new Response("slow down", { status: 429, headers: { "retry-after": "120" } })
      : undefined;
  const secondary = await readGithubRepo("acme/widget", {
    settings: { apiUrl: github.url, token: "t" },
    now: NOW,
  });
  assert.equal(secondary.ok, false);
  if (!secondary.ok) {
    assert.equal(secondary.problem, "rate_limited");
    assert.deepEqual(secondary.retryAt, new Date(NOW.getTime() + 120_000));
  }

  github.answer = () => new Response("{}", { status: 403 });
  const forbidden = await readGithubRepo("acme/widget", {
    settings: { apiUrl: github.url, token: null },
    now: NOW,
  });
  assert.deepEqual(forbidden, {
    ok: false,
    problem: "http_error",
    note: "GitHub answered 403 instead of 200",
    retryAt: null,
  });
});

Deno.test("readGithubRepo() answers 404 and 401 with notes that say what to check", async () => {
  await using github = new FakeGithub();
  const missing = await readGithubRepo("acme/nothing", {
    settings: { apiUrl: github.url, token: null },
    now: NOW,
  });
  assert.equal(missing.ok, false);
  if (!missing.ok) {
    assert.equal(missing.problem, "not_found");
    assert.match(missing.note, /404.*private/);
  }
  github.answer = () => Response.json({ message: "Bad credentials" }, { status: 401 });
  const refused = await readGithubRepo("acme/nothing", {
    settings: { apiUrl: github.url, token: "wrong" },
    now: NOW,
  });
  assert.equal(refused.ok, false);
  if (!refused.ok) assert.equal(refused.problem, "unauthorized");
});

Deno.test("readGithubRepo() refuses garbage: not JSON, not UTF-8, wrong shapes, a body too large", async () => {
  await using github = new FakeGithub();
  github.repos.set("acme/widget", { stars: 5, releases: [] });
  const read = () =>
    readGithubRepo("acme/widget", { settings: { apiUrl: github.url, token: null }, now: NOW });
  const cases: [(url: URL) => Response | undefined, RegExp][] = [
    [() => new Response("<html>Unicorn!</html>"), /not JSON/],
    [() => new Response(new Uint8Array([0x7b, 0xff, 0x7d])), /not UTF-8/],
    [() => Response.json({ stargazers_count: "many" }), /no believable stargazers_count/],
    [() => Response.json({ stargazers_count: -1 }), /no believable stargazers_count/],
    [() => Response.json({ stargazers_count: 1.5 }), /no believable stargazers_count/],
    [() => Response.json([1, 2, 3]), /no believable stargazers_count/],
    [
      (url) => url.pathname.endsWith("/releases") ? Response.json({ releases: [] }) : undefined,
      /not a list of releases/,
    ],
    [
      (url) => url.pathname.endsWith("/releases") ? Response.json(["v1.0.0"]) : undefined,
      /not a list of releases/,
    ],
    [() => new Response("x".repeat(9 * 1024 * 1024)), /larger than 8 MiB/],
  ];
  for (const [answer, note] of cases) {
    github.answer = answer;
    const result = await read();
    assert.equal(result.ok, false, String(note));
    if (!result.ok) {
      assert.equal(result.problem, "bad_response", String(note));
      assert.match(result.note, note);
    }
  }
});

Deno.test("readGithubRepo() never follows a page link to another origin (the token would go along)", async () => {
  await using github = new FakeGithub();
  await using elsewhere = new FakeGithub();
  elsewhere.repos.set("acme/widget", { stars: 1, releases: [] });
  github.repos.set("acme/widget", { stars: 5, releases: [] });
  github.answer = (url) =>
    url.pathname.endsWith("/releases")
      ? Response.json([], {
        headers: { link: `<${elsewhere.url}/repos/acme/widget/releases?page=2>; rel="next"` },
      })
      : undefined;
  const result = await readGithubRepo("acme/widget", {
    settings: { apiUrl: github.url, token: "secret" },
    now: NOW,
  });
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(result.problem, "bad_response");
    assert.match(result.note, /leaves http:\/\/127\.0\.0\.1:\d+; it was not followed/);
  }
  assert.equal(elsewhere.requests.length, 0);
});

Deno.test("readGithubRepo() gives up on a server that does not answer in time, and on no server at all", async () => {
  await using github = new FakeGithub();
  const { promise: never, resolve: release } = Promise.withResolvers<Response>();
  github.answer = () => never;
  const late = await readGithubRepo("acme/widget", {
    settings: { apiUrl: github.url, token: null, timeoutMs: 200 },
    now: NOW,
  });
  release(new Response("{}"));
  assert.equal(late.ok, false);
  if (!late.ok) assert.equal(late.problem, "timeout");

  // A port that was free a moment ago: nothing listens there.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const absent = await readGithubRepo("acme/widget", {
    settings: { apiUrl: `http://127.0.0.1:${port}`, token: null },
    now: NOW,
  });
  assert.equal(absent.ok, false);
  if (!absent.ok) {
    assert.equal(absent.problem, "network");
    assert.match(absent.note, /Cannot reach GitHub at http:\/\/127\.0\.0\.1/);
  }
});
