/**
 * Real published TUF repositories (vectors/tuf-published/, see its README): the
 * Sigstore root of trust (15 root versions, three key encodings, empty
 * signatures, a delegated role) read through the TufUpdater over file://, with
 * the verdict python-tuf 5.1 gives for every starting root.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TufUpdater } from '../../src/client/tuf-updater.js';
import { TrustError } from '../../src/errors.js';
import { tempDir } from '../support/temp.js';

const SIGSTORE = join(import.meta.dirname, '../../vectors/tuf-published/sigstore-root-signing');
/** Inside the validity window of the published timestamp (expires 2026-08-28T19:25:56Z). */
const AUGUST_22 = Date.parse('2026-08-22T00:00:00Z');

function updaterFrom(start: number, opts: { repo?: string; now?: number } = {}) {
  const repo = opts.repo ?? SIGSTORE;
  const dir = tempDir('ct-published-');
  const metadataDir = join(dir, 'metadata');
  TufUpdater.init(metadataDir, new Uint8Array(readFileSync(join(repo, 'metadata', `${start}.root.json`))));
  return new TufUpdater({
    metadataDir,
    metadataBaseUrl: pathToFileURL(join(repo, 'metadata')).href,
    targetBaseUrl: pathToFileURL(join(repo, 'targets')).href,
    targetDir: join(dir, 'targets'),
    now: () => opts.now ?? AUGUST_22,
  });
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('Sigstore root-signing (real published repository)', () => {
  // python-tuf 5.1 accepts roots 5..15 as the trusted starting root and walks to 15 (vectors README).
  // Root 4 lists its keys hex-encoded (go-tuf's legacy `ecdsa-sha2-nistp256`): securesystemslib cannot
  // load those ("Unknown failure to verify signature"), go-tuf, which wrote them, can, and so do we:
  // the issue asks for hex ecdsa keys, and here real signatures over real bytes verify with them
  // through the 4 -> 5 rotation, where the key encoding changes to PEM.
  it.each([4, 5, 9, 12, 14, 15])(
    'from %i.root.json: walks to root 15, finds and downloads targets',
    async (start) => {
      const u = updaterFrom(start);
      await u.refresh();
      expect(u.trustedVersions()).toEqual({ root: 15, timestamp: 762, snapshot: 165, targets: 14 });
      const trusted = await u.getTargetInfo('trusted_root.json');
      expect(trusted).toMatchObject({
        length: 6787,
        hashes: { sha256: '6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66' },
      });
      const path = await u.downloadTarget(trusted!);
      expect(sha256(readFileSync(path))).toBe(trusted!.hashes.sha256);
      // delegated role registry.npmjs.org (8.registry.npmjs.org.json)
      const npm = await u.getTargetInfo('registry.npmjs.org/keys.json');
      expect(npm).toMatchObject({
        length: 2121,
        hashes: { sha256: '160677eb6e1c7083c89b166b20f8fe4e837fb71181506aff1991b80b89184f7d' },
      });
      expect(sha256(readFileSync(await u.downloadTarget(npm!)))).toBe(npm!.hashes.sha256);
      expect(await u.getTargetInfo('no-such-target')).toBeUndefined();
      await u.close();
    },
  );

  // Roots 1-3 carry `expires` outside the spec's format (fractional seconds, a -06:00 offset):
  // python-tuf refuses to deserialize them, and so do we (a parsing difference is an attack surface).
  it.each([1, 2, 3])(
    '%i.root.json (non-spec expires) is refused as a trusted root, as python-tuf does',
    (start) => {
      const err = (() => {
        try {
          updaterFrom(start);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(TrustError);
      expect((err as TrustError).code).toBe('BAD_METADATA');
    },
  );

  it('after the timestamp expired (2026-08-29) the same repository is EXPIRED', async () => {
    const u = updaterFrom(14, { now: Date.parse('2026-08-29T00:00:00Z') });
    await expect(u.refresh()).rejects.toMatchObject({ code: 'EXPIRED' });
  });

  it('one flipped byte in a served target is refused (length and sha256 from targets)', async () => {
    const repo = tempDir('ct-published-repo-');
    mkdirSync(join(repo, 'metadata'));
    mkdirSync(join(repo, 'targets'));
    for (const f of [
      '14.root.json',
      '15.root.json',
      'timestamp.json',
      '165.snapshot.json',
      '14.targets.json',
    ]) {
      copyFileSync(join(SIGSTORE, 'metadata', f), join(repo, 'metadata', f));
    }
    const name = '6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66.trusted_root.json';
    const bytes = readFileSync(join(SIGSTORE, 'targets', name));
    bytes[100] = bytes[100]! ^ 1;
    writeFileSync(join(repo, 'targets', name), bytes);
    const u = updaterFrom(14, { repo });
    await u.refresh();
    const info = await u.getTargetInfo('trusted_root.json');
    await expect(u.downloadTarget(info!)).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
  });

  it('a served snapshot one byte different from what the timestamp lists is refused', async () => {
    const repo = tempDir('ct-published-repo-');
    mkdirSync(join(repo, 'metadata'));
    for (const f of ['15.root.json', 'timestamp.json', '14.targets.json']) {
      copyFileSync(join(SIGSTORE, 'metadata', f), join(repo, 'metadata', f));
    }
    // the published timestamp lists no hashes for the snapshot, so a re-signed-looking tamper must
    // fail on the snapshot's own signatures
    const snap = readFileSync(join(SIGSTORE, 'metadata', '165.snapshot.json'), 'utf8');
    writeFileSync(
      join(repo, 'metadata', '165.snapshot.json'),
      snap.replace('"version": 14', '"version": 15'),
    );
    const u = updaterFrom(15, { repo });
    await expect(u.refresh()).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
  });
});

const DOCKER_ROOTS = join(import.meta.dirname, '../../vectors/tuf-published/docker-tuf-roots');

describe("Docker's TUF roots (docker/attest's embedded roots: production, staging, dev)", () => {
  it.each(['1.root.json', '1.root-staging.json', '1.root-dev.json'])(
    '%s is accepted as a trusted root (self-signed by its threshold, as python-tuf finds)',
    (file) => {
      const metadataDir = join(tempDir('ct-docker-root-'), 'metadata');
      TufUpdater.init(metadataDir, new Uint8Array(readFileSync(join(DOCKER_ROOTS, file))));
      expect(readFileSync(join(metadataDir, 'root.json'))).toEqual(readFileSync(join(DOCKER_ROOTS, file)));
    },
  );

  it('the production root with one signed byte changed is refused', () => {
    const text = readFileSync(join(DOCKER_ROOTS, '1.root.json'), 'utf8');
    const tampered = text.replace('"consistent_snapshot": true', '"consistent_snapshot": false');
    expect(tampered).not.toBe(text);
    const metadataDir = join(tempDir('ct-docker-root-'), 'metadata');
    expect(() => TufUpdater.init(metadataDir, new TextEncoder().encode(tampered))).toThrow(
      expect.objectContaining({ code: 'BAD_SIGNATURE' }),
    );
  });
});
