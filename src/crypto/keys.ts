/**
 * Public keys as Notary metadata lists them: parsing/validation, key ids and
 * ready-to-verify key material, prepared once per key object.
 */
import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { FormatError } from '../errors.js';
import { ed25519PublicKeyObject, sha256 } from './backend.js';
import { type CertificateInfo, parseCertificateBundle } from './certificate.js';
import {
  type DerNode,
  derDecode,
  readBitStringBytes,
  readInt,
  readNull,
  readOid,
  seqChildren,
} from './der.js';
import { OID } from './oid.js';
import type { KeyType, TufPublicKey } from './types.js';
import { bitLength, fromBase64Std, toBase64, toHex } from './util.js';

export const KEY_TYPES: readonly KeyType[] = ['ed25519', 'ecdsa', 'rsa', 'ecdsa-x509', 'rsa-x509'];

export function isKeyType(s: unknown): s is KeyType {
  return typeof s === 'string' && (KEY_TYPES as readonly string[]).includes(s);
}

/** Minimum RSA modulus size Notary accepts (const.go MinRSABitSize, tuf/signed/verifiers.go). */
export const MIN_RSA_BITS = 2048;

const encoder = new TextEncoder();

/**
 * Key id: hex sha256 of canonical `{"keytype":T,"keyval":{"private":null,"public":B64}}`.
 * `publicB64` must be the canonical (standard, padded) base64 of the key bytes,
 * which is what Go re-encodes before hashing.
 */
export function computeKeyId(keytype: string, publicB64: string): string {
  const json = `{"keytype":${jsonString(keytype)},"keyval":{"private":null,"public":"${publicB64}"}}`;
  return toHex(sha256(encoder.encode(json)));
}

