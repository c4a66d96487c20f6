/**
 * The publishing CLI on a local repository (`--server file://DIR`), as a new user meets it: what
 * `sign` says when it creates a repository, which ids it prints, how root keys are chosen and
 * retired, loose key directories and planted keys, passphrase rules, `key load` mistakes, and what
 * `revoke` reports (issue 8 items 18, 19, 21; issue 9 items 1, 3, 4, 5).
 */

import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateSigner } from '../../src/crypto/signers.js';
import { writeKeyFile } from '../../src/keys/keyfile.js';
import { tempDir } from '../harness/lab.js';
import { trust as runTrust } from '../support/cli.js';

const PASS = 'cli-keys-passphrase';
const G = 'registry.example.com/team/app';
const digest = (c: string) => `sha256:${c.repeat(64)}`;

/** The built CLI with both passphrases set (each test may override them). */
function trust(args: string[], env: Record<string, string | undefined> = {}) {
  return runTrust(args, {
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: PASS,
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: PASS,
    ...env,
  });
}

function local() {
  const repoDir = join(tempDir(), 'repo');
  const server = pathToFileURL(repoDir).href;
  const dir = tempDir();
  return { server, repoDir, dir, flags: (trustDir = dir) => ['--server', server, '--trust-dir', trustDir] };
}

const keyFiles = (trustDir: string) =>
  existsSync(join(trustDir, 'private')) ? readdirSync(join(trustDir, 'private')).sort() : [];

