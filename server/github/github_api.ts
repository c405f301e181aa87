/**
 * Reading a repository from the GitHub REST API: its stars
 * (`GET /repos/{owner}/{repo}`) and its published releases
 * (`GET /repos/{owner}/{repo}/releases?per_page=100`, following the `Link`
 * header's `next` page on the same origin). Every answer is hostile input:
 * sizes are capped while the body arrives, shapes and values are checked,
 * and a failure (rate limit, 404, bad JSON, timeout, network) is a result
 * with a one-sentence note, never a throw.
 */

import { isDisplayText, printableText } from "../../shared/text_rules.ts";

/** Where and how to ask GitHub. */
export interface GithubApiSettings {
  /** The API's base URL without a trailing slash: `https://api.github.com` or an Enterprise one. */
  readonly apiUrl: string;
  /** Sent as `Authorization: Bearer …` when set. */
  readonly token: string | null;
  /** Longest wait for one read (every page), in milliseconds; 10 s by default. */
  readonly timeoutMs?: number;
}

/** A published release: neither a draft nor a prerelease. */
export interface GithubRelease {
  readonly tag: string;
  /** When it was published: the day its uptake is counted from, and its chart marker. */
  readonly publishedAt: Date;
  /**
   * GitHub's `created_at`, the date of the release's commit: GitHub's own
   * "latest release" is the newest by this date, and so is ours.
   */
  readonly createdAt: Date;
}

/** Why a read failed, for the settings page's note and for when to try again. */
export type GithubReadProblem =
  | "rate_limited"
  | "not_found"
  | "unauthorized"
  | "http_error"
  | "bad_response"
  | "timeout"
  | "network";

/** What reading a repository found. */
export type GithubRead =
  | {
    readonly ok: true;
    readonly stars: number;
    /**
     * Published releases, newest `createdAt` first (then newest `publishedAt`),
     * at most {@linkcode MAX_RELEASES_KEPT}: the first is GitHub's latest.
     */
    readonly releases: readonly GithubRelease[];
  }
  | {
    readonly ok: false;
    readonly problem: GithubReadProblem;
    /** One sentence for the settings page. */
    readonly note: string;
    /** When GitHub allows the next request (rate limits); null when it did not say. */
    readonly retryAt: Date | null;
  };

/** Longest tag kept, in characters; a longer one is skipped. */
export const MAX_TAG_LENGTH = 100;
/** Releases kept per repository, newest first. */
export const MAX_RELEASES_KEPT = 100;
/** Release pages followed at most (100 releases each). */
const MAX_PAGES = 10;
/** Largest answer read, in bytes (release notes make pages large). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Largest star count believed. */
const MAX_STARS = 1_000_000_000;
const DEFAULT_TIMEOUT_MS = 10_000;
/** The longest a rate limit's reset time is believed to be away. */
const MAX_RETRY_MS = 24 * 3_600_000;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
/** GitHub opened in 2008: an earlier publication date is not one. */
const EARLIEST_RELEASE = Date.UTC(2008, 0, 1);
/**
 * A release's `created_at` is its commit's date, which may predate GitHub
 * (a history imported from older tools): the Unix epoch is the bound.
 */
const EARLIEST_COMMIT = 0;

/** A failed read on its way out of the pages' loop. */
class ReadFailure extends Error {
  constructor(
    readonly problem: GithubReadProblem,
    readonly note: string,
    readonly retryAt: Date | null = null,
  ) {
    super(note);
  }
}

/**
 * Reads the stars and published releases of `repo` (`owner/name`, already
 * checked) as of `now`, within the settings' timeout (10 s) or until
 * `signal` aborts. Never throws: a failure is `{ ok: false }` with a note.
 */
