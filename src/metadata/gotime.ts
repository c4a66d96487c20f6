/**
 * Go `time.Time` JSON compatibility: Notary writes `expires` with
 * `time.RFC3339Nano` (fraction trimmed of trailing zeros, none when zero) and
 * parses any RFC 3339 timestamp with an optional fraction of up to 9 digits.
 */

export interface GoTime {
  /** Milliseconds since the epoch (fraction below 1 ms in `nanos`). */
  readonly ms: number;
  /** Nanoseconds within the second (0..999_999_999). */
  readonly nanos: number;
}

/**
 * The value of the `n` ASCII digits at `at` (0-9 only, as the regular expression `\d` without the
 * `u` flag), or -1 when one of them is not such a digit or lies past the end.
 */
function digits(text: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = text.charCodeAt(i) - 48; // NaN past the end
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Parses an RFC 3339 timestamp as Go's `time.Time.UnmarshalJSON` does; returns null when invalid.
 *
 * The grammar is exactly that of
 * `^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$`
 * (gotime.test.ts checks it against that expression on generated and hostile strings), read
 * character by character: a regular expression is compiled by irregexp at its first use in every
 * process, ~0.1 ms of each warm `trust verify` that the V8 code cache cannot keep (issue 12).
 */
export function parseGoTime(text: string): GoTime | null {
  const n = text.length;
  if (n < 20) return null;
  if (text[4] !== '-' || text[7] !== '-' || text[13] !== ':' || text[16] !== ':') return null;
  // Go's layout match is case-sensitive: the real notary (go1.19) refuses `t` and `z` (Q5)
  if (text[10] !== 'T') return null;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const min = digits(text, 14, 2);
  const sec = digits(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || min < 0 || sec < 0) return null;
  let i = 19;
  let frac = '';
  if (text[i] === '.') {
    let j = i + 1;
    while (j < n && j - i <= 9 && digits(text, j, 1) >= 0) j++;
    if (j === i + 1) return null;
    frac = text.slice(i + 1, j);
    i = j;
  }
  let sign = '';
  let oh = 0;
  let om = 0;
  const zone = text[i];
  if (zone === 'Z') {
    if (i + 1 !== n) return null;
  } else if (zone === '+' || zone === '-') {
    if (i + 6 !== n || text[i + 3] !== ':') return null;
    oh = digits(text, i + 1, 2);
    om = digits(text, i + 4, 2);
    if (oh < 0 || om < 0) return null;
    sign = zone;
  } else {
    return null;
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  let offsetMin = 0;
  if (sign !== '') {
    if (oh > 23 || om > 59) return null;
    offsetMin = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const nanos = frac === '' ? 0 : Number(frac.padEnd(9, '0'));
  const base = Date.UTC(year, month - 1, day, hour, min, sec);
  const d = new Date(base);
  d.setUTCFullYear(year); // years < 100 are not shifted by Date.UTC's legacy rule
  const ms = d.getTime() - offsetMin * 60_000 + Math.floor(nanos / 1e6);
  return { ms, nanos };
}

/** Formats a UTC instant as Go's RFC3339Nano (`2026-01-02T03:04:05.5Z`). */
export function formatGoTime(ms: number, nanosInSecond?: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) throw new RangeError(`year ${y} is outside Go's RFC 3339 range`);
  const nanos = nanosInSecond ?? (((ms % 1000) + 1000) % 1000) * 1e6;
  const p2 = (n: number) => String(n).padStart(2, '0');
  let out =
    `${String(y).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}` +
    `T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  if (nanos > 0) out += `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
  return `${out}Z`;
}
