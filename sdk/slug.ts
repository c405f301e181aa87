/**
 * The slug of an application name, which names the identity file
 * `{dataDir}/{slug}_shm_identity.json`.
 *
 * @module
 */

const COMBINING_MARKS = /[\u0300-\u036f]/g;

/**
 * The slug of `appName`: lowercase, accented letters folded to their base
 * letter, space `-` and `_` become `-`, every other character dropped, runs of
 * `-` collapsed and trimmed; `app` when nothing is left.
 */
export function identitySlug(appName: string): string {
  return slugWith(appName, () => true);
}

/**
 * The slug the original SHM Node SDK gave `appName`. It folded only the
 * accented letters of Latin-1 (`à`…`ÿ`) and dropped the others, so for a name
 * like `Žeton` its file name differs from {@linkcode identitySlug}'s; the
 * client looks for that file too, so that an instance keeps its identity.
 */
export function legacyIdentitySlug(appName: string): string {
  return slugWith(appName, (char) => char <= "\u00ff");
}

function slugWith(appName: string, folds: (char: string) => boolean): string {
  let out = "";
  for (const char of appName.toLowerCase()) {
    const base = folds(char) ? char.normalize("NFD").replace(COMBINING_MARKS, "") : char;
    for (const c of base) {
      if ((c >= "a" && c <= "z") || (c >= "0" && c <= "9")) out += c;
      else if (c === " " || c === "-" || c === "_") out += "-";
    }
  }
  out = out.replace(/-+/g, "-").replace(/^-|-$/g, "");
  return out === "" ? "app" : out;
}
