/** TUF 1.0 repositories, signing side: pure writer core, keys, file-system adapter. */

export {
  allKeyEntries,
  openTuf1Repository,
  readRepositoryFiles,
  signersFromKeyStore,
  writeRepositoryFiles,
  writeTargetFile,
} from './fs.js';
export {
  notaryKeyIdOf,
  type Tuf1Key,
  type Tuf1KeyJson,
  type Tuf1Scheme,
  type Tuf1Signer,
  tuf1KeyId,
  tuf1KeyJson,
  tuf1KeyOf,
  tuf1Signer,
} from './keys.js';
export { formatExpires, metadataFileName, quoteRole, SPEC_VERSION } from './model.js';
export {
  type CommitOptions,
  type CommitResult,
  type DelegationSpec,
  encodeEnvelope,
  type InitOptions,
  type RefreshOptions,
  type RefreshResult,
  type TargetInfo,
  TUF1_DEFAULT_EXPIRY_MS,
  TUF1_DEFAULT_RENEW_WITHIN_MS,
  Tuf1Writer,
} from './writer.js';
