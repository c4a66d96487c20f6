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
export type { VerifyOptions, VerifyResult } from './client/verify.js';
export { verify } from './client/verify.js';
export type { Limits, TrustContextOptions } from './context/context.js';
export { DEFAULT_LIMITS, TrustContext } from './context/context.js';
export type { RepositoryContext, TrustOptions, TrustPinning } from './context/repository.js';
export { getCryptoBackend, setCryptoBackend } from './crypto/backend.js';
export type { ErrorCode, TrustErrorDetails } from './errors.js';
export {
  exitCodeFor,
  FormatError,
  LocalError,
  NetworkError,
  NotSignedError,
  PublishError,
  TrustError,
  VerificationError,
} from './errors.js';
export type { PassphraseProvider, PassphraseRequest } from './keys/passphrase.js';
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
export type { CredentialProvider, Credentials } from './transport/auth.js';
export { FileStore } from './transport/file-store.js';
export type { HttpClient, HttpRequest, HttpResponse } from './transport/http.js';
export { createHttpClient } from './transport/http.js';
export { NotaryServerStore } from './transport/notary-server.js';
export type { MetadataStore } from './transport/store.js';
