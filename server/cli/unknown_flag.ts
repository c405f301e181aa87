/** The message for a flag the command line does not know, with the nearest one it does. */

/**
 * `shm: unknown flag --prot, did you mean --port? (see shm --help)`: the
 * known flag nearest to `given` by edit distance, when it is at most a third
 * of its length away (else no guess).
 */
export function unknownFlagMessage(given: string, known: readonly string[]): string {
  const name = given.replace(/^-+/, "").split("=")[0] ?? "";
  let best: { flag: string; distance: number } | null = null;
  for (const flag of known) {
    const distance = editDistance(name, flag);
    if (best === null || distance < best.distance) best = { flag, distance };
  }
  const guess = best !== null && best.distance <= Math.max(1, Math.floor(best.flag.length / 3))
    ? `, did you mean --${best.flag}?`
    : "";
  return `shm: unknown flag --${name}${guess} (see shm --help)`;
}

/** Edit distance with insertions, deletions, substitutions and swaps of neighbours, each 1. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const same = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + same);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i]![j] = best;
    }
  }
  return at(a.length, b.length);
}
