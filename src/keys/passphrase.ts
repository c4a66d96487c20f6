/**
 * Passphrase retrieval for key files.
 *
 * Environment (docker's names first, then notary's, as each CLI maps roles):
 *   root                      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE, NOTARY_ROOT_PASSPHRASE
 *   targets                   DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE, NOTARY_TARGETS_PASSPHRASE
 *   snapshot                  DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE, NOTARY_SNAPSHOT_PASSPHRASE
 *   timestamp                 DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE
 *   delegations / signers     DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE, NOTARY_DELEGATION_PASSPHRASE
 * Else a terminal prompt without echo (stdin in raw mode, prompt on stderr),
 * like Notary's: at most 3 retries after a wrong passphrase, new passphrases
 * need >= 8 characters and a matching confirmation, input is trimmed.
 * Else LocalError PASSPHRASE. No message ever contains a passphrase.
 */
import type { Readable, Writable } from 'node:stream';
import { LocalError } from '../errors.js';

/** What a `PassphraseProvider` is asked for: which key (role, id, GUN), whether it is new, the attempt. */
export interface PassphraseRequest {
  /** Role of the key (`root`, `targets`, `targets/releases`, a signer name...). */
  readonly role: string;
  readonly gun?: string;
  readonly keyId: string;
  /** 0 on the first request; n after n wrong passphrases for this key. */
  readonly attempt: number;
  /** True when choosing a passphrase for a new key file. */
  readonly creating: boolean;
}

/** Returns a passphrase, or throws LocalError PASSPHRASE (none available / gave up). */
export type PassphraseProvider = (req: PassphraseRequest) => Promise<string>;

const BASE_ROLES = new Set(['root', 'targets', 'snapshot', 'timestamp']);

/** One rule for every new key's passphrase, typed or from the environment (Notary's prompt: 8). */
export const MIN_PASSPHRASE_LENGTH = 8;

/**
 * What a person calls the key: `root key`, `repository key` (targets), `snapshot key`,
 * `timestamp key`, `delegation key targets/x`, or `signer key dave`.
 */
export function keyLabel(role: string): string {
  if (role === 'root') return 'root key';
  if (role === 'targets') return 'repository key';
  if (role === 'snapshot' || role === 'timestamp') return `${role} key`;
  if (role === '') return 'key of unknown role';
  if (role.includes('/')) return `delegation key ${role}`;
  return `signer key ${role}`;
}

/** Environment variables consulted for a role, in priority order. */
export function passphraseEnvVars(role: string): string[] {
  if (role === 'root') return ['DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE', 'NOTARY_ROOT_PASSPHRASE'];
  const repo = 'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE';
  if (role === 'targets') return [repo, 'NOTARY_TARGETS_PASSPHRASE'];
  if (role === 'snapshot') return [repo, 'NOTARY_SNAPSHOT_PASSPHRASE'];
  if (BASE_ROLES.has(role)) return [repo];
  return [repo, 'NOTARY_DELEGATION_PASSPHRASE'];
}

export function shortKeyId(keyId: string): string {
  return keyId.slice(0, 7);
}

function describeKey(req: Pick<PassphraseRequest, 'role' | 'keyId'>): string {
  return `${shortKeyId(req.keyId)} (${req.role || 'unknown role'})`;
}

function tooShortError(req: PassphraseRequest, source: string): LocalError {
  return new LocalError(
    'PASSPHRASE',
    `the passphrase for new ${keyLabel(req.role)} from ${source} is too short: at least ${MIN_PASSPHRASE_LENGTH} characters`,
    { role: req.role },
  );
}

/** The error for a passphrase that did not decrypt the key. */
export function wrongPassphraseError(req: Pick<PassphraseRequest, 'role' | 'keyId'>): LocalError {
  return new LocalError('PASSPHRASE', `wrong passphrase for key ${describeKey(req)}`, { role: req.role });
}

