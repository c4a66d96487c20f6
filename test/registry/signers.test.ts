// signer add/remove, key rotate and revoke-all on registry-hosted trust data (issue 11), on the real
// docker-registry: the Notary path's semantics (src/publish/workflows.ts) over the TUF 1.0 repository
// stored in the registry, read back by the TUF 1.0 client from fresh and warm trust dirs.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyRegistry } from '../../src/client/registry-verify.js';
import { exitCodeFor } from '../../src/errors.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { generateKey } from '../../src/publish/keys.js';
import {
  fetchState,
  initRegistryRepository,
  mutateRegistry,
  type RegistryPublishOptions,
  registryContext,
  revokeRegistryTag,
  signRegistryTags,
} from '../../src/publish/registry.js';
import {
  addRegistrySigner,
  removeRegistrySigner,
  rotateRegistryKey,
} from '../../src/publish/registry-admin.js';
import { tuf1SignersFromKeyStore } from '../../src/publish/tuf1/fs.js';
import { Tuf1Writer } from '../../src/publish/tuf1/writer.js';
import { decodeBasicAuth, staticCredentials } from '../../src/transport/credentials.js';
import { freshGun, getLab, type LabInfo, tempDir } from '../harness/lab.js';
import { rejection } from '../support/rejection.js';

const passphrase = staticPassphraseProvider('signers-pass');

function options(
  lab: LabInfo,
  trustDir: string,
  extra: Partial<RegistryPublishOptions> & { force?: boolean } = {},
) {
  const basic = lab.notaryEnv.NOTARY_AUTH;
  return {
    trustDir,
    server: 'registry',
    passphrase,
    keyIterations: 1000,
    credentials: basic ? staticCredentials(decodeBasicAuth(basic)) : null,
    deadlineMs: 10_000,
    settleMs: 0,
    ...extra,
  } satisfies RegistryPublishOptions;
}

const digestOf = (c: string) => `sha256:${c.repeat(64)}`;

async function stateOf(lab: LabInfo, gun: string, trustDir: string) {
  const s = await fetchState(registryContext(gun, options(lab, trustDir)));
  return { writer: Tuf1Writer.fromFiles(s!.files), digest: s!.digest, names: [...s!.files.keys()] };
}

/** Copies the private keys of `roles` (trust-dir roles: root, targets, snapshot, timestamp, signer names). */
async function shareKeys(from: string, to: string, roles: string[]) {
  mkdirSync(join(to, 'private'), { recursive: true, mode: 0o700 });
  for (const k of await new KeyStore(from, { passphrase }).find()) {
    if (roles.includes(k.role)) copyFileSync(k.path, join(to, 'private', `${k.keyId}.key`));
  }
}

/** A trust dir holding the publisher-held snapshot and timestamp keys and a new signer key NAME. */
async function signerDir(lab: LabInfo, admin: string, name: string) {
  const dir = tempDir();
  const k = await generateKey(name, { ...options(lab, dir), dir });
  await shareKeys(admin, dir, ['snapshot', 'timestamp']);
  return { dir, pem: readFileSync(k.publicKeyPath, 'utf8') };
}

const verifies = async (lab: LabInfo, gun: string, tag: string, trustDir = tempDir()) =>
  verifyRegistry(`${gun}:${tag}`, {
    trustDir,
    server: 'registry',
    credentials: options(lab, trustDir).credentials,
  });

