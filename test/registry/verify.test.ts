// Verify-before-pull from registry-hosted trust data on the real docker-registry, and the attacks of
// issue 11 over the real registry or a tampering proxy in front of it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect } from '../../src/client/inspect.js';
import { verifyRegistry } from '../../src/client/registry-verify.js';
import { verify } from '../../src/client/verify.js';
import { TrustContext } from '../../src/context/context.js';
import { exitCodeFor } from '../../src/errors.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import {
  exportBundle,
  fetchState,
  initRegistryRepository,
  type RegistryPublishOptions,
  registryContext,
  signRegistryTags,
} from '../../src/publish/registry.js';
import { decodeBasicAuth, staticCredentials } from '../../src/transport/credentials.js';
import { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import { OCI_MANIFEST_MEDIA_TYPE } from '../../src/transport/oci/layout.js';
import { freshGun, getLab, type LabInfo, pushImage, tempDir } from '../harness/lab.js';
import { RegistryProxy } from '../support/registry-proxy.js';
import { rejection } from '../support/rejection.js';

const DAY = 86_400_000;

function pubOpts(lab: LabInfo, trustDir: string): RegistryPublishOptions {
  const basic = lab.notaryEnv.NOTARY_AUTH;
  return {
    trustDir,
    server: 'registry',
    passphrase: staticPassphraseProvider('verify-pass'),
    keyIterations: 1000,
    credentials: basic ? staticCredentials(decodeBasicAuth(basic)) : null,
    settleMs: 0,
  };
}

/** A repository with v1 signed; returns what tests need. */
async function signedRepo(lab: LabInfo, prefix: string) {
  const gun = freshGun(lab, prefix);
  const repo = gun.slice(lab.registryHost.length + 1);
  const v1 = await pushImage(lab, repo, 'v1');
  const publisher = tempDir();
  const init = await initRegistryRepository(gun, pubOpts(lab, publisher));
  await signRegistryTags([{ reference: `${gun}:v1` }], pubOpts(lab, publisher));
  return { gun, repo, v1, publisher, rootKeyId: init.rootKeyId };
}

describe('verify from registry-hosted trust data (real registry)', () => {
  for (const labName of ['remote', 'auth'] as const) {
    it(`fresh and warm trust dirs find the signed digest; warm costs one conditional request (${labName} lab)`, async () => {
      const lab = getLab(labName);
      const { gun, v1 } = await signedRepo(lab, 'verify');
      const trustDir = tempDir();
      const proxy = await RegistryProxy.start(lab.registryUrl);
      try {
        const client = new OciRegistryClient({ registry: lab.registryHost, baseUrl: proxy.url });
        const opts = { trustDir, server: 'registry', client };
        const cold = await verifyRegistry(`${gun}:v1`, opts);
        expect(cold).toMatchObject({
          repository: gun,
          tag: 'v1',
          digest: v1.digest,
          size: v1.size,
          role: 'targets',
        });
        proxy.requests.length = 0;
        const warm = await verifyRegistry(`${gun}:v1`, {
          ...opts,
          client: new OciRegistryClient({ registry: lab.registryHost, baseUrl: proxy.url }),
        });
        expect(warm.digest).toBe(v1.digest);
        const reached = proxy.requests.filter((r) => labName === 'remote' || r.headers.authorization);
        expect(reached.map((r) => `${r.method} ${r.kind} ${r.reference}`)).toEqual([
          'GET manifest tuf-metadata',
        ]);
        expect(reached[0]!.headers['if-none-match']).toBeDefined();
        // the library's verify() routes there too (the GUN is recorded as registry-hosted now)
        expect((await verify(`${gun}:v1`, { trustDir })).digest).toBe(v1.digest);
        // an unsigned tag: NOT_SIGNED, exit 1
        const miss = await rejection(verifyRegistry(`${gun}:nope`, { trustDir, server: 'registry' }));
        expect([miss.code, exitCodeFor(miss)]).toEqual(['NOT_SIGNED', 1]);
      } finally {
        await proxy.close();
      }
    });
  }

  it("one context: registry-hosted verifies share the context's pooled registry client (kept-alive connection)", async () => {
    const lab = getLab('remote');
    const { gun, v1 } = await signedRepo(lab, 'pooled');
    const context = new TrustContext();
    try {
      const opts = { trustDir: tempDir(), server: 'registry', context };
      expect((await verifyRegistry(`${gun}:v1`, opts)).digest).toBe(v1.digest);
      expect(context.transport.size).toBe(1);
      expect((await verify(`${gun}:v1`, opts)).digest).toBe(v1.digest);
      expect(context.transport.size).toBe(1);
      // caller-given credentials or HTTP client: their own client, the pool untouched
      const own = { ...opts, credentials: null };
      expect((await verifyRegistry(`${gun}:v1`, own)).digest).toBe(v1.digest);
      expect(context.transport.size).toBe(1);
    } finally {
      await context.transport.close();
    }
  });

  it('inspect lists signed tags and administrative keys (docker trust inspect shape)', async () => {
    const lab = getLab('remote');
    const { gun, v1, rootKeyId } = await signedRepo(lab, 'inspect');
    const res = await inspect(gun, { trustDir: tempDir(), server: 'registry' });
    expect(res.SignedTags).toEqual([
      { SignedTag: 'v1', Digest: v1.digest.slice(7), Signers: ['Repo Admin'] },
    ]);
    expect(res.Signers).toEqual([]);
    expect(res.AdministrativeKeys.find((k) => k.Name === 'Root')!.Keys).toEqual([{ ID: rootKeyId }]);
  });

  it("without --server, a record or DOCKER_CONTENT_TRUST_SERVER, the repository's tuf-metadata tag is found", async () => {
    const lab = getLab('remote');
    const { gun, v1 } = await signedRepo(lab, 'probe');
    const r = await verify(`${gun}:v1`, { trustDir: tempDir(), env: { HOME: tempDir() } });
    expect(r).toMatchObject({ digest: v1.digest, role: 'targets' });
  });

  it('a pinned root key id is required to match; disableTofu without a pin refuses', async () => {
    const lab = getLab('remote');
    const { gun, rootKeyId, v1 } = await signedRepo(lab, 'verify-pin');
    const ok = await verifyRegistry(`${gun}:v1`, {
      trustDir: tempDir(),
      server: 'registry',
      pinning: { certs: { [gun]: [rootKeyId] } },
    });
    expect(ok.digest).toBe(v1.digest);
    const bad = await rejection(
      verifyRegistry(`${gun}:v1`, {
        trustDir: tempDir(),
        server: 'registry',
        pinning: { certs: { [gun]: ['0'.repeat(64)] } },
      }),
    );
    expect(bad.code).toBe('PINNING');
    const tofu = await rejection(
      verifyRegistry(`${gun}:v1`, {
        trustDir: tempDir(),
        server: 'registry',
        pinning: { disableTofu: true },
      }),
    );
    expect(tofu.code).toBe('UNTRUSTED_ROOT');
  });
});

describe('attacks on registry-hosted trust (real registry)', () => {
  it('the tag re-pointed to an older metadata manifest is a rollback', async () => {
    const lab = getLab('remote');
    const { gun, repo, publisher } = await signedRepo(lab, 'rollback');
    const client = new OciRegistryClient({ registry: lab.registryHost });
    const old = await client.getManifest(repo, 'tuf-metadata');
    await pushImage(lab, repo, 'v2', { content: 'two' });
    await signRegistryTags([{ reference: `${gun}:v2` }], pubOpts(lab, publisher));
    const trustDir = tempDir();
    await verifyRegistry(`${gun}:v2`, { trustDir, server: 'registry' });
    if (old.status !== 'ok') throw new Error('no manifest');
    await client.putManifest(repo, 'tuf-metadata', old.manifest.bytes, OCI_MANIFEST_MEDIA_TYPE);
    const err = await rejection(verifyRegistry(`${gun}:v1`, { trustDir, server: 'registry' }));
    expect(err.code).toBe('ROLLBACK');
    expect(exitCodeFor(err)).toBe(1);
  });

  it('the tag deleted: fails (exit 1 or 3) and never falls back to another source', async () => {
    const lab = getLab('remote');
    const { gun } = await signedRepo(lab, 'deleted');
    const trustDir = tempDir();
    await verifyRegistry(`${gun}:v1`, { trustDir, server: 'registry' });
    await registryContext(gun, pubOpts(lab, tempDir())).store.deleteRepository();
    const proxy = await RegistryProxy.start(lab.registryUrl);
    try {
      const client = new OciRegistryClient({ registry: lab.registryHost, baseUrl: proxy.url });
      const err = await rejection(verifyRegistry(`${gun}:v1`, { trustDir, client }));
      expect([1, 3]).toContain(exitCodeFor(err));
      expect(proxy.requests.every((r) => r.kind === 'manifest' && r.reference === 'tuf-metadata')).toBe(true);
      // without --server the recorded source is used: no Notary server is asked (none is configured)
      const again = await rejection(verify(`${gun}:v1`, { trustDir }));
      expect([1, 3]).toContain(exitCodeFor(again));
    } finally {
      await proxy.close();
    }
  });

  it('an expired timestamp is EXPIRED, from the registry and from a bundle', async () => {
    const lab = getLab('remote');
    const { gun, rootKeyId, publisher } = await signedRepo(lab, 'expired');
    const later = () => Date.now() + 8 * DAY;
    const err = await rejection(
      verifyRegistry(`${gun}:v1`, { trustDir: tempDir(), server: 'registry', now: later }),
    );
    expect(err.code).toBe('EXPIRED');
    const out = join(tempDir(), 'b.tar');
    await exportBundle([`${gun}:v1`], out, pubOpts(lab, publisher));
    const pinning = { certs: { [gun]: [rootKeyId] } };
    const offline = await verifyRegistry(`${gun}:v1`, { trustDir: tempDir(), bundle: out, pinning });
    expect(offline.tag).toBe('v1');
    const stale = await rejection(
      verifyRegistry(`${gun}:v1`, { trustDir: tempDir(), bundle: out, pinning, now: later }),
    );
    expect(stale.code).toBe('EXPIRED');
    const unpinned = await rejection(verifyRegistry(`${gun}:v1`, { trustDir: tempDir(), bundle: out }));
    expect(unpinned.code).toBe('UNTRUSTED_ROOT');
  });

  it('a manifest of another repository: its root is not the trusted one', async () => {
    const lab = getLab('remote');
    const victim = await signedRepo(lab, 'victim');
    const other = await signedRepo(lab, 'other');
    const trustDir = tempDir();
    await verifyRegistry(`${victim.gun}:v1`, { trustDir, server: 'registry' });
    const proxy = await RegistryProxy.start(lab.registryUrl);
    try {
      // serve the other repository's manifest and blobs for the victim's
      proxy.rule((req, upstream) =>
        req.repository === victim.repo && (req.kind === 'manifest' || req.kind === 'blob')
          ? upstream({
              path: req.path.replace(victim.repo, other.repo),
              headers: { 'if-none-match': '' },
            }).then((a) => ({ status: a.status, headers: a.headers, body: a.body }))
          : undefined,
      );
      const client = new OciRegistryClient({ registry: lab.registryHost, baseUrl: proxy.url });
      const err = await rejection(verifyRegistry(`${victim.gun}:v1`, { trustDir, client }));
      expect(['THRESHOLD', 'BAD_SIGNATURE']).toContain(err.code);
      expect(exitCodeFor(err)).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('state fetched for editing matches what verify sees', async () => {
    const lab = getLab('remote');
    const { gun, publisher } = await signedRepo(lab, 'state');
    const s = await fetchState(registryContext(gun, pubOpts(lab, publisher)));
    expect([...s!.files.keys()].sort()).toEqual([
      '1.root.json',
      '2.snapshot.json',
      '2.targets.json',
      'timestamp.json',
    ]);
  });
});
