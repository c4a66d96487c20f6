import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSigner, signerFromKeyObject } from '../../crypto/signers.js';
import { tuf1KeyId } from '../../crypto/tuf1.js';
import { olpcCanonicalBytes } from '../../encoding/olpc.js';
import { encodePem } from '../../encoding/pem.js';
import { notaryKeyIdOf, tuf1KeyOf, tuf1Signer } from './keys.js';

const VECTORS = join(import.meta.dirname, '../../../vectors/tuf1');

interface KeyRecord {
  keyid: string;
  keytype: string;
  scheme: string;
  keyval: { public: string };
  computed_keyid: string;
}

function vectorKeys(repo: string): KeyRecord[] {
  return Object.values(JSON.parse(readFileSync(join(VECTORS, repo, 'keys.json'), 'utf8')));
}

describe('TUF 1.0 key ids', () => {
  it('match securesystemslib compute_default_keyid for every key type of the python-tuf vectors', () => {
    const keys = [...vectorKeys('repository'), ...vectorKeys('plain')];
    expect(new Set(keys.map((k) => k.scheme))).toEqual(
      new Set(['ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'rsassa-pss-sha256']),
    );
    for (const k of keys) expect(tuf1KeyId(k, olpcCanonicalBytes)).toBe(k.computed_keyid);
  });

  it('PEM public keys are written byte-for-byte as pyca/cryptography writes them', () => {
    for (const k of vectorKeys('repository')) {
      if (k.keytype === 'ed25519') continue;
      const der = createPublicKey(k.keyval.public).export({ type: 'spki', format: 'der' });
      expect(encodePem({ type: 'PUBLIC KEY', bytes: new Uint8Array(der) })).toBe(k.keyval.public);
    }
  });

  it('our ed25519 key is listed exactly as python-tuf listed it (committed test-only keys)', () => {
    const dir = join(VECTORS, 'plain/private-keys-test-only');
    const root = JSON.parse(readFileSync(join(VECTORS, 'plain/metadata/1.root.json'), 'utf8')).signed;
    for (const f of readdirSync(dir)) {
      const key = tuf1KeyOf(signerFromKeyObject(createPrivateKey(readFileSync(join(dir, f)))));
      const role = f.replace(/\.pem$/, '');
      expect(root.roles[role].keyids).toEqual([key.keyid]);
      expect(root.keys[key.keyid]).toEqual({
        keytype: key.keytype,
        scheme: key.scheme,
        keyval: { public: key.public },
      });
    }
  });
});

describe('TUF 1.0 signatures', () => {
  it('ed25519 signatures equal python-tuf signatures over the same signed bytes', () => {
    const keysDir = join(VECTORS, 'plain/private-keys-test-only');
    const signers = readdirSync(keysDir).map((f) =>
      tuf1Signer(signerFromKeyObject(createPrivateKey(readFileSync(join(keysDir, f))))),
    );
    const metaDir = join(VECTORS, 'plain/metadata');
    for (const f of readdirSync(metaDir)) {
      const env = JSON.parse(readFileSync(join(metaDir, f), 'utf8'));
      const [sig] = env.signatures;
      const signer = signers.find((s) => s.key.keyid === sig.keyid);
      expect(signer, f).toBeDefined();
      expect(Buffer.from(signer!.sign(olpcCanonicalBytes(env.signed))).toString('hex')).toBe(sig.sig);
    }
  });

  it.each([
    ['ecdsa P-256', () => generateSigner('ecdsa'), 'ecdsa-sha2-nistp256', 'sha256'],
    ['ecdsa P-384', () => generateSigner('ecdsa', { curve: 'P-384' }), 'ecdsa-sha2-nistp384', 'sha384'],
    ['rsa', () => generateSigner('rsa'), 'rsassa-pss-sha256', 'sha256'],
  ] as const)('%s signs in the securesystemslib form (DER / PSS)', (_n, gen, scheme, hash) => {
    const s = tuf1Signer(gen());
    expect(s.key.scheme).toBe(scheme);
    const msg = new TextEncoder().encode('{"a":1}');
    const sig = s.sign(msg);
    const key = createPublicKey(s.key.public);
    if (s.key.keytype === 'ecdsa') {
      expect(sig[0]).toBe(0x30); // DER SEQUENCE, not raw r||s
      expect(verify(hash, msg, { key, dsaEncoding: 'der' }, sig)).toBe(true);
    } else {
      expect(verify(hash, msg, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)).toBe(
        true,
      );
    }
  });

  it('maps a TUF 1.0 key back to the key file id of the trust dir', () => {
    for (const h of [generateSigner('ed25519'), generateSigner('ecdsa'), generateSigner('rsa')]) {
      expect(notaryKeyIdOf(tuf1KeyOf(h))).toBe(h.publicKey.id);
    }
    expect(notaryKeyIdOf({ keytype: 'ed25519', public: 'zz' })).toBeUndefined();
    expect(notaryKeyIdOf({ keytype: 'ecdsa', public: 'not pem' })).toBeUndefined();
  });

  it('refuses curves python-tuf cannot verify for us', () => {
    const p521 = signerFromKeyObject(generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey);
    expect(() => tuf1KeyOf(p521)).toThrow(/P-256 and P-384/);
  });
});
