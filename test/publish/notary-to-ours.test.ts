/**
 * Notary -> ours: repositories and keys made by the real notary CLI (its trust
 * dir is docker's layout) are signed into by this library, and notary keeps
 * reading and publishing them afterwards.
 */

import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { envPassphraseProvider } from '../../src/keys/passphrase.js';
import { generateKey, loadKey, revokeTag, signTags } from '../../src/publish/workflows.js';
import { freshGun, getLab, type LabInfo, notaryGet, runNotary, tempDir } from '../harness/lab.js';

const hex = (c: string) => c.repeat(64);

function notaryOk(lab: LabInfo, args: string[], trustDir: string): string {
  const r = runNotary(lab, args, { trustDir });
  expect(r.status, `notary ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function lookup(lab: LabInfo, gun: string, tag: string, trustDir = tempDir()): string {
  const r = runNotary(lab, ['lookup', gun, tag], { trustDir });
  return r.status === 0 ? r.stdout.trim() : '';
}

function optsFor(lab: LabInfo, trustDir: string) {
  return {
    server: lab.notaryUrl,
    tlsCaCert: readFileSync(lab.caCert, 'utf8'),
    trustDir,
    // notary's own passphrase variables (NOTARY_TARGETS_PASSPHRASE, ...), as the lab gives them to notary
    passphrase: envPassphraseProvider(lab.notaryEnv),
    keyIterations: 1000,
  };
}

describe.each(['remote', 'local'] as const)('repositories made by notary (%s lab)', (labName) => {
  it.each([
    { snapshot: 'held by the client (notary init)', serverSnapshot: false },
    { snapshot: 'server-managed (docker)', serverSnapshot: true },
  ])('we sign with notary-made keys in its trust dir; snapshot $snapshot', async ({ serverSnapshot }) => {
    const lab = getLab(labName);
    const gun = freshGun(lab, 'bynotary');
    const dir = tempDir();
    notaryOk(lab, ['init', gun, '-p'], dir);
    if (serverSnapshot) notaryOk(lab, ['key', 'rotate', gun, 'snapshot', '-r'], dir);
    notaryOk(lab, ['addhash', gun, 'base', '10', '--sha256', hex('a'), '-p'], dir);
    const cached = tempDir();
    expect(lookup(lab, gun, 'base', cached)).toBe(`base sha256:${hex('a')} 10`);

    const opts = optsFor(lab, dir);
    const [s] = await signTags([{ reference: `${gun}:ours`, digest: `sha256:${hex('b')}`, size: 20 }], opts);
    expect(s!.roles).toEqual(['targets']);
    expect((await notaryGet(lab, `/v2/${gun}/_trust/tuf/timestamp.json`, gun)).status).toBe(200);
    // a snapshot we signed with notary's key, or none (the server made it)
    const sn = JSON.parse((await notaryGet(lab, `/v2/${gun}/_trust/tuf/snapshot.json`, gun)).body.toString());
    const root = JSON.parse((await notaryGet(lab, `/v2/${gun}/_trust/tuf/root.json`, gun)).body.toString());
    expect(sn.signatures.map((x: { keyid: string }) => x.keyid)).toEqual(root.signed.roles.snapshot.keyids);

    expect(lookup(lab, gun, 'ours')).toBe(`ours sha256:${hex('b')} 20`);
    expect(lookup(lab, gun, 'ours', cached)).toBe(`ours sha256:${hex('b')} 20`);
    // notary, in the trust dir we just updated, keeps publishing on top of our change
    notaryOk(lab, ['addhash', gun, 'again', '30', '--sha256', hex('c'), '-p'], dir);
    expect(lookup(lab, gun, 'ours', cached)).toBe(`ours sha256:${hex('b')} 20`);
    expect((await verify(`${gun}:again`, { ...opts, trustDir: tempDir() })).size).toBe(30);
    // and we revoke what notary signed
    await revokeTag(`${gun}:base`, opts);
    expect(lookup(lab, gun, 'base', cached)).toBe('');
    const list = notaryOk(lab, ['list', gun], tempDir());
    expect(list).toMatch(/^again\s/m);
    expect(list).toMatch(/^ours\s/m);
  });

  it('the server refuses a publish it cannot complete: a clear PUBLISH_REJECTED, nothing changes', async () => {
    const lab = getLab(labName);
    const gun = freshGun(lab, 'reject');
    const dir = tempDir();
    notaryOk(lab, ['init', gun, '-p'], dir); // the snapshot key stays with notary's client
    // a second publisher holds only the targets key: it cannot sign the snapshot, nor can the server
    const other = tempDir();
    mkdirSync(join(other, 'private'), { mode: 0o700 });
    const ks = new KeyStore(dir, { passphrase: envPassphraseProvider(lab.notaryEnv) });
    for (const k of await ks.find({ role: 'targets' }))
      copyFileSync(k.path, join(other, 'private', basename(k.path)));
    // a trust dir that never verified the repository anchors its root by id (issue 8 item 16)
    const [rootKey] = await ks.find({ role: 'root' });
    const err = await signTags([{ reference: `${gun}:x`, digest: `sha256:${hex('a')}`, size: 1 }], {
      ...optsFor(lab, other),
      rootKeyId: rootKey!.keyId,
    }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'PUBLISH_REJECTED' });
    // notary-server says why (the local lab names the snapshot; notary-signer just lacks the key); we add the fix
    expect((err as Error).message).toMatch(/rejected the update: INVALID_UPDATE.*holds no snapshot key/);
    expect(lookup(lab, gun, 'x')).toBe('');
    // the client holding the snapshot key publishes fine afterwards
    const [s] = await signTags(
      [{ reference: `${gun}:x`, digest: `sha256:${hex('a')}`, size: 1 }],
      optsFor(lab, dir),
    );
    expect(s!.roles).toEqual(['targets']);
    expect(lookup(lab, gun, 'x')).toBe(`x sha256:${hex('a')} 1`);
  });

  it('a delegation notary made: with a notary-generated key we load, and with our key notary delegates to', async () => {
    const lab = getLab(labName);
    const gun = freshGun(lab, 'ndeleg');
    const admin = tempDir();
    notaryOk(lab, ['init', gun, '-p'], admin);
    notaryOk(lab, ['key', 'rotate', gun, 'snapshot', '-r'], admin);

    // bob: notary generates the key pair into files; bob loads the private key with `key load`
    const files = tempDir();
    notaryOk(lab, ['key', 'generate', 'ecdsa', '--role', 'bob', '-o', join(files, 'bob')], files);
    // carol: our `key generate`, notary is given her public key
    const carolDir = tempDir();
    const carol = await generateKey('carol', { ...optsFor(lab, carolDir), dir: carolDir });
    notaryOk(
      lab,
      ['delegation', 'add', gun, 'targets/releases', join(files, 'bob.pem'), '--paths', 'rel-'],
      admin,
    );
    notaryOk(
      lab,
      ['delegation', 'add', gun, 'targets/carol', carol.publicKeyPath, '--all-paths', '-p'],
      admin,
    );

    const bobDir = tempDir();
    const adminKeys = new KeyStore(admin, { passphrase: envPassphraseProvider(lab.notaryEnv) });
    const [rootKey] = await adminKeys.find({ role: 'root' });
    const bob = { ...optsFor(lab, bobDir), rootKeyId: rootKey!.keyId };
    const loaded = await loadKey(join(files, 'bob-key.pem'), bob);
    expect(loaded.name).toBe('bob');
    const [s] = await signTags([{ reference: `${gun}:rel-1`, digest: `sha256:${hex('d')}`, size: 40 }], bob);
    expect(s!.roles).toEqual(['targets/releases']);
    expect(lookup(lab, gun, 'rel-1')).toBe(`rel-1 sha256:${hex('d')} 40`);
    // notary's --paths rel- keeps bob out of other tags: he holds no key that may sign "dev"
    await expect(
      signTags([{ reference: `${gun}:dev`, digest: `sha256:${hex('d')}`, size: 40 }], bob),
    ).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });

    const [c] = await signTags([{ reference: `${gun}:carol-1`, digest: `sha256:${hex('e')}`, size: 50 }], {
      ...optsFor(lab, carolDir),
      rootKeyId: rootKey!.keyId,
    });
    expect(c!.roles).toEqual(['targets/carol']);
    const nl = notaryOk(lab, ['list', gun, '-r', 'targets/carol'], tempDir());
    expect(nl).toMatch(new RegExp(`^carol-1\\s+${hex('e')}\\s+50\\s+targets/carol`, 'm'));
    const v = await verify(`${gun}:carol-1`, { ...bob, trustDir: tempDir(), roles: ['targets/carol'] });
    expect(v.signers).toEqual([carol.keyId]);
  });
});
