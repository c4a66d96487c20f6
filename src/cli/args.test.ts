import { parseArgs as nodeParseArgs } from 'node:util';
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

  it('parses as util.parseArgs (strict, positionals allowed) does, and refuses what it refuses', () => {
    const specs = [
      SPEC,
      // a one-letter alias of a string flag (-o FILE, -oFILE, -ho FILE) and of another boolean
      { ...SPEC, output: { type: 'string', short: 'o' }, json: { type: 'boolean', short: 'j' } },
    ] as const;
    const word = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom(
        ...['--server', '--json', '--role', '--output', '--help', '-h', '-j', '-o', '-x', '--', '-', '---'],
        ...[
          '--=',
          '--=x',
          '--server=',
          '--server=-v',
          '--json=1',
          '--role=targets/a',
          '--bogus',
          '--__proto__',
        ],
        ...['-hj', '-hx', '-ho', '-hof', '-ofile', '-o-', '-jho', '-oh', 'img:1', 'x'],
      ),
    );
    /** Node's verdict: the values, or the kind of usage error (and the flag an unknown one names). */
    const node = (argv: string[], spec: (typeof specs)[number]) => {
      try {
        const { values, positionals } = nodeParseArgs({
          args: argv,
          options: spec,
          strict: true,
          allowPositionals: true,
        });
        return { flags: { ...values }, positionals };
      } catch (e) {
        const text = String((e as Error).message);
        const unknown = /^Unknown option '(.+?)'\. To specify/.exec(text)?.[1];
        if (unknown !== undefined) return { error: `unknown flag ${unknown}` };
        if (/argument missing|argument is ambiguous/.test(text)) return { error: 'needs a value' };
        if (/does not take an argument/.test(text)) return { error: 'takes no value' };
        throw e;
      }
    };
    const ours = (argv: string[], spec: (typeof specs)[number]) => {
      try {
        const a = parseArgs(argv, spec);
        return { flags: { ...a.flags }, positionals: a.positionals };
      } catch (e) {
        expect(e).toBeInstanceOf(LocalError);
        expect((e as LocalError).code).toBe('USAGE');
        const m = (e as LocalError).message;
        return {
          error: /^unknown flag /.test(m) ? m : m.replace(/^\S+ (needs a value|takes no value).*$/s, '$1'),
        };
      }
    };
    for (const spec of specs) {
      fc.assert(
        fc.property(fc.array(word, { maxLength: 6 }), (argv) => {
          expect(ours(argv, spec)).toEqual(node(argv, spec));
        }),
        { numRuns: 2000 },
      );
    }
  });

  it('names the flag as written, and the --flag=VALUE spelling, when a value is missing or ambiguous', () => {
    const spec = { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } } as const;
    const message = (argv: string[]) => {
      try {
        parseArgs(argv, spec);
      } catch (e) {
        return (e as LocalError).message;
      }
      return undefined;
    };
    expect(message(['-o'])).toBe("-o needs a value (write --output=VALUE for a value starting with '-')");
    expect(message(['-o', '-x'])).toBe(
      "-o needs a value (write --output=VALUE for a value starting with '-')",
    );
    expect(message(['--output', '--help'])).toBe(
      "--output needs a value (write --output=VALUE for a value starting with '-')",
    );
    expect(message(['--help=yes'])).toBe('--help takes no value');
    expect(parseArgs(['-o-'], spec).flags.output).toBe('-');
    expect(parseArgs(['-ho', 'f', 'x'], spec)).toEqual({
      positionals: ['x'],
      flags: Object.assign(Object.create(null), { help: true, output: 'f' }),
    });
  });
});