function noPassphraseError(req: PassphraseRequest): LocalError {
  const vars = passphraseEnvVars(req.role).join(' or ');
  return new LocalError(
    'PASSPHRASE',
    `no passphrase for ${req.creating ? 'new ' : ''}key ${describeKey(req)}: set ${vars}, or run in a terminal`,
    { role: req.role },
  );
}

/** Passphrase from the environment, or undefined. */
export function envPassphrase(role: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const name of passphraseEnvVars(role)) {
    const v = env[name];
    if (v) return v;
  }
  return undefined;
}

/** Marks the built-in providers that can tell which requests they answer without asking anyone. */
const SILENT = Symbol('answers without asking');
type Silent = PassphraseProvider & { [SILENT]?: (req: PassphraseRequest) => boolean };

function withSilent(
  provider: PassphraseProvider,
  silent: (req: PassphraseRequest) => boolean,
): PassphraseProvider {
  (provider as Silent)[SILENT] = silent;
  return provider;
}

/**
 * Whether `provider` answers `req` without asking anyone (the environment, a fixed value), so that
 * the request may be made before it is known to be needed (a key unlocked ahead of signing). False
 * for a prompt and for any provider other than the built-in ones.
 */
export function answersSilently(provider: PassphraseProvider, req: PassphraseRequest): boolean {
  return (provider as Silent)[SILENT]?.(req) === true;
}

/** Environment only; a retry after a wrong passphrase fails at once (the value cannot change). */
export function envPassphraseProvider(env: NodeJS.ProcessEnv = process.env): PassphraseProvider {
  return withSilent(
    async (req) => {
      const v = envPassphrase(req.role, env);
      if (v === undefined) throw noPassphraseError(req);
      if (req.attempt > 0) throw wrongPassphraseError(req);
      if (req.creating && v.length < MIN_PASSPHRASE_LENGTH) {
        const name = passphraseEnvVars(req.role).find((n) => env[n]) ?? 'the environment';
        throw tooShortError(req, name);
      }
      return v;
    },
    (req) => envPassphrase(req.role, env) !== undefined,
  );
}

/** A fixed passphrase (library callers, tests); a retry fails at once. */
export function staticPassphraseProvider(passphrase: string): PassphraseProvider {
  return withSilent(
    async (req) => {
      if (req.attempt > 0) throw wrongPassphraseError(req);
      return passphrase;
    },
    () => true,
  );
}

