/** Timing helpers shared by the benches. */

/** A timed run: its wall time and each job's latency, sorted, in milliseconds. */
export interface TimedRun {
  readonly wallMs: number;
  readonly latencies: number[];
}

/** Runs `jobs` with `concurrency` workers, each taking the next job when done with one. */
export async function timed(jobs: (() => Promise<void>)[], concurrency: number): Promise<TimedRun> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const t = performance.now();
      await job();
      latencies.push(performance.now() - t);
    }
  }));
  return { wallMs: performance.now() - started, latencies: latencies.sort((a, b) => a - b) };
}

/** The `p` quantile (0–1) of sorted latencies. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}
