/** Numbers as badges show them: short, shields style (`999`, `1.2k`, `12k`, `3.4M`). */

const UNITS = ["", "k", "M", "G", "T", "P", "E", "Z", "Y"] as const;

/**
 * Formats `value` compactly: below 1000 as is (at most three significant
 * digits for fractions), above with a metric suffix, one decimal below 10 of
 * a unit (`1.2k`), none above (`12k`, `123k`); past `999Y` in exponent form.
 * Not finite gives `n/a`.
 */
export function compactNumber(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  if (value < 0) return `-${compactNumber(-value)}`;
  if (value < 1000) {
    if (Number.isInteger(value)) return String(value);
    const short = Number(value.toPrecision(3));
    // 999.7 rounds to 1000 at three digits: that is 1k.
    return short < 1000 ? String(short) : compactNumber(1000);
  }
  for (let power = 1; power < UNITS.length; power++) {
    const scaled = value / 1000 ** power;
    const rounded = scaled < 10 ? Math.round(scaled * 10) / 10 : Math.round(scaled);
    if (rounded < 1000) return `${rounded}${UNITS[power]}`;
  }
  return value.toExponential(1);
}