export async function readGithubRepo(
  repo: string,
  options: {
    settings: GithubApiSettings;
    now: Date;
    signal?: AbortSignal;
    /** Stands in for the global fetch (tests). */
    fetch?: typeof fetch;
  },
): Promise<GithubRead> {
  const { settings } = options;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal === undefined
    ? timeout
    : AbortSignal.any([timeout, options.signal]);
  const ask = (url: string) =>
    askGithub(url, { settings, now: options.now, signal, fetch: options.fetch ?? fetch });
  try {
    const [owner, name] = repo.split("/").map(encodeURIComponent);
    const base = `${settings.apiUrl}/repos/${owner}/${name}`;
    const stars = starsOf((await ask(base)).body, repo);
    const releases: GithubRelease[] = [];
    let next: string | null = `${base}/releases?per_page=100`;
    for (let page = 0; next !== null && page < MAX_PAGES; page++) {
      const answer = await ask(next);
      releases.push(...publishedReleases(answer.body, options.now));
      next = nextPage(answer.link, settings.apiUrl);
    }
    releases.sort(newestFirst);
    return { ok: true, stars, releases: uniqueTags(releases).slice(0, MAX_RELEASES_KEPT) };
  } catch (error) {
    if (error instanceof ReadFailure) {
      return { ok: false, problem: error.problem, note: error.note, retryAt: error.retryAt };
    }
    if (timeout.aborted) {
      return {
        ok: false,
        problem: "timeout",
        note: `GitHub did not answer within ${Math.round(timeoutMs / 1000)} s`,
        retryAt: null,
      };
    }
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      problem: "network",
      note: `Cannot reach GitHub at ${settings.apiUrl}: ${printableText(message, 160)}`,
      retryAt: null,
    };
  }
}

/** One answer of GitHub: its parsed JSON and its `Link` header. */
async function askGithub(
  url: string,
  options: { settings: GithubApiSettings; now: Date; signal: AbortSignal; fetch: typeof fetch },
): Promise<{ body: unknown; link: string | null }> {
  const headers: Record<string, string> = {
    accept: "application/vnd.github+json",
    "x-github-api-version": "2022-11-28",
    "user-agent": "shm-self-hosted-metrics",
  };
  if (options.settings.token !== null) {
    headers["authorization"] = `Bearer ${options.settings.token}`;
  }
  const response = await options.fetch(url, {
    headers,
    signal: options.signal,
    redirect: "error",
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw failureOf(response, {
      now: options.now,
      tokenSet: options.settings.token !== null,
    });
  }
  const text = await boundedText(response);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ReadFailure("bad_response", "GitHub's answer was not JSON");
  }
  return { body, link: response.headers.get("link") };
}

/** The failure a status other than 200 means. */
function failureOf(response: Response, options: { now: Date; tokenSet: boolean }): ReadFailure {
  const { status, headers } = response;
  const retryAt = rateLimitReset(headers, options.now);
  if ((status === 403 || status === 429) && retryAt !== null) {
    return new ReadFailure(
      "rate_limited",
      `GitHub's rate limit was reached: the next read waits until ${
        retryAt.toISOString().slice(0, 16).replace("T", " ")
      } UTC${options.tokenSet ? "" : " (SHM_GITHUB_TOKEN raises the limit)"}`,
      retryAt,
    );
  }
  if (status === 404) {
    return new ReadFailure(
      "not_found",
      "GitHub answered 404: no such repository, or it is private and SHM_GITHUB_TOKEN cannot see it",
    );
  }
  if (status === 401) {
    return new ReadFailure("unauthorized", "GitHub answered 401: SHM_GITHUB_TOKEN was refused");
  }
  return new ReadFailure("http_error", `GitHub answered ${status} instead of 200`);
}

/**
 * When a 403 or 429 lets the next request through: `retry-after` seconds
 * from now, or `x-ratelimit-reset` when `x-ratelimit-remaining` is 0 (a
 * minute from now when the reset is missing or unbelievable); null when
 * neither says it is a rate limit.
 */
function rateLimitReset(headers: Headers, now: Date): Date | null {
  const latest = now.getTime() + MAX_RETRY_MS;
  const retryAfter = headers.get("retry-after");
  if (retryAfter !== null && /^\d{1,6}$/.test(retryAfter.trim())) {
    return new Date(Math.min(latest, now.getTime() + Number(retryAfter.trim()) * 1000));
  }
  if (headers.get("x-ratelimit-remaining")?.trim() !== "0") return null;
  const reset = Number(headers.get("x-ratelimit-reset")?.trim() ?? "");
  const resetMs = Number.isInteger(reset) ? reset * 1000 : NaN;
  if (!(resetMs > now.getTime() && resetMs <= latest)) return new Date(now.getTime() + 60_000);
  return new Date(resetMs);
}

