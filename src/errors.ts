/**
 * One error hierarchy for the whole library. Every error carries a stable
 * machine-readable `code`; callers branch on `code`, never on message text.
 *
 * Messages name the role, version and what was expected where known, and never
 * contain secrets (passphrases, private key material).
 */

export type ErrorCode =
  // verification failures (CLI exit 1)
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
  // network (CLI exit 3)
  | 'NETWORK'
  | 'SERVER_ERROR'
  | 'TIMEOUT'
  | 'AUTH'
  // publishing
  | 'PUBLISH_REJECTED'
  | 'CONFLICT'
  // local state / usage (CLI exit 2)
  | 'USAGE'
  | 'CONFIG'
  | 'BAD_REFERENCE'
  | 'KEY_NOT_FOUND'
  | 'PASSPHRASE'
  | 'IO'
  | 'CANONICAL';

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

export class TrustError extends Error {
  readonly code: ErrorCode;
  readonly role?: string;
  readonly version?: number;
  readonly expected?: string;
  readonly actual?: string;

  constructor(code: ErrorCode, message: string, details: TrustErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
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

/** Metadata failed a trust check (signature, expiry, rollback, hashes...). CLI exit 1. */
export class VerificationError extends TrustError {}

/** The tag (or repository) has no trusted signature. CLI exit 1. */
export class NotSignedError extends TrustError {}

/** Input was not well-formed (JSON, metadata schema, key encoding). CLI exit 1 when remote data. */
export class FormatError extends TrustError {}

/** Server unreachable, timed out, 5xx, auth failures. CLI exit 3. */
export class NetworkError extends TrustError {}

/** The server refused a publish. */
export class PublishError extends TrustError {}

/** Usage, configuration and local state problems (keys, passphrases, files). CLI exit 2. */
export class LocalError extends TrustError {}

/** Exit code the CLI uses for an error. */
export function exitCodeFor(err: unknown): 1 | 2 | 3 {
  if (err instanceof NetworkError) return 3;
  if (err instanceof LocalError) return 2;
  return 1;
}
