import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidMetaName } from './store.js';

// the expression isValidMetaName applies (after a loop that accepts plain role names first, issue 12)
const META_NAME =
  /^(?:[0-9]+\.)?[a-z0-9_-]+(?:\/[a-z0-9_-]+)*(?:\.[a-f0-9]{64}|\.[a-f0-9]{96}|\.[a-f0-9]{128})?$/;
const reference = (name: string) => name.length > 0 && name.length <= 512 && META_NAME.test(name);

describe('isValidMetaName', () => {
  it('accepts exactly what the metadata-name expression accepts', () => {
    const char = fc.constantFrom(
      ...'az09_-/.',
      'A',
      'Z',
      ' ',
      '\n',
      '\u0000',
      '\u212a',
      '\u017f',
      '\uff41',
      '%',
      '\\',
    );
    const hex = (n: number) =>
      fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: n, maxLength: n }).map((c) => c.join(''));
    const name = fc.oneof(
      fc.array(char, { maxLength: 24 }).map((c) => c.join('')),
      fc
        .tuple(
          fc.constantFrom('', '1.', '12.', '.', 'a.'),
          fc.array(fc.constantFrom('root', 'targets', 'releases', 'a-b_c', '', 'X', '..'), {
            minLength: 1,
            maxLength: 4,
          }),
          fc.constantFrom('', '.', '.x'),
          fc.option(fc.constantFrom(63, 64, 96, 128, 129), { nil: undefined }),
        )
        .chain(([pre, parts, dot, n]) =>
          (n === undefined ? fc.constant('') : hex(n).map((h) => `.${h}`)).map(
            (h) => `${pre}${parts.join('/')}${dot}${h}`,
          ),
        ),
    );
    fc.assert(
      fc.property(name, (n) => {
        expect(isValidMetaName(n)).toBe(reference(n));
      }),
      { numRuns: 20_000 },
    );
    for (const n of [
      'timestamp',
      'targets/releases',
      '/root',
      'root/',
      'a//b',
      '',
      'a'.repeat(512),
      'a'.repeat(513),
      '-',
      '_/-',
    ]) {
      expect(isValidMetaName(n), n).toBe(reference(n));
    }
  });
});
