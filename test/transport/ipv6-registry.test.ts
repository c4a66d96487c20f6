/**
 * IPv6 registries end to end (issue 8 item 9): `[::1]:PORT/app` parses, the trust server URL is built
 * with brackets, the Host header carries them, docker's config.json is looked up under `[::1]:PORT`, and
 * the trust dir caches under `tuf/[::1]:PORT/app/metadata/`. The trust server is the test's own plain-http
 * server on ::1 (loopback http is allowed) serving a repository published with the library; it demands
 * Basic auth, so the credential lookup is exercised too.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { initRepository, signTags } from '../../src/publish/workflows.js';
import { tempDir } from '../harness/lab.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const BASIC = `Basic ${Buffer.from('v6user:v6pass').toString('base64')}`;

describe('an IPv6 registry [::1]:PORT', () => {
  let server: Server;
  let port = 0;
  let repoDir = '';
  const seen: Array<{ host: string | undefined; auth: string | undefined; url: string }> = [];

  beforeAll(async () => {
    repoDir = tempDir();
    server = createServer((req, res) => {
      seen.push({ host: req.headers.host, auth: req.headers.authorization, url: req.url ?? '' });
      if (req.headers.authorization !== BASIC) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="v6"' }).end();
        return;
      }
      // /v2/<gun>/_trust/tuf/<name>.json → <repoDir>/<gun>/_trust/tuf/<name>.json
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = join(repoDir, path.replace(/^\/v2\//, ''));
      if (!path.startsWith('/v2/') || path.includes('..') || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('verifies [::1]:PORT/app:v1 with brackets in URL, Host header, docker config key and trust dir', async () => {
    const image = `[::1]:${port}/app`;
    const publisher = {
      server: pathToFileURL(repoDir).href,
      trustDir: tempDir(),
      passphrase: staticPassphraseProvider('ipv6-passphrase'),
      keyIterations: 1000,
    };
    await initRepository(image, publisher);
    await signTags([{ reference: `${image}:v1`, digest: DIGEST, size: 42 }], publisher);

    const dockerConfig = tempDir();
    writeFileSync(
      join(dockerConfig, 'config.json'),
      JSON.stringify({
        auths: { [`[::1]:${port}`]: { auth: Buffer.from('v6user:v6pass').toString('base64') } },
      }),
    );
    const trustDir = join(tempDir(), 'trust');
    mkdirSync(trustDir);
    const result = await verify(`${image}:v1`, {
      server: `http://[::1]:${port}`,
      trustDir,
      env: { DOCKER_CONFIG: dockerConfig, HOME: dockerConfig },
    });
    expect(result.reference).toBe(`${image}@${DIGEST}`);
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((s) => s.host))).toEqual(new Set([`[::1]:${port}`]));
    expect(seen.some((s) => s.auth === BASIC)).toBe(true);
    expect(
      seen.every((s) =>
        // brackets percent-encoded in the path (notary-server's router decodes them)
        s.url.startsWith(`/v2/%5B::1%5D:${port}/app/_trust/tuf/`),
      ),
    ).toBe(true);
    expect(existsSync(join(trustDir, 'tuf', `[::1]:${port}`, 'app', 'metadata', 'root.json'))).toBe(true);
    expect(existsSync(join(trustDir, 'tuf', `[::1]:${port}`, 'app', 'metadata', 'timestamp.json'))).toBe(
      true,
    );
  });
});
