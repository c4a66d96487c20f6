/**
 * The publishing commands of the `trust` CLI (init, sign, key generate/load/rotate,
 * signer add/remove, revoke), spawned as a person would run them, against the
 * real lab; the real notary client checks the result. Exit codes: 0 ok,
 * 1 rejected, 2 usage/config/keys/passphrase, 3 network.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshGun, getLab, type LabInfo, pushImage, runNotary, tempDir } from '../harness/lab.js';
import { trust } from '../support/cli.js';

const ROOT_PASS = 'cli-root-passphrase';
const REPO_PASS = 'cli-repo-passphrase';

const flags = (lab: LabInfo, trustDir: string) => [
  '--server',
  lab.notaryUrl,
  '--tlscacert',
  lab.caCert,
  '--trust-dir',
  trustDir,
];
const both = {
  DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: ROOT_PASS,
  DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: REPO_PASS,
};
const repoOnly = { DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: REPO_PASS };

function lookup(lab: LabInfo, gun: string, tag: string, trustDir = tempDir()): string {
  const r = runNotary(lab, ['lookup', gun, tag], { trustDir });
  return r.status === 0 ? r.stdout.trim() : '';
}

describe('trust init / sign / key / signer / revoke (CLI, remote lab)', () => {
  it('runs the two-key workflow end to end; notary agrees after every step', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'clipub');
    const repo = gun.slice(gun.indexOf('/') + 1);
    const admin = tempDir();
    const cached = tempDir();

    const init = trust(['init', gun, '--json', ...flags(lab, admin)], both);
    expect(init.status, init.stderr).toBe(0);
    expect(JSON.parse(init.stdout)).toMatchObject({ repository: gun, serverManagedSnapshot: true });
    const again = trust(['init', gun, ...flags(lab, admin)], both);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/^error CONFLICT: .*already has trust data/);

    // two tags from the registry in one call; the root passphrase is not needed to sign
    const [a, b] = [await pushImage(lab, repo, 'a'), await pushImage(lab, repo, 'b', { format: 'oci' })];
    const signed = trust(['sign', `${gun}:a`, `${gun}:b`, '--json', ...flags(lab, admin)], repoOnly);
    expect(signed.status, signed.stderr).toBe(0);
    expect(JSON.parse(signed.stdout).map((s: { digest: string }) => s.digest)).toEqual([a.digest, b.digest]);
    expect(lookup(lab, gun, 'a', cached)).toBe(`a ${a.digest} ${a.size}`);
    expect(lookup(lab, gun, 'b')).toBe(`b ${b.digest} ${b.size}`);

    // a signer whose key notary generated into files: key load, signer add, sign, signer remove
    const files = tempDir();
    const gen = runNotary(lab, ['key', 'generate', 'ecdsa', '--role', 'carol', '-o', join(files, 'carol')], {
      trustDir: files,
    });
    expect(gen.status, gen.stderr).toBe(0);
    const carol = tempDir();
    const loadEnv = {
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: lab.notaryEnv.NOTARY_DELEGATION_PASSPHRASE,
    };
    const load = trust(['key', 'load', join(files, 'carol-key.pem'), '--trust-dir', carol], loadEnv);
    expect(load.status, load.stderr).toBe(0);
    expect(load.stdout).toMatch(
      /^Loaded key [0-9a-f]{64} as signer carol \(.*\/private\/[0-9a-f]{64}\.key\)$/m,
    );
    const add = trust(
      ['signer', 'add', '--key', join(files, 'carol.pem'), 'carol', gun, ...flags(lab, admin)],
      both,
    );
    expect(add.status, add.stderr).toBe(0);
    // carol's trust dir never verified the repository: without an anchor she is refused (issue 8 item 16)
    const unanchored = trust(
      ['sign', `${gun}:c`, '--digest', a.digest, '--size', String(a.size), ...flags(lab, carol)],
      loadEnv,
    );
    expect(unanchored.status).toBe(1);
    expect(unanchored.stderr).toMatch(/^error UNTRUSTED_ROOT: refusing to publish/);
    const rootKeyId = JSON.parse(init.stdout).rootKeyId;
    const cs = trust(
      [
        'sign',
        `${gun}:c`,
        '--digest',
        a.digest,
        '--size',
        String(a.size),
        '--json',
        '--root-key',
        rootKeyId,
        ...flags(lab, carol),
      ],
      loadEnv,
    );
    expect(cs.status, cs.stderr).toBe(0);
    expect(JSON.parse(cs.stdout)[0].roles).toEqual(['targets/releases', 'targets/carol']);
    expect(lookup(lab, gun, 'c', cached)).toBe(`c ${a.digest} ${a.size}`);
    const rm = trust(['signer', 'remove', 'carol', gun, ...flags(lab, admin)], both);
    expect(rm.status, rm.stderr).toBe(0);
    expect(lookup(lab, gun, 'c', cached)).toBe('');
    const denied = trust(
      ['sign', `${gun}:d`, '--digest', a.digest, '--size', '1', ...flags(lab, carol)],
      loadEnv,
    );
    expect(denied.status).toBe(2);
    expect(denied.stderr).toMatch(/^error KEY_NOT_FOUND: /);

    // rotations need the root passphrase; without it: exit 2 and nothing changes
    const noRoot = trust(['key', 'rotate', gun, 'targets', ...flags(lab, admin)], repoOnly);
    expect(noRoot.status).toBe(2);
    expect(noRoot.stderr).toMatch(/^error PASSPHRASE: /);
    expect(noRoot.stderr).not.toContain(REPO_PASS);
    for (const args of [
      ['targets'],
      ['snapshot'],
      ['snapshot', '--server-managed'],
      ['timestamp'],
      ['root'],
    ]) {
      const r = trust(['key', 'rotate', gun, ...args, '--json', ...flags(lab, admin)], both);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ role: args[0] });
      expect(lookup(lab, gun, 'a', cached), args.join(' ')).toBe(`a ${a.digest} ${a.size}`);
      expect(lookup(lab, gun, 'b'), args.join(' ')).toBe(`b ${b.digest} ${b.size}`);
    }

    const rev = trust(['revoke', `${gun}:a`, ...flags(lab, admin)], repoOnly);
    expect(rev.status, rev.stderr).toBe(0);
    expect(lookup(lab, gun, 'a', cached)).toBe('');
    const rev2 = trust(['revoke', `${gun}:a`, ...flags(lab, admin)], repoOnly);
    expect(rev2.status).toBe(1);
    expect(rev2.stderr).toMatch(/^error NOT_SIGNED: /);
  });

  it('exit codes: 2 for usage and bad input, 3 when the trust server is unreachable', () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'cliexit');
    const dir = tempDir();
    const usage = [
      ['sign'],
      ['sign', `${gun}:a`, '--digest', 'sha256:zz', '--size', '1'],
      ['sign', `${gun}:a`, '--digest', `sha256:${'a'.repeat(64)}`],
      ['sign', `${gun}:a`, `${gun}:b`, '--digest', `sha256:${'a'.repeat(64)}`, '--size', '1'],
      ['key', 'rotate', gun, 'bogus'],
      ['key', 'generate', 'Not_A_Name', '--trust-dir', dir],
      ['key', 'generate', 'x', '--algorithm', 'dsa', '--trust-dir', dir],
      ['key', 'load', join(dir, 'missing.pem'), '--trust-dir', dir],
      ['signer', 'add', 'alice', gun],
      ['signer', 'frobnicate', 'alice', gun],
      ['init'],
      ['revoke'],
    ];
    for (const args of usage) {
      const r = trust([...args, '--trust-dir', dir], both);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^error [A-Z_]+: /);
      expect(r.stdout).toBe('');
    }
    const down = trust(
      [
        'sign',
        `${gun}:a`,
        '--digest',
        `sha256:${'a'.repeat(64)}`,
        '--size',
        '1',
        '--server',
        'https://127.0.0.1:9',
      ],
      { ...both, DOCKER_CONFIG: dir },
    );
    expect(down.status, down.stderr).toBe(3);
    expect(down.stderr).toMatch(/^error NETWORK: /);
  });

  it('key generate writes NAME.pub and never overwrites it', () => {
    const dir = tempDir();
    const g = trust(['key', 'generate', 'erin', '--dir', dir, '--trust-dir', dir], repoOnly);
    expect(g.status, g.stderr).toBe(0);
    const pub = readFileSync(join(dir, 'erin.pub'), 'utf8');
    expect(pub).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const again = trust(['key', 'generate', 'erin', '--dir', dir, '--trust-dir', dir], repoOnly);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    expect(readFileSync(join(dir, 'erin.pub'), 'utf8')).toBe(pub);
    const ed = trust(
      ['key', 'generate', 'frank', '--algorithm', 'ed25519', '--dir', dir, '--trust-dir', dir, '--json'],
      repoOnly,
    );
    expect(ed.status, ed.stderr).toBe(0);
    expect(JSON.parse(ed.stdout)).toMatchObject({ name: 'frank', publicKeyPath: join(dir, 'frank.pub') });
  });
});
