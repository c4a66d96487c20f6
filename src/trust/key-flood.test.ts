/**
 * Issue 8 ("every limit as a deadline"): a hostile keys map costs little and is bounded. Keys of a
 * metadata keys map are parsed lazily (only listed keys that carry a signature are prepared, and
 * checking stops at the threshold); keys maps, key id lists and signature lists are capped
 * (Limits.maxKeys / maxSignatures, TOO_LARGE). CPU bounds are generous (the fixed code spends a few
 * ms; 0.1.0 parsed every certificate up front, ~0.8 ms each).
 */

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { envelope, Forge, type JsonObject, keyIdOf, type TestKey } from '../../test/support/forge.js';
import { Deadline } from '../context/context.js';
import { parsePublicKeyDeferred, preparedKey } from '../crypto/keys.js';
import { generateSigner } from '../crypto/signers.js';
import { createRootCertificate } from '../crypto/x509.js';
import { TrustError } from '../errors.js';
import { parseRoot } from '../metadata/parse.js';
import { parseTuf1 } from '../metadata/tuf1.js';
import { TrustedMetadataSet, type TrustPolicy } from './trusted-set.js';

/** `n` distinct ecdsa-x509 keys (certificates with distinct serials over one P-256 key). */
function floodKeys(n: number, gun: string): { id: string; json: JsonObject }[] {
  const signer = generateSigner('ecdsa');
  const out: { id: string; json: JsonObject }[] = [];
  for (let i = 0; i < n; i++) {
    const pem = createRootCertificate(signer, gun, { serial: BigInt(i + 1) });
    const b64 = Buffer.from(pem, 'latin1').toString('base64');
    out.push({
      id: keyIdOf('ecdsa-x509', b64),
      json: { keytype: 'ecdsa-x509', keyval: { private: null, public: b64 } },
    });
  }
  return out;
}

const bogus = (keyid: string) => ({ keyid, method: 'ecdsa', sig: randomBytes(64).toString('base64') });

/** CPU ms (user + system) spent by `f`, and what it threw (or undefined). */
function cpu(f: () => unknown): { ms: number; error: unknown } {
  const t0 = process.cpuUsage();
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  const d = process.cpuUsage(t0);
  return { ms: (d.user + d.system) / 1000, error };
}

/**
 * A root listing `flood` extra x509 keys for the root role; signatures: the real root key's (when
 * `valid`) first, then a bogus one from each of the first `bogusFrom` flood keys.
 */
function floodedRoot(n: number, opts: { valid: boolean; bogusFrom: number; threshold?: number }) {
  const forge = new Forge(`example.com/flood/${randomBytes(4).toString('hex')}`);
  const keys = floodKeys(n, forge.gun);
  for (const k of keys) forge.extraRootKeys[k.id] = k.json;
  const rootKey = forge.keys.root[0] as TestKey;
  const files = forge.build({
    edit: {
      root: (body) => {
        const roles = body.roles as Record<string, { keyids: string[]; threshold: number }>;
        roles.root!.keyids.push(...keys.map((k) => k.id));
        if (opts.threshold) roles.root!.threshold = opts.threshold;
      },
    },
    signatures: {
      root: (body) => [
        ...(opts.valid ? [rootKey.signature(body)] : []),
        ...keys.slice(0, opts.bogusFrom).map((k) => bogus(k.id)),
      ],
    },
  });
  const policy: TrustPolicy = { gun: forge.gun };
  return { forge, files, policy, keys };
}

