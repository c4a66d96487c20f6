import { describe, expect, it } from 'vitest';
import { parsePublicKeyDeferred } from '../crypto/keys.js';
import { generateSigner } from '../crypto/signers.js';
import { keyIdentity, prepareKeys } from './signatures.js';

describe('prepareKeys', () => {
  it('gives each key the identity a signature check computes, and passes over missing and unusable keys', () => {
    const ecdsa = generateSigner('ecdsa').publicKey;
    const ed = generateSigner('ed25519').publicKey;
    // listed in metadata: parsed, not prepared (prepared on first use)
    const deferred = parsePublicKeyDeferred({ keytype: ecdsa.keytype, keyval: { public: ecdsa.publicB64 } });
    const broken = parsePublicKeyDeferred({
      keytype: 'ecdsa',
      keyval: { public: Buffer.from('not a key').toString('base64') },
    });
    const keyIdentities = new Map<string, string>();
    prepareKeys([deferred, undefined, ed, broken], { keyIdentities });
    expect(keyIdentities.get(`ecdsa\u0000${ecdsa.publicB64}`)).toBe(keyIdentity(ecdsa));
    expect(keyIdentities.get(`ed25519\u0000${ed.publicB64}`)).toBe(keyIdentity(ed));
    expect(keyIdentity(deferred)).toBe(keyIdentity(ecdsa));
    expect(keyIdentities.get(`ecdsa\u0000${broken.publicB64}`)).toMatch(/^unusable:/);
    expect(keyIdentities.size).toBe(3);
  });
});
