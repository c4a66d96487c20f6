// python-tuf's ngclient reads registry-hosted trust data through a small fetcher that maps file
// names to layers (test/interop/python/registry_tuf.py, as docker/attest's RegistryFetcher does).
// Needs python-tuf: CT_TUF_PYTHON=<python of ../shared/tuf-conformance's venv>, which `.ci/run` sets
// when the kit is present (and says so when it is not). Without it this file has nothing to run.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { generateKey } from '../../src/publish/keys.js';
import { migrateRepository } from '../../src/publish/migrate.js';
import {
  fetchState,
  initRegistryRepository,
  refreshRegistryRepository,
  registryContext,
  signRegistryTags,
} from '../../src/publish/registry.js';
import {
  addRegistrySigner,
  removeRegistrySigner,
  rotateRegistryKey,
} from '../../src/publish/registry-admin.js';
import { decodeBasicAuth, staticCredentials } from '../../src/transport/credentials.js';
import { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import { OciMetadataStore } from '../../src/transport/oci/registry-store.js';
import { freshGun, getLab, pushImage, tempDir } from '../harness/lab.js';
import { nestedNotaryRepo } from '../support/nested-notary.js';

const PYTHON = process.env.CT_TUF_PYTHON;
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'python', 'registry_tuf.py');

