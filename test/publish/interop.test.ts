/**
 * Ours -> Notary: repositories initialised and signed by this library are read
 * by the real notary client and served intact by the real notary-server (a
 * byte mismatch in what we upload makes the server's timestamp 404).
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import {
  addSigner,
  generateKey,
  initRepository,
  revokeTag,
  rotateKey,
  signTags,
} from '../../src/publish/workflows.js';
import { freshGun, getLab, type LabInfo, notaryGet, pushImage, runNotary, tempDir } from '../harness/lab.js';

function optsFor(lab: LabInfo, trustDir: string) {
  return {
    server: lab.notaryUrl,
    tlsCaCert: readFileSync(lab.caCert, 'utf8'),
    trustDir,
    passphrase: staticPassphraseProvider('test-passphrase-123'),
    keyIterations: 1000,
  };
}

/** `notary lookup` from a fresh trust dir (trust on first use). */
function notaryLookup(lab: LabInfo, gun: string, tag: string): string {
  const r = runNotary(lab, ['lookup', gun, tag], { trustDir: tempDir() });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe.each(['remote', 'local'] as const)(
  'our repositories, read by the real notary (%s lab)',
  (labName) => {
    it('init + sign: notary lookup/list/verify agree, the server keeps serving timestamp', async () => {
      const lab = getLab(labName);
      const gun = freshGun(lab, 'ours');
      const repo = gun.slice(gun.indexOf('/') + 1);
      const trustDir = tempDir();
      const opts = optsFor(lab, trustDir);
      const init = await initRepository(gun, opts);
      expect(init.serverManagedSnapshot).toBe(true);
      expect((await notaryGet(lab, `/v2/${gun}/_trust/tuf/timestamp.json`, gun)).status).toBe(200);

      const img = await pushImage(lab, repo, 'v1');
      const [signed] = await signTags([{ reference: `${gun}:v1` }], opts);
      expect(signed!.digest).toBe(img.digest);
      expect(signed!.roles).toEqual(['targets']);
      expect((await notaryGet(lab, `/v2/${gun}/_trust/tuf/timestamp.json`, gun)).status).toBe(200);
      expect(notaryLookup(lab, gun, 'v1')).toBe(`v1 ${img.digest} ${img.size}`);

      // many tags in one publish
      const many = Array.from({ length: 20 }, (_, i) => ({
        reference: `${gun}:t${i}`,
        digest: img.digest,
        size: img.size,
      }));
      await signTags(many, opts);
      const list = runNotary(lab, ['list', gun], { trustDir: tempDir() });
      expect(list.status, list.stderr).toBe(0);
      expect(list.stdout.split('\n').filter((l) => /^t\d+\s/.test(l))).toHaveLength(20);

      // our own verify from a fresh trust dir
      const res = await verify(`${gun}:v1`, { ...opts, trustDir: tempDir() });
      expect(res.digest).toBe(img.digest);

      // revoke
      await revokeTag(`${gun}:t3`, opts);
      const gone = runNotary(lab, ['lookup', gun, 't3'], { trustDir: tempDir() });
      expect(gone.status).not.toBe(0);
    });

    it('signer add + signing with the signer key lands in targets/releases; rotations keep notary verifying', async () => {
      const lab = getLab(labName);
      const gun = freshGun(lab, 'deleg');
      const adminDir = tempDir();
      const admin = optsFor(lab, adminDir);
      await initRepository(gun, admin);
      const cachedNotaryDir = tempDir();
      await signTags([{ reference: `${gun}:base`, digest: `sha256:${'a'.repeat(64)}`, size: 10 }], admin);
      expect(runNotary(lab, ['lookup', gun, 'base'], { trustDir: cachedNotaryDir }).status).toBe(0);

      // alice makes a key in her own trust dir; the admin adds her as a signer
      const aliceDir = tempDir();
      const alice = optsFor(lab, aliceDir);
      const key = await generateKey('alice', { ...alice, dir: aliceDir });
      await addSigner('alice', readFileSync(key.publicKeyPath, 'utf8'), gun, admin);
      const [s] = await signTags(
        [{ reference: `${gun}:rel`, digest: `sha256:${'b'.repeat(64)}`, size: 11 }],
        alice,
      );
      expect(s!.roles).toEqual(['targets/releases', 'targets/alice']);
      expect(notaryLookup(lab, gun, 'rel')).toBe(`rel sha256:${'b'.repeat(64)} 11`);
      const v = await verify(`${gun}:rel`, { ...admin, trustDir: tempDir() });
      expect(v.role).toBe('targets/releases');

      for (const role of ['targets', 'snapshot', 'root'] as const) {
        await rotateKey(gun, role, role === 'snapshot' ? { ...admin, serverManaged: false } : admin);
        expect((await notaryGet(lab, `/v2/${gun}/_trust/tuf/timestamp.json`, gun)).status, role).toBe(200);
        expect(notaryLookup(lab, gun, 'base')).toBe(`base sha256:${'a'.repeat(64)} 10`);
        const cached = runNotary(lab, ['lookup', gun, 'base'], { trustDir: cachedNotaryDir });
        expect(cached.status, `${role}: ${cached.stderr}`).toBe(0);
        // the publisher keeps signing after the rotation
        await signTags(
          [{ reference: `${gun}:after-${role}`, digest: `sha256:${'c'.repeat(64)}`, size: 12 }],
          admin,
        );
        expect(notaryLookup(lab, gun, `after-${role}`)).toBe(`after-${role} sha256:${'c'.repeat(64)} 12`);
      }
      // snapshot back to the server
      await rotateKey(gun, 'snapshot', { ...admin, serverManaged: true });
      await signTags(
        [{ reference: `${gun}:server-snap`, digest: `sha256:${'d'.repeat(64)}`, size: 13 }],
        admin,
      );
      expect(notaryLookup(lab, gun, 'server-snap')).toBe(`server-snap sha256:${'d'.repeat(64)} 13`);
    });
  },
);
