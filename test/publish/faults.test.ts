/**
 * Faults while publishing: the trust server fails (5xx) or drops the
 * connection mid-publish. The error is clear, nothing half-updated is left in
 * the trust cache or the key store, and a retry succeeds.
 */

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { initRepository, signTags } from '../../src/publish/workflows.js';
import { freshGun, getLab, type LabInfo, runNotary, tempDir } from '../harness/lab.js';

/** A pass-through HTTPS proxy to the lab's notary-server that can sabotage publishes. */
async function faultyProxy(lab: LabInfo, mode: { fail: 'status' | 'reset'; times: number }) {
  const tls = join(lab.labDir, 'tls');
  const ca = readFileSync(lab.caCert);
  let failures = 0;
  const server = createServer(
    {
      key: readFileSync(join(tls, 'notary-server.key')),
      cert: readFileSync(join(tls, 'notary-server.chain.crt')),
    },
    (req: IncomingMessage, res: ServerResponse) => {
      if (req.method === 'POST' && failures < mode.times) {
        failures++;
        if (mode.fail === 'reset') {
          req.socket.destroy();
          return;
        }
        req.resume();
        res.writeHead(503).end('{"errors":[{"code":"UNAVAILABLE"}]}');
        return;
      }
      const up = request(
        new URL(req.url ?? '/', lab.notaryUrl),
        { method: req.method, headers: req.headers, ca },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      req.pipe(up);
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failures: () => failures,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function dirState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe.each([
  { fail: 'status' as const, code: 'SERVER_ERROR' },
  { fail: 'reset' as const, code: 'NETWORK' },
])('publishing when the server fails ($fail)', ({ fail, code }) => {
  it('fails clearly, leaves cache and keys as they were, and a retry succeeds', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, `fault-${fail}`);
    const trustDir = tempDir();
    const base = {
      tlsCaCert: readFileSync(lab.caCert, 'utf8'),
      trustDir,
      passphrase: staticPassphraseProvider('fault-test-passphrase'),
      keyIterations: 1000,
    };
    await initRepository(gun, { ...base, server: lab.notaryUrl });
    const proxy = await faultyProxy(lab, { fail, times: 1 });
    try {
      const before = dirState(trustDir);
      const tag = { reference: `${gun}:v1`, digest: `sha256:${'e'.repeat(64)}`, size: 5 };
      const err = await signTags([tag], { ...base, server: proxy.url }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code });
      expect(proxy.failures()).toBe(1);
      expect(dirState(trustDir)).toEqual(before);
      // nothing was published: the real client does not see the tag
      expect(runNotary(lab, ['lookup', gun, 'v1'], { trustDir: tempDir() }).status).not.toBe(0);
      // the retry goes through the same proxy, which now lets it pass
      await signTags([tag], { ...base, server: proxy.url });
      const lookup = runNotary(lab, ['lookup', gun, 'v1'], { trustDir: tempDir() });
      expect(lookup.stdout.trim()).toBe(`v1 sha256:${'e'.repeat(64)} 5`);
    } finally {
      await proxy.close();
    }
  });
});
