/** Application slugs, as the original SHM server makes them. */

const FOLDED = new Map<string, string>();
for (
  const [base, accented] of [
    ["a", "àáâãäå"],
    ["e", "èéêë"],
    ["i", "ìíîï"],
    ["o", "òóôõö"],
    ["u", "ùúûü"],
    ["y", "ýÿ"],
    ["n", "ñ"],
    ["c", "ç"],
  ] as const
) {
  for (const letter of accented) FOLDED.set(letter, base);
}

/**
 * Returns the URL slug of an application name: lowercase, the accented
 * letters à–ÿ, ñ and ç folded to their base letter, every run of other
 * characters turned into one `-`, `-` trimmed from both ends; `"app"` when
 * nothing is left. The result always matches `^[a-z0-9]+(-[a-z0-9]+)*$`.
 *
 * @example
 * ```ts
 * appSlug("Crème Brûlée 2"); // "creme-brulee-2"
 * ```
 */
export function appSlug(name: string): string {
  let folded = "";
  for (const char of name.toLowerCase()) folded += FOLDED.get(char) ?? char;
  const slug = folded.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return slug === "" ? "app" : slug;
}
