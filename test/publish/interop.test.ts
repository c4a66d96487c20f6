/**
 * Ours -> Notary: repositories initialised and signed by this library are read
 * by the real notary client and served intact by the real notary-server (a
 * byte mismatch in what we upload makes the server's timestamp 404, so every
 * publish is followed by a timestamp fetch). Both labs: `remote` (notary-signer
 * holds ECDSA server keys) and `local` (notary-server signs with ed25519).
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import {
  addSigner,
  generateKey,
  initRepository,
  removeSigner,
  revokeTag,
  rotateKey,
  signTags,
} from '../../src/publish/workflows.js';
import {
  freshGun,
  getLab,
  type LabInfo,
  labToken,
  notaryGet,
  pushImage,
  runNotary,
  tempDir,
} from '../harness/lab.js';

const PASSPHRASE = 'test-passphrase-123';
/** The same passphrase for notary, which reads our key files from our trust dir. */
const NOTARY_PASS = {
  NOTARY_ROOT_PASSPHRASE: PASSPHRASE,
  NOTARY_TARGETS_PASSPHRASE: PASSPHRASE,
  NOTARY_SNAPSHOT_PASSPHRASE: PASSPHRASE,
  NOTARY_DELEGATION_PASSPHRASE: PASSPHRASE,
};

function optsFor(lab: LabInfo, trustDir: string) {
  return {
    server: lab.notaryUrl,
    tlsCaCert: readFileSync(lab.caCert, 'utf8'),
    trustDir,
    passphrase: staticPassphraseProvider(PASSPHRASE),
    keyIterations: 1000,
    env: {
      ...process.env,
      ...(lab.auth === 'token' ? { NOTARY_AUTH: lab.notaryEnv.NOTARY_AUTH ?? '' } : {}),
    },
  };
}

/** The server still serves a timestamp for the repository (it re-hashes its own serialisation of our upload). */
async function expectServed(lab: LabInfo, gun: string, what: string): Promise<void> {
  const ts = await notaryGet(lab, `/v2/${gun}/_trust/tuf/timestamp.json`, gun);
  expect(ts.status, `timestamp.json after ${what}: ${ts.body.toString()}`).toBe(200);
}

/** `notary lookup` from the given (default: a fresh) trust dir; '' when notary fails. */
function notaryLookup(lab: LabInfo, gun: string, tag: string, trustDir = tempDir()): string {
  const r = runNotary(lab, ['lookup', gun, tag], { trustDir });
  return r.status === 0 ? r.stdout.trim() : '';
}

