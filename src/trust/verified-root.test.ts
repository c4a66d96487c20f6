/**
 * The verified index and the cached root (issue 12): for the exact root bytes it records, the set
 * takes the recorded signers and, for certificates accepted for the same GUN, checks only their
 * validity window instead of parsing and validating them again. The window is still checked against
 * the clock; a record for another GUN, other bytes, or a window that fails means the full path.
 */

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Forge, newRootKey } from '../../test/support/forge.js';
import type { VerifiedEntry, VerifiedIndex } from '../storage/verified-index.js';
import { TrustedMetadataSet, type TrustPolicy, verifiedIndexOf } from './trusted-set.js';

const DAY = 24 * 3600_000;

/** A repository whose root certificate is valid 30 days (roles expire after a year), trusted once. */
function trustedOnce() {
  const forge = new Forge(`unit.example.com/root-index/${randomBytes(4).toString('hex')}`);
  forge.keys.root = [newRootKey(forge.gun, 30)];
  forge.tag('v1');
  const files = forge.build();
  const at = (ms: number): TrustPolicy => ({ gun: forge.gun, now: () => ms });
  const first = TrustedMetadataSet.fromRoot(files.root!, at(forge.baseMs), 'first-use');
  first.checkRootUsable();
  first.updateTimestamp(files.timestamp!);
  first.updateSnapshot(files.snapshot!);
  first.updateTargets(files.targets!);
  return { forge, files, at, index: verifiedIndexOf(first) };
}

function withRoot(index: VerifiedIndex, edit: (root: VerifiedEntry) => VerifiedEntry): VerifiedIndex {
  const files = new Map(index.files);
  files.set('root', edit(files.get('root')!));
  return { dialect: index.dialect, files };
}

/** The cached root under `index` at `policy`'s clock: fromRoot, then the usability check. */
function warmRoot(bytes: Uint8Array, policy: TrustPolicy, index: VerifiedIndex | null): string {
  try {
    TrustedMetadataSet.fromRoot(bytes, policy, 'cache', {}, undefined, index).checkRootUsable();
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe('verified index: the cached root', () => {
  it('records the signers of the root and the window of their certificates for this GUN', () => {
    const { forge, index } = trustedOnce();
    const root = index.files.get('root')!;
    expect(root.signers).toHaveLength(1);
    const cert = root.certificates?.[root.signers![0]!];
    expect(cert?.gun).toBe(forge.gun);
    // openssl stamps notBefore with its own clock, in whole seconds, around the forge's start
    expect(Math.abs(cert!.notBefore - forge.baseMs)).toBeLessThan(60_000);
    expect(cert!.notAfter).toBeGreaterThan(forge.baseMs + 29 * DAY);
    expect(cert!.notAfter).toBeLessThan(forge.baseMs + 31 * DAY);
  });

  it('checks the recorded window against the clock: an expired certificate is refused on the index path too', () => {
    const { forge, files, at, index } = trustedOnce();
    const later = at(forge.baseMs + 60 * DAY);
    expect(warmRoot(files.root!, at(forge.baseMs + DAY), index)).toBe('ok');
    expect(warmRoot(files.root!, later, null)).toBe('BAD_CERTIFICATE');
    expect(warmRoot(files.root!, later, index)).toBe('BAD_CERTIFICATE');
  });

  it('takes the window from the index for the exact root bytes and GUN only (no certificate parse), else the full path', () => {
    const { forge, files, at, index } = trustedOnce();
    const later = at(forge.baseMs + 60 * DAY);
    // an index whose record says the certificate is valid then: the record is what is checked (the
    // index is trusted like the cached root itself, which whoever writes the trust dir can replace)
    const wide = withRoot(index, (e) => ({
      ...e,
      certificates: Object.fromEntries(
        Object.entries(e.certificates!).map(([id, w]) => [id, { ...w, notAfter: forge.baseMs + 90 * DAY }]),
      ),
    }));
    expect(warmRoot(files.root!, later, wide)).toBe('ok');
    // ... but not when it was recorded for another GUN, or for other root bytes
    const otherGun = withRoot(wide, (e) => ({
      ...e,
      certificates: Object.fromEntries(
        Object.entries(e.certificates!).map(([id, w]) => [id, { ...w, gun: `${forge.gun}-other` }]),
      ),
    }));
    expect(warmRoot(files.root!, later, otherGun)).toBe('BAD_CERTIFICATE');
    const otherBytes = withRoot(wide, (e) => ({ ...e, sha256: 'ab'.repeat(32) }));
    expect(warmRoot(files.root!, later, otherBytes)).toBe('BAD_CERTIFICATE');
    // and never for a root on first use
    expect(() => TrustedMetadataSet.fromRoot(files.root!, later, 'first-use', {}, undefined, wide)).toThrow(
      expect.objectContaining({ code: 'UNTRUSTED_ROOT' }),
    );
  });
});

describe('verified index file: root certificate windows', () => {
  it('round-trips, and a malformed record makes the whole index unusable (full path)', async () => {
    const { encodeVerifiedIndex, parseVerifiedIndex } = await import('../storage/verified-index.js');
    const { index } = trustedOnce();
    const text = encodeVerifiedIndex(index);
    const back = parseVerifiedIndex(Buffer.from(text), 'notary');
    expect(back && encodeVerifiedIndex(back)).toBe(text);
    const doc = JSON.parse(text);
    const id = Object.keys(doc.files.root.certificates)[0] as string;
    for (const bad of [
      { __proto__: null, ['x'.repeat(64)]: doc.files.root.certificates[id] },
      { [id]: { ...doc.files.root.certificates[id], notAfter: '2030' } },
      { [id]: { ...doc.files.root.certificates[id], gun: 7 } },
      [doc.files.root.certificates[id]],
    ]) {
      const forged = { ...doc, files: { ...doc.files, root: { ...doc.files.root, certificates: bad } } };
      expect(parseVerifiedIndex(Buffer.from(JSON.stringify(forged)), 'notary')).toBeNull();
    }
    const proto = text.replace(`"certificates":{"${id}"`, `"certificates":{"__proto__"`);
    expect(proto).not.toBe(text);
    expect(parseVerifiedIndex(Buffer.from(proto), 'notary')).toBeNull();
  });
});
