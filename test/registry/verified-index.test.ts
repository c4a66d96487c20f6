// The verified index on the registry-hosted path (issue 12), over the real docker-registry: a warm
// verify of an unchanged repository verifies no signature and rewrites no index (the same trusted-set
// machinery as the Notary path: storage/verified-index.ts, TrustedMetadataSet.useVerifiedIndex), while
// cached bytes the index does not record byte for byte, or an index written under another root, are
// verified again, and versions, rollback and expiry are still checked on every verify.
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyRegistry } from '../../src/client/registry-verify.js';
import { TrustContext } from '../../src/context/context.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { generateKey } from '../../src/publish/keys.js';
import {
  initRegistryRepository,
  type RegistryPublishOptions,
  signRegistryTags,
} from '../../src/publish/registry.js';
import { addRegistrySigner } from '../../src/publish/registry-admin.js';
import { VERIFIED_INDEX_FILE } from '../../src/storage/verified-index.js';
import { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import { OCI_MANIFEST_MEDIA_TYPE } from '../../src/transport/oci/layout.js';
import { freshGun, getLab, type LabInfo, tempDir } from '../harness/lab.js';
import { rejection } from '../support/rejection.js';

const passphrase = staticPassphraseProvider('index-pass');
const digestOf = (c: string) => `sha256:${c.repeat(64)}`;
const DAY = 86_400_000;

function options(trustDir: string): RegistryPublishOptions {
  return { trustDir, server: 'registry', passphrase, keyIterations: 1000, credentials: null, settleMs: 0 };
}

/** A repository with tag v1 in `targets`; with `releases`, tag r1 in targets/releases (Docker's layout). */
async function repository(lab: LabInfo, prefix: string, releases = false) {
  const gun = freshGun(lab, prefix);
  const admin = tempDir();
  await initRegistryRepository(gun, options(admin));
  await signRegistryTags([{ reference: `${gun}:v1`, digest: digestOf('1'), size: 1 }], options(admin));
  if (releases) {
    // the signer's key where the admin's are: targets/releases is created signed by it
    const k = await generateKey('alice', { ...options(admin), dir: admin });
    await addRegistrySigner('alice', readFileSync(k.publicKeyPath, 'utf8'), gun, options(admin));
    await signRegistryTags([{ reference: `${gun}:r1`, digest: digestOf('2'), size: 2 }], options(admin));
    expect((await new KeyStore(admin, { passphrase }).find()).some((x) => x.role === 'alice')).toBe(true);
  }
  return { gun, admin, repo: gun.slice(lab.registryHost.length + 1) };
}

/** One verify with a fresh context: the result and the number of signature checks it made. */
async function verifyCounting(gun: string, tag: string, trustDir: string, now?: () => number) {
  const context = new TrustContext();
  const result = await verifyRegistry(`${gun}:${tag}`, {
    trustDir,
    server: 'registry',
    context,
    ...(now ? { now } : {}),
  });
  return { result, verdicts: context.verdicts.size };
}

const metadataDir = (trustDir: string, gun: string) => join(trustDir, 'tuf', gun, 'metadata');
const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The cached timestamp with a higher version spelled in as many bytes, its signature kept (so invalid). */
function forgeSameLength(bytes: Buffer): Buffer {
  const text = bytes.toString('utf8');
  const m = /"version":([0-8])\b/.exec(text.slice(text.indexOf('"signed"')));
  if (!m) throw new Error('no one-digit version to bump');
  const at = text.indexOf('"signed"') + m.index;
  const forged = `${text.slice(0, at)}"version":9${text.slice(at + m[0].length)}`;
  expect(forged.length).toBe(text.length);
  return Buffer.from(forged);
}

describe('verified index on the registry-hosted path (real registry)', () => {
  it('a warm verify of an unchanged repository verifies no signature and leaves the index as it is, targets/releases included', async () => {
    const lab = getLab('remote');
    const { gun } = await repository(lab, 'index-warm', true);
    const trustDir = tempDir();
    const cold = await verifyCounting(gun, 'r1', trustDir);
    expect(cold.result).toMatchObject({ digest: digestOf('2'), role: 'targets/releases' });
    expect(cold.verdicts).toBeGreaterThanOrEqual(5); // root, timestamp, snapshot, targets, releases
    const indexPath = join(metadataDir(trustDir, gun), VERIFIED_INDEX_FILE);
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));
    expect(Object.keys(index.files).sort()).toEqual([
      'root',
      'snapshot',
      'targets',
      'targets/releases',
      'timestamp',
    ]);
    const before = statSync(indexPath);
    for (const tag of ['r1', 'v1', 'r1']) {
      const warm = await verifyCounting(gun, tag, trustDir);
      expect(warm.result.digest).toBe(tag === 'r1' ? digestOf('2') : digestOf('1'));
      expect(warm.verdicts).toBe(0);
    }
    // not rewritten (an atomic rewrite is a new inode), not even with the same bytes
    const after = statSync(indexPath);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    // a tag signed nowhere is still not signed
    expect((await rejection(verifyCounting(gun, 'nope', trustDir))).code).toBe('NOT_SIGNED');
  });

  it('a cached timestamp tampered with in place (same length, higher version) is verified again, not taken as a floor', async () => {
    const lab = getLab('remote');
    const { gun } = await repository(lab, 'index-tamper');
    const trustDir = tempDir();
    await verifyCounting(gun, 'v1', trustDir);
    const path = join(metadataDir(trustDir, gun), 'timestamp.json');
    const genuine = readFileSync(path);
    writeFileSync(path, forgeSameLength(genuine));
    const warm = await verifyCounting(gun, 'v1', trustDir);
    expect(warm.result.digest).toBe(digestOf('1'));
    expect(warm.verdicts).toBeGreaterThan(0); // the forged copy was checked (and gave no floor)
    expect(readFileSync(path)).toEqual(genuine); // the server's timestamp is cached again
    expect((await verifyCounting(gun, 'v1', trustDir)).verdicts).toBe(0);
  });

  it('cached targets tampered with in place (same length) are refused by the snapshot and fetched again', async () => {
    const lab = getLab('remote');
    const { gun } = await repository(lab, 'index-targets');
    const trustDir = tempDir();
    await verifyCounting(gun, 'v1', trustDir);
    const path = join(metadataDir(trustDir, gun), 'targets.json');
    const genuine = readFileSync(path);
    const forged = Buffer.from(genuine.toString('utf8').replace('1'.repeat(64), 'f'.repeat(64)));
    expect(forged.length).toBe(genuine.length);
    expect(forged.equals(genuine)).toBe(false);
    writeFileSync(path, forged);
    expect((await verifyCounting(gun, 'v1', trustDir)).result.digest).toBe(digestOf('1'));
    expect(readFileSync(path)).toEqual(genuine);
  });

  it('an index written under another root vouches for nothing, even for cached bytes it records', async () => {
    const lab = getLab('remote');
    const a = await repository(lab, 'index-root-a');
    const b = await repository(lab, 'index-root-b');
    const dirA = tempDir();
    const dirB = tempDir();
    await verifyCounting(a.gun, 'v1', dirA);
    await verifyCounting(b.gun, 'v1', dirB);
    const mdA = metadataDir(dirA, a.gun);
    // A's cache: a forged timestamp (higher version, invalid signature) that A's index records with
    // A's timestamp signer, but the index's root entry is B's root
    const forged = forgeSameLength(readFileSync(join(mdA, 'timestamp.json')));
    writeFileSync(join(mdA, 'timestamp.json'), forged);
    const index = JSON.parse(readFileSync(join(mdA, VERIFIED_INDEX_FILE), 'utf8'));
    const indexB = JSON.parse(readFileSync(join(metadataDir(dirB, b.gun), VERIFIED_INDEX_FILE), 'utf8'));
    index.files.timestamp.sha256 = sha256Hex(forged);
    index.files.root = indexB.files.root;
    writeFileSync(join(mdA, VERIFIED_INDEX_FILE), JSON.stringify(index));
    const warm = await verifyCounting(a.gun, 'v1', dirA);
    expect(warm.result.digest).toBe(digestOf('1'));
    expect(warm.verdicts).toBeGreaterThanOrEqual(3); // root, the forged and the served timestamp, snapshot...
    expect((await verifyCounting(a.gun, 'v1', dirA)).verdicts).toBe(0); // the index rewritten from A's state
  });

  it('on the index path, a rolled-back timestamp is ROLLBACK and an expired one EXPIRED', async () => {
    const lab = getLab('remote');
    const { gun, admin, repo } = await repository(lab, 'index-rollback');
    const client = new OciRegistryClient({ registry: lab.registryHost });
    const old = await client.getManifest(repo, 'tuf-metadata');
    if (old.status !== 'ok') throw new Error('no manifest');
    await signRegistryTags([{ reference: `${gun}:v2`, digest: digestOf('3'), size: 3 }], options(admin));
    const trustDir = tempDir();
    await verifyCounting(gun, 'v2', trustDir);
    expect((await verifyCounting(gun, 'v2', trustDir)).verdicts).toBe(0);
    // expiry is checked against the clock even when nothing is verified again
    const late = Date.now() + 3660 * DAY;
    expect((await rejection(verifyCounting(gun, 'v2', trustDir, () => late))).code).toBe('EXPIRED');
    await client.putManifest(repo, 'tuf-metadata', old.manifest.bytes, OCI_MANIFEST_MEDIA_TYPE);
    expect((await rejection(verifyCounting(gun, 'v1', trustDir))).code).toBe('ROLLBACK');
  });
});
