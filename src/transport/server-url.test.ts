import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trimTrailingSlashes } from './server-url.js';

describe('trimTrailingSlashes', () => {
  it("is .replace(/\\/+$/, '') without the expression", () => {
    const char = fc.constantFrom('/', 'a', '\\', '.', '\n', ' ', '%2F', '\u2215');
    fc.assert(
      fc.property(
        fc.array(char, { maxLength: 12 }).map((c) => c.join('')),
        (text) => {
          expect(trimTrailingSlashes(text)).toBe(text.replace(/\/+$/, ''));
        },
      ),
      { numRuns: 20_000 },
    );
  });
});
