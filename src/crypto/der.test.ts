import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, TrustError } from '../errors.js';
import {
  bitString,
  bool,
  contextExplicit,
  contextImplicit,
  derDecode,
  generalizedTime,
  int,
  nullValue,
  octetString,
  oid,
  printableString,
  readBitString,
  readBool,
  readExplicit,
  readInt,
  readNull,
  readOid,
  readString,
  readTime,
  readUnsignedIntBytes,
  seq,
  seqChildren,
  set,
  TAG,
  utcTime,
  utf8String,
  x509Time,
} from './der.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

describe('DER encoders', () => {
  it('encodes integers minimally, two-complement', () => {
    expect(hex(int(0))).toBe('020100');
    expect(hex(int(127))).toBe('02017f');
    expect(hex(int(128))).toBe('02020080');
    expect(hex(int(256))).toBe('02020100');
    expect(hex(int(-1))).toBe('0201ff');
    expect(hex(int(-128))).toBe('020180');
    expect(hex(int(-129))).toBe('0202ff7f');
    expect(hex(int(fromHex('0000ff')))).toBe('020200ff');
    expect(hex(int(new Uint8Array(0)))).toBe('020100');
    expect(hex(int(2n ** 64n))).toBe('0209010000000000000000');
  });

  it('encodes OIDs like OpenSSL', () => {
    expect(hex(oid('1.2.840.10045.2.1'))).toBe('06072a8648ce3d0201');
    expect(hex(oid('1.3.6.1.4.1.11591.15.1'))).toBe('06092b06010401da470f01');
    expect(hex(oid('2.16.840.1.101.3.4.1.42'))).toBe('060960864801650304012a');
    expect(() => oid('1')).toThrow(RangeError);
    expect(() => oid('1.40')).toThrow(RangeError);
  });

  it('encodes long lengths minimally', () => {
    const big = octetString(new Uint8Array(300));
    expect(hex(big.subarray(0, 4))).toBe('0482012c');
    expect(hex(octetString(new Uint8Array(200)).subarray(0, 3))).toBe('0481c8');
  });

  it('encodes times, strings, bool, null, tags', () => {
    const d = new Date(Date.UTC(2027, 0, 2, 3, 4, 5));
    expect(Buffer.from(utcTime(d).subarray(2)).toString()).toBe('270102030405Z');
    expect(Buffer.from(generalizedTime(d).subarray(2)).toString()).toBe('20270102030405Z');
    expect(x509Time(new Date(Date.UTC(2050, 0, 1)))[0]).toBe(TAG.GENERALIZED_TIME);
    expect(x509Time(d)[0]).toBe(TAG.UTC_TIME);
    expect(hex(bool(true))).toBe('0101ff');
    expect(hex(nullValue())).toBe('0500');
    expect(hex(contextExplicit(0, int(2)))).toBe('a003020102');
    expect(hex(contextImplicit(1, bitString(fromHex('ab'))))).toBe('810200ab');
    expect(hex(contextImplicit(3, seq(int(1))))).toBe('a303020101');
    expect(() => printableString('a@b')).toThrow(RangeError);
    expect(hex(set(int(2), int(1)))).toBe('3106020101020102');
  });

  it('re-encodes an SPKI from node:crypto byte-identically', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
    const node = derDecode(spki);
    const [alg, key] = seqChildren(node, 2);
    expect(readOid(seqChildren(alg!, 2)[0]!)).toBe('1.2.840.10045.2.1');
    expect(readBitString(key!).bytes.length).toBe(65);
    // re-encode from parts and check node still accepts it byte-identically
    const rebuilt = seq(
      seq(oid('1.2.840.10045.2.1'), oid('1.2.840.10045.3.1.7')),
      bitString(readBitString(key!).bytes),
    );
    expect(hex(rebuilt)).toBe(hex(spki));
    expect(
      createPublicKey({ key: Buffer.from(rebuilt), format: 'der', type: 'spki' }).asymmetricKeyType,
    ).toBe('ec');
  });
});

