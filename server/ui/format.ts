/** Small text formats shared by the pages. */

/** A count with thousands separators, e.g. `12,345`. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** How long ago `then` was, relative to `now`, in words ("3 h ago"); "never" for null. */
export function formatAgo(then: Date | null, now: Date): string {
  if (then === null) return "never";
  const seconds = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/** A metric figure: whole numbers with separators, others to at most three decimals; "–" for null. */
export function formatFigure(n: number | null): string {
  if (n === null) return "–";
  return n.toLocaleString("en-US", { maximumFractionDigits: Number.isInteger(n) ? 0 : 3 });
}

/** A time to the minute in UTC, e.g. `2026-11-25 13:05 UTC`. */
export function formatUtcMinute(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
