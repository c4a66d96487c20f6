/**
 * The CLI's notary-compatible client config (`--config` / CONTENT_TRUST_CONFIG), `--role` delegations and
 * the `docker trust inspect --pretty` layout, against repositories made by the real notary CLI.
 */

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshGun, getLab, runNotary, tempDir } from '../harness/lab.js';
import { notaryRepo, serverFlags, trust } from './run.js';

describe('trust --config (notary client config)', () => {
  it('takes server, root_ca and trust_dir from the config and enforces trust_pinning', async () => {
    const lab = getLab('remote');
    const { gun, img } = await notaryRepo(lab);
    const inspect = trust(['inspect', gun, '--json', ...serverFlags(lab, tempDir())]);
    expect(inspect.status, inspect.stderr).toBe(0);
    const rootId: string = JSON.parse(inspect.stdout)[0].AdministrativeKeys.find(
      (k: { Name: string }) => k.Name === 'Root',
    ).Keys[0].ID;

    const dir = tempDir();
    mkdirSync(join(dir, 'tls'));
    copyFileSync(lab.caCert, join(dir, 'tls', 'ca.crt'));
    const config = (name: string, extra: object) => {
      const path = join(dir, `${name}.json`);
      const body = { remote_server: { url: lab.notaryUrl, root_ca: 'tls/ca.crt' }, ...extra };
      writeFileSync(path, JSON.stringify(body));
      return path;
    };
    const want = `${gun}@${img.digest}\n`;
    // no --server/--tlscacert/--trust-dir: all from the config (root_ca relative to the config file),
    // run from another directory
    const pinned = config('pinned', {
      trust_dir: join(dir, 'trust-pinned'),
      trust_pinning: { certs: { [gun]: [rootId] }, disable_tofu: true },
    });
    const ok = trust(['verify', `${gun}:v1`, '--config', pinned], {}, tempDir());
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(want);
    // the same through the environment
    const viaEnv = trust(['verify', `${gun}:v1`], { CONTENT_TRUST_CONFIG: pinned });
    expect(viaEnv.stdout).toBe(want);

    const wrongPin = config('wrong', {
      trust_dir: join(dir, 'trust-wrong'),
      trust_pinning: { certs: { [gun]: ['ab'.repeat(32)] } },
    });
    const refused = trust(['verify', `${gun}:v1`, '--config', wrongPin]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^error PINNING: /);

    const noTofu = config('notofu', {
      trust_dir: join(dir, 'trust-notofu'),
      trust_pinning: { disable_tofu: true },
    });
    const untrusted = trust(['verify', `${gun}:v1`, '--config', noTofu]);
    expect(untrusted.status).toBe(1);
    expect(untrusted.stderr).toMatch(/^error UNTRUSTED_ROOT: /);

    // flags beat the config
    const overridden = trust([
      'verify',
      `${gun}:v1`,
      '--config',
      noTofu,
      '--trust-dir',
      join(dir, 'trust-pinned'),
    ]);
    expect(overridden.stdout).toBe(want);

    const malformed = join(dir, 'malformed.json');
    writeFileSync(malformed, JSON.stringify({ trust_pinning: { certs: { [gun]: rootId } } }));
    const bad = trust(['verify', `${gun}:v1`, '--config', malformed]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error CONFIG: .*trust_pinning\.certs/);
  });
});

describe('trust verify --role / trust inspect (delegations)', () => {
  it('finds a tag signed only in targets/alice with --role, like notary lookup; inspect lists alice', async () => {
    const lab = getLab('remote');
    const { gun, img, dir } = await notaryRepo(lab);
    const keyDir = tempDir();
    const key = join(keyDir, 'alice.key');
    const pub = join(keyDir, 'alice.pub');
    execFileSync('openssl', [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      key,
    ]);
    execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-out', pub]);
    for (const args of [
      ['key', 'import', key, '--role', 'alice'],
      ['delegation', 'add', gun, 'targets/alice', pub, '--all-paths', '-p'],
      [
        'addhash',
        gun,
        'only-alice',
        String(img.size),
        '--sha256',
        img.digest.slice(7),
        '-r',
        'targets/alice',
        '-p',
      ],
    ]) {
      const r = runNotary(lab, args, { trustDir: dir });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const lookup = runNotary(lab, ['lookup', gun, 'only-alice'], { trustDir: tempDir() });
    expect(lookup.stdout.trim()).toBe(`only-alice ${img.digest} ${img.size}`);

    const trustDir = tempDir();
    // docker's rule: only targets/releases and targets count unless the caller names a delegation
    const plain = trust(['verify', `${gun}:only-alice`, ...serverFlags(lab, trustDir)]);
    expect(plain.status).toBe(1);
    expect(plain.stderr).toMatch(/^error NOT_SIGNED: /);
    const withRole = trust([
      'verify',
      `${gun}:only-alice`,
      '--role',
      'targets/alice',
      '--json',
      ...serverFlags(lab, trustDir),
    ]);
    expect(withRole.status, withRole.stderr).toBe(0);
    expect(JSON.parse(withRole.stdout)).toMatchObject({ digest: img.digest, role: 'targets/alice' });

    const json = trust(['inspect', gun, '--json', ...serverFlags(lab, trustDir)]);
    const [doc] = JSON.parse(json.stdout);
    expect(doc.Signers).toHaveLength(1);
    expect(doc.Signers[0].Name).toBe('alice');
    const aliceId: string = doc.Signers[0].Keys[0].ID;
    const ids = (name: string): string =>
      doc.AdministrativeKeys.find((k: { Name: string }) => k.Name === name)
        .Keys.map((k: { ID: string }) => k.ID)
        .join(', ');

    const pretty = trust(['inspect', gun, ...serverFlags(lab, trustDir)]);
    expect(pretty.status, pretty.stderr).toBe(0);
    // docker trust inspect --pretty: only released tags (targets, targets/releases) are listed
    expect(pretty.stdout).toBe(
      [
        '',
        `Signatures for ${gun}`,
        '',
        `SIGNED TAG   DIGEST${' '.repeat(61)}SIGNERS`,
        `v1           ${img.digest.slice(7)}   Repo Admin`,
        '',
        `List of signers and their keys for ${gun}`,
        '',
        'SIGNER    KEYS',
        `alice     ${aliceId.slice(0, 12)}`,
        '',
        `Administrative keys for ${gun}`,
        '',
        `  Repository Key:\t${ids('Repository')}`,
        `  Root Key:\t${ids('Root')}`,
        '',
      ].join('\n'),
    );
  });

  it('prints nothing on stdout when one of several repositories fails', async () => {
    const lab = getLab('remote');
    const { gun } = await notaryRepo(lab);
    const r = trust(['inspect', gun, freshGun(lab, 'none'), '--json', ...serverFlags(lab, tempDir())]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error NO_TRUST_DATA: /);
  });
});
