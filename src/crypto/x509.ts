/**
 * Root certificate policy as Notary enforces it (trustpinning/certs.go
 * validRootLeafCerts + tuf/utils/x509.go ValidateCertificate/CertBundleToKey),
 * and root certificate creation exactly as Notary's cryptoservice
 * GenerateCertificate + utils.NewCertificate do it with Go 1.19's
 * x509.CreateCertificate.
 */
import { createPublicKey, sign as nodeSign, randomBytes } from 'node:crypto';
import { encodePem } from '../encoding/pem.js';
import { FormatError, VerificationError } from '../errors.js';
import type { CertificateInfo } from './certificate.js';
import {
  bitString,
  bool,
  contextExplicit,
  int,
  nullValue,
  octetString,
  oid,
  printableString,
  seq,
  set,
  utf8String,
  x509Time,
} from './der.js';
import {
  certificateBundleOf,
  knownCertificateBundle,
  MIN_RSA_BITS,
  preparedKey,
  publicKeyBytes,
} from './keys.js';
import { OID } from './oid.js';
import type { PrivateKeyHandle } from './signers.js';
import type { TufPublicKey } from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** notary.Year * 10: Notary's root certificates are valid 3650 days. */
export const ROOT_CERT_VALIDITY_MS = 3650 * DAY_MS;

/** Signature algorithms Notary refuses on certificates (ValidateCertificate: SHA-1), plus MD2/MD5. */
const WEAK_SIG_ALGS = new Set<string>([
  OID.sha1WithRSA,
  OID.dsaWithSHA1,
  OID.ecdsaWithSHA1,
  OID.md5WithRSA,
  OID.md2WithRSA,
]);

/**
 * trustpinning.MatchCNToGun: equal, or CN ends with `*` and the GUN starts with
 * the CN minus all its trailing `*` (so a CN of `*` matches every GUN).
 */
export function matchCommonNameToGun(commonName: string, gun: string): boolean {
  if (commonName.endsWith('*')) return gun.startsWith(commonName.replace(/\*+$/, ''));
  return commonName === gun;
}

export interface RootCertificateCheck {
  /**
   * Check the validity window against `now` (default true). Notary skips it for
   * the certificates of the previously trusted root when checking a rotation.
   */
  checkExpiry?: boolean;
}

function badCert(
  message: string,
  extra: { expected?: string; actual?: string; cause?: unknown } = {},
): VerificationError {
  return new VerificationError('BAD_CERTIFICATE', message, { role: 'root', ...extra });
}

/**
 * utils.ValidateCertificate(cert, checkExpiry=true) for any certificate (used for
 * intermediates): the reason it is invalid at `now`, or undefined.
 */
export function certificateProblem(cert: CertificateInfo, now: Date): string | undefined {
  if (cert.notBefore.getTime() > cert.notAfter.getTime()) return 'invalid validity window';
  if (WEAK_SIG_ALGS.has(cert.signatureAlgorithmOid))
    return `weak signature algorithm ${cert.signatureAlgorithm}`;
  if (cert.publicKeyAlgorithm === 'rsa') {
    const bits = cert.x509.publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return `RSA key too short (${bits} bits)`;
  }
  const t = now.getTime();
  if (t + DAY_MS < cert.notBefore.getTime()) return `not valid before ${cert.notBefore.toISOString()}`;
  if (t > cert.notAfter.getTime()) return `expired at ${cert.notAfter.toISOString()}`;
  return undefined;
}

/**
 * Throws VerificationError BAD_CERTIFICATE (role `root`) with a precise reason
 * unless `key` is a root key Notary would accept for `gun` at `now`; returns the
 * leaf certificate otherwise.
 *
 * Notary's one-day leeway applies: a certificate whose notBefore is up to 24h in
 * the future is accepted; it is expired strictly after notAfter.
 */
