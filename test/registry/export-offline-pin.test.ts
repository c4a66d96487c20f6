// Registry-hosted trust (issue 11) on the real docker-registry: verify-before-export and bundles
// (tampered blob, swapped layer, Docker's per-role manifests), --offline from the trust dir's copy,
// and root pins (rotation chain from an old pin; a root that only lists the pinned id; a hijacked chain).
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeFetcher, verifyRegistry } from '../../src/client/registry-verify.js';
import { TufUpdater } from '../../src/client/tuf-updater.js';
import { verify } from '../../src/client/verify.js';
import { generateSigner } from '../../src/crypto/signers.js';
import { exitCodeFor } from '../../src/errors.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import {
  exportBundle,
  fetchState,
  initRegistryRepository,
  type RegistryPublishOptions,
  refreshRegistryRepository,
  registryContext,
  signRegistryTags,
} from '../../src/publish/registry.js';
import { tuf1KeyEntries, tuf1SignersFromKeyStore } from '../../src/publish/tuf1/fs.js';
import { type Tuf1PublicKey, tuf1KeyOf, tuf1Signer } from '../../src/publish/tuf1/keys.js';
import { Tuf1Writer } from '../../src/publish/tuf1/writer.js';
import { OciBundle, writeBundle } from '../../src/transport/oci/bundle.js';
import { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import { buildMetadataManifest } from '../../src/transport/oci/layout.js';
import { OciMetadataStore } from '../../src/transport/oci/registry-store.js';
import { readTar, writeTar } from '../../src/transport/oci/tar.js';
import { freshGun, getLab, type LabInfo, pushImage, tempDir } from '../harness/lab.js';
import { trust } from '../support/cli.js';
import {
  DOCKER_LAYOUT,
  DOCKER_ROOT1_DIGEST,
  layoutBlob,
  pushDockerRepository,
} from '../support/docker-layout.js';
import { RegistryProxy } from '../support/registry-proxy.js';
import { rejection } from '../support/rejection.js';

const DAY = 86_400_000;

function pubOpts(trustDir: string): RegistryPublishOptions {
  return {
    trustDir,
    server: 'registry',
    passphrase: staticPassphraseProvider('r2-pass'),
    keyIterations: 1000,
    credentials: null,
    settleMs: 0,
  };
}

async function signedRepo(lab: LabInfo, prefix: string) {
  const gun = freshGun(lab, prefix);
  const repo = gun.slice(lab.registryHost.length + 1);
  const v1 = await pushImage(lab, repo, 'v1');
  const publisher = tempDir();
  const init = await initRegistryRepository(gun, pubOpts(publisher));
  await signRegistryTags([{ reference: `${gun}:v1` }], pubOpts(publisher));
  return { gun, repo, v1, publisher, rootKeyId: init.rootKeyId };
}

/** The metadata store of a GUN's tuf-metadata tag (or another tag of its repository). */
function storeOf(lab: LabInfo, repo: string, tag = 'tuf-metadata'): OciMetadataStore {
  return new OciMetadataStore({
    client: new OciRegistryClient({ registry: lab.registryHost }),
    location: { registry: lab.registryHost, repository: repo, tag },
  });
}

/** Online keys for an attacker's (or a hand-made) repository. */
function keysFor(root: Tuf1PublicKey[]) {
  const online = generateSigner('ed25519');
  return {
    online,
    keys: {
      root,
      targets: [tuf1KeyOf(online)],
      snapshot: [tuf1KeyOf(online)],
      timestamp: [tuf1KeyOf(online)],
    },
  };
}

describe('trust export: verify first, Docker per-role manifests, bundles verified offline', () => {
  it('export then verify in a fresh trust dir with the pin; a tampered blob, swapped layers or an old bundle replayed to a warm client is refused', async () => {
    const lab = getLab('remote');
    const { gun, v1, publisher, rootKeyId } = await signedRepo(lab, 'exp');
    const out = join(tempDir(), 'b.tar');
    const res = await exportBundle([`${gun}:v1`], out, pubOpts(publisher));
    expect(res.repositories).toMatchObject([{ gun, files: 4 }]);
    const pinning = { certs: { [gun]: [rootKeyId] } };
    const ok = await verifyRegistry(`${gun}:v1`, { trustDir: tempDir(), bundle: out, pinning });
    expect(ok).toMatchObject({ digest: v1.digest, role: 'targets' });

    const bundle = OciBundle.parse(readFileSync(out));
    const main = (await bundle.store(gun).manifest())!;
    const entries = readTar(readFileSync(out));

    // a blob with other bytes (same length): the bundle's own digest check refuses it
    const ts = main.files.get('timestamp.json')!;
    const tampered = entries.map((e) => {
      if (e.name !== `blobs/sha256/${ts.digest.slice(7)}`) return e;
      const bytes = new Uint8Array(e.bytes);
      bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 1;
      return { name: e.name, bytes };
    });
    const t1 = join(tempDir(), 'tampered.tar');
    writeFileSync(t1, writeTar(tampered));
    const e1 = await rejection(verifyRegistry(`${gun}:v1`, { trustDir: tempDir(), bundle: t1, pinning }));
    expect([e1.code, exitCodeFor(e1)]).toEqual(['HASH_MISMATCH', 1]);

    // layers swapped (a consistent manifest whose snapshot layer holds the targets file): TUF refuses
    const files = new Map<string, Uint8Array>();
    for (const [name, d] of main.files) files.set(name, bundle.blob(d.digest, d.size, 1 << 20));
    const swapped = buildMetadataManifest([
      ...[...files]
        .filter(([n]) => !/^2\.(snapshot|targets)\.json$/.test(n))
        .map(([name, bytes]) => ({ name, bytes })),
      { name: '2.snapshot.json', bytes: files.get('2.targets.json')! },
      { name: '2.targets.json', bytes: files.get('2.snapshot.json')! },
    ]);
    const t2 = join(tempDir(), 'swapped.tar');
    writeFileSync(t2, writeBundle([{ gun, tag: 'tuf-metadata', bytes: swapped.bytes }], swapped.blobs));
    const e2 = await rejection(verifyRegistry(`${gun}:v1`, { trustDir: tempDir(), bundle: t2, pinning }));
    expect(exitCodeFor(e2)).toBe(1);
    // the snapshot layer is now longer than the timestamp says (or hashes differently)
    expect(['HASH_MISMATCH', 'LENGTH_MISMATCH', 'TOO_LARGE']).toContain(e2.code);

    // an old bundle replayed to a client that has seen newer state: rollback
    await pushImage(lab, gun.slice(lab.registryHost.length + 1), 'v2', { content: 'two' });
    await signRegistryTags([{ reference: `${gun}:v2` }], pubOpts(publisher));
    const warm = tempDir();
    await verifyRegistry(`${gun}:v2`, { trustDir: warm, server: 'registry', pinning });
    const replay = await rejection(verifyRegistry(`${gun}:v1`, { trustDir: warm, bundle: out, pinning }));
    expect([replay.code, exitCodeFor(replay)]).toEqual(['ROLLBACK', 1]);
  });

  it('refuses to export what does not verify (a manifest of another repository, an unsigned tag) and writes nothing', async () => {
    const lab = getLab('remote');
    const victim = await signedRepo(lab, 'exp-victim');
    const other = await signedRepo(lab, 'exp-other');
    const dir = tempDir();
    const out = join(dir, 'b.tar');
    writeFileSync(out, 'previous bundle');
    const proxy = await RegistryProxy.start(lab.registryUrl);
    try {
      proxy.rule((req, upstream) =>
        req.repository === victim.repo && (req.kind === 'manifest' || req.kind === 'blob')
          ? upstream({
              path: req.path.replace(victim.repo, other.repo),
              headers: { 'if-none-match': '' },
            }).then((a) => ({ status: a.status, headers: a.headers, body: a.body }))
          : undefined,
      );
      const client = new OciRegistryClient({ registry: lab.registryHost, baseUrl: proxy.url });
      // the publisher's trust dir trusts the victim's root: the other repository's state does not verify
      await verifyRegistry(`${victim.gun}:v1`, { trustDir: victim.publisher, server: 'registry' });
      const err = await rejection(
        exportBundle([`${victim.gun}:v1`], out, { ...pubOpts(victim.publisher), client }),
      );
      expect(['THRESHOLD', 'BAD_SIGNATURE']).toContain(err.code);
      expect(exitCodeFor(err)).toBe(1);
      expect(readFileSync(out, 'utf8')).toBe('previous bundle');
    } finally {
      await proxy.close();
    }
    const unsigned = join(dir, 'u.tar');
    const e2 = await rejection(exportBundle([`${victim.gun}:nope`], unsigned, pubOpts(victim.publisher)));
    expect([e2.code, exitCodeFor(e2)]).toEqual(['NOT_SIGNED', 1]);
    expect(existsSync(unsigned)).toBe(false);
  });

  it("carries Docker's per-role manifest (a delegated role tagged with its name) into the bundle", async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'exp-docker');
    const repo = gun.slice(lab.registryHost.length + 1);
    const img = await pushImage(lab, repo, 'v9');
    const root = generateSigner('ecdsa');
    const ci = generateSigner('ed25519');
    const { online, keys } = keysFor([tuf1KeyOf(root)]);
    const writer = Tuf1Writer.init({ keys });
    // two keys, threshold 1, only `ci` signs: verify's `signers` names the key that signed
    const ci2 = generateSigner('ed25519');
    writer.addDelegation({ name: 'ci', keys: [tuf1KeyOf(ci), tuf1KeyOf(ci2)], threshold: 1, paths: ['*'] });
    writer.addTarget('v9', { length: img.size, hashes: { sha256: img.digest.slice(7) } }, 'ci');
    const files = writer.commit([root, online, ci].map(tuf1Signer), { now: Date.now() }).files;
    expect(files.has('1.ci.json')).toBe(true);
    // Docker's layout: the delegated role in its own manifest, tagged with the role name
    await storeOf(lab, repo, 'ci').pushFiles([{ name: '1.ci.json', bytes: files.get('1.ci.json')! }]);
    await storeOf(lab, repo).pushFiles(
      [...files].filter(([n]) => n !== '1.ci.json').map(([name, bytes]) => ({ name, bytes })),
    );
    const pinning = { certs: { [gun]: [tuf1KeyOf(root).keyid] } };
    const online1 = await verifyRegistry(`${gun}:v9`, {
      trustDir: tempDir(),
      server: 'registry',
      pinning,
      roles: ['ci'],
    });
    expect(online1).toMatchObject({ digest: img.digest, role: 'ci', signers: [tuf1KeyOf(ci).keyid] });

    const out = join(tempDir(), 'docker.tar');
    const res = await exportBundle([gun], out, { ...pubOpts(tempDir()), pinning });
    expect(res.repositories[0]!.roleManifests).toEqual(['ci']);
    const bundle = OciBundle.parse(readFileSync(out));
    expect(bundle.entries.map((e) => e.tag)).toEqual(['tuf-metadata', 'ci']);
    const off = await verifyRegistry(`${gun}:v9`, {
      trustDir: tempDir(),
      bundle: out,
      pinning,
      roles: ['ci'],
    });
    expect(off).toMatchObject({ digest: img.digest, role: 'ci', signers: [tuf1KeyOf(ci).keyid] });
  });
});

