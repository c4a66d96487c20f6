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

  it('the Notary parser takes such a hash name for a delegation, so the check is what refuses it', () => {
    // (timestamp's snapshot and snapshot's root and targets entries need a sha256 at parse time:
    // Notary's IsValid*Structure; a delegation's entry is checked only when it is fetched)
    const doc = `{"signed":{"_type":"Snapshot","expires":"2030-01-01T00:00:00Z","meta":{"targets/releases":{"hashes":{"constructor":"${b64}"},"length":${bytes.length}}},"version":1},"signatures":[]}`;
    const md = parseMetadata(new TextEncoder().encode(doc), 'snapshot');
    const meta = (md.signed as { meta: Record<string, { length: number; hashes: Record<string, string> }> })
      .meta['targets/releases']!;
    expect(Object.keys(meta.hashes)).toEqual(['constructor']);
    expect(() => checkFileMeta(bytes, meta, 'targets/releases', 'snapshot')).toThrow(
      expect.objectContaining({ code: 'HASH_MISMATCH' }),
    );
    const ts = doc.replace('Snapshot', 'Timestamp').replace('targets/releases', 'snapshot');
    expect(() => parseMetadata(new TextEncoder().encode(ts), 'timestamp')).toThrow(
      expect.objectContaining({ code: 'BAD_METADATA' }),
    );
  });
});
