/**
 * A small, dependency-free argument parser: `--flag value`, `--flag=value`,
 * booleans, repeatables, one-letter aliases, `--` ends the flags. Flags and
 * positionals may be interleaved. Every mistake is a LocalError('USAGE').
 */

import { LocalError } from '../errors.js';

export interface FlagSpec {
  /** Takes a value (`--server URL`) rather than being a boolean switch. */
  value?: boolean;
  /** May be given several times (values collected in order). */
  repeat?: boolean;
  /** One-letter alias (`-h`). */
  short?: string;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean | string[]>;
}

export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagSpec>>): ParsedArgs {
  const out: ParsedArgs = { positionals: [], flags: {} };
  const byShort = new Map(Object.entries(spec).flatMap(([k, s]) => (s.short ? [[s.short, k] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
    } else {
      const long = byShort.get(arg.slice(1));
      if (!long) throw new LocalError('USAGE', `unknown flag ${arg}`);
      name = long;
    }
    const s = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!s) throw new LocalError('USAGE', `unknown flag --${name}`);
    let value: string | boolean = true;
    if (s.value) {
      if (inline !== undefined) value = inline;
      else {
        const next = argv[i + 1];
        // `--server --trust-dir X` is a forgotten value, not a server named "--trust-dir".
        if (next === undefined || (next.startsWith('--') && next.length > 2)) {
          throw new LocalError('USAGE', `--${name} needs a value`);
        }
        value = next;
        i++;
      }
    } else if (inline !== undefined) {
      throw new LocalError('USAGE', `--${name} takes no value`);
    }
    if (s.repeat) {
      const prev = out.flags[name];
      out.flags[name] = [...(Array.isArray(prev) ? prev : []), String(value)];
    } else {
      out.flags[name] = value;
    }
  }
  return out;
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
  return Array.isArray(v) ? v : [];
}
