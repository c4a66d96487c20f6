/**
 * X.509 certificate reading (PEM bundles, the TBSCertificate fields Notary looks
 * at; PEM itself is encoding/pem.ts). Policy (what makes a root certificate acceptable) lives in x509.ts.
 */
import { X509Certificate } from 'node:crypto';
import { decodePemAll } from '../encoding/pem.js';
import { type ErrorCode, FormatError } from '../errors.js';
import {
  child,
  type DerNode,
  derDecode,
  findContext,
  readBitString,
  readBool,
  readExplicit,
  readInt,
  readOctetString,
  readOid,
  readSmallInt,
  readString,
  readTime,
  seqChildren,
  TAG,
} from './der.js';
import { OID, signatureAlgorithmName } from './oid.js';

export type CertKeyAlgorithm = 'ecdsa' | 'rsa' | 'ed25519' | 'other';

export interface CertificateInfo {
  /** The whole certificate, DER. */
  readonly der: Uint8Array;
  /** X.509 version as written (1..3). */
  readonly version: number;
  readonly serial: bigint;
  /** Signature algorithm OID (outer, equal to the TBS one). */
  readonly signatureAlgorithmOid: string;
  /** Readable name, e.g. `ecdsa-with-SHA256`, or the OID when unknown. */
  readonly signatureAlgorithm: string;
  /** Last CN of the subject, as Go's `pkix.Name.CommonName` picks it; '' when absent. */
  readonly commonName: string;
  readonly issuerCommonName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKeyAlgorithm: CertKeyAlgorithm;
  /** SubjectPublicKeyInfo as written in the certificate, DER. */
  readonly spki: Uint8Array;
  /** Basic constraints cA flag (false when the extension is absent). */
  readonly isCA: boolean;
  /** Node's parsed view (public key, fingerprints, checkIssued...). */
  readonly x509: X509Certificate;
}

function keyAlgorithmOf(oid: string): CertKeyAlgorithm {
  if (oid === OID.ecPublicKey) return 'ecdsa';
  if (oid === OID.rsaEncryption) return 'rsa';
  if (oid === OID.ed25519) return 'ed25519';
  return 'other';
}

// Go parses PrintableString leniently: `*` and `&` are tolerated (encoding/asn1 isPrintable).
const GO_PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?*&]*$/;