/** The body as text, refused once it grows past {@linkcode MAX_BODY_BYTES}. */
async function boundedText(response: Response): Promise<string> {
  const length = Number(response.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ReadFailure("bad_response", "GitHub's answer was not UTF-8 text");
  }
}

function tooLarge(): ReadFailure {
  return new ReadFailure(
    "bad_response",
    `GitHub's answer was larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`,
  );
}

/** The star count of a repository answer; a bad shape fails the read. */
function starsOf(body: unknown, repo: string): number {
  const stars = isObject(body) ? body["stargazers_count"] : undefined;
  if (typeof stars !== "number" || !Number.isInteger(stars) || stars < 0 || stars > MAX_STARS) {
    throw new ReadFailure(
      "bad_response",
      `GitHub's answer for ${repo} has no believable stargazers_count`,
    );
  }
  return stars;
}

/**
 * The published releases of one page: drafts, prereleases, and releases
 * whose tag or date cannot be shown or believed are left out; a page that
 * is not a list of objects fails the read.
 */
function publishedReleases(body: unknown, now: Date): GithubRelease[] {
  if (!Array.isArray(body) || !body.every(isObject)) {
    throw new ReadFailure("bad_response", "GitHub's list of releases was not a list of releases");
  }
  const latest = now.getTime() + 86_400_000;
  const releases: GithubRelease[] = [];
  for (const release of body) {
    if (release["draft"] !== false || release["prerelease"] !== false) continue;
    const tag = release["tag_name"];
    if (typeof tag !== "string") continue;
    if (tag === "" || [...tag].length > MAX_TAG_LENGTH || !isDisplayText(tag)) continue;
    const publishedAt = timeOf(release["published_at"], { earliest: EARLIEST_RELEASE, latest });
    const createdAt = timeOf(release["created_at"], { earliest: EARLIEST_COMMIT, latest });
    if (publishedAt === null || createdAt === null) continue;
    releases.push({ tag, publishedAt, createdAt });
  }
  return releases;
}

/** An ISO 8601 time from GitHub within `[earliest, latest]` (ms); null otherwise. */
function timeOf(value: unknown, range: { earliest: number; latest: number }): Date | null {
  if (typeof value !== "string" || !ISO_TIME.test(value)) return null;
  const time = Date.parse(value);
  return time >= range.earliest && time <= range.latest ? new Date(time) : null;
}

/** GitHub's order of "latest": newest `created_at` first, then newest `published_at`, then tag. */
function newestFirst(a: GithubRelease, b: GithubRelease): number {
  return b.createdAt.getTime() - a.createdAt.getTime() ||
    b.publishedAt.getTime() - a.publishedAt.getTime() ||
    (a.tag < b.tag ? 1 : a.tag > b.tag ? -1 : 0);
}

/** The first release of each tag (the list is newest first). */
function uniqueTags(releases: readonly GithubRelease[]): GithubRelease[] {
  const seen = new Set<string>();
  return releases.filter((release) => !seen.has(release.tag) && seen.add(release.tag));
}

/**
 * The `next` page of a `Link` header, only on the API's own origin (the
 * token goes with every page); null when there is none.
 */
function nextPage(link: string | null, apiUrl: string): string | null {
  if (link === null || link.length > 4096) return null;
  for (const part of link.split(",")) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match === null || !/(?:^|;)\s*rel="?next"?\s*(?:;|$)/.test(match[2] ?? "")) continue;
    let url: URL;
    try {
      url = new URL(match[1] ?? "", apiUrl);
    } catch {
      throw new ReadFailure("bad_response", "GitHub's next page link is not a URL");
    }
    if (url.origin !== new URL(apiUrl).origin) {
      throw new ReadFailure(
        "bad_response",
        `GitHub's next page link leaves ${new URL(apiUrl).origin}; it was not followed`,
      );
    }
    return url.href;
  }
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
