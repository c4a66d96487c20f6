// A registry (or a man in the middle) serves the publisher an old state of its own repository when it
// re-signs (`trust refresh`, `trust sign`): the state verifies (it was signed by the real keys), so
// without a memory of what this trust dir published, the publisher would re-sign the rolled-back
// targets with fresh snapshot and timestamp versions and hand the rollback to every new client.
import { describe, expect, it } from 'vitest';
import { verifyRegistry } from '../../src/client/registry-verify.js';
import { exitCodeFor } from '../../src/errors.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import {
  initRegistryRepository,
  type RegistryPublishOptions,
  refreshRegistryRepository,
  signRegistryTags,
} from '../../src/publish/registry.js';
import { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import { freshGun, getLab, pushImage, tempDir } from '../harness/lab.js';
import { RegistryProxy } from '../support/registry-proxy.js';
import { rejection } from '../support/rejection.js';

function pubOpts(trustDir: string, client?: OciRegistryClient): RegistryPublishOptions {
  return {
    trustDir,
    server: 'registry',
    passphrase: staticPassphraseProvider('rollback-pass'),
    keyIterations: 1000,
    credentials: null,
    settleMs: 0,
    ...(client ? { client } : {}),
  };
}

describe('registry-hosted trust: the publisher is served an old state', () => {
  it('refresh and sign refuse it (ROLLBACK, exit 1) and push nothing; the current state stays', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'pubrollback');
    const repo = gun.slice(lab.registryHost.length + 1);
    const v1 = await pushImage(lab, repo, 'v1');
    const v2 = await pushImage(lab, repo, 'v2');
    await pushImage(lab, repo, 'v3');
    const publisher = tempDir();
    await initRegistryRepository(gun, pubOpts(publisher));
    await signRegistryTags([{ reference: `${gun}:v1` }], pubOpts(publisher));
    const direct = new OciRegistryClient({ registry: lab.registryHost });
    const old = await direct.getManifest(repo, 'tuf-metadata');
    if (old.status !== 'ok') throw new Error('no metadata manifest');
    await signRegistryTags([{ reference: `${gun}:v2` }], pubOpts(publisher));
    const current = await direct.headManifest(repo, 'tuf-metadata');

    const proxy = await RegistryProxy.start(lab.registryUrl);
    try {
      proxy.rule((req) =>
        req.kind === 'manifest' && req.reference === 'tuf-metadata' && req.method === 'GET'
          ? { headers: { 'content-type': old.manifest.mediaType }, body: old.manifest.bytes }
          : undefined,
      );
      const client = new OciRegistryClient({ registry: lab.registryHost, baseUrl: proxy.url });
      const refreshed = await rejection(refreshRegistryRepository(gun, pubOpts(publisher, client)));
      expect([refreshed.code, exitCodeFor(refreshed)]).toEqual(['ROLLBACK', 1]);
      const signed = await rejection(
        signRegistryTags([{ reference: `${gun}:v3` }], pubOpts(publisher, client)),
      );
      expect([signed.code, exitCodeFor(signed)]).toEqual(['ROLLBACK', 1]);
      expect(proxy.requests.filter((r) => r.method === 'PUT' || r.method === 'POST')).toEqual([]);
    } finally {
      await proxy.close();
    }
    expect(await direct.headManifest(repo, 'tuf-metadata')).toBe(current);
    const fresh = tempDir();
    expect((await verifyRegistry(`${gun}:v2`, { trustDir: fresh, server: 'registry' })).digest).toBe(
      v2.digest,
    );
    expect((await verifyRegistry(`${gun}:v1`, { trustDir: fresh, server: 'registry' })).digest).toBe(
      v1.digest,
    );
  });
});
