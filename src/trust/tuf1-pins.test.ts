// TUF 1.0 root pins: a pinned key id counts only when the key it labels hashes to it and its
// signature on the root verifies; only pinned keys count towards the root threshold.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSigner } from '../crypto/signers.js';
import { TrustError } from '../errors.js';
import { tuf1KeyOf, tuf1Signer } from '../publish/tuf1/keys.js';
import { Tuf1Writer } from '../publish/tuf1/writer.js';
import { checkTuf1RootPinned } from './tuf1-pins.js';

const now = Date.UTC(2026, 10, 1);
const gun = 'localhost:5000/app';

function code(f: () => void): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof TrustError) return e.code;
    throw e;
  }
}

/** 1.root.json of a repository with these root keys and threshold, signed by `signers`. */
function rootOf(
  rootKeys: ReturnType<typeof tuf1KeyOf>[],
  threshold: number,
  signers: ReturnType<typeof tuf1Signer>[],
) {
  const online = generateSigner('ed25519');
  const writer = Tuf1Writer.init({
    keys: {
      root: rootKeys,
      targets: [tuf1KeyOf(online)],
      snapshot: [tuf1KeyOf(online)],
      timestamp: [tuf1KeyOf(online)],
    },
    thresholds: { root: threshold },
  });
  return writer.commit([...signers, tuf1Signer(online)], { now }).files.get('1.root.json')!;
}

describe('checkTuf1RootPinned', () => {
  const pinned = generateSigner('ecdsa');
  const other = generateSigner('ed25519');
  const pinnedId = tuf1KeyOf(pinned).keyid;

  it('accepts a root signed by the pinned key', () => {
    expect(
      code(() => checkTuf1RootPinned(rootOf([tuf1KeyOf(pinned)], 1, [tuf1Signer(pinned)]), [pinnedId], gun)),
    ).toBe(undefined);
  });

  it('refuses a root that lists the pinned key id but is signed by another key only', () => {
    const root = rootOf([tuf1KeyOf(pinned), tuf1KeyOf(other)], 1, [tuf1Signer(other)]);
    expect(code(() => checkTuf1RootPinned(root, [pinnedId], gun))).toBe('PINNING');
  });

  it('refuses a pinned key id that labels other key material (the id is only a label)', () => {
    const forged = { ...tuf1KeyOf(other), keyid: pinnedId };
    const sign = tuf1Signer(other).sign;
    const root = rootOf([forged], 1, [{ key: forged, sign }]);
    expect(code(() => checkTuf1RootPinned(root, [pinnedId], gun))).toBe('PINNING');
  });

  it('counts only pinned keys towards the root threshold', () => {
    const root = rootOf([tuf1KeyOf(pinned), tuf1KeyOf(other)], 2, [tuf1Signer(pinned), tuf1Signer(other)]);
    expect(code(() => checkTuf1RootPinned(root, [pinnedId], gun))).toBe('PINNING');
    expect(code(() => checkTuf1RootPinned(root, [pinnedId, tuf1KeyOf(other).keyid], gun))).toBe(undefined);
  });

  it('refuses a root that does not list any pinned key', () => {
    const root = rootOf([tuf1KeyOf(other)], 1, [tuf1Signer(other)]);
    expect(code(() => checkTuf1RootPinned(root, [pinnedId], gun))).toBe('PINNING');
  });

  it("binds the key ids of real published roots (Docker's embedded roots, Sigstore's with legacy keytypes)", () => {
    const dir = join(import.meta.dirname, '../../vectors/tuf-published');
    for (const f of [
      'docker-tuf-roots/1.root.json',
      'docker-tuf-roots/1.root-staging.json',
      'sigstore-root-signing/metadata/4.root.json',
      'sigstore-root-signing/metadata/5.root.json',
      'sigstore-root-signing/metadata/15.root.json',
    ]) {
      const bytes = readFileSync(join(dir, f));
      const role = JSON.parse(bytes.toString('utf8')).signed.roles.root as {
        keyids: string[];
        threshold: number;
      };
      expect([f, code(() => checkTuf1RootPinned(bytes, role.keyids, gun))]).toEqual([f, undefined]);
      // fewer pinned keys than the threshold: not enough
      const few = role.keyids.slice(0, role.threshold - 1);
      if (few.length > 0) expect(code(() => checkTuf1RootPinned(bytes, few, gun))).toBe('PINNING');
    }
  });
});
