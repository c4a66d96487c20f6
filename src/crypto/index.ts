/** Public surface of the crypto layer. */
export {
  type CryptoBackendName,
  digest,
  getCryptoBackend,
  type HashAlgorithm,
  setCryptoBackend,
  sha256,
  sha512,
} from './backend.js';
export {
  type CertificateInfo,
  type CertKeyAlgorithm,
  decodePem,
  encodePem,
  type PemBlock,
  parseCertificateBundle,
  parseCertificateDer,
} from './certificate.js';
export {
  bareKeyOf,
  canonicalKeyId,
  certificateChainOf,
  certificateInfoOf,
  certificateOf,
  computeKeyId,
  isKeyType,
  KEY_TYPES,
  type KeyContext,
  keyToJson,
  MIN_RSA_BITS,
  type PublicKeyJson,
  parsePublicKey,
  publicKeyBytes,
  publicKeyFromBytes,
  publicKeyFromKeyObject,
} from './keys.js';
export {
  type CertifiedSigner,
  type GenerateOptions,
  generateSigner,
  type PrivateKeyAlgorithm,
  type PrivateKeyHandle,
  signerFromEd25519Seed,
  signerFromKeyObject,
  signerFromPkcs8Der,
  withCertificate,
} from './signers.js';
export type { KeyType, SignatureMethod, Signer, TufPublicKey } from './types.js';
export { fromBase64Std, toBase64 } from './util.js';
export { isSignatureMethod, methodAcceptsKeyType, SIGNATURE_METHODS, verifySignature } from './verify.js';
export {
  certificateProblem,
  createRootCertificate,
  matchCommonNameToGun,
  ROOT_CERT_VALIDITY_MS,
  type RootCertificateCheck,
  type RootCertificateOptions,
  validateRootCertificate,
} from './x509.js';
