/** An application's instances: a filter form, a sortable table, and keyset page links. */

import type { AppInstancePage, AppInstanceQuery } from "../stats/mod.ts";
import { INSTANCE_SORTS } from "../stats/mod.ts";
import { INSTANCE_STATUSES } from "../../shared/instance_status.ts";
import { formatAgo } from "./format.ts";
import { Layout, type Viewer } from "./Layout.tsx";

/** What the instances page shows. */
export interface InstancesPageProps {
  readonly viewer: Viewer;
  readonly page: AppInstancePage;
  readonly query: AppInstanceQuery;
  readonly now: Date;
}

const SORT_LABELS: Record<string, string> = {
  last_seen: "Last seen",
  first_seen: "First seen",
  version: "Version",
};

/** The query string of the instances page for `query` (empty values left out). */
export function instancesQueryString(
  query: AppInstanceQuery,
  overrides: { cursor?: string | null; sort?: string } = {},
): string {
  const params = new URLSearchParams();
  const f = query.filters;
  if (f.version !== undefined) params.set("version", f.version);
  if (f.status !== undefined) params.set("status", f.status);
  if (f.environment !== undefined) params.set("environment", f.environment);
  if (f.idPrefix !== undefined) params.set("q", f.idPrefix);
  const sort = overrides.sort ?? query.sort;
  if (sort !== "last_seen") params.set("sort", sort);
  if (query.limit !== 50) params.set("limit", String(query.limit));
  const cursor = overrides.cursor === undefined ? query.cursor : overrides.cursor;
  if (cursor !== undefined && cursor !== null) params.set("cursor", cursor);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/** Renders the instances page; works without JavaScript (a GET form and links). */
export function InstancesPage(props: InstancesPageProps) {
  const { page, query } = props;
  const base = `/apps/${encodeURIComponent(page.app.slug)}/instances`;
  const f = query.filters;
  return (
    <Layout title={`${page.app.name}: instances`} viewer={props.viewer}>
      <p>
        <a href="/">Applications</a> /{" "}
        <a href={`/apps/${encodeURIComponent(page.app.slug)}`}>{page.app.name}</a> /
      </p>
      <h1>Instances</h1>
      <form method="get" action={base} class="filters panel">
        <label>
          Instance id starts with
          <input type="search" name="q" value={f.idPrefix ?? ""} placeholder="e.g. 3f2a" />
        </label>
        <label>
          Version
          <select name="version">
            <option value="">any</option>
            {page.choices.versions.map((v) => (
              <option value={v} selected={v === f.version}>{v}</option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select name="status">
            <option value="">any</option>
            {INSTANCE_STATUSES.map((s) => (
              <option key={s} value={s} selected={s === f.status}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Environment
          <select name="environment">
            <option value="">any</option>
            {page.choices.environments.map((e) => (
              <option value={e} selected={e === f.environment}>{e}</option>
            ))}
          </select>
        </label>
        <label>
          Sort by
          <select name="sort">
            {INSTANCE_SORTS.map((s) => (
              <option value={s} selected={s === query.sort}>{SORT_LABELS[s]}</option>
            ))}
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      {page.instances.length === 0
        ? <p class="muted" data-empty="instances">No instance matches.</p>
        : (
          <table class="data instances">
            <thead>
              <tr>
                <th>Instance</th>
                {INSTANCE_SORTS.map((s) => (
                  <th aria-sort={s === query.sort ? "descending" : undefined}>
                    <a href={`${base}${instancesQueryString(query, { sort: s, cursor: null })}`}>
                      {SORT_LABELS[s]}
                    </a>
                  </th>
                ))}
                <th>Status</th>
                <th>Environment</th>
                <th>Platform</th>
              </tr>
            </thead>
            <tbody>
              {page.instances.map((row) => (
                <tr data-instance={row.instanceId}>
                  <td>
                    <a href={`/instances/${row.instanceId}`}>
                      <code>{row.instanceId.slice(0, 8)}</code>
                    </a>
                  </td>
                  <td title={row.lastSeen.toISOString()}>{formatAgo(row.lastSeen, props.now)}</td>
                  <td title={row.firstSeen.toISOString()}>{formatAgo(row.firstSeen, props.now)}</td>
                  <td>{row.appVersion}</td>
                  <td>{row.status}</td>
                  <td>{row.environment ?? "unknown"}</td>
                  <td>{row.osArch ?? "unknown"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      <nav class="pager" aria-label="Pages">
        {query.cursor === undefined
          ? null
          : <a href={`${base}${instancesQueryString(query, { cursor: null })}`}>First page</a>}
        {page.nextCursor === null ? null : (
          <a
            rel="next"
            href={`${base}${instancesQueryString(query, { cursor: page.nextCursor })}`}
          >
            Next page
          </a>
        )}
      </nav>
    </Layout>
  );
}