describe("trust export of Docker's published TUF-on-OCI repository (per-role manifests test-role, testing)", () => {
  it('bundles the main and per-role manifests when everything verifies; an expired delegated role refuses the export', async () => {
    const lab = getLab('remote');
    const client = new OciRegistryClient({ registry: lab.registryHost });
    const repository = `docker/tuf-metadata-${randomBytes(5).toString('hex')}`;
    await pushDockerRepository(client, repository, true);
    const gun = `${lab.registryHost}/${repository}`;
    const root1 = layoutBlob(DOCKER_LAYOUT, DOCKER_ROOT1_DIGEST);
    const rootKeyIds = JSON.parse(new TextDecoder().decode(root1)).signed.roles.root.keyids as string[];
    const opts = {
      ...pubOpts(tempDir()),
      server: `oci://${gun}:latest`,
      pinning: { certs: { [gun]: rootKeyIds } },
    };
    const dir = tempDir();
    // today the delegated role `testing` has expired (2025-09-09): not exported
    const stale = await rejection(exportBundle([gun], join(dir, 'now.tar'), opts));
    expect([stale.code, exitCodeFor(stale)]).toEqual(['EXPIRED', 1]);
    expect(existsSync(join(dir, 'now.tar'))).toBe(false);

    const then = Date.parse('2025-09-01T00:00:00Z');
    const out = join(dir, 'then.tar');
    const res = await exportBundle([gun], out, { ...opts, trustDir: tempDir(), now: () => then });
    expect(res.repositories[0]!.roleManifests).toEqual(['test-role', 'testing']);
    const bundle = OciBundle.parse(readFileSync(out));
    expect(bundle.entries.map((e) => e.tag)).toEqual(['latest', 'test-role', 'testing']);
    // read back with no network, from Docker's root: targets of both delegated roles
    const metadataDir = join(tempDir(), 'metadata');
    TufUpdater.init(metadataDir, root1);
    const u = new TufUpdater({
      metadataDir,
      metadataBaseUrl: 'https://registry.invalid/metadata/',
      fetcher: storeFetcher(bundle.store(gun)),
      now: () => then,
    });
    expect(await u.getTargetInfo('test-role/dir1/dir2/dir3/test.txt')).toMatchObject({
      length: 46,
      hashes: { sha256: 'bb8fcf06f6c067dcbcb394d7d9ced788316fc02b715fe679097281108a4bd465' },
    });
    expect(await u.getTargetInfo('testing/mapping.yaml')).toMatchObject({ length: 269 });
  });
});

