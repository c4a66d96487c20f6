// `trust export` against a hostile registry: the metadata manifest may list layers the TUF client
// never reads (old versions are allowed), each up to the per-file cap. Export must refuse a state
// larger than `verify --bundle` accepts before fetching any of it, not download it all first.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/errors.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import {
  exportBundle,
  initRegistryRepository,
  type RegistryPublishOptions,
  signRegistryTags,
} from '../../src/publish/registry.js';
import { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import { freshGun, getLab, pushImage, tempDir } from '../harness/lab.js';
import { RegistryProxy } from '../support/registry-proxy.js';
import { rejection } from '../support/rejection.js';

function pubOpts(trustDir: string): RegistryPublishOptions {
  return {
    trustDir,
    server: 'registry',
    passphrase: staticPassphraseProvider('budget-pass'),
    keyIterations: 1000,
    credentials: null,
    settleMs: 0,
  };
}

describe('trust export: a bundle budget checked before any blob is fetched', () => {
  it('a verified state whose manifest lists 20 extra 15 MiB layers is refused (TOO_LARGE), none fetched', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'budget');
    const repo = gun.slice(lab.registryHost.length + 1);
    await pushImage(lab, repo, 'v1');
    const publisher = tempDir();
    await initRegistryRepository(gun, pubOpts(publisher));
    await signRegistryTags([{ reference: `${gun}:v1` }], pubOpts(publisher));
    const extra = Array.from({ length: 20 }, (_, i) => ({
      mediaType: 'application/vnd.tuf.metadata+json',
      digest: `sha256:${randomBytes(32).toString('hex')}`,
      size: 15 << 20,
      annotations: { 'tuf.io/filename': `${1000 + i}.targets.json` },
    }));
    const fake = new Set(extra.map((l) => l.digest));
    const proxy = await RegistryProxy.start(lab.registryUrl);
    try {
      proxy.rule(async (req, upstream) => {
        if (
          req.method !== 'GET' ||
          req.repository !== repo ||
          req.kind !== 'manifest' ||
          req.reference !== 'tuf-metadata'
        ) {
          return undefined;
        }
        const a = await upstream({ headers: { 'if-none-match': '' } });
        const m = JSON.parse(Buffer.from(a.body).toString('utf8'));
        m.layers.push(...extra);
        const body = Buffer.from(JSON.stringify(m));
        const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
        return {
          status: 200,
          headers: { ...a.headers, 'content-length': String(body.length), 'docker-content-digest': digest },
          body,
        };
      });
      const client = new OciRegistryClient({ registry: lab.registryHost, baseUrl: proxy.url });
      const out = join(tempDir(), 'b.tar');
      const err = await rejection(exportBundle([`${gun}:v1`], out, { ...pubOpts(publisher), client }));
      expect([err.code, exitCodeFor(err)]).toEqual(['TOO_LARGE', 1]);
      expect(proxy.requests.filter((r) => r.kind === 'blob' && fake.has(r.reference ?? ''))).toEqual([]);
      expect(existsSync(out)).toBe(false);
    } finally {
      await proxy.close();
    }
  });
});
