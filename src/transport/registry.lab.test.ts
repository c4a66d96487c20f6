// RegistryClient against the real docker-registry of the labs (plain and token auth), with the real
// notary CLI checking that what we resolve is what it signs and verifies.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getLab, pushImage, runNotary, tempDir } from '../../test/harness/lab.js';
import { decodeBasicAuth, staticCredentials } from './credentials.js';
import { createHttpClient, type HttpClient } from './http.js';
import { MANIFEST_MEDIA_TYPES, RegistryClient } from './registry.js';

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const unique = (p: string) => `library/${p}-${Math.random().toString(16).slice(2, 10)}`;

describe('RegistryClient (lab remote)', () => {
  it.each(['docker', 'oci'] as const)(
    'resolves a %s manifest: digest, size and media type match what was pushed',
    async (format) => {
      const lab = getLab('remote');
      const repo = unique(`h4-${format}`);
      const pushed = await pushImage(lab, repo, 'v1', { format });
      const log: string[] = [];
      const inner = createHttpClient();
      const http: HttpClient = {
        request: (req) => {
          log.push(`${req.method} ${new URL(req.url).pathname} ${req.headers?.accept ?? ''}`);
          return inner.request(req);
        },
      };
      const c = new RegistryClient({ registry: lab.registryHost, http });
      expect(c.baseUrl).toBe(lab.registryUrl);
      expect(await c.resolveManifest(repo, 'v1')).toEqual({
        digest: pushed.digest,
        size: pushed.size,
        mediaType: pushed.mediaType,
      });
      // one HEAD with the full Accept list was enough
      expect(log).toEqual([`HEAD /v2/${repo}/manifests/v1 ${MANIFEST_MEDIA_TYPES.join(', ')}`]);
      const m = await c.getManifest(repo, 'v1');
      expect(m?.digest).toBe(pushed.digest);
      expect(sha(m?.bytes as Uint8Array)).toBe(pushed.digest);
      expect(m?.size).toBe(pushed.size);
      // by digest too
      expect((await c.getManifest(repo, pushed.digest))?.bytes).toEqual(m?.bytes);
      expect(await c.resolveManifest(repo, pushed.digest)).toMatchObject({ digest: pushed.digest });
    },
  );

  it('unknown tags and repositories → null', async () => {
    const lab = getLab('remote');
    const c = new RegistryClient({ registryUrl: lab.registryUrl });
    expect(await c.resolveManifest(unique('h4-missing'), 'v1')).toBeNull();
    expect(await c.getManifest(unique('h4-missing'), 'v1')).toBeNull();
  });

  it('what we resolve is what notary signs and verifies', async () => {
    const lab = getLab('remote');
    const repo = unique('h4-verify');
    await pushImage(lab, repo, 'v1');
    const c = new RegistryClient({ registry: lab.registryHost });
    const d = await c.resolveManifest(repo, 'v1');
    const m = await c.getManifest(repo, 'v1');
    expect(d).not.toBeNull();
    const gun = `${lab.registryHost}/${repo}`;
    const trustDir = tempDir();
    expect(runNotary(lab, ['init', gun, '-p'], { trustDir }).status).toBe(0);
    const hex = d?.digest.slice('sha256:'.length) as string;
    const add = runNotary(lab, ['addhash', gun, 'v1', String(d?.size), '--sha256', hex, '-p'], { trustDir });
    expect(add.status, add.stderr).toBe(0);
    const verify = runNotary(lab, ['verify', gun, 'v1'], {
      trustDir,
      input: Buffer.from(m?.bytes as Uint8Array).toString('utf8'),
    });
    expect(verify.status, verify.stderr).toBe(0);
    // and a tampered manifest is refused by notary
    const bad = runNotary(lab, ['verify', gun, 'v1'], {
      trustDir,
      input: `${Buffer.from(m?.bytes as Uint8Array).toString('utf8')} `,
    });
    expect(bad.status).not.toBe(0);
  });
});

describe('RegistryClient (lab auth: token auth)', () => {
  it('resolves anonymously (pull) and with credentials', async () => {
    const lab = getLab('auth');
    const repo = unique('h4-tok');
    const pushed = await pushImage(lab, repo, 'v1');
    const anon = new RegistryClient({ registry: lab.registryHost });
    expect(await anon.resolveManifest(repo, 'v1')).toMatchObject({
      digest: pushed.digest,
      size: pushed.size,
    });
    const creds = decodeBasicAuth(lab.notaryEnv.NOTARY_AUTH ?? '');
    const authed = new RegistryClient({ registry: lab.registryHost, credentials: staticCredentials(creds) });
    expect((await authed.getManifest(repo, 'v1'))?.digest).toBe(pushed.digest);
  });

  it('wrong credentials → AUTH', async () => {
    const lab = getLab('auth');
    const c = new RegistryClient({
      registry: lab.registryHost,
      credentials: staticCredentials({ username: 'lab', password: 'wrong' }),
    });
    await expect(c.resolveManifest(unique('h4-x'), 'v1')).rejects.toMatchObject({ code: 'AUTH' });
  });
});