export function validateRootCertificate(
  key: TufPublicKey,
  gun: string,
  now: Date = new Date(),
  options: RootCertificateCheck = {},
): CertificateInfo {
  const id = key.id;
  if (key.keytype !== 'ecdsa-x509' && key.keytype !== 'rsa-x509') {
    throw badCert(`root key ${id} is not a certificate (keytype ${key.keytype})`, {
      expected: 'ecdsa-x509 or rsa-x509',
      actual: key.keytype,
    });
  }
  let bundle = knownCertificateBundle(key);
  if (!bundle) {
    const text = Buffer.from(publicKeyBytes(key)).toString('latin1');
    try {
      bundle = certificateBundleOf(key, text, 'BAD_CERTIFICATE');
    } catch (cause) {
      throw badCert(`root key ${id} does not hold a parsable PEM certificate`, { cause });
    }
  }
  const { certs, text: pemText } = bundle;
  const leaves = certs.filter((c) => !c.isCA);
  if (leaves.length !== 1) {
    throw badCert(`root key ${id} must hold exactly one leaf certificate, found ${leaves.length}`);
  }
  const leaf = certs[0] as CertificateInfo;
  if (leaf.isCA) throw badCert(`root key ${id}: the first certificate of the bundle is a CA, not the leaf`);
  if (!matchCommonNameToGun(leaf.commonName, gun)) {
    throw badCert(
      `root certificate ${id} common name ${JSON.stringify(leaf.commonName)} does not match ${gun}`,
      {
        expected: gun,
        actual: leaf.commonName,
      },
    );
  }
  if (leaf.notBefore.getTime() > leaf.notAfter.getTime()) {
    throw badCert(`root certificate ${id} has an invalid validity window (notBefore after notAfter)`);
  }
  if (WEAK_SIG_ALGS.has(leaf.signatureAlgorithmOid)) {
    throw badCert(`root certificate ${id} uses the weak signature algorithm ${leaf.signatureAlgorithm}`, {
      actual: leaf.signatureAlgorithm,
    });
  }
  if (leaf.publicKeyAlgorithm !== 'ecdsa' && leaf.publicKeyAlgorithm !== 'rsa') {
    throw badCert(
      `root certificate ${id} holds a ${leaf.publicKeyAlgorithm} key; only ECDSA and RSA are allowed`,
      {
        expected: 'ecdsa or rsa',
        actual: leaf.publicKeyAlgorithm,
      },
    );
  }
  const expectedType = leaf.publicKeyAlgorithm === 'ecdsa' ? 'ecdsa-x509' : 'rsa-x509';
  if (key.keytype !== expectedType) {
    throw badCert(
      `root key ${id} is typed ${key.keytype} but its certificate holds an ${leaf.publicKeyAlgorithm} key`,
      {
        expected: expectedType,
        actual: key.keytype,
      },
    );
  }
  let p: ReturnType<typeof preparedKey>;
  try {
    p = preparedKey(key, { role: 'root', keyId: id });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw badCert(`root certificate ${id} has an unusable public key: ${reason}`, { cause });
  }
  if (p.kind === 'rsa' && p.modulusBits < MIN_RSA_BITS) {
    throw badCert(`root certificate ${id} RSA key is too short (${p.modulusBits} bits)`);
  }
  const checkExpiry = options.checkExpiry ?? true;
  if (checkExpiry) {
    const t = now.getTime();
    if (t + DAY_MS < leaf.notBefore.getTime()) {
      throw badCert(`root certificate ${id} is not valid before ${leaf.notBefore.toISOString()}`, {
        expected: `notBefore <= ${new Date(t + DAY_MS).toISOString()}`,
        actual: leaf.notBefore.toISOString(),
      });
    }
    if (t > leaf.notAfter.getTime()) {
      throw badCert(`root certificate ${id} expired at ${leaf.notAfter.toISOString()}`, {
        expected: `notAfter >= ${now.toISOString()}`,
        actual: leaf.notAfter.toISOString(),
      });
    }
  }
  // Notary does not verify with the listed bytes: it re-encodes the leaf plus the
  // intermediates it considers valid (utils.CertBundleToKey) and looks signatures up
  // by the id of that key. A bundle it would re-encode differently can never count.
  const intermediates = certs.filter(
    (c) => c.isCA && (!checkExpiry || certificateProblem(c, now) === undefined),
  );
  const rebuilt = [leaf, ...intermediates].map(pemOf).join('');
  if (rebuilt !== pemText) {
    throw badCert(
      `root key ${id}: Notary re-encodes this certificate bundle differently (formatting, or invalid ` +
        'intermediates dropped), so its key id would not match the listed one',
    );
  }
  return leaf;
}

/**
 * PEM text of a parsed certificate, encoded once per certificate object (parsed certificates are
 * immutable and kept with their key object, crypto/keys.ts): a warm verify checks the same root
 * certificates on every call.
 */
