import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigner } from '../../crypto/signers.js';
import { KeyStore } from '../../keys/keystore.js';
import { staticPassphraseProvider } from '../../keys/passphrase.js';
import {
  openTuf1Repository,
  readTuf1Files,
  tuf1KeyEntries,
  tuf1SignersFromKeyStore,
  writeTuf1Files,
  writeTuf1TargetFile,
} from './fs.js';
import { tuf1KeyOf, tuf1Signer } from './keys.js';
import { Tuf1Writer } from './writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tuf1-fs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NOW = Date.UTC(2026, 10, 29);

function repo() {
  const signers = [0, 1, 2, 3].map(() => tuf1Signer(generateSigner('ed25519')));
  const [root, targets, snapshot, timestamp] = signers.map((s) => [s.key]) as [never, never, never, never];
  return { w: Tuf1Writer.init({ keys: { root, targets, snapshot, timestamp } }), signers };
}

describe('TUF 1.0 repository directory', () => {
  it('writes metadata/ and targets/ in the layout clients read, and reopens it', async () => {
    const { w, signers } = repo();
    const info = await writeTuf1TargetFile(dir, 'a/b.txt', new TextEncoder().encode('hello'));
    const sha = createHash('sha256').update('hello').digest('hex');
    expect(info).toEqual({ length: 5, hashes: { sha256: sha } });
    expect(await readFile(join(dir, 'targets/a', `${sha}.b.txt`), 'utf8')).toBe('hello');
    w.addTarget('a/b.txt', info);
    w.addDelegation({ name: 'targets/releases', keys: [signers[1]!.key], paths: ['*'] });
    await writeTuf1Files(dir, w.commit(signers, { now: NOW }).files);
    expect((await readdir(join(dir, 'metadata'))).sort()).toEqual([
      '1.root.json',
      '1.snapshot.json',
      '1.targets%2Freleases.json',
      '1.targets.json',
      'timestamp.json',
    ]);
    expect((await stat(join(dir, 'metadata/timestamp.json'))).mode & 0o777).toBe(0o644);
    const reopened = await openTuf1Repository(dir);
    expect(reopened.targetsOf().targets['a/b.txt']).toEqual(info);
    expect(reopened.targetsRoles.sort()).toEqual(['targets', 'targets/releases']);
    reopened.addTarget('c', info);
    await writeTuf1Files(dir, reopened.commit(signers, { now: NOW }).files);
    expect(await readTuf1Files(dir)).toEqual(new Map([...w.files(), ...reopened.files()]));
    await expect(writeTuf1TargetFile(dir, '../x', new Uint8Array())).rejects.toThrow(/relative/);
  });

  it('never overwrites a versioned file with other bytes (a concurrent writer): CONFLICT, timestamp untouched', async () => {
    const a = repo();
    await writeTuf1Files(dir, a.w.commit(a.signers, { now: NOW }).files);
    const before = await readFile(join(dir, 'metadata/timestamp.json'));
    // a second, unrelated writer produces other bytes under the same versioned names
    const b = repo();
    await expect(writeTuf1Files(dir, b.w.commit(b.signers, { now: NOW }).files)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(await readFile(join(dir, 'metadata/timestamp.json'))).toEqual(before);
    // the same bytes again are fine (an interrupted write being retried)
    await writeTuf1Files(dir, a.w.files());
  });

  it('consistent_snapshot false: unversioned files replaced by each commit, roots versioned, plain target files', async () => {
    const signers = [0, 1, 2, 3].map(() => tuf1Signer(generateSigner('ed25519')));
    const [root, targets, snapshot, timestamp] = signers.map((s) => [s.key]) as [never, never, never, never];
    const w = Tuf1Writer.init({ keys: { root, targets, snapshot, timestamp }, consistentSnapshot: false });
    const info = await writeTuf1TargetFile(dir, 'a/b.txt', new TextEncoder().encode('hello'), {
      consistentSnapshot: false,
    });
    expect(await readFile(join(dir, 'targets/a/b.txt'), 'utf8')).toBe('hello');
    w.addTarget('a/b.txt', info);
    await writeTuf1Files(dir, w.commit(signers, { now: NOW }).files);
    const names = async () => (await readdir(join(dir, 'metadata'))).sort();
    expect(await names()).toEqual(['1.root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    const reopened = await openTuf1Repository(dir);
    reopened.addTarget('c', info);
    reopened.touchRoot();
    // 0.1.0: CONFLICT (every name but timestamp.json was treated as never-overwritten)
    await writeTuf1Files(dir, reopened.commit(signers, { now: NOW }).files);
    expect(await names()).toEqual([
      '1.root.json',
      '2.root.json',
      'snapshot.json',
      'targets.json',
      'timestamp.json',
    ]);
    const again = await openTuf1Repository(dir);
    expect(Object.keys(again.targetsOf().targets).sort()).toEqual(['a/b.txt', 'c']);
    expect(again.root.version).toBe(2);
  });

  it('refuses file names outside the metadata layout', async () => {
    await expect(writeTuf1Files(dir, new Map([['../evil.json', new Uint8Array()]]))).rejects.toThrow(
      /refusing/,
    );
    await writeFile(join(dir, 'x'), '');
    await expect(openTuf1Repository(join(dir, 'nothing-here'))).rejects.toMatchObject({ code: 'IO' });
  });

  it('signs with keys from the trust dir key store (encrypted as every key we write)', async () => {
    const store = new KeyStore(join(dir, 'trust'), {
      passphrase: staticPassphraseProvider('pw'),
      iterations: 1000,
    });
    const handles = [
      generateSigner('ecdsa'),
      generateSigner('ed25519'),
      generateSigner('rsa'),
      generateSigner('ecdsa'),
    ];
    for (const [i, h] of handles.entries())
      await store.add(h, { role: ['root', 'targets', 'snapshot', 'timestamp'][i]! });
    const keys = handles.map((h) => [tuf1KeyOf(h)]) as [never, never, never, never];
    const w = Tuf1Writer.init({
      keys: { root: keys[0], targets: keys[1], snapshot: keys[2], timestamp: keys[3] },
    });
    const fresh = new KeyStore(join(dir, 'trust'), { passphrase: staticPassphraseProvider('pw') });
    const signers = await tuf1SignersFromKeyStore(fresh, tuf1KeyEntries(w));
    expect(signers.map((s) => s.key.keyid).sort()).toEqual(handles.map((h) => tuf1KeyOf(h).keyid).sort());
    expect(w.commit(signers, { now: NOW }).signed.get('root')).toBe(1);
    const other = await tuf1SignersFromKeyStore(new KeyStore(join(dir, 'empty')), tuf1KeyEntries(w));
    expect(other).toEqual([]);
  });
});