function py(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON!, [SCRIPT, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(PYTHON)('python-tuf ngclient over the registry layout', () => {
  for (const labName of ['remote', 'auth'] as const) {
    it(`verifies a python-tuf repository pushed by our pusher and finds the same digest (${labName} lab)`, async () => {
      const lab = getLab(labName);
      const gun = freshGun(lab, 'pytuf');
      const repository = gun.slice(lab.registryHost.length + 1);
      const image = await pushImage(lab, repository, 'v1', { format: 'oci' });
      const dir = tempDir();
      const made = py(['make-repo', '--out', join(dir, 'repo'), `v1=${image.digest}:${image.size}`]);
      expect(made.status, made.stderr).toBe(0);
      const files = readdirSync(join(dir, 'repo')).map((name) => ({
        name,
        bytes: readFileSync(join(dir, 'repo', name)),
      }));
      const basic = lab.notaryEnv.NOTARY_AUTH;
      const client = new OciRegistryClient({
        registry: lab.registryHost,
        credentials: basic ? staticCredentials(decodeBasicAuth(basic)) : null,
      });
      const store = new OciMetadataStore({
        client,
        location: { registry: lab.registryHost, repository, tag: 'tuf-metadata' },
      });
      await store.pushFiles(files, { base: null });
      writeFileSync(join(dir, 'root.json'), readFileSync(join(dir, 'repo', '1.root.json')));
      const out = py([
        'verify',
        '--registry',
        lab.registryUrl,
        '--repository',
        repository,
        '--root',
        join(dir, 'root.json'),
        '--metadata-dir',
        join(dir, 'client'),
        'v1',
      ]);
      expect(out.status, out.stderr).toBe(0);
      const got = JSON.parse(out.stdout) as Record<string, { length: number; sha256: string }>;
      expect(got.v1).toMatchObject({ length: image.size, sha256: image.digest.slice('sha256:'.length) });
      // an unsigned tag is not found; the client never looks anywhere else
      const miss = py([
        'verify',
        '--registry',
        lab.registryUrl,
        '--repository',
        repository,
        '--root',
        join(dir, 'root.json'),
        '--metadata-dir',
        join(dir, 'client'),
        'v2',
      ]);
      expect(miss.status).toBe(1);
    });
  }

  it('verifies what our publisher (init + sign + refresh) puts in the registry and finds the same digest', async () => {
    const lab = getLab('auth');
    const gun = freshGun(lab, 'pytuf-ours');
    const repository = gun.slice(lab.registryHost.length + 1);
    const v1 = await pushImage(lab, repository, 'v1', { format: 'oci' });
    const v2 = await pushImage(lab, repository, 'v2', { content: 'second' });
    const dir = tempDir();
    const basic = lab.notaryEnv.NOTARY_AUTH!;
    const opts = {
      trustDir: join(dir, 'trust'),
      server: 'registry',
      passphrase: staticPassphraseProvider('pytuf'),
      keyIterations: 1000,
      credentials: staticCredentials(decodeBasicAuth(basic)),
    };
    await initRegistryRepository(gun, opts);
    await signRegistryTags([{ reference: `${gun}:v1` }], opts);
    await signRegistryTags([{ reference: `${gun}:v2` }], opts);
    await refreshRegistryRepository(gun, opts);
    const state = await fetchState(registryContext(gun, opts));
    writeFileSync(join(dir, 'root.json'), state!.files.get('1.root.json')!);
    const out = py([
      'verify',
      '--registry',
      lab.registryUrl,
      '--repository',
      repository,
      '--root',
      join(dir, 'root.json'),
      '--metadata-dir',
      join(dir, 'client'),
      'v1',
      'v2',
    ]);
    expect(out.status, out.stderr).toBe(0);
    const got = JSON.parse(out.stdout) as Record<string, { length: number; sha256: string; custom: unknown }>;
    expect(got.v1).toEqual({
      length: v1.size,
      sha256: v1.digest.slice(7),
      custom: { mediaType: v1.mediaType },
    });
    expect(got.v2).toEqual({
      length: v2.size,
      sha256: v2.digest.slice(7),
      custom: { mediaType: v2.mediaType },
    });
  });

  it('follows signer add/remove and every key rotation: a warm and a fresh ngclient find the same digests', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'pytuf-admin');
    const repository = gun.slice(lab.registryHost.length + 1);
    const dir = tempDir();
    const opts = {
      trustDir: join(dir, 'trust'),
      server: 'registry',
      passphrase: staticPassphraseProvider('pytuf'),
      keyIterations: 1000,
      credentials: null,
      settleMs: 0,
    };
    const d = (c: string) => `sha256:${c.repeat(64)}`;
    await initRegistryRepository(gun, opts);
    const alice = await generateKey('alice', { ...opts, dir });
    await addRegistrySigner('alice', readFileSync(alice.publicKeyPath, 'utf8'), gun, opts);
    // the trust dir holds alice's key: v1 goes into targets/releases; v2 into targets after she leaves
    await signRegistryTags([{ reference: `${gun}:v1`, digest: d('1'), size: 11 }], opts);
    const state = await fetchState(registryContext(gun, opts));
    writeFileSync(join(dir, 'root.json'), state!.files.get('1.root.json')!);
    const verifyPy = (metadataDir: string, ...tags: string[]) => {
      const out = py([
        'verify',
        '--registry',
        lab.registryUrl,
        '--repository',
        repository,
        '--root',
        join(dir, 'root.json'),
        '--metadata-dir',
        metadataDir,
        ...tags,
      ]);
      expect(out.status, out.stderr).toBe(0);
      return JSON.parse(out.stdout) as Record<string, { length: number; sha256: string }>;
    };
    const warm = join(dir, 'warm');
    expect(verifyPy(warm, 'v1').v1).toMatchObject({ length: 11, sha256: '1'.repeat(64) });
    for (const role of ['targets', 'snapshot', 'timestamp', 'root'] as const) {
      await rotateRegistryKey(gun, role, opts);
    }
    await removeRegistrySigner('alice', gun, opts);
    await signRegistryTags([{ reference: `${gun}:v2`, digest: d('2'), size: 22 }], opts);
    const names = [...(await fetchState(registryContext(gun, opts)))!.files.keys()];
    expect(names.filter((n) => n.endsWith('.root.json')).sort()).toEqual(
      ['1', '2', '3', '4', '5'].map((v) => `${v}.root.json`),
    );
    for (const metadataDir of [warm, join(dir, 'fresh')]) {
      expect(verifyPy(metadataDir, 'v2').v2).toMatchObject({ length: 22, sha256: '2'.repeat(64) });
    }
  });

  it('verifies a repository migrated from the real notary-server (nested delegation included) and finds the same digests', async () => {
    const lab = getLab('remote');
    const { gun, repo, v1, v2, qa, opts } = await nestedNotaryRepo(lab, 'pytuf-migrated');
    const r = await migrateRepository(gun, { ...opts, to: 'registry' });
    expect(r.delegations).toContain('targets/releases/qa');
    const dir = tempDir();
    const state = await fetchState(registryContext(gun, { ...opts, server: 'registry' }));
    writeFileSync(join(dir, 'root.json'), state!.files.get('1.root.json')!);
    const out = py([
      'verify',
      '--registry',
      lab.registryUrl,
      '--repository',
      repo,
      '--root',
      join(dir, 'root.json'),
      '--metadata-dir',
      join(dir, 'client'),
      'v1',
      'v2',
      'qa-1',
    ]);
    expect(out.status, out.stderr).toBe(0);
    const got = JSON.parse(out.stdout) as Record<string, { length: number; sha256: string }>;
    for (const [tag, image] of [
      ['v1', v1],
      ['v2', v2],
      ['qa-1', qa],
    ] as const) {
      expect(got[tag]).toMatchObject({ length: image.size, sha256: image.digest.slice('sha256:'.length) });
    }
  });
});