const pemByCert = new WeakMap<CertificateInfo, string>();
function pemOf(c: CertificateInfo): string {
  let pem = pemByCert.get(c);
  if (pem === undefined) {
    pem = encodePem({ type: 'CERTIFICATE', bytes: c.der });
    pemByCert.set(c, pem);
  }
  return pem;
}

// ---------------------------------------------------------------------------
// Creation

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** Go's asn1 string choice for a pkix.Name value: PrintableString when possible, else UTF8String. */
function goNameString(s: string): Uint8Array {
  return PRINTABLE.test(s) ? printableString(s) : utf8String(s);
}

export interface RootCertificateOptions {
  /** Default: now (Notary uses time.Now()). */
  notBefore?: Date;
  /** Default: notBefore + 3650 days (notary.Year * 10). */
  notAfter?: Date;
  /** Serial number; default 128 random bits as Notary (tests pin it). Must be positive. */
  serial?: bigint;
}

function randomSerial(): bigint {
  for (;;) {
    const b = randomBytes(16);
    const n = BigInt(`0x${b.toString('hex')}`);
    if (n > 0n) return n;
  }
}

/**
 * Self-signed root certificate exactly as Notary creates it: v3, serial random
 * < 2^128, CN = GUN (issuer = subject), validity [notBefore, notAfter] in whole
 * seconds, extensions KeyUsage (critical: digitalSignature, keyEncipherment),
 * ExtKeyUsage codeSigning, BasicConstraints (critical, CA:FALSE); signed
 * ecdsa-with-SHA256/384/512 (by curve) or sha256WithRSAEncryption. Returns the
 * PEM text (the bytes that become the root key's public value).
 */
export function createRootCertificate(
  signer: PrivateKeyHandle,
  gun: string,
  options: RootCertificateOptions = {},
): string {
  if (signer.algorithm !== 'ecdsa' && signer.algorithm !== 'rsa') {
    throw new FormatError('BAD_KEY', `root certificates need an ECDSA or RSA key, not ${signer.algorithm}`);
  }
  const notBefore = options.notBefore ?? new Date();
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + ROOT_CERT_VALIDITY_MS);
  const serial = options.serial ?? randomSerial();
  if (serial <= 0n) throw new RangeError('certificate serial must be positive');

  let sigAlgOid: string;
  let hash: 'sha256' | 'sha384' | 'sha512' = 'sha256';
  if (signer.algorithm === 'rsa') {
    sigAlgOid = OID.sha256WithRSA;
  } else {
    const curve = signer.keyObject.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') {
      sigAlgOid = OID.ecdsaWithSHA384;
      hash = 'sha384';
    } else if (curve === 'secp521r1') {
      sigAlgOid = OID.ecdsaWithSHA512;
      hash = 'sha512';
    } else {
      sigAlgOid = OID.ecdsaWithSHA256;
    }
  }
  const sigAlg = signer.algorithm === 'rsa' ? seq(oid(sigAlgOid), nullValue()) : seq(oid(sigAlgOid));
  const name = seq(set(seq(oid(OID.commonName), goNameString(gun))));
  const spkiBuf = createPublicKey(signer.keyObject).export({ type: 'spki', format: 'der' });
  const spki = new Uint8Array(spkiBuf.buffer, spkiBuf.byteOffset, spkiBuf.byteLength);
  // KeyUsage bits 0 (digitalSignature) and 2 (keyEncipherment): 0xa0 with 5 unused bits.
  const keyUsage = seq(oid(OID.keyUsage), bool(true), octetString(bitString(Uint8Array.of(0xa0), 5)));
  const extKeyUsage = seq(oid(OID.extKeyUsage), octetString(seq(oid(OID.codeSigning))));
  const basicConstraints = seq(oid(OID.basicConstraints), bool(true), octetString(seq()));
  const tbs = seq(
    contextExplicit(0, int(2)),
    int(serial),
    sigAlg,
    name,
    seq(x509Time(notBefore), x509Time(notAfter)),
    name,
    spki,
    contextExplicit(3, seq(keyUsage, extKeyUsage, basicConstraints)),
  );
  const signature = nodeSign(hash, tbs, signer.keyObject);
  const der = seq(
    tbs,
    sigAlg,
    bitString(new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength)),
  );
  return encodePem({ type: 'CERTIFICATE', bytes: der });
}
