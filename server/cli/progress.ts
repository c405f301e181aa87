/** Progress lines of a long command: rewritten in place on a terminal, sparse in a log. */

/** Shows the progress of a stage: `fraction` goes from 0 to 1; a new stage starts again at 0. */
export type ShowProgress = (text: string, fraction: number) => void;

/**
 * A progress writer over `write`. On a terminal every call rewrites one
 * line and the last of a stage ends it; elsewhere (a pipe, a log file, CI)
 * a stage prints at most one line per tenth of the way, and its last.
 */
export function progressWriter(terminal: boolean, write: (text: string) => void): ShowProgress {
  let lastTenth = -1;
  let lastFraction = -1;
  return (text, fraction) => {
    const done = fraction >= 1;
    if (fraction < lastFraction) lastTenth = -1;
    lastFraction = fraction;
    if (terminal) {
      write(`\r\x1b[K${text}${done ? "\n" : ""}`);
      return;
    }
    const tenth = Math.floor(Math.min(Math.max(fraction, 0), 1) * 10);
    if (tenth <= lastTenth && !done) return;
    if (done && lastTenth === 10) return;
    lastTenth = done ? 10 : tenth;
    write(`${text}\n`);
  };
}
