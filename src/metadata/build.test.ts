import { describe, expect, it } from 'vitest';
import { generateSigner } from '../crypto/signers.js';
import { verifySignature } from '../crypto/verify.js';
import { canonicalBytes } from '../encoding/canonical.js';
import { wireBytes } from '../encoding/wire.js';
import { signMetadata, targetMeta, targetsBody } from './build.js';
import { Metadata } from './model.js';

describe('signMetadata', () => {
  it('uploads the canonical text it signed: wire bytes equal a fresh encoding, signatures verify over it', () => {
    const signer = generateSigner('ed25519');
    // out of canonical order, as an edit leaves a targets map (a new tag appended at the end)
    const body = targetsBody(
      { v2: targetMeta(`sha256:${'b'.repeat(64)}`, 2), v1: targetMeta(`sha256:${'a'.repeat(64)}`, 1) },
      3,
      '2030-01-01T00:00:00Z',
    );
    const md = signMetadata('targets', body, [signer]);
    const message = canonicalBytes(body);
    expect(md.canonicalBytes()).toEqual(message);
    const fresh = new Metadata('targets', body, md.signatures);
    expect(Buffer.from(md.wireBytes()).toString()).toBe(Buffer.from(fresh.wireBytes()).toString());
    expect(Buffer.from(md.wireBytes()).toString()).toBe(
      Buffer.from(wireBytes(Buffer.from(message).toString(), md.signatures)).toString(),
    );
    const sig = Buffer.from(md.signatures[0]!.sig, 'base64');
    expect(verifySignature(signer.publicKey, md.signatures[0]!.method, sig, message)).toBe(true);
    expect(md.version).toBe(3);
    expect(md.expiresMs).toBe(Date.parse('2030-01-01T00:00:00Z'));
  });
});
