/**
 * Contract of the crypto layer. Everything above it (metadata, trust state
 * machine, signing workflow) depends only on these types.
 */

/** Key types as they appear in Notary metadata (`keytype`). */
export type KeyType = 'ed25519' | 'ecdsa' | 'rsa' | 'ecdsa-x509' | 'rsa-x509';

/** Signature methods as they appear in Notary metadata (`method`). */
export type SignatureMethod = 'eddsa' | 'ecdsa' | 'rsapss' | 'rsapkcs1v15';

/**
 * A public key as listed in metadata: `{"keytype":T,"keyval":{"private":null,"public":B64}}`.
 * `publicB64` is kept exactly as written so the key id can be recomputed byte-exactly.
 */
export interface TufPublicKey {
  readonly keytype: KeyType;
  /** Standard base64 of: DER SPKI (ecdsa/rsa), 32 raw bytes (ed25519), PEM certificate bytes (x509 types). */
  readonly publicB64: string;
  /** hex sha256 of canonical `{"keytype":T,"keyval":{"private":null,"public":B64}}`. */
  readonly id: string;
  /**
   * TUF 1.0 keys only: the key's signing scheme (`ed25519`, `ecdsa-sha2-nistp256`,
   * `rsassa-pss-sha256`...), which fixes the algorithm of its signatures (method `TUF1_METHOD`).
   * Notary keys have none: there each signature names its method.
   */
  readonly scheme?: string;
}

/** Something that can produce signatures for one key. Private material stays inside. */
export interface Signer {
  readonly publicKey: TufPublicKey;
  readonly method: SignatureMethod;
  sign(message: Uint8Array): Uint8Array;
}
