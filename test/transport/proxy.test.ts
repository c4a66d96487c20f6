/**
 * HTTPS_PROXY like docker (issue 9 item 9), over the real wire: a CONNECT proxy of the test's own on
 * loopback (it records every tunnel and resolves the name it is given itself, as a corporate proxy does)
 * in front of the lab's real notary-server, reached by a name from the lab certificate (`notary-server`)
 * that only the proxy can resolve. Loopback servers are never proxied (Go's rule).
 */

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { notaryRepo } from '../cli/run.js';
import { CLI, childEnv } from '../support/cli.js';

function trustAsync(args: string[], env: Record<string, string | undefined>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: childEnv(env), timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        if (err && typeof code !== 'number') reject(err);
        else resolve({ status: typeof code === 'number' ? code : 0, stdout, stderr });
      },
    );
  });
}

import { getLab, tempDir } from '../harness/lab.js';

class ConnectProxy {
  readonly tunnels: string[] = [];
  #server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    const server = createServer((_req, res) => res.writeHead(405).end());
    server.on('connect', (req, client, head) => {
      const target = req.url ?? '';
      this.tunnels.push(target);
      const port = Number(target.slice(target.lastIndexOf(':') + 1));
      // This proxy's resolver: every name is this machine (the test never leaves loopback).
      const upstream = connect(port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}

describe('HTTPS_PROXY (a CONNECT proxy in front of the real notary-server)', () => {
  const proxy = new ConnectProxy();
  beforeAll(() => proxy.start());
  afterAll(() => proxy.stop());

  it('verify goes through the proxy for a named server and straight to a loopback one', async () => {
    const lab = getLab('remote');
    const { gun, img } = await notaryRepo(lab);
    const port = new URL(lab.notaryUrl).port;
    const tlsCaCert = readFileSync(lab.caCert, 'utf8');
    const env = { HTTPS_PROXY: proxy.url, NO_PROXY: 'unrelated.example' };
    const before = proxy.tunnels.length;
    const viaProxy = await verify(`${gun}:v1`, {
      server: `https://notary-server:${port}`,
      tlsCaCert,
      trustDir: tempDir(),
      env,
    });
    expect(viaProxy.reference).toBe(`${gun}@${img.digest}`);
    expect(proxy.tunnels.slice(before)).toContain(`notary-server:${port}`);

    const direct = proxy.tunnels.length;
    const loopback = await verify(`${gun}:v1`, {
      server: lab.notaryUrl,
      tlsCaCert,
      trustDir: tempDir(),
      env,
    });
    expect(loopback.reference).toBe(`${gun}@${img.digest}`);
    expect(proxy.tunnels.length).toBe(direct); // 127.0.0.1 is never proxied
  });

  it('the CLI honours https_proxy (lower case) too', async () => {
    const lab = getLab('remote');
    const { gun, img } = await notaryRepo(lab);
    const port = new URL(lab.notaryUrl).port;
    const before = proxy.tunnels.length;
    // asynchronously: the proxy lives in this process and must keep serving while the CLI runs
    const r = await trustAsync(
      [
        'verify',
        `${gun}:v1`,
        '--server',
        `https://notary-server:${port}`,
        '--tlscacert',
        lab.caCert,
        '--trust-dir',
        tempDir(),
      ],
      { https_proxy: proxy.url, HTTPS_PROXY: undefined, NO_PROXY: undefined, no_proxy: undefined },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`${gun}@${img.digest}`);
    expect(proxy.tunnels.slice(before)).toContain(`notary-server:${port}`);
  });
});
