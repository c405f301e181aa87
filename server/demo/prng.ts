/** Small seeded randomness for the demo fleet: the same seed gives the same fleet. */

/** A generator of numbers in [0, 1) from a 32-bit seed (the mulberry32 recurrence). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Mixes two integers into a 32-bit seed, so that nearby inputs give unrelated seeds. */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a >>> 0, 0x9e3779b1) ^ Math.imul(b >>> 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A number in [0, 1) fixed by `seed` and `n`: noise that needs no state. */
export function noiseAt(seed: number, n: number): number {
  return mixSeed(seed, n) / 4_294_967_296;
}

/** Picks one of `choices` by weight with the uniform number `u` in [0, 1). */
export function pickWeighted<T>(choices: readonly (readonly [T, number])[], u: number): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let left = u * total;
  for (const [value, weight] of choices) {
    if (left < weight) return value;
    left -= weight;
  }
  const last = choices[choices.length - 1];
  if (last === undefined) throw new Error("Cannot pick from no choices");
  return last[0];
}
