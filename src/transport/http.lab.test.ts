// The HTTP seam against the real notary-server over TLS (lab).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { getLab } from '../../test/harness/lab.js';
import type { NetworkError } from '../errors.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from './http.js';
import { createUndiciHttpClient } from './http-undici.js';
import { isUntrustedServerCertificate } from './tls-errors.js';

const impls: Array<[string, (o?: HttpClientOptions) => HttpClient]> = [
  ['node:https', createHttpClient],
  ['undici', createUndiciHttpClient],
];

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the request to fail');
}

describe.each(impls)('%s client', (_name, make) => {
  const opts: HttpClientOptions = { retryDelayMs: 10 };

  it('TLS: the lab CA is added to the system roots; without it the server is not trusted', async () => {
    const lab = getLab('remote');
    const ca = readFileSync(lab.caCert, 'utf8');
    const url = `${lab.notaryUrl}/_notary_server/health`;
    const trusted = make({ ...opts, ca });
    expect((await trusted.request({ method: 'GET', url, maxBytes: 1024 })).status).toBe(200);
    await trusted.close?.();

    const untrusted = make({ ...opts, retries: 0, env: {} });
    const err = await failure(untrusted.request({ method: 'GET', url, maxBytes: 1024 }));
    expect((err as NetworkError).code).toBe('NETWORK');
    expect((err as NetworkError).message).toMatch(/certificate/i);
    expect((err as NetworkError).message).not.toMatch(/--tlscacert/); // library errors name no CLI flag
    expect(isUntrustedServerCertificate(err)).toBe(true); // the CLI adds its flag hint from this
    await untrusted.close?.();

    // an unrelated extra CA alone trusts nothing here (neither first alone nor with the system roots)
    const wrongCa = make({ ...opts, retries: 0, ca: rootCertificates[0] as string, env: {} });
    expect(
      isUntrustedServerCertificate(await failure(wrongCa.request({ method: 'GET', url, maxBytes: 1024 }))),
    ).toBe(true);
    await wrongCa.close?.();

    // with an unrelated extra CA, NODE_EXTRA_CA_CERTS still counts
    const viaEnv = make({
      ...opts,
      ca: rootCertificates[0] as string,
      env: { NODE_EXTRA_CA_CERTS: lab.caCert },
    });
    expect((await viaEnv.request({ method: 'GET', url, maxBytes: 1024 })).status).toBe(200);
    await viaEnv.close?.();
  });
});

describe('node:https client: a POST and the request made on its answer share one TLS connection (issue 12)', () => {
  it('a body the server reads in full before answering: every next request reuses the connection', async () => {
    // TLS reports the last write of a body from an immediate, after the answer can have ended: the
    // client waits for that report (the socket goes back to the pool) and does not take the body
    // for one the server never read
    const lab = getLab('remote');
    const tls = join(lab.labDir, 'tls');
    const server = createServer(
      {
        key: readFileSync(join(tls, 'notary-server.key')),
        cert: readFileSync(join(tls, 'notary-server.chain.crt')),
      },
      (req, res) => {
        let n = 0;
        req.on('data', (c: Buffer) => {
          n += c.length;
        });
        req.on('end', () => res.writeHead(200).end(String(n)));
      },
    );
    let connections = 0;
    server.on('secureConnection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const c = createHttpClient({ retries: 0, ca: readFileSync(lab.caCert, 'utf8') });
    try {
      for (const size of [1 << 10, 64 << 10, 1 << 20, 16 << 20]) {
        for (let i = 0; i < 3; i++) {
          const res = await c.request({ method: 'POST', url, body: new Uint8Array(size), maxBytes: 100 });
          expect(Buffer.from(res.body).toString()).toBe(String(size));
          expect((await c.request({ method: 'GET', url, maxBytes: 100 })).status).toBe(200);
        }
      }
      expect(connections).toBe(1);
    } finally {
      await c.close?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
