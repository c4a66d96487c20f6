// A registry attacker serves repository A's trust data at repository B's location, when A and B share
// a root key (docker's trust dir reuses one root key for every repository; `trust migrate` and
// `init --root-key` carry it over). A's later roots are signed by that key, so without a binding to
// the GUN B's clients would accept A's root as a rotation of B's, and then A's tags as B's.
import { describe, expect, it } from 'vitest';
import { verifyRegistry } from '../../src/client/registry-verify.js';
import { exitCodeFor } from '../../src/errors.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import {
  initRegistryRepository,
  mutateRegistry,
  type RegistryPublishOptions,
  registryContext,
  signRegistryTags,
} from '../../src/publish/registry.js';
import { tuf1Signer } from '../../src/publish/tuf1/keys.js';
import { decodeBasicAuth, staticCredentials } from '../../src/transport/credentials.js';
import { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import { freshGun, getLab, type LabInfo, pushImage, tempDir } from '../harness/lab.js';
import { RegistryProxy } from '../support/registry-proxy.js';
import { rejection } from '../support/rejection.js';

function pubOpts(lab: LabInfo, trustDir: string): RegistryPublishOptions {
  const basic = lab.notaryEnv.NOTARY_AUTH;
  return {
    trustDir,
    server: 'registry',
    passphrase: staticPassphraseProvider('cross-pass'),
    keyIterations: 1000,
    credentials: basic ? staticCredentials(decodeBasicAuth(basic)) : null,
    settleMs: 0,
  };
}

describe('registry-hosted trust: another repository signed with the same root key', () => {
  it('its rotated root is not accepted as a rotation of this repository', async () => {
    const lab = getLab('remote');
    const publisher = tempDir();
    const victim = freshGun(lab, 'xvictim');
    const other = freshGun(lab, 'xother');
    const vrepo = victim.slice(lab.registryHost.length + 1);
    const orepo = other.slice(lab.registryHost.length + 1);
    await pushImage(lab, vrepo, 'v1');
    await pushImage(lab, orepo, 'v1');
    await initRegistryRepository(victim, pubOpts(lab, publisher));
    const rootKey = (await new KeyStore(publisher).list()).find((k) => k.role === 'root')!;
    await initRegistryRepository(other, { ...pubOpts(lab, publisher), rootKeyId: rootKey.keyId });
    await signRegistryTags([{ reference: `${victim}:v1` }], pubOpts(lab, publisher));
    await signRegistryTags([{ reference: `${other}:v1` }], pubOpts(lab, publisher));
    const keys = new KeyStore(publisher, { passphrase: staticPassphraseProvider('cross-pass') });
    const rootSigner = tuf1Signer((await keys.load(rootKey.keyId)).key);
    // the other repository's root v2, signed by the shared root key
    await mutateRegistry(registryContext(other, pubOpts(lab, publisher)), pubOpts(lab, publisher), {
      apply: async (w) => {
        w.touchRoot();
        return true;
      },
      sign: (w, signers) => w.commit([...signers, rootSigner], { now: Date.now() }),
    });
    const trustDir = tempDir();
    await verifyRegistry(`${victim}:v1`, { trustDir, server: 'registry' });
    const proxy = await RegistryProxy.start(lab.registryUrl);
    try {
      proxy.rule((req, upstream) =>
        req.repository === vrepo && (req.kind === 'manifest' || req.kind === 'blob')
          ? upstream({ path: req.path.replace(vrepo, orepo), headers: { 'if-none-match': '' } }).then(
              (a) => ({ status: a.status, headers: a.headers, body: a.body }),
            )
          : undefined,
      );
      const client = new OciRegistryClient({ registry: lab.registryHost, baseUrl: proxy.url });
      const err = await rejection(verifyRegistry(`${victim}:v1`, { trustDir, client }));
      expect(err.code).toBe('UNTRUSTED_ROOT');
      expect(exitCodeFor(err)).toBe(1);
      // nothing of the other repository was trusted: the victim still verifies from the real registry
      const again = await verifyRegistry(`${victim}:v1`, { trustDir, server: 'registry' });
      expect(again.repository).toBe(victim);
    } finally {
      await proxy.close();
    }
  });
});
