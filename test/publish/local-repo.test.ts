/**
 * Local-only repositories (`--server file:///dir`, FileStore): the same
 * workflows with no trust server. The publisher holds snapshot and timestamp
 * keys; consumers verify with the library's verify() from a fresh trust dir
 * and from a warm one (which must follow every rotation, root included).
 */

import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { delegationRole } from '../../src/metadata/build.js';
import { editableTargets, mutate } from '../../src/publish/repository.js';
import {
  addSigner,
  generateKey,
  initRepository,
  loadKey,
  removeSigner,
  revokeTag,
  rotateKey,
  signableRoles,
  signTags,
} from '../../src/publish/workflows.js';
import { FileStore } from '../../src/transport/file-store.js';
import { tempDir } from '../harness/lab.js';

const GUN = 'registry.example.com/team/app';
const digestOf = (c: string) => `sha256:${c.repeat(64)}`;

function setup() {
  const root = tempDir();
  const server = pathToFileURL(join(root, 'server')).href;
  const opts = (trustDir: string) => ({
    server,
    trustDir,
    passphrase: staticPassphraseProvider('local-repo-passphrase'),
    keyIterations: 1000,
  });
  const tufDir = join(root, 'server', ...GUN.split('/'), '_trust', 'tuf');
  return { root, server, opts, tufDir };
}

/** Copies the publisher-held snapshot and timestamp key files of a local repository to another trust dir. */
async function shareServerKeys(from: string, to: string): Promise<void> {
  const store = new KeyStore(from, { passphrase: staticPassphraseProvider('unused') });
  mkdirSync(join(to, 'private'), { recursive: true, mode: 0o700 });
  for (const role of ['snapshot', 'timestamp']) {
    for (const k of await store.find({ role })) copyFileSync(k.path, join(to, 'private', `${k.keyId}.key`));
  }
}

