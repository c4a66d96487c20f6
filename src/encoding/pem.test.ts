import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, TrustError } from '../errors.js';
import { decodePem, decodePemAll, encodePem } from './pem.js';

// A targets key file as notary (Go pem.EncodeToMemory) writes it for a repository (`gun` + `role` headers).
const NOTARY_FILE = `-----BEGIN ENCRYPTED PRIVATE KEY-----
gun: example.com/foo
role: targets

MIHuMEkGCSqGSIb3DQEFDTA8MBsGCSqGSIb3DQEFDDAOBAjsWYGJUWzQXAICCAAw
HQYJYIZIAWUDBAEqBBAaI+RqzpQGir6rdGQ95XS3BIGgloHF3GLbRuf1LHpO7cxC
sJNryplAISKIoFVmEK5F3HjLioJiQK2OGKgrRC9nZ1/SXqLS6uJUb8Ih3y/4Fti9
bXnwSy9RsvMTSm33Q7PyLluxvahBrkRWBVJo3GaqGTZ2MD3Ua2kpuAw4uB2yM4vH
c53mXJxTdIne7C3J3qOM6b/1bYMffYOSOST03aD0mQ8+1bvgS25eGyyAABhHMvzy
cA==
-----END ENCRYPTED PRIVATE KEY-----
`;

describe('PEM', () => {
  it('decodes a Notary key file and re-encodes it byte-identically', () => {
    const b = decodePem(NOTARY_FILE, ['ENCRYPTED PRIVATE KEY']);
    expect(b.type).toBe('ENCRYPTED PRIVATE KEY');
    expect({ ...b.headers }).toEqual({ gun: 'example.com/foo', role: 'targets' });
    expect(b.bytes.length).toBe(241);
    // insertion order of headers must not matter: Go sorts them
    const again = encodePem({
      type: b.type,
      headers: { role: 'targets', gun: 'example.com/foo' },
      bytes: b.bytes,
    });
    expect(again).toBe(NOTARY_FILE);
  });

  it('writes Proc-Type first, then sorted headers; no blank line without headers', () => {
    const bytes = new Uint8Array(100).fill(7);
    const s = encodePem({ type: 'X', headers: { z: '1', 'Proc-Type': '4,ENCRYPTED', a: '2' }, bytes });
    expect(s.split('\n').slice(0, 5)).toEqual([
      '-----BEGIN X-----',
      'Proc-Type: 4,ENCRYPTED',
      'a: 2',
      'z: 1',
      '',
    ]);
    const plain = encodePem({ type: 'CERTIFICATE', bytes: new Uint8Array(48) });
    expect(plain).toBe(`-----BEGIN CERTIFICATE-----\n${'A'.repeat(64)}\n-----END CERTIFICATE-----\n`);
    // an empty body is refused both ways (no PEM object we read is empty)
    expect(() => encodePem({ type: 'E', bytes: new Uint8Array(0) })).toThrow(RangeError);
  });

  it('refuses headers that cannot round-trip', () => {
    expect(() => encodePem({ type: 'X', headers: { 'a:b': 'c' }, bytes: new Uint8Array(1) })).toThrow(
      RangeError,
    );
    expect(() => encodePem({ type: 'X', headers: { a: 'b\nc' }, bytes: new Uint8Array(1) })).toThrow(
      RangeError,
    );
  });

  it('tolerates CRLF, trailing spaces and blank lines between blocks; finds several blocks', () => {
    const crlf = `\r\n${NOTARY_FILE.replaceAll('\n', '  \r\n')}\n \n${encodePem({ type: 'CERTIFICATE', bytes: Uint8Array.of(1, 2, 3) })}\n`;
    const blocks = decodePemAll(crlf);
    expect(blocks.map((b) => b.type)).toEqual(['ENCRYPTED PRIVATE KEY', 'CERTIFICATE']);
    expect([...(blocks[1]?.bytes ?? [])]).toEqual([1, 2, 3]);
    expect(() => decodePem(crlf)).toThrow(/expected one PEM block/);
    expect(decodePemAll(' \n')).toEqual([]);
  });

  it.each([
    ['before', `junk before\n${NOTARY_FILE}`],
    ['between', `${NOTARY_FILE}between\n${NOTARY_FILE}`],
    ['after', `${NOTARY_FILE}# comment\n`],
  ])('refuses text %s blocks (Go skips it; a key or certificate file has none)', (_w, text) => {
    expect(() => decodePemAll(text)).toThrow(/unexpected text outside PEM blocks/);
    // local CA bundles may skip it; the blocks stay as strictly checked
    expect(
      decodePemAll(text, { textOutsideBlocks: 'skip' }).every((b) => b.type === 'ENCRYPTED PRIVATE KEY'),
    ).toBe(true);
  });

  it('skipping text outside blocks still refuses broken boundaries and blocks', () => {
    const skip = { textOutsideBlocks: 'skip' } as const;
    expect(() => decodePemAll(`# c\n-----BEGIN X\nAAAA\n-----END X-----\n`, skip)).toThrow(FormatError);
    expect(() => decodePemAll(`# c\n-----BEGIN X-----\nAA=A\n-----END X-----\n`, skip)).toThrow(FormatError);
    expect(() => decodePemAll(`# c\n-----END X-----\n`, skip)).toThrow(FormatError);
  });

  it('rejects malformed blocks with FormatError', () => {
    const cases = [
      '',
      'no pem here',
      '-----BEGIN X-----\nAAAA\n',
      '-----BEGIN X-----\nAAAA\n-----END Y-----\n',
      '-----BEGIN X-----\nAA=A\n-----END X-----\n',
      '-----BEGIN X-----\nAAA\n-----END X-----\n',
      '-----BEGIN X-----\nrole: x\nAAAA\n-----END X-----\n',
      '-----BEGIN X-----\n-----BEGIN X-----\n-----END X-----\n',
      '-----BEGIN X-----\n-----END X-----\n',
      '-----BEGIN X-----\n: v\n\nAAAA\n-----END X-----\n',
      '-----BEGIN -X-----\nAAAA\n-----END -X-----\n',
    ];
    for (const c of cases) expect(() => decodePem(c), JSON.stringify(c)).toThrow(FormatError);
    expect(() => decodePem(NOTARY_FILE, ['PRIVATE KEY'])).toThrow(/unexpected PEM type/);
    expect(() => decodePem('x'.repeat(2000), undefined, { maxLength: 1000 })).toThrow(FormatError);
  });

  it('headers object has no prototype (no __proto__ pollution)', () => {
    const b = decodePem('-----BEGIN X-----\n__proto__: evil\nconstructor: x\n\nAAAA\n-----END X-----\n');
    expect(Object.getPrototypeOf(b.headers)).toBeNull();
    expect(b.headers['__proto__'.toString()]).toBe('evil');
    expect(({} as Record<string, unknown>).evil).toBeUndefined();
  });

  it('property: arbitrary text and mutations of a key file only throw TrustError', () => {
    const check = (text: string): void => {
      try {
        decodePemAll(text);
      } catch (e) {
        expect(e).toBeInstanceOf(TrustError);
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 300 }), check), { numRuns: 2000 });
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.nat(NOTARY_FILE.length - 1), fc.constantFrom('-', ':', '\n', '=', 'A', ' ', '\r', 'é')),
          {
            maxLength: 5,
          },
        ),
        (edits) => {
          const chars = [...NOTARY_FILE];
          for (const [i, c] of edits) chars[i] = c;
          check(chars.join(''));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
