/**
 * Faults while publishing: the trust server fails (5xx) or drops the
 * connection mid-publish. The error is clear, nothing half-updated is left in
 * the trust cache or the key store, and a retry succeeds.
 */

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { readKeyFile } from '../../src/keys/keyfile.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { initRepository, signTags } from '../../src/publish/workflows.js';
import { freshGun, getLab, type LabInfo, notaryGet, runNotary, tempDir } from '../harness/lab.js';
import { CLI, childEnv } from '../support/cli.js';

type Fault = 'status' | 'reset' | 'lost-response';

/** A pass-through HTTPS proxy to the lab's notary-server that can sabotage publishes. */
async function faultyProxy(lab: LabInfo, mode: { fail: Fault; times: number }) {
  const tls = join(lab.labDir, 'tls');
  const ca = readFileSync(lab.caCert);
  let failures = 0;
  const server = createServer(
    {
      key: readFileSync(join(tls, 'notary-server.key')),
      cert: readFileSync(join(tls, 'notary-server.chain.crt')),
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const sabotage = req.method === 'POST' && failures < mode.times;
      if (sabotage && mode.fail === 'lost-response') {
        // the server applies the publish; its answer never reaches the client
        failures++;
        const up = request(
          new URL(req.url ?? '/', lab.notaryUrl),
          { method: req.method, headers: req.headers, ca },
          (r) => {
            r.resume();
            r.on('end', () => req.socket.destroy());
          },
        );
        req.pipe(up);
        return;
      }
      if (sabotage) {
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
  { fail: 'status' as const, code: 'SERVER_ERROR', landed: false },
  { fail: 'reset' as const, code: 'NETWORK', landed: false },
  { fail: 'lost-response' as const, code: 'NETWORK', landed: true },
])('publishing when the server fails ($fail)', ({ fail, code, landed }) => {
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
      // the real client sees the tag only when the server got to apply the publish
      const seen = runNotary(lab, ['lookup', gun, 'v1'], { trustDir: tempDir() }).status === 0;
      expect(seen).toBe(landed);
      expect((await notaryGet(lab, `/v2/${gun}/_trust/tuf/timestamp.json`)).status).toBe(200);
      // the retry goes through the same proxy, which now lets it pass
      await signTags([tag], { ...base, server: proxy.url });
      const lookup = runNotary(lab, ['lookup', gun, 'v1'], { trustDir: tempDir() });
      expect(lookup.stdout.trim()).toBe(`v1 sha256:${'e'.repeat(64)} 5`);
    } finally {
      await proxy.close();
    }
  });
});

/**
 * `trust sign` on a repository without trust data (so it creates the root and
 * tagging keys, publishes and writes the cache) killed with SIGKILL at spread
 * moments of its run. After every kill each key file in the trust dir is
 * complete and decrypts, every cached file is whole, and the next run
 * succeeds from whatever state the kill left, reusing the root key.
 */
describe('killed while writing keys, publishing or caching', () => {
  const PASS = 'kill-test-passphrase';
  const digest = `sha256:${'7'.repeat(64)}`;

  function run(lab: LabInfo, gun: string, trustDir: string, tag: string, killAfterMs?: number) {
    const env = childEnv({
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: PASS,
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: PASS,
      // slow key derivation (~0.1 s per key here) so kills land while keys are derived and written
      CONTENT_TRUST_KDF_ITERATIONS: '200000',
    });
    const args = [CLI, 'sign', `${gun}:${tag}`, '--digest', digest, '--size', '7'];
    args.push('--server', lab.notaryUrl, '--tlscacert', lab.caCert, '--trust-dir', trustDir);
    return new Promise<{ code: number | null; killed: boolean; stderr: string; ms: number }>((resolve) => {
      const t0 = Date.now();
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const timer =
        killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, killed: signal === 'SIGKILL', stderr, ms: Date.now() - t0 });
      });
    });
  }

  /** Every key file decrypts to the key its name says; every cached file is a whole document. */
  async function checkTrustDir(trustDir: string, gun: string, when: string) {
    const keystore = new KeyStore(trustDir, { passphrase: staticPassphraseProvider(PASS) });
    const priv = join(trustDir, 'private');
    let keys = 0;
    for (const f of existsSync(priv) ? readdirSync(priv) : []) {
      const pending = /^\.([0-9a-f]{64})\.key\.pending$/.exec(f);
      if (pending) {
        // a new key not yet committed (the upload had not started): complete, encrypted, cleaned later
        const { key } = await readKeyFile(readFileSync(join(priv, f), 'utf8'), PASS);
        expect(key.publicKey.id, when).toBe(pending[1]);
        keys++;
        continue;
      }
      if (f.startsWith('.')) continue; // an abandoned temp file: ignored by us and by notary
      expect(f, when).toMatch(/^[0-9a-f]{64}\.key$/);
      expect(statSync(join(priv, f)).mode & 0o777, when).toBe(0o600);
      const { key } = await keystore.load(f.slice(0, -4)); // decrypts and checks the id
      expect(key.publicKey.id, when).toBe(f.slice(0, -4));
      keys++;
    }
    const cacheDir = join(trustDir, 'tuf', ...gun.split('/'), 'metadata');
    let cached = 0;
    for (const f of existsSync(cacheDir) ? readdirSync(cacheDir) : []) {
      if (f.startsWith('.')) continue;
      const doc = JSON.parse(readFileSync(join(cacheDir, f), 'utf8'));
      expect(doc.signed._type, `${when}: ${f}`).toBeTypeOf('string');
      cached++;
    }
    return { keys, cached, rootKeys: (await keystore.find({ role: 'root' })).length };
  }

  it('no corrupt key file, no torn cache; the next run succeeds', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does)`);
    const lab = getLab('remote');
    const trial = async (killAfterMs?: number) => {
      const gun = freshGun(lab, 'kill');
      const trustDir = tempDir();
      const first = await run(lab, gun, trustDir, 'first', killAfterMs);
      const when = `kill at ${killAfterMs} ms`;
      if (!first.killed) expect(first.code, `${when}: ${first.stderr}`).toBe(0);
      const left = await checkTrustDir(trustDir, gun, when);
      const next = await run(lab, gun, trustDir, 'next');
      expect(next.code, `${when}, next run: ${next.stderr}`).toBe(0);
      const after = await checkTrustDir(trustDir, gun, `${when}, after the next run`);
      expect(after.rootKeys, when).toBe(1);
      const listed = runNotary(lab, ['list', gun], { trustDir: tempDir() }).stdout;
      expect(listed, when).toMatch(/^next\s/m);
      const v = await verify(`${gun}:next`, {
        server: lab.notaryUrl,
        tlsCaCert: readFileSync(lab.caCert, 'utf8'),
        trustDir,
      });
      expect(v.digest).toBe(digest);
      return { ...first, ...left };
    };
    const full = await trial(); // calibrates the kill times to this machine
    const outcomes = [];
    for (const f of [0.35, 0.5, 0.6, 0.7, 0.8, 0.9]) outcomes.push(await trial(Math.round(full.ms * f)));
    // at least one kill landed after a key file was written and before the run completed
    expect(
      outcomes.some((o) => o.killed && o.keys > 0),
      JSON.stringify(outcomes.map(({ stderr: _, ...o }) => o)),
    ).toBe(true);
  }, 180_000); // 13 CLI runs with slow key derivation on a shared machine
});
