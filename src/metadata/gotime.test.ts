import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatGoTime, parseGoTime } from './gotime.js';

describe('Go RFC3339Nano times', () => {
  it('trims trailing zeros of the fraction like Go', () => {
    expect(formatGoTime(Date.UTC(2026, 0, 2, 3, 4, 5, 500))).toBe('2026-01-02T03:04:05.5Z');
    expect(formatGoTime(Date.UTC(2026, 0, 2, 3, 4, 5, 0))).toBe('2026-01-02T03:04:05Z');
    expect(formatGoTime(Date.UTC(2026, 0, 2, 3, 4, 5, 120))).toBe('2026-01-02T03:04:05.12Z');
    expect(formatGoTime(Date.UTC(2026, 0, 2), 835405412)).toBe('2026-01-02T00:00:00.835405412Z');
  });

  it('parses offsets and nanosecond fractions', () => {
    expect(parseGoTime('2026-01-02T03:04:05.835405412Z')).toEqual({
      ms: Date.UTC(2026, 0, 2, 3, 4, 5, 835),
      nanos: 835405412,
    });
    expect(parseGoTime('2026-01-02T04:04:05+01:00')?.ms).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
  });

  it('rejects malformed times', () => {
    for (const bad of [
      '2026-13-01T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-01-01 00:00:00Z',
      '2026-01-01T00:00:00',
      // Go's layout match is case-sensitive (the real notary refuses these)
      '2026-01-01t00:00:00Z',
      '2026-01-01T00:00:00z',
      '',
    ]) {
      expect(parseGoTime(bad)).toBeNull();
    }
  });

  it('round-trips any instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799999 }), (ms) => {
        expect(parseGoTime(formatGoTime(ms))?.ms).toBe(ms);
      }),
    );
  });

  // parseGoTime reads the grammar character by character (issue 12: no regular expression to compile
  // in every process); this is the regular-expression parser it replaced, as the reference
  const RFC3339 =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;
  function reference(text: string): { ms: number; nanos: number } | null {
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
    const d = new Date(Date.UTC(year, month - 1, day, hour, min, sec));
    d.setUTCFullYear(year);
    return { ms: d.getTime() - offsetMin * 60_000 + Math.floor(nanos / 1e6), nanos };
  }
  // digits, the grammar's punctuation, and look-alikes: other Unicode digits (Arabic-Indic,
  // fullwidth, superscript), a lone surrogate, whitespace, the Kelvin sign, NUL
  const hostile = [
    ...'0123456789',
    ...'0129',
    '-',
    ':',
    '.',
    'T',
    't',
    'Z',
    'z',
    '+',
    ' ',
    '\n',
    '\u0660',
    '\uff10',
    '\u00b2',
    '\ud800',
    '\u212a',
    '\u0000',
    'a',
    '/',
  ];
  const char = fc.constantFrom(...hostile);
  const digitRun = (min: number, max: number) =>
    fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
  // well-formed shapes with field widths around the grammar's
  const shaped = fc
    .tuple(
      digitRun(3, 5),
      fc.constantFrom('-', '/'),
      digitRun(1, 3),
      digitRun(1, 3),
      fc.constantFrom('T', 't', ' '),
      digitRun(1, 3),
      digitRun(2, 2),
      digitRun(1, 3),
      fc.option(digitRun(0, 11), { nil: undefined }),
      fc.constantFrom('Z', 'z', '+', '-', '', 'Zx', '\n'),
      digitRun(1, 3),
      fc.constantFrom(':', ''),
      digitRun(2, 3),
    )
    .map(([y, sep, mo, d, t, h, mi, s, frac, zone, oh, colon, om]) => {
      const base = `${y}${sep}${mo}-${d}${t}${h}:${mi}:${s}${frac === undefined ? '' : `.${frac}`}`;
      return zone === '+' || zone === '-' ? `${base}${zone}${oh}${colon}${om}` : `${base}${zone}`;
    });
  // a valid time with hostile edits: replaced, inserted and deleted characters, truncation
  const edited = fc
    .tuple(
      fc.integer({ min: 0, max: 253402300799999 }),
      fc.constantFrom('Z', '+05:30', '-23:59', '+00:00'),
      fc.array(fc.tuple(fc.nat(40), fc.constantFrom('set', 'insert', 'delete'), char), { maxLength: 3 }),
      fc.nat(45),
    )
    .map(([ms, zone, edits, cut]) => {
      let s = formatGoTime(ms).replace(/Z$/, zone);
      for (const [at, op, c] of edits) {
        const i = at % (s.length + 1);
        if (op === 'set') s = s.slice(0, i) + c + s.slice(i + 1);
        else if (op === 'insert') s = s.slice(0, i) + c + s.slice(i);
        else s = s.slice(0, i) + s.slice(i + 1);
      }
      return cut < s.length ? s.slice(0, s.length - (cut % 3)) : s;
    });

  it('accepts and reads exactly what the RFC 3339 regular expression parser did', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          shaped,
          edited,
          fc.array(char, { maxLength: 40 }).map((c) => c.join('')),
        ),
        (text) => {
          expect(parseGoTime(text)).toEqual(reference(text));
        },
      ),
      { numRuns: 20_000 },
    );
    for (const text of [
      '2026-01-02T03:04:05.Z',
      '2026-01-02T03:04:05.1234567890Z',
      '2026-01-02T03:04:05.123456789Z',
      '2026-01-02T03:04:05Z\n',
      '2026-01-02T03:04:05+01:0',
      '2026-01-02T03:04:05+01:000',
      '2026-01-02T03:04:05+0100',
      '2026-01-02T03:04:05+24:00',
      '2026-01-02T03:04:05+23:60',
      '0000-01-01T00:00:00Z',
      '0099-12-31T23:59:59z',
      '2024-02-29t00:00:00-00:00',
      '2023-02-29T00:00:00Z',
      '\uff12026-01-02T03:04:05Z',
      '2026-01-02T03:04:0\u0665Z',
    ]) {
      expect(parseGoTime(text), text).toEqual(reference(text));
    }
  });
});
