// The CLI's registry-hosted admin commands (signer add/remove, key rotate, revoke of every tag) against
// the real docker-registry of the token-auth lab, as a user runs them (built dist/cli.js, docker
// credentials). Its own file: the spawnSync calls of another test would block the event loop while the
// lab's token server closes this worker's idle keep-alive connection ("other side closed").
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshGun, getLab, pushImage, tempDir } from '../harness/lab.js';
import { trust } from '../support/cli.js';

describe('trust signer/key rotate/revoke --server registry (token lab, docker credentials)', () => {
  it('signer add/remove, key rotate and revoke of every tag on registry-hosted trust (token lab)', async () => {
    const lab = getLab('auth');
    const gun = freshGun(lab, 'cli-regadmin');
    const repo = gun.slice(lab.registryHost.length + 1);
    const v1 = await pushImage(lab, repo, 'v1');
    await pushImage(lab, repo, 'v2');
    const home = tempDir();
    const docker = join(home, 'docker');
    mkdirSync(docker);
    writeFileSync(
      join(docker, 'config.json'),
      JSON.stringify({ auths: { [lab.registryHost]: { auth: lab.notaryEnv.NOTARY_AUTH } } }),
    );
    const env = {
      DOCKER_CONFIG: docker,
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'root-pass',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'repo-pass',
    };
    const trustDir = join(home, 'trust');
    const td = ['--trust-dir', trustDir];
    // docker's one-person flow: the signer key is generated in the publisher's trust dir
    expect(trust(['key', 'generate', 'alice', '--dir', home, ...td], env).status).toBe(0);
    // on a location without trust data, signer add creates it first and says so (the root key id to pin)
    const add = trust(
      ['signer', 'add', '--key', join(home, 'alice.pub'), 'alice', gun, '--server', 'registry', ...td],
      env,
    );
    expect(add.stderr).toBe('');
    const added = new RegExp(
      `^Initialised ${gun} at oci://${gun}:tuf-metadata\n  root key: +([0-9a-f]{64}) \\(pin this key id\\)\n` +
        `[^]*Added signer alice \\(key ([0-9a-f]{64})\\) to ${gun}\n$`,
    ).exec(add.stdout);
    expect(added, add.stdout).not.toBeNull();
    const rootKeyId = added![1]!;
    const inspected = JSON.parse(trust(['inspect', gun, '--json', ...td], env).stdout) as Array<{
      Signers: Array<{ Name: string; Keys: Array<{ ID: string }> }>;
    }>;
    expect(inspected[0]!.Signers).toEqual([{ Name: 'alice', Keys: [{ ID: added![2] }] }]);
    const sign = trust(['sign', `${gun}:v1`, ...td], env);
    expect(sign.stdout).toBe(`Signed ${gun}:v1 ${v1.digest} (targets/releases, targets/alice)\n`);
    // a signer whose private key is elsewhere: its new role cannot be signed, refused (exit 2)
    const other = join(home, 'other');
    expect(trust(['key', 'generate', 'bob', '--dir', other, '--trust-dir', other], env).status).toBe(0);
    const bob = trust(['signer', 'add', '--key', join(other, 'bob.pub'), 'bob', gun, ...td], env);
    expect(bob.status).toBe(2);
    expect(bob.stderr).toMatch(
      /^error KEY_NOT_FOUND: refusing to publish: targets\/bob has no metadata yet.* signed by bob /,
    );

    // root rotation: the warm trust dir follows; a fresh one pinned to the first root key too
    const warm = join(home, 'warm');
    expect(trust(['verify', `${gun}:v1`, '--server', 'registry', '--trust-dir', warm], env).stdout).toBe(
      `${gun}@${v1.digest}\n`,
    );
    const rot = trust(['key', 'rotate', gun, 'root', ...td, '--json'], env);
    expect(rot.stderr).toBe('');
    expect(JSON.parse(rot.stdout)).toMatchObject({ role: 'root', rootVersion: 2 });
    expect((JSON.parse(rot.stdout) as { retiredKeys: string[] }).retiredKeys).toHaveLength(1);
    expect(trust(['verify', `${gun}:v1`, '--trust-dir', warm], env).stdout).toBe(`${gun}@${v1.digest}\n`);
    const config = join(home, 'pins.json');
    writeFileSync(config, JSON.stringify({ trust_pinning: { certs: { [gun]: [rootKeyId] } } }));
    const pinned = trust(
      [
        'verify',
        `${gun}:v1`,
        '--server',
        'registry',
        '--config',
        config,
        '--trust-dir',
        join(home, 'pinned'),
      ],
      env,
    );
    expect(pinned.stderr).toBe('');
    expect(pinned.stdout).toBe(`${gun}@${v1.digest}\n`);

    // revoke without a tag: every tag of every role this trust dir can sign
    const rev = trust(['revoke', gun, ...td], env);
    expect(rev.stderr).toBe('');
    expect(rev.stdout).toBe(
      'Nothing to remove in targets\nRemoved v1 from targets/releases\nRemoved v1 from targets/alice\n' +
        'Revoked v1: no longer verifies\n',
    );
    expect(rev.status).toBe(0);
    expect(trust(['verify', `${gun}:v1`, '--trust-dir', warm], env).status).toBe(1);
    const none = trust(['revoke', gun, ...td], env);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^error NOT_SIGNED: /);

    // signer remove: alice was the only key of targets/releases, which goes with its tags
    expect(trust(['sign', `${gun}:v2`, ...td], env).status).toBe(0);
    const rm = trust(['signer', 'remove', 'alice', gun, ...td], env);
    expect(rm.stderr).toBe('');
    expect(rm.stdout).toBe(
      `Removed signer alice from ${gun}\n  removed targets/alice; tags no longer signed there: v2\n` +
        '  removed targets/releases; tags no longer signed there: v2\n',
    );
    expect(trust(['verify', `${gun}:v2`, '--trust-dir', warm], env).status).toBe(1);
    expect(trust(['signer', 'remove', 'alice', gun, ...td], env).status).toBe(2);
    expect(trust(['key', 'rotate', gun, 'snapshot', '--server-managed', ...td], env).stderr).toMatch(
      /^error USAGE: registry-hosted trust has no server/,
    );

    // sign on a location without trust data creates it first and says so, as on a Notary server
    const gun2 = freshGun(lab, 'cli-regsign');
    const first = trust(
      ['sign', `${gun2}:v1`, '--digest', v1.digest, '--size', String(v1.size), '--server', 'registry', ...td],
      env,
    );
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(
      new RegExp(
        `^Initialised ${gun2} at oci://${gun2}:tuf-metadata\n[^]*\nSigned ${gun2}:v1 ${v1.digest} \\(targets\\)\n$`,
      ),
    );
  });
});
