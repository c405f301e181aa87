/**
 * What a GitHub repository's name may be, as GitHub itself allows it: an
 * owner (a user or organisation) of 1 to 39 letters, digits and single inner
 * hyphens, a slash, and a repository name of 1 to 100 letters, digits, `.`,
 * `_` and `-` (not `.` or `..`, and not ending in `.git`, which GitHub
 * strips).
 */

/** Longest `owner/name`: 39 + 1 + 100 characters. */
export const MAX_GITHUB_REPO_LENGTH = 140;

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** A repository as read from an operator: `owner/name` (null clears it), or why it cannot be one. */
export type GithubRepoReading =
  | { readonly ok: true; readonly repo: string | null }
  | { readonly ok: false; readonly problem: string };

/**
 * Reads a repository as an operator gave it: null or "" (after trimming)
 * clears it; else `owner/name` by GitHub's rules, kept as written. Anything
 * else says, in one sentence, which rule it broke.
 */
export function parseGithubRepo(value: unknown): GithubRepoReading {
  if (value === null) return { ok: true, repo: null };
  if (typeof value !== "string") {
    return { ok: false, problem: 'it must be "owner/name" or null' };
  }
  const text = value.trim();
  if (text === "") return { ok: true, repo: null };
  if (text.length > MAX_GITHUB_REPO_LENGTH) {
    return { ok: false, problem: `it is longer than ${MAX_GITHUB_REPO_LENGTH} characters` };
  }
  const parts = text.split("/");
  if (parts.length !== 2) return { ok: false, problem: 'it is not of the form "owner/name"' };
  const [owner = "", name = ""] = parts;
  if (!OWNER.test(owner)) {
    return {
      ok: false,
      problem:
        "its owner must be 1 to 39 letters, digits or single hyphens, not starting or ending with one",
    };
  }
  if (!NAME.test(name) || name === "." || name === ".." || /\.git$/i.test(name)) {
    return {
      ok: false,
      problem:
        'its name must be 1 to 100 letters, digits, ".", "_" or "-" (not "." or "..", not ending in ".git")',
    };
  }
  return { ok: true, repo: text };
}

/** Whether `text` is a repository name {@linkcode parseGithubRepo} accepts as it is. */
export function isGithubRepo(text: string): boolean {
  const reading = parseGithubRepo(text);
  return reading.ok && reading.repo === text;
}
