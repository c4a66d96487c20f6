// The CLI's registry-hosted trust commands (init, sign, refresh, revoke, export) against the real
// docker-registry of the token-auth lab, as a user runs them (built dist/cli.js, docker credentials).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OciBundle } from '../../src/transport/oci/bundle.js';
import { freshGun, getLab, pushImage, tempDir } from '../harness/lab.js';
import { trust } from '../support/cli.js';

describe('trust init/sign/refresh/revoke/export --server registry (token lab, docker credentials)', () => {
  it('publishes into the image repository, remembers the source, and exports an offline bundle', async () => {
    const lab = getLab('auth');
    const gun = freshGun(lab, 'cli-reg');
    const repo = gun.slice(lab.registryHost.length + 1);
    const image = await pushImage(lab, repo, 'v1');
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

    const init = trust(['init', gun, '--server', 'registry', '--trust-dir', trustDir, '--json'], env);
    expect(init.stderr).toBe('');
    expect(init.status).toBe(0);
    expect(JSON.parse(init.stdout)).toMatchObject({ repository: gun, location: `oci://${gun}:tuf-metadata` });

    // no --server: the repository is published where this trust dir first published it
    const sign = trust(['sign', `${gun}:v1`, '--trust-dir', trustDir, '--json'], env);
    expect(sign.stderr).toBe('');
    expect(JSON.parse(sign.stdout)).toEqual([
      {
        reference: `${gun}:v1`,
        tag: 'v1',
        digest: image.digest,
        size: image.size,
        role: 'targets',
        roles: ['targets'],
      },
    ]);

    const refresh = trust(
      ['refresh', gun, '--trust-dir', trustDir, '--timestamp-expiry', '2d', '--json'],
      env,
    );
    expect(refresh.stderr).toBe('');
    const r = JSON.parse(refresh.stdout) as {
      signed: Record<string, number>;
      expiring: Record<string, string>;
    };
    expect(r.signed).toEqual({ timestamp: 3 });
    expect(r.expiring).toEqual({});

    const out = join(home, 'bundle.tar');
    const exp = trust(['export', `${gun}:v1`, '--output', out, '--trust-dir', trustDir], env);
    expect(exp.stderr).toBe('');
    expect(exp.stdout).toContain(`Exported ${gun}`);
    const bundle = OciBundle.parse(readFileSync(out));
    const ts = JSON.parse(
      Buffer.from((await bundle.store(gun).getMeta('timestamp.json', 1 << 20))!).toString('utf8'),
    );
    expect(ts.signed.version).toBe(3);

    // verify: from the recorded source, and offline from the bundle with the root pinned by config
    const verified = trust(['verify', `${gun}:v1`, '--trust-dir', trustDir], env);
    expect(verified.stderr).toBe('');
    expect(verified.stdout).toBe(`${gun}@${image.digest}\n`);
    // DOCKER_CONTENT_TRUST_SERVER=registry selects registry-hosted trust for a fresh trust dir
    const byEnv = trust(['verify', `${gun}:v1`, '--trust-dir', join(home, 'by-env')], {
      ...env,
      DOCKER_CONTENT_TRUST_SERVER: 'registry',
    });
    expect(byEnv.stderr).toBe('');
    expect(byEnv.stdout).toBe(`${gun}@${image.digest}\n`);
    const config = join(home, 'pins.json');
    const rootKeyId = (JSON.parse(init.stdout) as { rootKeyId: string }).rootKeyId;
    writeFileSync(config, JSON.stringify({ trust_pinning: { certs: { [gun]: [rootKeyId] } } }));
    const offline = trust(
      ['verify', `${gun}:v1`, '--bundle', out, '--config', config, '--trust-dir', join(home, 'fresh')],
      {
        DOCKER_CONFIG: join(home, 'nowhere'),
      },
    );
    expect(offline.stderr).toBe('');
    expect(offline.stdout).toBe(`${gun}@${image.digest}\n`);
    const unpinned = trust(['verify', `${gun}:v1`, '--bundle', out, '--trust-dir', join(home, 'fresh2')], {});
    expect(unpinned.status).toBe(1);
    expect(unpinned.stderr).toMatch(/^error UNTRUSTED_ROOT/);

    const revoke = trust(['revoke', `${gun}:v1`, '--trust-dir', trustDir], env);
    expect(revoke.stdout).toBe('Removed v1 from targets\nRevoked v1: no longer verifies\n');

    // a bad duration, an oci:// location with a digest: usage / config errors (exit 2)
    expect(trust(['refresh', gun, '--trust-dir', trustDir, '--timestamp-expiry', '7 days'], env).status).toBe(
      2,
    );
    const badLoc = trust(
      [
        'init',
        gun,
        '--server',
        `oci://${lab.registryHost}/x@sha256:${'a'.repeat(64)}`,
        '--trust-dir',
        trustDir,
      ],
      env,
    );
    expect(badLoc.status).toBe(2);
    expect(badLoc.stderr).toMatch(/^error CONFIG: invalid trust location/);
  });

  it('refresh of a repository without registry-hosted trust data is a usage error; a missing tag is exit 1', () => {
    const lab = getLab('remote');
    const trustDir = tempDir();
    expect(trust(['refresh', `${lab.registryHost}/library/none`, '--trust-dir', trustDir]).status).toBe(2);
    const none = trust([
      'refresh',
      `${lab.registryHost}/library/none`,
      '--server',
      'registry',
      '--trust-dir',
      trustDir,
    ]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/NO_TRUST_DATA/);
  });
});
