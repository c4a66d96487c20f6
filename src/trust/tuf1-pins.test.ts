// TUF 1.0 root pins: a pinned key id counts only when the key it labels hashes to it and its
// signature on the root verifies; only pinned keys count towards the root threshold.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSigner } from '../crypto/signers.js';
import { TrustError } from '../errors.js';
import { tuf1KeyOf, tuf1Signer } from '../publish/tuf1/keys.js';
import { Tuf1Writer } from '../publish/tuf1/writer.js';
import { checkTuf1RootGun, checkTuf1RootPinned, TUF1_ROOT_GUN_FIELD } from './tuf1-pins.js';

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

describe('checkTuf1RootGun: a root is bound to the GUN it names', () => {
  const roots = (repoGun: string | undefined) => {
    const keys = ['root', 'targets', 'snapshot', 'timestamp'].map(() =>
      tuf1Signer(generateSigner('ed25519')),
    );
    const [r, t, s, ts] = keys.map((x) => x.key);
    const w = Tuf1Writer.init({
      ...(repoGun !== undefined ? { gun: repoGun } : {}),
      keys: { root: [r!], targets: [t!], snapshot: [s!], timestamp: [ts!] },
    });
    const v1 = w.commit(keys, { now }).files.get('1.root.json')!;
    const again = Tuf1Writer.fromFiles(w.files());
    again.touchRoot();
    const v2 = again.commit(keys, { now }).files.get('2.root.json')!;
    return { v1, v2 };
  };

  it('the writer signs the GUN into root and keeps it in later versions', () => {
    const { v1, v2 } = roots(gun);
    for (const b of [v1, v2]) {
      expect(JSON.parse(new TextDecoder().decode(b)).signed[TUF1_ROOT_GUN_FIELD]).toBe(gun);
    }
    expect(code(() => checkTuf1RootGun(v1, gun))).toBeUndefined();
    expect(code(() => checkTuf1RootGun(v2, gun, v1))).toBeUndefined();
  });

  it("another repository's root, or a root dropping the binding, is refused", () => {
    const mine = roots(gun);
    const other = roots('localhost:5000/other');
    const legacy = roots(undefined);
    expect(code(() => checkTuf1RootGun(other.v1, gun))).toBe('UNTRUSTED_ROOT');
    expect(code(() => checkTuf1RootGun(other.v2, gun, mine.v1))).toBe('UNTRUSTED_ROOT');
    expect(code(() => checkTuf1RootGun(legacy.v2, gun, mine.v1))).toBe('UNTRUSTED_ROOT');
    // roots naming no GUN (python-tuf's, Docker's) stay accepted while the trusted one names none
    expect(code(() => checkTuf1RootGun(legacy.v1, gun))).toBeUndefined();
    expect(code(() => checkTuf1RootGun(legacy.v2, gun, legacy.v1))).toBeUndefined();
    // a legacy repository may start binding itself
    expect(code(() => checkTuf1RootGun(mine.v2, gun, legacy.v1))).toBeUndefined();
  });
});
