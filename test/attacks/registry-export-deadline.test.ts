// `trust export` against a slow, hostile registry: the verified manifest lists many small layers the
// TUF client never reads, each served just inside the per-request deadline. The export must still
// end at its overall deadline (--deadline), not after layers x per-request deadline.
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
import { RegistryProxy } from '../support/registry-proxy.js';
import { rejection } from '../support/rejection.js';

function pubOpts(trustDir: string): RegistryPublishOptions {
  return {
    trustDir,
    server: 'registry',
    passphrase: staticPassphraseProvider('deadline-pass'),
    keyIterations: 1000,
    credentials: null,
    settleMs: 0,
  };
}

describe('trust export: one overall deadline', () => {
  it('30 unread layers served 400 ms each do not outlast a 4 s deadline (TIMEOUT, exit 3)', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'slow');
    const repo = gun.slice(lab.registryHost.length + 1);
    await pushImage(lab, repo, 'v1');
    const publisher = tempDir();
    await initRegistryRepository(gun, pubOpts(publisher));
    await signRegistryTags([{ reference: `${gun}:v1` }], pubOpts(publisher));
    const blobs = new Map<string, Buffer>();
    const extra = Array.from({ length: 30 }, (_, i) => {
      const bytes = randomBytes(100);
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      blobs.set(digest, bytes);
      return {
        mediaType: 'application/vnd.tuf.metadata+json',
        digest,
        size: bytes.length,
        annotations: { 'tuf.io/filename': `${1000 + i}.targets.json` },
      };
    });
    let served = 0;
    const proxy = await RegistryProxy.start(lab.registryUrl);
    try {
      proxy.rule(async (req, upstream) => {
        if (req.repository !== repo || req.method !== 'GET') return undefined;
        if (req.kind === 'blob' && blobs.has(req.reference ?? '')) {
          await sleep(400);
          served++;
          return {
            status: 200,
            headers: { 'content-type': 'application/octet-stream' } as Record<string, string>,
            body: blobs.get(req.reference!)!,
          };
        }
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
      const out = join(tempDir(), 'b.tar');
      const err = await rejection(
        exportBundle([`${gun}:v1`], out, { ...pubOpts(publisher), client, deadlineMs: 4000 }),
      );
      expect([err.code, exitCodeFor(err)]).toEqual(['TIMEOUT', 3]);
      expect(served).toBeLessThan(30);
      expect(existsSync(out)).toBe(false);
    } finally {
      await proxy.close();
    }
  });
});
