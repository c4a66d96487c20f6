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
});