describe('DER decoder', () => {
  it('round-trips primitives', () => {
    const enc = seq(
      int(-300n),
      oid('2.5.4.3'),
      utf8String('héllo'),
      printableString('abc'),
      bool(false),
      nullValue(),
      utcTime(new Date(Date.UTC(1999, 11, 31, 23, 59, 59))),
      generalizedTime(new Date(Date.UTC(2100, 1, 28))),
      contextExplicit(2, octetString(fromHex('0102'))),
      int(fromHex('80')),
    );
    const n = derDecode(enc);
    const c = seqChildren(n, 10);
    expect(readInt(c[0]!)).toBe(-300n);
    expect(readOid(c[1]!)).toBe('2.5.4.3');
    expect(readString(c[2]!)).toBe('héllo');
    expect(readString(c[3]!)).toBe('abc');
    expect(readBool(c[4]!)).toBe(false);
    expect(readNull(c[5]!)).toBeNull();
    expect(readTime(c[6]!).toISOString()).toBe('1999-12-31T23:59:59.000Z');
    expect(readTime(c[7]!).toISOString()).toBe('2100-02-28T00:00:00.000Z');
    expect(hex(readExplicit(c[8]!, 2).bytes)).toBe('0102');
    expect(hex(readUnsignedIntBytes(c[9]!))).toBe('80');
    expect(c[1]!.raw).toEqual(oid('2.5.4.3'));
    expect(c[1]!.offset).toBe(enc.indexOf(0x06));
  });

  const bad: Array<[string, string]> = [
    ['empty', ''],
    ['truncated header', '30'],
    ['truncated content', '3003020101'.slice(0, 8)],
    ['trailing bytes', '02010000'],
    ['indefinite length', '3080020101 0000'.replace(' ', '')],
    ['non-minimal long length', '04810100'],
    ['leading zero length byte', '0482000100'],
    ['high tag number', '1f0100'],
    ['primitive SEQUENCE', '1000'],
    ['child overruns parent', '300302050102'],
  ];
  for (const [name, h] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => derDecode(fromHex(h.replaceAll(' ', '')))).toThrow(FormatError);
    });
  }

  it('rejects non-canonical values in readers', () => {
    expect(() => readInt(derDecode(fromHex('02020001')))).toThrow(FormatError);
    expect(() => readInt(derDecode(fromHex('0202ff80')))).toThrow(FormatError);
    expect(() => readInt(derDecode(fromHex('0200')))).toThrow(FormatError);
    expect(() => readOid(derDecode(fromHex('0603808001')))).toThrow(FormatError);
    expect(() => readOid(derDecode(fromHex('06022a86')))).toThrow(FormatError);
    expect(() => readBool(derDecode(fromHex('010101')))).toThrow(FormatError);
    expect(() => readBitString(derDecode(fromHex('030201ff')))).toThrow(FormatError);
    expect(() => readTime(derDecode(utf8String('20270102030405Z')))).toThrow(FormatError);
    expect(() => readTime(derDecode(fromHex('170d3237313333313030303030305a')))).toThrow(FormatError);
    expect(() => readInt(derDecode(oid('1.2.3')))).toThrow(/expected tag 0x02/);
  });

  it('uses the requested error code and limits depth', () => {
    let deep = int(1);
    for (let i = 0; i < 40; i++) deep = seq(deep);
    try {
      derDecode(deep, { code: 'BAD_CERTIFICATE' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      expect((e as FormatError).code).toBe('BAD_CERTIFICATE');
    }
    expect(derDecode(deep, { maxDepth: 64 }).tag).toBe(TAG.SEQUENCE);
  });

  it('property: random bytes either decode and re-serialise identically or throw FormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const n = derDecode(bytes);
          expect(Buffer.from(n.raw).equals(Buffer.from(bytes))).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(TrustError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('property: mutated valid structures never throw foreign errors (decoder + readers)', () => {
    const base = seq(
      int(12345n),
      oid('1.2.840.113549.1.5.13'),
      octetString(fromHex('00112233')),
      contextExplicit(0, seq(utcTime(new Date(Date.UTC(2020, 0, 1))), bitString(fromHex('abcd')))),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(base.length),
        (edits, cut) => {
          const b = new Uint8Array(base.subarray(0, cut === 0 ? base.length : cut));
          for (const [i, v] of edits) if (i < b.length) b[i] = v;
          try {
            const n = derDecode(b);
            const walk = (x: ReturnType<typeof derDecode>): void => {
              for (const r of [readInt, readOid, readString, readTime, readBitString, readBool, readNull]) {
                try {
                  r(x);
                } catch (e) {
                  expect(e).toBeInstanceOf(TrustError);
                }
              }
              x.children.forEach(walk);
            };
            walk(n);
          } catch (e) {
            expect(e).toBeInstanceOf(TrustError);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
