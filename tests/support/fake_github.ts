/**
 * A local fake of the GitHub REST API (`Deno.serve` on port 0; no network):
 * `GET /repos/{owner}/{repo}` with `stargazers_count`, and
 * `GET /repos/{owner}/{repo}/releases?per_page=&page=` newest first with
 * GitHub's `Link` header (`next`, `last`), in the shapes GitHub answers.
 * A test can replace any answer (`answer`) to play a rate limit, a 404 or
 * garbage, and reads what was asked (`requests`).
 */

/** A release as the fake holds it; the JSON adds GitHub's other fields. */
export interface FakeRelease {
  readonly tag: string;
  readonly publishedAt: string | null;
  /**
   * GitHub's `created_at` (the release commit's date), which orders its
   * "latest"; the publication time (or a fixed day for a draft) when left out.
   */
  readonly createdAt?: string;
  readonly draft?: boolean;
  readonly prerelease?: boolean;
}

/** A repository as the fake holds it. */
export interface FakeRepo {
  stars: number;
  /** Newest first, as GitHub lists them. */
  releases: FakeRelease[];
}

/** One request the fake received. */
export interface FakeRequest {
  readonly path: string;
  readonly search: string;
  readonly authorization: string | null;
}

/** The fake server. */
export class FakeGithub implements AsyncDisposable {
  readonly repos = new Map<string, FakeRepo>();
  readonly requests: FakeRequest[] = [];
  /** Releases per page at most, whatever `per_page` asks (small, to make pages). */
  pageSize = 100;
  /** Answers instead of the fake's own when it returns a response. */
  answer: ((url: URL) => Response | Promise<Response> | undefined) | null = null;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;

  constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) => this.#handle(request),
    );
  }

  /** The base URL, as `SHM_GITHUB_API_URL` takes it. */
  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    this.requests.push({
      path: url.pathname,
      search: url.search,
      authorization: request.headers.get("authorization"),
    });
    const replaced = await this.answer?.(url);
    if (replaced !== undefined) return replaced;
    const match = /^\/repos\/([^/]+)\/([^/]+)(\/releases)?$/.exec(url.pathname);
    const repo = match === null
      ? undefined
      : this.repos.get(`${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`);
    if (match === null || repo === undefined) {
      return Response.json({
        message: "Not Found",
        documentation_url: "https://docs.github.com/rest",
        status: "404",
      }, { status: 404, headers: rateHeaders() });
    }
    const fullName = `${match[1]}/${match[2]}`;
    if (match[3] === undefined) {
      return Response.json({
        id: 1296269,
        name: match[2],
        full_name: fullName,
        private: false,
        html_url: `https://github.com/${fullName}`,
        stargazers_count: repo.stars,
        watchers_count: repo.stars,
        forks_count: 3,
        open_issues_count: 1,
        default_branch: "main",
      }, { headers: rateHeaders() });
    }
    const perPage = Math.min(this.pageSize, Number(url.searchParams.get("per_page") ?? "30"));
    const page = Number(url.searchParams.get("page") ?? "1");
    const pages = Math.max(1, Math.ceil(repo.releases.length / perPage));
    const slice = repo.releases.slice((page - 1) * perPage, page * perPage);
    const headers = rateHeaders();
    const link = (n: number) => {
      const next = new URL(url);
      next.searchParams.set("page", String(n));
      return next.href;
    };
    const links = [];
    if (page < pages) links.push(`<${link(page + 1)}>; rel="next"`, `<${link(pages)}>; rel="last"`);
    if (page > 1) links.push(`<${link(1)}>; rel="first"`, `<${link(page - 1)}>; rel="prev"`);
    if (links.length > 0) headers.set("link", links.join(", "));
    return Response.json(
      slice.map((release, i) => ({
        url: `${this.url}/repos/${fullName}/releases/${i + 1}`,
        html_url: `https://github.com/${fullName}/releases/tag/${release.tag}`,
        id: 1000 + i,
        tag_name: release.tag,
        target_commitish: "main",
        name: `Release ${release.tag}`,
        body: "Notes with **markdown** and <script>alert(1)</script>",
        draft: release.draft ?? false,
        prerelease: release.prerelease ?? false,
        created_at: release.createdAt ?? release.publishedAt ?? "2026-01-01T00:00:00Z",
        published_at: release.publishedAt,
        author: { login: "octocat", id: 1 },
        assets: [],
      })),
      { headers },
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.shutdown();
  }
}

/** GitHub's rate-limit headers of an answer that is not limited. */
function rateHeaders(): Headers {
  return new Headers({
    "x-ratelimit-limit": "60",
    "x-ratelimit-remaining": "59",
    "x-ratelimit-reset": "1795000000",
    "x-ratelimit-used": "1",
    "x-ratelimit-resource": "core",
  });
}

/** GitHub's answer when the rate limit is spent: 403, remaining 0, reset at `resetSeconds`. */
export function rateLimited(resetSeconds: number): Response {
  return Response.json({
    message: "API rate limit exceeded for 192.0.2.1.",
    documentation_url:
      "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
  }, {
    status: 403,
    headers: {
      "x-ratelimit-limit": "60",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(resetSeconds),
      "x-ratelimit-used": "60",
      "x-ratelimit-resource": "core",
    },
  });
}
