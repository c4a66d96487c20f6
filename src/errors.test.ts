import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ErrorCode,
  EXIT_CODES,
  exitCodeFor,
  FormatError,
  LocalError,
  NetworkError,
  NotSignedError,
  PublishError,
  TrustError,
  VerificationError,
} from './errors.js';

/** The members of the ErrorCode union, read from the source (independent of the table). */
function unionMembers(): string[] {
  const src = readFileSync(new URL('./errors.ts', import.meta.url), 'utf8');
  const start = src.indexOf('export type ErrorCode =');
  const body = src.slice(start, src.indexOf(';', start));
  return [...body.matchAll(/'([A-Z0-9_]+)'/g)].map((m) => m[1] as string);
}

const CLASSES = [
  TrustError,
  VerificationError,
  NotSignedError,
  FormatError,
  NetworkError,
  PublishError,
  LocalError,
];

describe('EXIT_CODES', () => {
  it('has exactly one row per ErrorCode', () => {
    const codes = unionMembers();
    expect(codes.length).toBeGreaterThan(20);
    expect(Object.keys(EXIT_CODES).sort()).toEqual([...codes].sort());
  });

  it('decides the exit code from the code alone, whatever error class carries it', () => {
    for (const code of unionMembers() as ErrorCode[]) {
      for (const Cls of CLASSES)
        expect(exitCodeFor(new Cls(code, 'x')), `${Cls.name} ${code}`).toBe(EXIT_CODES[code]);
    }
    expect(exitCodeFor(new Error('boom'))).toBe(1);
    expect(exitCodeFor('text')).toBe(1);
  });

  it('follows the CLI contract: 1 not trusted, 2 usage/config/key/passphrase, 3 unreachable', () => {
    const expected: Record<number, ErrorCode[]> = {
      1: [
        'EXPIRED',
        'ROLLBACK',
        'BAD_SIGNATURE',
        'THRESHOLD',
        'NOT_SIGNED',
        'NO_TRUST_DATA',
        'UNTRUSTED_ROOT',
      ],
      2: ['USAGE', 'CONFIG', 'BAD_KEY', 'PASSPHRASE', 'KEY_NOT_FOUND', 'CONFLICT', 'BAD_REFERENCE'],
      3: ['NETWORK', 'TIMEOUT', 'SERVER_ERROR'],
    };
    for (const [exit, codes] of Object.entries(expected)) {
      for (const code of codes) expect(EXIT_CODES[code], code).toBe(Number(exit));
    }
    // the cases the old class-based mapping got wrong
    expect(exitCodeFor(new FormatError('BAD_KEY', 'not a private key'))).toBe(2);
    expect(exitCodeFor(new PublishError('CONFLICT', 'already has trust data'))).toBe(2);
  });
});
