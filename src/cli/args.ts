/**
 * Command-line flags, parsed by Node's `util.parseArgs` in strict mode:
 * `--flag value`, `--flag=value`, booleans, repeatables (`multiple`), one-letter
 * aliases, `--` ends the flags, flags and positionals interleaved. Node's parse
 * errors (unknown flag, missing or ambiguous value, value on a boolean) become
 * LocalError('USAGE'), exit 2. A single-valued flag given twice keeps the last
 * value, as before.
 */

import { parseArgs as nodeParseArgs } from 'node:util';
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

function usageError(e: unknown): LocalError | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return undefined;
  const text = String((e as Error).message);
  const option = /^Option '(-[^' ]+)/.exec(text)?.[1];
  let message = text.split('\n')[0] as string;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /^Unknown option '(.+?)'\. To specify/.exec(text)?.[1];
    if (flag !== undefined) message = `unknown flag ${flag}`;
  } else if (option !== undefined && /argument missing|argument is ambiguous/.test(text)) {
    message = `${option} needs a value (write ${option}=VALUE for a value starting with '-')`;
  } else if (option !== undefined && /does not take an argument/.test(text)) {
    message = `${option} takes no value`;
  }
  return new LocalError('USAGE', message, { cause: e });
}

export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagSpec>>): ParsedArgs {
  try {
    const { values, positionals } = nodeParseArgs({
      args: [...argv],
      options: spec,
      strict: true,
      allowPositionals: true,
    });
    return { positionals, flags: values };
  } catch (e) {
    throw usageError(e) ?? e;
  }
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
