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
export { getCryptoBackend, setCryptoBackend } from './crypto/backend.js';
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
export type { PublishOptions } from './publish/repository.js';
export type {
  GeneratedKey,
  InitOptions,
  InitResult,
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
export type { MetadataCache } from './storage/trust-dir.js';
export type { AuthRequest, RegistryAuthOptions } from './transport/auth.js';
export { RegistryAuth } from './transport/auth.js';
export type { CredentialProvider, Credentials } from './transport/credentials.js';
export type { FileStoreOptions } from './transport/file-store.js';
export { FileStore } from './transport/file-store.js';
export type { HttpClient, HttpClientOptions, HttpRequest, HttpResponse, PemInput } from './transport/http.js';
export { createHttpClient } from './transport/http.js';
export type { NotaryServerStoreOptions } from './transport/notary-server.js';
export { NotaryServerStore } from './transport/notary-server.js';
export type { PooledClientOptions } from './transport/pool.js';
export { TransportPool } from './transport/pool.js';
export type { GetMetaOptions, MetadataStore } from './transport/store.js';
export type { TufFetcher } from './transport/tuf-repository.js';
export type { RootKeyPolicy } from './trust/root-keys.js';
export type { SnapshotRoleRemoval, TrustPolicy } from './trust/trusted-set.js';