describe('hostile keys maps (issue 8)', () => {
  it('refuses a root with 3,000 ecdsa-x509 keys and bogus signatures fast (TOO_LARGE, before any key is parsed)', () => {
    const { files, policy } = floodedRoot(3000, { valid: false, bogusFrom: 8 });
    // ~2.8 MB here (the updater's maxRootBytes, 2 MiB, would stop it first; the check below is the
    // parse itself, as for a document within the byte caps)
    const r = cpu(() => TrustedMetadataSet.fromRoot(files.root!, policy, 'first-use'));
    expect(r.ms).toBeLessThan(500); // 0.1.0: ~2 s (every certificate parsed)
    expect(r.error).toBeInstanceOf(TrustError);
    expect((r.error as TrustError).code).toBe('TOO_LARGE');
    // with the cap raised, laziness alone keeps it cheap: only the 8 keys that signed are parsed
    const raised = cpu(() =>
      TrustedMetadataSet.fromRoot(files.root!, { ...policy, maxKeys: 4096 }, 'first-use'),
    );
    expect((raised.error as TrustError).code).toBe('UNTRUSTED_ROOT');
    expect(raised.ms).toBeLessThan(500);
  });

  it('under the cap, parses only the keys that signed: 1,020 listed certificates, refused fast', () => {
    const { files, policy } = floodedRoot(1020, { valid: false, bogusFrom: 2 });
    const r = cpu(() => TrustedMetadataSet.fromRoot(files.root!, policy, 'first-use'));
    expect(r.error).toBeInstanceOf(TrustError);
    expect((r.error as TrustError).code).toBe('UNTRUSTED_ROOT');
    expect(r.ms).toBeLessThan(500); // 0.1.0: ~0.8 s
  });

  it('a valid root among 1,020 listed certificates verifies and stops at the threshold', () => {
    const { files, policy } = floodedRoot(1020, { valid: true, bogusFrom: 1020 });
    const r = cpu(() => TrustedMetadataSet.fromRoot(files.root!, policy, 'first-use'));
    expect(r.error).toBeUndefined();
    expect(r.ms).toBeLessThan(500); // 0.1.0: ~0.8 s + 1,020 bogus verifications
  });

  it('1,020 listed certificates that all signed (worst case under the caps): the deadline stops the checks', () => {
    // each signed key is parsed, its certificate checked and its signature verified (~2 ms each)
    const { files, policy } = floodedRoot(1020, { valid: false, bogusFrom: 1020 });
    const deadline = new Deadline(100);
    const r = cpu(() => TrustedMetadataSet.fromRoot(files.root!, policy, 'first-use', { deadline }));
    expect((r.error as TrustError).code).toBe('TIMEOUT');
    expect(r.ms).toBeLessThan(1000); // 0.1.0: no deadline inside the check, ~2 s
  });

  it('an unusable listed key that signed does not void the document nor throw out of the check', () => {
    const { forge, files: good } = floodedRoot(0, { valid: true, bogusFrom: 0 });
    const junk = {
      keytype: 'ecdsa-x509',
      keyval: { private: null, public: Buffer.from('not a cert').toString('base64') },
    };
    const junkId = keyIdOf('ecdsa-x509', junk.keyval.public);
    forge.extraRootKeys[junkId] = junk;
    forge.bump('root');
    const rootKey = forge.keys.root[0] as TestKey;
    const build = (threshold: number) =>
      forge.build({
        edit: {
          root: (body) => {
            const roles = body.roles as Record<string, { keyids: string[]; threshold: number }>;
            roles.root!.keyids.unshift(junkId);
            roles.root!.threshold = threshold;
          },
        },
        signatures: { root: (body) => [bogus(junkId), rootKey.signature(body)] },
      }).root!;
    const policy: TrustPolicy = { gun: forge.gun };
    expect(good.root).toBeDefined();
    expect(TrustedMetadataSet.fromRoot(build(1), policy, 'first-use').root.version).toBe(2);
    // threshold 2: the unusable key never counts, and the failure is a verification error
    let err: unknown;
    try {
      TrustedMetadataSet.fromRoot(build(2), policy, 'first-use');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe('UNTRUSTED_ROOT');
    expect((err as TrustError).message).toMatch(/threshold/);
  });

  it('TOO_LARGE above the caps on keys, key ids and signatures (checked before any key is parsed)', () => {
    const { files } = floodedRoot(6, { valid: true, bogusFrom: 6 });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof TrustError ? e.code : String(e);
      }
      return 'accepted';
    };
    // 10 keys in the map (4 roles + 6), 7 root key ids, 7 signatures
    expect(code(() => parseRoot(files.root!, { maxKeys: 9 }))).toBe('TOO_LARGE');
    expect(code(() => parseRoot(files.root!, { maxKeys: 10, maxSignatures: 7 }))).toBe('accepted');
    expect(code(() => parseRoot(files.root!, { maxKeys: 10, maxSignatures: 6 }))).toBe('TOO_LARGE');
    // key ids per role: a role listing more ids than maxKeys (keys map within the cap)
    const body = JSON.parse(Buffer.from(files.root!).toString()).signed as JsonObject;
    const roles = body.roles as Record<string, { keyids: string[] }>;
    const ids = Object.keys(body.keys as object);
    roles.root!.keyids = [...ids, ...ids];
    const dup = envelope(body, []);
    expect(code(() => parseRoot(dup, { maxKeys: ids.length }))).toBe('TOO_LARGE');
    expect(code(() => parseRoot(dup, { maxKeys: 2 * ids.length }))).toBe('accepted');
  });

  it('the TUF 1.0 dialect caps signatures per envelope too (TOO_LARGE before the body is read)', () => {
    const sigs = Array.from({ length: 3 }, (_, i) => ({ keyid: `${i}`, sig: '00' }));
    const bytes = Buffer.from(JSON.stringify({ signed: {}, signatures: sigs }));
    let err: unknown;
    try {
      parseTuf1(bytes, 'timestamp', 'timestamp', { maxSignatures: 2 });
    } catch (e) {
      err = e;
    }
    expect((err as TrustError).code).toBe('TOO_LARGE');
  });

  it('defers preparing a key: parsing is cheap, first use throws BAD_KEY naming the role and key', () => {
    const json = {
      keytype: 'ecdsa-x509',
      keyval: { private: null, public: Buffer.from('junk').toString('base64') },
    };
    const key = parsePublicKeyDeferred(json, { role: 'root', keyId: 'abc' });
    expect(key.id).toBe(keyIdOf('ecdsa-x509', json.keyval.public)); // Notary's key id, unchanged
    let err: unknown;
    try {
      preparedKey(key);
    } catch (e) {
      err = e;
    }
    expect((err as TrustError).code).toBe('BAD_KEY');
    expect((err as TrustError).message).toMatch(/role root key abc/);
    expect(() => preparedKey(key)).toThrow(err as Error); // the failure is remembered
  });
});
