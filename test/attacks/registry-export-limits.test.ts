// `trust export` against a hostile registry whose verified metadata manifest lists layers the TUF
// client never reads (old versions are allowed), each within the per-file cap:
// - a state larger than `verify --bundle` accepts is refused before any of it is fetched;
// - layers served just inside the per-request deadline still end at the overall deadline
//   (--deadline), not after layers x per-request deadline.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { type ProxyAnswer, type ProxyRequest, RegistryProxy } from '../support/registry-proxy.js';
import { rejection } from '../support/rejection.js';

function pubOpts(trustDir: string): RegistryPublishOptions {
  return {
    trustDir,
    server: 'registry',
    passphrase: staticPassphraseProvider('export-limits-pass'),
    keyIterations: 1000,
    credentials: null,
    settleMs: 0,
  };
}

interface Layer {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
}

const layer = (i: number, digest: string, size: number): Layer => ({
  mediaType: 'application/vnd.tuf.metadata+json',
  digest,
  size,
  annotations: { 'tuf.io/filename': `${1000 + i}.targets.json` },
});

/**
 * A signed registry-hosted repository behind a proxy that appends `extra` layers to its metadata
 * manifest (`blob` may answer requests for them); `attempt` runs an export through the proxy.
 */
async function exportWithExtraLayers(
  prefix: string,
  extra: Layer[],
  blob: (req: ProxyRequest) => Promise<ProxyAnswer | undefined> | undefined,
  attempt: (
    exportTo: (out: string, deadlineMs?: number) => Promise<unknown>,
    proxy: RegistryProxy,
  ) => Promise<void>,
) {
  const lab = getLab('remote');
  const gun = freshGun(lab, prefix);
  const repo = gun.slice(lab.registryHost.length + 1);
  await pushImage(lab, repo, 'v1');
  const publisher = tempDir();
  await initRegistryRepository(gun, pubOpts(publisher));
  await signRegistryTags([{ reference: `${gun}:v1` }], pubOpts(publisher));
  const proxy = await RegistryProxy.start(lab.registryUrl);
  try {
    proxy.rule(async (req, upstream) => {
      if (req.repository !== repo || req.method !== 'GET') return undefined;
      if (req.kind === 'blob') return blob(req);
      if (req.kind !== 'manifest' || req.reference !== 'tuf-metadata') return undefined;
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
    await attempt(
      (out, deadlineMs) =>
        exportBundle([`${gun}:v1`], out, {
          ...pubOpts(publisher),
          client,
          ...(deadlineMs === undefined ? {} : { deadlineMs }),
        }),
      proxy,
    );
  } finally {
    await proxy.close();
  }
}

describe('trust export: a bundle budget checked before any blob is fetched', () => {
  it('a verified state whose manifest lists 20 extra 15 MiB layers is refused (TOO_LARGE), none fetched', async () => {
    const extra = Array.from({ length: 20 }, (_, i) =>
      layer(i, `sha256:${randomBytes(32).toString('hex')}`, 15 << 20),
    );
    const fake = new Set(extra.map((l) => l.digest));
    await exportWithExtraLayers(
      'budget',
      extra,
      () => undefined,
      async (exportTo, proxy) => {
        const out = join(tempDir(), 'b.tar');
        const err = await rejection(exportTo(out));
        expect([err.code, exitCodeFor(err)]).toEqual(['TOO_LARGE', 1]);
        expect(proxy.requests.filter((r) => r.kind === 'blob' && fake.has(r.reference ?? ''))).toEqual([]);
        expect(existsSync(out)).toBe(false);
      },
    );
  });
});

describe('trust export: one overall deadline', () => {
  it('30 unread layers served 400 ms each do not outlast a 4 s deadline (TIMEOUT, exit 3)', async () => {
    const blobs = new Map<string, Buffer>();
    const extra = Array.from({ length: 30 }, (_, i) => {
      const bytes = randomBytes(100);
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      blobs.set(digest, bytes);
      return layer(i, digest, bytes.length);
    });
    let served = 0;
    const slowBlob = async (req: ProxyRequest) => {
      const bytes = blobs.get(req.reference ?? '');
      if (!bytes) return undefined;
      await sleep(400);
      served++;
      return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: bytes };
    };
    await exportWithExtraLayers('slow', extra, slowBlob, async (exportTo) => {
      const out = join(tempDir(), 'b.tar');
      const err = await rejection(exportTo(out, 4000));
      expect([err.code, exitCodeFor(err)]).toEqual(['TIMEOUT', 3]);
      expect(served).toBeLessThan(30);
      expect(existsSync(out)).toBe(false);
    });
  });
});
