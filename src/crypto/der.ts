/**
 * Minimal strict DER (X.690) codec: encoders for the types X.509, PKCS#8 and
 * SEC1 need, and a decoder that builds a tree and rejects anything that is not
 * canonical DER (indefinite lengths, non-minimal lengths/integers/OIDs,
 * trailing bytes, truncation, excessive nesting).
 *
 * Every decoding failure is a `FormatError`; the code defaults to `BAD_KEY` and
 * can be chosen per decode (`derDecode(bytes, { code: 'BAD_CERTIFICATE' })`).
 * Reader helpers (`readInt`, `readOid`, ...) report with the code of the node
 * they are given.
 */
import { type ErrorCode, FormatError } from '../errors.js';

// ---------------------------------------------------------------------------
// Tags

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const CLASS_CONTEXT = 0x80;
const CONSTRUCTED = 0x20;

// ---------------------------------------------------------------------------
// Encoding

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  let v = n;
  while (v > 0) {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  }
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Encodes one TLV with a single-octet identifier (tag numbers 0..30). */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw new RangeError(`unsupported DER tag ${tag}`);
  }
  return concatBytes(Uint8Array.of(tag), encodeLength(content.length), content);
}

/** SEQUENCE of already-encoded elements, in the given order. */
export function seq(...elements: Uint8Array[]): Uint8Array {
  return tlv(TAG.SEQUENCE, concatBytes(...elements));
}

/** SET (OF) of already-encoded elements; sorted by encoding as DER requires for SET OF. */
export function set(...elements: Uint8Array[]): Uint8Array {
  const sorted = [...elements].sort(compareBytes);
  return tlv(TAG.SET, concatBytes(...sorted));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * INTEGER. A bigint/number is encoded two's complement, minimal length.
 * A Uint8Array is taken as an unsigned big-endian magnitude (leading zeros
 * stripped, a 0x00 prepended when the high bit is set).
 */
export function int(value: bigint | number | Uint8Array): Uint8Array {
  if (value instanceof Uint8Array) {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    let mag = value.subarray(start);
    if (mag.length === 0) mag = Uint8Array.of(0);
    if ((mag[0] as number) & 0x80) mag = concatBytes(Uint8Array.of(0), mag);
    return tlv(TAG.INTEGER, mag);
  }
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RangeError('DER INTEGER from a number must be a safe integer');
  }
  return tlv(TAG.INTEGER, bigintToTwosComplement(BigInt(value)));
}

function bigintToTwosComplement(v: bigint): Uint8Array {
  const bytes: number[] = [];
  let x = v;
  // Emit little-endian bytes until the remaining value is a pure sign extension
  // of the last emitted byte's high bit.
  for (;;) {
    const b = Number(x & 0xffn);
    bytes.unshift(b);
    x >>= 8n;
    if ((x === 0n && (b & 0x80) === 0) || (x === -1n && (b & 0x80) !== 0)) break;
  }
  return Uint8Array.from(bytes);
}

/** OBJECT IDENTIFIER from dotted form, e.g. `1.2.840.10045.2.1`. */
export function oid(dotted: string): Uint8Array {
  return tlv(TAG.OID, encodeOidContent(dotted));
}