describe('local repositories (file:// trust server)', () => {
  it('init, sign, delegate, revoke and every rotation; fresh and warm consumers keep verifying', async () => {
    const { server, opts, tufDir } = setup();
    const admin = opts(tempDir());
    const init = await initRepository(GUN, admin);
    expect(init.serverManagedSnapshot).toBe(false);
    // publisher-held snapshot and timestamp keys, all files 0600 in private/
    const priv = join(admin.trustDir, 'private');
    const keyFiles = readdirSync(priv).filter((f) => f.endsWith('.key'));
    expect(keyFiles).toHaveLength(4);
    for (const f of keyFiles) expect(statSync(join(priv, f)).mode & 0o777).toBe(0o600);
    // the root key file is named by the bare key id, root.json lists the certificate's id
    const root1 = JSON.parse(readFileSync(join(tufDir, 'root.json'), 'utf8'));
    expect(root1.signed.roles.root.keyids).toEqual([init.rootKeyId]);
    expect(keyFiles).not.toContain(`${init.rootKeyId}.key`);
    expect(root1.signed.keys[init.rootKeyId].keytype).toBe('ecdsa-x509');

    const warm = { server, trustDir: tempDir() };
    const fresh = () => ({ server, trustDir: tempDir() });
    const expectSigned = async (tag: string, digest: string, role = 'targets') => {
      for (const o of [warm, fresh()]) {
        const v = await verify(`${GUN}:${tag}`, o);
        expect(v.digest).toBe(digest);
        expect(v.role).toBe(role);
      }
    };

    // many tags, one publish: one new targets version, one new snapshot, one new timestamp
    const many = Array.from({ length: 50 }, (_, i) => ({
      reference: `${GUN}:t${i}`,
      digest: digestOf('a'),
      size: 100 + i,
    }));
    // the root key stays offline: signing never asks for its passphrase
    const asked = new Set<string>();
    const signed = await signTags(many, {
      ...admin,
      passphrase: async (req) => {
        asked.add(req.role);
        if (req.role === 'root') throw new Error('the root key must not be unlocked to sign');
        return 'local-repo-passphrase';
      },
    });
    expect([...asked].sort()).toEqual(['snapshot', 'targets', 'timestamp']);
    expect(signed).toHaveLength(50);
    expect(signed.every((s) => s.roles.join() === 'targets')).toBe(true);
    for (const role of ['targets', 'snapshot', 'timestamp']) {
      expect(JSON.parse(readFileSync(join(tufDir, `${role}.json`), 'utf8')).signed.version, role).toBe(2);
    }
    await expectSigned('t7', digestOf('a'));
    expect((await verify(`${GUN}:t49`, warm)).size).toBe(149);

    // a signer: key generated in her own trust dir, added by the admin, signs into targets/releases
    const aliceDir = tempDir();
    // alice's trust dir has never verified the repository: she anchors its root by the id init printed
    const alice = { ...opts(aliceDir), rootKeyId: init.rootKeyId };
    const key = await generateKey('alice', { ...alice, dir: aliceDir });
    expect(readFileSync(key.publicKeyPath, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    await expect(generateKey('alice', { ...alice, dir: aliceDir })).rejects.toMatchObject({ code: 'USAGE' });
    const added = await addSigner('alice', readFileSync(key.publicKeyPath, 'utf8'), GUN, admin);
    expect(added).toEqual({ keyId: key.keyId, roles: ['targets/releases', 'targets/alice'] });
    const targetsDoc = JSON.parse(readFileSync(join(tufDir, 'targets.json'), 'utf8'));
    expect(targetsDoc.signed.delegations.roles).toEqual([
      { keyids: [key.keyId], name: 'targets/releases', paths: [''], threshold: 1 },
      { keyids: [key.keyId], name: 'targets/alice', paths: [''], threshold: 1 },
    ]);
    // a local repository is published by whoever holds its snapshot and timestamp keys: without them
    // alice's signature would be unreferenced, so nothing is uploaded and she is told why
    const relTag = { reference: `${GUN}:rel`, digest: digestOf('b'), size: 7 };
    const listing = readdirSync(tufDir).sort();
    const refused = await signTags([relTag], alice).catch((e: Error) => e);
    expect(refused).toMatchObject({ code: 'KEY_NOT_FOUND', role: 'snapshot' });
    expect(readdirSync(tufDir).sort()).toEqual(listing);
    await shareServerKeys(admin.trustDir, aliceDir);
    const [rel] = await signTags([relTag], alice);
    expect(rel!.roles).toEqual(['targets/releases', 'targets/alice']);
    await expectSigned('rel', digestOf('b'), 'targets/releases');
    // the admin (who holds no signer key) still signs into targets; pullers prefer targets/releases
    await signTags([{ reference: `${GUN}:rel`, digest: digestOf('c'), size: 7 }], admin);
    await expectSigned('rel', digestOf('b'), 'targets/releases');

    // revoke: alice removes her tag from both of her roles; the admin's copy in targets remains, and
    // revoke says so (issue 9 item 1)
    expect(await revokeTag(`${GUN}:rel`, alice)).toEqual({
      reference: `${GUN}:rel`,
      removed: ['rel'],
      roles: [
        { role: 'targets/releases', removed: ['rel'] },
        { role: 'targets/alice', removed: ['rel'] },
      ],
      stillVerifies: true,
      verifiedBy: { role: 'targets', digest: digestOf('c') },
    });
    await expectSigned('rel', digestOf('c'));
    await expect(revokeTag(`${GUN}:rel`, alice)).rejects.toMatchObject({ code: 'NOT_SIGNED' });

    // every rotation keeps both consumers verifying, and the publisher keeps publishing
    for (const role of ['targets', 'snapshot', 'timestamp', 'root'] as const) {
      const before = JSON.parse(readFileSync(join(tufDir, 'root.json'), 'utf8')).signed;
      const r = await rotateKey(GUN, role, admin);
      const after = JSON.parse(readFileSync(join(tufDir, 'root.json'), 'utf8')).signed;
      expect(after.version).toBe(before.version + 1);
      expect(r.rootVersion).toBe(after.version);
      expect(after.roles[role].keyids).toEqual([r.keyId]);
      expect(before.roles[role].keyids).not.toContain(r.keyId);
      expect(existsSync(join(tufDir, `${after.version}.root.json`))).toBe(true);
      await expectSigned('t7', digestOf('a'));
      await signTags([{ reference: `${GUN}:after-${role}`, digest: digestOf('d'), size: 1 }], admin);
      await expectSigned(`after-${role}`, digestOf('d'));
    }
    // the rotated root is signed by the old and the new root key; the old one is retired in the trust dir
    const rootDoc = JSON.parse(readFileSync(join(tufDir, 'root.json'), 'utf8'));
    expect(rootDoc.signatures).toHaveLength(2);
    const roots = await new KeyStore(admin.trustDir, { passphrase: admin.passphrase }).find({ role: 'root' });
    expect(roots.map((k) => [k.keyId === init.rootKeyFileId, k.retired !== undefined]).sort()).toEqual([
      [false, false],
      [true, true],
    ]);
    // a consumer who trusted root v1 follows the chain of versioned roots
    expect((await verify(`${GUN}:after-root`, warm)).digest).toBe(digestOf('d'));

    // a snapshot key cannot move to a server that has none
    await expect(rotateKey(GUN, 'snapshot', { ...admin, serverManaged: true })).rejects.toMatchObject({
      code: 'USAGE',
    });

    // removing the signer drops targets/alice and (her being its only key) targets/releases
    expect(await removeSigner('alice', GUN, admin)).toEqual({
      removedKeys: [key.keyId],
      resigned: [],
      dropped: [{ role: 'targets/releases', tags: [] }],
    });
    const afterRemove = JSON.parse(readFileSync(join(tufDir, 'targets.json'), 'utf8')).signed.delegations;
    expect(afterRemove).toEqual({ keys: {}, roles: [] });
    const snap = JSON.parse(readFileSync(join(tufDir, 'snapshot.json'), 'utf8')).signed.meta;
    expect(Object.keys(snap).sort()).toEqual(['root', 'targets']);
    await expect(
      signTags([{ reference: `${GUN}:x`, digest: digestOf('e'), size: 1 }], alice),
    ).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
  });

  it("signs only into delegations whose paths allow the tag (docker's rule)", async () => {
    const { opts } = setup();
    const admin = opts(tempDir());
    const init = await initRepository(GUN, admin);
    const bobDir = tempDir();
    const bob = { ...opts(bobDir), rootKeyId: init.rootKeyId };
    const key = await generateKey('bob', { ...bob, dir: bobDir, algorithm: 'ed25519' });
    await shareServerKeys(admin.trustDir, bobDir);
    await addSigner('bob', readFileSync(key.publicKeyPath, 'utf8'), GUN, admin);
    // narrow targets/bob to tags starting with "bob-"
    await mutate(GUN, admin, async (state) => {
      const body = editableTargets(state.targets.get('targets')!.signed, 'targets');
      body.delegations.roles = body.delegations.roles.map((r) =>
        r.name === 'targets/bob' ? delegationRole(r.name, r.keyids, ['bob-'], 1) : r,
      );
      return { edit: { targets: new Map([['targets', body]]) }, result: undefined };
    });
    const [a, b] = await signTags(
      [
        { reference: `${GUN}:bob-1`, digest: digestOf('1'), size: 1 },
        { reference: `${GUN}:v1`, digest: digestOf('2'), size: 2 },
      ],
      bob,
    );
    expect(a!.roles).toEqual(['targets/releases', 'targets/bob']);
    expect(b!.roles).toEqual(['targets/releases']);
    const v = await verify(`${GUN}:v1`, { server: admin.server, trustDir: tempDir() });
    expect(v.role).toBe('targets/releases');
    // the consumer sees targets/bob only when it asks for it
    const other = await verify(`${GUN}:bob-1`, {
      server: admin.server,
      trustDir: tempDir(),
      roles: ['targets/bob'],
    });
    expect(other.digest).toBe(digestOf('1'));
    // signableRoles without a tag ignores paths
    await mutate(GUN, bob, async (state) => {
      expect(await signableRoles(state)).toEqual(['targets/releases', 'targets/bob']);
      expect(await signableRoles(state, 'v2')).toEqual(['targets/releases']);
      return { edit: {}, result: undefined };
    });
  });

  it('a publish that keeps losing the race fails with CONFLICT after bounded retries; nothing is lost', async () => {
    const { opts, tufDir } = setup();
    const admin = opts(tempDir());
    await initRepository(GUN, admin);
    // another publisher (alive: this very process) holds the store's lock for the whole call
    const lock = join(tufDir, '..', '.publish.lock');
    const start = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19];
    writeFileSync(lock, JSON.stringify({ host: hostname(), pid: process.pid, start }));
    const tag = { reference: `${GUN}:v1`, digest: digestOf('9'), size: 9 };
    const t0 = Date.now();
    const err = await signTags([tag], { ...admin, maxAttempts: 3 }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'CONFLICT' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25 + 50); // it backed off between attempts
    await expect(verify(`${GUN}:v1`, { server: admin.server, trustDir: tempDir() })).rejects.toMatchObject({
      code: 'NOT_SIGNED',
    });
    rmSync(lock);
    await signTags([tag], admin);
    expect((await verify(`${GUN}:v1`, { server: admin.server, trustDir: tempDir() })).digest).toBe(
      digestOf('9'),
    );
  });

  it("publishing applies the caller's limits to what it reads, and its read-back takes what it uploaded", async () => {
    const { opts } = setup();
    const admin = opts(tempDir());
    await initRepository(GUN, admin);
    const tag = (t: string, c: string) => ({ reference: `${GUN}:${t}`, digest: digestOf(c), size: 9 });
    // the limits of TrustOptions hold for a publish too (they were ignored by its refresh)
    await expect(
      signTags([tag('v1', '1')], { ...admin, limits: { maxTimestampBytes: 8 } }),
    ).rejects.toMatchObject({ code: 'TOO_LARGE', role: 'timestamp' });
    // the read-back after a publish downloads only the timestamp: the snapshot and targets it lists
    // are byte for byte the ones this publisher uploaded (verified and cached from those bytes)
    const store = new FileStore(fileURLToPath(admin.server), GUN);
    const gets: string[] = [];
    const counting = Object.assign(Object.create(store) as FileStore, {
      getMeta: (name: string, maxBytes: number) => {
        gets.push(name.replace(/\.[0-9a-f]{64}$/, ''));
        return store.getMeta(name, maxBytes);
      },
      publish: async (files: ReadonlyArray<{ role: string; bytes: Uint8Array }>) => {
        await store.publish(files);
        gets.length = 0; // from here: the read-back
      },
    });
    await signTags([tag('v1', '1')], { ...admin, store: counting });
    expect(gets).toEqual(['timestamp']);
    const offline = await verify(`${GUN}:v1`, { ...admin, offline: true });
    expect(offline.digest).toBe(digestOf('1'));
  });

  it('key load imports a PEM private key (encrypted or not) as a signer key', async () => {
    const { opts } = setup();
    const src = tempDir();
    const made = await generateKey('carol', { ...opts(src), dir: src });
    const file = readdirSync(join(src, 'private')).find((f) => f.startsWith(made.keyId))!;
    const dst = tempDir();
    // encrypted: the passphrase comes from the provider (asked for the signer name)
    const asked: string[] = [];
    const loaded = await loadKey(join(src, 'private', file), {
      ...opts(dst),
      passphrase: async (req) => {
        asked.push(`${req.role}:${req.creating}`);
        return 'local-repo-passphrase';
      },
    });
    expect(loaded).toMatchObject({ name: 'carol', keyId: made.keyId, alreadyLoaded: false });
    expect(asked).toEqual(['carol:false', 'carol:true']);
    expect(readdirSync(join(dst, 'private'))).toEqual([`${made.keyId}.key`]);
    // a wrong passphrase is a PASSPHRASE error that does not echo it
    const wrong = await loadKey(join(src, 'private', file), {
      ...opts(tempDir()),
      filePassphrase: 'not-the-passphrase',
    }).catch((e: Error) => e);
    expect(wrong).toMatchObject({ code: 'PASSPHRASE' });
    expect(String((wrong as Error).message)).not.toContain('not-the-passphrase');
    // an unencrypted PKCS#8 key (e.g. from openssl) under a given name
    const { generateKeyPairSync } = await import('node:crypto');
    const plainFile = join(src, 'dave.pem');
    const pk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    writeFileSync(plainFile, String(pk.export({ format: 'pem', type: 'pkcs8' })));
    const dave = await loadKey(plainFile, { ...opts(dst), name: 'dave' });
    expect(dave.name).toBe('dave');
    expect(readdirSync(join(dst, 'private')).sort()).toEqual(
      [`${made.keyId}.key`, `${dave.keyId}.key`].sort(),
    );
    expect(readFileSync(join(dst, 'private', `${dave.keyId}.key`), 'utf8')).toMatch(
      /^-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: dave\n/,
    );
  });
});