describe('registry-hosted trust: signer add/remove (real registry)', () => {
  for (const labName of ['remote', 'auth'] as const) {
    it(`adds and removes signers like the Notary path; never publishes a role that would not verify (${labName} lab)`, async () => {
      const lab = getLab(labName);
      const gun = freshGun(lab, 'regsigners');
      const admin = tempDir();
      await initRegistryRepository(gun, options(lab, admin));
      await signRegistryTags(
        [{ reference: `${gun}:base`, digest: digestOf('0'), size: 4 }],
        options(lab, admin),
      );
      const alice = await signerDir(lab, admin, 'alice');
      const bob = await signerDir(lab, admin, 'bob');

      // a new delegated role must be signed by its own key: the admin alone is refused, nothing pushed
      const before = (await stateOf(lab, gun, admin)).digest;
      const refused = await rejection(addRegistrySigner('alice', alice.pem, gun, options(lab, admin)));
      expect(refused).toMatchObject({ code: 'KEY_NOT_FOUND', role: 'targets/releases' });
      expect(refused.message).toMatch(/targets\/releases has no metadata yet.*signed by alice/);
      expect(exitCodeFor(refused)).toBe(2);
      expect((await stateOf(lab, gun, admin)).digest).toBe(before);

      // where the admin's keys and alice's key are: targets/releases and targets/alice, signed by alice
      await shareKeys(alice.dir, admin, ['alice']);
      const added = await addRegistrySigner('alice', alice.pem, gun, options(lab, admin));
      expect(added.result.roles).toEqual(['targets/releases', 'targets/alice']);
      let s = await stateOf(lab, gun, admin);
      const aliceId = added.result.keyId;
      expect(s.writer.targetsOf('targets').delegations!.roles!).toEqual([
        { name: 'targets/releases', keyids: [aliceId], threshold: 1, terminating: false, paths: ['*'] },
        { name: 'targets/alice', keyids: [aliceId], threshold: 1, terminating: false, paths: ['*'] },
      ]);
      expect(s.names).toContain('1.targets%2Freleases.json');
      // adding the same signer again changes nothing
      expect((await addRegistrySigner('alice', alice.pem, gun, options(lab, admin))).digest).toBe(s.digest);

      // bob joins: targets/releases keeps alice's signature (not re-signed), targets/bob is signed by bob
      const releasesV = s.writer.targetsOf('targets/releases').version;
      await shareKeys(bob.dir, admin, ['bob']);
      const addedBob = await addRegistrySigner('bob', bob.pem, gun, options(lab, admin));
      s = await stateOf(lab, gun, admin);
      expect(s.writer.targetsOf('targets/releases').version).toBe(releasesV);
      expect(s.writer.validSignatures('targets/releases')).toEqual([aliceId]);
      expect(s.writer.targetsOf('targets').delegations!.roles![0]!.keyids).toEqual([
        aliceId,
        addedBob.result.keyId,
      ]);
      // the admin gives up the signer keys again
      const adminOnly = tempDir();
      await shareKeys(admin, adminOnly, ['root', 'targets', 'snapshot', 'timestamp']);

      // alice signs a1, then bob signs b1: targets/releases is now signed by bob only
      const as = (who: { dir: string }) => options(lab, who.dir);
      expect(
        (await signRegistryTags([{ reference: `${gun}:a1`, digest: digestOf('a'), size: 2 }], as(alice)))
          .result[0]!.role,
      ).toBe('targets/releases');
      await signRegistryTags([{ reference: `${gun}:b1`, digest: digestOf('b'), size: 2 }], as(bob));
      for (const tag of ['a1', 'b1']) expect((await verifies(lab, gun, tag)).role).toBe('targets/releases');

      // removing bob without a remaining signer's key: refused before publishing, names who must re-sign
      const pinned = (await stateOf(lab, gun, adminOnly)).digest;
      const noKey = await rejection(removeRegistrySigner('bob', gun, options(lab, adminOnly)));
      expect(noKey).toMatchObject({ code: 'KEY_NOT_FOUND', role: 'targets/releases' });
      expect(noKey.message).toMatch(/refusing to publish: targets\/releases v\d+ would not verify/);
      expect(noKey.message).toContain('Have alice re-sign targets/releases first');
      expect(noKey.message).toContain('--force');
      expect((await stateOf(lab, gun, adminOnly)).digest).toBe(pinned);
      // with alice's key at hand: bob goes, targets/releases is re-signed by alice, nothing is lost
      const removed = await removeRegistrySigner('bob', gun, options(lab, admin));
      expect(removed.result).toEqual({
        removedKeys: [addedBob.result.keyId],
        resigned: ['targets/releases'],
        dropped: [{ role: 'targets/bob', tags: ['b1'] }],
      });
      for (const tag of ['a1', 'b1']) expect((await verifies(lab, gun, tag)).role).toBe('targets/releases');
      s = await stateOf(lab, gun, admin);
      expect(s.writer.targetsRoles.sort()).toEqual(['targets', 'targets/alice', 'targets/releases']);
      expect((await rejection(removeRegistrySigner('bob', gun, options(lab, admin)))).code).toBe('USAGE');

      // bob again (targets/bob re-created above its old version), then alice is removed by the admin
      // alone: targets/releases (signed by alice) would not verify under bob's key -> --force drops it
      await addRegistrySigner('bob', bob.pem, gun, options(lab, admin));
      const stuck = await rejection(removeRegistrySigner('alice', gun, options(lab, adminOnly)));
      expect(stuck.message).toContain('Have bob re-sign targets/releases first');
      const forced = await removeRegistrySigner('alice', gun, options(lab, adminOnly, { force: true }));
      expect(forced.result).toEqual({
        removedKeys: [aliceId],
        resigned: [],
        dropped: [
          { role: 'targets/alice', tags: ['a1'] },
          { role: 'targets/releases', tags: ['a1', 'b1'] },
        ],
      });
      expect((await verifies(lab, gun, 'base')).role).toBe('targets');
      expect((await rejection(verifies(lab, gun, 'a1'))).code).toBe('NOT_SIGNED');
      s = await stateOf(lab, gun, adminOnly);
      expect(s.writer.targetsRoles.sort()).toEqual(['targets', 'targets/bob']);
    });
  }

  it('never lowers a threshold: removing a key of a 2-of-2 targets/releases is refused, --force drops it', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'regthreshold');
    const admin = tempDir();
    await initRegistryRepository(gun, options(lab, admin));
    for (const n of ['gina', 'hank']) {
      const p = await signerDir(lab, admin, n);
      await shareKeys(p.dir, admin, [n]);
      await addRegistrySigner(n, p.pem, gun, options(lab, admin));
    }
    // the admin (holding both signer keys) makes targets/releases 2-of-2 and signs a tag there
    const ctx = registryContext(gun, options(lab, admin));
    await mutateRegistry(ctx, options(lab, admin), {
      apply: async (w) => {
        const d = w.targetsOf('targets').delegations!;
        const rel = d.roles!.find((r) => r.name === 'targets/releases')!;
        const keys = rel.keyids.map((keyid) => ({
          keyid,
          keytype: d.keys[keyid]!.keytype as 'ecdsa',
          scheme: d.keys[keyid]!.scheme as 'ecdsa-sha2-nistp256',
          public: d.keys[keyid]!.keyval.public,
        }));
        w.addDelegation({ name: 'targets/releases', keys, threshold: 2, paths: ['*'] });
        w.addTarget('r1', { length: 1, hashes: { sha256: '1'.repeat(64) } }, 'targets/releases');
        return true;
      },
    });
    expect((await verifies(lab, gun, 'r1')).role).toBe('targets/releases');
    const before = (await stateOf(lab, gun, admin)).digest;
    const refused = await rejection(removeRegistrySigner('hank', gun, options(lab, admin)));
    expect(refused).toMatchObject({ code: 'KEY_NOT_FOUND', role: 'targets/releases' });
    expect(refused.message).toMatch(/needs 2 signatures and would keep 1 key/);
    expect((await stateOf(lab, gun, admin)).digest).toBe(before);
    const forced = await removeRegistrySigner('hank', gun, options(lab, admin, { force: true }));
    expect(forced.result.dropped).toEqual([{ role: 'targets/releases', tags: ['r1'] }]);
    expect((await rejection(verifies(lab, gun, 'r1'))).code).toBe('NOT_SIGNED');
  });

  it('key rotate never lowers a threshold: a 2-of-2 targets role is refused, nothing pushed, no key left', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'regrotthreshold');
    const admin = tempDir();
    await initRegistryRepository(gun, options(lab, admin));
    const p = await signerDir(lab, admin, 'ivy');
    await shareKeys(p.dir, admin, ['ivy']);
    await addRegistrySigner('ivy', p.pem, gun, options(lab, admin));
    // the admin makes the top-level targets role 2-of-2: its own targets key and ivy's
    const ctx = registryContext(gun, options(lab, admin));
    const { root } = (await stateOf(lab, gun, admin)).writer;
    const rootKeys = Object.fromEntries(root.roles.root.keyids.map((id) => [id, root.keys[id]!]));
    const rootSigners = await tuf1SignersFromKeyStore(ctx.keystore, rootKeys);
    await mutateRegistry(ctx, options(lab, admin), {
      apply: async (w) => {
        const asKey = (
          keyid: string,
          k: { keytype: string; scheme: string; keyval: { public: string } },
        ) => ({
          keyid,
          keytype: k.keytype as 'ecdsa',
          scheme: k.scheme as 'ecdsa-sha2-nistp256',
          public: k.keyval.public,
        });
        const tid = w.root.roles.targets.keyids[0]!;
        const d = w.targetsOf('targets').delegations!;
        const ivyId = d.roles!.find((r) => r.name === 'targets/ivy')!.keyids[0]!;
        w.setRoleKeys('targets', [asKey(tid, w.root.keys[tid]!), asKey(ivyId, d.keys[ivyId]!)], 2);
        w.addTarget('t2', { length: 1, hashes: { sha256: '2'.repeat(64) } }, 'targets');
        return true;
      },
      // the root changed: sign it with the root key the admin holds, besides the online keys
      sign: (w, signers) => w.commit([...signers, ...rootSigners], { now: Date.now() }),
    });
    expect((await verifies(lab, gun, 't2')).role).toBe('targets');
    const before = await stateOf(lab, gun, admin);
    expect(before.writer.root.roles.targets.threshold).toBe(2);
    const keysBefore = (await new KeyStore(admin, { passphrase }).find()).length;
    const refused = await rejection(rotateRegistryKey(gun, 'targets', options(lab, admin)));
    expect(refused).toMatchObject({ code: 'USAGE', role: 'targets' });
    expect(refused.message).toMatch(/threshold 2/);
    expect(exitCodeFor(refused)).toBe(2);
    expect((await stateOf(lab, gun, admin)).digest).toBe(before.digest);
    expect((await new KeyStore(admin, { passphrase }).find()).length).toBe(keysBefore);
  });

  it('concurrent signer adds: a lost update is refetched and re-applied, both signers end up delegated', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'regsignrace');
    const admin = tempDir();
    await initRegistryRepository(gun, options(lab, admin));
    const people = await Promise.all(['carol', 'dave', 'erin'].map((n) => signerDir(lab, admin, n)));
    for (const p of people) await shareKeys(p.dir, admin, ['carol', 'dave', 'erin']);
    const second = tempDir();
    await shareKeys(admin, second, ['root', 'targets', 'snapshot', 'timestamp', 'carol', 'dave', 'erin']);
    const trustAll = { verifyState: async () => undefined, maxAttempts: 8, settleMs: 300 };
    await Promise.all(
      ['carol', 'dave', 'erin'].map((n, i) =>
        addRegistrySigner(n, people[i]!.pem, gun, options(lab, i % 2 === 0 ? admin : second, trustAll)),
      ),
    );
    const { writer } = await stateOf(lab, gun, admin);
    expect(
      writer
        .targetsOf('targets')
        .delegations!.roles!.map((r) => r.name)
        .sort(),
    ).toEqual(['targets/carol', 'targets/dave', 'targets/erin', 'targets/releases']);
    expect(
      writer.targetsOf('targets').delegations!.roles!.find((r) => r.name === 'targets/releases')!.keyids,
    ).toHaveLength(3);
  });
});

