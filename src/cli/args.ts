/**
 * Command-line flags, parsed the way Node's `util.parseArgs` parses them in strict mode with
 * positionals allowed: `--flag value`, `--flag=value`, booleans, repeatables (`multiple`),
 * one-letter aliases (`-h`, groups `-hx`, `-oVALUE`), `--` ends the flags, flags and positionals
 * interleaved; a string flag takes the next argument whatever it is, and one starting with '-' is
 * refused as ambiguous (write `--flag=-value`). Usage errors (unknown flag, missing or ambiguous
 * value, value on a boolean) are LocalError('USAGE'), exit 2. A single-valued flag given twice
 * keeps the last value.
 *
 * Node's implementation is not used: its first call costs ~0.7 ms of a pre-pull hook's `trust
 * verify` (issue 12), loading and running a general parser for a dozen flags. args.test.ts checks
 * this one against `util.parseArgs` on generated command lines.
 */

import { LocalError } from '../errors.js';

/** One flag, in `util.parseArgs` terms. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  /** May be given several times (values collected in order). */
  multiple?: boolean;
  /** One-letter alias (`-h`). */
  short?: string;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
}

export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagSpec>>): ParsedArgs {
  const flags: Record<string, string | boolean | (string | boolean)[]> = Object.create(null);
  const positionals: string[] = [];
  const own = (name: string): FlagSpec | undefined => (Object.hasOwn(spec, name) ? spec[name] : undefined);
  const isString = (name: string) => own(name)?.type === 'string';
  /** The flag a one-letter alias names (the letter itself when no flag has it as its alias). */
  const longFor = (letter: string): string => {
    for (const name of Object.keys(spec)) if (spec[name]!.short === letter) return name;
    return letter;
  };
  const take = (name: string, raw: string, value: string | undefined, inline: boolean): void => {
    const flag = own(name);
    if (flag === undefined) throw new LocalError('USAGE', `unknown flag ${raw}`);
    const ambiguous = !inline && value !== undefined && value.length > 1 && value[0] === '-';
    if ((flag.type === 'string' && value === undefined) || ambiguous) {
      throw new LocalError(
        'USAGE',
        `${raw} needs a value (write --${name}=VALUE for a value starting with '-')`,
      );
    }
    if (flag.type === 'boolean' && value !== undefined)
      throw new LocalError('USAGE', `${raw} takes no value`);
    const v = value ?? true;
    const prior = flags[name];
    if (!flag.multiple) flags[name] = v;
    else if (Array.isArray(prior)) prior.push(v);
    else flags[name] = [v];
  };

  const args = [...argv];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = i + 1 < args.length ? args[i + 1] : undefined;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    const short = arg.length >= 2 && arg[0] === '-' && arg[1] !== '-';
    if (short && arg.length === 2) {
      // -f, or -f VALUE for a string flag
      const name = longFor(arg[1]!);
      const value = isString(name) ? next : undefined;
      if (value !== undefined) i++;
      take(name, arg, value, false);
    } else if (short && !isString(longFor(arg[1]!))) {
      // a group: -abc is -a -b -c, and -abfFILE is -a -b -fFILE
      const expanded: string[] = [];
      for (let j = 1; j < arg.length; j++) {
        if (!isString(longFor(arg[j]!)) || j === arg.length - 1) expanded.push(`-${arg[j]}`);
        else {
          expanded.push(`-${arg.slice(j)}`);
          break;
        }
      }
      args.splice(i, 1, ...expanded);
      i--;
    } else if (short) {
      // -fVALUE
      take(longFor(arg[1]!), `-${arg[1]}`, arg.slice(2), true);
    } else if (arg.length > 2 && arg.startsWith('--') && !arg.includes('=', 3)) {
      // --flag, or --flag VALUE for a string flag
      const name = arg.slice(2);
      const value = isString(name) ? next : undefined;
      if (value !== undefined) i++;
      take(name, arg, value, false);
    } else if (arg.length > 2 && arg.startsWith('--')) {
      // --flag=VALUE
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq);
      take(name, `--${name}`, arg.slice(eq + 1), true);
    } else {
      positionals.push(arg);
    }
  }
  return { positionals, flags };
}

export function str(a: ParsedArgs, name: string): string | undefined {
  const v = a.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function bool(a: ParsedArgs, name: string): boolean {
  return a.flags[name] === true;
}

export function list(a: ParsedArgs, name: string): string[] {
  const v = a.flags[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
