// A blob redirect leaves the registry's origin (blob storage, a CDN): whatever answers there must
// not get the registry credentials. Before, a 401 challenge from the redirect target was answered
// like the registry's own: `Basic` with the user's password (or a token fetched with it).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/transport/credentials.js';
import { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import { sha256Digest } from '../../src/transport/oci/layout.js';
import { freshGun, getLab } from '../harness/lab.js';
import { RegistryProxy } from '../support/registry-proxy.js';
import { rejection } from '../support/rejection.js';

describe('blob redirects to another origin carry no registry credentials', () => {
  for (const challenge of ['Basic realm="storage"', 'Bearer realm="TOKEN",service="storage"']) {
    it(`a 401 ${challenge.split(' ')[0]} challenge there is not answered with them`, async () => {
      const lab = getLab('remote');
      const repo = freshGun(lab, 'redir').slice(lab.registryHost.length + 1);
      const seen: IncomingHttpHeaders[] = [];
      const storage = createServer((req, res) => {
        seen.push(req.headers);
        const port = (storage.address() as AddressInfo).port;
        res.writeHead(401, {
          'www-authenticate': challenge.replace('TOKEN', `http://127.0.0.1:${port}/token`),
        });
        res.end();
      });
      await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
      const storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
      const bytes = randomBytes(64);
      const proxy = await RegistryProxy.start(lab.registryUrl);
      try {
        const client = new OciRegistryClient({
          registry: lab.registryHost,
          baseUrl: proxy.url,
          credentials: staticCredentials({ username: 'alice', password: 'registry-secret' }),
        });
        await client.pushBlob(repo, bytes);
        const digest = sha256Digest(bytes);
        proxy.rule((req) =>
          req.kind === 'blob' && req.method === 'GET' && req.reference === digest
            ? { status: 307, headers: { location: `${storageUrl}/blob/${digest.slice(7)}` }, body: '' }
            : undefined,
        );
        const err = await rejection(client.getBlob(repo, digest, bytes.length, 1024));
        expect(err.code).toBe('AUTH');
        expect(seen.length).toBeGreaterThan(0);
        for (const h of seen) {
          expect(h.authorization).toBeUndefined();
          expect(JSON.stringify(h)).not.toContain(Buffer.from('alice:registry-secret').toString('base64'));
        }
      } finally {
        await proxy.close();
        await new Promise<void>((r) => storage.close(() => r()));
      }
    });
  }
});