describe('registry-hosted trust: lost updates (real registry)', () => {
  it('rotate, sign, revoke and signer add racing on one repository: every change ends up published', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'regadminrace');
    const admin = tempDir();
    await initRegistryRepository(gun, options(lab, admin));
    await signRegistryTags([{ reference: `${gun}:t0`, digest: digestOf('0'), size: 1 }], options(lab, admin));
    const carol = await signerDir(lab, admin, 'carol');
    await shareKeys(carol.dir, admin, ['carol']);
    const oldTargets = (await stateOf(lab, gun, admin)).writer.root.roles.targets.keyids;
    // all four load the same state (a barrier on each one's first load): three of them lose the race
    // and must refetch, re-apply and retry
    let arrived = 0;
    let release = () => {};
    const barrier = new Promise<void>((r) => {
      release = r;
    });
    let loads = 0;
    const racer = () => {
      let first = true;
      return {
        verifyState: async () => {
          loads++;
          if (!first) return;
          first = false;
          if (++arrived === 4) release();
          await barrier;
        },
        maxAttempts: 10,
        settleMs: 300,
      };
    };
    const [rotated] = await Promise.all([
      rotateRegistryKey(gun, 'targets', options(lab, admin, racer())),
      signRegistryTags(
        [{ reference: `${gun}:t1`, digest: digestOf('1'), size: 1 }],
        options(lab, admin, racer()),
      ),
      revokeRegistryTag(`${gun}:t0`, options(lab, admin, racer())),
      addRegistrySigner('carol', carol.pem, gun, options(lab, admin, racer())),
    ]);
    expect(loads).toBeGreaterThanOrEqual(7);
    const { writer } = await stateOf(lab, gun, admin);
    expect(writer.root.roles.targets.keyids).toEqual([rotated.result.keyId]);
    expect(oldTargets).not.toContain(rotated.result.keyId);
    expect(writer.root.version).toBe(2);
    const signedTags = writer.targetsRoles.flatMap((r) => Object.keys(writer.targetsOf(r).targets));
    // t1 went into targets, or (when carol's delegation landed first) into carol's roles: never lost
    expect([...new Set(signedTags)]).toEqual(['t1']);
    expect(writer.targetsOf('targets').delegations!.roles!.map((r) => r.name)).toEqual([
      'targets/releases',
      'targets/carol',
    ]);
    expect((await verifies(lab, gun, 't1')).digest).toBe(digestOf('1'));
  });
});

