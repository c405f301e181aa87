/**
 * The GitHub part of an application's settings form: the repository field
 * and, under it, what the last read found or why it failed (a rate limit, a
 * 404, a timeout…), so that a failure is a note on this page and never an
 * error anywhere else.
 */

import type { GithubStatus } from "../github/mod.ts";
import { formatCount, formatUtcMinute } from "./format.ts";

/** What the field shows. */
export interface GithubRepoFieldProps {
  /** The repository as set, with its last read; null when none is set. */
  readonly github: GithubStatus | null;
  /** The repository as typed, when the form is shown again after an error. */
  readonly typed?: string;
}

/** Renders the repository field (`github_repo`) and its note; it belongs inside the settings form. */
export function GithubRepoField(props: GithubRepoFieldProps) {
  const { github } = props;
  return (
    <fieldset data-field="github">
      <legend>GitHub repository (stars and releases)</legend>
      <label>
        Repository, as <code>owner/name</code> (empty: none)
        <input
          type="text"
          name="github_repo"
          value={props.typed ?? github?.repo ?? ""}
          maxLength={140}
          placeholder="owner/name"
          autocomplete="off"
          spellcheck={false}
        />
      </label>
      {github === null ? null : <GithubNote github={github} />}
    </fieldset>
  );
}

function GithubNote(props: { github: GithubStatus }) {
  const { github } = props;
  if (github.checkedAt === null) {
    return (
      <p class="muted" data-field="github-note">
        Not read yet: the first read happens within a minute, then every hour.
      </p>
    );
  }
  const read = (
    <>
      {github.stars === null ? null : <>{formatCount(github.stars)} stars ·{" "}</>}
      {github.latestRelease === null
        ? "no published release"
        : `latest release ${github.latestRelease.tag} (${
          github.latestRelease.publishedAt.toISOString().slice(0, 10)
        })`}
    </>
  );
  return (
    <>
      {github.error === null ? null : (
        <p class="error" role="status" data-field="github-error">
          The last read, at {formatUtcMinute(github.checkedAt)}, failed: {github.error}.
          {github.stars === null ? null : " The figures below are from the read before."}
        </p>
      )}
      <p class="muted" data-field="github-note">
        {github.error === null ? <>Read at {formatUtcMinute(github.checkedAt)}: {read}.</> : read}
      </p>
    </>
  );
}
