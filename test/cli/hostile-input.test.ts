/**
 * The built CLI on hostile input that needs no server: references docker refuses (issue 8 item 9) and
 * a FIFO planted in a `file://` repository (issue 8 item 12). Both used to do the wrong thing in 0.1.0
 * (verify another tag; hang forever).
 */

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { initRepository } from '../../src/publish/workflows.js';
import { trust } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

describe('hostile input to the CLI', () => {
  it.each(['app:bogus:1.0', 'app:foo/y', 'app:evil/../x:bar', 'foo:bar:baz'])(
    'verify %s is BAD_REFERENCE, exit 2, nothing on stdout',
    (ref) => {
      const r = trust(['verify', ref, '--server', pathToFileURL(tempDir()).href, '--trust-dir', tempDir()]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error BAD_REFERENCE: invalid reference/);
    },
  );

  it('a FIFO as timestamp.json in a file:// repository fails at once (IO, exit 2), no hang', async () => {
    const repo = tempDir();
    const gun = 'reg.example/app';
    await initRepository(gun, {
      server: pathToFileURL(repo).href,
      trustDir: tempDir(),
      passphrase: staticPassphraseProvider('fifo-passphrase'),
      keyIterations: 1000,
    });
    const ts = join(repo, 'reg.example', 'app', '_trust', 'tuf', 'timestamp.json');
    execFileSync('rm', [ts]);
    execFileSync('mkfifo', [ts]);
    const started = Date.now();
    const r = trust(['verify', `${gun}:v1`, '--server', pathToFileURL(repo).href, '--trust-dir', tempDir()]);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error IO: .*timestamp\.json .*is not a regular file/);
  });
});