describe('verify --offline on the registry path: the trust dir copy, no network, expiry enforced', () => {
  it('answers from the copy with no request; expired, unsigned, nothing cached, a damaged copy are refused', async () => {
    const lab = getLab('remote');
    const { gun, v1 } = await signedRepo(lab, 'offline');
    const trustDir = tempDir();
    const proxy = await RegistryProxy.start(lab.registryUrl);
    try {
      const client = new OciRegistryClient({ registry: lab.registryHost, baseUrl: proxy.url });
      await verifyRegistry(`${gun}:v1`, { trustDir, server: 'registry', client });
      proxy.requests.length = 0;
      const off = await verifyRegistry(`${gun}:v1`, { trustDir, offline: true, client });
      expect(off).toMatchObject({ digest: v1.digest, role: 'targets' });
      // the library's verify() routes a recorded GUN to the registry path offline too
      expect((await verify(`${gun}:v1`, { trustDir, offline: true })).digest).toBe(v1.digest);
      expect(proxy.requests).toEqual([]);

      const later = () => Date.now() + 8 * DAY;
      const expired = await rejection(verifyRegistry(`${gun}:v1`, { trustDir, offline: true, now: later }));
      expect([expired.code, exitCodeFor(expired)]).toEqual(['EXPIRED', 1]);
      const unsigned = await rejection(verifyRegistry(`${gun}:nope`, { trustDir, offline: true }));
      expect([unsigned.code, exitCodeFor(unsigned)]).toEqual(['NOT_SIGNED', 1]);
      const none = await rejection(
        verifyRegistry(`${gun}:v1`, { trustDir: tempDir(), server: 'registry', offline: true }),
      );
      expect([none.code, exitCodeFor(none)]).toEqual(['NO_TRUST_DATA', 1]);
      expect(none.message).toMatch(/offline: the trust dir has no registry-hosted trust data/);
      // a damaged copy (blobs with other bytes) reads as missing: refused, never answered from
      const blobs = join(trustDir, 'tuf', ...gun.split('/'), 'oci', 'blobs', 'sha256');
      for (const f of readdirSync(blobs)) writeFileSync(join(blobs, f), 'x');
      const damaged = await rejection(verifyRegistry(`${gun}:v1`, { trustDir, offline: true }));
      expect([damaged.code, exitCodeFor(damaged)]).toEqual(['NO_TRUST_DATA', 1]);
      expect(proxy.requests).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});

describe('verify --offline copy: only verified states are kept', () => {
  it('a rolled-back manifest served once does not replace the copy --offline answers from', async () => {
    const lab = getLab('remote');
    const { gun, repo, v1, publisher } = await signedRepo(lab, 'offline-poison');
    const old = await new OciRegistryClient({ registry: lab.registryHost }).getManifest(repo, 'tuf-metadata');
    if (old.status !== 'ok') throw new Error('no metadata manifest');
    const v2 = await pushImage(lab, repo, 'v2');
    await signRegistryTags([{ reference: `${gun}:v2` }], pubOpts(publisher));
    const trustDir = tempDir();
    const proxy = await RegistryProxy.start(lab.registryUrl);
    try {
      const client = new OciRegistryClient({ registry: lab.registryHost, baseUrl: proxy.url });
      expect((await verifyRegistry(`${gun}:v2`, { trustDir, server: 'registry', client })).digest).toBe(
        v2.digest,
      );
      proxy.rule((req) =>
        req.kind === 'manifest' && req.reference === 'tuf-metadata'
          ? { headers: { 'content-type': old.manifest.mediaType }, body: old.manifest.bytes }
          : undefined,
      );
      const rolled = await rejection(verifyRegistry(`${gun}:v2`, { trustDir, server: 'registry', client }));
      expect([rolled.code, exitCodeFor(rolled)]).toEqual(['ROLLBACK', 1]);
      const off = await verifyRegistry(`${gun}:v2`, { trustDir, offline: true, client });
      expect(off.digest).toBe(v2.digest);
      expect((await verifyRegistry(`${gun}:v1`, { trustDir, offline: true, client })).digest).toBe(v1.digest);
    } finally {
      await proxy.close();
    }
  });
});

describe('root pins on the registry path', () => {
  it('an old pin follows a valid rotation chain; the new key pins too; a hijacked chain after a matching 1.root.json is refused', async () => {
    const lab = getLab('remote');
    const { gun, repo, v1, publisher, rootKeyId } = await signedRepo(lab, 'pin-rot');
    // rotate the root key: 2.root.json signed by the old and the new root key
    const ctx = registryContext(gun, pubOpts(publisher));
    const state = (await fetchState(ctx))!;
    const writer = Tuf1Writer.fromFiles(state.files);
    const held = await tuf1SignersFromKeyStore(ctx.keystore, tuf1KeyEntries(writer));
    const next = generateSigner('ecdsa');
    writer.setRoleKeys('root', [tuf1KeyOf(next)]);
    const rotated = writer.commit([...held, tuf1Signer(next)], { now: Date.now() });
    expect(rotated.files.has('2.root.json')).toBe(true);
    await ctx.store.pushFiles(
      [...rotated.files].map(([name, bytes]) => ({ name, bytes })),
      {
        base: state.digest,
      },
    );

    const oldPin = await verifyRegistry(`${gun}:v1`, {
      trustDir: tempDir(),
      server: 'registry',
      pinning: { certs: { [gun]: [rootKeyId] } },
    });
    expect(oldPin.digest).toBe(v1.digest);
    const newPin = await verifyRegistry(`${gun}:v1`, {
      trustDir: tempDir(),
      server: 'registry',
      pinning: { certs: { [gun]: [tuf1KeyOf(next).keyid] } },
    });
    expect(newPin.digest).toBe(v1.digest);

    // hijack: the real 1.root.json (it matches the old pin), then the attacker's 2.root.json
    const attackerRoot = generateSigner('ecdsa');
    const { online, keys } = keysFor([tuf1KeyOf(attackerRoot)]);
    const evil = Tuf1Writer.init({ keys });
    evil.addTarget('v1', { length: 3, hashes: { sha256: 'e'.repeat(64) } });
    const first = evil.commit([attackerRoot, online].map(tuf1Signer), { now: Date.now() }).files;
    evil.touchRoot();
    const second = evil.commit([attackerRoot, online].map(tuf1Signer), { now: Date.now() }).files;
    const hijacked = new Map([...first, ...second]);
    hijacked.set('1.root.json', state.files.get('1.root.json')!);
    await storeOf(lab, repo).pushFiles(
      [...hijacked].map(([name, bytes]) => ({ name, bytes })),
      { replaceAll: true },
    );
    const err = await rejection(
      verifyRegistry(`${gun}:v1`, {
        trustDir: tempDir(),
        server: 'registry',
        pinning: { certs: { [gun]: [rootKeyId] } },
      }),
    );
    expect(['THRESHOLD', 'BAD_SIGNATURE']).toContain(err.code);
    expect(exitCodeFor(err)).toBe(1);
  });

  it('a root that lists the pinned key id but is signed by another key is refused (PINNING)', async () => {
    const lab = getLab('remote');
    const { gun, repo, rootKeyId, publisher } = await signedRepo(lab, 'pin-list');
    const real = JSON.parse(
      new TextDecoder().decode((await storeOf(lab, repo).getMeta('1.root.json', 1 << 20))!),
    ) as {
      signed: { keys: Record<string, { keytype: string; scheme: string; keyval: { public: string } }> };
    };
    const k = real.signed.keys[rootKeyId]!;
    const pinnedPub = { keyid: rootKeyId, keytype: k.keytype, scheme: k.scheme, public: k.keyval.public };
    const attacker = generateSigner('ecdsa');
    const { online, keys } = keysFor([pinnedPub as Tuf1PublicKey, tuf1KeyOf(attacker)]);
    const evil = Tuf1Writer.init({ keys });
    evil.addTarget('v1', { length: 3, hashes: { sha256: 'e'.repeat(64) } });
    const files = evil.commit([attacker, online].map(tuf1Signer), { now: Date.now() }).files;
    await storeOf(lab, repo).pushFiles(
      [...files].map(([name, bytes]) => ({ name, bytes })),
      { replaceAll: true },
    );
    const err = await rejection(
      verifyRegistry(`${gun}:v1`, {
        trustDir: tempDir(),
        server: 'registry',
        pinning: { certs: { [gun]: [rootKeyId] } },
      }),
    );
    expect([err.code, exitCodeFor(err)]).toEqual(['PINNING', 1]);
    // the publishing side too: a trust dir with the keys but no root yet, pinned, never re-signs it
    const keysOnly = tempDir();
    cpSync(join(publisher, 'private'), join(keysOnly, 'private'), { recursive: true });
    const before = await storeOf(lab, repo).manifest();
    const pub = await rejection(
      refreshRegistryRepository(gun, { ...pubOpts(keysOnly), pinning: { certs: { [gun]: [rootKeyId] } } }),
    );
    expect(pub.code).toBe('PINNING');
    const after = storeOf(lab, repo);
    expect((await after.manifest())!.digest).toBe(before!.digest);
  });
});

describe('the CLI: trust export (verified first) and trust verify --bundle / --offline on the registry path', () => {
  it('exports and verifies offline; an unsigned tag is not exported; --offline without a copy is exit 1', async () => {
    const lab = getLab('remote');
    const { gun, v1, publisher, rootKeyId } = await signedRepo(lab, 'cli-exp');
    const home = tempDir();
    const env = { DOCKER_CONFIG: join(home, 'docker') };
    const nope = join(home, 'nope.tar');
    const bad = trust(['export', `${gun}:nope`, '--output', nope, '--trust-dir', publisher], env);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error NOT_SIGNED/);
    expect(existsSync(nope)).toBe(false);
    const out = join(home, 'b.tar');
    const exp = trust(['export', `${gun}:v1`, '--output', out, '--trust-dir', publisher], env);
    expect(exp.stderr).toBe('');
    expect(exp.stdout).toBe(`Exported ${gun} (4 files, oci://${gun}:tuf-metadata)\n`);
    const config = join(home, 'pins.json');
    writeFileSync(config, JSON.stringify({ trust_pinning: { certs: { [gun]: [rootKeyId] } } }));
    const fromBundle = trust(
      ['verify', `${gun}:v1`, '--bundle', out, '--config', config, '--trust-dir', join(home, 't1')],
      env,
    );
    expect(fromBundle.stderr).toBe('');
    expect(fromBundle.stdout).toBe(`${gun}@${v1.digest}\n`);

    const t2 = join(home, 't2');
    expect(trust(['verify', `${gun}:v1`, '--server', 'registry', '--trust-dir', t2], env).status).toBe(0);
    const offline = trust(['verify', `${gun}:v1`, '--offline', '--trust-dir', t2, '--json'], env);
    expect(offline.stderr).toBe('');
    expect(JSON.parse(offline.stdout)).toMatchObject({ digest: v1.digest, role: 'targets' });
    const none = trust(
      ['verify', `${gun}:v1`, '--offline', '--server', 'registry', '--trust-dir', join(home, 't3')],
      env,
    );
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(
      /^error NO_TRUST_DATA: offline: the trust dir has no registry-hosted trust data/,
    );
  });
});
