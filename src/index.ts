/**
 * content-trust: Docker Content Trust (Notary v1 / TUF) for Node.js.
 *
 * Verify before pull:
 *
 *   import { verify } from 'content-trust';
 *   const { reference } = await verify('registry.example.com/team/app:1.2');
 *   // -> 'registry.example.com/team/app@sha256:...'
 */

export type { InspectKey, InspectResult, InspectSignedTag, InspectSigner } from './client/inspect.js';
export { inspect } from './client/inspect.js';
export {
  inspectRegistry,
  type RegistryVerifyOptions,
  verifyRegistry,
  verifyRegistryState,
} from './client/registry-verify.js';
export type { TufLimits, TufTargetInfo, TufUpdaterOptions } from './client/tuf-updater.js';
export { DEFAULT_TUF_LIMITS, TufUpdater } from './client/tuf-updater.js';
export type { VerifyOptions, VerifyResult } from './client/verify.js';
export { verify } from './client/verify.js';
export type {
  Deadline,
  DocumentCache,
  Limits,
  SharedCaches,
  TrustContextOptions,
  VerdictMemo,
} from './context/context.js';
export { DEFAULT_LIMITS, TrustContext } from './context/context.js';
export type { RepositoryContext, TrustOptions, TrustPinning } from './context/repository.js';
export type { CryptoBackendName } from './crypto/backend.js';
export { getCryptoBackend } from './crypto/backend.js';
export { setCryptoBackend } from './crypto/noble.js';
export type { PrivateKeyAlgorithm, PrivateKeyHandle } from './crypto/signers.js';
export type { KeyType, SignatureMethod, Signer, TufPublicKey } from './crypto/types.js';
export type { ErrorCode, ExitCode, TrustErrorDetails } from './errors.js';
export {
  EXIT_CODES,
  exitCodeFor,
  FormatError,
  LocalError,
  NetworkError,
  NotSignedError,
  PublishError,
  TrustError,
  VerificationError,
} from './errors.js';
export type { AddKeyOptions, KeyFilter, KeyStoreOptions, StoredKeyInfo } from './keys/keystore.js';
export { KeyStore } from './keys/keystore.js';
export type {
  PassphraseProvider,
  PassphraseRequest,
  TtyInput,
  TtyProviderOptions,
} from './keys/passphrase.js';
export {
  defaultPassphraseProvider,
  envPassphraseProvider,
  staticPassphraseProvider,
} from './keys/passphrase.js';
export {
  TUF1_TOP_LEVEL,
  type Tuf1CommonSigned,
  type Tuf1DelegatedRoleJson,
  type Tuf1DelegationsJson,
  type Tuf1KeyJson,
  type Tuf1MetaFileJson,
  type Tuf1RoleJson,
  type Tuf1RootSigned,
  type Tuf1SignatureJson,
  type Tuf1Signed,
  type Tuf1SnapshotSigned,
  type Tuf1SuccinctRolesJson,
  type Tuf1TargetFileJson,
  type Tuf1TargetsSigned,
  type Tuf1TimestampSigned,
  type Tuf1TopLevelRoleName,
} from './metadata/tuf1.js';
export {
  type DroppedTag,
  type MigratedTag,
  type MigrateOptions,
  type MigrateResult,
  migrateRepository,
} from './publish/migrate.js';
export {
  type ExportResult,
  exportBundle,
  initRegistryRepository,
  type RegistryInitOptions,
  type RegistryInitResult,
  type RegistryPublishOptions,
  type RegistryPublishResult,
  type RegistryRefreshOptions,
  type RegistrySignedTag,
  type RegistryStateFiles,
  type RegistryTagToSign,
  refreshRegistryRepository,
  revokeRegistryTag,
  signRegistryTags,
} from './publish/registry.js';
export {
  addRegistrySigner,
  type RegistryRotateOptions,
  type RegistryRotateResult,
  type RegistrySignerAdded,
  removeRegistrySigner,
  rotateRegistryKey,
} from './publish/registry-admin.js';
export type { PublishOptions } from './publish/repository.js';
export type {
  Tuf1CommitOptions,
  Tuf1CommitResult,
  Tuf1DelegationSpec,
  Tuf1ExpiryKind,
  Tuf1FromFilesOptions,
  Tuf1InitOptions,
  Tuf1InitRepositoryOptions,
  Tuf1InitResult,
  Tuf1PublicKey,
  Tuf1RefreshOptions,
  Tuf1RefreshResult,
  Tuf1RepositoryOptions,
  Tuf1Scheme,
  Tuf1Signer,
  Tuf1TargetFileOptions,
  Tuf1TargetInfo,
} from './publish/tuf1/index.js';
export {
  generateTuf1Key,
  initTuf1Repository,
  openTuf1Repository,
  refreshTuf1Repository,
  TUF1_DEFAULT_EXPIRY_MS,
  Tuf1Writer,
  tuf1KeyEntries,
  tuf1KeyOf,
  tuf1Signer,
  tuf1SignersFromKeyStore,
  updateTuf1Repository,
  writeTuf1Files,
  writeTuf1TargetFile,
} from './publish/tuf1/index.js';
export type {
  GeneratedKey,
  InitOptions,
  InitResult,
  LoadedKey,
  RemoveSignerResult,
  RevokeResult,
  RotatableRole,
  RotateOptions,
  SignedTag,
  SignOptions,
  TagToSign,
} from './publish/workflows.js';
export {
  addSigner,
  generateKey,
  initRepository,
  loadKey,
  removeSigner,
  revokeTag,
  rotateKey,
  signTags,
} from './publish/workflows.js';
export type { ImageReference } from './reference.js';
export { defaultTrustServer, familiarName, parseReference } from './reference.js';
export type { FileCache } from './storage/file-cache.js';
export type { MetadataCache } from './storage/trust-dir.js';
export type {
  ParsedByBytes,
  RootCertificateWindow,
  VerifiedEntry,
  VerifiedIndex,
} from './storage/verified-index.js';
export type { AuthClientOptions, AuthRequest, RegistryAuthOptions } from './transport/auth.js';
export { RegistryAuth } from './transport/auth.js';
export type { CredentialProvider, Credentials } from './transport/credentials.js';
export type { FileStoreOptions } from './transport/file-store.js';
export { FileStore } from './transport/file-store.js';
export type { HttpClient, HttpClientOptions, HttpRequest, HttpResponse, PemInput } from './transport/http.js';
export { createHttpClient } from './transport/http.js';
export type { NotaryServerStoreOptions } from './transport/notary-server.js';
export { NotaryServerStore } from './transport/notary-server.js';
export {
  type BundleManifest,
  collectForBundle,
  type IndexEntry,
  OciBundle,
  writeBundle,
} from './transport/oci/bundle.js';
export { type CachedManifest, DirOciCache, MemoryOciCache, type OciCache } from './transport/oci/cache.js';
export {
  type ConditionalManifest,
  type ManifestResult,
  type OciClientOptions,
  OciRegistryClient,
} from './transport/oci/distribution.js';
export {
  DEFAULT_METADATA_TAG,
  type Descriptor,
  type MetadataFile,
  type MetadataManifest,
  TUF_FILENAME_ANNOTATION,
  TUF_METADATA_MEDIA_TYPE,
} from './transport/oci/layout.js';
export { type MetadataLocation, metadataLocation, parseOciLocation } from './transport/oci/location.js';
export {
  OciMetadataStore,
  type OciSource,
  type OciStoreOptions,
  type PushOptions,
  type PushResult,
} from './transport/oci/registry-store.js';
export type { TarLimits } from './transport/oci/tar.js';
export type { PooledClientOptions } from './transport/pool.js';
export { TransportPool } from './transport/pool.js';
export type { GetMetaOptions, MetadataStore } from './transport/store.js';
export type { TufFetcher } from './transport/tuf-repository.js';
export type { RootKeyPolicy } from './trust/root-keys.js';
export type { SnapshotRoleRemoval, TrustPolicy } from './trust/trusted-set.js';
