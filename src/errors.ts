/**
 * One error hierarchy for the whole library. Every error carries a stable
 * machine-readable `code`; callers branch on `code`, never on message text.
 *
 * Messages name the role, version and what was expected where known, and never
 * contain secrets (passphrases, private key material). The CLI exit code follows
 * the code (EXIT_CODES), not the class.
 */

import { escapeControl } from './escape.js';

export type ErrorCode =
  // verification failures
  | 'EXPIRED'
  | 'ROLLBACK'
  | 'BAD_SIGNATURE'
  | 'THRESHOLD'
  | 'HASH_MISMATCH'
  | 'LENGTH_MISMATCH'
  | 'TOO_LARGE'
  | 'NOT_SIGNED'
  | 'NO_TRUST_DATA'
  | 'UNTRUSTED_ROOT'
  | 'BAD_METADATA'
  | 'BAD_KEY'
  | 'BAD_CERTIFICATE'
  | 'WRONG_TYPE'
  | 'PINNING'
  // network
  | 'NETWORK'
  | 'SERVER_ERROR'
  | 'TIMEOUT'
  | 'AUTH'
  // publishing
  | 'PUBLISH_REJECTED'
  | 'CONFLICT'
  // local state / usage
  | 'USAGE'
  | 'CONFIG'
  | 'BAD_REFERENCE'
  | 'KEY_NOT_FOUND'
  | 'PASSPHRASE'
  | 'IO'
  | 'CANONICAL';

/** Optional facts attached to a `TrustError` (role, version, expected/actual, cause). */
export interface TrustErrorDetails {
  /** TUF role the error is about, e.g. `targets/releases`. */
  role?: string;
  /** Version of the metadata involved, when known. */
  version?: number;
  /** What was expected (a hash, a threshold, a version bound...). */
  expected?: string;
  /** What was found instead. */
  actual?: string;
  /** Underlying error (never includes secrets). */
  cause?: unknown;
}

/** Base class of every error the library throws; branch on `code` (see `ErrorCode`, `EXIT_CODES`). */
export class TrustError extends Error {
  readonly code: ErrorCode;
  readonly role?: string;
  readonly version?: number;
  readonly expected?: string;
  readonly actual?: string;

  constructor(code: ErrorCode, message: string, details: TrustErrorDetails = {}) {
    // Messages quote server text (error bodies, tags, realms): no control character survives in them.
    super(escapeControl(message), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    if (details.role !== undefined) this.role = details.role;
    if (details.version !== undefined) this.version = details.version;
    if (details.expected !== undefined) this.expected = details.expected;
    if (details.actual !== undefined) this.actual = details.actual;
  }

  toJSON(): Record<string, unknown> {
    const o: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.role !== undefined) o.role = this.role;
    if (this.version !== undefined) o.version = this.version;
    if (this.expected !== undefined) o.expected = this.expected;
    if (this.actual !== undefined) o.actual = this.actual;
    return o;
  }
}

/** Metadata failed a trust check (signature, expiry, rollback, hashes...). */
export class VerificationError extends TrustError {}

/** The tag (or repository) has no trusted signature. */
export class NotSignedError extends TrustError {}

/** Input was not well-formed (JSON, metadata schema, key encoding). */
export class FormatError extends TrustError {}

/** Server unreachable, timed out, 5xx, auth failures. */
export class NetworkError extends TrustError {}

/** The server refused a publish. */
export class PublishError extends TrustError {}

/** Usage, configuration and local state problems (keys, passphrases, files). */
export class LocalError extends TrustError {}

/** CLI exit codes: 1 not trusted / verification failed, 2 usage, configuration, key or passphrase, 3 unreachable. */
export type ExitCode = 1 | 2 | 3;

/**
 * The one table from error code to CLI exit code (0 is success and never an
 * error). Every ErrorCode has a row: a code added without one fails to compile.
 */
export const EXIT_CODES: { readonly [C in ErrorCode]: ExitCode } = Object.freeze({
  // not signed / verification failed
  EXPIRED: 1,
  ROLLBACK: 1,
  BAD_SIGNATURE: 1,
  THRESHOLD: 1,
  HASH_MISMATCH: 1,
  LENGTH_MISMATCH: 1,
  TOO_LARGE: 1,
  NOT_SIGNED: 1,
  NO_TRUST_DATA: 1,
  UNTRUSTED_ROOT: 1,
  BAD_METADATA: 1,
  BAD_CERTIFICATE: 1,
  WRONG_TYPE: 1,
  PINNING: 1,
  CANONICAL: 1,
  PUBLISH_REJECTED: 1,
  // usage, configuration, keys, passphrases, local state
  USAGE: 2,
  CONFIG: 2,
  BAD_REFERENCE: 2,
  BAD_KEY: 2,
  KEY_NOT_FOUND: 2,
  PASSPHRASE: 2,
  IO: 2,
  CONFLICT: 2,
  // server or registry unreachable (or refusing us)
  NETWORK: 3,
  SERVER_ERROR: 3,
  TIMEOUT: 3,
  AUTH: 3,
});

/** Exit code the CLI uses for an error: its code's row in EXIT_CODES; 1 for anything that is not a TrustError. */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof TrustError && Object.hasOwn(EXIT_CODES, err.code)) return EXIT_CODES[err.code];
  return 1;
}
