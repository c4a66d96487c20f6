/**
 * Notary -> ours: repositories created and signed by the real notary CLI on
 * both signer layouts (and token auth). Our verify returns what a fresh
 * `notary lookup` returns for every tag, and refuses unsigned/removed tags.
 * Also: our library signs with keys notary made in a shared trust dir.
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { signTags } from '../../src/publish/workflows.js';
import type { HttpClient } from '../../src/transport/http.js';
import { createHttpClient } from '../../src/transport/http.js';
import { freshGun, getLab, type LabInfo, runNotary, tempDir } from '../harness/lab.js';

const hex = (c: string) => execFileSync('sha256sum', { input: c }).toString().slice(0, 64);

function n(lab: LabInfo, dir: string, args: string[], input?: string) {
  const r = runNotary(lab, args, { trustDir: dir, env: lab.notaryEnv, ...(input ? { input } : {}) });
  expect(r.status, `notary ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function lookup(lab: LabInfo, gun: string, tag: string): { digest: string; size: number } | null {
  const r = runNotary(lab, ['lookup', gun, tag], { trustDir: tempDir(), env: lab.notaryEnv });
  if (r.status !== 0) return null;
  const [, digest, size] = r.stdout.trim().split(/\s+/);
  return { digest: digest!, size: Number(size) };
}

/** An HttpClient that records request paths (to prove the warm path). */
function counting(lab: LabInfo): HttpClient & { paths: string[] } {
  const inner = createHttpClient({ ca: readFileSync(lab.caCert, 'utf8') });
  const paths: string[] = [];
  return {
    paths,
    request(req) {
      paths.push(new URL(req.url).pathname.replace(/^.*\/_trust\/tuf\//, ''));
      return inner.request(req);
    },
  };
}

describe.each(['remote', 'local', 'auth'] as const)(
  'repositories made by the real notary (%s lab)',
  (labName) => {
    it('every tag: same digest as notary lookup; delegation, numeric tags, removal, targets+root rotation', async () => {
      const lab = getLab(labName);
      const gun = freshGun(lab, 'interop');
      const dir = tempDir();
      const ca = readFileSync(lab.caCert, 'utf8');
      const opts = (trustDir: string) => ({
        server: lab.notaryUrl,
        tlsCaCert: ca,
        trustDir,
        env: { ...process.env, ...lab.notaryEnv },
      });
      n(lab, dir, ['init', gun, '-p']);
      n(lab, dir, ['key', 'rotate', gun, 'snapshot', '-r']);
      const tags = ['1', '2', '10', 'latest', 'gone'];
      for (const t of tags)
        n(lab, dir, ['addhash', gun, t, String(t.length + 10), '--sha256', hex(`content ${t}`)]);
      n(lab, dir, ['publish', gun]);

      // a signer key in targets/releases
      const keyDir = tempDir();
      execFileSync('openssl', [
        'genpkey',
        '-algorithm',
        'EC',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-out',
        join(keyDir, 'alice.key'),
      ]);
      execFileSync('openssl', [
        'pkey',
        '-in',
        join(keyDir, 'alice.key'),
        '-pubout',
        '-out',
        join(keyDir, 'alice.pub'),
      ]);
      n(lab, dir, ['key', 'import', join(keyDir, 'alice.key'), '--role', 'alice']);
      n(lab, dir, ['delegation', 'add', gun, 'targets/releases', join(keyDir, 'alice.pub'), '--all-paths']);
      n(lab, dir, [
        'delegation',
        'add',
        gun,
        'targets/alice',
        join(keyDir, 'alice.pub'),
        '--all-paths',
        '-p',
      ]);
      n(lab, dir, ['addhash', gun, 'rel', '42', '--sha256', hex('release'), '-r', 'targets/releases', '-p']);
      n(lab, dir, [
        'addhash',
        gun,
        'latest',
        '43',
        '--sha256',
        hex('latest in releases'),
        '-r',
        'targets/releases',
        '-p',
      ]);
      n(lab, dir, ['remove', gun, 'gone', '-p']);

      const warmDir = tempDir();
      const check = async (trustDir: string) => {
        for (const t of [...tags, 'rel']) {
          const want = lookup(lab, gun, t);
          if (t === 'gone') {
            expect(want).toBeNull();
            await expect(verify(`${gun}:${t}`, opts(trustDir))).rejects.toMatchObject({ code: 'NOT_SIGNED' });
            continue;
          }
          const got = await verify(`${gun}:${t}`, opts(trustDir));
          // notary lookup walks targets first; for "latest" docker (and we) prefer targets/releases
          if (t === 'latest') {
            expect(got.digest).toBe(`sha256:${hex('latest in releases')}`);
            expect(got.role).toBe('targets/releases');
          } else {
            expect(got.digest, t).toBe(want!.digest);
            expect(got.size, t).toBe(want!.size);
          }
        }
      };
      await check(warmDir);

      // warm path: an unchanged timestamp fetches nothing else
      const http = counting(lab);
      await verify(`${gun}:1`, { ...opts(warmDir), http });
      // (the token lab first answers 401 and the token server is asked once)
      expect(new Set(http.paths.filter((p) => p !== '/auth'))).toEqual(new Set(['timestamp.json']));

      // rotations by notary: targets key (root v3), then the root key (root v4)
      n(lab, dir, ['key', 'rotate', gun, 'targets']);
      await check(warmDir);
      n(lab, dir, ['key', 'rotate', gun, 'root'], 'yes\n');
      await check(warmDir);
      await check(tempDir());
      await expect(verify(`${freshGun(lab, 'absent')}:1`, opts(tempDir()))).rejects.toMatchObject({
        code: 'NO_TRUST_DATA',
      });
    });
  },
);

describe('keys made by notary, used by us', () => {
  it('we sign with the targets key notary created in a shared (docker-layout) trust dir', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'sharedkeys');
    const dir = tempDir();
    n(lab, dir, ['init', gun, '-p']);
    n(lab, dir, ['key', 'rotate', gun, 'snapshot', '-r']);
    const signed = await signTags([{ reference: `${gun}:ours`, digest: `sha256:${hex('ours')}`, size: 4 }], {
      server: lab.notaryUrl,
      tlsCaCert: readFileSync(lab.caCert, 'utf8'),
      trustDir: dir,
      passphrase: staticPassphraseProvider(lab.notaryEnv.NOTARY_TARGETS_PASSPHRASE!),
      env: { ...process.env, ...lab.notaryEnv },
    });
    expect(signed[0]!.roles).toEqual(['targets']);
    expect(lookup(lab, gun, 'ours')).toEqual({ digest: `sha256:${hex('ours')}`, size: 4 });
    // and notary keeps working on the same trust dir after our publish
    n(lab, dir, ['addhash', gun, 'theirs', '6', '--sha256', hex('theirs'), '-p']);
    expect(lookup(lab, gun, 'theirs')).toEqual({ digest: `sha256:${hex('theirs')}`, size: 6 });
  });
});