function encodeOidContent(dotted: string): Uint8Array {
  if (!/^\d+(\.\d+)+$/.test(dotted)) throw new RangeError(`invalid OID ${dotted}`);
  const arcs = dotted.split('.').map((s) => BigInt(s));
  const a0 = arcs[0] as bigint;
  const a1 = arcs[1] as bigint;
  if (a0 > 2n || (a0 < 2n && a1 > 39n)) throw new RangeError(`invalid OID ${dotted}`);
  const out: number[] = [];
  const push = (arc: bigint): void => {
    const chunk: number[] = [Number(arc & 0x7fn)];
    let v = arc >> 7n;
    while (v > 0n) {
      chunk.unshift(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(...chunk);
  };
  push(a0 * 40n + a1);
  for (const arc of arcs.slice(2)) push(arc);
  return Uint8Array.from(out);
}

export function octetString(bytes: Uint8Array): Uint8Array {
  return tlv(TAG.OCTET_STRING, bytes);
}

/** BIT STRING; `unusedBits` (0..7) counts the ignored low bits of the last byte. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  if (
    !Number.isInteger(unusedBits) ||
    unusedBits < 0 ||
    unusedBits > 7 ||
    (bytes.length === 0 && unusedBits)
  ) {
    throw new RangeError('invalid BIT STRING unused bit count');
  }
  return tlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(unusedBits), bytes));
}

/** NULL (`null` is a reserved word, hence the name). */
export function nullValue(): Uint8Array {
  return Uint8Array.of(TAG.NULL, 0);
}

export function bool(value: boolean): Uint8Array {
  return tlv(TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

const textEncoder = new TextEncoder();

export function utf8String(s: string): Uint8Array {
  return tlv(TAG.UTF8_STRING, textEncoder.encode(s));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function printableString(s: string): Uint8Array {
  if (!PRINTABLE.test(s)) throw new RangeError('string is not a valid PrintableString');
  return tlv(TAG.PRINTABLE_STRING, textEncoder.encode(s));
}

export function ia5String(s: string): Uint8Array {
  if (!/^[\x00-\x7f]*$/.test(s)) throw new RangeError('string is not a valid IA5String');
  return tlv(TAG.IA5_STRING, textEncoder.encode(s));
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** UTCTime `YYMMDDHHMMSSZ` (whole seconds, UTC); years 1950..2049 only. */
export function utcTime(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  if (y < 1950 || y > 2049) throw new RangeError('UTCTime year out of range 1950..2049');
  return tlv(TAG.UTC_TIME, textEncoder.encode(timeDigits(date).slice(2)));
}

/** GeneralizedTime `YYYYMMDDHHMMSSZ` (whole seconds, UTC). */
export function generalizedTime(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  if (y < 0 || y > 9999) throw new RangeError('GeneralizedTime year out of range');
  return tlv(TAG.GENERALIZED_TIME, textEncoder.encode(timeDigits(date)));
}

/** X.509 `Time` as Go and RFC 5280 choose it: UTCTime before 2050, GeneralizedTime after. */
export function x509Time(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  return y >= 1950 && y < 2050 ? utcTime(date) : generalizedTime(date);
}

function timeDigits(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new RangeError('invalid date');
  return (
    pad(d.getUTCFullYear(), 4) +
    pad(d.getUTCMonth() + 1, 2) +
    pad(d.getUTCDate(), 2) +
    pad(d.getUTCHours(), 2) +
    pad(d.getUTCMinutes(), 2) +
    pad(d.getUTCSeconds(), 2) +
    'Z'
  );
}

/** `[n] EXPLICIT inner`: a constructed context tag wrapping one encoded element. */
export function contextExplicit(n: number, inner: Uint8Array): Uint8Array {
  checkContextNumber(n);
  return tlv(CLASS_CONTEXT | CONSTRUCTED | n, inner);
}

/**
 * `[n] IMPLICIT T`: re-tags an already encoded element (keeps its contents and
 * its constructed bit), e.g. `contextImplicit(1, bitString(b))`.
 */
export function contextImplicit(n: number, encoded: Uint8Array): Uint8Array {
  checkContextNumber(n);
  const node = derDecode(encoded);
  return tlv(CLASS_CONTEXT | (node.constructed ? CONSTRUCTED : 0) | n, node.bytes);
}

/** A primitive `[n]` with raw contents (e.g. `[2] IMPLICIT IA5String` bytes). */
export function contextPrimitive(n: number, content: Uint8Array): Uint8Array {
  checkContextNumber(n);
  return tlv(CLASS_CONTEXT | n, content);
}

function checkContextNumber(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`unsupported context tag [${n}]`);
}

// ---------------------------------------------------------------------------
// Decoding

export type TagClass = 'universal' | 'application' | 'context' | 'private';

export interface DerNode {
  /** The identifier octet (class | constructed bit | number), e.g. 0x30 for SEQUENCE, 0xa0 for [0]. */
  readonly tag: number;
  readonly tagClass: TagClass;
  /** Tag number within its class (0..30). */
  readonly tagNumber: number;
  readonly constructed: boolean;
  /** Contents octets (a view into the input). */
  readonly bytes: Uint8Array;
  /** The whole TLV, header included (a view into the input), e.g. a tbsCertificate to verify. */
  readonly raw: Uint8Array;
  /** Offset of `raw` in the buffer given to `derDecode`. */
  readonly offset: number;
  /** Parsed elements of a constructed node; empty for primitives. */
  readonly children: readonly DerNode[];
  /** Error code reported by reader helpers for this node. */
  readonly code: ErrorCode;
}

export interface DerDecodeOptions {
  /** Error code of the FormatError thrown on malformed input. Default `BAD_KEY`. */
  code?: ErrorCode;
  /** Maximum nesting depth. Default 32. */
  maxDepth?: number;
}

const CLASSES: readonly TagClass[] = ['universal', 'application', 'context', 'private'];

/** Decodes exactly one DER element spanning all of `input`. */
export function derDecode(input: Uint8Array, options: DerDecodeOptions = {}): DerNode {
  const code = options.code ?? 'BAD_KEY';
  const maxDepth = options.maxDepth ?? 32;
  if (!(input instanceof Uint8Array)) throw new FormatError(code, 'DER input is not a byte array');
  const [node, end] = parseElement(input, 0, input.length, 0, maxDepth, code);
  if (end !== input.length) throw fail(code, `${input.length - end} trailing bytes after DER element`);
  return node;
}

function fail(code: ErrorCode, message: string): FormatError {
  return new FormatError(code, `malformed DER: ${message}`);
}

function parseElement(
  buf: Uint8Array,
  start: number,
  limit: number,
  depth: number,
  maxDepth: number,
  code: ErrorCode,
): [DerNode, number] {
  if (depth > maxDepth) throw fail(code, 'nesting too deep');
  let p = start;
  if (p >= limit) throw fail(code, 'truncated (missing tag)');
  const tag = buf[p++] as number;
  if ((tag & 0x1f) === 0x1f) throw fail(code, 'high tag numbers are not supported');
  if (p >= limit) throw fail(code, 'truncated (missing length)');
  const first = buf[p++] as number;
  let len: number;
  if (first < 0x80) {
    len = first;
  } else if (first === 0x80) {
    throw fail(code, 'indefinite length is not DER');
  } else {
    const n = first & 0x7f;
    if (n > 4) throw fail(code, 'length too large');
    if (p + n > limit) throw fail(code, 'truncated (length octets)');
    if (buf[p] === 0) throw fail(code, 'non-minimal length encoding');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p++] as number);
    if (len < 0x80) throw fail(code, 'non-minimal length encoding');
  }
  const contentStart = p;
  const end = contentStart + len;
  if (end > limit) throw fail(code, 'truncated (content shorter than length)');
  const constructed = (tag & CONSTRUCTED) !== 0;
  const tagClass = CLASSES[tag >> 6] as TagClass;
  const tagNumber = tag & 0x1f;
  const children: DerNode[] = [];
  if (constructed) {
    let q = contentStart;
    while (q < end) {
      const [child, next] = parseElement(buf, q, end, depth + 1, maxDepth, code);
      children.push(child);
      q = next;
    }
  } else if (tagClass === 'universal' && (tagNumber === 16 || tagNumber === 17)) {
    throw fail(code, 'SEQUENCE/SET must be constructed');
  }
  const node: DerNode = {
    tag,
    tagClass,
    tagNumber,
    constructed,
    bytes: buf.subarray(contentStart, end),
    raw: buf.subarray(start, end),
    offset: start,
    children,
    code,
  };
  return [node, end];
}

// ---------------------------------------------------------------------------
// Reader helpers (strict: each checks the tag and the DER rules for its type)

function nodeFail(node: DerNode, message: string): FormatError {
  return new FormatError(node.code, `malformed DER: ${message}`);
}

/** Asserts the identifier octet; `what` names the field in the error. */
export function expectTag(node: DerNode, tag: number, what = 'element'): DerNode {
  if (node.tag !== tag) {
    throw nodeFail(node, `${what}: expected tag 0x${hex2(tag)}, got 0x${hex2(node.tag)}`);
  }
  return node;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Children of a SEQUENCE, checking the count is within [min, max]. */
export function seqChildren(node: DerNode, min: number, max = min, what = 'SEQUENCE'): readonly DerNode[] {
  expectTag(node, TAG.SEQUENCE, what);
  if (node.children.length < min || node.children.length > max) {
    throw nodeFail(
      node,
      `${what}: expected ${min === max ? min : `${min}..${max}`} elements, got ${node.children.length}`,
    );
  }
  return node.children;
}

/** The i-th child, or a FormatError when absent. */
export function child(node: DerNode, i: number, what = 'element'): DerNode {
  const c = node.children[i];
  if (c === undefined) throw nodeFail(node, `missing ${what}`);
  return c;
}

function intContent(node: DerNode): Uint8Array {
  const b = node.bytes;
  if (b.length === 0) throw nodeFail(node, 'empty INTEGER');
  if (b.length > 1) {
    const b0 = b[0] as number;
    const b1 = b[1] as number;
    if ((b0 === 0x00 && (b1 & 0x80) === 0) || (b0 === 0xff && (b1 & 0x80) !== 0)) {
      throw nodeFail(node, 'non-minimal INTEGER');
    }
  }
  return b;
}

/** INTEGER as a bigint (signed). */
export function readInt(node: DerNode, tag: number = TAG.INTEGER): bigint {
  expectTag(node, tag, 'INTEGER');
  const b = intContent(node);
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  if ((b[0] as number) & 0x80) v -= 1n << BigInt(b.length * 8);
  return v;
}

/** INTEGER that must fit a safe non-negative number (versions, counts). */
export function readSmallInt(node: DerNode, max = Number.MAX_SAFE_INTEGER): number {
  const v = readInt(node);
  if (v < 0n || v > BigInt(max)) throw nodeFail(node, `INTEGER out of range 0..${max}`);
  return Number(v);
}

/** Non-negative INTEGER as its unsigned big-endian magnitude (no leading zero). */
export function readUnsignedIntBytes(node: DerNode): Uint8Array {
  expectTag(node, TAG.INTEGER, 'INTEGER');
  const b = intContent(node);
  if ((b[0] as number) & 0x80) throw nodeFail(node, 'negative INTEGER');
  return b[0] === 0 && b.length > 1 ? b.subarray(1) : b;
}

/** OBJECT IDENTIFIER in dotted form. */
export function readOid(node: DerNode): string {
  expectTag(node, TAG.OID, 'OBJECT IDENTIFIER');
  const b = node.bytes;
  if (b.length === 0) throw nodeFail(node, 'empty OBJECT IDENTIFIER');
  const arcs: bigint[] = [];
  let v = 0n;
  let startOfArc = true;
  for (let i = 0; i < b.length; i++) {
    const x = b[i] as number;
    if (startOfArc && x === 0x80) throw nodeFail(node, 'non-minimal OBJECT IDENTIFIER arc');
    v = (v << 7n) | BigInt(x & 0x7f);
    startOfArc = (x & 0x80) === 0;
    if (startOfArc) {
      arcs.push(v);
      v = 0n;
    }
  }
  if (!startOfArc) throw nodeFail(node, 'truncated OBJECT IDENTIFIER');
  if (arcs.length > 64) throw nodeFail(node, 'OBJECT IDENTIFIER too long');
  const f = arcs[0] as bigint;
  const head = f < 40n ? [0n, f] : f < 80n ? [1n, f - 40n] : [2n, f - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

export function readOctetString(node: DerNode): Uint8Array {
  expectTag(node, TAG.OCTET_STRING, 'OCTET STRING');
  return node.bytes;
}

export interface BitStringValue {
  readonly unusedBits: number;
  readonly bytes: Uint8Array;
}

export function readBitString(node: DerNode): BitStringValue {
  expectTag(node, TAG.BIT_STRING, 'BIT STRING');
  const b = node.bytes;
  if (b.length === 0) throw nodeFail(node, 'empty BIT STRING');
  const unusedBits = b[0] as number;
  if (unusedBits > 7 || (b.length === 1 && unusedBits !== 0)) throw nodeFail(node, 'bad BIT STRING padding');
  if (unusedBits > 0 && ((b[b.length - 1] as number) & ((1 << unusedBits) - 1)) !== 0) {
    throw nodeFail(node, 'BIT STRING unused bits not zero');
  }
  return { unusedBits, bytes: b.subarray(1) };
}

/** BIT STRING that must be whole bytes (keys, signatures). */
export function readBitStringBytes(node: DerNode): Uint8Array {
  const v = readBitString(node);
  if (v.unusedBits !== 0) throw nodeFail(node, 'BIT STRING is not a whole number of bytes');
  return v.bytes;
}

export function readNull(node: DerNode): null {
  expectTag(node, TAG.NULL, 'NULL');
  if (node.bytes.length !== 0) throw nodeFail(node, 'NULL with content');
  return null;
}

export function readBool(node: DerNode): boolean {
  expectTag(node, TAG.BOOLEAN, 'BOOLEAN');
  const b = node.bytes;
  if (b.length !== 1 || (b[0] !== 0 && b[0] !== 0xff)) throw nodeFail(node, 'BOOLEAN must be 0x00 or 0xff');
  return b[0] === 0xff;
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/** UTF8String, PrintableString or IA5String as a JS string. */
export function readString(node: DerNode): string {
  let s: string;
  try {
    s = utf8Fatal.decode(node.bytes);
  } catch {
    throw nodeFail(node, 'invalid UTF-8 in string');
  }
  switch (node.tag) {
    case TAG.UTF8_STRING:
      return s;
    case TAG.PRINTABLE_STRING:
      if (!PRINTABLE.test(s)) throw nodeFail(node, 'invalid PrintableString');
      return s;
    case TAG.IA5_STRING:
      if (!/^[\x00-\x7f]*$/.test(s)) throw nodeFail(node, 'invalid IA5String');
      return s;
    default:
      throw nodeFail(node, `expected a string type, got tag 0x${hex2(node.tag)}`);
  }
}

/** UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`), DER form only. */
export function readTime(node: DerNode): Date {
  let s: string;
  try {
    s = utf8Fatal.decode(node.bytes);
  } catch {
    throw nodeFail(node, 'invalid time string');
  }
  let year: number;
  let rest: string;
  if (node.tag === TAG.UTC_TIME) {
    if (!/^\d{12}Z$/.test(s)) throw nodeFail(node, 'UTCTime must be YYMMDDHHMMSSZ');
    const yy = Number(s.slice(0, 2));
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    rest = s.slice(2);
  } else if (node.tag === TAG.GENERALIZED_TIME) {
    if (!/^\d{14}Z$/.test(s)) throw nodeFail(node, 'GeneralizedTime must be YYYYMMDDHHMMSSZ');
    year = Number(s.slice(0, 4));
    rest = s.slice(4);
  } else {
    throw nodeFail(node, `expected a time, got tag 0x${hex2(node.tag)}`);
  }
  const mo = Number(rest.slice(0, 2));
  const d = Number(rest.slice(2, 4));
  const h = Number(rest.slice(4, 6));
  const mi = Number(rest.slice(6, 8));
  const se = Number(rest.slice(8, 10));
  const date = new Date(0);
  date.setUTCFullYear(year, mo - 1, d);
  date.setUTCHours(h, mi, se, 0);
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== mo - 1 ||
    date.getUTCDate() !== d ||
    date.getUTCHours() !== h ||
    date.getUTCMinutes() !== mi ||
    date.getUTCSeconds() !== se
  ) {
    throw nodeFail(node, 'invalid calendar time');
  }
  return date;
}

/** Decodes the single element wrapped by an EXPLICIT context tag `[n]`. */
export function readExplicit(node: DerNode, n: number): DerNode {
  expectTag(node, CLASS_CONTEXT | CONSTRUCTED | n, `[${n}] EXPLICIT`);
  if (node.children.length !== 1) throw nodeFail(node, `[${n}] EXPLICIT must hold exactly one element`);
  return node.children[0] as DerNode;
}

/** Finds an optional context-tagged child (`[n]`, constructed or not) among `nodes`. */
export function findContext(nodes: readonly DerNode[], n: number): DerNode | undefined {
  return nodes.find((c) => c.tagClass === 'context' && c.tagNumber === n);
}
