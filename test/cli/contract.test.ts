/**
 * The CLI contract without services (a local file:// repository stands in for the trust server):
 * exit codes from the one table (EXIT_CODES), the top-level help, config files checked key by key.
 */

import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { trust } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const PASS = {
  DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'exit-codes-root',
  DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'exit-codes-repo',
};

describe('CLI exit codes', () => {
  it('init on a repository that has trust data is CONFLICT, exit 2', () => {
    const server = pathToFileURL(tempDir()).href;
    const flags = ['--server', server, '--trust-dir', tempDir()];
    const first = trust(['init', 'registry.example.com/team/app', ...flags], PASS);
    expect(first.status, first.stderr).toBe(0);
    const again = trust(['init', 'registry.example.com/team/app', ...flags], PASS);
    expect(again.stderr).toMatch(/^error CONFLICT: /);
    expect(again.status).toBe(2);
  });

  it('key load of a file that is not a private key is BAD_KEY, exit 2 (as signer add)', () => {
    const dir = tempDir();
    const pub = join(dir, 'alice.pub');
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    const r = trust(['key', 'load', pub, '--trust-dir', join(dir, 'trust')], PASS);
    expect(r.stderr).toMatch(/^error BAD_KEY: /);
    expect(r.status).toBe(2);
  });

  it('verify --role takes only delegation names the library accepts (exit 2)', () => {
    const r = trust(['verify', 'registry.example.com/a/b:1', '--role', 'targets/Alice', '--offline']);
    expect(r.stderr).toMatch(/^error USAGE: --role "targets\/Alice"/);
    expect(r.status).toBe(2);
  });

  it('verify --offline with nothing cached is NO_TRUST_DATA, exit 1, on the Notary and registry paths alike', () => {
    const dir = tempDir();
    for (const server of ['https://127.0.0.1:9', 'registry', 'oci://127.0.0.1:9/team/meta']) {
      const r = trust([
        'verify',
        '127.0.0.1:9/team/app:1',
        '--offline',
        '--server',
        server,
        '--trust-dir',
        dir,
      ]);
      expect(r.stderr, server).toMatch(/^error NO_TRUST_DATA: offline: /);
      expect(r.status, server).toBe(1);
      expect(r.stdout).toBe('');
    }
  });

  it('unknown and valueless flags are usage errors, exit 2', () => {
    const unknown = trust(['verify', 'x:1', '--bogus']);
    expect(unknown.stderr).toMatch(/^error USAGE: unknown flag --bogus/);
    expect(unknown.status).toBe(2);
    const missing = trust(['verify', 'x:1', '--server']);
    expect(missing.stderr).toMatch(/^error USAGE: --server needs a value/);
    expect(missing.status).toBe(2);
  });
});

describe('CLI help and config', () => {
  it('top-level help lists every rotatable role and --version', () => {
    const r = trust(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/key rotate IMAGE ROLE +rotate the root, targets, snapshot or timestamp key/);
    expect(r.stdout).toContain('--version');
    expect(trust(['--version']).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses unknown keys in --config, naming the key (exit 2)', () => {
    const path = join(tempDir(), 'config.json');
    writeFileSync(path, JSON.stringify({ trust_pinning: { disable_tofu: true, typo: 1 } }));
    const r = trust(['verify', 'registry.example.com/a/b:1', '--offline', '--config', path]);
    expect(r.stderr).toMatch(/^error CONFIG: config .*config\.json: unknown key "trust_pinning\.typo"/);
    expect(r.status).toBe(2);
  });
});
