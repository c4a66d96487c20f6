import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalError } from '../errors.js';
import { bool, list, parseArgs, str } from './args.js';

const SPEC = {
  server: { type: 'string' },
  json: { type: 'boolean' },
  role: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

describe('parseArgs', () => {
  it('reads values, booleans, repeatables and positionals in any order', () => {
    const a = parseArgs(
      ['img:1', '--server', 'https://n', '--json', '--role=targets/a', '--role', 'targets/b', 'x'],
      SPEC,
    );
    expect(a.positionals).toEqual(['img:1', 'x']);
    expect(str(a, 'server')).toBe('https://n');
    expect(bool(a, 'json')).toBe(true);
    expect(bool(a, 'help')).toBe(false);
    expect(list(a, 'role')).toEqual(['targets/a', 'targets/b']);
  });

  it('maps short aliases and stops at --', () => {
    const a = parseArgs(['-h', '--', '--json', '-x'], SPEC);
    expect(bool(a, 'help')).toBe(true);
    expect(bool(a, 'json')).toBe(false);
    expect(a.positionals).toEqual(['--json', '-x']);
    expect(parseArgs(['-'], SPEC).positionals).toEqual(['-']);
  });

  it('keeps the last value of a single-valued flag given twice', () => {
    expect(str(parseArgs(['--server', 'a', '--server=b'], SPEC), 'server')).toBe('b');
  });

  it('takes an inline value even when it looks like a flag', () => {
    expect(str(parseArgs(['--server=--odd'], SPEC), 'server')).toBe('--odd');
    expect(str(parseArgs(['--server', '-'], SPEC), 'server')).toBe('-');
  });

  it.each([
    [['--bogus'], /unknown flag --bogus/],
    [['-x'], /unknown flag -x/],
    [['--constructor'], /unknown flag --constructor/],
    [['--__proto__'], /unknown flag --__proto__/],
    [['--server'], /--server needs a value/],
    [['--server', '--json'], /--server needs a value/],
    [['--server', '-x'], /--server needs a value .*--server=VALUE/],
    [['-hx'], /unknown flag -x/],
    [['--json=yes'], /--json takes no value/],
  ])('%j is a usage error', (argv, message) => {
    let err: unknown;
    try {
      parseArgs(argv, SPEC);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).code).toBe('USAGE');
    expect((err as LocalError).message).toMatch(message);
  });

  it('never throws anything but a USAGE error, whatever argv holds', () => {
    const word = fc.oneof(
      fc.string(),
      fc.constantFrom('--server', '--json', '--role', '-h', '--', '-', '--=', '--server='),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (argv) => {
        try {
          const a = parseArgs(argv, SPEC);
          for (const v of Object.values(a.flags)) {
            expect(['string', 'boolean'].includes(typeof v) || Array.isArray(v)).toBe(true);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(LocalError);
          expect((e as LocalError).code).toBe('USAGE');
        }
      }),
    );
  });
});
