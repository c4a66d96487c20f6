import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { olpcCanonicalBytes } from '../encoding/olpc.js';
import { parseTuf1Key, tuf1KeyId, verifyTuf1Signature } from './tuf1.js';

const vectors = JSON.parse(readFileSync(new URL('./testdata/tuf1-keys.json', import.meta.url), 'utf8')) as {
  message: string;
  cases: {
    key: { keytype: string; scheme: string; keyval: { public: string } };
    keyid: string;
    sig: string;
  }[];
};
const message = Buffer.from(vectors.message, 'utf8');

describe('TUF 1.0 keys (securesystemslib 1.4 vectors)', () => {
  for (const c of vectors.cases) {
    it(`${c.key.keytype}/${c.key.scheme}: key id, good and bad signatures`, () => {
      expect(tuf1KeyId(c.key, olpcCanonicalBytes)).toBe(c.keyid);
      const key = parseTuf1Key(c.key);
      const sig = Buffer.from(c.sig, 'hex');
      expect(verifyTuf1Signature(key, sig, message)).toBe(true);
      const tampered = Buffer.from(message);
      tampered[2] = (tampered[2] as number) ^ 1;
      expect(verifyTuf1Signature(key, sig, tampered)).toBe(false);
      expect(verifyTuf1Signature(key, new Uint8Array(0), message)).toBe(false);
    });
  }

  it('the legacy keytype ecdsa-sha2-nistp256 and a hex (uncompressed point) ecdsa key', () => {
    const c = vectors.cases.find((x) => x.key.scheme === 'ecdsa-sha2-nistp256')!;
    const legacy = parseTuf1Key({ ...c.key, keytype: 'ecdsa-sha2-nistp256' });
    expect(verifyTuf1Signature(legacy, Buffer.from(c.sig, 'hex'), message)).toBe(true);
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x!, 'base64url'),
      Buffer.from(jwk.y!, 'base64url'),
    ]);
    const hexKey = parseTuf1Key({
      keytype: 'ecdsa',
      scheme: 'ecdsa-sha2-nistp256',
      keyval: { public: point.toString('hex') },
    });
    expect(verifyTuf1Signature(hexKey, sign('sha256', message, privateKey), message)).toBe(true);
  });

  it('refuses a scheme that does not fit the key, and unknown pairs', () => {
    const p256 = vectors.cases.find((x) => x.key.scheme === 'ecdsa-sha2-nistp256')!;
    expect(() => parseTuf1Key({ ...p256.key, scheme: 'ecdsa-sha2-nistp384' })).toThrow(/P-384/);
    expect(() => parseTuf1Key({ ...p256.key, keytype: 'ecdsa-sha2-nistp384' })).toThrow(/unsupported/);
    const ed = vectors.cases.find((x) => x.key.keytype === 'ed25519')!;
    expect(() => parseTuf1Key({ ...ed.key, scheme: 'eddsa' })).toThrow(/unsupported/);
    expect(() => parseTuf1Key({ ...ed.key, keyval: { public: 'zz' } })).toThrow(/32 bytes hex/);
  });

  it('the same key material listed twice has one identity', () => {
    const c = vectors.cases[0]!;
    expect(parseTuf1Key(c.key).identity).toBe(parseTuf1Key({ ...c.key, extra: 1 }).identity);
  });
});