/** A terminal-like input stream (process.stdin when it is a TTY). */
export interface TtyInput extends Readable {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** Options of `defaultPassphraseProvider`'s terminal prompt: streams, retries, minimum length of a new passphrase. */
export interface TtyProviderOptions {
  input?: TtyInput;
  output?: Writable;
  /** Wrong passphrases tolerated before giving up (Notary: 3). */
  maxRetries?: number;
  /** Minimum length of a new passphrase (Notary: 8). */
  minLength?: number;
}

/** Whether a terminal prompt is possible on `input`. */
export function canPrompt(input: TtyInput = process.stdin): boolean {
  return input.isTTY === true && typeof input.setRawMode === 'function';
}

/**
 * Terminal prompt without echo. Remembers the last passphrase per alias
 * (root vs repository) within the process, like Notary, so one prompt
 * serves several keys of the same kind.
 */
export function ttyPassphraseProvider(options: TtyProviderOptions = {}): PassphraseProvider {
  // the streams are looked up when a prompt is needed: creating process.stdin loads node's fs streams
  // (~2-3 ms of every sign whose passphrases come from the environment, issue 12)
  let input: TtyInput;
  let output: Writable;
  const streams = () => {
    input ??= options.input ?? process.stdin;
    output ??= options.output ?? process.stderr;
  };
  const maxRetries = options.maxRetries ?? 3;
  const minLength = options.minLength ?? MIN_PASSPHRASE_LENGTH;
  const cache = new Map<string, string>();
  return async (req) => {
    streams();
    if (!canPrompt(input)) throw noPassphraseError(req);
    const alias = req.role === 'root' ? 'root' : 'repository';
    const label = keyLabel(req.role);
    const withId = req.keyId ? ` (ID ${shortKeyId(req.keyId)})` : '';
    if (req.attempt === 0 && !req.creating) {
      const cached = cache.get(alias);
      if (cached !== undefined) return cached;
    }
    if (req.attempt > 0 && !req.creating) {
      if (req.attempt > maxRetries) throw wrongPassphraseError(req);
      output.write('Passphrase incorrect. Please retry.\n');
    }
    for (let tries = 0; ; tries++) {
      const what = req.creating ? `new ${label}` : label;
      const pass = (await readHidden(input, output, `Enter passphrase for ${what}${withId}: `)).trim();
      if (!req.creating) {
        cache.set(alias, pass);
        return pass;
      }
      let problem: string | undefined;
      if (pass.length < minLength) {
        problem = `Passphrase is too short (at least ${minLength} characters). Please retry.`;
      } else {
        const again = (
          await readHidden(input, output, `Repeat passphrase for new ${label}${withId}: `)
        ).trim();
        if (again !== pass) problem = 'Passphrases do not match. Please retry.';
      }
      if (problem === undefined) {
        cache.set(alias, pass);
        return pass;
      }
      if (tries + 1 >= maxRetries) {
        throw new LocalError(
          'PASSPHRASE',
          `no acceptable passphrase chosen for new key ${describeKey(req)}`,
          {
            role: req.role,
          },
        );
      }
      output.write(`${problem}\n`);
    }
  };
}

/**
 * Environment first, then a terminal prompt when stdin is a TTY, else
 * LocalError PASSPHRASE naming the variables to set.
 */
export function defaultPassphraseProvider(
  options: TtyProviderOptions & { env?: NodeJS.ProcessEnv } = {},
): PassphraseProvider {
  const env = options.env ?? process.env;
  const fromEnv = envPassphraseProvider(env);
  const tty = ttyPassphraseProvider(options);
  return withSilent(
    async (req) => {
      if (envPassphrase(req.role, env) !== undefined) return fromEnv(req);
      return tty(req);
    },
    (req) => envPassphrase(req.role, env) !== undefined,
  );
}

/**
 * Reads one line from a TTY in raw mode without echo. Handles backspace,
 * Ctrl-U (clear), Ctrl-C / Ctrl-D on an empty line (cancel), and ignores
 * escape sequences. Restores the terminal mode afterwards.
 */
export function readHidden(input: TtyInput, output: Writable, prompt: string): Promise<string> {
  if (!canPrompt(input)) {
    return Promise.reject(
      new LocalError('PASSPHRASE', 'cannot prompt for a passphrase: stdin is not a terminal'),
    );
  }
  const wasRaw = input.isRaw === true;
  input.setRawMode?.(true); // before the prompt, so nothing typed after it can echo
  output.write(prompt);
  return new Promise<string>((resolve, reject) => {
    let buf = '';
    let inEscape = false;
    const finish = (err: LocalError | null): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.setRawMode?.(wasRaw);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(buf);
      buf = '';
    };
    const onEnd = (): void => finish(new LocalError('PASSPHRASE', 'passphrase entry ended (end of input)'));
    const onData = (chunk: Buffer | string): void => {
      const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      for (const ch of s) {
        if (inEscape) {
          if (/[A-Za-z~]/.test(ch)) inEscape = false;
          continue;
        }
        switch (ch) {
          case '\r':
          case '\n':
            finish(null);
            return;
          case '\u0003':
            finish(new LocalError('PASSPHRASE', 'passphrase entry cancelled'));
            return;
          case '\u0004':
            if (buf === '') {
              finish(new LocalError('PASSPHRASE', 'passphrase entry cancelled'));
              return;
            }
            finish(null);
            return;
          case '\u007f':
          case '\b':
            buf = [...buf].slice(0, -1).join('');
            break;
          case '\u0015':
            buf = '';
            break;
          case '\u001b':
            inEscape = true;
            break;
          default:
            if (ch >= ' ') buf += ch;
        }
      }
    };
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