/** The exact manifest bytes the registry serves for a tag. */
async function manifestBytes(lab: LabInfo, repo: string, tag: string): Promise<Buffer> {
  const token = await labToken(lab, `repository:${repo}:pull`);
  const res = await fetch(`${lab.registryUrl}/v2/${repo}/manifests/${tag}`, {
    headers: {
      accept: 'application/vnd.docker.distribution.manifest.v2+json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

const hex = (c: string) => c.repeat(64);

describe.each(['remote', 'local'] as const)(
  'our repositories, read by the real notary (%s lab)',
  (labName) => {
    it('init + sign: notary lookup/list/verify agree; notary itself publishes with our key files', async () => {
      const lab = getLab(labName);
      const gun = freshGun(lab, 'ours');
      const repo = gun.slice(gun.indexOf('/') + 1);
      const trustDir = tempDir();
      const opts = optsFor(lab, trustDir);
      const init = await initRepository(gun, opts);
      expect(init.serverManagedSnapshot).toBe(true);
      await expectServed(lab, gun, 'init');
      const root = JSON.parse((await notaryGet(lab, `/v2/${gun}/_trust/tuf/root.json`, gun)).body.toString());
      expect(root.signed.roles.root.keyids).toEqual([init.rootKeyId]);
      expect(root.signed.roles.targets.keyids).toEqual([init.targetsKeyId]);
      expect(root.signed.keys[init.targetsKeyId].keytype).toBe('ed25519');

      // digest and size from the registry; notary verifies the real manifest bytes against our signature
      const img = await pushImage(lab, repo, 'v1');
      const [signed] = await signTags([{ reference: `${gun}:v1` }], opts);
      expect(signed).toMatchObject({ tag: 'v1', digest: img.digest, size: img.size, roles: ['targets'] });
      await expectServed(lab, gun, 'sign');
      expect(notaryLookup(lab, gun, 'v1')).toBe(`v1 ${img.digest} ${img.size}`);
      const dir = tempDir();
      const manifest = join(dir, 'manifest.json');
      writeFileSync(manifest, await manifestBytes(lab, repo, 'v1'));
      const nv = runNotary(lab, ['verify', gun, 'v1', '-i', manifest, '-q'], { trustDir: tempDir() });
      expect(nv.status, nv.stderr).toBe(0);
      const tampered = join(dir, 'tampered.json');
      writeFileSync(tampered, Buffer.concat([readFileSync(manifest), Buffer.from(' ')]));
      expect(
        runNotary(lab, ['verify', gun, 'v1', '-i', tampered, '-q'], { trustDir: tempDir() }).status,
      ).not.toBe(0);

      // many tags in one publish: targets moves by exactly one version
      const before = (await verify(`${gun}:v1`, { ...opts, trustDir: tempDir() })).digest;
      expect(before).toBe(img.digest);
      const targetsV = async () =>
        JSON.parse((await notaryGet(lab, `/v2/${gun}/_trust/tuf/targets.json`, gun)).body.toString()).signed
          .version as number;
      const v0 = await targetsV();
      const many = Array.from({ length: 20 }, (_, i) => ({
        reference: `${gun}:t${i}`,
        digest: img.digest,
        size: img.size,
      }));
      await signTags(many, opts);
      await expectServed(lab, gun, 'bulk sign');
      expect(await targetsV()).toBe(v0 + 1);
      const list = runNotary(lab, ['list', gun], { trustDir: tempDir() });
      expect(list.status, list.stderr).toBe(0);
      const rows = list.stdout.split('\n').filter((l) => /^t\d+\s/.test(l));
      expect(rows).toHaveLength(20);
      for (const r of rows)
        expect(r.split(/\s+/).slice(1, 4)).toEqual([img.digest.slice(7), String(img.size), 'targets']);

      // revoke
      await revokeTag(`${gun}:t3`, opts);
      await expectServed(lab, gun, 'revoke');
      expect(notaryLookup(lab, gun, 't3')).toBe('');
      expect(notaryLookup(lab, gun, 't4')).toBe(`t4 ${img.digest} ${img.size}`);

      // notary, pointed at OUR trust dir (our key files, our cache), publishes a tag with our targets key
      const byNotary = runNotary(lab, ['addhash', gun, 'by-notary', '3', '--sha256', hex('f'), '-p'], {
        trustDir,
        env: NOTARY_PASS,
      });
      expect(byNotary.status, byNotary.stderr).toBe(0);
      // ...and we continue from the cache notary updated
      await signTags([{ reference: `${gun}:after-notary`, digest: `sha256:${hex('e')}`, size: 4 }], opts);
      await expectServed(lab, gun, 'sign after notary');
      expect(notaryLookup(lab, gun, 'by-notary')).toBe(`by-notary sha256:${hex('f')} 3`);
      expect(notaryLookup(lab, gun, 'after-notary')).toBe(`after-notary sha256:${hex('e')} 4`);
      expect((await verify(`${gun}:by-notary`, opts)).role).toBe('targets');
    });

    it('signer add, signing with the signer key, every rotation and signer remove keep notary verifying', async () => {
      const lab = getLab(labName);
      const gun = freshGun(lab, 'deleg');
      const adminDir = tempDir();
      const admin = optsFor(lab, adminDir);
      const init = await initRepository(gun, admin);
      const cachedNotaryDir = tempDir();
      await signTags([{ reference: `${gun}:base`, digest: `sha256:${hex('a')}`, size: 10 }], admin);
      await expectServed(lab, gun, 'sign base');
      expect(notaryLookup(lab, gun, 'base', cachedNotaryDir)).toBe(`base sha256:${hex('a')} 10`);

      // alice makes a key in her own trust dir; the admin adds her as a signer
      const aliceDir = tempDir();
      const alice = { ...optsFor(lab, aliceDir), rootKeyId: init.rootKeyId };
      // the signer key: ECDSA on the remote lab, ed25519 on the local one (notary verifies both in delegations)
      const algorithm = labName === 'remote' ? 'ecdsa' : 'ed25519';
      const key = await generateKey('alice', { ...alice, dir: aliceDir, algorithm });
      const delegationKeys = async () =>
        JSON.parse((await notaryGet(lab, `/v2/${gun}/_trust/tuf/targets.json`, gun)).body.toString()).signed
          .delegations.keys;
      await addSigner('alice', readFileSync(key.publicKeyPath, 'utf8'), gun, admin);
      await expectServed(lab, gun, 'signer add');
      expect((await delegationKeys())[key.keyId].keytype).toBe(algorithm);
      const [s] = await signTags(
        [{ reference: `${gun}:rel`, digest: `sha256:${hex('b')}`, size: 11 }],
        alice,
      );
      expect(s!.roles).toEqual(['targets/releases', 'targets/alice']);
      await expectServed(lab, gun, 'delegated sign');
      expect(notaryLookup(lab, gun, 'rel')).toBe(`rel sha256:${hex('b')} 11`);
      const nlist = runNotary(lab, ['list', gun, '-r', 'targets/releases'], { trustDir: tempDir() });
      expect(nlist.stdout).toMatch(new RegExp(`^rel\\s+${hex('b')}\\s+11\\s+targets/releases`, 'm'));
      const v = await verify(`${gun}:rel`, { ...admin, trustDir: tempDir() });
      expect(v.role).toBe('targets/releases');
      expect(v.signers).toEqual([key.keyId]);

      const check = async (what: string) => {
        await expectServed(lab, gun, what);
        expect(notaryLookup(lab, gun, 'base'), `${what}: fresh notary`).toBe(`base sha256:${hex('a')} 10`);
        expect(notaryLookup(lab, gun, 'base', cachedNotaryDir), `${what}: cached notary`).toBe(
          `base sha256:${hex('a')} 10`,
        );
        // the publisher keeps signing after the change
        const tag = `after-${what.replace(/\W+/g, '-')}`;
        await signTags([{ reference: `${gun}:${tag}`, digest: `sha256:${hex('c')}`, size: 12 }], admin);
        await expectServed(lab, gun, `sign ${tag}`);
        expect(notaryLookup(lab, gun, tag, cachedNotaryDir)).toBe(`${tag} sha256:${hex('c')} 12`);
      };
      for (const role of ['targets', 'snapshot', 'timestamp', 'root'] as const) {
        const r = await rotateKey(
          gun,
          role,
          role === 'snapshot' ? { ...admin, serverManaged: false } : admin,
        );
        const root = JSON.parse(
          (await notaryGet(lab, `/v2/${gun}/_trust/tuf/root.json`, gun)).body.toString(),
        );
        expect(root.signed.roles[role].keyids, role).toEqual([r.keyId]);
        expect(root.signed.version).toBe(r.rootVersion);
        await check(`${role} rotation`);
      }
      // the snapshot key goes back to the server
      await rotateKey(gun, 'snapshot', { ...admin, serverManaged: true });
      await check('snapshot to server');
      // the signer still signs after all of that
      await signTags([{ reference: `${gun}:rel2`, digest: `sha256:${hex('d')}`, size: 13 }], alice);
      expect(notaryLookup(lab, gun, 'rel2', cachedNotaryDir)).toBe(`rel2 sha256:${hex('d')} 13`);

      // removing the signer removes targets/alice and (its only key gone) targets/releases
      await removeSigner('alice', gun, admin);
      await expectServed(lab, gun, 'signer remove');
      expect(notaryLookup(lab, gun, 'rel')).toBe('');
      expect(notaryLookup(lab, gun, 'rel', cachedNotaryDir)).toBe('');
      await expect(
        signTags([{ reference: `${gun}:rel3`, digest: `sha256:${hex('d')}`, size: 13 }], alice),
      ).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    });
  },
);

describe('token auth (auth lab)', () => {
  it('init and sign with registry and trust-server tokens; notary reads it', async () => {
    const lab = getLab('auth');
    const gun = freshGun(lab, 'tok');
    const repo = gun.slice(gun.indexOf('/') + 1);
    const opts = optsFor(lab, tempDir());
    const img = await pushImage(lab, repo, 'v1');
    const [s] = await signTags([{ reference: `${gun}:v1` }], { ...opts, initIfMissing: true });
    expect(s!.digest).toBe(img.digest);
    await expectServed(lab, gun, 'sign');
    expect(notaryLookup(lab, gun, 'v1')).toBe(`v1 ${img.digest} ${img.size}`);
    // anonymous pulls are allowed, pushes are not: without credentials the publish is an AUTH error (exit 3)
    const anon = {
      ...opts,
      env: { ...process.env, NOTARY_AUTH: '' },
      credentials: null,
    };
    await expect(
      signTags([{ reference: `${gun}:v2`, digest: img.digest, size: img.size }], anon),
    ).rejects.toMatchObject({ code: 'AUTH' });
  });
});