/** Canonical JSON string literal (only `"` and `\` are escaped, docker/go canonical/json). */
function jsonString(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

export interface KeyContext {
  /** Role whose metadata lists the key (for error messages). */
  role?: string;
  /** Key id the metadata lists the key under (for error messages). */
  keyId?: string;
}

function badKey(ctx: KeyContext, message: string, cause?: unknown): FormatError {
  const who = [ctx.role ? `role ${ctx.role}` : '', ctx.keyId ? `key ${ctx.keyId}` : '']
    .filter(Boolean)
    .join(' ');
  const details: { role?: string; cause?: unknown } = {};
  if (ctx.role !== undefined) details.role = ctx.role;
  if (cause !== undefined) details.cause = cause;
  return new FormatError('BAD_KEY', who ? `${who}: ${message}` : message, details);
}

// ---------------------------------------------------------------------------
// Prepared (parsed, ready to verify) key material

export type EcCurve = 'P-224' | 'P-256' | 'P-384' | 'P-521';

const CURVES: Readonly<Record<string, { curve: EcCurve; size: number }>> = {
  [OID.p224]: { curve: 'P-224', size: 28 },
  [OID.p256]: { curve: 'P-256', size: 32 },
  [OID.p384]: { curve: 'P-384', size: 48 },
  [OID.p521]: { curve: 'P-521', size: 66 },
};

export type PreparedKey =
  | { readonly kind: 'ed25519'; readonly raw: Uint8Array; readonly node: () => KeyObject }
  | {
      readonly kind: 'ecdsa';
      readonly node: KeyObject;
      readonly curve: EcCurve;
      /** Raw r||s length: 2 * ceil(bits/8). */
      readonly sigLength: number;
      readonly spki: Uint8Array;
      readonly certs?: readonly CertificateInfo[];
    }
  | {
      readonly kind: 'rsa';
      readonly node: KeyObject;
      readonly modulusBits: number;
      readonly modulusBytes: number;
      readonly spki: Uint8Array;
      readonly certs?: readonly CertificateInfo[];
    };

function lazy<T>(f: () => T): () => T {
  let v: T | undefined;
  return () => {
    if (v === undefined) v = f();
    return v;
  };
}

/** Parses an EC SubjectPublicKeyInfo as Go's x509.ParsePKIXPublicKey accepts it. */
function prepareEcdsaSpki(spki: Uint8Array, ctx: KeyContext): PreparedKey & { kind: 'ecdsa' } {
  const root = derDecode(spki);
  const [alg, bits] = seqChildren(root, 2, 2, 'SubjectPublicKeyInfo') as [DerNode, DerNode];
  const algParts = seqChildren(alg, 2, 2, 'AlgorithmIdentifier');
  if (readOid(algParts[0] as DerNode) !== OID.ecPublicKey) throw badKey(ctx, 'not an ECDSA public key');
  const curveOid = (algParts[1] as DerNode).tag === 0x06 ? readOid(algParts[1] as DerNode) : '';
  const curve = CURVES[curveOid];
  if (curve === undefined)
    throw badKey(ctx, 'ECDSA key on an unsupported curve (named P-224/256/384/521 only)');
  const point = readBitStringBytes(bits);
  // Go's elliptic.Unmarshal: uncompressed points only.
  if (point.length !== 1 + 2 * curve.size || point[0] !== 0x04) {
    throw badKey(ctx, 'ECDSA public point must be uncompressed');
  }
  let node: KeyObject;
  try {
    node = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw badKey(ctx, 'invalid ECDSA public key (point not on curve?)', cause);
  }
  return { kind: 'ecdsa', node, curve: curve.curve, sigLength: 2 * curve.size, spki };
}

/** Parses an RSA SubjectPublicKeyInfo (rsaEncryption, NULL params as Go requires). */
function prepareRsaSpki(spki: Uint8Array, ctx: KeyContext): PreparedKey & { kind: 'rsa' } {
  const root = derDecode(spki);
  const [alg, bits] = seqChildren(root, 2, 2, 'SubjectPublicKeyInfo') as [DerNode, DerNode];
  const algParts = seqChildren(alg, 1, 2, 'AlgorithmIdentifier');
  if (readOid(algParts[0] as DerNode) !== OID.rsaEncryption) throw badKey(ctx, 'not an RSA public key');
  if (algParts[1] === undefined) throw badKey(ctx, 'RSA key missing NULL parameters');
  readNull(algParts[1]);
  const rsaKey = derDecode(readBitStringBytes(bits));
  const [nNode, eNode] = seqChildren(rsaKey, 2, 2, 'RSAPublicKey') as [DerNode, DerNode];
  const n = readInt(nNode);
  const e = readInt(eNode);
  if (n <= 0n) throw badKey(ctx, 'RSA modulus is not positive');
  if (e < 2n || e > 0x7fffffffn) throw badKey(ctx, 'RSA public exponent out of range');
  const modulusBits = bitLength(n);
  if (modulusBits < MIN_RSA_BITS)
    throw badKey(ctx, `RSA key has ${modulusBits} bits, at least ${MIN_RSA_BITS} required`);
  let node: KeyObject;
  try {
    node = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw badKey(ctx, 'invalid RSA public key', cause);
  }
  return { kind: 'rsa', node, modulusBits, modulusBytes: Math.ceil(modulusBits / 8), spki };
}

function prepareCertKey(
  keytype: 'ecdsa-x509' | 'rsa-x509',
  pemBytes: Uint8Array,
  ctx: KeyContext,
): PreparedKey {
  const text = Buffer.from(pemBytes).toString('latin1');
  let certs: CertificateInfo[];
  try {
    certs = parseCertificateBundle(text, 'BAD_KEY');
  } catch (cause) {
    throw badKey(ctx, `${keytype} public key is not a PEM certificate bundle`, cause);
  }
  const leaf = certs[0] as CertificateInfo;
  const want = keytype === 'ecdsa-x509' ? 'ecdsa' : 'rsa';
  if (leaf.publicKeyAlgorithm !== want) {
    throw badKey(ctx, `${keytype} certificate holds a ${leaf.publicKeyAlgorithm} key`);
  }
  const bare = want === 'ecdsa' ? prepareEcdsaSpki(leaf.spki, ctx) : prepareRsaSpki(leaf.spki, ctx);
  return { ...bare, certs };
}

function prepare(keytype: KeyType, raw: Uint8Array, ctx: KeyContext): PreparedKey {
  try {
    switch (keytype) {
      case 'ed25519': {
        if (raw.length !== 32) throw badKey(ctx, `ed25519 public key must be 32 bytes, got ${raw.length}`);
        const bytes = Uint8Array.from(raw);
        return { kind: 'ed25519', raw: bytes, node: lazy(() => ed25519PublicKeyObject(bytes)) };
      }
      case 'ecdsa':
        return prepareEcdsaSpki(raw, ctx);
      case 'rsa':
        return prepareRsaSpki(raw, ctx);
      case 'ecdsa-x509':
      case 'rsa-x509':
        return prepareCertKey(keytype, raw, ctx);
    }
  } catch (err) {
    if (err instanceof FormatError && err.code === 'BAD_KEY' && err.message.startsWith('malformed DER')) {
      throw badKey(ctx, `${keytype} public key: ${err.message}`, err);
    }
    throw err;
  }
}

// Prepared material is attached to the key object (a WeakMap by identity: it lives and dies with the
// object, is never looked up by the declared id or by value, and no cache outlives the documents a
// caller holds). Caches across calls belong to the caller's context (context/context.ts: parsed
// documents keep their keys). A key parsed from metadata is prepared on first use (deferred): its
// failure is remembered too, so an unusable key costs one attempt.
const byObject = new WeakMap<TufPublicKey, PreparedKey | FormatError>();
/** Message context of a deferred key (role / listed id), for the error of its first use. */
const deferredCtx = new WeakMap<TufPublicKey, KeyContext>();

/**
 * Ready-to-verify material of a key; parsed once per key object. Throws
 * FormatError BAD_KEY when the key is unusable.
 */
export function preparedKey(key: TufPublicKey, ctx: KeyContext = {}): PreparedKey {
  const hit = byObject.get(key);
  if (hit instanceof FormatError) throw hit;
  if (hit !== undefined) return hit;
  const c = { ...deferredCtx.get(key), ...ctx };
  let p: PreparedKey;
  try {
    if (!isKeyType(key.keytype)) throw badKey(c, `unknown key type ${JSON.stringify(key.keytype)}`);
    const raw = fromBase64Std(key.publicB64);
    if (raw === undefined) throw badKey(c, 'public key is not valid base64');
    p = prepare(key.keytype, raw, c);
  } catch (e) {
    if (e instanceof FormatError) byObject.set(key, e);
    throw e;
  }
  byObject.set(key, p);
  return p;
}

// ---------------------------------------------------------------------------
// Construction / parsing

/**
 * Builds a validated key from its type and public bytes. The stored `publicB64`
 * is the canonical base64 of `publicBytes` (the form Go hashes for the key id).
 */
export function publicKeyFromBytes(
  keytype: KeyType,
  publicBytes: Uint8Array,
  ctx: KeyContext = {},
): TufPublicKey {
  if (!isKeyType(keytype)) throw badKey(ctx, `unknown key type ${JSON.stringify(keytype)}`);
  const publicB64 = toBase64(publicBytes);
  const p = prepare(keytype, publicBytes, ctx);
  const key: TufPublicKey = Object.freeze({ keytype, publicB64, id: computeKeyId(keytype, publicB64) });
  byObject.set(key, p);
  return key;
}

/**
 * `publicKeyFromBytes` without preparing the material: the key is parsed (DER, curve, RSA size) on
 * its first use (`preparedKey`, BAD_KEY then, remembered), so a metadata keys map costs no crypto
 * setup for keys no signature check uses. `scheme` is set on TUF 1.0 keys.
 */
export function publicKeyFromBytesDeferred(
  keytype: KeyType,
  publicBytes: Uint8Array,
  ctx: KeyContext = {},
  scheme?: string,
): TufPublicKey {
  if (!isKeyType(keytype)) throw badKey(ctx, `unknown key type ${JSON.stringify(keytype)}`);
  const publicB64 = toBase64(publicBytes);
  const id = computeKeyId(keytype, publicB64);
  const key: TufPublicKey = Object.freeze(
    scheme === undefined ? { keytype, publicB64, id } : { keytype, publicB64, id, scheme },
  );
  deferredCtx.set(key, ctx);
  return key;
}

/**
 * Whether `key`'s material was prepared (parsed, or found unusable) by now: keys built with
 * `publicKeyFromBytes` are at once, deferred keys only on first use. Lets tests count what a
 * signature check really parsed.
 */
export function keyPrepared(key: TufPublicKey): boolean {
  return byObject.has(key);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Strictly validates one metadata key object
 * `{"keytype":T,"keyval":{"private":null,"public":B64}}` (unknown extra fields
 * are ignored, as Go does). Throws FormatError BAD_KEY naming the role/key id.
 *
 * Non-canonical but Go-decodable base64 (line breaks, non-zero padding bits) is
 * accepted and normalised; the id is computed from the normalised form, as
 * Notary does.
 */
export function parsePublicKey(json: unknown, ctx: KeyContext = {}): TufPublicKey {
  const key = parsePublicKeyDeferred(json, ctx);
  preparedKey(key, ctx);
  return key;
}

/**
 * `parsePublicKey` without preparing the key material: validates the JSON shape and base64 and
 * computes the key id (canonical JSON + sha256, cheap), and leaves the parsing of the key itself
 * (DER, certificates: up to ~1 ms a key) to its first use (`preparedKey`, which throws BAD_KEY then
 * when the key is unusable). Metadata key maps are parsed this way, so that a hostile document
 * listing thousands of keys costs only the keys a signature check actually uses.
 */
export function parsePublicKeyDeferred(json: unknown, ctx: KeyContext = {}): TufPublicKey {
  if (!isPlainObject(json)) throw badKey(ctx, 'key must be a JSON object');
  const { keytype, keyval } = json;
  if (!isKeyType(keytype)) throw badKey(ctx, `unknown key type ${JSON.stringify(keytype)}`);
  if (!isPlainObject(keyval)) throw badKey(ctx, 'keyval must be an object');
  if (keyval.private !== undefined && keyval.private !== null) {
    throw badKey(ctx, 'keyval.private must be null for a public key');
  }
  if (typeof keyval.public !== 'string') throw badKey(ctx, 'keyval.public must be a base64 string');
  const bytes = fromBase64Std(keyval.public);
  if (bytes === undefined) throw badKey(ctx, 'keyval.public is not valid standard base64');
  const canonicalB64 = toBase64(bytes);
  const key: TufPublicKey = Object.freeze({
    keytype,
    publicB64: canonicalB64,
    id: computeKeyId(keytype, canonicalB64),
  });
  deferredCtx.set(key, ctx);
  return key;
}

export interface PublicKeyJson {
  keytype: KeyType;
  keyval: { private: null; public: string };
}

/** The metadata form of a key. */
export function keyToJson(key: TufPublicKey): PublicKeyJson {
  return { keytype: key.keytype, keyval: { private: null, public: key.publicB64 } };
}

/** The key's public bytes (DER SPKI, raw ed25519, or PEM bundle bytes for x509 types). */
export function publicKeyBytes(key: TufPublicKey): Uint8Array {
  const raw = fromBase64Std(key.publicB64);
  if (raw === undefined) throw badKey({}, 'public key is not valid base64');
  return raw;
}

/** Leaf certificate of an x509 key (`ecdsa-x509`, `rsa-x509`). */
export function certificateOf(key: TufPublicKey): X509Certificate {
  return certificateInfoOf(key).x509;
}

/** Parsed leaf certificate fields of an x509 key. */
export function certificateInfoOf(key: TufPublicKey, ctx: KeyContext = {}): CertificateInfo {
  return certificateChainOf(key, ctx)[0] as CertificateInfo;
}

/** All certificates of an x509 key, leaf first. */
export function certificateChainOf(key: TufPublicKey, ctx: KeyContext = {}): readonly CertificateInfo[] {
  const p = preparedKey(key, ctx);
  if (p.kind === 'ed25519' || p.certs === undefined) {
    throw badKey({ keyId: key.id, ...ctx }, `${key.keytype} key has no certificate`);
  }
  return p.certs;
}

/**
 * For an x509 key, the bare key (`ecdsa`/`rsa`) holding the certificate's
 * public key; other keys are returned unchanged. Notary names private key
 * files after this key's id (utils.CanonicalKeyID).
 */
export function bareKeyOf(key: TufPublicKey): TufPublicKey {
  if (key.keytype !== 'ecdsa-x509' && key.keytype !== 'rsa-x509') return key;
  const p = preparedKey(key);
  if (p.kind === 'ed25519') throw badKey({ keyId: key.id }, 'unexpected key kind');
  // Go re-marshals cert.PublicKey (MarshalPKIXPublicKey); Node's export is the same DER.
  const der = p.node.export({ type: 'spki', format: 'der' });
  return publicKeyFromBytes(p.kind, new Uint8Array(der.buffer, der.byteOffset, der.byteLength));
}

/** Notary's CanonicalKeyID: the bare key id of x509 keys, the key id otherwise. */
export function canonicalKeyId(key: TufPublicKey): string {
  return bareKeyOf(key).id;
}

/** A metadata key for a Node public (or private) KeyObject: ed25519, ecdsa or rsa. */
export function publicKeyFromKeyObject(keyObject: KeyObject): TufPublicKey {
  const pub = keyObject.type === 'private' ? createPublicKey(keyObject) : keyObject;
  switch (pub.asymmetricKeyType) {
    case 'ed25519': {
      const jwk = pub.export({ format: 'jwk' });
      return publicKeyFromBytes('ed25519', new Uint8Array(Buffer.from(String(jwk.x), 'base64url')));
    }
    case 'ec':
    case 'rsa': {
      const der = pub.export({ type: 'spki', format: 'der' });
      return publicKeyFromBytes(
        pub.asymmetricKeyType === 'ec' ? 'ecdsa' : 'rsa',
        new Uint8Array(der.buffer, der.byteOffset, der.byteLength),
      );
    }
    default:
      throw badKey({}, `unsupported key type ${String(pub.asymmetricKeyType)}`);
  }
}
