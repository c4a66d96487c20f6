/**
 * Go `time.Time` JSON compatibility: Notary writes `expires` with
 * `time.RFC3339Nano` (fraction trimmed of trailing zeros, none when zero) and
 * parses any RFC 3339 timestamp with an optional fraction of up to 9 digits.
 */

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

export interface GoTime {
  /** Milliseconds since the epoch (fraction below 1 ms in `nanos`). */
  readonly ms: number;
  /** Nanoseconds within the second (0..999_999_999). */
  readonly nanos: number;
}

/** Parses an RFC 3339 timestamp as Go's `time.Time.UnmarshalJSON` does; returns null when invalid. */
export function parseGoTime(text: string): GoTime | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [year, month, day, hour, min, sec] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  let offsetMin = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const frac = m[7] ?? '';
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
