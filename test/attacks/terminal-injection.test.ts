/**
 * Server text cannot drive the terminal (issue 8 item 11), over the real wire: a hostile trust server of
 * the test's own (TLS on loopback, raw HTTP written to the socket so that header values may carry ESC)
 * answers the built CLI with error bodies and token realms full of ESC / CR / BEL / C1 bytes trying to
 * print a `TRUSTED OK` line. What the CLI prints must contain no control character but its own newlines,
 * and no line that reads `TRUSTED OK`.
 */

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../harness/lab.js';
import { CLI, childEnv } from '../support/cli.js';
import { selfSignedCert } from '../support/tamper-proxy.js';

const FORGE = '\u001b[1A\r\u001b[2KTRUSTED OK\u0007\u009b0m';

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: childEnv({}), timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        if (err && typeof code !== 'number') reject(err);
        else resolve({ status: typeof code === 'number' ? code : 0, stdout, stderr });
      },
    );
  });
}

/** Answers every request with `response(path)` written raw. */
async function rawServer(
  response: (path: string) => string,
): Promise<{ server: Server; url: string; ca: string }> {
  const { key, cert } = selfSignedCert();
  const server = createServer({ key, cert }, (socket) => {
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const path = buf.slice(0, buf.indexOf('\r\n')).split(' ')[1] ?? '/';
      buf = '';
      socket.end(Buffer.from(response(path), 'latin1'));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const ca = join(tempDir(), 'ca.pem');
  writeFileSync(ca, cert);
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca };
}

function http(status: string, headers: Record<string, string>, body: string): string {
  const bytes = Buffer.from(body, 'utf8').toString('latin1');
  const head = Object.entries({ ...headers, 'content-length': String(bytes.length), connection: 'close' })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `HTTP/1.1 ${status}\r\n${head}\r\n${bytes}`;
}

function expectNoForgery(text: string): void {
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  expect(text.split('\n').map((l) => l.trim())).not.toContain('TRUSTED OK');
}

describe('hostile server text on the terminal', () => {
  const servers: Server[] = [];
  beforeAll(() => undefined);
  afterAll(async () => {
    for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
  });

  it('an error body with ESC/CR/BEL/C1 is printed escaped (verify, exit 3)', async () => {
    const body = JSON.stringify({ errors: [{ code: 'DENIED', message: FORGE }] });
    const s = await rawServer(() => http('400 Bad Request', { 'content-type': 'application/json' }, body));
    servers.push(s.server);
    const r = await cli([
      'verify',
      '127.0.0.1:5000/app:v1',
      '--server',
      s.url,
      '--tlscacert',
      s.ca,
      '--trust-dir',
      tempDir(),
    ]);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expectNoForgery(r.stderr);
    expect(r.stderr).toContain('\\x1b[2KTRUSTED OK\\x07');
  });

  it('a token realm with C1 controls (CSI) is refused and named escaped (exit 3)', async () => {
    // HTTP parsers refuse C0 bytes in header values, but Latin-1 bytes 0x80-0x9f pass: 0x9b is CSI.
    const s = await rawServer(() =>
      http(
        '401 Unauthorized',
        { 'www-authenticate': 'Bearer realm="\u009b1A\u009b2KTRUSTED OK",service="x"' },
        '',
      ),
    );
    servers.push(s.server);
    const r = await cli([
      'verify',
      '127.0.0.1:5000/app:v1',
      '--server',
      s.url,
      '--tlscacert',
      s.ca,
      '--trust-dir',
      tempDir(),
    ]);
    expect(r.status).toBe(3);
    expectNoForgery(r.stderr);
    expect(r.stderr).toMatch(/error AUTH: .*token realm "\\x9b1A\\x9b2KTRUSTED OK"/);
  });
});
