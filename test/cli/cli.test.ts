/** The `trust` CLI, spawned as a user or a pre-pull hook would, against the real Notary lab. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshGun, getLab, pushImage, runNotary, tempDir } from '../harness/lab.js';
import { notaryRepo, serverFlags, trust } from './run.js';

describe('trust verify / inspect (CLI)', () => {
  it('prints NAME@digest for a tag signed by the real notary, exit 0; nothing on stdout on failure', async () => {
    const lab = getLab('remote');
    const { gun, img } = await notaryRepo(lab);
    const dir = tempDir();
    const ok = trust(['verify', `${gun}:v1`, ...serverFlags(lab, dir)]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`${gun}@${img.digest}\n`);
    const lookup = runNotary(lab, ['lookup', gun, 'v1'], { trustDir: tempDir() });
    expect(lookup.stdout.trim()).toBe(`v1 ${img.digest} ${img.size}`);

    const json = trust(['verify', `${gun}:v1`, '--json', ...serverFlags(lab, dir)]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      digest: img.digest,
      size: img.size,
      role: 'targets',
      tag: 'v1',
    });

    const unsigned = trust(['verify', `${gun}:nope`, ...serverFlags(lab, dir)]);
    expect(unsigned.status).toBe(1);
    expect(unsigned.stdout).toBe('');
    expect(unsigned.stderr).toMatch(/^error NOT_SIGNED: /);

    const missing = trust(['verify', `${freshGun(lab, 'none')}:v1`, ...serverFlags(lab, tempDir())]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error NO_TRUST_DATA: /);

    // server unreachable: exit 3 even with a warm cache, unless --offline
    const down = ['--server', 'https://127.0.0.1:9', '--trust-dir', dir];
    const unreachable = trust(['verify', `${gun}:v1`, ...down]);
    expect(unreachable.status).toBe(3);
    expect(unreachable.stderr).toMatch(/^error NETWORK: /);
    const offline = trust(['verify', `${gun}:v1`, '--offline', ...down]);
    expect(offline.status, offline.stderr).toBe(0);
    expect(offline.stdout).toBe(`${gun}@${img.digest}\n`);

    const inspect = trust(['inspect', gun, '--json', ...serverFlags(lab, dir)]);
    expect(inspect.status, inspect.stderr).toBe(0);
    const [doc] = JSON.parse(inspect.stdout);
    expect(doc).toMatchObject({
      Name: gun,
      SignedTags: [{ SignedTag: 'v1', Digest: img.digest.slice(7), Signers: ['Repo Admin'] }],
      Signers: [],
    });
    expect(doc.AdministrativeKeys.map((k: { Name: string }) => k.Name)).toEqual(['Repository', 'Root']);
  });

  it('exits 2 on usage errors and unreadable files, with a usage line and no stack trace', () => {
    const none = trust(['verify']);
    expect(none.status).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe(
      'error USAGE: verify takes exactly one IMAGE[:TAG]\n' +
        'Usage: trust verify IMAGE[:TAG] [OPTIONS]\n' +
        "Run 'trust verify --help' for more information.\n",
    );
    const bogus = trust(['verify', 'a:b', '--bogus']);
    expect(bogus.status).toBe(2);
    expect(bogus.stderr).toMatch(/^error USAGE: unknown flag --bogus\nUsage: trust verify /);
    expect(trust(['verify', 'a:b', '--server', '--json']).stderr).toMatch(
      /^error USAGE: --server needs a value/,
    );
    expect(trust(['verify', 'a:b', '--role', 'alice']).status).toBe(2);
    expect(trust(['inspect', '--json']).status).toBe(2);
    for (const args of [
      ['verify', 'a:b', '--tlscacert', '/nonexistent'],
      ['verify', 'a:b', '--server', 'not a url'],
      ['verify', 'a:b', '--config', '/nonexistent.json'],
      ['verify', 'team/App:tag'],
      ['verify', 'a@sha256:abc'],
    ]) {
      const r = trust(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error [A-Z_]+: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const unknown = trust(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^error USAGE: unknown command "frobnicate"\nUsage: trust COMMAND/);
    // names every plain object has are no commands either (they reached Object.prototype: exit 1)
    for (const args of [['constructor'], ['__proto__'], ['toString'], ['help', 'valueOf']]) {
      const r = trust(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^error USAGE: unknown command /);
    }
    expect(trust([]).status).toBe(2);
    for (const args of [
      ['--help'],
      ['-h'],
      ['help'],
      ['help', 'verify'],
      ['verify', '-h'],
      ['inspect', '--help'],
    ]) {
      const r = trust(args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: trust /);
    }
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
    expect(trust(['--version']).stdout).toBe(`${pkg.version}\n`);
  });

  it('works with token auth (NOTARY_AUTH), as docker would with its credentials', async () => {
    const lab = getLab('auth');
    const env = { NOTARY_AUTH: lab.notaryEnv.NOTARY_AUTH ?? '' };
    const { gun, img } = await notaryRepo(lab, env);
    const ok = trust(['verify', `${gun}:v1`, ...serverFlags(lab, tempDir())], env);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`${gun}@${img.digest}\n`);
  });
});

describe('trust sign / key / signer (CLI)', () => {
  it('signs with passphrases from the environment; notary sees the tags; signer keys sign into targets/releases', async () => {
    const lab = getLab('local');
    const gun = freshGun(lab, 'clisign');
    const repo = gun.slice(gun.indexOf('/') + 1);
    const img = await pushImage(lab, repo, 'v1');
    const admin = tempDir();
    const env = {
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'root-passphrase-1',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'repo-passphrase-1',
    };
    const signed = trust(['sign', `${gun}:v1`, ...serverFlags(lab, admin)], env);
    expect(signed.status, signed.stderr).toBe(0);
    expect(signed.stdout).toContain(img.digest);
    // the repository was created by this sign: it says so, with the root key id alice anchors with
    const rootKey = /root key: +([0-9a-f]{64})/.exec(signed.stdout)?.[1];
    expect(rootKey, signed.stdout).toBeDefined();
    expect(runNotary(lab, ['lookup', gun, 'v1'], { trustDir: tempDir() }).stdout.trim()).toBe(
      `v1 ${img.digest} ${img.size}`,
    );

    const alice = tempDir();
    const gen = trust(['key', 'generate', 'alice', '--dir', alice, '--trust-dir', alice], env);
    expect(gen.status, gen.stderr).toBe(0);
    expect(readFileSync(join(alice, 'alice.pub'), 'utf8')).toContain('BEGIN PUBLIC KEY');
    const add = trust(
      ['signer', 'add', '--key', join(alice, 'alice.pub'), 'alice', gun, ...serverFlags(lab, admin)],
      env,
    );
    expect(add.status, add.stderr).toBe(0);
    const s2 = trust(
      [
        'sign',
        `${gun}:v2`,
        '--digest',
        img.digest,
        '--size',
        String(img.size),
        '--json',
        '--root-key',
        rootKey!,
        ...serverFlags(lab, alice),
      ],
      env,
    );
    expect(s2.status, s2.stderr).toBe(0);
    expect(JSON.parse(s2.stdout)[0].roles).toEqual(['targets/releases', 'targets/alice']);
    const v = trust(['verify', `${gun}:v2`, '--json', ...serverFlags(lab, tempDir())]);
    expect(JSON.parse(v.stdout).role).toBe('targets/releases');

    const noPass = trust(
      ['sign', `${gun}:v3`, '--digest', img.digest, '--size', '1', ...serverFlags(lab, alice)],
      {
        DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: '',
      },
    );
    expect(noPass.status).toBe(2);
    expect(noPass.stderr).toMatch(/^error PASSPHRASE: /);
    expect(noPass.stderr).not.toContain('repo-passphrase-1');

    const revoke = trust(['revoke', `${gun}:v1`, ...serverFlags(lab, admin)], env);
    expect(revoke.status, revoke.stderr).toBe(0);
    expect(trust(['verify', `${gun}:v1`, ...serverFlags(lab, tempDir())]).status).toBe(1);
  });

  it('trust demo runs the embedded default with no services', () => {
    const r = trust(['demo']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/4\. A consumer verifies/);
    expect(r.stdout).toMatch(/verification refuses it: error HASH_MISMATCH/);
  });
});
