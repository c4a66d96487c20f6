/** Every example is executed against the lab, as a user would run it. */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshGun, getLab, pushImage, runNotary, tempDir } from '../harness/lab.js';
import { CLI, ROOT, run as runProgram } from '../support/cli.js';

let out = '';

/** Bundles an example the way a user would compile it (content-trust resolves to this package). */
async function bundle(name: string): Promise<string> {
  const file = join(out, name.replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [join(ROOT, 'examples', name)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: file,
    logLevel: 'error',
    alias: { 'content-trust': join(ROOT, 'src', 'index.ts') },
  });
  return file;
}

const run = ([cmd, ...args]: string[], env: Record<string, string> = {}) => runProgram(cmd!, args, env);

beforeAll(() => {
  out = tempDir();
});

describe('examples/', () => {
  it('release-signing.ts signs every tag of a release from the registry, in one publish', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'release');
    const repo = gun.slice(gun.indexOf('/') + 1);
    const imgs = [
      await pushImage(lab, repo, '1.2.0', { content: 'a' }),
      await pushImage(lab, repo, 'latest', { content: 'b' }),
    ];
    const trustDir = tempDir();
    const script = await bundle('release-signing.ts');
    const r = run(
      [
        'node',
        script,
        gun,
        '1.2.0',
        'latest',
        '--server',
        lab.notaryUrl,
        '--tlscacert',
        lab.caCert,
        '--trust-dir',
        trustDir,
      ],
      {
        DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'release-root-pass',
        DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'release-repo-pass',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('resolved 2/2 digests');
    expect(r.stdout).toContain(`${gun}:1.2.0 ${imgs[0]!.digest}`);
    const lookup = runNotary(lab, ['lookup', gun, 'latest'], { trustDir: tempDir() });
    expect(lookup.stdout.trim()).toBe(`latest ${imgs[1]!.digest} ${imgs[1]!.size}`);

    // deploy-tool.ts deploys by digest, and refuses an unsigned tag with exit 1
    const deploy = await bundle('deploy-tool.ts');
    const flags = ['--server', lab.notaryUrl, '--tlscacert', lab.caCert, '--trust-dir', tempDir()];
    const ok = run(['node', deploy, `${gun}:1.2.0`, ...flags]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ action: 'deploy', image: `${gun}@${imgs[0]!.digest}` });
    const refused = run(['node', deploy, `${gun}:unsigned`, ...flags]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('not signed');
    const down = run([
      'node',
      deploy,
      `${gun}:1.2.0`,
      '--server',
      'https://127.0.0.1:9',
      '--trust-dir',
      tempDir(),
    ]);
    expect(down.status).toBe(3);

    // pre-pull-hook.sh pulls by digest (PULL=echo stands in for docker pull, which has no engine here)
    const trustShim = join(out, 'trust');
    writeFileSync(trustShim, `#!/bin/sh\nexec node ${JSON.stringify(CLI)} "$@"\n`, { mode: 0o755 });
    const hookEnv = {
      TRUST: trustShim,
      TRUST_FLAGS: `--server ${lab.notaryUrl} --tlscacert ${lab.caCert} --trust-dir ${tempDir()}`,
      PULL: 'echo pulled',
    };
    const hook = join(ROOT, 'examples', 'pre-pull-hook.sh');
    const pulled = run(['bash', hook, `${gun}:latest`], hookEnv);
    expect(pulled.status, pulled.stderr).toBe(0);
    expect(pulled.stdout.trim()).toBe(`pulled ${gun}@${imgs[1]!.digest}`);
    const blocked = run(['bash', hook, `${gun}:nope`], hookEnv);
    expect(blocked.status).toBe(1);
    expect(blocked.stdout).toBe('');
    expect(blocked.stderr).toContain('REFUSED');
  });
});