function readAnyString(node: DerNode): string {
  if (node.tag === TAG.PRINTABLE_STRING) {
    const s = Buffer.from(node.bytes).toString('latin1');
    if (!GO_PRINTABLE.test(s)) throw new FormatError(node.code, 'malformed DER: invalid PrintableString');
    return s;
  }
  if (node.tag === 0x14) return Buffer.from(node.bytes).toString('latin1'); // T61String, as Go reads it
  if (node.tag === 0x1e) {
    // BMPString: UTF-16BE
    if (node.bytes.length % 2 !== 0) throw new FormatError(node.code, 'malformed DER: odd BMPString');
    const swapped = Buffer.from(node.bytes);
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  return readString(node);
}

/** Last commonName of an X.501 Name (RDNSequence). */
function commonNameOf(name: DerNode): string {
  let cn = '';
  for (const rdn of name.children) {
    if (rdn.tag !== TAG.SET) throw new FormatError(name.code, 'malformed DER: RDN is not a SET');
    for (const atv of rdn.children) {
      const [type, value] = seqChildren(atv, 2, 2, 'AttributeTypeAndValue');
      if (readOid(type as DerNode) === OID.commonName) cn = readAnyString(value as DerNode);
    }
  }
  return cn;
}

function algorithmOid(node: DerNode): string {
  const parts = seqChildren(node, 1, 2, 'AlgorithmIdentifier');
  return readOid(parts[0] as DerNode);
}

/** Parses one DER certificate. Throws FormatError `code` (default BAD_CERTIFICATE). */
export function parseCertificateDer(der: Uint8Array, code: ErrorCode = 'BAD_CERTIFICATE'): CertificateInfo {
  const root = derDecode(der, { code });
  const [tbs, outerAlg, sigValue] = seqChildren(root, 3, 3, 'Certificate') as [DerNode, DerNode, DerNode];
  readBitString(sigValue);
  const t = seqChildren(tbs, 6, 10, 'TBSCertificate');
  let i = 0;
  let version = 1;
  const first = child(tbs, 0, 'serial');
  if (first.tagClass === 'context' && first.tagNumber === 0) {
    version = readSmallInt(readExplicit(first, 0), 2) + 1;
    i = 1;
  }
  const serial = readInt(child(tbs, i, 'serial'));
  const innerAlg = child(tbs, i + 1, 'signature');
  const issuer = child(tbs, i + 2, 'issuer');
  const validity = child(tbs, i + 3, 'validity');
  const subject = child(tbs, i + 4, 'subject');
  const spkiNode = child(tbs, i + 5, 'subjectPublicKeyInfo');
  const sigOid = algorithmOid(innerAlg);
  if (algorithmOid(outerAlg) !== sigOid || !equal(innerAlg.raw, outerAlg.raw)) {
    throw new FormatError(code, 'certificate: inner and outer signature algorithms differ');
  }
  const [nb, na] = seqChildren(validity, 2, 2, 'Validity') as [DerNode, DerNode];
  const spkiParts = seqChildren(spkiNode, 2, 2, 'SubjectPublicKeyInfo');
  const keyOid = algorithmOid(spkiParts[0] as DerNode);
  readBitString(spkiParts[1] as DerNode);

  let isCA = false;
  const rest = t.slice(i + 6);
  const extWrapper = findContext(rest, 3);
  if (extWrapper !== undefined) {
    if (version !== 3) throw new FormatError(code, 'certificate: extensions in a non-v3 certificate');
    const exts = readExplicit(extWrapper, 3);
    const seen = new Set<string>();
    for (const ext of seqChildren(exts, 1, Number.MAX_SAFE_INTEGER, 'Extensions')) {
      const parts = seqChildren(ext, 2, 3, 'Extension');
      const id = readOid(parts[0] as DerNode);
      if (seen.has(id)) throw new FormatError(code, `certificate: duplicate extension ${id}`);
      seen.add(id);
      if (parts.length === 3) readBool(parts[1] as DerNode);
      const value = readOctetString(parts[parts.length - 1] as DerNode);
      if (id === OID.basicConstraints) {
        const bc = derDecode(value, { code });
        const items = seqChildren(bc, 0, 2, 'BasicConstraints');
        const flag = items[0];
        if (flag !== undefined && flag.tag === TAG.BOOLEAN) isCA = readBool(flag);
      }
    }
  }

  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(Buffer.from(der));
  } catch (cause) {
    throw new FormatError(code, 'certificate: rejected by the X.509 parser', { cause });
  }
  return {
    der,
    version,
    serial,
    signatureAlgorithmOid: sigOid,
    signatureAlgorithm: signatureAlgorithmName(sigOid),
    commonName: commonNameOf(subject),
    issuerCommonName: commonNameOf(issuer),
    notBefore: readTime(nb),
    notAfter: readTime(na),
    publicKeyAlgorithm: keyAlgorithmOf(keyOid),
    spki: spkiNode.raw,
    isCA,
    x509,
  };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, j) => x === b[j]);
}

/**
 * Parses a PEM certificate bundle as Notary's `LoadCertBundleFromPEM`: every
 * block must be a CERTIFICATE, at least one. The first is the leaf.
 */
export function parseCertificateBundle(
  pem: string,
  code: ErrorCode = 'BAD_CERTIFICATE',
  options: { textOutsideBlocks?: 'refuse' | 'skip' } = {},
): CertificateInfo[] {
  const blocks = decodePemAll(pem, { code, ...options });
  if (blocks.length === 0) throw new FormatError(code, 'no certificate found in PEM data');
  return blocks.map((b) => {
    if (b.type !== 'CERTIFICATE') throw new FormatError(code, `invalid PEM block type ${b.type}`);
    return parseCertificateDer(b.bytes, code);
  });
}
