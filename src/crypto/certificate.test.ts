import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { certGenVectors } from '../../vectors/crypto-oracle/vectors.js';
import { encodePem } from '../encoding/pem.js';
import { FormatError } from '../errors.js';
import { parseCertificateBundle, parseCertificateDer } from './certificate.js';

const pem = certGenVectors[0]?.pem as string;

describe('parseCertificateBundle', () => {
  it('reads a bundle with the one PEM codec', () => {
    const der = parseCertificateBundle(pem)[0]?.der as Uint8Array;
    expect(encodePem({ type: 'CERTIFICATE', bytes: der })).toBe(pem);
    expect(parseCertificateBundle(pem + pem).length).toBe(2);
    expect(parseCertificateBundle(pem.replace(/\n/g, '\r\n'))[0]?.der).toEqual(der);
  });

  it.each([
    ['text before', `junk\n${pem}`],
    ['text after', `${pem}junk`],
    ['mismatched END', pem.replace('END CERTIFICATE', 'END KEY')],
    ['bad base64', pem.replace(/\n[A-Za-z0-9+/]{4}/, '\n!!!!')],
    ['empty body', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n'],
  ])('rejects %s with the given code', (_n, text) => {
    expect(() => parseCertificateBundle(text, 'PINNING')).toThrowError(
      expect.objectContaining({ name: 'FormatError', code: 'PINNING' }),
    );
  });

  it('wants only CERTIFICATE blocks', () => {
    expect(() =>
      parseCertificateBundle(pem + encodePem({ type: 'PUBLIC KEY', bytes: Uint8Array.of(1) })),
    ).toThrow(/PUBLIC KEY/);
    expect(() => parseCertificateBundle('')).toThrow(/no certificate/);
  });
});

describe('parseCertificateDer', () => {
  const der = parseCertificateBundle(pem)[0]?.der as Uint8Array;

  it('reads the fields Notary looks at', () => {
    const c = parseCertificateDer(der);
    const v = certGenVectors[0];
    expect(c.commonName).toBe(v?.gun);
    expect(c.serial).toBe(BigInt(v?.serial as string));
    expect(c.notBefore.getTime()).toBe((v?.notBefore as number) * 1000);
    expect(c.notAfter.getTime()).toBe((v?.notAfter as number) * 1000);
    expect(c.signatureAlgorithm).toBe('ecdsa-with-SHA256');
  });

  it('throws only FormatError BAD_CERTIFICATE on corrupted certificates', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: der.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, x) => {
        const bad = Uint8Array.from(der);
        bad[pos] = (bad[pos] as number) ^ x;
        try {
          parseCertificateDer(bad);
        } catch (err) {
          expect(err).toBeInstanceOf(FormatError);
          expect((err as FormatError).code).toBe('BAD_CERTIFICATE');
        }
      }),
      { numRuns: 300 },
    );
  });
});