describe('registry-hosted trust: key rotate (real registry)', () => {
  for (const labName of ['remote', 'auth'] as const) {
    it(`rotates every key; warm clients follow, a fresh client pinned to the old root too (${labName} lab)`, async () => {
      const lab = getLab(labName);
      const gun = freshGun(lab, 'regrotate');
      const admin = tempDir();
      const init = await initRegistryRepository(gun, options(lab, admin));
      await signRegistryTags(
        [{ reference: `${gun}:v1`, digest: digestOf('1'), size: 1 }],
        options(lab, admin),
      );
      const warm = tempDir();
      expect((await verifies(lab, gun, 'v1', warm)).digest).toBe(digestOf('1'));
      const pin = { pinning: { certs: { [gun]: [init.rootKeyId] } } };

      // without the root key: refused, nothing pushed, no key left behind
      const noRoot = tempDir();
      await shareKeys(admin, noRoot, ['targets', 'snapshot', 'timestamp']);
      const keysBefore = (await new KeyStore(noRoot, { passphrase }).find()).length;
      const refused = await rejection(rotateRegistryKey(gun, 'targets', options(lab, noRoot)));
      expect(refused).toMatchObject({ code: 'KEY_NOT_FOUND' });
      expect((await new KeyStore(noRoot, { passphrase }).find()).length).toBe(keysBefore);
      expect(
        (await rejection(rotateRegistryKey(gun, 'snapshot', { ...options(lab, admin), serverManaged: true })))
          .code,
      ).toBe('USAGE');

      let rootVersion = 1;
      for (const role of ['targets', 'snapshot', 'timestamp', 'root'] as const) {
        const before = (await stateOf(lab, gun, admin)).writer.root;
        const r = await rotateRegistryKey(gun, role, options(lab, admin));
        rootVersion++;
        expect(r.result).toMatchObject({ role, rootVersion });
        const { writer, names } = await stateOf(lab, gun, admin);
        expect(writer.root.version).toBe(rootVersion);
        expect(writer.root.roles[role].keyids).toEqual([r.result.keyId]);
        expect(before.roles[role].keyids).not.toContain(r.result.keyId);
        // every root version stays in the manifest: clients walk N.root.json -> N+1.root.json
        for (let v = 1; v <= rootVersion; v++) expect(names).toContain(`${v}.root.json`);
        // the warm client follows, and so does a fresh one pinned to the first root key
        expect((await verifies(lab, gun, 'v1', warm)).digest).toBe(digestOf('1'));
        const tag = `after-${role}`;
        await signRegistryTags(
          [{ reference: `${gun}:${tag}`, digest: digestOf('2'), size: 2 }],
          options(lab, admin),
        );
        expect((await verifies(lab, gun, tag, warm)).digest).toBe(digestOf('2'));
        const fresh = tempDir();
        const pinnedOk = await verifyRegistry(`${gun}:${tag}`, { ...options(lab, fresh), ...pin });
        expect(pinnedOk.digest).toBe(digestOf('2'));
        if (role === 'root') expect(r.result.retiredKeys).toHaveLength(1);
        else expect(r.result.retiredKeys).toEqual([]);
      }
      // the new root is signed by the old and the new root key; the old root key is retired
      const { writer } = await stateOf(lab, gun, admin);
      const last = JSON.parse(
        Buffer.from(
          (await fetchState(registryContext(gun, options(lab, admin))))!.files.get(
            `${rootVersion}.root.json`,
          )!,
        ).toString('utf8'),
      );
      expect(last.signatures).toHaveLength(2);
      expect(writer.root.roles.root.keyids).not.toContain(init.rootKeyId);
      const roots = await new KeyStore(admin, { passphrase }).find({ role: 'root' });
      expect(roots.map((k) => k.retired !== undefined).sort()).toEqual([false, true]);
      // the publisher keeps publishing with the new keys
      await refreshOk(lab, gun, admin);
    });
  }
});

