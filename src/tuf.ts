/**
 * `content-trust/tuf`: the TUF 1.0 client alone, for programs that read TUF 1.0 repositories (as
 * tuf-js's `Updater` serves Sigstore and npm) and should load nothing else: no Notary, registry or
 * publishing code. The same classes as the package's main entry (`TufUpdater`, `TrustError`,
 * `TrustContext` from either are one class), about half its start-up cost.
 *
 *   import { TufUpdater } from 'content-trust/tuf';
 */

export type { TufLimits, TufTargetInfo, TufUpdaterOptions } from './client/tuf-updater.js';
export { DEFAULT_TUF_LIMITS, TufUpdater } from './client/tuf-updater.js';
export type { Limits, TrustContextOptions } from './context/context.js';
export { DEFAULT_LIMITS, TrustContext } from './context/context.js';
export type { ErrorCode, ExitCode, TrustErrorDetails } from './errors.js';
export {
  EXIT_CODES,
  exitCodeFor,
  FormatError,
  LocalError,
  NetworkError,
  NotSignedError,
  TrustError,
  VerificationError,
} from './errors.js';
export type { HttpClient } from './transport/http.js';
export type { TufFetcher } from './transport/tuf-repository.js';
