// Publishing registry-hosted trust data (TUF 1.0 writer + Docker's layout) on the real docker-registry.
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyRegistry } from '../../src/client/registry-verify.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { generateKey } from '../../src/publish/keys.js';
import {
  fetchState,
  initRegistryRepository,
  type RegistryPublishOptions,
  refreshRegistryRepository,
  registryContext,
  revokeRegistryTag,
  signRegistryTags,
} from '../../src/publish/registry.js';
import { addRegistrySigner } from '../../src/publish/registry-admin.js';
import { Tuf1Writer } from '../../src/publish/tuf1/writer.js';
import { decodeBasicAuth, staticCredentials } from '../../src/transport/credentials.js';
import { freshGun, getLab, type LabInfo, pushImage, tempDir } from '../harness/lab.js';
import { rejection } from '../support/rejection.js';

function options(
  lab: LabInfo,
  trustDir: string,
  extra: Partial<RegistryPublishOptions> = {},
): RegistryPublishOptions {
  const basic = lab.notaryEnv.NOTARY_AUTH;
  return {
    trustDir,
    server: 'registry',
    passphrase: staticPassphraseProvider('registry-passphrase'),
    keyIterations: 1000,
    credentials: basic ? staticCredentials(decodeBasicAuth(basic)) : null,
    deadlineMs: 10_000,
    ...extra,
  };
}

async function stateOf(lab: LabInfo, gun: string, trustDir: string) {
  const s = await fetchState(registryContext(`${gun}:x`, options(lab, trustDir)));
  return Tuf1Writer.fromFiles(s!.files);
}

for (const labName of ['remote', 'auth'] as const) {
  describe(`registry-hosted trust: init, sign, refresh, revoke on the real registry (${labName} lab)`, () => {
    it('publishes a TUF 1.0 repository into the image repository under tuf-metadata', async () => {
      const lab = getLab(labName);
      const gun = freshGun(lab, 'regpub');
      const repo = gun.slice(lab.registryHost.length + 1);
      const image = await pushImage(lab, repo, 'v1', { format: 'oci' });
      const dir = tempDir();
      const opts = options(lab, dir);

      const init = await initRegistryRepository(`${gun}:v1`, opts);
      expect(init.location).toBe(`oci://${gun}:tuf-metadata`);
      expect(init.rootKeyId).toMatch(/^[0-9a-f]{64}$/);
      expect((await rejection(initRegistryRepository(gun, opts))).code).toBe('CONFLICT');

      const signed = await signRegistryTags([{ reference: `${gun}:v1` }], opts);
      expect(signed.result).toEqual([
        {
          reference: `${gun}:v1`,
          tag: 'v1',
          digest: image.digest,
          size: image.size,
          role: 'targets',
          roles: ['targets'],
        },
      ]);
      let w = await stateOf(lab, gun, dir);
      expect(w.targetsOf('targets').targets.v1).toEqual({
        length: image.size,
        hashes: { sha256: image.digest.slice(7) },
        custom: { mediaType: 'application/vnd.oci.image.manifest.v1+json' },
      });
      const files = [...w.files().keys()].sort();
      expect(files).toEqual(['1.root.json', '2.snapshot.json', '2.targets.json', 'timestamp.json']);

      const refreshed = await refreshRegistryRepository(gun, opts);
      expect(refreshed.signed.get('timestamp')).toBe(3);
      expect(refreshed.result.size).toBe(0);

      const revoked = await revokeRegistryTag(`${gun}:v1`, opts);
      expect(revoked.result).toEqual({
        reference: `${gun}:v1`,
        removed: ['v1'],
        roles: [{ role: 'targets', removed: ['v1'] }],
        stillVerifies: false,
      });
      w = await stateOf(lab, gun, dir);
      expect(w.targetsOf('targets').targets.v1).toBeUndefined();
      // nothing to revoke: NOT_SIGNED (as the Notary path), no push, same state
      expect((await rejection(revokeRegistryTag(`${gun}:v1`, opts))).code).toBe('NOT_SIGNED');
      expect((await fetchState(registryContext(gun, opts)))!.digest).toBe(revoked.digest);
    });
  });
}

describe('registry-hosted trust: publishing rules', () => {
  it('another trust dir verifies the state before re-signing it; a forged state is refused, not re-signed', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'regforeign');
    const a = tempDir();
    await initRegistryRepository(gun, options(lab, a));
    const other = tempDir();
    cpSync(join(a, 'private'), join(other, 'private'), { recursive: true });
    // a trust dir that did not publish it verifies it with the TUF 1.0 client (root on first use), then signs
    await signRegistryTags(
      [{ reference: `${gun}:v1`, digest: `sha256:${'a'.repeat(64)}`, size: 10 }],
      options(lab, other),
    );
    // an attacker with push access rewrites the timestamp without the key
    const ctx = registryContext(gun, options(lab, a));
    const state = await fetchState(ctx);
    const ts = JSON.parse(Buffer.from(state!.files.get('timestamp.json')!).toString('utf8'));
    ts.signed.version += 10;
    await ctx.store.pushFiles([{ name: 'timestamp.json', bytes: Buffer.from(JSON.stringify(ts)) }]);
    const third = tempDir();
    cpSync(join(a, 'private'), join(third, 'private'), { recursive: true });
    for (const dir of [a, third]) {
      const err = await rejection(
        signRegistryTags(
          [{ reference: `${gun}:v2`, digest: `sha256:${'b'.repeat(64)}`, size: 10 }],
          options(lab, dir),
        ),
      );
      expect(['THRESHOLD', 'BAD_SIGNATURE']).toContain(err.code);
    }
  });

  it('concurrent publishers: a lost update is refetched and re-applied, both tags end up signed', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'regrace');
    const a = tempDir();
    await initRegistryRepository(gun, options(lab, a));
    const b = tempDir();
    cpSync(a, b, { recursive: true });
    // both trust dirs hold the keys; the states they load are accepted (this test is about the retry loop)
    const trustAll = { verifyState: async () => undefined, maxAttempts: 6 };
    const tags = ['t1', 't2', 't3', 't4'];
    await Promise.all(
      tags.map((t, i) =>
        signRegistryTags(
          [{ reference: `${gun}:${t}`, digest: `sha256:${String(i).repeat(64)}`, size: 100 + i }],
          options(lab, i % 2 === 0 ? a : b, trustAll),
        ),
      ),
    );
    const w = await stateOf(lab, gun, a);
    expect(Object.keys(w.targetsOf('targets').targets).sort()).toEqual(tags);
  });

  it('initIfMissing creates the trust data when the caller passes no onInit (library sign and signer add)', async () => {
    const lab = getLab('remote');
    const digest = `sha256:${'c'.repeat(64)}`;
    const gun = freshGun(lab, 'reginit');
    const dir = tempDir();
    const signed = await signRegistryTags([{ reference: `${gun}:v1`, digest, size: 7 }], {
      ...options(lab, dir),
      initIfMissing: true,
    });
    expect(signed.result.map((t) => t.tag)).toEqual(['v1']);
    expect((await verifyRegistry(`${gun}:v1`, { trustDir: tempDir(), server: 'registry' })).reference).toBe(
      `${gun}@${digest}`,
    );
    const other = freshGun(lab, 'reginit');
    const k = await generateKey('nell', { ...options(lab, dir), dir });
    await addRegistrySigner('nell', readFileSync(k.publicKeyPath, 'utf8'), other, {
      ...options(lab, dir),
      initIfMissing: true,
    });
    expect(Object.keys((await stateOf(lab, other, dir)).targetsOf('targets/nell').targets)).toEqual([]);
  });
});