async function refreshOk(lab: LabInfo, gun: string, admin: string) {
  const r = await signRegistryTags(
    [{ reference: `${gun}:last`, digest: digestOf('3'), size: 3 }],
    options(lab, admin),
  );
  expect(r.result[0]!.role).toBe('targets');
  expect((await verifies(lab, gun, 'last')).digest).toBe(digestOf('3'));
}

describe('registry-hosted trust: admin workflows at an oci:// location (real registry)', () => {
  it('signer add/remove, rotate and revoke-all work on trust data kept in another repository', async () => {
    const lab = getLab('auth');
    const gun = freshGun(lab, 'regocidest');
    const server = `oci://${lab.registryHost}/trust/${gun.slice(gun.lastIndexOf('/') + 1)}:signed`;
    const admin = tempDir();
    const at = (dir: string, extra: Parameters<typeof options>[2] = {}) =>
      options(lab, dir, { server, ...extra });
    const init = await initRegistryRepository(gun, at(admin));
    expect(init.location).toBe(server);
    await signRegistryTags([{ reference: `${gun}:v1`, digest: digestOf('1'), size: 1 }], at(admin));
    const dave = await signerDir(lab, admin, 'dave');
    await shareKeys(dave.dir, admin, ['dave']);
    await addRegistrySigner('dave', dave.pem, gun, at(admin));
    await rotateRegistryKey(gun, 'root', at(admin));
    const signed = await signRegistryTags(
      [{ reference: `${gun}:v2`, digest: digestOf('2'), size: 2 }],
      at(admin),
    );
    expect(signed.result[0]!.roles).toEqual(['targets/releases', 'targets/dave']);
    const fresh = { ...at(tempDir()), pinning: { certs: { [gun]: [init.rootKeyId] } } };
    expect(await verifyRegistry(`${gun}:v2`, fresh)).toMatchObject({
      digest: digestOf('2'),
      role: 'targets/releases',
    });
    expect((await removeRegistrySigner('dave', gun, at(admin))).result.dropped).toEqual([
      { role: 'targets/dave', tags: ['v2'] },
      { role: 'targets/releases', tags: ['v2'] },
    ]);
    const all = await revokeRegistryTag(gun, at(admin));
    expect(all.result).toMatchObject({ removed: ['v1'], stillVerifies: false });
    // the image's own repository has no trust data: nothing was written there
    const own = await rejection(verifyRegistry(`${gun}:v1`, { ...options(lab, tempDir()) }));
    expect(own.code).toBe('NO_TRUST_DATA');
  });
});