describe('trust sign / init / key on a new repository (CLI, file://)', () => {
  it('sign on an uninitialised repository says so, with the key ids that name the files and where the root key is', () => {
    const { dir, flags } = local();
    const r = trust(['sign', `${G}:v1`, '--digest', digest('1'), '--size', '1', ...flags()]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Initialised trust data for ${G}\n`);
    const rootFileId = /root key: {7}([0-9a-f]{64}) \(new\)/.exec(r.stdout)?.[1];
    expect(rootFileId).toBeDefined();
    const rootFile = join(dir, 'private', `${rootFileId}.key`);
    expect(r.stdout).toContain(`root key file:  ${rootFile}\n`);
    expect(readFileSync(rootFile, 'utf8')).toMatch(/\nrole: root\n/);
    expect(r.stdout).toMatch(/certificate id in root.json: [0-9a-f]{64}\n/);
    expect(r.stdout).toContain('back it up and keep it offline');
    const targetsId = /repository key: ([0-9a-f]{64}) \(/.exec(r.stdout)?.[1];
    expect(existsSync(join(dir, 'private', `${targetsId}.key`))).toBe(true);
    expect(r.stdout).toMatch(new RegExp(`^Signed ${G.replace(/\./g, '\\.')}:v1 `, 'm'));
    // --json keeps stdout the list of signed tags; the initialisation is told on stderr
    const other = local();
    const j = trust(['sign', `${G}:v1`, '--digest', digest('1'), '--size', '1', '--json', ...other.flags()]);
    expect(j.status, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)[0]).toMatchObject({ tag: 'v1', roles: ['targets'] });
    expect(j.stderr).toContain(`Initialised trust data for ${G}`);
  });

  it('init never adopts a root key it finds: a new one per repository, --root-key to choose, retired keys refused', () => {
    const { dir, flags } = local();
    const rootIdOf = (out: string) => /root key: {7}([0-9a-f]{64})/.exec(out)?.[1];
    const a = trust(['init', `${G}-a`, ...flags()]);
    expect(a.status, a.stderr).toBe(0);
    // a planted key (a `key generate root` would make one; so does anyone who can write private/)
    expect(trust(['key', 'generate', 'root', '--dir', dir, '--trust-dir', dir]).status).toBe(2);
    const planted = generateSigner('ecdsa');
    return writeKeyFile(planted, { role: 'root', passphrase: null }).then((pem) => {
      writeFileSync(join(dir, 'private', `${planted.publicKey.id}.key`), pem, { mode: 0o600 });
      const b = trust(['init', `${G}-b`, ...flags()]);
      expect(b.status, b.stderr).toBe(0);
      expect(rootIdOf(b.stdout)).not.toBe(rootIdOf(a.stdout));
      expect(rootIdOf(b.stdout)).not.toBe(planted.publicKey.id);
      // naming the planted (unencrypted) key is refused: it was never imported
      const p = trust(['init', `${G}-p`, '--root-key', planted.publicKey.id, ...flags()]);
      expect(p.status).toBe(2);
      expect(p.stderr).toMatch(/^error BAD_KEY: key file .* is not encrypted/);
      // rotate a's root: the old root key is marked retired and can never be chosen again
      const rot = trust(['key', 'rotate', `${G}-a`, 'root', ...flags()]);
      expect(rot.status, rot.stderr).toBe(0);
      expect(rot.stdout).toContain(`old root key ${rootIdOf(a.stdout)} marked retired`);
      expect(readFileSync(join(dir, 'private', `${rootIdOf(a.stdout)}.key`), 'utf8')).toMatch(/\nretired: /);
      const c = trust(['init', `${G}-c`, '--root-key', rootIdOf(a.stdout)!, ...flags()]);
      expect(c.status).toBe(2);
      expect(c.stderr).toMatch(/was retired on .*omit --root-key/);
      // --root-key names a live root key: used, not created
      const d = trust(['init', `${G}-d`, '--root-key', rootIdOf(b.stdout)!.slice(0, 12), ...flags()]);
      expect(d.status, d.stderr).toBe(0);
      expect(d.stdout).toContain(`root key:       ${rootIdOf(b.stdout)}\n`);
    });
  });

  it('the next run removes what a killed one left: temp files in the key dir and the cache, uncommitted keys', () => {
    const { dir, flags } = local();
    expect(trust(['sign', `${G}:v1`, '--digest', digest('1'), '--size', '1', ...flags()]).status).toBe(0);
    const cache = join(dir, 'tuf', ...G.split('/'), 'metadata');
    const left = [
      join(dir, 'private', `.${'a'.repeat(64)}.key.0123456789ab.tmp`),
      join(dir, 'private', `.${'b'.repeat(64)}.key.pending`),
      join(cache, '.timestamp.json.0123456789ab.tmp'),
    ];
    const old = new Date(Date.now() - 3600_000);
    for (const f of left) {
      writeFileSync(f, 'partial', { mode: 0o600 });
      utimesSync(f, old, old);
    }
    const r = trust(['sign', `${G}:v2`, '--digest', digest('2'), '--size', '2', ...flags()]);
    expect(r.status, r.stderr).toBe(0);
    for (const f of left) expect(existsSync(f), f).toBe(false);
  });

  it('refuses a group/other-writable key directory with the chmod fix', () => {
    const { dir, flags } = local();
    mkdirSync(join(dir, 'private'), { recursive: true });
    chmodSync(join(dir, 'private'), 0o777);
    const r = trust(['sign', `${G}:v1`, '--digest', digest('1'), '--size', '1', ...flags()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`chmod go-w ${join(dir, 'private')}`);
    expect(keyFiles(dir)).toEqual([]);
  });

  it('one passphrase rule for prompt and environment; key rotate checks passphrases before creating a key', () => {
    const { dir, flags } = local();
    const short = trust(['key', 'generate', 'bob', '--dir', dir, '--trust-dir', dir], {
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'short',
    });
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('too short: at least 8 characters');
    expect(short.stderr).not.toContain("'short'");
    expect(existsSync(join(dir, 'bob.pub'))).toBe(false);
    expect(keyFiles(dir)).toEqual([]);

    expect(trust(['init', G, ...flags()]).status).toBe(0);
    const before = keyFiles(dir);
    // the repository passphrase is wrong for the snapshot and timestamp keys this trust dir holds
    const r = trust(['key', 'rotate', G, 'targets', ...flags()], {
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'not-the-passphrase',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error PASSPHRASE: /);
    expect(keyFiles(dir)).toEqual(before); // no orphan key, not even a hidden one
  });

  it('key load: a public key is named as such; loading a key again keeps its role; ids name the files', () => {
    const { dir } = local();
    const src = tempDir();
    const gen = trust(['key', 'generate', 'carol', '--dir', src, '--trust-dir', src]);
    expect(gen.status, gen.stderr).toBe(0);
    const keyId = /Generated key ([0-9a-f]{64}) for carol/.exec(gen.stdout)![1]!;
    expect(gen.stdout).toContain(`private key: ${join(src, 'private', `${keyId}.key`)}`);
    const pub = trust(['key', 'load', join(src, 'carol.pub'), '--trust-dir', dir]);
    expect(pub.status).toBe(2);
    expect(pub.stderr).toMatch(/^error BAD_KEY: .*carol\.pub is a public key/);
    const file = join(src, 'private', `${keyId}.key`);
    const first = trust(['key', 'load', file, '--name', 'dave', '--trust-dir', dir]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(
      `Loaded key ${keyId} as signer dave (${join(dir, 'private', `${keyId}.key`)})`,
    );
    // the file says role: carol; loading it again without --name must not rename dave's key
    const again = trust(['key', 'load', file, '--trust-dir', dir]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Key ${keyId} is signer dave (it was already in the trust dir`);
    expect(readFileSync(join(dir, 'private', `${keyId}.key`), 'utf8')).toMatch(/\nrole: dave\n/);
  });

  it('revoke removes the tag from every role it can sign and says when it still verifies (exit 1, --json)', () => {
    const { dir, repoDir, flags } = local();
    expect(trust(['sign', `${G}:v1`, '--digest', digest('1'), '--size', '1', ...flags()]).status).toBe(0);
    // alice signs v1 into targets/releases; she holds copies of the publisher-held snapshot/timestamp keys
    const alice = tempDir();
    expect(trust(['key', 'generate', 'alice', '--dir', alice, '--trust-dir', alice]).status).toBe(0);
    expect(trust(['signer', 'add', '--key', join(alice, 'alice.pub'), 'alice', G, ...flags()]).status).toBe(
      0,
    );
    for (const f of keyFiles(dir)) {
      const text = readFileSync(join(dir, 'private', f), 'utf8');
      if (/\nrole: (snapshot|timestamp)\n/.test(text))
        copyFileSync(join(dir, 'private', f), join(alice, 'private', f));
    }
    // alice anchors the root by the id root.json lists (the admin would give it to her)
    const root = JSON.parse(
      readFileSync(join(repoDir, ...G.split('/'), '_trust', 'tuf', 'root.json'), 'utf8'),
    );
    const anchor = root.signed.roles.root.keyids[0] as string;
    const as = trust([
      'sign',
      `${G}:v1`,
      '--digest',
      digest('2'),
      '--size',
      '2',
      '--root-key',
      anchor,
      ...flags(alice),
    ]);
    expect(as.status, as.stderr).toBe(0);
    // the admin (repository key only) revokes v1: gone from targets, still signed in targets/releases
    const r = trust(['revoke', `${G}:v1`, '--json', ...flags()]);
    expect(r.status, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      reference: `${G}:v1`,
      removed: ['v1'],
      roles: [{ role: 'targets', removed: ['v1'] }],
      stillVerifies: true,
      verifiedBy: { role: 'targets/releases', digest: digest('2') },
    });
    const human = trust(['revoke', `${G}:v1`, ...flags(alice)]);
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toContain('Removed v1 from targets/releases\n');
    expect(human.stdout).toContain('Revoked v1: no longer verifies\n');

    // a trust dir holding the repository key and a signer key revokes a tag signed only in targets
    // (0.1.0 looked only at the delegations it could sign: NOT_SIGNED)
    expect(trust(['sign', `${G}:v5`, '--digest', digest('5'), '--size', '5', ...flags()]).status).toBe(0);
    const both = tempDir();
    mkdirSync(join(both, 'private'), { mode: 0o700 });
    for (const f of keyFiles(dir)) copyFileSync(join(dir, 'private', f), join(both, 'private', f));
    for (const f of keyFiles(alice)) copyFileSync(join(alice, 'private', f), join(both, 'private', f));
    const r5 = trust(['revoke', `${G}:v5`, '--json', ...flags(both)]);
    expect(r5.status, r5.stderr).toBe(0);
    expect(JSON.parse(r5.stdout)).toMatchObject({
      removed: ['v5'],
      roles: [
        { role: 'targets', removed: ['v5'] },
        { role: 'targets/releases', removed: [] },
        { role: 'targets/alice', removed: [] },
      ],
      stillVerifies: false,
    });
  });
});
