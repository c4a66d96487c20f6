// `content-trust/tuf` (src/tuf.ts, built to dist/tuf.js): the TUF 1.0 client alone. Its declarations
// are the main entry's, so each class has one declaration whichever entry a program imports.

export type {
  ErrorCode,
  ExitCode,
  HttpClient,
  Limits,
  TrustContextOptions,
  TrustErrorDetails,
  TufFetcher,
  TufLimits,
  TufTargetInfo,
  TufUpdaterOptions,
} from '../dist/index.js';
export {
  DEFAULT_LIMITS,
  DEFAULT_TUF_LIMITS,
  EXIT_CODES,
  exitCodeFor,
  FormatError,
  LocalError,
  NetworkError,
  NotSignedError,
  TrustContext,
  TrustError,
  TufUpdater,
  VerificationError,
} from '../dist/index.js';