describe('registry-hosted trust: revoke (real registry)', () => {
  it('revokes one tag or every tag, reports per role and whether a tag still verifies', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'regrevoke');
    const admin = tempDir();
    await initRegistryRepository(gun, options(lab, admin));
    const alice = await signerDir(lab, admin, 'alice');
    const both = tempDir();
    await shareKeys(admin, both, ['root', 'targets', 'snapshot', 'timestamp']);
    await shareKeys(alice.dir, both, ['alice']);
    const init = await addRegistrySigner('alice', alice.pem, gun, options(lab, both));
    expect(init.result.roles).toHaveLength(2);
    await signRegistryTags(
      ['t1', 't2', 'rel'].map((t, i) => ({
        reference: `${gun}:${t}`,
        digest: digestOf(String(i)),
        size: i + 1,
      })),
      options(lab, admin),
    );
    await signRegistryTags(
      [{ reference: `${gun}:rel`, digest: digestOf('e'), size: 9 }],
      options(lab, alice.dir),
    );

    // a tag signed only where this trust dir cannot sign: NOT_SIGNED (exit 1), naming the role
    await signRegistryTags(
      [{ reference: `${gun}:only-rel`, digest: digestOf('f'), size: 9 }],
      options(lab, alice.dir),
    );
    const notMine = await rejection(revokeRegistryTag(`${gun}:only-rel`, options(lab, admin)));
    expect([notMine.code, exitCodeFor(notMine)]).toEqual(['NOT_SIGNED', 1]);
    expect(notMine.message).toContain('it is signed in targets/releases');

    // one tag
    const one = await revokeRegistryTag(`${gun}:t1`, options(lab, admin));
    expect(one.result).toEqual({
      reference: `${gun}:t1`,
      removed: ['t1'],
      roles: [{ role: 'targets', removed: ['t1'] }],
      stillVerifies: false,
    });
    // every tag: 'rel' still verifies through targets/releases
    const all = await revokeRegistryTag(gun, options(lab, admin));
    expect(all.result).toEqual({
      reference: gun,
      removed: ['rel', 't2'],
      roles: [{ role: 'targets', removed: ['rel', 't2'] }],
      stillVerifies: true,
      stillSigned: ['rel'],
    });
    expect((await verifies(lab, gun, 'rel')).digest).toBe(digestOf('e'));
    await expect(verifies(lab, gun, 't2')).rejects.toMatchObject({ code: 'NOT_SIGNED' });
    // nothing left to revoke in targets: NOT_SIGNED, nothing pushed
    const digest = (await stateOf(lab, gun, admin)).digest;
    expect((await rejection(revokeRegistryTag(gun, options(lab, admin)))).code).toBe('NOT_SIGNED');
    expect((await stateOf(lab, gun, admin)).digest).toBe(digest);
    // alice revokes everything she can sign: her tags go from targets/releases
    const mine = await revokeRegistryTag(gun, options(lab, alice.dir));
    expect(mine.result).toMatchObject({
      removed: ['only-rel', 'rel'],
      roles: [
        { role: 'targets/releases', removed: ['only-rel', 'rel'] },
        { role: 'targets/alice', removed: ['only-rel', 'rel'] },
      ],
      stillVerifies: false,
      stillSigned: [],
    });
  });
});
