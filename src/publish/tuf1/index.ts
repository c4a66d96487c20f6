/** TUF 1.0 repositories, signing side: pure writer core, keys, file-system adapter. */

export {
  openTuf1Repository,
  readTuf1Files,
  type Tuf1TargetFileOptions,
  tuf1KeyEntries,
  tuf1SignersFromKeyStore,
  writeTuf1Files,
  writeTuf1TargetFile,
} from './fs.js';
export {
  notaryKeyIdOf,
  type Tuf1PublicKey,
  type Tuf1Scheme,
  type Tuf1Signer,
  tuf1KeyJson,
  tuf1KeyOf,
  tuf1Signer,
} from './keys.js';
export {
  generateTuf1Key,
  initTuf1Repository,
  refreshTuf1Repository,
  type Tuf1InitRepositoryOptions,
  type Tuf1InitResult,
  type Tuf1RepositoryOptions,
  updateTuf1Repository,
} from './repository.js';
export {
  TUF1_DEFAULT_EXPIRY_MS,
  TUF1_DEFAULT_RENEW_WITHIN_MS,
  type Tuf1CommitOptions,
  type Tuf1CommitResult,
  type Tuf1DelegationSpec,
  type Tuf1ExpiryKind,
  type Tuf1FromFilesOptions,
  type Tuf1InitOptions,
  type Tuf1RefreshOptions,
  type Tuf1RefreshResult,
  type Tuf1TargetInfo,
  Tuf1Writer,
} from './writer.js';
