import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../test/support/temp.js';
import { LocalError } from '../errors.js';
import {
  answersSilently,
  defaultPassphraseProvider,
  envPassphrase,
  envPassphraseProvider,
  passphraseEnvVars,
  staticPassphraseProvider,
  ttyPassphraseProvider,
} from './passphrase.js';

const here = dirname(fileURLToPath(import.meta.url));
const KEY = 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789';
const req = (role: string, attempt = 0, creating = false) => ({ role, keyId: KEY, attempt, creating });

describe('environment passphrases', () => {
  it('maps roles to docker then notary variables', () => {
    expect(passphraseEnvVars('root')).toEqual([
      'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE',
      'NOTARY_ROOT_PASSPHRASE',
    ]);
    expect(passphraseEnvVars('targets')).toEqual([
      'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE',
      'NOTARY_TARGETS_PASSPHRASE',
    ]);
    expect(passphraseEnvVars('snapshot')).toEqual([
      'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE',
      'NOTARY_SNAPSHOT_PASSPHRASE',
    ]);
    expect(passphraseEnvVars('timestamp')).toEqual(['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE']);
    for (const r of ['targets/releases', 'alice']) {
      expect(passphraseEnvVars(r)).toEqual([
        'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE',
        'NOTARY_DELEGATION_PASSPHRASE',
      ]);
    }
    const env = {
      NOTARY_ROOT_PASSPHRASE: 'n-root',
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: '',
      NOTARY_DELEGATION_PASSPHRASE: 'n-del',
    };
    expect(envPassphrase('root', env)).toBe('n-root');
    expect(envPassphrase('targets/releases', env)).toBe('n-del');
    expect(envPassphrase('targets', env)).toBeUndefined();
    expect(envPassphrase('root', { ...env, DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'd-root' })).toBe('d-root');
  });

  it('env provider: value on attempt 0, wrong-passphrase error on retry, clear error when unset', async () => {
    const p = envPassphraseProvider({ DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'repo-secret' });
    expect(await p(req('targets'))).toBe('repo-secret');
    await expect(p(req('targets', 1))).rejects.toMatchObject({
      code: 'PASSPHRASE',
      message: 'wrong passphrase for key abcdef0 (targets)',
    });
    const err = await p(req('root')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).message).toContain(
      'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE or NOTARY_ROOT_PASSPHRASE',
    );
    expect((err as LocalError).message).not.toContain('repo-secret');
  });

  it('env provider: a new key needs the same minimum length as the prompt (issue 8 item 21)', async () => {
    const p = envPassphraseProvider({ DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'short7!' });
    // an existing key is opened with whatever passphrase it has
    expect(await p(req('targets'))).toBe('short7!');
    const err = await p({ ...req('targets'), creating: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PASSPHRASE' });
    expect((err as Error).message).toBe(
      'the passphrase for new repository key from DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE is too short: at least 8 characters',
    );
    const ok = envPassphraseProvider({ DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: '8chars!!' });
    expect(await ok({ ...req('root'), creating: true })).toBe('8chars!!');
  });

  it('static provider and the default provider without a terminal', async () => {
    const s = staticPassphraseProvider('x');
    expect(await s(req('root'))).toBe('x');
    await expect(s(req('root', 1))).rejects.toMatchObject({ code: 'PASSPHRASE' });
    const notTty = new PassThrough();
    const d = defaultPassphraseProvider({ env: { NOTARY_TARGETS_PASSPHRASE: 't' }, input: notTty });
    expect(await d(req('targets'))).toBe('t');
    await expect(d(req('root'))).rejects.toMatchObject({ code: 'PASSPHRASE' });
    await expect(ttyPassphraseProvider({ input: notTty })(req('root'))).rejects.toMatchObject({
      code: 'PASSPHRASE',
    });
  });
});

describe('answersSilently: which requests may be made ahead of need', () => {
  it('the environment and a fixed value answer without asking; a prompt or an unknown provider does not', () => {
    const env = { DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'repo-pass' };
    expect(answersSilently(envPassphraseProvider(env), req('targets'))).toBe(true);
    expect(answersSilently(envPassphraseProvider(env), req('root'))).toBe(false);
    expect(answersSilently(defaultPassphraseProvider({ env }), req('targets'))).toBe(true);
    expect(answersSilently(defaultPassphraseProvider({ env }), req('targets/releases'))).toBe(true);
    // the root passphrase would be prompted for
    expect(answersSilently(defaultPassphraseProvider({ env }), req('root'))).toBe(false);
    expect(answersSilently(defaultPassphraseProvider({ env: {} }), req('targets'))).toBe(false);
    expect(answersSilently(staticPassphraseProvider('x'), req('root'))).toBe(true);
    expect(answersSilently(async () => 'custom', req('targets'))).toBe(false);
    expect(answersSilently(ttyPassphraseProvider(), req('targets'))).toBe(false);
  });
});

describe('the default provider and process.stdin (issue 12)', () => {
  it('does not create process.stdin while the environment answers (it loads node streams)', async () => {
    const stdin = vi.spyOn(process, 'stdin', 'get');
    try {
      const d = defaultPassphraseProvider({
        env: { DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'from-env' },
      });
      expect(await d(req('targets'))).toBe('from-env');
      expect(stdin).not.toHaveBeenCalled();
      // a role the environment does not answer asks the terminal, so stdin is looked up then
      await expect(d(req('root'))).rejects.toMatchObject({ code: 'PASSPHRASE' });
      expect(stdin).toHaveBeenCalled();
    } finally {
      stdin.mockRestore();
    }
  });
});

describe('terminal prompt (real pty via script(1))', () => {
  it('reads without echo, handles backspace, confirms new passphrases', async () => {
    const dir = tempDir('ct-pass-');
    const bundle = join(dir, 'passphrase.mjs');
    buildSync({
      entryPoints: [join(here, 'passphrase.ts')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile: bundle,
      logLevel: 'silent',
    });
    const child = join(dir, 'child.mjs');
    writeFileSync(
      child,
      `import { ttyPassphraseProvider } from ${JSON.stringify(bundle)};
       const p = ttyPassphraseProvider();
       const hex = (s) => Buffer.from(s).toString('hex');
       const a = await p({ role: 'targets', keyId: ${JSON.stringify(KEY)}, attempt: 0, creating: false });
       process.stderr.write('GOT1:' + hex(a) + '\\n');
       const b = await p({ role: 'root', keyId: ${JSON.stringify(KEY)}, attempt: 0, creating: true });
       process.stderr.write('GOT2:' + hex(b) + '\\n');
       const c = await p({ role: 'targets', keyId: ${JSON.stringify(KEY)}, attempt: 0, creating: false });
       process.stderr.write('GOT3:' + hex(c) + '\\n');
       const d = await p({ role: 'dave', keyId: ${JSON.stringify(KEY)}, attempt: 0, creating: true });
       process.stderr.write('GOT4:' + hex(d) + '\\n');
       process.exit(0);`,
    );
    const proc = spawn('script', ['-qfec', `${process.execPath} ${child}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    const waiters: Array<{ pattern: string; from: number; resolve: () => void }> = [];
    const check = () => {
      for (const w of [...waiters]) {
        if (out.indexOf(w.pattern, w.from) >= 0) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    };
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      check();
    });
    let mark = 0;
    const waitFor = (pattern: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timeout waiting for ${pattern}; output so far:\n${out}`)),
          10_000,
        );
        waiters.push({
          pattern,
          from: mark,
          resolve: () => {
            clearTimeout(timer);
            mark = out.indexOf(pattern, mark) + pattern.length;
            resolve();
          },
        });
        check();
      });
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    try {
      await waitFor('Enter passphrase for repository key (ID abcdef0): ');
      proc.stdin.write('hunter2x\x7f\x7f2\r');
      await waitFor('GOT1:');
      await waitFor('Enter passphrase for new root key (ID abcdef0): ');
      proc.stdin.write('tiny7\r');
      await waitFor('too short');
      await waitFor('Enter passphrase for new root key');
      proc.stdin.write('long-enough-1\r');
      await waitFor('Repeat passphrase for new root key');
      proc.stdin.write('long-enough-2\r');
      await waitFor('do not match');
      await waitFor('Enter passphrase for new root key');
      proc.stdin.write('long-enough-1\r');
      await waitFor('Repeat passphrase for new root key');
      proc.stdin.write('long-enough-1\r');
      await waitFor('GOT2:');
      await waitFor('GOT3:'); // cached for the alias: no third prompt
      // a signer's new key is named as such (issue 9 item 4), not "new repository key"
      await waitFor('Enter passphrase for new signer key dave (ID abcdef0): ');
      proc.stdin.write('dave-passphrase\r');
      await waitFor('Repeat passphrase for new signer key dave (ID abcdef0): ');
      proc.stdin.write('dave-passphrase\r');
      await waitFor('GOT4:');
      expect(await exited).toBe(0);
    } finally {
      proc.kill();
    }
    const hex = (s: string) => Buffer.from(s).toString('hex');
    expect(out).toContain(`GOT1:${hex('hunter2')}`);
    expect(out).toContain(`GOT2:${hex('long-enough-1')}`);
    expect(out).toContain(`GOT3:${hex('hunter2')}`);
    // nothing typed was echoed
    for (const typed of ['hunter2', 'tiny7', 'long-enough']) expect(out).not.toContain(typed);
  });
});
