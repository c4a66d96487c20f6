// FileStore output served statically and read by the real notary client (lab).
// FileStore: layout, atomic publish rules, size caps, and proof that the layout is notary-server's URL
// space: the directory served as static files is read by the real notary client.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshGun, getLab, runNotary, tempDir } from '../../test/harness/lab.js';
import { FileStore } from './file-store.js';
import { NotaryServerStore } from './notary-server.js';

const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const _meta = (type: string, version: number, extra: Record<string, unknown> = {}) =>
  enc({ signed: { _type: type, version, ...extra }, signatures: [] });
const _hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const _GUN = 'localhost:5000/library/demo';

describe('FileStore', () => {
  it('is notary-server URL space: served statically, the real notary client reads it', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'h4-file');
    const trustDir = tempDir();
    expect(runNotary(lab, ['init', gun, '-p'], { trustDir }).status).toBe(0);
    const add = runNotary(lab, ['addhash', gun, 'v1', '42', '--sha256', 'cd'.repeat(32), '-p'], { trustDir });
    expect(add.status, add.stderr).toBe(0);
    const server = new NotaryServerStore({
      serverUrl: lab.notaryUrl,
      gun,
      ca: readFileSync(lab.caCert, 'utf8'),
    });
    const files: Array<{ role: string; bytes: Uint8Array }> = [];
    for (const role of ['root', 'targets', 'snapshot', 'timestamp']) {
      files.push({ role, bytes: (await server.getMeta(role, 1 << 20)) as Uint8Array });
    }
    const dir = tempDir();
    await new FileStore(dir, gun).publish(files);

    const http = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
      if (path === '/v2/' || path === '/v2') {
        res.writeHead(200).end('{}');
        return;
      }
      const rel = normalize(path.slice('/v2/'.length));
      if (!path.startsWith('/v2/') || rel.startsWith('..')) {
        res.writeHead(404).end();
        return;
      }
      try {
        res.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(join(dir, rel)));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const port = (http.address() as AddressInfo).port;
      const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        // notary talks plain http to this static server; a fresh trust dir so nothing is cached
        execFile(
          'notary',
          ['-d', tempDir(), '-s', `http://127.0.0.1:${port}`, 'lookup', gun, 'v1'],
          { env: { ...process.env, ...lab.notaryEnv }, timeout: 30_000 },
          (err, stdout, stderr) =>
            resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`sha256:${'cd'.repeat(32)} 42`);
    } finally {
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});
