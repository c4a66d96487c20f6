import { describe, expect, it } from 'vitest';
import { VerificationError } from '../errors.js';
import { parseMetadata } from '../metadata/parse.js';
import { checkFileMeta, checkTuf1FileMeta } from './filemeta.js';

const bytes = new TextEncoder().encode('{"signed":{}}');
const b64 = Buffer.from(bytes).toString('base64');

describe('file meta checks: hash names are looked up as own names only', () => {
  // a plain object's lookup of "constructor" finds Object, which returned the bytes themselves as
  // their "digest": a parent listing {"constructor": base64(file)} counted as one checked hash (Go's
  // CheckHashes needs sha256 or sha512 and refuses this meta)
  for (const name of ['constructor', 'valueOf', 'toString', '__proto__', 'hasOwnProperty']) {
    it(`Notary: only "${name}" listed is no supported hash`, () => {
      const meta = { length: bytes.length, hashes: { [name]: b64 } };
      expect(() => checkFileMeta(bytes, meta, 'snapshot', 'timestamp')).toThrow(
        expect.objectContaining({ code: 'HASH_MISMATCH' }),
      );
    });
    it(`TUF 1.0: "${name}" is an unsupported algorithm (a verification error, not a crash)`, () => {
      const meta = { length: bytes.length, hashes: { [name]: Buffer.from(bytes).toString('hex') } };
      let err: unknown;
      try {
        checkTuf1FileMeta(bytes, meta, 'snapshot', 'timestamp');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VerificationError);
      expect((err as VerificationError).code).toBe('HASH_MISMATCH');
    });
  }

  it('the Notary parser takes such a hash name, so the check is what refuses it', () => {
    const doc = `{"signed":{"_type":"Timestamp","expires":"2030-01-01T00:00:00Z","meta":{"snapshot":{"hashes":{"constructor":"${b64}"},"length":${bytes.length}}},"version":1},"signatures":[]}`;
    const md = parseMetadata(new TextEncoder().encode(doc), 'timestamp');
    const meta = (md.signed as { meta: Record<string, { length: number; hashes: Record<string, string> }> })
      .meta.snapshot!;
    expect(Object.keys(meta.hashes)).toEqual(['constructor']);
    expect(() => checkFileMeta(bytes, meta, 'snapshot', 'timestamp')).toThrow(
      expect.objectContaining({ code: 'HASH_MISMATCH' }),
    );
  });
});
